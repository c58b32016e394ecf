// Risk-limit fields of the optimization form and the profile: each limit (max drawdown, daily
// CVaR and VaR at 95%, in %) with the statistic of the simulated paths it is checked on (by
// default the 95th percentile: "in 95% of paths"), as the API's LimitValues takes them.

import { h } from "./dom.js";
import { defaultStatistic, limitOf, metricLabel, statistics } from "./format.js";

/** The limits, in the form's order: [metric, id suffix, label]. */
const LIMITS = [
  ["max_drawdown", "max-drawdown", "Max drawdown"],
  ["cvar_95", "cvar", "Daily CVaR 95%"],
  ["var_95", "var", "Daily VaR 95%"],
];

/** One field per limit (`${prefix}-${suffix}`, in %) with its statistic selector
 * (`${prefix}-${suffix}-statistic`), filled from `limits` (fractions, bare or {limit, statistic}). */
export function limitFields(prefix, limits = {}) {
  return h(
    "div",
    { className: "limit-grid" },
    LIMITS.map(([metric, suffix, label]) => {
      const id = `${prefix}-${suffix}`;
      const found = limitOf(limits[metric]);
      const statistic = found ? found.statistic : defaultStatistic();
      return h(
        "div",
        { className: "field limit" },
        h("label", { for: id }, `${label} at most, %`),
        h("input", {
          id,
          name: id,
          type: "number",
          step: "any",
          min: 0.01,
          max: 100,
          value: found ? String(+(found.limit * 100).toFixed(6)) : "",
          placeholder: "no limit",
        }),
        h("label", { for: `${id}-statistic`, className: "sub" }, `Held (${metricLabel(metric)})`),
        h(
          "select",
          { id: `${id}-statistic`, name: `${id}-statistic` },
          statistics().map(([key, words]) => h("option", { value: key, selected: key === statistic }, words)),
        ),
      );
    }),
  );
}

/** The limits the fields hold: metric -> {limit (a fraction), statistic}; throws an Error
 * naming the field (`.id`) when one is not a number. */
export function limitsFromFields(form, prefix) {
  const limits = {};
  for (const [metric, suffix, label] of LIMITS) {
    const id = `${prefix}-${suffix}`;
    const text = form.querySelector(`#${id}`).value.trim();
    if (text === "") continue;
    const value = Number(text);
    if (!Number.isFinite(value)) {
      const err = new Error(`${label} must be a number (a percentage)`);
      err.id = id;
      throw err;
    }
    const statistic = form.querySelector(`#${id}-statistic`).value;
    limits[metric] = { limit: value / 100, statistic };
  }
  return limits;
}

/** Fill the empty limit fields from `limits` (a profile's): the metrics filled, in words. */
export function fillLimitFields(form, prefix, limits) {
  const filled = [];
  for (const [metric, suffix] of LIMITS) {
    const found = limitOf(limits[metric]);
    const input = form.querySelector(`#${prefix}-${suffix}`);
    if (!found || input.value.trim()) continue;
    input.value = String(+(found.limit * 100).toFixed(6));
    form.querySelector(`#${prefix}-${suffix}-statistic`).value = found.statistic;
    filled.push(metricLabel(metric));
  }
  return filled;
}
