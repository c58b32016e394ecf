// What a deployment's account is shown beside (trading.benchmarks): every line's return, CAGR,
// volatility, Sharpe ratio against the risk-free rate the result states, and maximum drawdown;
// the benchmarks left out and why; the benchmark series for the account's chart.
import { h } from "./dom.js";
import { percent, ratio, signedPercent } from "./format.js";

/** A table of the result's `benchmarks` (its `performance` rows) under the element id `id`. */
export function benchmarkTable(id, benchmarks) {
  const rows = benchmarks.performance;
  const held = rows.find((r) => r.name === "equal_weight_held");
  const paper = rows.find((r) => r.name === "paper");
  const edge = held && paper ? paper.total_return - held.total_return : null;
  return h(
    "div",
    { className: "table-scroll", tabindex: "0" },
    h(
      "table",
      { id, className: "data" },
      h("caption", {}, `Beside it (Sharpe against a ${percent(benchmarks.risk_free_rate)} risk-free rate)`),
      h("thead", {}, h("tr", {}, ["", "Return", "CAGR", "Volatility", "Sharpe", "Max drawdown"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h("tr", { dataset: { line: r.name } }, [
            h("th", { scope: "row" }, r.label),
            ...[signedPercent(r.total_return), signedPercent(r.cagr), percent(r.volatility), ratio(r.sharpe), percent(r.max_drawdown)].map((c) => h("td", {}, c)),
          ]),
        ),
      ),
    ),
    edge === null
      ? null
      : h("p", { className: "hint", id: `${id}-edge` }, `The account is ${percent(Math.abs(edge))} ${edge >= 0 ? "ahead of" : "behind"} holding the same stocks equal-weighted (in return).`),
    ...Object.entries(benchmarks.missing).map(([, why]) => h("p", { className: "hint" }, `Left out: ${why}.`)),
  );
}

/** The benchmark series of a result's `values.benchmarks`, named as its rows name them. */
export function benchmarkSeries(benchmarks, values) {
  const labels = Object.fromEntries(benchmarks.performance.map((r) => [r.name, r.label]));
  return Object.fromEntries(Object.entries(values.benchmarks || {}).map(([name, v]) => [labels[name] || name, v]));
}
