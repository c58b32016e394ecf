"""Evaluation results and their renderings: a terminal table, JSON and a self-contained HTML page
comparing providers side by side (every text escaped). With repeated runs (``--repeat N``) a case
shows its pass rate (``k/N``) and each scorer's, and measurements are means over the runs."""

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
    """One run of a case on one provider: its trace, scores, cost (US dollars; None: unknown)
    and which run it was (0-based, with ``--repeat``)."""

    case: Case
    trace: Trace
    scores: dict[str, Score]
    cost: float | None
    attempt: int = 0

    @property
    def passed(self) -> bool:
        """Every applicable scorer passed."""
        return all(s.passed is not False for s in self.scores.values())


@dataclass(frozen=True)
class EvalReport:
    """Every run of every case on every provider, in run order (`repeat` runs of each)."""

    providers: list[str]
    results: list[CaseResult]
    prices: PriceTable
    repeat: int = 1

    @property
    def passed(self) -> bool:
        """Every case passed on every provider."""
        return all(r.passed for r in self.results)

    def of(self, provider: str) -> list[CaseResult]:
        """The results of `provider` (every run)."""
        return [r for r in self.results if r.trace.provider == provider]

    def runs(self, provider: str) -> dict[str, list[CaseResult]]:
        """`provider`'s runs by case id, in case order."""
        grouped: dict[str, list[CaseResult]] = {}
        for result in self.of(provider):
            grouped.setdefault(result.case.id, []).append(result)
        return grouped

    def totals(self, provider: str) -> dict[str, Any]:
        """Runs passed, tokens (uncached input, cache reads and writes, output), cost (None
        when any run's cost is unknown) and latency, summed over every run."""
        results = self.of(provider)
        costs = [r.cost for r in results]
        return {
            "cases": len(self.runs(provider)),
            "runs": len(results),
            "passed": sum(r.passed for r in results),
            "model_calls": sum(r.trace.model_calls for r in results),
            "tokens_in": sum(r.trace.tokens_in for r in results),
            "tokens_cache_read": sum(r.trace.tokens_cache_read for r in results),
            "tokens_cache_write": sum(r.trace.tokens_cache_write for r in results),
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
        "repeat": report.repeat,
        "scorers": SCORERS,
        "prices": {"date": report.prices.date, "source": report.prices.source},
        "providers": {
            provider: {
                "totals": report.totals(provider),
                "cases": [
                    {
                        "id": r.case.id,
                        "run": r.attempt + 1,
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
                        "tokens_cache_read": r.trace.tokens_cache_read,
                        "tokens_cache_write": r.trace.tokens_cache_write,
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


def rate(runs: list[CaseResult], scorer: str | None = None) -> tuple[int, int]:
    """``(passed, counted)`` over `runs`: of the case (`scorer` None), or of one scorer (runs
    where it is n/a are not counted)."""
    if scorer is None:
        return sum(r.passed for r in runs), len(runs)
    verdicts = [r.scores[scorer].passed for r in runs if r.scores[scorer].passed is not None]
    return sum(bool(v) for v in verdicts), len(verdicts)


def _cell(runs: list[CaseResult], scorer: str | None, repeat: int) -> str:
    passed, counted = rate(runs, scorer)
    if counted == 0:
        return "n/a"
    if repeat > 1:
        return f"{passed}/{counted}"
    if scorer is None:
        return "PASS" if passed == counted else "FAIL"
    return "pass" if passed == counted else "FAIL"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def table(report: EvalReport) -> str:
    """A plain-text table: one row per case and provider (with ``--repeat``, pass rates and
    means over the runs), then totals, failures and the scorers."""
    names = list(SCORERS)
    header = ["case", "provider", "result", *names, "calls", "tok in", "cache r/w", "tok out"]
    rows = [[*header, "cost", "secs"]]
    for provider in report.providers:
        for case_id, runs in report.runs(provider).items():
            costs = [r.cost for r in runs]
            cost = None if any(c is None for c in costs) else _mean([c or 0.0 for c in costs])
            traces = [r.trace for r in runs]
            rows.append([
                case_id, provider, _cell(runs, None, report.repeat),
                *(_cell(runs, n, report.repeat) for n in names),
                f"{_mean([x.model_calls for x in traces]):g}",
                f"{_mean([x.tokens_in for x in traces]):g}",
                f"{_mean([x.tokens_cache_read for x in traces]):g}/"
                f"{_mean([x.tokens_cache_write for x in traces]):g}",
                f"{_mean([x.tokens_out for x in traces]):g}", _cost(cost),
                f"{_mean([x.latency_s for x in traces]):.2f}",
            ])  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for provider in report.providers:
        t = report.totals(provider)
        lines.append(
            f"{provider}: {t['passed']}/{t['runs']} runs of {t['cases']} cases passed, "
            f"{t['model_calls']} model calls, {t['tokens_in']} tokens in (plus "
            f"{t['tokens_cache_read']} read from and {t['tokens_cache_write']} written to the "
            f"prompt cache), {t['tokens_out']} out, cost {_cost(t['cost_usd'])}, "
            f"{t['latency_s']:.2f} s"
        )
    failures = [
        f"  {r.case.id} on {r.trace.provider}{f' (run {r.attempt + 1})' if report.repeat > 1 else ''}, {n}: {s.detail}"
        for r in report.results
        for n, s in r.scores.items()
        if s.passed is False
    ]  # fmt: skip
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
    by_key: dict[tuple[str, str], list[CaseResult]] = {}
    for r in report.results:
        by_key.setdefault((r.case.id, r.trace.provider), []).append(r)
    head = "".join(f"<th>{e(p)}</th>" for p in report.providers)
    body = []
    for case_id, case in cases.items():
        cells = []
        for provider in report.providers:
            runs = by_key.get((case_id, provider))
            if not runs:
                cells.append("<td class='na'>not run</td>")
                continue
            r = next((x for x in runs if not x.passed), runs[0])  # a failing run, if any
            verdicts = "".join(
                f"<li class='{'na' if s.passed is None else 'pass' if s.passed else 'fail'}'>"
                f"{e(name)}: {e(_cell(runs, name, report.repeat))}"
                + (f" ({e(s.detail)})" if s.passed is False else "")
                + "</li>"
                for name, s in r.scores.items()
            )
            t = r.trace
            passed = all(x.passed for x in runs)
            cells.append(
                f"<td class='{'pass' if passed else 'fail'}'><b>{e(_cell(runs, None, report.repeat))}"
                f"</b><ul>{verdicts}</ul>{t.model_calls} model calls, {t.tokens_in} tokens in "
                f"(cache {t.tokens_cache_read} read, {t.tokens_cache_write} written), "
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
            f"<td>{total['passed']}/{total['runs']} runs passed; {total['model_calls']} model calls; "
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
