"""A Markdown report of an optimization result, for people (the JSON is for programs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.reports.hedging import markdown_lines as hedging_lines
from graphs.request import OptimizationRequest
from services.formatting import (
    BENCHMARKS,
    config_items,
    metric,
    metric_label,
    percent,
    ratio,
    scenario,
)

_METRICS: tuple[str, ...] = (
    "sharpe",
    "cagr",
    "volatility",
    "max_drawdown",
    "var_95",
    "cvar_95",
    "average_weight",
    "turnover",
)
"""The metrics of the per-scenario tables, each written in its format (`services.formatting`)."""


BENCHMARK_LABELS: tuple[tuple[str, str], ...] = (
    ("winner", "the winner"),
    *BENCHMARKS.items(),
)
"""The strategies a result compares, and their names for people."""


def benchmark_note(result: dict[str, Any]) -> str:
    """What the benchmark table compares, in words: the strategies on the same paths (the
    winner's risky sleeve held at 100% of wealth named once: on its own row when an optimizer
    builds it, else as the equal-weight or single-asset row it is), the market index only when
    the result holds it (else that it is left out, and why), and the safe rate the Sharpe ratios
    are in excess of."""
    held = result.get("benchmarks") or {}
    sleeve = "" if "risky_sleeve" in held else " (the winner's risky sleeve at 100% of wealth)"
    basket = "equal_weight" in held
    compared = [
        "the winner",
        *(["its risky sleeve held at 100% of wealth"] if "risky_sleeve" in held else []),
        "the equal-weight universe bought on the first day and never rebalanced"
        if basket
        else f"the one asset held{sleeve}",
        *([f"the same rebalanced daily{sleeve}"] if basket else []),
        *(["the market index (the S&P 500 of the embedded data) on the same days"]
          if "market" in held else []),
    ]  # fmt: skip
    why = (result.get("benchmarks_missing") or {}).get("market")
    left_out = "" if "market" in held or not why else f" The market index is left out: {why}."
    return (
        f"Same simulated paths and days: {', '.join(compared[:-1])} and {compared[-1]}."
        f"{left_out} Sharpe ratios are in excess of {safe_rate_words(result)}."
    )


def safe_rate_words(result: Mapping[str, Any]) -> str:
    """The rate a result's Sharpe ratios are in excess of, in words ("the request's 2.00% safe
    rate"; unnamed in results written before the winner's edge stated it)."""
    rate = (result.get("edge") or {}).get("safe_rate")
    return "the request's safe rate" if rate is None else f"the request's {percent(rate)} safe rate"


def benchmark_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario and strategy: ``scenario``, ``strategy`` (a `BENCHMARK_LABELS`
    key), ``label`` and the metrics (path means); empty when the result has no benchmarks."""
    benchmarks = result.get("benchmarks") or {}
    best = result.get("best") or {}
    if not benchmarks or not best:
        return []
    sources = {"winner": best.get("scenarios") or {}, **benchmarks}
    # The metrics the benchmarks report (the winner's entries hold every engine metric).
    reported = next((list(m) for b in benchmarks.values() for m in b.values()), [])
    return [
        {"scenario": scenario, "strategy": key, "label": label}
        | {m: sources[key][scenario][m] for m in reported}
        for scenario in best.get("scenarios") or {}
        for key, label in BENCHMARK_LABELS
        if scenario in sources.get(key, {})
    ]


def limit_lines(best: Mapping[str, Any]) -> list[str]:
    """Each risk limit checked on the winner, with its statistic of the paths, met or not
    (`graphs.optimization_limits.limit_checks`'s sentences)."""
    return [
        f"- {row['words']}: {'met' if row['met'] else 'NOT met'}"
        for check in best.get("limits") or []
        for row in check.get("per_scenario") or []
    ]


def data_source(dataset: dict[str, Any]) -> str:
    """Where a run's data came from, in words: the market data's provider and version and
    where it ends ("" for a result written before runs said so)."""
    if not dataset.get("provider"):
        return ""
    return (
        f"market data {dataset['provider']} (version {dataset.get('version')}, "
        f"ends {dataset.get('data_end')})"
    )


def markdown_report(run_id: str, request: OptimizationRequest, result: dict[str, Any]) -> str:
    """The result as Markdown: status, how it started, winner, per-scenario metrics,
    explanation, convergence."""
    lines = [f"# Stratigos optimization {run_id}", ""]
    lines += _heading_lines(request, result)
    best = result.get("best")
    if best is None:
        lines += ["No configuration was selected.", ""]
    else:
        lines += _best_lines(best, result)
        lines += _benchmark_lines(result)
    lines += hedging_lines(result)
    lines += _closing_lines(result)
    return "\n".join(lines)


def _heading_lines(request: OptimizationRequest, result: dict[str, Any]) -> list[str]:
    """The verdict when the result does not beat its benchmarks, its status, the universe,
    scenarios, trials and data it used, its feasibility and how it started."""
    from services.warm_starts import describe_result_start

    lines: list[str] = []
    verdict = result.get("benchmark_verdict") or {}
    if verdict.get("beats") is False:
        lines += [f"**{verdict['words']}**", ""]
    status = result["status"]
    lines.append(
        f"**Status:** {status}" + (f" ({result['reason']})" if result.get("reason") else "")
    )
    dataset = result.get("dataset") or {}
    if dataset:
        data = (
            f"Universe: {len(dataset.get('assets', []))} assets, daily returns "
            f"{dataset.get('start')} to {dataset.get('end')}"
        )
    else:  # a search pipeline's result: the request's universe and window
        asked = ", ".join(request.universe) if request.universe else "the market data's default"
        data = f"Universe asked: {asked}, daily returns {request.start} to {request.end}"
    lines += [
        "",
        f"{data}; scenarios {', '.join(request.scenarios)} "
        f"({request.n_paths} paths each); {result.get('n_trials', 0)} of "
        f"{result.get('max_trials', request.budget.max_trials)} trials in "
        f"{result.get('rounds', 1)} round(s)."
        + (f" Data: {data_source(dataset)}." if data_source(dataset) else ""),
        "",
        *([f"{result['feasibility'].capitalize()}.", ""] if result.get("feasibility") else []),
        *([f"Start: {start}.", ""] if (start := describe_result_start(result)) else []),
    ]
    return lines


def _best_lines(best: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """The winner's section: its verdict and note, its parameters, its objective, its risk
    limits and its path means in each scenario."""
    verdict = best.get("risk_verdict")
    lines = [
        f"## Best configuration ({verdict})" if verdict else "## Best configuration",
        "",
        *([f"_{best['note']}_", ""] if best.get("note") else []),
        "| parameter | value |",
        "| --- | --- |",
    ]
    for _, label, value in config_items(best["config"]):
        lines.append(f"| {label} | {value} |")
    lines += ["", f"Objective: {ratio(best['objective'])}", ""]
    limits = limit_lines(best)
    if limits:
        lines += ["## Risk limits", "", *limits, ""]
    lines += ["## Per-scenario results", ""]
    lines += [f"Means over paths; Sharpe ratios in excess of {safe_rate_words(result)}.", ""]
    header = "| scenario | " + " | ".join(metric_label(key) for key in _METRICS) + " |"
    lines += [header, "| --- |" + " ---: |" * len(_METRICS)]
    for name, metrics in best["scenarios"].items():
        cells = [metric(key, metrics[key]) for key in _METRICS]
        lines.append(f"| {scenario(name)} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _benchmark_lines(result: dict[str, Any]) -> list[str]:
    """The winner compared with unmanaged holdings on the same paths (none when the result
    holds no comparison)."""
    rows = benchmark_rows(result)
    if not rows:
        return []
    compared = [key for key in _METRICS if key in rows[0]]
    lines = ["## Compared with unmanaged holdings", "", benchmark_note(result), ""]
    words = (result.get("edge") or {}).get("words")
    lines += [words, ""] if words else []
    header = " | ".join(metric_label(key) for key in compared)
    lines.append(f"| scenario | strategy | {header} |")
    lines.append("| --- | --- |" + " ---: |" * len(compared))
    for row in rows:
        cells = [metric(key, row[key]) for key in compared]
        lines.append(
            f"| {scenario(row['scenario'])} | {row['label']} | " + " | ".join(cells) + " |"
        )
    lines.append("")
    return lines


def _closing_lines(result: dict[str, Any]) -> list[str]:
    """Why the winner won, the search's convergence, the risk review, warnings and timings."""
    lines: list[str] = []
    explanation = result.get("explanation")
    if explanation:
        lines += ["## Why it won", "", explanation["text"], ""]
        if explanation.get("source") == "template":
            lines += ["_(template explanation, composed from the results)_", ""]
    convergence = [v for v in result.get("convergence", []) if v is not None]
    if convergence:
        lines += [
            "## Convergence",
            "",
            "Best objective after each batch: " + ", ".join(ratio(v) for v in convergence),
            "",
        ]
    risk = result.get("risk")
    if risk:
        lines += ["## Risk review", "", risk["verdict"].get("rationale", ""), ""]
    if result.get("warnings"):
        lines += ["## Warnings", ""] + [f"- {w}" for w in result["warnings"]] + [""]
    timings = result.get("timings")
    if timings:
        lines += [
            "## Timings (s)",
            "",
            ", ".join(f"{k} {ratio(v)}" for k, v in timings.items()),
            "",
        ]
    return lines
