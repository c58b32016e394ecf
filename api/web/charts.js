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

function layout(extra) {
  return {
    margin: { l: 60, r: 20, t: 30, b: 50 },
    font: { family: "system-ui, sans-serif", size: 12 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
    ...extra,
  };
}

function axis(title, format) {
  return { title: { text: title }, zeroline: false, tickformat: format, gridcolor: "#e5e7eb" };
}

/** Best objective after each batch: one line. `points` = [{trials, best_objective}]. */
export function convergenceChart(el, points, metric = "objective") {
  const trace = {
    type: "scatter",
    mode: "lines+markers",
    name: `best ${metric}`,
    x: points.map((p) => p.trials),
    y: points.map((p) => p.best_objective),
    line: { color: "#2563eb" },
  };
  return plotly().react(
    el,
    [trace],
    layout({ xaxis: axis("trials evaluated"), yaxis: axis(`best ${metric}`), showlegend: false }),
    CONFIG,
  );
}

/** Add one point to a convergence chart (the live view while a job runs). */
export function extendConvergence(el, trials, best) {
  if (!el.data) return convergenceChart(el, [{ trials, best_objective: best }]);
  return plotly().extendTraces(el, { x: [[trials]], y: [[best]] }, [0]);
}

/** Every trial's volatility and CAGR, one trace per scenario. */
export function riskReturnChart(el, byScenario) {
  const traces = Object.entries(byScenario).map(([scenario, rows]) => ({
    type: "scatter",
    mode: "markers",
    name: scenario,
    x: rows.map((r) => r.volatility),
    y: rows.map((r) => r.cagr),
    text: rows.map((r) => `trial ${r.trial}, Sharpe ${r.sharpe == null ? "–" : r.sharpe.toFixed(2)}`),
    hovertemplate: "%{text}<br>volatility %{x:.1%}<br>CAGR %{y:.1%}<extra>%{fullData.name}</extra>",
    marker: { color: SCENARIO_COLOURS[scenario], size: 7, opacity: 0.75 },
  }));
  return plotly().react(
    el,
    traces,
    layout({ xaxis: axis("annualised volatility", ".0%"), yaxis: axis("CAGR", ".0%") }),
    CONFIG,
  );
}

/** Bars in side-by-side panels, each with its own zero-based y axis, so that quantities of
 * different units (a Sharpe ratio, a percentage) never share an axis. `panels` =
 * [{title, format, metrics: [[key, label], ...]}]; one trace per metric. */
export function panelBars(el, rows, category, panels) {
  const gap = 0.08;
  const width = (1 - gap * (panels.length - 1)) / panels.length;
  const traces = [];
  const extra = { barmode: "group" };
  panels.forEach((panel, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    const start = i * (width + gap);
    extra[`xaxis${suffix}`] = { ...axis(""), domain: [start, start + width], anchor: `y${suffix}` };
    extra[`yaxis${suffix}`] = {
      ...axis(panel.title, panel.format),
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
      });
    }
  });
  return plotly().react(el, traces, layout(extra), CONFIG);
}

/** Grouped bars: one trace per metric, one bar per row (`rows[i][category]`). */
export function groupedBars(el, rows, category, metrics, yTitle, format) {
  const traces = metrics.map(([key, label]) => ({
    type: "bar",
    name: label,
    x: rows.map((r) => r[category]),
    y: rows.map((r) => r[key]),
  }));
  return plotly().react(
    el,
    traces,
    layout({ barmode: "group", xaxis: axis(""), yaxis: axis(yTitle, format) }),
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
  }));
  return plotly().react(
    el,
    traces,
    layout({ barmode: "group", xaxis: axis(""), yaxis: axis("weight", ".0%") }),
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
    layout({ xaxis: axis("volatility", ".0%"), yaxis: axis("expected return", ".0%") }),
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
  }));
  return plotly().react(
    el,
    traces,
    layout({ xaxis: axis(""), yaxis: axis("account value", ",.0f") }),
    CONFIG,
  );
}
