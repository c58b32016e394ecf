"""A Markdown report of an optimization result, for people (the JSON is for programs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.reports.hedging import markdown_lines as hedging_lines
from graphs.optimization_edge import BENCHMARK_LABELS as BENCHMARKS
from graphs.request import OptimizationRequest

_METRICS = (
    ("sharpe", "Sharpe", "{:.2f}"),
    ("cagr", "CAGR", "{:.1%}"),
    ("volatility", "volatility", "{:.1%}"),
    ("max_drawdown", "max drawdown", "{:.1%}"),
    ("var_95", "VaR 95% (1d)", "{:.2%}"),
    ("cvar_95", "CVaR 95% (1d)", "{:.2%}"),
    ("average_weight", "avg risky weight", "{:.1%}"),
    ("turnover", "turnover / yr", "{:.2f}"),
)


BENCHMARK_LABELS: tuple[tuple[str, str], ...] = (
    ("winner", "the winner"),
    *BENCHMARKS.items(),
)
"""The strategies a result compares, and their names for people."""


def benchmark_note(result: dict[str, Any]) -> str:
    """What the benchmark table compares, in words: the strategies on the same paths, the
    market index only when the result holds it (else that it is left out, and why), and the
    safe rate the Sharpe ratios are in excess of."""
    held = "market" in (result.get("benchmarks") or {})
    compared = [
        "the winner",
        "its risky sleeve held at 100% of wealth",
        "the equal-weight universe bought on the first day and never rebalanced",
        "the same rebalanced daily",
        *(["the market index (the S&P 500 of the embedded data) on the same days"] if held else []),
    ]
    why = (result.get("benchmarks_missing") or {}).get("market")
    left_out = "" if held or not why else f" The market index is left out: {why}."
    return (
        f"Same simulated paths and days: {', '.join(compared[:-1])} and {compared[-1]}."
        f"{left_out} Sharpe ratios are in excess of {safe_rate_words(result)}."
    )


def safe_rate_words(result: Mapping[str, Any]) -> str:
    """The rate a result's Sharpe ratios are in excess of, in words ("the request's 2.00% safe
    rate"; unnamed in results written before the winner's edge stated it)."""
    rate = (result.get("edge") or {}).get("safe_rate")
    return "the request's safe rate" if rate is None else f"the request's {rate:.2%} safe rate"


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


def _for_people(key: str, value: Any) -> str:
    """A configuration value rounded for reading: a volatility target as a percentage, other
    reals to 4 significant digits, the rest as they are."""
    if isinstance(value, float):
        return f"{value:.2%}" if key == "target_vol" else f"{value:.4g}"
    return str(value)


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
    from services.warm_starts import describe_warm_start

    lines = [f"# Stratigos optimization {run_id}", ""]
    status = result["status"]
    lines.append(
        f"**Status:** {status}" + (f" ({result['reason']})" if result.get("reason") else "")
    )
    dataset = result.get("dataset") or {}
    lines += [
        "",
        f"Universe: {len(dataset.get('assets', []))} assets, daily returns "
        f"{dataset.get('start')} to {dataset.get('end')}; scenarios {', '.join(request.scenarios)} "
        f"({request.n_paths} paths each); {result.get('n_trials', 0)} of "
        f"{result.get('max_trials', request.budget.max_trials)} trials in "
        f"{result.get('rounds', 1)} round(s)."
        + (f" Data: {data_source(dataset)}." if data_source(dataset) else ""),
        "",
        *([f"{result['feasibility'].capitalize()}.", ""] if result.get("feasibility") else []),
        *(
            [f"Start: {describe_warm_start(result['warm_start'])}.", ""]
            if "warm_start" in result
            else []
        ),
    ]
    best = result.get("best")
    if best is None:
        lines += ["No configuration was selected.", ""]
    else:
        lines += [
            f"## Best configuration ({best['risk_verdict']})",
            "",
            *([f"_{best['note']}_", ""] if best.get("note") else []),
            "| parameter | value |",
            "| --- | --- |",
        ]
        for key, value in best["config"].items():
            lines.append(f"| {key} | {_for_people(key, value)} |")
        lines += ["", f"Objective: {best['objective']:.4f}", "", "## Per-scenario results", ""]
        lines += [f"Means over paths; Sharpe ratios in excess of {safe_rate_words(result)}.", ""]
        header = "| scenario | " + " | ".join(label for _, label, _ in _METRICS) + " |"
        lines += [header, "| --- |" + " ---: |" * len(_METRICS)]
        for scenario, metrics in best["scenarios"].items():
            cells = [fmt.format(metrics[key]) for key, _, fmt in _METRICS]
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
        lines.append("")
        rows = benchmark_rows(result)
        if rows:
            compared = [m for m in _METRICS if m[0] in rows[0]]
            lines += ["## Compared with unmanaged holdings", "", benchmark_note(result), ""]
            words = (result.get("edge") or {}).get("words")
            lines += [words, ""] if words else []
            lines.append("| scenario | strategy | " + " | ".join(c[1] for c in compared) + " |")
            lines.append("| --- | --- |" + " ---: |" * len(compared))
            for row in rows:
                cells = [fmt.format(row[key]) for key, _, fmt in compared]
                lines.append(f"| {row['scenario']} | {row['label']} | " + " | ".join(cells) + " |")
            lines.append("")
    lines += hedging_lines(result)
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
            "Best objective after each batch: " + ", ".join(f"{v:.4f}" for v in convergence),
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
            ", ".join(f"{k} {v:.2f}" for k, v in timings.items()),
            "",
        ]
    return "\n".join(lines)
