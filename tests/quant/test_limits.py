"""Risk limits on a stated statistic of the simulated paths: the statistics against numpy's
quantiles (the reference), the schema (a bare number is the 95th percentile), the search's
statistics equal to those of the engine's own per-path metrics, and a search's feasible winner
whose stated quantile of its paths meets every limit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pydantic import ValidationError

from quant import Constraint, FloatRange, IntRange, SearchRun, evaluate, evaluate_path_means
from quant.limits import (
    DEFAULT_STATISTIC,
    QUANTILES,
    STATISTICS,
    Limit,
    LimitValues,
    path_statistic,
    statistic_key,
    statistic_words,
)

NUMPY_REFERENCE = {
    "mean": lambda a: np.mean(a, axis=1),
    "median": lambda a: np.median(a, axis=1),
    "p90": lambda a: np.percentile(a, 90, axis=1, method="linear"),
    "p95": lambda a: np.percentile(a, 95, axis=1, method="linear"),
    "p99": lambda a: np.percentile(a, 99, axis=1, method="linear"),
    "worst": lambda a: np.max(a, axis=1),
}


@given(
    values=arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 60)),
        elements=st.floats(0, 1, allow_nan=False),
    ),
    statistic=st.sampled_from(STATISTICS),
)
def test_each_statistic_is_numpys(values: np.ndarray, statistic: str) -> None:
    got = path_statistic(values, statistic)
    np.testing.assert_allclose(got, NUMPY_REFERENCE[statistic](values), rtol=1e-12, atol=1e-15)
    if statistic != "mean":
        share = QUANTILES[statistic]  # at most the statistic in this share of the paths
        below = (values <= got[:, None] + 1e-12).mean(axis=1)
        assert np.all(below >= share - 1.0 / values.shape[1])


def test_a_nan_path_makes_the_statistic_nan() -> None:
    values = np.array([[0.1, np.nan, 0.2]])
    for statistic in STATISTICS:
        assert np.isnan(path_statistic(values, statistic)[0])


@given(limit=st.floats(1e-6, 1.0), statistic=st.sampled_from(STATISTICS))
def test_a_limit_reads_a_bare_number_as_the_default_statistic_and_writes_it_back(
    limit: float, statistic: str
) -> None:
    bare = LimitValues.model_validate({"max_drawdown": limit})
    assert bare.limits()["max_drawdown"] == Limit(limit=limit, statistic=DEFAULT_STATISTIC)
    assert bare.model_dump(mode="json", exclude_none=True) == {"max_drawdown": limit}
    stated = LimitValues.model_validate({"cvar_95": {"limit": limit, "statistic": statistic}})
    again = LimitValues.model_validate(json.loads(stated.model_dump_json()))
    assert again == stated and again.keys() == (statistic_key("cvar_95", statistic),)
    expected = limit if statistic == DEFAULT_STATISTIC else {"limit": limit, "statistic": statistic}
    assert stated.model_dump(mode="json", exclude_none=True) == {"cvar_95": expected}


@pytest.mark.parametrize(
    "bad",
    [{"max_drawdown": 0}, {"max_drawdown": 1.5}, {"max_drawdown": {"limit": 0.2, "statistic": "p50"}},
     {"max_drawdown": {"statistic": "p95"}}, {"max_drawdown": True}, {"volatility": 0.2}],
)  # fmt: skip
def test_a_bad_limit_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LimitValues.model_validate(bad)


def test_the_statistics_say_which_paths() -> None:
    assert statistic_words("p95", "bear") == "in 95% of bear paths"
    assert statistic_words("mean", "bear") == "on the mean of the bear paths"
    assert statistic_words("worst", "high-volatility") == "on the worst high-volatility path"
    assert statistic_key("max_drawdown", "mean") == "max_drawdown"
    assert statistic_key("max_drawdown", "p99") == "max_drawdown@p99"


@pytest.fixture(scope="module")
def scenarios() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {
        "calm": rng.normal(0.0004, 0.008, (40, 160)),
        "stormy": rng.normal(-0.0003, 0.022, (40, 160)),
    }


SPACE = {"target_vol": FloatRange(0.03, 0.4), "lookback": IntRange(20, 60, step=20)}


def test_the_search_keeps_the_statistics_of_the_engines_own_paths(
    scenarios: dict[str, np.ndarray],
) -> None:
    from quant.strategy import StrategyConfig

    configs = [StrategyConfig(target_vol=v, lookback=40) for v in (0.05, 0.15, 0.3)]
    keys = [statistic_key(m, s) for m in ("max_drawdown", "cvar_95") for s in STATISTICS]
    means, _ = evaluate_path_means(configs, scenarios, safe=0.02, statistics=keys)
    for name, paths in scenarios.items():
        direct = evaluate(configs, paths, 0.02)
        for metric in ("max_drawdown", "cvar_95"):
            per_path = direct.metric(metric)
            for statistic in STATISTICS:
                np.testing.assert_allclose(
                    means[name][statistic_key(metric, statistic)],
                    NUMPY_REFERENCE[statistic](per_path),
                    rtol=1e-12,
                )


@settings(max_examples=8, deadline=None)
@given(
    limit=st.floats(0.04, 0.3),
    statistic=st.sampled_from(["median", "p90", "p95", "p99", "worst"]),
    seed=st.integers(0, 50),
)
def test_a_feasible_winner_meets_each_limit_on_its_stated_quantile_of_paths(
    scenarios: dict[str, np.ndarray], limit: float, statistic: str, seed: int
) -> None:
    """Every trial the search calls feasible, re-evaluated by the engine on its own, has the
    stated quantile of its paths' drawdowns within the limit in every scenario; an infeasible
    one breaks it somewhere."""
    constraint = Constraint("max_drawdown", max=limit, statistic=statistic)
    run = SearchRun(SPACE, scenarios, constraints=[constraint], budget=12, batch_size=6, seed=seed)
    while not run.done:
        run.step()
    from quant.strategy import StrategyConfig

    for row in run.rows:
        config = StrategyConfig(target_vol=row["target_vol"], lookback=row["lookback"])
        stated = {
            name: float(NUMPY_REFERENCE[statistic](evaluate([config], paths, 0.02).max_drawdown)[0])
            for name, paths in scenarios.items()
        }
        for name, value in stated.items():
            assert row[f"{name}.max_drawdown@{statistic}"] == pytest.approx(value, rel=1e-12)
        assert row["feasible"] == all(v <= limit for v in stated.values()), (row, stated)
