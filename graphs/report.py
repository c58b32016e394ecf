"""A Markdown report of an optimization result, for people (the JSON is for programs)."""

from __future__ import annotations

from typing import Any

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


def markdown_report(run_id: str, request: OptimizationRequest, result: dict[str, Any]) -> str:
    """The result as Markdown: status, winner, per-scenario metrics, explanation, convergence."""
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
        f"{result.get('rounds', 1)} round(s).",
        "",
        *([f"{result['feasibility'].capitalize()}.", ""] if result.get("feasibility") else []),
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
            lines.append(f"| {key} | {value} |")
        lines += ["", f"Objective: {best['objective']:.4f}", "", "## Per-scenario results", ""]
        header = "| scenario | " + " | ".join(label for _, label, _ in _METRICS) + " |"
        lines += [header, "| --- |" + " ---: |" * len(_METRICS)]
        for scenario, metrics in best["scenarios"].items():
            cells = [fmt.format(metrics[key]) for key, _, fmt in _METRICS]
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
        lines.append("")
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
