"""When a warm search stops (`quant.tuning.warm_stop`): never before its second batch, never
when the model's estimates do not rank its random probes (whatever the trials), never in a
batch that improved its best by more than the tolerance; otherwise after the batch. And a warm
TPE search keeps its share of random draws in every later batch, and stops early only where its
model knows the landscape (tested against a plain reimplementation of the rule and a search
whose every configuration's objective is known)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import Choices, IntRange, SearchRun, SearchSpace
from quant.tuning.warm_stop import (
    EXPLORATION_SHARE,
    MIN_BATCHES,
    MIN_PROBES,
    STALL_TOLERANCE,
    TRUST,
    probe_trust,
    warm_stop_reason,
)


def _ranks(values: list[float]) -> np.ndarray:
    """Average ranks (ties share theirs): a plain Spearman's ingredients."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = np.asarray(values)[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def _reference_stops(rows: list[dict[str, Any]], predicted: list[float], probes: int) -> bool:
    """The rule as the docs state it, written plainly."""
    if len({r["batch"] for r in rows}) < MIN_BATCHES:
        return False
    first = len(predicted)
    pairs = [
        (p, r["objective"])
        for p, r in zip(predicted[first - probes :], rows[first - probes : first], strict=True)
    ]
    if len(pairs) < MIN_PROBES:
        return False
    a, b = _ranks([p for p, _ in pairs]), _ranks([o for _, o in pairs])
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return False
    if not np.corrcoef(a, b)[0, 1] >= TRUST:
        return False
    last = rows[-1]["batch"]
    before = max(r["objective"] for r in rows if r["batch"] != last)
    now = max(r["objective"] for r in rows)
    return now - before <= STALL_TOLERANCE * max(abs(before), 1e-9)


@settings(max_examples=300, deadline=None)
@given(
    objectives=st.lists(st.floats(0.1, 2.0), min_size=1, max_size=60),
    batch=st.integers(4, 25),
    probes=st.integers(0, 20),
    noise=st.floats(0.0, 3.0),
    seed=st.integers(0, 1000),
)
def test_the_rule_stops_exactly_when_its_statement_says(
    objectives: list[float], batch: int, probes: int, noise: float, seed: int
) -> None:
    rows = [
        {"batch": i // batch, "objective": v, "feasible": True} for i, v in enumerate(objectives)
    ]
    first = min(len(rows), batch)
    probes = min(probes, first)
    rng = np.random.default_rng(seed)
    predicted = [r["objective"] + noise * rng.normal() for r in rows[:first]]
    stops = warm_stop_reason(rows, predicted, probes) is not None
    assert stops == _reference_stops(rows, predicted, probes)


def test_it_never_stops_where_the_model_ranks_the_probes_backwards() -> None:
    rows = [
        {"batch": i // 10, "objective": 1.0 + 0.01 * (i % 10), "feasible": True} for i in range(30)
    ]
    rows[10:] = [dict(r, objective=1.0) for r in rows[10:]]  # nothing better after the first
    backwards = [-r["objective"] for r in rows[:10]]
    assert probe_trust(rows, backwards, 10) == pytest.approx(-1.0)
    assert warm_stop_reason(rows, backwards, 10) is None
    faithful = [r["objective"] for r in rows[:10]]
    reason = warm_stop_reason(rows, faithful, 10)
    assert reason is not None and "1.00" in reason and f"{TRUST}" in reason


SPACE = {
    "lookback": IntRange(20, 60, step=10),
    "rebalance_every": IntRange(5, 20, step=5),
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
    "target_vol": 0.12,
}


@pytest.fixture(scope="module")
def grid() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Scenarios, and every configuration of the 40-point space with its objective."""
    rng = np.random.default_rng(5)
    scenarios = {
        "calm": rng.normal(0.0004, 0.008, (16, 140)),
        "stormy": rng.normal(0, 0.02, (16, 140)),
    }
    run = SearchRun(SPACE, scenarios, method="grid", budget=40, batch_size=40)
    run.step()
    names = list(SearchSpace(SPACE).searched)
    return scenarios, [{**{n: r[n] for n in names}, "objective": r["objective"]} for r in run.rows]


def _warm(
    scenarios: dict[str, Any],
    first: list[dict[str, Any]],
    predicted: list[float],
    probes: int,
    **kw: Any,
) -> SearchRun:
    names = list(SearchSpace(SPACE).searched)
    run = SearchRun(
        SPACE, scenarios, method="random", budget=40, batch_size=10, seed=3,
        first=[{n: c[n] for n in names} for c in first], predicted=predicted, probes=probes, **kw,
    )  # fmt: skip
    while not run.done:
        run.step()
    return run


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**16))
def test_a_search_whose_start_holds_the_best_and_a_faithful_model_stops_after_three_batches(
    grid: tuple[dict[str, Any], list[dict[str, Any]]], seed: int
) -> None:
    scenarios, points = grid
    best = max(points, key=lambda p: p["objective"])
    rng = np.random.default_rng(seed)
    probes = [points[i] for i in rng.choice(len(points), size=9, replace=False)]
    first = [best, *probes]
    faithful = _warm(scenarios, first, [p["objective"] for p in first], 9)
    assert len(faithful.rows) == 30 and faithful.stop_note is not None  # three batches of ten
    assert max(r["objective"] for r in faithful.rows) == best["objective"]
    if len({p["objective"] for p in probes}) > 1:  # a model ranking them backwards: no stop
        backwards = _warm(scenarios, first, [-p["objective"] for p in first], 9)
        assert len(backwards.rows) == 40 and backwards.stop_note is None


def test_a_warm_tpe_search_keeps_its_share_of_random_draws(
    grid: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    scenarios, points = grid
    names = list(SearchSpace(SPACE).searched)
    first = [{n: p[n] for n in names} for p in points[:3]]
    run = SearchRun(SPACE, scenarios, method="tpe", budget=30, batch_size=10, seed=8, first=first)
    while not run.done:
        run.step()
    share = math.ceil(EXPLORATION_SHARE * 10)
    for batch in (1, 2):
        drawn = SearchSpace(SPACE).sample(
            np.random.default_rng(np.random.SeedSequence([8, batch, 63])), share
        )
        tail = [
            {n: r[n] for n in names} for r in run.rows[10 * batch + 10 - share : 10 * batch + 10]
        ]
        assert tail == drawn
    cold = SearchRun(SPACE, scenarios, method="tpe", budget=30, batch_size=10, seed=8)
    assert cold.probes == 0 and cold.stop_note is None
