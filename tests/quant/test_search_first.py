"""A search's first configurations (a warm start): they are the first trials, in order, count
against the budget, resume like any trial, and a proposal outside the space is refused naming
it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import Choices, FloatRange, IntRange, SearchRun, SearchSpace
from quant.errors import SearchSpaceError

SPACE = {
    "target_vol": FloatRange(0.05, 0.25),
    "lookback": IntRange(20, 60, step=10),
    "rebalance_every": IntRange(5, 20, step=5),
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
}
NAMES = list(SPACE)


@pytest.fixture(scope="module")
def scenarios() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {"calm": rng.normal(0.0004, 0.008, (12, 120)), "stormy": rng.normal(0, 0.02, (12, 120))}


def _run(scenarios: dict[str, np.ndarray], **kwargs: object) -> SearchRun:
    run = SearchRun(SPACE, scenarios, **kwargs)  # type: ignore[arg-type]
    while not run.done:
        run.step()
    return run


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(0, 14),
    batch=st.integers(1, 8),
    method=st.sampled_from(["tpe", "random"]),
    seed=st.integers(0, 2**16),
    cut=st.integers(1, 3),
)
def test_the_first_configurations_are_the_first_trials_and_resume_like_any(
    scenarios: dict[str, np.ndarray], count: int, batch: int, method: str, seed: int, cut: int
) -> None:
    budget = 12
    first = SearchSpace(SPACE).sample(np.random.default_rng(seed + 1), count)
    kwargs = {"method": method, "budget": budget, "batch_size": batch, "seed": seed}
    straight = _run(scenarios, first=first, **kwargs)
    assert len(straight.rows) == budget  # they count against the budget
    taken = min(count, budget)
    assert [{n: r[n] for n in NAMES} for r in straight.rows[:taken]] == first[:taken]
    partial = SearchRun(SPACE, scenarios, first=first, **kwargs)  # type: ignore[arg-type]
    for _ in range(cut):
        partial.step()
    resumed = _run(scenarios, first=first, trials=json.loads(json.dumps(partial.rows)), **kwargs)
    assert [r["config_id"] for r in resumed.rows] == [r["config_id"] for r in straight.rows]


def test_a_random_search_keeps_its_own_plan_after_the_first(
    scenarios: dict[str, np.ndarray],
) -> None:
    cold = _run(scenarios, method="random", budget=10, batch_size=5, seed=4)
    first = [{n: cold.rows[9][n] for n in NAMES}]
    warm = _run(scenarios, method="random", budget=10, batch_size=5, seed=4, first=first)
    assert [r["config_id"] for r in warm.rows] == [cold.rows[9]["config_id"]] + [
        r["config_id"] for r in cold.rows[:9]
    ]


def test_a_grid_search_evaluates_its_grid(scenarios: dict[str, np.ndarray]) -> None:
    first = [
        {"target_vol": 0.1, "lookback": 30, "rebalance_every": 10, "weight_function": "sigmoid"}
    ]
    run = SearchRun(SPACE, scenarios, method="grid", budget=5, first=first)  # type: ignore[arg-type]
    cold = SearchRun(SPACE, scenarios, method="grid", budget=5)  # type: ignore[arg-type]
    assert run.first == [] and run.propose() == cold.propose()


@pytest.mark.parametrize(
    ("field", "value"),
    [("lookback", 25), ("lookback", 70), ("target_vol", 0.3), ("weight_function", "merton")],
)
def test_a_first_configuration_outside_the_space_is_refused_naming_it(
    scenarios: dict[str, np.ndarray], field: str, value: object
) -> None:
    good = {"target_vol": 0.1, "lookback": 30, "rebalance_every": 10, "weight_function": "sigmoid"}
    with pytest.raises(SearchSpaceError, match=rf"first\[1\]\.{field}"):
        SearchRun(SPACE, scenarios, first=[good, {**good, field: value}])  # type: ignore[arg-type]
