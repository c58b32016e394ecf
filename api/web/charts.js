// Charts with plotly.js (served by the API from the installed plotly package, no CDN).

export const SCENARIO_COLOURS = {
  bull: "#15803d",
  bear: "#b91c1c",
  high_vol: "#c2410c",
  low_vol: "#0e7490",
  base: "#4338ca",
};

const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d"] };

let loading = null;

/** plotly.js, loaded on the first chart drawn (a page without charts never parses its 4.8 MB):
 * a promise of `window.Plotly`, from the URL the page names in `<meta name="plotly-src">`. A
 * failed load is tried again on the next chart. */
function plotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  const src = document.querySelector('meta[name="plotly-src"]')?.content;
  if (!src) return Promise.reject(new Error("plotly.js did not load (no plotly-src on the page)"));
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    const failed = () => {
      script.remove();
      loading = null;
      reject(new Error(`plotly.js did not load (${src})`));
    };
    script.src = src;
    script.onload = () => (window.Plotly ? resolve(window.Plotly) : failed());
    script.onerror = failed;
    document.head.append(script);
  });
  return loading;
}

const pending = new Set();

/** Draw `traces` on `el` with `layout` once plotly.js is loaded (a promise; the draws of one
 * element happen in the order they were asked for; an element no longer on the page by then is
 * not drawn). When plotly.js does not load, the element says so in words (`data-chart-error`
 * holds the reason) until a later draw succeeds. */
function draw(el, traces, chartLayout) {
  const drawn = plotly().then(
    (Plotly) => {
      if (!el.isConnected) return el; // the page was left while plotly.js loaded
      if (el.dataset.chartError !== undefined) {
        el.replaceChildren();
        delete el.dataset.chartError;
      }
      return Plotly.react(el, traces, chartLayout, CONFIG);
    },
    (error) => {
      const note = document.createElement("p");
      note.className = "chart-error";
      note.textContent =
        "This chart could not be drawn: the charting library did not load. It is tried again the next time a chart is shown.";
      el.replaceChildren(note);
      el.dataset.chartError = error.message;
    },
  );
  const settled = () => pending.delete(drawn);
  pending.add(drawn);
  drawn.then(settled, settled);
  return drawn;
}

/** A promise settled once every chart asked for so far is drawn or has failed. */
export function chartsDrawn() {
  return Promise.allSettled([...pending]);
}

/** Whether the chart is drawn on a narrow box (a phone): smaller type, tighter margins,
 * fewer ticks. */
function narrow(el) {
  return Boolean(el && el.clientWidth && el.clientWidth < 560);
}

function layout(el, extra) {
  const small = narrow(el);
  return {
    margin: small ? { l: 48, r: 8, t: 40, b: 40 } : { l: 60, r: 20, t: 30, b: 50 },
    font: { family: "system-ui, sans-serif", size: small ? 10 : 12 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: small ? 10 : 12 } },
    ...extra,
  };
}

function axis(title, format, el = null) {
  const small = narrow(el);
  return {
    title: { text: title, standoff: small ? 4 : 10 },
    zeroline: false,
    tickformat: format,
    gridcolor: "#e5e7eb",
    automargin: true,
    ...(small ? { nticks: 5 } : {}),
  };
}

/** The y range of a convergence chart: its points, at least 0.1 wide (a nearly flat line
 * shows flat, with distinct 2-decimal ticks). */
function convergenceRange(ys) {
  const low = Math.min(...ys);
  const high = Math.max(...ys);
  const pad = Math.max(0, 0.1 - (high - low)) / 2 + 0.01;
  return [low - pad, high + pad];
}

/** The tick format of a percentage axis by the step plotly picks for it (its dtick, a
 * fraction), at any zoom: as many decimals as the step has ("16%", "16.5%", "11.05%"), so that
 * no two ticks read the same ("16%, 16%, 17%" over 15.5-19.6 % with ".0%"). The bounds fall
 * between plotly's round steps (1, 2 or 5 times a power of ten), so no step sits on one. */
export const PERCENT_TICKS = [
  { dtickrange: [null, 0.0000099], value: ".4%" },
  { dtickrange: [0.0000099, 0.000099], value: ".3%" },
  { dtickrange: [0.000099, 0.00099], value: ".2%" },
  { dtickrange: [0.00099, 0.0099], value: ".1%" },
  { dtickrange: [0.0099, null], value: ".0%" },
];

function percentAxis(title, el) {
  const stops = PERCENT_TICKS.map((stop) => ({ ...stop, dtickrange: [...stop.dtickrange] }));
  return { ...axis(title, ".0%", el), tickformatstops: stops };
}

/** Whole-number ticks for `xs` (trials): about six of them. */
function wholeTicks(xs) {
  const span = Math.max(...xs) - Math.min(...xs);
  return Math.max(1, Math.ceil(span / 6));
}

/** Best objective after each batch: one line. `points` = [{trials, best_objective}]. */
export function convergenceChart(el, points, metric = "objective") {
  el.convergence = { points, metric }; // what `extendConvergence` adds to, drawn or not yet
  const x = points.map((p) => p.trials);
  const y = points.map((p) => p.best_objective);
  const trace = {
    type: "scatter",
    mode: "lines+markers",
    name: `best ${metric}`,
    x,
    y,
    hovertemplate: "%{x} trials: best %{y:.2f}<extra></extra>",
    line: { color: "#2563eb" },
  };
  return draw(
    el,
    [trace],
    layout(el, {
      xaxis: { ...axis("trials evaluated", "d", el), dtick: wholeTicks(x) },
      yaxis: { ...axis(`best ${metric}`, ".2f", el), range: convergenceRange(y) },
      showlegend: false,
    }),
  );
}

/** Add one point to a convergence chart (the live view while a job runs). */
export function extendConvergence(el, trials, best, metric = el.convergence?.metric) {
  const points = el.convergence?.points ?? [];
  return convergenceChart(el, [...points, { trials, best_objective: best }], metric);
}

/** Every trial's volatility and CAGR, one trace per scenario. */
export function riskReturnChart(el, byScenario, nameOf = (scenario) => scenario) {
  const traces = Object.entries(byScenario).map(([scenario, rows]) => ({
    type: "scatter",
    mode: "markers",
    name: nameOf(scenario),
    x: rows.map((r) => r.volatility),
    y: rows.map((r) => r.cagr),
    text: rows.map((r) => `trial ${r.trial}, Sharpe ${r.sharpe == null ? "–" : r.sharpe.toFixed(2)}`),
    hovertemplate: "%{text}<br>volatility %{x:.2%}<br>CAGR %{y:+.2%}<extra>%{fullData.name}</extra>",
    marker: { color: SCENARIO_COLOURS[scenario], size: 7, opacity: 0.75 },
  }));
  return draw(
    el,
    traces,
    layout(el, {
      xaxis: percentAxis("annualised volatility", el),
      yaxis: percentAxis("CAGR", el),
    }),
  );
}

/** Bars in side-by-side panels, each with its own zero-based y axis, so that quantities of
 * different units (a Sharpe ratio, a percentage) never share an axis. `panels` =
 * [{title, format, metrics: [[key, label], ...]}]; one trace per metric. */
export function panelBars(el, rows, category, panels) {
  const gap = 0.16; // room for the next panel's axis title
  const width = (1 - gap * (panels.length - 1)) / panels.length;
  const stacked = narrow(el) && panels.length > 1;
  const rowGap = 0.12;
  const height = (1 - rowGap * (panels.length - 1)) / panels.length;
  el.style.height = stacked ? `${panels.length * 220}px` : "";
  const traces = [];
  const extra = { barmode: "group" };
  panels.forEach((panel, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    const start = i * (width + gap);
    // side by side on a wide box; stacked on a narrow one (its labels need the width)
    const [xDomain, yDomain] = stacked ? [[0, 1], [1 - (i + 1) * (height + rowGap) + rowGap, 1 - i * (height + rowGap)]] : [[start, start + width], [0, 1]];
    extra[`xaxis${suffix}`] = { ...axis("", undefined, el), domain: xDomain, anchor: `y${suffix}` };
    extra[`yaxis${suffix}`] = {
      ...axis(panel.title, panel.format, el),
      domain: yDomain,
      anchor: `x${suffix}`,
      zeroline: true,
      rangemode: "tozero",
    };
    for (const [key, label] of panel.metrics) {
      traces.push({
        type: "bar",
        name: label,
        x: rows.map((r) => r[category]),
        y: rows.map((r) => r[key]),
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        hovertemplate: `%{x}: %{y:${panel.hover || panel.format}}<extra>${label}</extra>`,
      });
    }
  });
  return draw(el, traces, layout(el, extra));
}

/** Grouped bars: one trace per metric, one bar per row (`rows[i][category]`). */
export function groupedBars(el, rows, category, metrics, yTitle, format, hover = format) {
  const traces = metrics.map(([key, label]) => ({
    type: "bar",
    name: label,
    x: rows.map((r) => r[category]),
    y: rows.map((r) => r[key]),
    hovertemplate: `%{x}: %{y:${hover}}<extra>${label}</extra>`,
  }));
  return draw(
    el,
    traces,
    layout(el, { barmode: "group", xaxis: axis("", undefined, el), yaxis: axis(yTitle, format, el) }),
  );
}

/** Weights per asset (one trace per named series {name: {asset: weight}}). */
export function weightsChart(el, series) {
  const assets = [...new Set(Object.values(series).flatMap((w) => Object.keys(w)))].sort();
  const traces = Object.entries(series).map(([name, weights]) => ({
    type: "bar",
    name,
    x: assets,
    y: assets.map((a) => weights[a] ?? 0),
    hovertemplate: `%{x}: %{y:.2%}<extra>${name}</extra>`,
  }));
  return draw(
    el,
    traces,
    layout(el, { barmode: "group", xaxis: axis("", undefined, el), yaxis: axis("weight", ".0%", el) }),
  );
}

/** Efficient frontier: volatility vs expected return, with the selected portfolio marked. */
export function frontierChart(el, points, selected) {
  const traces = [
    {
      type: "scatter",
      mode: "lines+markers",
      name: "efficient frontier",
      x: points.map((p) => p.volatility),
      y: points.map((p) => p.expected_return),
    },
  ];
  if (selected) {
    traces.push({
      type: "scatter",
      mode: "markers",
      name: "selected",
      x: [selected.volatility],
      y: [selected.expected_return],
      marker: { size: 12, symbol: "star", color: "#b91c1c" },
    });
  }
  return draw(
    el,
    traces,
    layout(el, {
      xaxis: percentAxis("volatility", el),
      yaxis: percentAxis("expected return", el),
    }),
  );
}

export function purge(el) {
  if (window.Plotly && el && el.data) window.Plotly.purge(el);
}

/** Account values over time: one line per named series {name: values}, on shared `dates`. */
export function equityChart(el, dates, series) {
  const traces = Object.entries(series).map(([name, values]) => ({
    type: "scatter",
    mode: "lines",
    name,
    x: dates,
    y: values,
    hovertemplate: `%{x|%Y-%m-%d}: $%{y:,.2f}<extra>${name}</extra>`,
  }));
  return draw(
    el,
    traces,
    layout(el, { xaxis: axis("", "%Y-%m-%d", el), yaxis: axis("account value", "$,.0f", el) }),
  );
}
