"""What a refusal costs (`api.admission`): a connection that was refused (503 here, 429 from the
per-caller limit) has its next request held until the `Retry-After` it was given has passed (at
most `HOLD_MAX_S`), a connection that waited as asked or was never refused is not held; refusals
leave uvicorn's access log out (on a real uvicorn server)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.admission import HOLD_MAX_S, Admission, AdmissionControl
from api.app import create_app
from api.limits import Message, RateLimiter, Receive, Scope, Send
from tests.api.conftest import assert_error, make_settings
from tests.support.live_server import TLS, running_server


class Clock:
    """Monotonic seconds that move only when told (or when a held request sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def shedding(per_minute: int, burst: int) -> tuple[AdmissionControl, Admission, Clock, list[int]]:
    """Admission control over an app answering 200, with a global limit of `per_minute` (burst
    `burst`) on a fake clock; the statuses sent are appended to the list."""
    clock = Clock()
    admission = Admission(
        1000, RateLimiter(per_minute, burst, clock=clock), clock=clock, sleep=clock.sleep
    )

    async def ok(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    return AdmissionControl(ok, admission=admission), admission, clock, []


def call(middleware: AdmissionControl, port: int, statuses: list[int]) -> None:
    """One request from connection ("10.0.0.1", `port`)."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/portfolios",
        "client": ("10.0.0.1", port),
    }
    asyncio.run(middleware(scope, receive, send))


def test_a_refused_connection_is_held_for_the_rest_of_its_retry_after() -> None:
    middleware, admission, clock, statuses = shedding(per_minute=60, burst=1)  # 1 a second
    call(middleware, 1, statuses)
    call(middleware, 1, statuses)  # no token left: refused, Retry-After 1
    assert statuses == [200, 503]
    clock.now += 0.25
    call(middleware, 2, statuses)  # another connection: not held, refused at once
    assert statuses[-1] == 503 and clock.slept == []
    call(middleware, 1, statuses)  # sent at once after its refusal: held 0.75 s, then served
    assert clock.slept == [pytest.approx(0.75)] and statuses[-1] == 200
    assert admission.held == 1
    clock.now += 1.0
    call(middleware, 2, statuses)  # waited as asked (its 1 s is over): not held
    assert clock.slept == [pytest.approx(0.75)] and statuses[-1] == 200


def test_a_long_retry_after_holds_at_most_a_second() -> None:
    middleware, _, clock, statuses = shedding(per_minute=6, burst=1)  # a token every 10 s
    call(middleware, 1, statuses)
    call(middleware, 1, statuses)
    call(middleware, 1, statuses)
    assert statuses == [200, 503, 503]
    assert clock.slept == [HOLD_MAX_S]


def test_a_429_holds_the_connection_too() -> None:
    clock = Clock()
    admission = Admission(1000, RateLimiter(60_000, 1000), clock=clock, sleep=clock.sleep)
    statuses: list[int] = []

    async def throttled(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"retry-after", b"1"), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    middleware = AdmissionControl(throttled, admission=admission)
    call(middleware, 7, statuses)
    clock.now += 0.4
    call(middleware, 7, statuses)
    assert statuses == [429, 429] and clock.slept == [pytest.approx(0.6)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=4), st.floats(min_value=0, max_value=2.5)),
        min_size=1,
        max_size=40,
    )
)
def test_no_request_is_held_longer_than_the_wait_its_connection_was_given(
    requests: list[tuple[int, float]],
) -> None:
    """Whatever the timing: a hold never exceeds `HOLD_MAX_S`, never outlasts the previous
    answer's Retry-After, and only follows a refusal on the same connection."""
    middleware, _, clock, statuses = shedding(per_minute=120, burst=2)
    last: dict[int, tuple[float, int]] = {}  # connection -> (when its last answer left, status)
    for port, pause in requests:
        clock.now += pause
        arrived, holds = clock.now, len(clock.slept)
        call(middleware, port, statuses)
        if len(clock.slept) > holds:
            held = clock.slept[-1]
            answered_at, status = last[port]
            assert status == 503
            assert 0 < held <= HOLD_MAX_S
            assert arrived + held <= answered_at + HOLD_MAX_S + 1e-9
        last[port] = (clock.now, statuses[-1])


def test_refusals_leave_the_access_log_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On uvicorn: the admitted request has its access line, the refused ones none; each
    refusal is in the error format with Retry-After."""
    settings = make_settings(
        tmp_path / "data", api={"global_rate_limit_per_minute": 1, "global_rate_limit_burst": 1}
    )
    app = create_app(settings)
    key, _ = app.state.context.store.create_api_key("alice", "tests")
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    with running_server(app, log_config=None, log_level="info") as base:  # to caplog
        admitted = httpx.get(f"{base}/v1/portfolios", headers={"x-api-key": key}, verify=TLS)
        assert admitted.status_code == 200
        refused = [
            httpx.get(f"{base}/v1/portfolios", headers={"x-api-key": key}, verify=TLS)
            for _ in range(3)
        ]  # a new connection each: never held
        for answer in refused:
            assert_error(answer, 503, "OVERLOADED", "server")
            assert 1 <= int(answer.headers["retry-after"]) <= 60
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    portfolio_lines = [line for line in lines if "/v1/portfolios" in line]
    assert len(portfolio_lines) == 1 and " 200" in portfolio_lines[0], lines
    assert app.state.context.admission.refused == 3


def test_each_refusal_carries_its_own_cors_headers(tmp_path: Path) -> None:
    """The refusal's bytes are shared, its headers are not: CORS (outside admission) adds the
    allowed origin of each request to its own refusal."""
    origins = ["https://a.example", "https://b.example"]
    settings = make_settings(
        tmp_path / "data",
        api={
            "global_rate_limit_per_minute": 1,
            "global_rate_limit_burst": 1,
            "cors_origins": origins,
        },
    )
    app = create_app(settings)
    clock = Clock()
    app.state.context.admission.clock = clock
    app.state.context.admission.sleep = clock.sleep
    with TestClient(app) as client:
        assert client.get("/v1/portfolios").status_code == 401  # takes the one token
        for origin in [*origins, origins[0]]:
            refused = client.get("/v1/portfolios", headers={"origin": origin})
            assert_error(refused, 503, "OVERLOADED", "server")
            allowed = [
                v for k, v in refused.headers.multi_items() if k == "access-control-allow-origin"
            ]
            assert allowed == [origin]
            assert refused.headers["vary"] == "Origin"  # added once, not once per refusal
