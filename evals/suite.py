"""Running cases on providers and scoring them: `evaluate` returns the `EvalReport`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from evals.case_run import Clock, Provider, Trace, run_case
from evals.cases import Case
from evals.prices import PriceTable, catalog_prices
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
    repeat: int = 1,
) -> EvalReport:
    """Run every case on every provider `repeat` times (each run in its own temporary data
    directory) and score it; costs come from `prices` (default: the model catalog's)."""
    if repeat < 1:
        raise ValueError(f"--repeat must be at least 1, got {repeat}")
    table = prices or catalog_prices()
    check = tool_schema_check()
    results = []
    for provider in providers:
        for case in cases:
            for attempt in range(repeat):
                trace = run_case(case, provider, settings, clock)
                cost = case_cost(table, provider, trace)
                scores = score(case, trace, check, compute)
                result = CaseResult(case, trace, scores, cost, attempt)
                results.append(result)
                if progress is not None:
                    progress(result)
    return EvalReport([p.label for p in providers], results, table, repeat)


def case_cost(table: PriceTable, provider: Provider, trace: Trace) -> float | None:
    """US dollars of a case run: each model call priced on its own (its model as the response
    named it, else the provider's model); None when any call's price is unknown."""
    total = 0.0
    for model, usage in trace.calls:
        cost = table.call_cost(provider.kind, model or provider.model, usage)
        if cost is None:
            return None
        total += cost
    return total
