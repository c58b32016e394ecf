"""The full evaluation an estimate offers (`graphs.strategy_evaluation`) rebuilds the search's own
request: over generated searches (search spaces, costs held fixed, horizons, scenarios, seeds),
every configuration a search tried, given by its searched fields alone, is accepted and
evaluates to the path means its trial recorded. And one validation of a configuration: an
estimate, the evaluation, a search's space and a deployment's source refuse the same
configurations naming the same field (`services.strategy_configs`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graphs.request import OptimizationRequest
from graphs.search_pipeline import run_search_pipeline
from graphs.strategy_evaluation import evaluate_strategy
from quant import SearchSpace
from quant.horizons import MAX_LOOKBACK, MIN_EVALUATED_DAYS
from quant.regime_names import REGIME_NAMES
from quant.strategy import MAX_LEVERAGE
from services.errors import InputError
from services.estimates import estimate_strategy
from services.problems import validation_problems
from services.strategy_configs import strategy_config
from services.strategy_model import learn
from settings import ModelSettings, Settings
from store import Store
from store.factory import open_store
from tests.support.pipeline_search import workspace_search

UNIVERSE = ["AAPL", "KO", "XOM"]
_runs = itertools.count()


@pytest.fixture(scope="module")
def where(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Store]]:
    """Settings on a data directory of this module's, and its store."""
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("evaluations"), models=ModelSettings(provider="offline")
    )
    store = open_store(settings_)
    yield settings_, store
    store.close()


@st.composite
def searches(draw: st.DrawFn) -> dict[str, Any]:
    """Small search requests: a horizon, scenarios, a space whose lookbacks fit the horizon,
    some fields held fixed (the trading cost among them), a seed."""
    horizon = draw(st.sampled_from([63, 84, 126, 168, 252]))
    longest = horizon - MIN_EVALUATED_DAYS
    low = draw(st.integers(5, min(42, longest - 1)))
    high = draw(st.integers(low + 1, longest))
    space: dict[str, Any] = {
        "target_vol": {"low": 0.05, "high": draw(st.sampled_from([0.15, 0.3]))},
        "weight_function": {
            "choices": draw(
                st.lists(
                    st.sampled_from(["inverse_vol", "sigmoid", "merton"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
        },
        "lookback": {"low": low, "high": high},
        "rebalance_every": draw(
            st.one_of(st.integers(1, 42), st.just({"low": 5, "high": 40, "step": 5}))
        ),
        "max_leverage": draw(
            st.one_of(st.floats(0.5, MAX_LEVERAGE), st.just({"low": 1.0, "high": MAX_LEVERAGE}))
        ),
        "cost_bps": draw(st.sampled_from([0.0, 5.0, 25.0])),
    }
    scenarios = draw(
        st.lists(st.sampled_from(list(REGIME_NAMES)), min_size=1, max_size=3, unique=True)
    )
    return {
        "universe": UNIVERSE,
        "start": "2010-01-01",
        "n_paths": 12,
        "horizon": horizon,
        "scenarios": scenarios,
        "search_space": space,
        "method": "random",
        "seed": draw(st.integers(0, 2**16)),
        "budget": {"max_trials": 12, "batch_size": 12},
        "warm_start": False,
    }


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=searches(), data=st.data())
def test_the_evaluation_of_a_search_s_trial_is_what_the_trial_recorded(
    where: tuple[Settings, Store], request: dict[str, Any], data: st.DataObject
) -> None:
    settings_, store = where
    run_id = f"gen{next(_runs)}"
    owner = f"owner-{run_id}"
    run_search_pipeline(
        OptimizationRequest.model_validate(request), run_id=run_id, settings=settings_, train=False
    )
    search = workspace_search(settings_, run_id)
    learn(store, owner, search)
    space = SearchSpace(dict(search.search_space))
    scenarios = list(search.context["scenarios"])
    for trial in data.draw(st.lists(st.sampled_from(list(search.trials)), min_size=1, max_size=3)):
        searched = {name: trial[name] for name in space.names}  # the fixed ones: the search's
        chosen = data.draw(st.lists(st.sampled_from(scenarios), min_size=1, unique=True))
        evaluation = evaluate_strategy(
            store, owner, searched, run_id=run_id, scenarios=chosen, settings=settings_
        )
        assert evaluation["horizon"] == request["horizon"] and evaluation["seed"] == request["seed"]
        for scenario in chosen:
            recorded = {m: trial[f"{scenario}.{m}"] for m in evaluation["scenarios"][scenario]}
            assert evaluation["scenarios"][scenario] == recorded, (scenario, searched)
        estimate = estimate_strategy(store, owner, searched, run_id=run_id, scenarios=chosen)
        assert estimate["config"] == space.config(searched).model_dump(mode="json")


@pytest.fixture(scope="module")
def taught(where: tuple[Settings, Store]) -> str:
    """An owner whose model learnt one search of 126 days (its lookbacks up to 105)."""
    settings_, store = where
    request = {
        "universe": UNIVERSE,
        "start": "2010-01-01",
        "n_paths": 10,
        "horizon": 126,
        "search_space": {
            "target_vol": {"low": 0.05, "high": 0.2},
            "lookback": {"low": 21, "high": 105},
        },
        "budget": {"max_trials": 6, "batch_size": 6},
        "warm_start": False,
    }
    run_search_pipeline(
        OptimizationRequest.model_validate(request), run_id="short", settings=settings_, train=False
    )
    learn(store, "carol", workspace_search(settings_, "short"))
    return "carol"


CONFIG_VALUES = st.one_of(
    st.tuples(st.just("lookback"), st.integers(-5, 200_000)),
    st.tuples(
        st.just("max_leverage"), st.one_of(st.floats(-1, 10), st.sampled_from([1e9, 3.0, 3.0001]))
    ),
    st.tuples(st.just("target_vol"), st.one_of(st.floats(-1, 2), st.just(float("nan")))),
    st.tuples(st.just("rebalance_every"), st.integers(-2, 5000)),
)


def _refused(call: Any) -> str | None:
    """The field an `InputError` of `call()` names, None when it succeeds."""
    try:
        call()
    except InputError as exc:
        return exc.field
    return None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field_value=CONFIG_VALUES)
def test_estimate_evaluation_search_and_deployment_refuse_the_same_configurations(
    where: tuple[Settings, Store], taught: str, field_value: tuple[str, Any]
) -> None:
    settings_, store = where
    field, value = field_value
    config = {field: value}
    estimated = _refused(lambda: estimate_strategy(store, taught, config))
    evaluated = _refused(lambda: evaluate_strategy(store, taught, config, settings=settings_))
    deployed = _refused(lambda: strategy_config(config, "source.config"))
    assert estimated == evaluated
    fits = field != "lookback" or not isinstance(value, int) or value <= 126 - MIN_EVALUATED_DAYS
    if deployed is not None or not fits:
        assert estimated == f"config.{field}"
    else:
        assert estimated is None
    assert deployed in (None, f"source.config.{field}")
    search: dict[str, Any] = {
        "universe": UNIVERSE,
        "start": "2010-01-01",
        "horizon": 126,
        "search_space": {"target_vol": {"low": 0.05, "high": 0.2}, field: value},
    }
    if field == "target_vol":
        search["search_space"]["lookback"] = {"low": 21, "high": 42}
    try:
        OptimizationRequest.model_validate(search)
        searched = []
    except ValidationError as exc:
        searched = [where for where, _ in validation_problems(exc.errors())]
    assert (searched == []) == (estimated is None), (searched, estimated)
    if searched:
        assert searched == [f"search_space.{field}"], searched


def test_the_bounds_the_engine_honours() -> None:
    """Leverage 1e9 and a lookback of 100,000 days (the issue's) are refused everywhere."""
    for field, value in (("max_leverage", 1e9), ("lookback", 100_000)):
        with pytest.raises(InputError) as refused:
            strategy_config({field: value})
        assert refused.value.field == f"config.{field}"
        bound = MAX_LEVERAGE if field == "max_leverage" else MAX_LOOKBACK
        assert refused.value.problem == f"must be at most {bound:g}"
    assert (
        strategy_config({"max_leverage": MAX_LEVERAGE, "lookback": MAX_LOOKBACK}).lookback
        == MAX_LOOKBACK
    )
