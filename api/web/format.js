// The one number formatter and vocabulary of the web UI: every page writes numbers, dates,
// strategy parameters, metrics, scenarios and risk limits through this module, with the rules of
// services/formatting.py (the report, the command line and the chat's replies use that one; a
// test checks that both write the same text for generated values):
//
//   percent  a fraction as a percentage, 2 decimals: 0.1742 -> "17.42%"; signed for returns:
//            "+56.82%", "-3.10%"
//   ratio    2 decimals: "1.07" (Sharpe, Sortino, an objective)
//   multiple 2 decimals and "x": "1.50x" (leverage)
//   money    dollars, thousands separators and cents: "$156,751.97", "-$112.66"
//   count    an integer with thousands separators: "1,257"
//   days     "63 trading days"; bps "5.0 bps"; date ISO "2022-12-28"
//
// A missing or non-finite number is written "n/a". Rounding is to the nearest, ties to even on
// the number's exact binary value, as Python's format() rounds (Intl and toFixed round ties
// away from zero).
//
// The words (parameters, metrics, statistics, scenarios, benchmarks, agents) come from the
// API's GET /v1/vocabulary, loaded once before the first page (`loadVocabulary`).

const MISSING = "n/a";

function finite(value) {
  if (value === null || value === undefined || typeof value === "boolean") return null;
  if (typeof value === "string" && !value.trim()) return null;
  const number = typeof value === "number" ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

/** |x| with `digits` decimals as Python's format() writes it: correctly rounded, an exact tie
 * (x * 10^digits a half-integer, which for a double means x * 2^(digits+1) is an odd integer)
 * to the even last digit. */
function fixed(abs, digits) {
  const half = abs * 2 ** (digits + 1);
  const tie = Number.isInteger(half) && !Number.isInteger(half / 2) && abs < 2 ** 52;
  if (!tie) return abs.toFixed(digits);
  const longer = abs.toFixed(digits + 1); // exact: ends in "5"
  const kept = longer.slice(0, -1).replace(/\.$/, "");
  const last = Number(kept[kept.length - 1]);
  return last % 2 === 0 ? kept : abs.toFixed(digits); // toFixed rounds a tie up (away from 0)
}

/** `fixed` with thousands separators in the integer part (a number of 1e21 or more, always an
 * integer as a double, with all its digits as Python writes them). */
function grouped(abs, digits) {
  const text = abs >= 1e21 ? `${BigInt(abs)}${digits ? "." + "0".repeat(digits) : ""}` : fixed(abs, digits);
  const [whole, part] = text.split(".");
  const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return part === undefined ? withCommas : `${withCommas}.${part}`;
}

/** A number as Python's f"{number:,.{digits}f}" writes it ("+" first with `plus`, as
 * f"{number:+,.{digits}f}"): a negative that rounds to zero keeps its "-". */
function pyFormat(number, digits, plus = false) {
  const sign = number < 0 || Object.is(number, -0) ? "-" : plus ? "+" : "";
  return sign + grouped(Math.abs(number), digits);
}

/** `text` without its sign when every digit it shows is zero: what rounds to zero reads
 * "0.00%", never "-0.00%" or "+0.0%" (services.formatting's rule). */
function unsignedZero(text) {
  return /^[+-]/.test(text) && !/[1-9]/.test(text) ? text.slice(1) : text;
}

/** A fraction as a percentage: 0.1742 -> "17.42%"; `{signed: true}` for returns: "+56.82%". */
export function percent(fraction, { signed: plus = false, digits = 2 } = {}) {
  const number = finite(fraction);
  if (number === null) return MISSING;
  return unsignedZero(`${pyFormat(number * 100, digits, plus)}%`);
}

/** A confidence level (a fraction) as a percentage without trailing zeros: 0.95 -> "95%",
 * 0.975 -> "97.5%" (what the chat writes: "At 95% confidence the one-day VaR is ..."). */
export function confidence(level) {
  const number = finite(level);
  return number === null ? MISSING : `${Number((number * 100).toFixed(2))}%`;
}

/** A return: a signed percentage ("+56.82%", "-3.10%"). */
export function signedPercent(fraction) {
  return percent(fraction, { signed: true });
}

/** A ratio (Sharpe, Sortino, an objective) with 2 decimals: "1.07". */
export function ratio(value, { digits = 2 } = {}) {
  const number = finite(value);
  return number === null ? MISSING : unsignedZero(pyFormat(number, digits));
}

/** A multiple of wealth (leverage): "1.50x". */
export function multiple(value) {
  const number = finite(value);
  return number === null ? MISSING : unsignedZero(`${pyFormat(number, 2)}x`);
}

/** Dollars with thousands separators and cents: "$156,751.97", "-$112.66". */
export function money(amount) {
  const number = finite(amount);
  if (number === null) return MISSING;
  const text = `$${grouped(Math.abs(number), 2)}`;
  return number < 0 && text !== "$0.00" ? `-${text}` : text;
}

/** Python's round(): to the nearest integer, ties to even. */
function roundEven(number) {
  const floor = Math.floor(number);
  const rest = number - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** An integer with thousands separators: "1,257". */
export function count(value) {
  const number = finite(value);
  return number === null ? MISSING : pyFormat(roundEven(number) + 0, 0);
}

/** Trading days: "63 trading days" ("1 trading day"). */
export function days(value) {
  const number = finite(value);
  if (number === null) return MISSING;
  const n = roundEven(number);
  return `${pyFormat(n + 0, 0)} trading day${n === 1 ? "" : "s"}`;
}

/** Basis points with one decimal: "5.0 bps". */
export function bps(value) {
  const number = finite(value);
  return number === null ? MISSING : unsignedZero(`${pyFormat(number, 1)} bps`);
}

/** A date in ISO 8601: "2022-12-28" (a timestamp's date; a string as given, cut to 10). */
export function isoDate(value) {
  if (value === null || value === undefined || value === "") return MISSING;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? MISSING : value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** A moment in ISO 8601 to the minute, in UTC: "2022-12-28 20:45 UTC". */
export function isoTime(value) {
  if (value === null || value === undefined || value === "") return MISSING;
  const moment = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(moment.getTime())) return String(value);
  return `${moment.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A file size as "512 B", "1.5 KB", "20 MB" (powers of 1024). */
export function fileSize(n) {
  const number = finite(n);
  if (number === null) return MISSING;
  const units = ["B", "KB", "MB", "GB"];
  let value = number;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${count(number)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const WRITERS = {
  percent,
  signed_percent: signedPercent,
  ratio,
  multiple,
  money,
  count,
  days,
  bps,
  date: isoDate,
};

/** `value` written in format `fmt` (a vocabulary format name; a choice by its words). */
function formatValue(value, fmt, choices = null) {
  if (fmt === "choice") return (choices && choices[String(value)]) || String(value).replace(/_/g, " ");
  const writer = WRITERS[fmt];
  return writer ? writer(value) : String(value);
}

/** A plain number of a user's own (a quantity of shares, a contract count): up to 4 decimals
 * with separators; "n/a" when missing. */
export function quantity(value) {
  const number = finite(value);
  if (number === null) return MISSING;
  return Number.isInteger(number) ? count(number) : pyFormat(number, 4).replace(/0+$/, "").replace(/\.$/, "");
}

// ---- the vocabulary (GET /v1/vocabulary) ----

let words = null;

/** Install the vocabulary document (GET /v1/vocabulary's answer). */
export function setVocabulary(document) {
  words = document;
}

/** Load the vocabulary once (it is public and cacheable); the pages render after it. A
 * failure leaves the built-in fallbacks (names with spaces), never blocks the page. */
export async function loadVocabulary(fetchJson) {
  if (words) return words;
  try {
    setVocabulary(await fetchJson("/v1/vocabulary"));
  } catch (err) {
    console.warn(`the vocabulary did not load: ${err && err.message}`);
  }
  return words;
}

function plain(name) {
  return String(name).replace(/_/g, " ");
}

function term(group, name) {
  return (words && words[group] && words[group][name]) || null;
}

/** A strategy parameter's name in words ("target_vol" -> "volatility target"). */
export function parameterLabel(name) {
  const t = term("parameters", name);
  return t ? t.label : plain(name);
}

/** A parameter's value in its format ("target_vol", 0.1742 -> "17.42%"). */
export function parameterValue(name, value) {
  const t = term("parameters", name);
  if (!t) return typeof value === "number" ? ratio(value) : value === null || value === undefined ? MISSING : plain(value);
  if (name === "overlay_budget" && (value === null || value === undefined)) return "no cap";
  return formatValue(value, t.format, t.choices);
}

/** One parameter in words: "volatility target 17.42%". */
export function parameter(name, value) {
  return `${parameterLabel(name)} ${parameterValue(name, value)}`;
}

/** A metric's name in words ("max_drawdown" -> "max drawdown"); a per-scenario column
 * ("bear.sharpe") as "bear Sharpe ratio"; a statistic column ("max_drawdown@p95") with it. */
export function metricLabel(name) {
  const [scenarioName, rest] = String(name).includes(".") ? String(name).split(".", 2) : [null, String(name)];
  const [metricName, statistic] = rest.split("@");
  const t = term("metrics", metricName);
  const label = t ? t.label : plain(metricName);
  const stat = statistic ? ` (${statisticShort(statistic)})` : "";
  return scenarioName ? `${scenario(scenarioName)} ${label}${stat}` : `${label}${stat}`;
}

/** A metric's value in its format ("sharpe", 1.0731 -> "1.07"; "cagr", 0.05 -> "+5.00%"). */
export function metric(name, value) {
  const metricName = String(name).split(".").pop().split("@")[0];
  const t = term("metrics", metricName);
  if (t) return formatValue(value, t.format, t.choices);
  return /drawdown|vol|var|cagr|return|weight|turnover/.test(metricName) ? percent(value) : ratio(value);
}

/** A scenario's name in words ("high_vol" -> "high-volatility"). */
export function scenario(name) {
  return (words && words.scenarios && words.scenarios[name]) || plain(name);
}

/** A benchmark's name in words. */
export function benchmark(name) {
  return (words && words.benchmarks && words.benchmarks[name]) || plain(name);
}

/** An agent role in words ("risk_manager" -> "the risk manager"). */
export function agent(name) {
  return (words && words.agents && words.agents[name]) || plain(name || "system");
}

const STATISTIC_SHORT = { mean: "mean", median: "median", p90: "90% of paths", p95: "95% of paths", p99: "99% of paths", worst: "worst path" };

/** The statistics a limit can be checked on, [key, words] in order (mildest first). */
export function statistics() {
  const listed = words && words.statistics ? Object.entries(words.statistics) : Object.entries(STATISTIC_SHORT);
  return listed;
}

/** The statistic a bare limit is checked on. */
export function defaultStatistic() {
  return (words && words.default_statistic) || "p95";
}

function statisticShort(statistic) {
  return STATISTIC_SHORT[statistic] || plain(statistic);
}

/** A statistic in words, naming the scenario's paths when given ("in 95% of bear paths"). */
function statisticWords(statistic, scenarioName = null) {
  const text = (words && words.statistics && words.statistics[statistic]) || `on the ${statisticShort(statistic)}`;
  if (!scenarioName) return text;
  const label = scenario(scenarioName);
  return text
    .replace("the paths", `the ${label} paths`)
    .replace("of paths", `of ${label} paths`)
    .replace("worst path", `worst ${label} path`);
}

/** A limit as a request or a profile holds it ({limit, statistic} or a bare number) ->
 * {limit, statistic}; null when unset. */
export function limitOf(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return { limit: value, statistic: defaultStatistic() };
  if (typeof value === "object" && finite(value.limit) !== null) return { limit: value.limit, statistic: value.statistic || defaultStatistic() };
  return null;
}

/** A risk limit in words with its statistic, and the value found when given:
 * "max drawdown ≤ 25.00% in 95% of bear paths: 23.10%". */
export function limitSentence(metricName, limit, statistic = defaultStatistic(), scenarioName = null, value = null) {
  const symbol = (words && words.limit_symbol) || "≤";
  const text = `${metricLabel(metricName)} ${symbol} ${metric(metricName, limit)} ${statisticWords(statistic, scenarioName)}`;
  return value === null || value === undefined ? text : `${text}: ${metric(metricName, value)}`;
}

/** A request's or profile's risk limits as sentences, one per limit set (the scenarios they
 * apply to named once, after them). */
export function limitSentences(limits) {
  if (!limits) return [];
  const scenarios = limits.scenarios && limits.scenarios.length ? limits.scenarios : null;
  const out = [];
  for (const name of ["max_drawdown", "cvar_95", "var_95"]) {
    const found = limitOf(limits[name]);
    if (!found) continue;
    const where = scenarios && scenarios.length === 1 ? scenarios[0] : null;
    out.push(limitSentence(name, found.limit, found.statistic, where));
  }
  if (scenarios && scenarios.length > 1) out.push(`(in the ${scenarios.map(scenario).join(", ")} scenarios)`);
  return out;
}

const HEDGE_FIELDS = [
  "overlay_strike",
  "overlay_lower_strike",
  "overlay_call_strike",
  "overlay_tenor_days",
  "overlay_roll",
  "overlay_roll_band",
  "overlay_roll_delta_band",
  "overlay_hedge_ratio",
  "overlay_budget",
];

/** The fields each built-in weight function reads besides those every strategy uses (as
 * quant.strategy.WEIGHT_FUNCTION_PARAMETERS; a test checks the sentences agree). */
const WEIGHT_FUNCTION_PARAMETERS = {
  inverse_vol: ["target_vol"],
  sigmoid: ["target_vol", "steepness"],
  merton: ["risk_aversion"],
};

/** The hedge fields only some hedge kinds read, and the band each early-roll rule reads. */
const HEDGE_KIND_PARAMETERS = { put: [], put_spread: ["overlay_lower_strike"], collar: ["overlay_call_strike"] };
const ROLL_BANDS = { band: "overlay_roll_band", delta: "overlay_roll_delta_band" };

/** The parameters of a strategy configuration its results depend on (as
 * StrategyConfig.unused_parameters leaves the others out): a built-in weight rule's own
 * parameters only for it, the hedge's only when it holds one (a budget only when capped).
 * Names, in the vocabulary's order. */
export function usedParameters(config) {
  const unused = new Set();
  const reads = WEIGHT_FUNCTION_PARAMETERS[config.weight_function];
  if (reads) {
    for (const names of Object.values(WEIGHT_FUNCTION_PARAMETERS)) for (const name of names) if (!reads.includes(name)) unused.add(name);
  }
  if (!isHedged(config)) {
    unused.add("overlay");
    for (const key of HEDGE_FIELDS) unused.add(key);
  } else {
    const kind = HEDGE_KIND_PARAMETERS[config.overlay] || [];
    for (const names of Object.values(HEDGE_KIND_PARAMETERS)) for (const name of names) if (!kind.includes(name)) unused.add(name);
    for (const [rule, band] of Object.entries(ROLL_BANDS)) if (rule !== config.overlay_roll) unused.add(band);
    if (config.overlay_budget === null || config.overlay_budget === undefined) unused.add("overlay_budget");
  }
  const order = words && words.parameters ? Object.keys(words.parameters) : Object.keys(config);
  return order.filter((k) => k in config && !unused.has(k));
}

/** A configuration in one phrase: "inverse volatility, volatility target 17.42%, ...". */
export function configSentence(config) {
  const names = usedParameters(config);
  const parts = names.map((name) => parameter(name, config[name]));
  if (names[0] === "weight_function") parts[0] = parameterValue("weight_function", config.weight_function);
  return parts.join(", ");
}

/** Whether a configuration holds an option hedge. */
export function isHedged(config) {
  return Boolean(config && config.overlay && config.overlay !== "none");
}

/** A server's sentence with the code names it may hold (a parameter, a metric, a scenario,
 * written with underscores) in the vocabulary's words, and "<=" as "≤". */
export function inWords(text) {
  if (!text) return text;
  const groups = words ? [["parameters", "label"], ["metrics", "label"], ["scenarios", null]] : [];
  let out = String(text).replace(/<=/g, "≤").replace(/>=/g, "≥");
  // snake_case words (ids such as job_01a2... are left alone: their parts start with digits)
  out = out.replace(/\b[a-z]+(?:_(?:[a-z][a-z0-9]*|\d{2}))+\b/g, (token) => {
    for (const [group, key] of groups) {
      const entry = words[group] && words[group][token];
      if (entry) return key ? entry[key] : entry;
    }
    return token.replace(/_/g, " ");
  });
  return out;
}
