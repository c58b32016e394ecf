// The results page of a succeeded optimization: configuration summary and explanation, charts
// (risk-return of all trials by scenario, scenario performance, risk per scenario), the risk
// report, a sortable paginated trials table, JSON/CSV downloads, the HTML report, the manifest.

import { api, errorText, openHtmlPage } from "./api.js";
import { groupedBars, panelBars, riskReturnChart } from "./charts.js";
import { clear, download, h, kvTable, showAlert } from "./dom.js";
import {
  benchmark,
  count,
  days,
  inWords,
  isHedged,
  isoDate,
  isoTime,
  limitOf,
  limitSentence,
  metric,
  metricLabel,
  parameter,
  parameterLabel,
  parameterValue,
  percent,
  ratio,
  scenario,
  signedPercent,
  usedParameters,
} from "./format.js";

/** A phrase with its first letter in capitals ("volatility target" -> "Volatility target"). */
export function capitalised(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** A winner's hedge in one line ("hedge protective put, put strike 95.00%, ..."), or null
 * when it has none. */
export function hedgeText(config) {
  if (!isHedged(config)) return null;
  return usedParameters(config)
    .filter((key) => key.startsWith("overlay"))
    .map((key) => (key === "overlay" ? parameterValue(key, config[key]) : parameter(key, config[key])))
    .join(", ");
}

/** The rows (label, value) of a configuration's parameters in words: those its results
 * depend on; the hedge's only when `hedge` (the Hedge card) or left out (the summary). */
function configRows(config, hedge) {
  return usedParameters(config)
    .filter((key) => key.startsWith("overlay") === hedge)
    .map((key) => [capitalised(parameterLabel(key)), parameterValue(key, config[key])]);
}

const PAGE_SIZES = [10, 20, 50, 100];
const CONFIG_COLUMNS = [
  "trial",
  "batch",
  "objective",
  "feasible",
  "target_vol",
  "weight_function",
  "lookback",
  "rebalance_every",
  "max_leverage",
  "risk_aversion",
  "steepness",
  "overlay",
  "overlay_strike",
  "overlay_tenor_days",
  "overlay_hedge_ratio",
  "overlay_budget",
];

function card(id, title, ...children) {
  return h(
    "section",
    { className: "card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    ...children,
  );
}

function chartBox(id, title, description) {
  return h(
    "figure",
    { className: "chart-box" },
    h("div", { id, className: "chart", role: "figure", "aria-label": `${title}: ${description}` }),
    h("figcaption", {}, h("strong", {}, title), ` ${description}`),
  );
}

/** The data a run used, in words: assets, the days of its returns and where the market data
 * ends (the result's `dataset`). */
function dataText(dataset) {
  if (!dataset) return "–";
  const source = dataset.provider ? `; market data ${dataset.provider} (version ${dataset.version}), which ends on ${dataset.data_end}` : "";
  return `${(dataset.assets || []).length} assets, daily returns ${dataset.start} to ${dataset.end}${source}`;
}

/** The rate the result's Sharpe ratios are in excess of (the winner's edge states it). */
function safeRateText(data) {
  const rate = data.edge && data.edge.safe_rate;
  return rate === undefined || rate === null ? "the request's safe rate" : `the request's ${(rate * 100).toFixed(2)}% safe rate`;
}

const METHODS = { tpe: "Bayesian (TPE)", random: "random", grid: "grid" };

/** A sentence with each job it names ("learnt from runs job_01…", "cold run job_01… (seed 0)")
 * a link to that job's page; a command line's run ids (run_…) stay text: they have no page. */
export function withJobLinks(text) {
  return String(text)
    .split(/\b(job_[0-9A-Za-z]+)\b/)
    .map((part, i) => (i % 2 ? h("a", { href: `#/jobs/${encodeURIComponent(part)}` }, h("code", {}, part)) : part));
}

/** The run in words: objective, risk check, trials (and why fewer than planned), how the search
 * started (cold, or from which strategy model and what that saved: the report's "Start" line),
 * search method, data, the safe rate. */
function runRows(data) {
  const summary = data.config_summary || {};
  return [
    ["Status", data.status === "partial" ? "partial: no candidate met every limit" : data.status],
    ["Objective", h("span", { id: "results-objective" }, `${ratio(summary.objective)}${summary.objective_name ? ` (${objectiveWords(summary.objective_name)})` : ""}`)],
    ["Risk check", inWords(summary.risk_verdict) || "n/a"],
    ["Trials", summary.max_trials ? `${count(summary.n_trials)} of ${count(summary.max_trials)}` : count(summary.n_trials)],
    ...(summary.winner_note ? [["Note", inWords(summary.winner_note)]] : []),
    ...(summary.start ? [["Start", h("span", { id: "results-start" }, withJobLinks(capitalised(inWords(summary.start))))]] : []),
    ["Search method", METHODS[summary.method] || String(summary.method || "–")],
    ["Data", h("span", { id: "results-data" }, dataText(data.dataset))],
    ["Sharpe ratios", h("span", { id: "results-sharpe" }, `in excess of ${safeRateText(data)}`)],
  ];
}

/** An objective's name in words: "1 x sharpe (scenario-weighted mean)" -> "Sharpe ratio
 * (scenario-weighted mean)" (a weight of 1 left out, each metric in the vocabulary's words). */
function objectiveWords(name) {
  return inWords(String(name).replace(/(^|, |\+ )1 x /g, "$1").replace(/\b([\d.]+) x /g, "$1 × "));
}

/** The market view of the analysis agent in words: its summary, the regimes it read and the
 * weight it gave each scenario. */
function marketView(view) {
  if (!view) return null;
  const weights = Object.entries(view.scenario_weights || {}).map(([name, w]) => `${scenario(name)} ${percent(w)}`);
  return h(
    "div",
    { id: "market-view" },
    h("h3", {}, "Market view"),
    view.summary || view.rationale ? h("p", {}, view.summary || view.rationale) : null,
    kvTable(
      [
        ...(view.return_regime ? [["Returns", `${view.return_regime.replace(/_/g, " ")} regime`]] : []),
        ...(view.volatility_regime ? [["Volatility", `${view.volatility_regime.replace(/_/g, " ")} regime`]] : []),
        ...(view.horizon ? [["Horizon", days(view.horizon)]] : []),
        ...(weights.length ? [["Scenario weights", weights.join(", ")]] : []),
      ],
      "What the market analysis read",
    ),
  );
}

function summaryCard(data) {
  const summary = data.config_summary || {};
  const config = summary.config || {};
  const explanation = data.explanation && data.explanation.text;
  return card(
    "config-summary",
    "Best configuration",
    h(
      "div",
      { className: "two-col" },
      kvTable(configRows(config, false), "The strategy"),
      kvTable(runRows(data), "The run"),
    ),
    h("h3", {}, "Explanation"),
    h("p", { id: "explanation", className: "explanation server-words" }, explanation ? inWords(explanation) : "No explanation was written."),
    data.warnings && data.warnings.length
      ? h(
          "div",
          { className: "warnings" },
          h("h3", {}, "Warnings"),
          h("ul", {}, data.warnings.map((w) => h("li", { className: "server-words" }, inWords(w)))),
        )
      : null,
    marketView(data.market_view),
  );
}

/** A hedge in a few words, e.g. "protective put 90.00%, 63 trading days" or "none". */
export function hedgeLabel(hedge) {
  const kind = hedge.overlay || "none";
  if (kind === "none") return "none";
  const strikes = [hedge.overlay_strike, hedge.overlay_lower_strike, hedge.overlay_call_strike].filter((v) => v !== undefined && v !== null);
  let text = `${parameterValue("overlay", kind)} ${strikes.map((v) => percent(v)).join("/")}, ${days(hedge.overlay_tenor_days)}`;
  if (hedge.overlay_hedge_ratio !== undefined && hedge.overlay_hedge_ratio !== 1) text += `, ${parameter("overlay_hedge_ratio", hedge.overlay_hedge_ratio)}`;
  if (hedge.overlay_budget !== null && hedge.overlay_budget !== undefined) text += `, ${parameter("overlay_budget", hedge.overlay_budget)}`;
  return text;
}

/** A numeric table cell that keeps the raw number beside its text. */
function numCell(value) {
  return h("td", { className: "num", dataset: { value: String(value) } }, percent(value));
}

function headRow(titles) {
  return h("thead", {}, h("tr", {}, titles.map((t) => h("th", { scope: "col" }, t))));
}

/** What the hedging tables' numbers mean: units and conventions (docs/hedging.md). */
const HEDGE_DEFINITIONS = [
  ["Premium / yr", "premiums paid for the options bought, in % of wealth per year"],
  ["Payoff / yr", "what the options returned (settlements, sales, options still held at the end), in % of wealth per year"],
  ["Carry / yr", "premium minus payoff: the hedge's net cost in % of wealth per year (negative when the options paid more than they cost)"],
  ["Max drawdown", "the largest fall from a peak of wealth over the horizon, a positive loss"],
  ["CVaR 95% (1d)", "the mean daily loss on the worst 5% of days, a positive loss"],
];

function definitions() {
  return h(
    "details",
    { id: "hedge-definitions", open: true },
    h("summary", {}, "Definitions (every number is a mean over the simulated paths)"),
    h("dl", { className: "definitions" }, HEDGE_DEFINITIONS.flatMap(([term, text]) => [h("dt", {}, term), h("dd", {}, text)])),
  );
}

/** The winner with and without its options, per scenario, on the same paths. */
function comparisonTable(comparison) {
  return h(
    "div",
    { className: "table-scroll", tabindex: "0" },
    h(
      "table",
      { id: "hedge-comparison", className: "data" },
      h("caption", {}, "The winner beside the same strategy without its options, on the same simulated paths (same seed)"),
      headRow([
        "Scenario",
        "Premium / yr",
        "Payoff / yr",
        "Carry / yr",
        "Max drawdown unhedged",
        "Max drawdown hedged",
        "CVaR 95% (1d) unhedged",
        "CVaR 95% (1d) hedged",
      ]),
      h(
        "tbody",
        {},
        Object.entries(comparison).map(([name, sides]) =>
          h(
            "tr",
            { dataset: { scenario: name } },
            h("th", { scope: "row" }, scenario(name)),
            numCell(sides.hedged.hedge_premium),
            numCell(sides.hedged.hedge_payoff),
            numCell(sides.hedged.hedge_carry),
            numCell(sides.unhedged.max_drawdown),
            numCell(sides.hedged.max_drawdown),
            numCell(sides.unhedged.cvar_95, 2),
            numCell(sides.hedged.cvar_95, 2),
          ),
        ),
      ),
    ),
  );
}

/** The unhedged trial closest to the limits beside the cheapest hedged trials meeting them. */
function tradeoffTable(hedging, winnerTrial) {
  return h(
    "div",
    { className: "table-scroll", tabindex: "0" },
    h(
      "table",
      { id: "hedge-tradeoff", className: "data" },
      h(
        "caption",
        {},
        `Trade-off in the ${scenario(hedging.scenario)} scenario: the unhedged trial closest to the risk limits beside the cheapest hedged trials that meet them`,
      ),
      headRow(["Trial", "Hedge", "Premium / yr", "Carry / yr", "Max drawdown", "CVaR 95% (1d)", "Meets limits", "Objective"]),
      h(
        "tbody",
        {},
        hedging.tradeoff.map((row) =>
          h(
            "tr",
            { dataset: { trial: row.trial } },
            h("th", { scope: "row" }, `${row.trial}${row.trial === winnerTrial ? " (winner)" : ""}`),
            h("td", { className: "text" }, hedgeLabel(row.overlay)),
            numCell(row.hedge_premium),
            numCell(row.hedge_carry),
            numCell(row.max_drawdown),
            numCell(row.cvar_95, 2),
            h("td", { className: "text" }, row.feasible ? "yes" : "no"),
            h("td", { className: "num", dataset: { value: String(row.objective) } }, ratio(row.objective)),
          ),
        ),
      ),
    ),
  );
}

/** The winner's option hedge and what it bought: the winner with and without its options per
 * scenario, and the trade-off between unhedged and hedged trials (`Results.hedging`, fractions
 * of wealth a year and positive losses, shown as percentages). Null when the search space held
 * no hedge and the winner none either. */
function hedgeCard(data) {
  const summary = data.config_summary || {};
  const config = summary.config || {};
  const hedging = data.hedging;
  const searched = (((summary.search_space || {}).overlay || {}).choices || []).filter((k) => k !== "none");
  if (!hedging && (!config.overlay || config.overlay === "none")) return null;
  const parts = [];
  if (hedging && hedging.required) {
    const r = hedging.required;
    parts.push(
      h("p", { id: "hedge-required" }, h("strong", {}, "Hedge required "), `from round ${r.round + 1} (${inWords(r.constraint)}): ${inWords(r.reason || "")}`),
    );
  }
  if (config.overlay && config.overlay !== "none") {
    const rows = configRows(config, true);
    parts.push(h("div", { id: "hedge-winner" }, kvTable(rows, "The winner's option hedge")));
  } else {
    const tried = searched.length ? `; the search also tried ${searched.map((k) => parameterValue("overlay", k)).join(", ")}` : "";
    parts.push(h("p", { id: "hedge-unhedged" }, `The winner holds no option hedge, so there is nothing to compare it with${tried}.`));
  }
  if (hedging && hedging.comparison && Object.keys(hedging.comparison).length) {
    parts.push(h("h3", {}, "Hedged vs unhedged"), comparisonTable(hedging.comparison));
  }
  if (hedging && hedging.tradeoff && hedging.tradeoff.length) {
    parts.push(h("h3", {}, "Trade-off"), tradeoffTable(hedging, (data.best || {}).trial));
  } else if (hedging) {
    parts.push(h("p", { id: "hedge-tradeoff-none" }, "No trade-off to show: no unhedged trial and no hedged trial meeting the limits."));
  }
  if (hedging && hedging.n_hedged_trials && !hedging.n_hedged_feasible) {
    parts.push(h("p", { id: "hedge-none-feasible" }, `None of the ${hedging.n_hedged_trials} hedged trials met the risk limits.`));
  }
  if (hedging && (hedging.comparison || (hedging.tradeoff && hedging.tradeoff.length))) parts.push(definitions());
  return card("hedge", "Hedge", ...parts);
}

/** The benchmarks beside the winner, captioned with what they compare (the API's
 * `benchmark_note`: the market index only when it is there, else why it is left out, and the
 * safe rate of the Sharpe ratios). */
function benchmarkTable(rows, note) {
  return h("div", { className: "table-scroll", tabindex: "0" }, h(
    "table",
    { id: "benchmark-table", className: "data" },
    h("caption", {}, `${inWords(note) || ""} Metrics are means over paths.`.trim()),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Scenario", "Strategy", "Sharpe", "CAGR", "Max drawdown", "CVaR 95%"].map((t) =>
          h("th", { scope: "col" }, t),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          { dataset: { strategy: r.strategy } },
          h("th", { scope: "row" }, scenario(r.scenario)),
          h("td", {}, r.label),
          h("td", {}, ratio(r.sharpe)),
          h("td", {}, signedPercent(r.cagr)),
          h("td", {}, percent(r.max_drawdown)),
          h("td", {}, percent(r.cvar_95)),
        ),
      ),
    ),
  ));
}

function riskTable(rows) {
  return h("div", { className: "table-scroll", tabindex: "0" }, h(
    "table",
    { id: "risk-table", className: "data" },
    h("caption", {}, "Best configuration, mean over paths; daily VaR and CVaR at 95%, losses positive"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Scenario", "VaR 95%", "CVaR 95%", "Max drawdown"].map((t) => h("th", { scope: "col" }, t)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, scenario(r.scenario)),
          h("td", {}, percent(r.var_95)),
          h("td", {}, percent(r.cvar_95)),
          h("td", {}, percent(r.max_drawdown)),
        ),
      ),
    ),
  ));
}

/** A trials-table column in words: a parameter, a metric of a scenario, the trial's own. */
function columnLabel(key) {
  const own = { trial: "trial", batch: "batch", objective: "objective", feasible: "meets the limits" };
  if (own[key]) return own[key];
  if (key.includes(".")) return metricLabel(key);
  return parameterLabel(key);
}

/** A trials-table cell in its column's format. */
function cell(key, value) {
  if (key === "trial" || key === "batch") return count(value);
  if (key === "objective") return ratio(value);
  if (key === "feasible") return value ? "yes" : "no";
  if (key.includes(".")) return metric(key, value);
  return parameterValue(key, value);
}

/** The trials table: server-side sorting (click a column header) and cursor pagination. */
class TrialsTable {
  constructor(jobId, first, scenarios) {
    this.jobId = jobId;
    this.sort = null;
    this.order = "desc";
    this.limit = 20;
    this.cursors = [null]; // cursor of each page seen so far
    this.page = 0;
    this.total = first.total;
    const keys = first.items.length ? Object.keys(first.items[0]) : CONFIG_COLUMNS;
    this.columns = [
      ...CONFIG_COLUMNS.filter((c) => keys.includes(c)),
      ...scenarios.flatMap((s) => [`${s}.sharpe`, `${s}.max_drawdown`]).filter((c) => keys.includes(c)),
    ];
    this.status = h("p", { id: "trials-status", className: "hint", "aria-live": "polite" });
    this.head = h("thead");
    this.body = h("tbody");
    this.prev = h("button", { type: "button", id: "trials-prev", className: "secondary" }, "Previous page");
    this.next = h("button", { type: "button", id: "trials-next", className: "secondary" }, "Next page");
    this.size = h(
      "select",
      { id: "trials-page-size" },
      PAGE_SIZES.map((n) => h("option", { value: n, selected: n === this.limit }, String(n))),
    );
    this.prev.addEventListener("click", () => this.go(this.page - 1));
    this.next.addEventListener("click", () => this.go(this.page + 1));
    this.size.addEventListener("change", () => {
      this.limit = Number(this.size.value);
      this.reset();
    });
    this.element = h(
      "div",
      {},
      h(
        "div",
        { className: "table-scroll", tabindex: "0" },
        h(
          "table",
          { id: "trials-table", className: "data sortable" },
          h("caption", {}, "All trials; choose a column header to sort by it"),
          this.head,
          this.body,
        ),
      ),
      h(
        "div",
        { className: "pager" },
        this.prev,
        this.status,
        this.next,
        h("label", { for: "trials-page-size" }, "Rows per page"),
        this.size,
      ),
    );
    this.nextCursor = first.next_cursor;
    this.renderHead();
    this.renderRows(first.items);
  }

  renderHead() {
    clear(this.head).append(
      h(
        "tr",
        {},
        this.columns.map((key) => {
          const active = this.sort === key;
          const sort = active ? (this.order === "asc" ? "ascending" : "descending") : "none";
          const arrow = active ? (this.order === "asc" ? " ▲" : " ▼") : "";
          return h(
            "th",
            { scope: "col", "aria-sort": sort },
            h(
              "button",
              {
                type: "button",
                className: "sort",
                dataset: { sort: key },
                onclick: () => this.sortBy(key),
              },
              columnLabel(key),
              h("span", { "aria-hidden": "true" }, arrow),
            ),
          );
        }),
      ),
    );
  }

  renderRows(items) {
    clear(this.body).append(
      ...items.map((row) =>
        h(
          "tr",
          { dataset: { trial: row.trial } },
          this.columns.map((key) => h("td", {}, cell(key, row[key]))),
        ),
      ),
    );
    const start = this.page * this.limit;
    this.status.textContent = items.length
      ? `Trials ${start + 1}–${start + items.length} of ${this.total}`
      : "No trials";
    this.prev.disabled = this.page === 0;
    this.next.disabled = !this.nextCursor;
  }

  sortBy(key) {
    if (this.sort === key) this.order = this.order === "desc" ? "asc" : "desc";
    else {
      this.sort = key;
      this.order = key === "trial" || key === "batch" ? "asc" : "desc";
    }
    this.renderHead();
    this.reset().then(() => {
      const button = this.head.querySelector(`button[data-sort="${CSS.escape(key)}"]`);
      if (button) button.focus();
    });
  }

  reset() {
    this.cursors = [null];
    this.page = 0;
    return this.go(0);
  }

  async go(page) {
    if (page < 0) return;
    if (page > this.cursors.length - 1) this.cursors.push(this.nextCursor);
    const params = new URLSearchParams({ limit: String(this.limit) });
    const cursor = this.cursors[page];
    if (cursor) params.set("cursor", cursor);
    if (this.sort) {
      params.set("sort", this.sort);
      params.set("order", this.order);
    }
    try {
      const data = await api(`/v1/optimizations/${encodeURIComponent(this.jobId)}/results?${params}`);
      this.page = page;
      this.cursors.length = page + 1;
      this.nextCursor = data.trials.next_cursor;
      this.total = data.trials.total;
      this.renderRows(data.trials.items);
    } catch (err) {
      showAlert(errorText(err));
    }
  }
}

/** Every trial (all pages) of the job. */
async function allTrials(jobId) {
  const rows = [];
  let cursor = null;
  for (;;) {
    const params = new URLSearchParams({ limit: "500" });
    if (cursor) params.set("cursor", cursor);
    const data = await api(`/v1/optimizations/${encodeURIComponent(jobId)}/results?${params}`);
    rows.push(...data.trials.items);
    cursor = data.trials.next_cursor;
    if (!cursor) return { data, rows };
  }
}

function csvValue(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Trials as CSV: one row per trial, columns the union of the trials' keys (trial first). */
export function trialsCsv(rows) {
  const keys = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
  const ordered = [
    ...CONFIG_COLUMNS.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !CONFIG_COLUMNS.includes(k)).sort(),
  ];
  const lines = [ordered.join(",")];
  for (const row of rows) lines.push(ordered.map((k) => csvValue(row[k])).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** The benchmarks the winner does not beat on the objective (the same objective scored on
 * the same paths): [{name, words, score}], highest first, from the result's
 * `benchmark_verdict` (its `below`), else from `edge.scores`. Empty when it beats them all or
 * none could be scored. */
export function benchmarksNotBeaten(data) {
  const verdict = data.benchmark_verdict;
  if (verdict && Array.isArray(verdict.below)) {
    const rows = Object.fromEntries((verdict.benchmarks || []).map((r) => [r.name, r]));
    return verdict.below.map((name) => ({ name, words: (rows[name] && rows[name].label) || benchmark(name), score: rows[name] ? rows[name].score : null }));
  }
  const edge = data.edge;
  if (!edge || !edge.scores || edge.winner === undefined || edge.winner === null) return [];
  return Object.entries(edge.scores)
    .filter(([, score]) => score !== null && !(edge.winner > score))
    .sort((a, b) => b[1] - a[1])
    .map(([name, score]) => ({ name, words: benchmark(name), score }));
}

/** The risk limits of the winner in words, each with the statistic it is checked on and the
 * value found in its worst scenario ("max drawdown ≤ 35.00% in 95% of bear paths: 19.03%"). */
function limitLines(best) {
  return ((best && best.limits) || []).map((row) => {
    const found = limitOf({ limit: row.limit, statistic: row.statistic || "mean" });
    const worst = row.worst_scenario || null;
    const value = worst && row.values ? row.values[worst] : null;
    const where = worst ? `${limitSentence(row.metric, found.limit, found.statistic, worst, value)}` : limitSentence(row.metric, found.limit, found.statistic);
    return h("li", { dataset: { met: row.met ? "yes" : "no" } }, `${row.met ? "Met" : "Not met"}: ${where}${worst ? " (its worst scenario)" : ""}.`);
  });
}

/** The first words of the results: whether the winner beats its benchmarks, its risk limits
 * in words with their statistic, and why the run stopped when it stopped early. */
function verdictCard(data) {
  const summary = data.config_summary || {};
  const edge = data.edge || {};
  const verdict = data.benchmark_verdict || null;
  const below = benchmarksNotBeaten(data);
  const scores = edge.scores || {};
  const parts = [];
  if (below.length) {
    parts.push(
      h(
        "p",
        { id: "results-below-benchmarks", className: "verdict verdict-warn", role: "note" },
        h("strong", {}, "The winner does not beat its benchmarks. "),
        verdict && verdict.words
          ? `${inWords(verdict.words)} `
          : `Its objective is ${ratio(edge.winner)}, against ${below.map((b) => `${b.words} ${ratio(b.score)}`).join(", ")} on the same simulated paths: holding the stocks did as well. `,
        "Deploying it asks for your confirmation.",
      ),
    );
  } else if ((verdict && verdict.beats) || Object.keys(scores).length) {
    parts.push(
      h(
        "p",
        { id: "results-beats-benchmarks", className: "verdict verdict-ok" },
        verdict && verdict.words
          ? inWords(verdict.words)
          : `The winner beats every benchmark on the objective: ${ratio(edge.winner)} against ${Object.entries(scores).map(([n, v]) => `${benchmark(n)} ${ratio(v)}`).join(", ")}.`,
      ),
    );
  }
  const limits = limitLines(data.best);
  if (limits.length) parts.push(h("h3", {}, "Risk limits"), h("ul", { id: "results-limits" }, limits));
  if (summary.max_trials && summary.n_trials < summary.max_trials) {
    parts.push(
      h(
        "p",
        { id: "results-stopped" },
        h("strong", {}, `Stopped at ${count(summary.n_trials)} of ${count(summary.max_trials)} trials: `),
        summary.stop_reason ? inWords(summary.stop_reason.replace(/^\d+ of \d+ trials: /, "")) : "the run recorded no reason.",
      ),
    );
  }
  return parts.length ? card("verdict", "In short", ...parts) : null;
}

/** The Deploy action: the primary action when the winner beats its benchmarks; otherwise a
 * secondary one that asks for a confirmation first (the deployment form asks again). */
function deployAction(jobId, below) {
  const href = `#/deployments/new/${encodeURIComponent(jobId)}`;
  if (!below.length) return [h("a", { href, id: "deploy-to-paper", className: "button" }, "Deploy to paper")];
  const confirmBox = h(
    "div",
    { id: "deploy-confirm", className: "confirm", role: "group", "aria-labelledby": "deploy-confirm-text", hidden: true },
    h("p", { id: "deploy-confirm-text" }, `The winner does not beat ${below.map((b) => b.words).join(" or ")} on its objective. Deploy it to paper anyway?`),
    h(
      "div",
      { className: "actions" },
      h("a", { href: `${href}/confirmed`, id: "deploy-confirmed", className: "button secondary" }, "Yes, deploy it anyway"),
      h("button", { type: "button", id: "deploy-cancel", className: "secondary", onclick: () => { confirmBox.hidden = true; open.focus(); } }, "No, keep it"),
    ),
  );
  const open = h(
    "button",
    {
      type: "button",
      id: "deploy-to-paper",
      className: "secondary",
      "aria-expanded": "false",
      "aria-controls": "deploy-confirm",
      onclick: () => {
        confirmBox.hidden = false;
        open.setAttribute("aria-expanded", "true");
        confirmBox.querySelector("#deploy-cancel").focus();
      },
    },
    "Deploy to paper…",
  );
  return [open, confirmBox];
}

/** The run manifest in words: when, the code and model, the data (its hash), budgets, the
 * packages and the prompts' hashes. */
function manifestRows(manifest) {
  if (!manifest) return [];
  const budgets = manifest.budgets || {};
  const data = manifest.dataset || {};
  const short = (hash) => (hash ? String(hash).slice(0, 12) : "n/a");
  return [
    ["Run", `${isoTime(manifest.created_at)} to ${isoTime(manifest.finished_at)}`],
    ["Code", `commit ${short(manifest.git_commit)}`],
    ["Models", `${manifest.model_provider || "n/a"}${manifest.model_ids ? `: ${Object.values(manifest.model_ids).join(", ")}` : ""}`],
    ["Data", `${count(data.n_columns)} assets, ${count(data.n_rows)} days, ${isoDate(data.start)} to ${isoDate(data.end)}, fingerprint ${short(data.sha256)}`],
    ["Budget", `${count(budgets.max_trials)} trials in batches of ${count(budgets.batch_size)}, ${count(budgets.max_wall_seconds)} seconds, ${count(budgets.max_llm_tokens)} model tokens`],
    ["Request fingerprint", short(manifest.request_hash)],
    ["Packages", Object.entries(manifest.package_versions || {}).map(([name, v]) => `${name} ${v}`).join(", ")],
    ["Prompts", Object.entries(manifest.prompt_hashes || {}).map(([name, v]) => `${name.replace(/_/g, " ")} ${short(v)}`).join(", ")],
  ];
}

function downloadsCard(jobId, below) {
  const status = h("p", { id: "report-status", className: "hint", role: "status" });
  const busy = async (button, work) => {
    button.disabled = true;
    status.textContent = "Preparing…";
    try {
      await work();
      if (status.textContent === "Preparing…") status.textContent = "";
    } catch (err) {
      status.textContent = errorText(err);
    } finally {
      button.disabled = false;
    }
  };
  const jsonButton = h("button", { type: "button", id: "download-json", className: "secondary" }, "Download JSON");
  const csvButton = h("button", { type: "button", id: "download-csv", className: "secondary" }, "Download trials CSV");
  const reportButton = h("button", { type: "button", id: "open-report" }, "Open HTML report");
  jsonButton.addEventListener("click", () =>
    busy(jsonButton, async () => {
      const { data, rows } = await allTrials(jobId);
      const full = { ...data, trials: { items: rows, next_cursor: null, total: rows.length } };
      download(`${jobId}-results.json`, JSON.stringify(full, null, 2), "application/json");
    }),
  );
  csvButton.addEventListener("click", () =>
    busy(csvButton, async () => {
      const { rows } = await allTrials(jobId);
      download(`${jobId}-trials.csv`, trialsCsv(rows), "text/csv");
    }),
  );
  reportButton.addEventListener("click", () =>
    busy(reportButton, async () => {
      // the report needs the credential: fetched here, written into a tab of its own
      try {
        await openHtmlPage(`/v1/optimizations/${encodeURIComponent(jobId)}/report`);
      } catch (err) {
        if (err.status === 404) {
          status.textContent = `The HTML report is not available on this server (404: ${err.message}).`;
          return;
        }
        throw err;
      }
      status.textContent = "The report opened in a new tab.";
    }),
  );
  return card(
    "downloads",
    "Downloads and report",
    h("div", { className: "actions" }, reportButton, jsonButton, csvButton, ...deployAction(jobId, below)),
    status,
  );
}

/** Render the results of `jobId` (the first page of `GET .../results`) into `container`; the
 * verdict (benchmarks, limits, why it stopped) into `verdictSlot` when given (the job page
 * shows it first), else first in `container`. */
export function renderResults(container, jobId, data, verdictSlot = null) {
  clear(container);
  if (verdictSlot) {
    const verdict = verdictCard(data);
    clear(verdictSlot);
    if (verdict) verdictSlot.append(verdict);
  }
  const charts = data.charts;
  const scenarios = Object.keys(charts.risk_return);
  const table = new TrialsTable(jobId, data.trials, scenarios);
  const below = benchmarksNotBeaten(data);
  const cards = [
    verdictSlot ? null : verdictCard(data),
    summaryCard(data),
    hedgeCard(data),
    card(
      "charts",
      "Trials and scenarios",
      h(
        "div",
        { className: "chart-grid" },
        chartBox("chart-risk-return", "Risk and return of every trial", "annualised volatility against CAGR, coloured by scenario."),
        chartBox("chart-scenarios", "Scenario performance", `the best configuration's mean Sharpe ratio (in excess of ${safeRateText(data)}), CAGR and volatility per scenario.`),
      ),
    ),
    card(
      "risk",
      "Risk report per scenario",
      h(
        "div",
        { className: "chart-grid" },
        riskTable(charts.risk),
        chartBox("chart-risk", "Risk per scenario", "daily VaR and CVaR at 95% and the maximum drawdown (losses)."),
      ),
    ),
    data.benchmarks && data.benchmarks.length
      ? card(
          "benchmarks",
          "Compared with unmanaged holdings",
          ...(data.edge && data.edge.words ? [h("p", { id: "benchmark-edge", className: "server-words" }, inWords(data.edge.words))] : []),
          benchmarkTable(data.benchmarks, data.benchmark_note),
        )
      : null,
    card("trials", "Trials", table.element),
    downloadsCard(jobId, below),
    card(
      "manifest",
      "Run manifest",
      h(
        "details",
        {},
        h("summary", {}, "Versions, data, prompts and budgets of this run"),
        h("div", { id: "manifest-table", dataset: { requestHash: (data.manifest || {}).request_hash || "" } }, kvTable(manifestRows(data.manifest), "What reproduces this run")),
      ),
    ),
  ];
  container.append(...cards.filter(Boolean));
  riskReturnChart(document.getElementById("chart-risk-return"), charts.risk_return, scenario);
  const named = (rows) => rows.map((r) => ({ ...r, scenario: scenario(r.scenario) }));
  panelBars(document.getElementById("chart-scenarios"), named(charts.scenario_bars), "scenario", [
    { title: "Sharpe ratio", format: ".1f", hover: ".2f", metrics: [["sharpe", "Sharpe ratio"]] },
    {
      title: "per year",
      format: ".0%",
      hover: ".2%",
      metrics: [
        ["cagr", "CAGR"],
        ["volatility", "volatility"],
      ],
    },
  ]);
  groupedBars(
    document.getElementById("chart-risk"),
    named(charts.risk),
    "scenario",
    [
      ["var_95", "VaR 95%"],
      ["cvar_95", "CVaR 95%"],
      ["max_drawdown", "max drawdown"],
    ],
    "loss",
    ".0%",
    ".2%",
  );
}
