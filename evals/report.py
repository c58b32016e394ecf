"""Evaluation results and their renderings: a terminal table, JSON and a self-contained HTML page
comparing providers side by side (every text escaped)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from evals.case_run import Trace
from evals.cases import Case
from evals.prices import PriceTable
from evals.scorers import SCORERS, Score


@dataclass(frozen=True)
class CaseResult:
    """One case on one provider: its trace, scores and cost (US dollars; None: unknown)."""

    case: Case
    trace: Trace
    scores: dict[str, Score]
    cost: float | None

    @property
    def passed(self) -> bool:
        """Every applicable scorer passed."""
        return all(s.passed is not False for s in self.scores.values())


@dataclass(frozen=True)
class EvalReport:
    """Every case on every provider, in run order."""

    providers: list[str]
    results: list[CaseResult]
    prices: PriceTable

    @property
    def passed(self) -> bool:
        """Every case passed on every provider."""
        return all(r.passed for r in self.results)

    def of(self, provider: str) -> list[CaseResult]:
        """The results of `provider`."""
        return [r for r in self.results if r.trace.provider == provider]

    def totals(self, provider: str) -> dict[str, Any]:
        """Cases passed, tokens, cost (None when any case's cost is unknown) and latency."""
        results = self.of(provider)
        costs = [r.cost for r in results]
        return {
            "cases": len(results),
            "passed": sum(r.passed for r in results),
            "model_calls": sum(r.trace.model_calls for r in results),
            "tokens_in": sum(r.trace.tokens_in for r in results),
            "tokens_out": sum(r.trace.tokens_out for r in results),
            "cost_usd": None if any(c is None for c in costs) else sum(c for c in costs if c),
            "latency_s": round(sum(r.trace.latency_s for r in results), 3),
        }


def _verdict(score: Score) -> str:
    return "n/a" if score.passed is None else "pass" if score.passed else "FAIL"


def _cost(cost: float | None) -> str:
    return "unknown" if cost is None else f"${cost:.4f}"


def to_json(report: EvalReport) -> dict[str, Any]:
    """The report as JSON-ready data: scorer definitions, the price table's date and source,
    per provider its totals and per case its scores and measurements."""
    return {
        "passed": report.passed,
        "scorers": SCORERS,
        "prices": {"date": report.prices.date, "source": report.prices.source},
        "providers": {
            provider: {
                "totals": report.totals(provider),
                "cases": [
                    {
                        "id": r.case.id,
                        "tags": list(r.case.tags),
                        "passed": r.passed,
                        "scores": {
                            name: {"passed": s.passed, "detail": s.detail}
                            for name, s in r.scores.items()
                        },
                        "tool_calls": [
                            {"name": c.name, "args": c.args, "is_error": c.is_error}
                            for c in r.trace.tool_calls
                        ],
                        "answer": r.trace.answer,
                        "model_calls": r.trace.model_calls,
                        "models": r.trace.models,
                        "tokens_in": r.trace.tokens_in,
                        "tokens_out": r.trace.tokens_out,
                        "latency_s": round(r.trace.latency_s, 3),
                        "cost_usd": r.cost,
                        "error": r.trace.error,
                    }
                    for r in report.of(provider)
                ],
            }
            for provider in report.providers
        },
    }


def table(report: EvalReport) -> str:
    """A plain-text table: one row per case and provider, then totals and the scorers."""
    names = list(SCORERS)
    header = ["case", "provider", "result", *names, "calls", "tok in", "tok out", "cost", "secs"]
    rows = [header]
    for r in report.results:
        rows.append(
            [
                r.case.id,
                r.trace.provider,
                "PASS" if r.passed else "FAIL",
                *(_verdict(r.scores[n]) for n in names),
                str(r.trace.model_calls),
                str(r.trace.tokens_in),
                str(r.trace.tokens_out),
                _cost(r.cost),
                f"{r.trace.latency_s:.2f}",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for provider in report.providers:
        t = report.totals(provider)
        lines.append(
            f"{provider}: {t['passed']}/{t['cases']} cases passed, {t['model_calls']} model calls, "
            f"{t['tokens_in']} tokens in, {t['tokens_out']} out, cost {_cost(t['cost_usd'])}, "
            f"{t['latency_s']:.2f} s"
        )
    failures = [
        f"  {r.case.id} on {r.trace.provider}, {n}: {s.detail}"
        for r in report.results
        for n, s in r.scores.items()
        if s.passed is False
    ]
    if failures:
        lines += ["", "Failures:", *failures]
    lines += ["", "Scorers:", *(f"  {n}: {d}" for n, d in SCORERS.items())]
    lines.append(f"Prices: {report.prices.source}, read {report.prices.date}.")
    return "\n".join(lines)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
    "vertical-align:top;text-align:left}.pass{background:#e6f4ea}.fail{background:#fce8e6}"
    ".na{color:#888}details{max-width:40em}"
)


def to_html(report: EvalReport) -> str:
    """A self-contained page: per case a row, per provider a column of scorer verdicts,
    measurements and the answer; totals per provider; scorer definitions. All text escaped."""
    e = html.escape
    cases: dict[str, Case] = {}
    for r in report.results:
        cases.setdefault(r.case.id, r.case)
    by_key = {(r.case.id, r.trace.provider): r for r in report.results}
    head = "".join(f"<th>{e(p)}</th>" for p in report.providers)
    body = []
    for case_id, case in cases.items():
        cells = []
        for provider in report.providers:
            found = by_key.get((case_id, provider))
            if found is None:
                cells.append("<td class='na'>not run</td>")
                continue
            r = found
            verdicts = "".join(
                f"<li class='{'na' if s.passed is None else 'pass' if s.passed else 'fail'}'>"
                f"{e(name)}: {e(_verdict(s))}"
                + (f" ({e(s.detail)})" if s.passed is False else "")
                + "</li>"
                for name, s in r.scores.items()
            )
            t = r.trace
            cells.append(
                f"<td class='{'pass' if r.passed else 'fail'}'><b>{'PASS' if r.passed else 'FAIL'}"
                f"</b><ul>{verdicts}</ul>{t.model_calls} model calls, {t.tokens_in} tokens in, "
                f"{t.tokens_out} out, cost {e(_cost(r.cost))}, {t.latency_s:.2f} s"
                f"<details><summary>answer</summary>{e(t.answer)}</details></td>"
            )
        body.append(
            f"<tr><td><b>{e(case_id)}</b><br>{e(case.description)}<br><small>"
            f"{e(', '.join(case.tags))}</small></td>{''.join(cells)}</tr>"
        )
    totals = []
    for provider in report.providers:
        total = report.totals(provider)
        totals.append(
            f"<td>{total['passed']}/{total['cases']} passed; {total['model_calls']} model calls; "
            f"{total['tokens_in']} tokens in, {total['tokens_out']} out; "
            f"cost {e(_cost(total['cost_usd']))}; {total['latency_s']:.2f} s</td>"
        )
    scorers = "".join(f"<li><b>{e(n)}</b>: {e(d)}</li>" for n, d in SCORERS.items())
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Stratigos evaluation</title><style>{_STYLE}</style></head><body>"
        "<h1>Stratigos evaluation</h1>"
        f"<table><tr><th>case</th>{head}</tr>{''.join(body)}"
        f"<tr><th>totals</th>{''.join(totals)}</tr></table>"
        f"<h2>Scorers</h2><ul>{scorers}</ul>"
        f"<p>Prices: {e(report.prices.source)}, read {e(report.prices.date)}; a model without a "
        "listed price has an unknown cost.</p></body></html>"
    )


def write_json(report: EvalReport) -> str:
    """`to_json` as indented text."""
    return json.dumps(to_json(report), indent=2, default=str)
