"""Deploying an optimization's winner through the API: a winner below its benchmarks is refused
once, in words, on `confirm_below_benchmarks` until confirmed; a levered winner deploys with its
leverage capped by default, and `cap_leverage: false` refuses it on that field. No refusal
speaks of command-line flags."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.formatting import ratio
from tests.api.conftest import Api, assert_error
from tests.support.requests import SMALL_REQUEST


def _stored_winner(queued: Api, objective: float, scores: dict[str, float]) -> str:
    """A succeeded optimization of alice's whose winner (levered 1.5x) scores `objective` and
    whose benchmarks scored `scores`, stored as its worker would store it."""
    store = queued.client.app.state.context.store  # type: ignore[attr-defined]
    job, _ = store.submit_job("alice", "optimization", SMALL_REQUEST)
    store.claim("alice", job.id, "tests", 30)
    config = {"target_vol": 0.12, "lookback": 63, "rebalance_every": 21, "max_leverage": 1.5}
    result = {
        "status": "succeeded",
        "best": {"trial": 0, "config": config, "objective": objective},
        "edge": {"winner": objective, "scores": scores},
        "trials": [{"trial": 0, "objective": objective}],
        "n_trials": 1,
        "dataset": {"assets": SMALL_REQUEST["universe"]},
    }
    store.complete_job("alice", job.id, result)
    return str(job.id)


def _body(job_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "winner",
        "source": {"kind": "optimization", "id": job_id},
        "capital": 100_000,
        **extra,
    }


@settings(max_examples=5, deadline=None)
@given(objective=st.floats(-1, 2), gap=st.floats(0.01, 1))
def test_a_winner_below_its_benchmarks_is_refused_until_confirmed(
    queued: Api, objective: float, gap: float
) -> None:
    job_id = _stored_winner(queued, objective, {"buy_and_hold": objective + gap})
    refused = queued.client.post("/v1/deployments", json=_body(job_id), headers=queued.alice)
    error = assert_error(refused, 422, "VALIDATION_ERROR", "body.confirm_below_benchmarks")
    message = error["message"]
    assert message.startswith("The winner does not beat equal-weight buy-and-hold")
    assert f"{ratio(objective)} against {ratio(objective + gap)}" in message
    assert "--" not in message and message.count("does not beat") == 1
    made = queued.client.post(
        "/v1/deployments", json=_body(job_id, confirm_below_benchmarks=True), headers=queued.alice
    )
    assert made.status_code == 201, made.text
    notes = made.json()["spec"]["strategy"]["notes"]
    assert any("does not beat its benchmarks" in n for n in notes)


def test_a_levered_winner_deploys_capped_with_the_defaults_unless_refused(queued: Api) -> None:
    job_id = _stored_winner(queued, 1.0, {"buy_and_hold": 0.5})  # beats it: no confirmation
    made = queued.client.post("/v1/deployments", json=_body(job_id), headers=queued.alice)
    assert made.status_code == 201, made.text
    strategy = made.json()["spec"]["strategy"]
    assert strategy["config"]["max_leverage"] == 1.0
    assert any("capped from 1.50x to 1.00x" in n for n in strategy["notes"])
    refused = queued.client.post(
        "/v1/deployments", json=_body(job_id, cap_leverage=False), headers=queued.alice
    )
    error = assert_error(refused, 422, "VALIDATION_ERROR", "body.cap_leverage")
    assert "--" not in error["message"] and "1.50x" in error["message"]


@pytest.mark.parametrize("field", ["confirm_below_benchmarks", "cap_leverage"])
def test_the_fields_are_in_the_openapi_schema(queued: Api, field: str) -> None:
    schema = queued.client.get("/v1/openapi.json").json()
    assert field in schema["components"]["schemas"]["DeploymentIn"]["properties"]
