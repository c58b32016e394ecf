// The optimization form: the strategy configuration's search space, scenarios, objective, risk
// limits and budget, submitted to POST /v1/optimizations (an OptimizationRequest).

import { api, errorText } from "./api.js";
import { clearFieldErrors, h, markField, showAlert } from "./dom.js";
import { count } from "./format.js";
import { startOptimization } from "./job.js";
import { fillLimitFields, limitFields, limitsFromFields } from "./limits.js";
import { staleDataNotice } from "./market.js";

const SCENARIOS = [
  ["bull", "Bull"],
  ["bear", "Bear"],
  ["high_vol", "High volatility"],
  ["low_vol", "Low volatility"],
  ["base", "Base (history as it was)"],
];

const WEIGHT_FUNCTIONS = [
  ["inverse_vol", "Inverse volatility"],
  ["sigmoid", "Sigmoid"],
  ["merton", "Merton"],
];

const OVERLAYS = [
  ["none", "None (unhedged)"],
  ["put", "Protective put"],
  ["put_spread", "Put spread"],
  ["collar", "Collar"],
];

const TENORS = [
  ["21", "1 month (21 days)"],
  ["63", "3 months (63 days)"],
  ["126", "6 months (126 days)"],
  ["252", "1 year (252 days)"],
];

const METRICS = [
  ["sharpe", "Sharpe ratio", 1],
  ["sortino", "Sortino ratio", ""],
  ["cagr", "CAGR", ""],
  ["volatility", "Volatility (loss: use a negative weight)", ""],
  ["max_drawdown", "Max drawdown (loss)", ""],
  ["var_95", "VaR 95% (loss)", ""],
  ["cvar_95", "CVaR 95% (loss)", ""],
  ["turnover", "Turnover (loss)", ""],
  ["average_weight", "Average risky weight", ""],
];

function field(id, label, attrs = {}, hint = null) {
  const input = h("input", { id, name: id, ...attrs });
  return h(
    "div",
    { className: "field" },
    h("label", { for: id }, label),
    input,
    hint ? h("small", { className: "hint", id: `${id}-hint` }, hint) : null,
  );
}

function numberField(id, label, value, attrs = {}, hint = null) {
  return field(id, label, { type: "number", value, step: "any", required: true, ...attrs }, hint);
}

function rangeFields(key, label, low, high, attrs = {}) {
  return h(
    "div",
    { className: "range" },
    numberField(`${key}-low`, `${label}: from`, low, attrs),
    numberField(`${key}-high`, `${label}: to`, high, attrs),
  );
}

function checkboxes(name, legend, options, checked) {
  return h(
    "fieldset",
    { className: "checks" },
    h("legend", {}, legend),
    options.map(([value, text]) =>
      h(
        "label",
        { className: "check" },
        h("input", { type: "checkbox", name, value, id: `${name}-${value}`, checked: checked.includes(value) }),
        ` ${text}`,
      ),
    ),
  );
}

function select(id, label, options, value) {
  return h(
    "div",
    { className: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name: id },
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
    ),
  );
}

function section(title, ...children) {
  return h("fieldset", { className: "group" }, h("legend", {}, title), ...children);
}

/** A collapsed group of advanced settings: its summary says what it holds and that the
 * defaults apply while it stays closed. */
function advanced(id, title, what, ...children) {
  return h(
    "details",
    { className: "advanced", id },
    h("summary", {}, h("strong", {}, title), h("span", { className: "hint" }, ` ${what}`)),
    h("div", { className: "advanced-body" }, ...children),
  );
}

/** The option hedge of the risky sleeve (StrategyConfig's `overlay` fields, docs/engine.md):
 * searched like the other parameters. Only "None" checked sends no overlay fields at all. */
function hedgeSection() {
  return section(
    "Hedge (options on the risky sleeve)",
    h(
      "p",
      { className: "hint", id: "hedge-hint" },
      "Choose several kinds to compare them; keep \"None\" to include unhedged strategies. " +
        "Strikes are % of the sleeve's level when the options are bought.",
    ),
    checkboxes("overlay-kind", "Hedge kinds to search", OVERLAYS, ["none"]),
    rangeFields("overlay-strike", "Bought put strike, %", 85, 98, { min: 50.01, max: 120 }),
    h(
      "div",
      { className: "range" },
      numberField("overlay-lower-strike", "Put spread: sold put strike, %", 80, { min: 30.01, max: 119.99 }),
      numberField("overlay-call-strike", "Collar: sold call strike, %", 110, { min: 80.01, max: 200 }),
    ),
    checkboxes("overlay-tenor", "Tenors to search", TENORS, ["63"]),
    h(
      "div",
      { className: "range" },
      select(
        "overlay-roll",
        "Roll rule",
        [
          ["expiry", "At expiry"],
          ["band", "At expiry, or early when the strike leaves a band"],
          ["delta", "At expiry, or early when the put's delta leaves a delta band"],
        ],
        "expiry",
      ),
      numberField("overlay-roll-band", "Roll band, ± % of moneyness", 10, { min: 0.01, max: 50 }),
      numberField("overlay-roll-delta-band", "Delta band, ± delta (0 to 0.5)", 0.1, { min: 0.001, max: 0.5 }),
    ),
    rangeFields("overlay-hedge-ratio", "Hedge ratio (options per unit of sleeve)", 1, 1, { min: 0.01, max: 2 }),
    rangeFields("overlay-budget", "Annual budget cap, % of wealth (empty: no cap)", "", "", {
      required: false,
      min: 0.01,
      max: 50,
    }),
    volModelFields(),
  );
}

/** The implied-volatility model's defaults (quant.options.vol_model.ImpliedVolModel; a browser
 * test checks they are the model's). */
export const VOL_MODEL_DEFAULTS = { variance_risk_premium: 0.01, skew: 1.5, realised_window: 21 };

/** How the options are priced (no quotes: the path's realised volatility plus a variance risk
 * premium and a skew by moneyness; docs/engine.md). Sent as the request's `vol_model` only when a
 * value differs from the model's default. */
function volModelFields() {
  const d = VOL_MODEL_DEFAULTS;
  return h(
    "fieldset",
    { className: "group", id: "vol-model" },
    h("legend", {}, "Option pricing (implied-volatility model)"),
    h(
      "p",
      { className: "hint", id: "vol-model-hint" },
      "Implied vol = √(realised vol² + variance risk premium) × (strike / spot)^(−skew), the realised vol " +
        "measured on each simulated path; used when a hedge is searched. " +
        `Defaults: premium ${d.variance_risk_premium}, skew ${d.skew}, ` +
        `window ${d.realised_window} days (a 15% realised vol gives 18% at the money and 21.1% for a 90% put).`,
    ),
    h(
      "div",
      { className: "range" },
      numberField("vol-premium", "Variance risk premium (annual variance, 0 to 1)", d.variance_risk_premium, { min: 0, max: 1 }),
      numberField("vol-skew", "Skew (exponent of strike / spot, 0 = flat)", d.skew, { min: 0, max: 20 }),
      numberField("vol-window", "Realised volatility window, trading days", d.realised_window, { min: 2, max: 756, step: 1 }),
    ),
  );
}

/** The form's fields as an element: what a first search needs in view (universe, dates,
 * risk limits, trials), the rest in collapsed groups with their defaults. */
function buildForm() {
  return h(
    "form",
    { id: "optimize-form", className: "form-grid", novalidate: false },
    section(
      "Data",
      field(
        "universe",
        "Universe (tickers, comma-separated)",
        { type: "text", placeholder: "all 20 embedded S&P 500 stocks", autocomplete: "off" },
        "Any tickers of the configured market data; leave empty for the equal-weight portfolio of all 20 embedded stocks.",
      ),
      h(
        "div",
        { className: "range" },
        field("start", "First date", { type: "date", value: "2005-01-01", required: true }),
        field("end", "Last date", { type: "date", value: "2022-12-28", required: true }),
      ),
    ),
    section(
      "Risk limits (empty: no limit)",
      h(
        "p",
        { className: "hint", id: "limits-hint" },
        "Each limit is checked on the simulated paths of every scenario (or of those checked below), on the statistic you choose: \"in 95% of paths\" means 95 of 100 simulated paths stay within it.",
      ),
      limitFields("limit"),
      checkboxes("limit-scenario", "Scenarios the limits apply to (none checked: every scenario)", SCENARIOS, []),
    ),
    section(
      "Budget",
      h(
        "div",
        { className: "range" },
        numberField("max-trials", "Maximum trials", 200, { min: 1, max: 20000, step: 1 }, "Strategies to try; a search may stop earlier when it converges, and says why."),
        numberField("max-wall-seconds", "Time limit, seconds", 600, { min: 1, max: 86400 }),
      ),
    ),
    h(
      "div",
      { className: "advanced-all" },
      h("p", { className: "hint" }, "Advanced settings: the defaults below search three weight rules over volatility targets of 5% to 25%, in five market scenarios, for the best Sharpe ratio. Open a group to change it."),
      advanced(
        "advanced-strategy",
        "Strategies to search",
        "(volatility target, weight rules, lookback, rebalancing, leverage, costs)",
        rangeFields("target-vol", "Target volatility, % per year", 5, 25, { min: 0.5, max: 200 }),
        checkboxes("weight-function", "Weight functions", WEIGHT_FUNCTIONS, ["inverse_vol", "sigmoid", "merton"]),
        rangeFields("steepness", "Sigmoid steepness", 2, 20, { min: 0.01 }),
        rangeFields("risk-aversion", "Risk aversion (Merton)", 1, 10, { min: 0.01 }),
        h(
          "label",
          { className: "check" },
          h("input", { type: "checkbox", id: "risk-aversion-log", name: "risk-aversion-log", checked: true }),
          " Search risk aversion on a log scale",
        ),
        h(
          "div",
          { className: "range three" },
          numberField("lookback-low", "Lookback window, days: from", 21, { min: 2, step: 1 }),
          numberField("lookback-high", "Lookback window, days: to", 126, { min: 2, step: 1 }),
          numberField("lookback-step", "Lookback step, days", 21, { min: 1, step: 1 }),
        ),
        rangeFields("rebalance", "Rebalance every, days", 5, 63, { min: 1, step: 1 }),
        rangeFields("leverage", "Maximum leverage", 1, 2, { min: 0.1 }),
        numberField("cost-bps", "Transaction costs, basis points per trade", 5, { min: 0 }),
      ),
      advanced("advanced-hedge", "Option hedge", "(none by default)", hedgeSection()),
      advanced(
        "advanced-scenarios",
        "Scenarios and objective",
        "(five scenarios of 300 paths a year long; best Sharpe ratio)",
        checkboxes("scenario", "Market scenarios", SCENARIOS, SCENARIOS.map(([v]) => v)),
        select(
          "scenario-method",
          "Scenario generator",
          [
            ["block_bootstrap", "Block bootstrap of history"],
            ["gbm", "Geometric Brownian motion"],
          ],
          "block_bootstrap",
        ),
        h(
          "div",
          { className: "range" },
          numberField("n-paths", "Paths per scenario", 300, { min: 10, max: 10000, step: 1 }),
          numberField("horizon", "Horizon, trading days", 252, { min: 63, max: 2520, step: 1 }),
        ),
        h("p", { className: "hint" }, "Objective (maximised): the weight of each metric times its scenario mean."),
        h(
          "div",
          { className: "metric-grid" },
          METRICS.map(([key, label, value]) => numberField(`objective-${key}`, label, value, { required: false, placeholder: "not used" })),
        ),
      ),
      advanced(
        "advanced-search",
        "Search method",
        "(Bayesian, batches of 50, seed 0, starts from your strategy model)",
        h(
          "div",
          { className: "range" },
          numberField("batch-size", "Trials per batch", 50, { min: 1, max: 1000, step: 1 }),
          numberField("max-llm-tokens", "Model token budget", 200000, { min: 0, step: 1 }),
        ),
        h(
          "label",
          { className: "check" },
          h("input", { type: "checkbox", id: "start-cold", name: "start-cold" }),
          " Start cold: ignore what your earlier searches taught your strategy model (to compare two runs like for like)",
        ),
        h(
          "div",
          { className: "range" },
          select(
            "method",
            "Search method",
            [
              ["tpe", "Bayesian (TPE)"],
              ["random", "Random"],
              ["grid", "Grid"],
            ],
            "tpe",
          ),
          numberField("seed", "Random seed", 0, { min: 0, step: 1 }),
        ),
      ),
    ),
    h(
      "div",
      { className: "actions" },
      h("button", { type: "submit", id: "submit-optimization" }, "Run optimization"),
      h("button", { type: "reset", className: "secondary" }, "Reset to defaults"),
    ),
  );
}

class FormError extends Error {
  constructor(id, message) {
    super(message);
    this.id = id;
  }
}

function value(form, id) {
  return form.querySelector(`#${id}`).value.trim();
}

function number(form, id, label) {
  const text = value(form, id);
  const parsed = Number(text);
  if (text === "" || !Number.isFinite(parsed)) throw new FormError(id, `${label} must be a number`);
  return parsed;
}

function optional(form, id, label) {
  return value(form, id) === "" ? null : number(form, id, label);
}

function range(form, key, label, { scale = 1, extra = {} } = {}) {
  const low = number(form, `${key}-low`, `${label} (from)`) * scale;
  const high = number(form, `${key}-high`, `${label} (to)`) * scale;
  if (low > high) throw new FormError(`${key}-low`, `${label}: "from" must not exceed "to"`);
  if (low === high) return low;
  return { low, high, ...extra };
}

function checked(form, name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function within(id, label, value, low, high, { lowOpen = true, highOpen = false } = {}) {
  const aboveLow = lowOpen ? value > low : value >= low;
  const belowHigh = highOpen ? value < high : value <= high;
  if (!aboveLow || !belowHigh) {
    const bounds = `${lowOpen ? "above" : "at least"} ${low} and ${highOpen ? "below" : "at most"} ${high}`;
    throw new FormError(id, `${label} must be ${bounds}`);
  }
  return value;
}

/** The search-space entries of the hedge section ({} when only "None" is chosen). The
 * checks mirror StrategyConfig's (quant/strategy.py); the server checks again. */
export function hedgeSpace(form) {
  const kinds = checked(form, "overlay-kind");
  if (!kinds.length) throw new FormError("overlay-kind-none", "Choose at least one hedge kind (or None)");
  if (kinds.every((k) => k === "none")) return {};
  const pct = (id, label, low, high, options) => within(id, label, number(form, id, label), low, high, options) / 100;
  const strikeLow = pct("overlay-strike-low", "Bought put strike (from), %", 50, 120);
  const strikeHigh = pct("overlay-strike-high", "Bought put strike (to), %", 50, 120);
  if (strikeLow > strikeHigh) throw new FormError("overlay-strike-low", 'Bought put strike: "from" must not exceed "to"');
  const space = {
    overlay: kinds.length === 1 ? kinds[0] : { choices: kinds },
    overlay_strike: strikeLow === strikeHigh ? strikeLow : { low: strikeLow, high: strikeHigh },
  };
  if (kinds.includes("put_spread")) {
    const lower = pct("overlay-lower-strike", "Sold put strike, %", 30, 120, { highOpen: true });
    if (lower >= strikeLow) {
      throw new FormError("overlay-lower-strike", "The put spread's sold put strike must be below the bought put's lowest strike");
    }
    space.overlay_lower_strike = lower;
  }
  if (kinds.includes("collar")) {
    const call = pct("overlay-call-strike", "Sold call strike, %", 80, 200);
    if (call <= strikeHigh) {
      throw new FormError("overlay-call-strike", "The collar's sold call strike must be above the bought put's highest strike");
    }
    space.overlay_call_strike = call;
  }
  const tenors = checked(form, "overlay-tenor").map(Number);
  if (!tenors.length) throw new FormError("overlay-tenor-63", "Choose at least one tenor");
  space.overlay_tenor_days = tenors.length === 1 ? tenors[0] : { choices: tenors };
  space.overlay_roll = value(form, "overlay-roll");
  if (space.overlay_roll === "band") {
    space.overlay_roll_band = pct("overlay-roll-band", "Roll band, %", 0, 50);
  }
  if (space.overlay_roll === "delta") {
    const label = "Delta band";
    space.overlay_roll_delta_band = within("overlay-roll-delta-band", label, number(form, "overlay-roll-delta-band", label), 0, 0.5);
  }
  const ratioLow = within("overlay-hedge-ratio-low", "Hedge ratio (from)", number(form, "overlay-hedge-ratio-low", "Hedge ratio (from)"), 0, 2);
  const ratioHigh = within("overlay-hedge-ratio-high", "Hedge ratio (to)", number(form, "overlay-hedge-ratio-high", "Hedge ratio (to)"), 0, 2);
  if (ratioLow > ratioHigh) throw new FormError("overlay-hedge-ratio-low", 'Hedge ratio: "from" must not exceed "to"');
  space.overlay_hedge_ratio = ratioLow === ratioHigh ? ratioLow : { low: ratioLow, high: ratioHigh };
  const budgetLow = optional(form, "overlay-budget-low", "Annual budget cap (from)");
  const budgetHigh = optional(form, "overlay-budget-high", "Annual budget cap (to)");
  if ((budgetLow === null) !== (budgetHigh === null)) {
    const missing = budgetLow === null ? "overlay-budget-low" : "overlay-budget-high";
    throw new FormError(missing, "Annual budget cap: give both ends (the same value for a fixed cap), or neither for no cap");
  }
  if (budgetLow !== null) {
    within("overlay-budget-low", "Annual budget cap (from), %", budgetLow, 0, 50);
    within("overlay-budget-high", "Annual budget cap (to), %", budgetHigh, 0, 50);
    if (budgetLow > budgetHigh) throw new FormError("overlay-budget-low", 'Annual budget cap: "from" must not exceed "to"');
    space.overlay_budget = budgetLow === budgetHigh ? budgetLow / 100 : { low: budgetLow / 100, high: budgetHigh / 100 };
  }
  return space;
}

/** The request's `vol_model` from the pricing fields: null when every value is the model's
 * default (the request then leaves it out). Checks the model's bounds. */
export function volModelFromForm(form) {
  const premium = within("vol-premium", "Variance risk premium", number(form, "vol-premium", "Variance risk premium"), 0, 1, { lowOpen: false });
  const skew = within("vol-skew", "Skew", number(form, "vol-skew", "Skew"), 0, 20, { lowOpen: false });
  const window = within("vol-window", "Realised volatility window", number(form, "vol-window", "Realised volatility window"), 2, 756, { lowOpen: false });
  if (!Number.isInteger(window)) throw new FormError("vol-window", "Realised volatility window must be a whole number of trading days");
  const model = { variance_risk_premium: premium, skew, realised_window: window };
  const d = VOL_MODEL_DEFAULTS;
  const same = Object.keys(d).every((k) => model[k] === d[k]);
  return same ? null : model;
}

/** The OptimizationRequest the form describes (throws FormError naming the field). */
export function requestFromForm(form) {
  const functions = checked(form, "weight-function");
  if (!functions.length) throw new FormError("optimize-form", "Choose at least one weight function");
  const scenarios = checked(form, "scenario");
  if (!scenarios.length) throw new FormError("optimize-form", "Choose at least one scenario");
  const objective = {};
  for (const [key, label] of METRICS) {
    const weight = optional(form, `objective-${key}`, `Objective weight of ${label}`);
    if (weight !== null && weight !== 0) objective[key] = weight;
  }
  if (!Object.keys(objective).length) {
    throw new FormError("objective-sharpe", "Give at least one objective metric a weight");
  }
  let limits;
  try {
    limits = limitsFromFields(form, "limit");
  } catch (err) {
    throw new FormError(err.id, err.message);
  }
  const limitScenarios = checked(form, "limit-scenario");
  if (limitScenarios.length) {
    const outside = limitScenarios.filter((s) => !scenarios.includes(s));
    if (outside.length) {
      throw new FormError(`limit-scenario-${outside[0]}`, `Risk limits apply to ${outside.join(", ")}, which the run does not simulate: check it under Market scenarios`);
    }
    limits.scenarios = limitScenarios;
  }
  const universe = value(form, "universe")
    .split(/[\s,;]+/)
    .map((t) => t.trim().toUpperCase())
    .filter(Boolean);
  const lookback = range(form, "lookback", "Lookback window", {
    extra: { step: number(form, "lookback-step", "Lookback step") },
  });
  const request = {
    start: value(form, "start"),
    end: value(form, "end"),
    search_space: {
      target_vol: range(form, "target-vol", "Target volatility", { scale: 0.01 }),
      weight_function: functions.length === 1 ? functions[0] : { choices: functions },
      lookback,
      rebalance_every: range(form, "rebalance", "Rebalance every", { extra: { step: 1 } }),
      max_leverage: range(form, "leverage", "Maximum leverage"),
      risk_aversion: range(form, "risk-aversion", "Risk aversion", {
        extra: { log: form.querySelector("#risk-aversion-log").checked },
      }),
      steepness: range(form, "steepness", "Sigmoid steepness"),
      cost_bps: number(form, "cost-bps", "Transaction costs"),
      ...hedgeSpace(form),
    },
    scenarios,
    scenario_method: value(form, "scenario-method"),
    n_paths: number(form, "n-paths", "Paths per scenario"),
    horizon: number(form, "horizon", "Horizon"),
    objective,
    risk_limits: limits,
    budget: {
      max_trials: number(form, "max-trials", "Maximum trials"),
      batch_size: number(form, "batch-size", "Trials per batch"),
      max_wall_seconds: number(form, "max-wall-seconds", "Time limit"),
      max_llm_tokens: number(form, "max-llm-tokens", "Model token budget"),
    },
    method: value(form, "method"),
    seed: number(form, "seed", "Random seed"),
  };
  if (universe.length) request.universe = universe;
  if (form.querySelector("#start-cold").checked) request.warm_start = false;
  if (request.search_space.overlay !== undefined) {
    const volModel = volModelFromForm(form);
    if (volModel) request.vol_model = volModel;
  }
  return request;
}

/** Pre-fill the universe and risk limits from the caller's profile (GET /v1/profile), marked
 * "from your profile" and left editable; a note names the exclusions the run will leave out.
 * Resetting the form clears them (the request's own defaults). */
async function prefill(form) {
  let profile;
  try {
    profile = await api("/v1/profile", { signInOn401: false });
  } catch {
    return; // the form works without a profile (a bad key is reported when the form is sent)
  }
  const from = [];
  // only empty fields: what was typed while the profile loaded stays
  const universe = form.querySelector("#universe");
  if (profile.universe && profile.universe.length && !universe.value.trim()) {
    universe.value = profile.universe.join(", ");
    from.push("universe");
  }
  from.push(...fillLimitFields(form, "limit", profile.risk_limits || {}));
  const parts = [];
  if (from.length) parts.push(`From your profile (editable): ${from.join(", ")}.`);
  if (profile.exclusions.length) {
    parts.push(`Your profile excludes ${profile.exclusions.join(", ")}: the run leaves them out and its trace says so.`);
  }
  if (!parts.length) return;
  form.before(
    h(
      "p",
      { id: "profile-note", className: "hint" },
      `${parts.join(" ")} `,
      h("a", { href: "#/profile" }, "Edit your profile"),
    ),
  );
}

/** The universe picker: the configured market data's tickers (GET /v1/market-data) offered as
 * you type in "Add a ticker" (Add appends it to the universe), the universe's hint naming the
 * data (provider, version, sessions, how current), and the last date set to where the data
 * ends while it still shows the default. Without an answer the form keeps its defaults. */
async function offerMarketData(form) {
  let data;
  try {
    data = await api("/v1/market-data", { signInOn401: false });
  } catch {
    return;
  }
  const universe = form.querySelector("#universe");
  const count = data.tickers.length;
  const fallback = count > 50 ? `the first 50 of its ${count} tickers` : `all ${count} of its tickers`;
  universe.placeholder = fallback;
  const pick = h("input", {
    id: "universe-pick",
    list: "universe-tickers",
    placeholder: "type to find a ticker",
    autocomplete: "off",
    "aria-label": "Add a ticker",
  });
  const add = h("button", { type: "button", id: "universe-add", className: "secondary" }, "Add");
  add.addEventListener("click", () => {
    const ticker = pick.value.trim().toUpperCase();
    if (!ticker) return;
    const held = universe.value.split(/[\s,;]+/).map((t) => t.trim().toUpperCase()).filter(Boolean);
    if (!held.includes(ticker)) universe.value = [...held, ticker].join(", ");
    pick.value = "";
    pick.focus();
  });
  const hint = form.querySelector("#universe-hint");
  hint.textContent =
    `Any tickers of the market data: ${data.provider} (version ${data.version}), ${data.start} to ` +
    `${data.end}${data.behind_sessions ? "" : ", current"}. Leave empty for ${fallback}.`;
  const stale = staleDataNotice(data);
  if (stale) form.before(stale);
  hint.after(
    h("div", { className: "picker" }, pick, add),
    h("datalist", { id: "universe-tickers" }, ...data.tickers.map((t) => h("option", { value: t }))),
  );
  const end = form.querySelector("#end");
  if (end.value === end.defaultValue) end.value = data.end;
}

const SPACE_INPUTS = {
  target_vol: "target-vol-low",
  weight_function: "weight-function-inverse_vol",
  lookback: "lookback-low",
  rebalance_every: "rebalance-low",
  max_leverage: "leverage-low",
  risk_aversion: "risk-aversion-low",
  steepness: "steepness-low",
  cost_bps: "cost-bps",
  overlay: "overlay-kind-none",
  overlay_strike: "overlay-strike-low",
  overlay_lower_strike: "overlay-lower-strike",
  overlay_call_strike: "overlay-call-strike",
  overlay_tenor_days: "overlay-tenor-63",
  overlay_roll: "overlay-roll",
  overlay_roll_band: "overlay-roll-band",
  overlay_roll_delta_band: "overlay-roll-delta-band",
  overlay_hedge_ratio: "overlay-hedge-ratio-low",
  overlay_budget: "overlay-budget-low",
};

const REQUEST_INPUTS = {
  universe: "universe",
  start: "start",
  end: "end",
  scenarios: "scenario-bull",
  scenario_method: "scenario-method",
  n_paths: "n-paths",
  horizon: "horizon",
  objective: "objective-sharpe",
  scenario_weights: "scenario-bull",
  "risk_limits.max_drawdown": "limit-max-drawdown",
  "risk_limits.cvar_95": "limit-cvar",
  "risk_limits.var_95": "limit-var",
  "risk_limits.scenarios": "limit-scenario-bull",
  "budget.max_trials": "max-trials",
  "budget.batch_size": "batch-size",
  "budget.max_wall_seconds": "max-wall-seconds",
  "budget.max_llm_tokens": "max-llm-tokens",
  method: "method",
  seed: "seed",
  warm_start: "start-cold",
  vol_model: "vol-premium",
  "vol_model.variance_risk_premium": "vol-premium",
  "vol_model.skew": "vol-skew",
  "vol_model.realised_window": "vol-window",
};

/** The id of the form control an API error detail's field names (`body.search_space.
 * overlay_strike` -> "overlay-strike-low"), or null. */
export function inputOfField(field) {
  const path = String(field || "").replace(/^body\./, "");
  if (path.startsWith("search_space.")) return SPACE_INPUTS[path.split(".")[1]] || null;
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n -= 1) {
    const id = REQUEST_INPUTS[parts.slice(0, n).join(".")];
    if (id) return id;
  }
  return null;
}

export function renderOptimize(main) {
  const form = buildForm();
  const status = h("p", { id: "optimize-status", className: "hint", role: "status" });
  main.append(
    h("h1", {}, "New optimization"),
    h(
      "p",
      { className: "lead" },
      "Search volatility-targeting configurations across market scenarios. The agents pick " +
        "scenarios, run the search in batches, check the winner against your risk limits and " +
        "explain it.",
    ),
    form,
    status,
  );
  prefill(form);
  offerMarketData(form);
  form.addEventListener("reset", () => clearFieldErrors(form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showAlert(null);
    clearFieldErrors(form);
    let request;
    try {
      request = requestFromForm(form);
    } catch (err) {
      showAlert(err.message);
      const target = err.id && (markField(form, err.id, err.message) || form.querySelector(`#${err.id}`));
      if (target && target.focus) target.focus();
      return;
    }
    const button = form.querySelector("#submit-optimization");
    button.disabled = true;
    status.textContent = "Submitting…";
    try {
      await startOptimization(request);
    } catch (err) {
      status.textContent = "";
      showAlert(`The optimization was not accepted: ${errorText(err)}`);
      // each problem also beside its field (the first one focused)
      const marked = (err.details || [])
        .map((d) => d && inputOfField(d.field) && markField(form, inputOfField(d.field), d.problem))
        .filter(Boolean);
      if (marked.length) marked[0].focus();
    } finally {
      button.disabled = false;
    }
  });
  return null;
}
