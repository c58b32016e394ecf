"""The template explanation: why the winner won, written from the results' own numbers.

Used by the offline model's explanation policy and as the fallback when a model's explanation
cites a number that is not in the results (see `agents.grounding`). Every number it writes is a
number of `facts`, rounded as written, so it always passes the grounding check.

`facts` (built by the optimization graph): `best_config`, `objective`, `objective_name`,
`scenarios` (scenario -> metric -> path mean of the winner), `runner_up_changes` (the
parameters the winner reads that the runner-up sets otherwise: name -> its value),
`paired_sharpe` (scenario or "overall" -> {"mean", "lower", "upper", ...}: the winner's Sharpe
ratio minus the runner-up's on the same paths), `deflated_sharpe`
({"dsr", ...}), `n_trials`, and from the sensitivity tool `importance` (parameter -> share) and
`sensitivity` (parameter -> list of {"value", "objective"}), `var_confidence` (0.95, the level
of VaR and CVaR) and `hedging` when the search could hold option hedges (built by
`graphs.optimization_explanation`: `comparison` of the winner with and without its hedge per
scenario, `tradeoff` rows, `required`, `limits`, `scenario`, `n_hedged_trials`,
`n_hedged_feasible`), `limits` (each risk limit checked on the winner: `metric`, `limit`,
`statistic`, `checked` (the statistic in words), `quantile`, `values`, `met`, `words`) and
`benchmark_verdict` (`beats`, `winner`, `benchmarks` with their scores and gaps, `words`).
Parameters the winner's weight function or hedge does not read (e.g. the volatility target of
a Merton winner) are never cited. A winner that does not beat its benchmarks on the objective
says so first; every risk limit is said with the statistic of the paths it was checked on.
Numbers are written by `services.formatting` (percentages and ratios with 2 decimals).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from quant.hedge_names import HEDGE_NAMES, hedge_outcome_words
from quant.strategy import StrategyConfig
from services.formatting import METRICS, PARAMETERS, multiple, parameter, percent, ratio
from services.formatting import scenario as scenario_words


def _pct(value: float, digits: int = 2) -> str:
    return percent(value, digits=digits)


def _label(name: str) -> str:
    """A parameter's name in words (the vocabulary's)."""
    term = PARAMETERS.get(name)
    return name.replace("_", " ") if term is None else term.label


def _describe(config: dict[str, Any]) -> str:
    """The winner's parameters that matter for its weight function, in words."""
    function = config["weight_function"]
    rules = {
        "inverse_vol": f"scales exposure to hit a {_pct(config['target_vol'])} volatility target",
        "sigmoid": f"cuts exposure smoothly as volatility rises past a {_pct(config['target_vol'])} "
        f"target (steepness {config['steepness']:.2f})",
        "merton": f"sizes exposure by the Merton rule with risk aversion {config['risk_aversion']:.2f}",
    }
    rule = rules.get(function, f"uses the {function.replace('_', ' ')} weight function")
    return (
        f"{rule}, estimated over a {config['lookback']}-day lookback, rebalanced every "
        f"{config['rebalance_every']} days, with leverage capped at {multiple(config['max_leverage'])}"
    )


def _describe_hedge(config: dict[str, Any]) -> str:
    """The winner's option hedge in words ("" without one)."""
    kind = config.get("overlay", "none")
    if kind == "none":
        return ""
    text = f"It holds a {HEDGE_NAMES.get(kind, kind)} struck at {_pct(config['overlay_strike'])}"
    if kind == "put_spread":
        text += f" with the lower put sold at {_pct(config['overlay_lower_strike'])}"
    elif kind == "collar":
        text += f" with a call sold at {_pct(config['overlay_call_strike'])}"
    text += (
        f" of the sleeve's level, bought for {config['overlay_tenor_days']} trading days and "
        f"covering {_pct(config['overlay_hedge_ratio'], 0)} of the sleeve"
    )
    if config.get("overlay_budget") is not None:
        text += f", with premiums capped at {_pct(config['overlay_budget'])} of wealth a year"
    return text + "."


def _hedge_sentences(hedging: dict[str, Any]) -> list[str]:
    """What the hedge bought and cost, from the `hedging` facts."""
    parts: list[str] = []
    required = hedging.get("required")
    if required:
        parts.append(
            "No unhedged candidate met the risk limits, so the risk manager required an option "
            f"hedge from round {required['round'] + 1} on."
        )
    tried, feasible = hedging.get("n_hedged_trials", 0), hedging.get("n_hedged_feasible", 0)
    if tried and not feasible:
        parts.append(
            f"None of the {tried} hedged trials met the risk limits either, so no protection "
            "in this search space keeps the strategy within them."
        )
    comparison = hedging.get("comparison") or {}
    scenario = str(hedging.get("scenario") or "")
    shown = [s for s in (scenario, "high_vol") if s in comparison]
    for name in dict.fromkeys(shown):
        hedged, bare = comparison[name]["hedged"], comparison[name]["unhedged"]
        label = name.replace("_", "-")
        outcome = hedge_outcome_words(
            hedged["hedge_premium"], hedged["hedge_payoff"], hedged["hedge_carry"]
        )
        parts.append(
            f"In the {label} scenario the protection {outcome}; "
            f"against the same strategy without it on the same paths, the average maximum "
            f"drawdown went from {_pct(bare['max_drawdown'])} to {_pct(hedged['max_drawdown'])} "
            f"and the daily 95% CVaR from {_pct(bare['cvar_95'], 2)} to "
            f"{_pct(hedged['cvar_95'], 2)}."
        )
    rows = hedging.get("tradeoff") or []
    bare_rows = [r for r in rows if not r["hedged"]]
    drawdown = (hedging.get("limits") or {}).get("max_drawdown") or {}
    limit = drawdown.get("limit")
    if bare_rows and hedging.get("winner_hedged") and scenario:
        row = bare_rows[0]
        text = (
            f"The unhedged trial closest to the limits (trial {row['trial']}) had an average "
            f"maximum drawdown of {_pct(row['max_drawdown'])} in the "
            f"{scenario.replace('_', '-')} scenario"
        )
        if limit is not None:
            relation = "above" if row["max_drawdown"] > limit else "near"
            text += f", {relation} the {_pct(limit)} limit (which is checked {drawdown['checked']})"
        parts.append(text + ".")
    return parts


def limit_sentences(checks: list[dict[str, Any]]) -> list[str]:
    """Each risk limit checked on the winner (`graphs.optimization_limits.limit_checks`), with
    its statistic of the paths, in the worst scenario."""
    if not checks:
        return []
    said = "; ".join(
        f"{check['words']} ({'met' if check['met'] else 'NOT met'})" for check in checks
    )
    return [f"Risk limits checked on the winner: {said}."]


def template_explanation(facts: dict[str, Any]) -> str:
    """A plain-language explanation of the winner composed only from `facts`: the benchmark
    verdict first when the winner does not beat its benchmarks."""
    best = facts["best_config"]
    verdict = facts.get("benchmark_verdict") or {}
    parts = [verdict["words"]] if verdict.get("beats") is False else []
    parts.append(f"The best configuration {_describe(best)}.")
    hedge = _describe_hedge(best)
    if hedge:
        parts.append(hedge)
    scenarios: dict[str, dict[str, float]] = facts.get("scenarios", {})
    if scenarios:
        parts.append(
            f"It scored {ratio(facts['objective'])} on the objective ({facts.get('objective_name', 'mean Sharpe ratio')}) "
            f"after {facts['n_trials']} trials."
        )
        by_sharpe = sorted(scenarios.items(), key=lambda kv: kv[1]["sharpe"])
        worst, best_case = by_sharpe[0], by_sharpe[-1]
        parts.append(
            "Its Sharpe ratio (its return above the safe asset's per unit of volatility, from "
            f"daily returns, annualised) ranges from {worst[1]['sharpe']:.2f} in the {worst[0].replace('_', '-')} "
            f"scenario to {best_case[1]['sharpe']:.2f} in the {best_case[0].replace('_', '-')} scenario."
        )
        stress = scenarios.get("bear") or worst[1]
        name = "bear" if "bear" in scenarios else worst[0]
        parts.append(
            f"In the {name.replace('_', '-')} scenario its average maximum drawdown is "
            f"{_pct(stress['max_drawdown'])} and its daily 95% CVaR {_pct(stress['cvar_95'], 2)}, "
            f"holding an average risky weight of {_pct(stress['average_weight'])}."
        )
    parts += limit_sentences(facts.get("limits") or [])
    if verdict.get("beats"):
        parts.append(verdict["words"])
    unused = StrategyConfig.model_validate(best).unused_parameters()
    importance = {k: v for k, v in facts.get("importance", {}).items() if k not in unused}
    if importance:
        ranked = sorted(importance.items(), key=lambda kv: -kv[1])
        top = ranked[0]
        text = (
            f"The parameter that mattered most was {_label(top[0])}, which explains "
            f"{_pct(top[1])} of the variation of the objective across trials"
        )
        if len(ranked) > 1:
            text += f", followed by {_label(ranked[1][0])} ({_pct(ranked[1][1])})"
        parts.append(text + ".")
        if (moved := _curve_sentence(facts, top[0], _label(top[0]))) is not None:
            parts.append(moved)
    if facts.get("hedging"):
        parts += _hedge_sentences(facts["hedging"])
    if (against := _runner_up_sentence(facts)) is not None:
        parts.append(against)
    dsr = facts.get("deflated_sharpe")
    if dsr and dsr.get("dsr") is not None:
        parts.append(
            f"Allowing for the number of configurations tried, the deflated Sharpe ratio (the "
            f"probability that the winner's true Sharpe ratio is positive) is {dsr['dsr']:.2f}."
        )
    return " ".join(parts)


NEGLIGIBLE_SHARPE = 0.01
"""A difference of annualised Sharpe ratios too small to matter: one hundredth."""


def _runner_up_sentence(facts: dict[str, Any]) -> str | None:
    """The winner against the runner-up on the same paths (`paired_sharpe`): the mean difference
    of their Sharpe ratios with its interval, "clear" when the interval excludes zero, and said to
    be too small to matter when the whole interval lies within `NEGLIGIBLE_SHARPE` either way
    (then which of the winner's parameters the runner-up changes, `runner_up_changes`)."""
    paired = (facts.get("paired_sharpe") or {}).get("overall")
    if not paired:
        return None
    mean, lower, upper = paired["mean"], paired["lower"], paired["upper"]
    side = "higher" if mean >= 0 else "lower"
    gap = f"{side} by {_gap(abs(mean))} on average (interval {_gap(lower)} to {_gap(upper)})"
    if max(abs(lower), abs(upper)) < NEGLIGIBLE_SHARPE:
        changed = _changed_parameters(facts.get("runner_up_changes") or {})
        runner_up = "The runner-up" + (f" ({changed})" if changed else "")
        return (
            f"{runner_up} does practically as well on the same simulated paths: the winner's "
            f"Sharpe ratio is {gap}, a difference too small to matter (within a hundredth either "
            "way), so settings near the winner's do as well."
        )
    verdict = "a clear edge" if lower > 0 else "an edge that is not statistically clear"
    return (
        f"Against the runner-up on the same simulated paths its Sharpe ratio is {gap}, {verdict}."
    )


def _gap(value: float) -> str:
    """A difference of Sharpe ratios with 3 decimals, or 2 significant digits below 0.001 (at
    most 6 decimals): a small difference is never written as 0.000."""
    if value == 0 or abs(value) >= 0.001:
        return f"{value:.3f}"
    decimals = min(6, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def _changed_parameters(changes: dict[str, Any]) -> str:
    """The parameters the runner-up sets otherwise (`runner_up_changes`), in words, in the
    vocabulary's order."""
    return ", ".join(parameter(name, changes[name]) for name in PARAMETERS if name in changes)


def _curve_points(facts: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The points of parameter `name`'s sensitivity curve that have an objective."""
    curve = facts.get("sensitivity", {}).get(name) or []
    return [point for point in curve if point.get("objective") is not None]


def _curve_sentence(facts: dict[str, Any], name: str, subject: str, span: str = "") -> str | None:
    """What moving parameter `name` (said as `subject`) across its range (`span`, e.g. " (21 to
    126 trading days)"), or changing it among its choices, does to the objective, the other
    parameters held at the winner's values (the sensitivity curve); None without a curve."""
    points = _curve_points(facts, name)
    if not points:
        return None
    values = [point["objective"] for point in points]
    low, high = f"{min(values):.3f}", f"{max(values):.3f}"
    how = "Changing {} among its choices" if _choices(points) else "Moving {} across its range"
    moving = f"{how.format(subject)}{span} while holding the others at the winner's values"
    if low == high:
        return f"{moving} leaves the objective at {low}."
    return f"{moving} moves the objective between {low} and {high}."


def parameter_explanation(facts: dict[str, Any], name: str) -> str | None:
    """Why the winner holds the value of parameter `name` it holds, from a finished search's
    explanation `facts`: its value, how much of the objective's variation across trials it
    explains beside the others (`importance`), what moving it across the range searched does to
    the objective with the others held at the winner's (`sensitivity`: where on that line the
    objective is highest, and whether that value meets the risk limits), and whether the
    winner's value sits at an end of the range. None when the facts know nothing of `name` (a
    parameter not searched, or a search before the sensitivity analysis)."""
    points = _curve_points(facts, name)
    importance: dict[str, float] = facts.get("importance") or {}
    best = facts.get("best_config") or {}
    if name not in best or not (importance or points):
        return None
    if name not in importance and not points:  # the search held it: the trials never moved it
        return (
            f"The winner: {parameter(name, best[name])}, which the search did not vary (the "
            "request fixed it, or left it at its default), so its trials say nothing of another "
            "value."
        )
    if name in StrategyConfig.model_validate(best).unused_parameters():
        return (
            f"The winner's weight rule, {PARAMETERS['weight_function'].write(best['weight_function'])}, "
            f"does not use the {_label(name)}: its value changes nothing in the winner."
        )
    term = PARAMETERS.get(name)

    def written(value: Any) -> str:
        return str(value) if term is None else term.write(value)

    parts = [f"The winner: {parameter(name, best[name])}."]
    if name in importance:
        top = max(importance, key=lambda k: importance[k])
        share = (
            f"It explains {_pct(importance[name])} of the variation of the objective across trials"
        )
        if top == name:
            parts.append(f"{share}, more than any other parameter.")
        else:
            parts.append(f"{share}; {_label(top)} explains the most ({_pct(importance[top])}).")
    if points:
        if _choices(points):
            span = f" ({', '.join(written(p['value']) for p in points)})"
        else:
            span = f" ({written(points[0]['value'])} to {written(points[-1]['value'])})"
        parts.append(_curve_sentence(facts, name, "it", span) or "")
        parts += _peak_sentences(points, best[name], written, bool(facts.get("limits")))
        at = _point_of(points, best[name])
        ends = (points[0], points[-1]) if not _choices(points) and len(points) > 1 else ()
        if at is not None and at in ends:
            end = "top" if at is points[-1] else "bottom"
            parts.append(
                f"It is at the {end} of the range searched: the best {_label(name)} may lie "
                "beyond it."
            )
    return " ".join(parts)


def _choices(points: list[dict[str, Any]]) -> bool:
    """Whether a sensitivity curve runs over a parameter's choices (names), not a range."""
    return any(isinstance(point["value"], str) for point in points)


def _point_of(points: list[dict[str, Any]], value: Any) -> dict[str, Any] | None:
    """The point of a sensitivity curve at `value` (the curve's values are rounded to 4
    significant digits: a number matches within a relative 1e-3), or None."""
    for point in points:
        here = point["value"]
        if here == value:
            return point
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (here, value))
        if numbers and abs(here - value) <= 1e-3 * max(abs(value), 1e-12):
            return point
    return None


LEVEL = 0.01
"""A point of a sensitivity curve within this share of the winner's objective is level with it."""


def _peak_sentences(
    points: list[dict[str, Any]], chosen: Any, written: Callable[[Any], str], limits: bool
) -> list[str]:
    """Where on a sensitivity curve the objective is highest against the winner's value
    `chosen`: level with the winner (within `LEVEL`), above it at a configuration the search did
    not find, or above it where the configuration breaks the risk limits, then where it is
    highest among the values that meet them (`limits`: the run had some; a point's `feasible`,
    absent from results stored before it was kept: unknown)."""
    winner = _point_of(points, chosen)
    if winner is None:
        return []
    peak = max(points, key=lambda point: point["objective"])
    if peak is winner:
        return ["The winner's value is where it is highest."]
    feasible = peak.get("feasible", None if limits else True)
    said = f"It is highest at {written(peak['value'])} ({peak['objective']:.3f})"
    if feasible is False:
        meeting = [p for p in points if p.get("feasible", True)]
        best = max(meeting, key=lambda point: point["objective"], default=winner)
        said += ", where the configuration breaks the risk limits; of the values that meet them"
        if best is winner:
            return [f"{said}, the winner's is highest."]
        return [
            f"{said}, at {written(best['value'])} ({best['objective']:.3f}){_against(best, winner)}."
        ]
    said += _against(peak, winner)
    if feasible is None and not _level(peak, winner):
        said += "; whether it meets the risk limits was not kept for this run"
    return [f"{said}."]


def _level(point: dict[str, Any], winner: dict[str, Any]) -> bool:
    gap = point["objective"] - winner["objective"]
    return gap <= LEVEL * max(abs(winner["objective"]), 1e-12)


def _against(point: dict[str, Any], winner: dict[str, Any]) -> str:
    """A curve's point beside the winner's: level with it, or above it (a configuration the
    search did not find)."""
    if _level(point, winner):
        return f", level with the winner's {winner['objective']:.3f}"
    return (
        f", above the winner's {winner['objective']:.3f}: a configuration the search did not find"
    )


def sensitivity_facts(data: dict[str, Any]) -> dict[str, Any]:
    """`importance` (parameter -> share) and `sensitivity` (parameter -> [{value, objective,
    feasible}]: `feasible` false where the configuration breaks the risk limits) facts from a
    `sensitivity_analysis` tool result."""
    importance = {
        str(item["parameter"]): float(item["importance"])
        for item in data.get("importance") or []
        if item.get("importance") is not None
    }
    curves = {
        str(name): [
            {
                "value": value,
                "objective": objective,
                "feasible": value not in (curve.get("infeasible_values") or []),
            }
            for value, objective in zip(
                curve.get("values", []), curve.get("objective", []), strict=False
            )
        ]
        for name, curve in (data.get("parameters") or {}).items()
        if isinstance(curve, dict)
    }
    return {"importance": importance, "sensitivity": curves}


def metric_explanation(
    facts: dict[str, Any], metrics: tuple[str, ...], scenarios: tuple[str, ...], cash: bool
) -> str | None:
    """The winner's `metrics` (keys of its metrics per scenario: "sharpe", "average_weight",
    ...) in `scenarios` (every scenario when none), from a finished search's explanation
    `facts`: each the mean over that scenario's simulated paths. The average risky weight is
    said as cash held or wealth borrowed; `cash`: the question asked about time in cash, which
    the run does not keep (it keeps each scenario's average weight), and the answer says so; a
    scenario asked that the search did not simulate is said to be missing. None when the facts
    hold none of them and no scenario is missing."""
    by_scenario: dict[str, dict[str, float]] = facts.get("scenarios") or {}
    shown = [s for s in (scenarios or tuple(by_scenario)) if s in by_scenario]
    said = []
    for metric in metrics:
        values = [(s, by_scenario[s][metric]) for s in shown if metric in by_scenario[s]]
        if not values:
            continue
        term = METRICS[metric]
        listed = "; ".join(
            f"{scenario_words(s)} {term.write(v)}{_held(metric, v)}" for s, v in values
        )
        said.append(
            f"The winner's {term.label} ({term.help}, the mean over each scenario's simulated paths): {listed}."
        )
    if missing := [s for s in scenarios if s not in by_scenario]:
        kept = ", ".join(scenario_words(s) for s in by_scenario)
        absent = ", ".join(scenario_words(s) for s in missing)
        said.append(f"The search did not simulate the {absent} scenario (its scenarios: {kept}).")
    if not said:
        return None
    if cash and "average_weight" in metrics:
        said.append(
            "The search keeps each scenario's average risky weight, not how many days the "
            "strategy spent in cash."
        )
    return " ".join(said)


def _held(metric: str, value: float) -> str:
    """What an average risky weight leaves in cash, or borrows ("" for another metric)."""
    if metric != "average_weight":
        return ""
    if value > 1.0:
        return f" (no cash: it borrows {percent(value - 1.0)} of wealth)"
    return f" ({percent(1.0 - value)} in cash)"
