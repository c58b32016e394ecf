// Charts with plotly.js (served by the API from the installed plotly package, no CDN).

export const SCENARIO_COLOURS = {
  bull: "#15803d",
  bear: "#b91c1c",
  high_vol: "#c2410c",
  low_vol: "#0e7490",
  base: "#4338ca",
};

const CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d"] };

function plotly() {
  if (!window.Plotly) throw new Error("plotly.js did not load (/static/vendor/plotly.min.js)");
  return window.Plotly;
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

/** Whole-number ticks for `xs` (trials): about six of them. */
function wholeTicks(xs) {
  const span = Math.max(...xs) - Math.min(...xs);
  return Math.max(1, Math.ceil(span / 6));
}

/** Best objective after each batch: one line. `points` = [{trials, best_objective}]. */
export function convergenceChart(el, points, metric = "objective") {
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
  return plotly().react(
    el,
    [trace],
    layout(el, {
      xaxis: { ...axis("trials evaluated", "d", el), dtick: wholeTicks(x) },
      yaxis: { ...axis(`best ${metric}`, ".2f", el), range: convergenceRange(y) },
      showlegend: false,
    }),
    CONFIG,
  );
}

/** Add one point to a convergence chart (the live view while a job runs). */
export function extendConvergence(el, trials, best) {
  if (!el.data) return convergenceChart(el, [{ trials, best_objective: best }]);
  const points = el.data[0].x.map((x, i) => ({ trials: x, best_objective: el.data[0].y[i] }));
  return convergenceChart(el, [...points, { trials, best_objective: best }]);
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
  return plotly().react(
    el,
    traces,
    layout(el, { xaxis: axis("annualised volatility", ".0%", el), yaxis: axis("CAGR", ".0%", el) }),
    CONFIG,
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
  return plotly().react(el, traces, layout(el, extra), CONFIG);
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
  return plotly().react(
    el,
    traces,
    layout(el, { barmode: "group", xaxis: axis("", undefined, el), yaxis: axis(yTitle, format, el) }),
    CONFIG,
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
  return plotly().react(
    el,
    traces,
    layout(el, { barmode: "group", xaxis: axis("", undefined, el), yaxis: axis("weight", ".0%", el) }),
    CONFIG,
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
  return plotly().react(
    el,
    traces,
    layout(el, { xaxis: axis("volatility", ".0%", el), yaxis: axis("expected return", ".0%", el) }),
    CONFIG,
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
  return plotly().react(
    el,
    traces,
    layout(el, { xaxis: axis("", "%Y-%m-%d", el), yaxis: axis("account value", "$,.0f", el) }),
    CONFIG,
  );
}
