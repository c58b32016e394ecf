"""`POST /v1/strategy-estimates`: the caller's strategy model's estimate, labelled, with its
intervals; another owner's model and searches are not found (and not revealed); bad input is a
422 in the project's error format naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import SearchSpace
from services.strategy_model import Search, learn
from settings import ModelSettings, Settings
from tests.api.conftest import Api, assert_error
from tests.support.pipeline_search import pipeline_search

PATH = "/v1/strategy-estimates"


@pytest.fixture(scope="module")
def search(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Search:
    """The search Alice's model in the app's store learnt (its only one)."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("search"), models=ModelSettings(provider="offline")
    )
    found = pipeline_search(settings)
    learn(api.store, "alice", found)
    return found


@pytest.fixture(scope="module")
def taught(search: Search) -> str:
    """The run id of the search Alice's model learnt."""
    return search.run_id


def test_an_estimate_is_labelled_and_has_intervals(api: Api, taught: str) -> None:
    body = {"config": {"target_vol": 0.1, "weight_function": "sigmoid"}, "scenarios": ["bear"]}
    response = api.client.post(PATH, json=body, headers=api.alice)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["label"] == "model estimate" and answer["search"]["run_id"] == taught
    assert answer["config"]["weight_function"] == "sigmoid"
    [(scenario, metrics)] = answer["scenarios"].items()
    assert scenario == "bear" and set(metrics) == {
        "sharpe",
        "cagr",
        "volatility",
        "max_drawdown",
        "cvar_95",
    }
    assert all(v["low"] <= v["estimate"] <= v["high"] for v in metrics.values())
    assert answer["coverage"] == 0.9 and answer["model"]["version"] == 1


def test_another_owner_s_model_and_searches_are_not_found(api: Api, taught: str) -> None:
    for body in ({}, {"run_id": taught}):
        error = assert_error(api.client.post(PATH, json=body, headers=api.bob), 404, "NOT_FOUND")
        assert taught not in json.dumps(error)
    missing = api.client.post(PATH, json={"run_id": "nope"}, headers=api.alice)
    assert_error(missing, 404, "NOT_FOUND", "body.run_id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": {"target_vol": -1}}, "body.config.target_vol"),
        ({"config": {"weight_function": "magic"}}, "body.config.weight_function"),
        ({"config": {"leverage_please": 3}}, "body.config.leverage_please"),
        ({"config": []}, "body.config"),
        ({"scenarios": ["sideways"]}, "body.scenarios.0"),
        ({"scenarios": []}, "body.scenarios"),
        ({"run_id": ""}, "body.run_id"),
        ({"extra": 1}, "body.extra"),
    ],
)
def test_bad_input_names_its_field(api: Api, taught: str, body: dict[str, Any], field: str) -> None:
    error = assert_error(
        api.client.post(PATH, json=body, headers=api.alice), 422, "VALIDATION_ERROR", field
    )
    assert "Traceback" not in json.dumps(error) and "pydantic" not in json.dumps(error)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_full_evaluation_is_what_the_search_s_trial_of_the_configuration_showed(
    api: Api, search: Search, data: st.DataObject
) -> None:
    """Asked to evaluate, the answer adds the configuration simulated on the search's own
    paths: for a configuration the search tried, in any of its scenarios, exactly the path
    means its trial recorded; the model's estimate beside it is unchanged."""
    trial = data.draw(st.sampled_from(list(search.trials)), label="trial")
    names = list(search.context["scenarios"])
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True), label="chosen")
    space = SearchSpace(dict(search.search_space))
    config = space.config({n: trial[n] for n in space.names}).model_dump(mode="json")
    body = {"config": config, "scenarios": chosen}
    estimated = api.client.post(PATH, json=body, headers=api.alice)
    evaluated = api.client.post(PATH, json={**body, "evaluate": True}, headers=api.alice)
    assert estimated.status_code == evaluated.status_code == 200, evaluated.text
    assert estimated.json()["evaluation"] is None
    answer = evaluated.json()
    assert answer["scenarios"] == estimated.json()["scenarios"]
    evaluation = answer["evaluation"]
    assert evaluation["label"] == "full evaluation" and evaluation["run_id"] == search.run_id
    assert evaluation["n_paths"] == search.request["n_paths"]
    assert evaluation["seed"] == search.request["seed"]
    assert list(evaluation["scenarios"]) == chosen
    for scenario, metrics in evaluation["scenarios"].items():
        assert metrics == {m: trial[f"{scenario}.{m}"] for m in metrics}


def test_another_owner_cannot_have_a_search_evaluated(api: Api, taught: str) -> None:
    body = {"run_id": taught, "evaluate": True}
    error = assert_error(api.client.post(PATH, json=body, headers=api.bob), 404, "NOT_FOUND")
    assert taught not in json.dumps(error)
    bad = {"config": {"target_vol": -1}, "evaluate": True}
    assert_error(
        api.client.post(PATH, json=bad, headers=api.alice),
        422,
        "VALIDATION_ERROR",
        "body.config.target_vol",
    )
