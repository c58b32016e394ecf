"""A route's submission runs in a worker thread, never on the event loop, which answers the
health checks and every other request meanwhile (`api.context.AppContext.submit`):

- its checks, which read the configured market data (an optimization request's tickers and the
  trading days of its window, `graphs.request`; a deployment's run now and forward test), data
  a server loads after it starts (the app's warm-up) or on first use; refused, an optimization
  request gets the same 422 as when FastAPI checked its body on the event loop;
- the first submission's load of the job handlers (graphs, trading runs, reports: seconds of
  imports); later submissions load nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import api.context
from api.app import create_app
from services.market_data import providers
from services.market_data.tickers import MORE_TICKERS
from tests.api.conftest import make_settings
from tests.api.test_unknown_tickers import EMBEDDED

DATA_WAIT_S = 10.0
"""Longest the market data's load waits for the test to release it: reached only when nothing
but the blocked event loop could release it (the checks on the event loop, as before)."""
GOOGL = f"unknown ticker: no prices for GOOGL {EMBEDDED}{MORE_TICKERS}"


Route = Callable[[TestClient, dict[str, str]], tuple[str, dict[str, Any]]]
"""Makes what a request needs (before the market data is held back) and gives its path and
body."""


def _optimization(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "/v1/optimizations", {"universe": ["AAPL", "GOOGL"]}


def _valid_optimization(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "/v1/optimizations", {"n_paths": 20}


def _idea_optimization(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    idea = client.post(
        "/v1/ideas", json={"title": "t", "thesis": "t", "tickers": ["AAPL"]}, headers=headers
    ).json()["id"]
    for status in ("under_review", "accepted"):
        moved = client.post(f"/v1/ideas/{idea}/status", json={"status": status}, headers=headers)
        assert moved.status_code == 200, moved.text
    return f"/v1/ideas/{idea}/optimization", {}


def _optimization_run(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "/agent/runs/wait", {"assistant_id": "optimization", "input": {"universe": ["GOOGL"]}}


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


def _run_now(client: TestClient, headers: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return f"/v1/deployments/{_deployment(client, headers)}/run", {}


@pytest.mark.parametrize(
    ("route", "status", "field"),
    [
        (_optimization, 422, "body.universe.GOOGL"),
        (_idea_optimization, 202, None),
        (_optimization_run, 422, "body.input.universe.GOOGL"),
        (_forward_test, 202, None),
        (_run_now, 422, "body.deployment_id"),  # the embedded data ends in 2022
    ],
    ids=["optimizations", "idea-optimization", "agent-run-wait", "forward-test", "run-now"],
)
def test_health_is_answered_while_a_request_waits_for_the_market_data(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    route: Route,
    status: int,
    field: str | None,
) -> None:
    """The market data's load waits until the test releases it, which it does once the
    liveness check has answered: the request checked in a worker thread, the check answers
    first. (Checked on the event loop, as before, the load waits `DATA_WAIT_S` and ends first:
    nothing else runs until it does.)"""
    app = create_app(make_settings(tmp_path / "data", api={"job_workers": 0}))
    key, _ = app.state.context.store.create_api_key("alice", "tests")
    headers = {"x-api-key": key}
    path, body = route(TestClient(app), headers)  # without the app's start-up
    load = providers.market_data_provider
    waiting, released = threading.Event(), threading.Event()
    events: list[str] = []

    def slow_load(settings: Any = None) -> Any:
        waiting.set()
        released.wait(DATA_WAIT_S)
        events.append("market data loaded")
        return load(settings)

    monkeypatch.setattr(providers, "market_data_provider", slow_load)

    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            submitting = asyncio.create_task(client.post(path, json=body, headers=headers))
            assert await asyncio.to_thread(waiting.wait, DATA_WAIT_S)  # the checks wait
            live = await client.get("/v1/health/live")
            events.append(f"liveness {live.status_code}")
            released.set()
            return await submitting

    submitted = asyncio.run(scenario())
    assert events[:2] == ["liveness 200", "market data loaded"]
    assert submitted.status_code == status, submitted.text
    if field is not None:
        assert [d["field"] for d in submitted.json()["error"]["details"]] == [field]


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"universe": ["AAPL", "GOOGL"]}, [("body.universe.GOOGL", GOOGL)]),
        (
            {"start": "2020-01-01", "end": "2020-06-30"},
            [
                (
                    "body.start",
                    "the range 2020-01-01 to 2020-06-30 holds 125 trading days; at least 252 are "
                    "needed to identify market regimes (data from 1990-01-03 to 2022-12-28): "
                    "start on or before 2019-07-02 to keep the end, or end later",
                )
            ],
        ),
        (
            {"universe": ["GOOGL"], "scenarios": ["bear"], "scenario_weights": {"bull": 1}},
            [
                ("body.universe.GOOGL", GOOGL),
                (
                    "body.scenario_weights.bull",
                    "'bull' is not among the request's scenarios ['bear']",
                ),
            ],
        ),
    ],
    ids=["unknown-ticker", "short-window", "two-problems"],
)
def test_a_refused_optimization_request_gets_the_same_422_as_before(
    tmp_path: Path, body: dict[str, Any], details: list[tuple[str, str]]
) -> None:
    """The answers FastAPI gave when it checked the body on the event loop, word for word."""
    app = create_app(make_settings(tmp_path / "data", api={"job_workers": 0}))
    with TestClient(app) as client:
        key, _ = app.state.context.store.create_api_key("alice", "tests")
        refused = client.post("/v1/optimizations", json=body, headers={"x-api-key": key})
    summary = "; ".join(f"{field}: {problem}" for field, problem in details)
    assert refused.status_code == 422
    assert refused.json() == {
        "error": {
            "code": "VALIDATION_ERROR",
            "message": f"invalid request: {summary}",
            "details": [{"field": field, "problem": problem} for field, problem in details],
        }
    }


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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
