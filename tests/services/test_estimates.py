"""Instant estimates from the owner's strategy model: labelled, with intervals around each
estimate, in the scenarios of the owner's own searches only, ranking fresh configurations as
their full evaluations do; bad inputs refused naming the field."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from graphs.request import OptimizationRequest
from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import TRIALS
from quant.strategy_model import METRICS
from services.errors import InputError, NotFoundInputError
from services.estimates import LABEL, estimate_strategy
from settings import ModelSettings, Settings
from store.factory import open_store
from tests.support.pipeline_search import REQUEST

PARAMS = ("target_vol", "weight_function", "lookback", "rebalance_every")


def _request(seed: int) -> OptimizationRequest:
    """Random searches of 60 trials on 64 paths: configurations spread over the space."""
    budget = {"max_trials": 60, "batch_size": 30}
    return OptimizationRequest.model_validate(
        {**REQUEST, "seed": seed, "n_paths": 64, "method": "random", "budget": budget}
    )


@pytest.fixture(scope="module")
def taught(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Any, Settings, list[dict[str, Any]]]]:
    """Alice's model after two searches, and the trials of a third search (fresh
    configurations, fully evaluated) it never learnt."""
    settings_ = Settings(
        data_dir=tmp_path_factory.mktemp("estimates"), models=ModelSettings(provider="offline")
    )
    for run_id, seed in (("a1", 1), ("a2", 2)):
        run_search_pipeline(_request(seed), run_id=run_id, owner="alice", settings=settings_)
    run_search_pipeline(_request(3), run_id="fresh", settings=settings_, train=False)
    root = pipeline_workspace("fresh", settings_)
    fresh = json.loads((root / "optimization" / TRIALS).read_text())["trials"]
    store = open_store(settings_)
    yield store, settings_, fresh
    store.close()


def test_an_estimate_is_labelled_with_intervals_in_the_newest_search_s_scenarios(
    taught: tuple[Any, Settings, list[dict[str, Any]]],
) -> None:
    store, _, _ = taught
    answer = estimate_strategy(store, "alice", {"target_vol": 0.12, "lookback": 42})
    assert answer["label"] == LABEL == "model estimate"
    assert answer["search"]["run_id"] == "a2" and answer["model"]["searches"] == 2
    assert answer["config"]["target_vol"] == 0.12 and answer["config"]["lookback"] == 42
    assert set(answer["scenarios"]) == set(_request(0).scenarios)
    for metrics in answer["scenarios"].values():
        for value in metrics.values():
            assert value["low"] <= value["estimate"] <= value["high"]
    assert "model estimate" in answer["full_evaluation"]
    measure = answer["model"]["accuracy_measure"]  # what the accuracy numbers mean, said
    assert "held-out" in measure and "within each scenario" in measure
    assert set(answer["model"]["accuracy"]) == set(METRICS)
    some = estimate_strategy(store, "alice", {}, run_id="a1", scenarios=["bear"])
    assert some["search"]["run_id"] == "a1" and list(some["scenarios"]) == ["bear"]


def test_estimates_rank_fresh_configurations_as_their_full_evaluations_do(
    taught: tuple[Any, Settings, list[dict[str, Any]]],
) -> None:
    store, _, fresh = taught
    correlations = []
    for scenario in _request(0).scenarios:
        estimated = [
            estimate_strategy(store, "alice", {p: t[p] for p in PARAMS}, scenarios=[scenario])[
                "scenarios"
            ][scenario]["sharpe"]["estimate"]
            for t in fresh
        ]
        actual = [t[f"{scenario}.sharpe"] for t in fresh]
        correlations.append(spearmanr(estimated, actual).statistic)
    # two searches of 24 trials teach the model; the benchmark measures a grown one
    assert np.mean(correlations) > 0.6, correlations


def test_an_owner_estimates_only_with_their_own_model_and_searches(
    taught: tuple[Any, Settings, list[dict[str, Any]]],
) -> None:
    store, _, _ = taught
    with pytest.raises(NotFoundInputError, match="no strategy model yet"):
        estimate_strategy(store, "bob", {})
    with pytest.raises(NotFoundInputError) as found:
        estimate_strategy(store, "alice", {}, run_id="someone-else-s")
    assert found.value.field == "run_id"


@settings(max_examples=25, deadline=None)
@given(
    field=st.sampled_from(["target_vol", "lookback", "weight_function", "no_such_field"]),
    value=st.one_of(st.text(max_size=5), st.floats(allow_nan=True), st.integers(-10, -1)),
)
def test_a_bad_configuration_is_refused_naming_its_field(
    taught: tuple[Any, Settings, list[dict[str, Any]]], field: str, value: object
) -> None:
    store, _, _ = taught
    try:
        answer = estimate_strategy(store, "alice", {field: value})
    except InputError as exc:
        assert exc.field == f"config.{field}"
    else:  # a value StrategyConfig accepts gives an estimate of it
        assert answer["config"][field] == value


def test_a_scenario_of_another_search_or_none_is_refused(
    taught: tuple[Any, Settings, list[dict[str, Any]]],
) -> None:
    store, _, _ = taught
    with pytest.raises(InputError) as error:
        estimate_strategy(store, "alice", {}, scenarios=["bull", "sideways"])
    assert error.value.field == "scenarios.1"
    with pytest.raises(InputError) as empty:
        estimate_strategy(store, "alice", {}, scenarios=[])
    assert empty.value.field == "scenarios"
    with pytest.raises(InputError) as shape:
        estimate_strategy(store, "alice", ["target_vol"])  # type: ignore[arg-type]
    assert shape.value.field == "config"
