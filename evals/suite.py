"""Running cases on providers and scoring them: `evaluate` returns the `EvalReport`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from evals.case_run import Clock, Provider, run_case
from evals.cases import Case
from evals.prices import PriceTable, load_prices
from evals.report import CaseResult, EvalReport
from evals.scorers import CoreCompute, core_value, score, tool_schema_check
from settings import Settings

Progress = Callable[[CaseResult], None]
"""Told about each case as it finishes."""


def evaluate(
    cases: Sequence[Case],
    providers: Sequence[Provider],
    settings: Settings,
    *,
    clock: Clock = time.perf_counter,
    prices: PriceTable | None = None,
    compute: CoreCompute = core_value,
    progress: Progress | None = None,
) -> EvalReport:
    """Run every case on every provider (each case in its own temporary data directory) and
    score it; costs come from `prices` (default: `evals/prices.toml`)."""
    table = prices or load_prices()
    check = tool_schema_check()
    results = []
    for provider in providers:
        for case in cases:
            trace = run_case(case, provider, settings, clock)
            cost = table.cost(provider.kind, provider.model, trace.tokens_in, trace.tokens_out)
            result = CaseResult(case, trace, score(case, trace, check, compute), cost)
            results.append(result)
            if progress is not None:
                progress(result)
    return EvalReport([p.label for p in providers], results, table)
