"""A route's submission runs in a worker thread, never on the event loop, which answers the
health checks and every other request meanwhile (`api.context.AppContext.submit`): the first
submission's load of the job handlers (graphs, trading runs, reports: seconds of imports); later
submissions load nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.context
from api.app import create_app
from tests.api.conftest import make_settings

Route = Callable[[TestClient, dict[str, str]], tuple[str, dict[str, Any]]]
"""Makes what a request needs and gives its path and body."""


def _idea_optimization(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    idea = client.post(
        "/v1/ideas", json={"title": "t", "thesis": "t", "tickers": ["AAPL"]}, headers=headers
    ).json()["id"]
    for status in ("under_review", "accepted"):
        moved = client.post(f"/v1/ideas/{idea}/status", json={"status": status}, headers=headers)
        assert moved.status_code == 200, moved.text
    return f"/v1/ideas/{idea}/optimization", {}


def _deployment(client: TestClient, headers: dict[str, str]) -> str:
    """An active paper deployment of a saved portfolio."""
    weights = [{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.5}]
    portfolio = client.post(
        "/v1/portfolios", json={"name": "p", "weights": weights}, headers=headers
    ).json()["id"]
    source = {"kind": "portfolio", "id": portfolio}
    deployment = client.post(
        "/v1/deployments", json={"name": "d", "source": source, "capital": 1000}, headers=headers
    ).json()["id"]
    activated = client.post(f"/v1/deployments/{deployment}/activate", headers=headers)
    assert activated.status_code == 200, activated.text
    return str(deployment)


def _forward_test(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return f"/v1/deployments/{_deployment(client, headers)}/forward-tests", {"start": "2022-06-01"}


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _valid_optimization(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "/v1/optimizations", {"n_paths": 20}


@pytest.mark.parametrize(
    "route",
    [_valid_optimization, _idea_optimization, _forward_test],
    ids=["optimizations", "idea-optimization", "forward-test"],
)
def test_the_first_submission_loads_the_job_handlers_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, route: Route
) -> None:
    load = api.context._job_handlers
    loads: list[bool] = []  # for each load of the handlers: whether it ran on the event loop

    def recorded() -> Any:
        loads.append(_on_an_event_loop())
        return load()

    monkeypatch.setattr(api.context, "_job_handlers", recorded)
    app = create_app(make_settings(tmp_path / "data", api={"job_workers": 0}))
    with TestClient(app) as client:
        key, _ = app.state.context.store.create_api_key("alice", "tests")
        headers = {"x-api-key": key}
        path, body = route(client, headers)
        for _ in range(2):
            submitted = client.post(path, json=body, headers=headers)
            assert submitted.status_code == 202, submitted.text
    assert loads == [False]
