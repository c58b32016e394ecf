"""Admission control (`api.admission`): beyond `max_in_flight` requests in flight, or beyond the
global rate, a request is refused at once with 503 `OVERLOADED` and `Retry-After`, in the error
format; health checks are never refused and readiness stays 200 while the process sheds (its
`capacity` says `busy`); the request threads number `api.threads`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from api.admission import Admission, AdmissionControl
from api.app import create_app
from api.limits import Message, RateLimiter, Receive, Scope, Send
from settings.cores import usable_cores
from settings.groups.api import THREADS_PER_CORE
from tests.api.conftest import assert_error, make_settings


def test_requests_beyond_the_in_flight_limit_are_shed_at_once(tmp_path: Path) -> None:
    """Two portfolio creations whose bodies have not all arrived hold both places; a third
    request is refused at once (503, Retry-After), health still answers and readiness stays
    200, saying the process is busy; once the two are answered, requests are admitted again
    (the next one on the refused connection after the rest of its Retry-After)."""
    app = create_app(make_settings(tmp_path / "data", api={"max_in_flight": 2}))
    key, _ = app.state.context.store.create_api_key("alice", "tests")
    headers = {"x-api-key": key}
    release = asyncio.Event()
    admission = app.state.context.admission
    admission.clock = lambda: 100.0  # no time passes: a refused connection waits its whole 1 s
    held_for: list[float] = []

    async def sleep(seconds: float) -> None:
        held_for.append(seconds)

    admission.sleep = sleep

    async def slow_body() -> AsyncIterator[bytes]:
        yield b'{"name": "held", '
        await release.wait()
        yield b'"weights": [{"asset": "AAPL", "weight": 1.0}]}'

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def held() -> httpx.Response:
                return await client.post(
                    "/v1/portfolios",
                    content=slow_body(),
                    headers={**headers, "content-type": "application/json"},
                )

            first = asyncio.ensure_future(held())
            second = asyncio.ensure_future(held())
            while app.state.context.admission.in_flight < 2:
                await asyncio.sleep(0)
            refused = await client.get("/v1/portfolios", headers=headers)
            error = assert_error(refused, 503, "OVERLOADED", "server")
            assert refused.headers["retry-after"] == "1"
            assert "2 requests in flight" in error["message"]
            assert (await client.get("/v1/health/live")).status_code == 200
            ready = await client.get("/v1/health")  # busy, but ready: it sheds at once
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["capacity"]["status"] == "busy"
            assert "2 of 2 requests in flight" in ready.json()["checks"]["capacity"]["problem"]
            release.set()
            assert (await first).status_code == 201
            assert (await second).status_code == 201
            assert app.state.context.admission.in_flight == 0
            assert held_for == []
            listed = await client.get("/v1/portfolios", headers=headers)
            assert listed.status_code == 200 and len(listed.json()["items"]) == 2
            assert held_for == [1.0]  # ASGITransport: every request on the refused connection
            ready = await client.get("/v1/health")
            assert ready.json()["checks"]["capacity"] == {"status": "ok", "problem": None}
            assert app.state.context.admission.refused == 1

    asyncio.run(scenario())
    app.state.context.close()


def test_a_streamed_response_stops_counting_once_it_starts() -> None:
    """A response that goes on after its start (an event stream follows a job for as long as
    the client reads) holds no place once it started; one that fails before starting gives
    its place back too."""
    admission = Admission(1, RateLimiter(60_000, 1000))
    started, finish = asyncio.Event(), asyncio.Event()

    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        started.set()
        await finish.wait()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("before the response")

    async def scenario() -> None:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope = {"type": "http", "path": "/v1/optimizations/x/events", "method": "GET"}
        stream = asyncio.ensure_future(
            AdmissionControl(streaming, admission=admission)(scope, receive, send)
        )
        await started.wait()
        assert admission.in_flight == 0 and not admission.saturated()
        with pytest.raises(RuntimeError):
            await AdmissionControl(failing, admission=admission)(scope, receive, send)
        assert admission.in_flight == 0
        finish.set()
        await stream
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]

    asyncio.run(scenario())


def test_the_global_rate_limit_binds_across_callers(tmp_path: Path) -> None:
    """Three requests at once from all callers together, then one a minute: the fourth is
    refused whoever sends it; health checks are not counted."""
    settings = make_settings(
        tmp_path / "data",
        api={"global_rate_limit_per_minute": 1, "global_rate_limit_burst": 3},
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        store = c.app.state.context.store  # type: ignore[attr-defined]
        alice = {"x-api-key": store.create_api_key("alice", "tests")[0]}
        bob = {"x-api-key": store.create_api_key("bob", "tests")[0]}
        assert c.get("/v1/portfolios", headers=alice).status_code == 200
        assert c.get("/v1/portfolios", headers=bob).status_code == 200
        assert c.get("/v1/health").status_code == 200
        assert c.get("/v1/portfolios").status_code == 401  # counted too: it reached the app
        refused = c.get("/v1/portfolios", headers=bob)
        error = assert_error(refused, 503, "OVERLOADED", "server")
        assert "1 requests per minute overall" in error["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert c.get("/v1/health/live").status_code == 200
        assert c.get("/v1/health").status_code == 200


def test_request_threads_number_the_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", api={"threads": 3})
    with TestClient(create_app(settings)) as c:
        assert c.portal is not None
        tokens = c.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
        assert tokens == 3


def test_request_threads_default_to_a_few_per_core(tmp_path: Path) -> None:
    cores = usable_cores()  # the affinity within any CPU quota (tests/settings/test_cores.py)
    with TestClient(create_app(make_settings(tmp_path / "data"))) as c:
        assert c.portal is not None
        tokens = c.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
        )
        assert tokens == THREADS_PER_CORE * cores
