"""The resumable, batch-at-a-time search: resuming gives the trials of an uninterrupted run."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from quant import Choices, Constraint, FloatRange, IntRange, SearchRun, evaluate_path_means, search

SPACE = {
    "target_vol": FloatRange(0.05, 0.25),
    "lookback": IntRange(20, 60, step=10),
    "rebalance_every": IntRange(5, 20, step=5),
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
}


@pytest.fixture(scope="module")
def scenarios() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    calm = rng.normal(0.0004, 0.008, (30, 150))
    stormy = rng.normal(-0.0002, 0.02, (30, 150))
    return {"calm": calm, "stormy": stormy}


def _json_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows as a checkpointer would keep them: through JSON and back."""
    return json.loads(json.dumps(rows))


@pytest.mark.parametrize("method", ["tpe", "random", "grid"])
def test_resuming_from_saved_rows_gives_the_uninterrupted_trials(
    scenarios: dict[str, np.ndarray], method: str
) -> None:
    kwargs = {"method": method, "budget": 40, "batch_size": 10, "seed": 3}
    straight = search(SPACE, scenarios, **kwargs)  # type: ignore[arg-type]

    first = SearchRun(SPACE, scenarios, **kwargs)  # type: ignore[arg-type]
    first.step()
    first.step()
    resumed = SearchRun(SPACE, scenarios, trials=_json_rows(first.rows), **kwargs)  # type: ignore[arg-type]
    assert resumed.batch_index == 2
    while not resumed.done:
        resumed.step()
    result = resumed.result()

    columns = ["trial", "batch", *SPACE, "config_id", "objective", "feasible"]
    assert result.trials[columns].to_dict("records") == straight.trials[columns].to_dict("records")
    assert result.best_config == straight.best_config
    np.testing.assert_array_equal(result.convergence, straight.convergence)
    assert result.paired_sharpe is not None and straight.paired_sharpe is not None
    assert result.paired_sharpe["overall"].to_dict() == straight.paired_sharpe["overall"].to_dict()


def test_recording_means_computed_elsewhere_equals_evaluating_here(
    scenarios: dict[str, np.ndarray],
) -> None:
    here = SearchRun(SPACE, scenarios, budget=10, batch_size=10, seed=1)
    there = SearchRun(SPACE, scenarios, budget=10, batch_size=10, seed=1)
    params = here.propose()
    assert params == there.propose()
    rows_here = here.record(params)
    # a fanned-out evaluation: one scenario at a time, as a graph's parallel tasks would
    configs = there.configs(params)
    means = {
        name: evaluate_path_means(configs, {name: paths})[0][name]
        for name, paths in scenarios.items()
    }
    rows_there = there.record(
        params, {s: {m: list(v) for m, v in ms.items()} for s, ms in means.items()}
    )
    assert rows_here == rows_there


def test_restored_trials_are_rejudged_under_new_constraints(
    scenarios: dict[str, np.ndarray],
) -> None:
    run = SearchRun(SPACE, scenarios, budget=20, batch_size=10, seed=2)
    while not run.done:
        run.step()
    drawdowns = [row["stormy.max_drawdown"] for row in run.rows]
    limit = float(np.median(drawdowns))
    tightened = SearchRun(
        SPACE,
        scenarios,
        budget=30,
        batch_size=10,
        seed=2,
        constraints=[Constraint("max_drawdown", scenario="stormy", max=limit)],
        trials=_json_rows(run.rows),
    )
    for row, dd in zip(tightened.rows, drawdowns, strict=True):
        assert row["feasible"] == (dd <= limit)
        assert math.isclose(row["violation"], max(dd - limit, 0.0), rel_tol=1e-12, abs_tol=1e-15)
    assert not tightened.done
    new = tightened.step()
    assert len(new) == 10 and {row["batch"] for row in new} == {2}
    best = tightened.result()
    assert best.best_metrics["stormy"]["max_drawdown"] <= limit
