// The results page of a succeeded optimization: configuration summary and explanation, charts
// (risk-return of all trials by scenario, scenario performance, risk per scenario), the risk
// report, a sortable paginated trials table, JSON/CSV downloads, the HTML report, the manifest.

import { api, apiRaw, errorText } from "./api.js";
import { groupedBars, panelBars, riskReturnChart } from "./charts.js";
import { clear, download, fmt, fmtPct, h, kvTable, showAlert } from "./dom.js";

const CONFIG_LABELS = {
  target_vol: ["Target volatility", fmtPct],
  weight_function: ["Weight function", fmt],
  lookback: ["Lookback window, days", fmt],
  rebalance_every: ["Rebalance every, days", fmt],
  max_leverage: ["Maximum leverage", fmt],
  risk_aversion: ["Risk aversion", fmt],
  steepness: ["Sigmoid steepness", fmt],
  cost_bps: ["Costs, bps", fmt],
  sleeve: ["Risky sleeve", fmt],
  overlay: ["Hedge", (v) => HEDGE_NAMES[v] || fmt(v)],
};

const HEDGE_NAMES = {
  none: "none",
  put: "protective put",
  put_spread: "put spread",
  collar: "collar",
};

const ROLL_NAMES = {
  expiry: "at expiry",
  band: "at expiry or at the band",
  delta: "at expiry or at the delta band",
};

/** The hedge fields of a winner (StrategyConfig's `overlay` fields), as shown (label, format),
 * in this order. */
const HEDGE_LABELS = [
  ["overlay", "Hedge", (v) => HEDGE_NAMES[v] || fmt(v)],
  ["overlay_strike", "Bought put strike", fmtPct],
  ["overlay_lower_strike", "Sold put strike", fmtPct],
  ["overlay_call_strike", "Sold call strike", fmtPct],
  ["overlay_tenor_days", "Tenor, trading days", fmt],
  ["overlay_roll", "Roll", (v) => ROLL_NAMES[v] || "at expiry"],
  ["overlay_roll_band", "Roll band (± moneyness)", fmtPct],
  ["overlay_roll_delta_band", "Delta band (± delta)", fmt],
  ["overlay_hedge_ratio", "Hedge ratio", fmt],
  ["overlay_budget", "Annual budget cap", (v) => (v === null || v === undefined ? "no cap" : `${fmtPct(v)} of wealth`)],
];

/** Hedge fields the winner's hedge does not read (as StrategyConfig.unused_parameters). */
function unusedHedgeFields(config) {
  const unused = new Set();
  if (config.overlay !== "put_spread") unused.add("overlay_lower_strike");
  if (config.overlay !== "collar") unused.add("overlay_call_strike");
  if (config.overlay_roll !== "band") unused.add("overlay_roll_band");
  if (config.overlay_roll !== "delta") unused.add("overlay_roll_delta_band");
  return unused;
}

/** A winner's hedge in one line ("protective put; Bought put strike 95%; ..."), or null
 * when it has none. */
export function hedgeText(config) {
  if (!config || !config.overlay || config.overlay === "none") return null;
  const unused = unusedHedgeFields(config);
  return HEDGE_LABELS.filter(([key]) => key in config && !unused.has(key))
    .map(([key, label, format]) => (key === "overlay" ? format(config[key]) : `${label.toLowerCase()} ${format(config[key])}`))
    .join("; ");
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
const PERCENT_COLUMNS = /(^target_vol$|^overlay_(strike|budget)$|\.(cagr|volatility|max_drawdown|var_95|cvar_95)$)/;

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
    h("div", { id, className: "chart", role: "img", "aria-label": `${title}: ${description}` }),
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

function summaryCard(data) {
  const summary = data.config_summary || {};
  const config = summary.config || {};
  const rows = [
    ["Status", data.status],
    ["Objective", `${fmt(summary.objective)}${summary.objective_name ? ` (${summary.objective_name})` : ""}`],
    ["Risk check", summary.risk_verdict || "-"],
    ["Trials", summary.max_trials ? `${fmt(summary.n_trials)} of ${fmt(summary.max_trials)}` : fmt(summary.n_trials)],
    ...(summary.stop_reason ? [["Stopped because", summary.stop_reason]] : []),
    ...(summary.feasibility ? [["Feasible means", summary.feasibility.replace(/^feasible: /, "")]] : []),
    ...(summary.winner_note ? [["Note", summary.winner_note]] : []),
    ["Search method", fmt(summary.method)],
    ["Data", h("span", { id: "results-data" }, dataText(data.dataset))],
    ["Sharpe ratios", h("span", { id: "results-sharpe" }, `in excess of ${safeRateText(data)}`)],
  ];
  // the hedge's own fields are in the Hedge card
  const configRows = Object.entries(config).filter(([key]) => !key.startsWith("overlay_")).map(([key, value]) => {
    const [label, format] = CONFIG_LABELS[key] || [key, fmt];
    return [label, format(value)];
  });
  const explanation = data.explanation && data.explanation.text;
  const view = data.market_view;
  return card(
    "config-summary",
    "Best configuration",
    h(
      "div",
      { className: "two-col" },
      kvTable(rows, "Run"),
      kvTable(configRows, "Configuration"),
    ),
    h("h3", {}, "Explanation"),
    h("p", { id: "explanation", className: "explanation" }, explanation || "No explanation was written."),
    data.warnings && data.warnings.length
      ? h(
          "div",
          { className: "warnings" },
          h("h3", {}, "Warnings"),
          h("ul", {}, data.warnings.map((w) => h("li", {}, w))),
        )
      : null,
    view
      ? h(
          "details",
          {},
          h("summary", {}, "Market view of the analysis agent"),
          view.rationale || view.summary ? h("p", {}, view.rationale || view.summary) : null,
          h("pre", { className: "json" }, JSON.stringify(view, null, 2)),
        )
      : null,
  );
}

/** A fraction as a percentage with a fixed number of decimals ("6.20%"), as the reports print it. */
function pctFixed(value, digits) {
  return value === null || value === undefined || !Number.isFinite(value) ? "–" : `${(value * 100).toFixed(digits)}%`;
}

/** A hedge in a few words, e.g. "put 90% 63d" or "none" (as the reports label it). */
export function hedgeLabel(hedge) {
  const kind = hedge.overlay || "none";
  if (kind === "none") return "none";
  let text = `${kind} ${(hedge.overlay_strike * 100).toFixed(0)}%`;
  if ("overlay_lower_strike" in hedge) text += `/${(hedge.overlay_lower_strike * 100).toFixed(0)}%`;
  if ("overlay_call_strike" in hedge) text += `/${(hedge.overlay_call_strike * 100).toFixed(0)}%`;
  text += ` ${hedge.overlay_tenor_days}d`;
  if (hedge.overlay_hedge_ratio !== undefined && hedge.overlay_hedge_ratio !== 1) text += ` x${hedge.overlay_hedge_ratio}`;
  if (hedge.overlay_budget !== null && hedge.overlay_budget !== undefined) text += ` cap ${pctFixed(hedge.overlay_budget, 1)}/yr`;
  return text;
}

/** A numeric table cell that keeps the raw number beside its text. */
function numCell(value, digits) {
  return h("td", { className: "num", dataset: { value: String(value) } }, pctFixed(value, digits));
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
    { className: "table-scroll" },
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
            h("th", { scope: "row" }, name),
            numCell(sides.hedged.hedge_premium, 2),
            numCell(sides.hedged.hedge_payoff, 2),
            numCell(sides.hedged.hedge_carry, 2),
            numCell(sides.unhedged.max_drawdown, 1),
            numCell(sides.hedged.max_drawdown, 1),
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
    { className: "table-scroll" },
    h(
      "table",
      { id: "hedge-tradeoff", className: "data" },
      h(
        "caption",
        {},
        `Trade-off in the ${hedging.scenario} scenario: the unhedged trial closest to the risk limits beside the cheapest hedged trials that meet them`,
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
            numCell(row.hedge_premium, 2),
            numCell(row.hedge_carry, 2),
            numCell(row.max_drawdown, 1),
            numCell(row.cvar_95, 2),
            h("td", { className: "text" }, row.feasible ? "yes" : "no"),
            h("td", { className: "num", dataset: { value: String(row.objective) } }, row.objective.toFixed(4)),
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
      h("p", { id: "hedge-required" }, h("strong", {}, "Hedge required "), `from round ${r.round + 1} (${r.constraint}): ${r.reason || ""}`),
    );
  }
  if (config.overlay && config.overlay !== "none") {
    const unused = unusedHedgeFields(config);
    const rows = HEDGE_LABELS.filter(([key]) => key in config && !unused.has(key)).map(([key, label, format]) => [label, format(config[key])]);
    parts.push(h("div", { id: "hedge-winner" }, kvTable(rows, "The winner's option hedge")));
  } else {
    const tried = searched.length ? `; the search also tried ${searched.map((k) => HEDGE_NAMES[k] || k).join(", ")}` : "";
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
  return h(
    "table",
    { id: "benchmark-table", className: "data" },
    h("caption", {}, `${note || ""} Metrics are means over paths.`.trim()),
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
          h("th", { scope: "row" }, r.scenario),
          h("td", {}, r.label),
          h("td", {}, fmt(r.sharpe)),
          h("td", {}, fmtPct(r.cagr)),
          h("td", {}, fmtPct(r.max_drawdown)),
          h("td", {}, fmtPct(r.cvar_95)),
        ),
      ),
    ),
  );
}

function riskTable(rows) {
  return h(
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
          h("th", { scope: "row" }, r.scenario),
          h("td", {}, fmtPct(r.var_95)),
          h("td", {}, fmtPct(r.cvar_95)),
          h("td", {}, fmtPct(r.max_drawdown)),
        ),
      ),
    ),
  );
}

function columnLabel(key) {
  return key.replace(/_/g, " ");
}

function cell(key, value) {
  if (typeof value === "number" && PERCENT_COLUMNS.test(key)) return fmtPct(value);
  return fmt(value);
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
        { className: "table-scroll" },
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

function downloadsCard(jobId) {
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
  const deployLink = h(
    "a",
    { href: `#/deployments/new/${encodeURIComponent(jobId)}`, id: "deploy-to-paper", className: "button" },
    "Deploy to paper",
  );
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
      // the report needs the API key, so it is fetched and opened from a local blob
      const tab = window.open("", "_blank");
      let response;
      try {
        response = await apiRaw(`/v1/optimizations/${encodeURIComponent(jobId)}/report`);
      } catch (err) {
        if (tab) tab.close();
        if (err.status === 404) {
          status.textContent = `The HTML report is not available on this server (404: ${err.message}).`;
          return;
        }
        throw err;
      }
      const html = await response.text();
      const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
      if (tab) tab.location.href = url;
      else window.location.assign(url);
      status.textContent = "The report opened in a new tab.";
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }),
  );
  return card(
    "downloads",
    "Downloads and report",
    h("div", { className: "actions" }, jsonButton, csvButton, reportButton, deployLink),
    status,
  );
}

/** Render the results of `jobId` (the first page of `GET .../results`) into `container`. */
export function renderResults(container, jobId, data) {
  clear(container);
  const charts = data.charts;
  const scenarios = Object.keys(charts.risk_return);
  const table = new TrialsTable(jobId, data.trials, scenarios);
  const cards = [
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
          ...(data.edge && data.edge.words ? [h("p", { id: "benchmark-edge" }, data.edge.words)] : []),
          benchmarkTable(data.benchmarks, data.benchmark_note),
        )
      : null,
    card("trials", "Trials", table.element),
    downloadsCard(jobId),
    card(
      "manifest",
      "Run manifest",
      h(
        "details",
        {},
        h("summary", {}, "Versions, data, prompts and budgets of this run"),
        h("pre", { id: "manifest-json", className: "json" }, JSON.stringify(data.manifest, null, 2)),
      ),
    ),
  ];
  container.append(...cards.filter(Boolean));
  riskReturnChart(document.getElementById("chart-risk-return"), charts.risk_return);
  panelBars(document.getElementById("chart-scenarios"), charts.scenario_bars, "scenario", [
    { title: "Sharpe ratio", format: "", metrics: [["sharpe", "Sharpe ratio"]] },
    {
      title: "per year",
      format: ".0%",
      metrics: [
        ["cagr", "CAGR"],
        ["volatility", "volatility"],
      ],
    },
  ]);
  groupedBars(
    document.getElementById("chart-risk"),
    charts.risk,
    "scenario",
    [
      ["var_95", "VaR 95%"],
      ["cvar_95", "CVaR 95%"],
      ["max_drawdown", "max drawdown"],
    ],
    "loss",
    ".1%",
  );
}
