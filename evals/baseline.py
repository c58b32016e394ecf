"""A committed baseline of evaluation results, and the regressions of a run against it.

`baseline_of(report)` keeps, per provider and case, the pass rate of the case and of each scorer
(runs where a scorer does not apply are not counted; a scorer that never applies is left out).
`regressions(report, baseline)` lists what got worse: a case or a scorer whose pass rate fell
below the baseline's, a case of the baseline that was not run. A case that is new, or better,
is no regression. With one run per case, a rate is 0 or 1: any case or scorer that passed in
the baseline and fails now is a regression. `evals/baseline.json` is the shipped baseline of the
offline model (`make test` compares every run with it); ``stratigos eval --write-baseline FILE``
writes one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.report import EvalReport, rate
from evals.scorers import SCORERS

BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
"""The shipped baseline: every case on the offline model."""


class BaselineError(ValueError):
    """A baseline file that cannot be read, or that compares nothing with the run."""


def baseline_of(report: EvalReport) -> dict[str, Any]:
    """The pass rates of `report`, per provider and case (see the module docstring)."""
    providers: dict[str, Any] = {}
    for provider in report.providers:
        cases: dict[str, Any] = {}
        for case_id, runs in report.runs(provider).items():
            passed, counted = rate(runs)
            scorers = {}
            for name in SCORERS:
                hits, applied = rate(runs, name)
                if applied:
                    scorers[name] = round(hits / applied, 4)
            cases[case_id] = {"pass_rate": round(passed / counted, 4), "scorers": scorers}
        providers[provider] = {"runs_per_case": report.repeat, "cases": cases}
    return {"schema": 1, "providers": providers}


def load_baseline(path: Path) -> dict[str, Any]:
    """The baseline in `path`; `BaselineError` naming the file when it cannot be read."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise BaselineError(f"--baseline {path}: cannot be read ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("providers"), dict):
        raise BaselineError(f"--baseline {path}: not a baseline (no providers)")
    return data


def regressions(report: EvalReport, baseline: dict[str, Any], *, subset: bool = False) -> list[str]:
    """What got worse in `report` than in `baseline` (see the module docstring), one line each
    (a `subset` run, `--case` or `--tag`, is not blamed for the cases it left out);
    `BaselineError` when the baseline has none of the run's providers."""
    known = [p for p in report.providers if p in baseline["providers"]]
    if not known:
        raise BaselineError(
            f"the baseline holds no result of {', '.join(report.providers)} (it has "
            f"{', '.join(baseline['providers'])})"
        )
    found: list[str] = []
    for provider in known:
        runs = report.runs(provider)
        for case_id, expected in baseline["providers"][provider]["cases"].items():
            if case_id not in runs:
                if not subset:
                    found.append(f"{case_id} on {provider}: in the baseline, not run")
                continue
            passed, counted = rate(runs[case_id])
            if passed / counted < expected["pass_rate"]:
                found.append(f"{case_id} on {provider}: passed {passed}/{counted}, baseline "
                             f"{expected['pass_rate']:.0%}")  # fmt: skip
            for name, was in expected["scorers"].items():
                hits, applied = rate(runs[case_id], name)
                now = hits / applied if applied else 0.0
                if now < was:
                    found.append(f"{case_id} on {provider}, {name}: {hits}/{applied} passed, "
                                 f"baseline {was:.0%}")  # fmt: skip
    return found


__all__ = ["BASELINE_FILE", "BaselineError", "baseline_of", "load_baseline", "regressions"]
