"""Live updates that fall back, in Chromium: a job's page follows its events over Server-Sent
Events, else a WebSocket, else long polling, each resuming after the last event received.

Each transport is blocked or cut in the browser (Playwright's `page.route` aborts or truncates
the SSE request, `page.route_web_socket` closes or cuts the WebSocket), and the page's trace must
read exactly as it does when nothing is blocked (an event shown twice or lost changes it: steps,
message texts, the convergence chart's live points), with each reconnection asking only for the
events after the last one it showed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.browser import Server, sign_in, small_request, succeeded_job, wait_for_job


def sse_request(url: str) -> bool:
    """A job's SSE request (not a long poll, which carries `wait`)."""
    parts = urlsplit(url)
    return parts.path.endswith("/events") and "wait" not in parse_qs(parts.query)


def after_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query).get("after", ["0"])[0])


class Network:
    """The page's event requests, and how the browser treats them: `sse` "pass", "abort" or
    "cut" (the first answer cut after `keep` events, later ones aborted); `websocket` "pass",
    "close" or "cut" (the first connection closed after `keep` events, later ones at once)."""

    def __init__(self, page: Any, *, sse: str = "pass", websocket: str = "pass", keep: int = 5):
        self.sse_after: list[int] = []
        self.ws_after: list[int] = []
        self.poll_after: list[int] = []
        self.page = page
        self.keep = keep

        def on_request(request: Any) -> None:
            if "/events" in request.url and not sse_request(request.url):
                self.poll_after.append(after_of(request.url))

        page.on("request", on_request)

        def route_sse(route: Any) -> None:
            if not sse_request(route.request.url):
                route.continue_()
                return
            self.sse_after.append(after_of(route.request.url))
            if sse == "pass":
                route.continue_()
            elif sse == "cut" and len(self.sse_after) == 1:
                body = route.fetch().text()
                blocks = [b for b in body.split("\n\n") if b.strip()]
                events = [b for b in blocks if re.search(r"^id: ", b, re.M)]
                assert len(events) > self.keep, "too few events to cut the stream"
                cut = body.index(events[self.keep - 1]) + len(events[self.keep - 1]) + 2
                route.fulfill(
                    status=200, headers={"content-type": "text/event-stream"}, body=body[:cut]
                )
            else:
                route.abort("connectionrefused")

        page.route(re.compile(r"/v1/optimizations/[^/]+/events"), route_sse)

        def route_ws(ws: Any) -> None:
            self.ws_after.append(after_of(ws.url))
            if websocket == "pass":
                ws.connect_to_server()
                return
            if websocket == "close" or len(self.ws_after) > 1:
                ws.close()
                return
            server = ws.connect_to_server()
            sent = [0]

            def to_page(message: Any) -> None:
                if sent[0] >= self.keep:
                    return
                if '"type": "event"' in message or '"type":"event"' in message:
                    sent[0] += 1
                ws.send(message)
                if sent[0] == self.keep:
                    ws.close()

            server.on_message(to_page)

        page.route_web_socket(re.compile(r"/v1/optimizations/[^/]+/ws"), route_ws)


QUICK_RETRY = "window.stratigosLiveBackoffMs = 10;"
"""A page's first wait before trying a transport again (live.js): 10 ms rather than 500 (it
doubles each time: a fallback from two refused transports waited 3 s of the test's time)."""


def follow(page: Any, server: Server, job_id: str) -> dict[str, Any]:
    """Open the job's page (retrying after `QUICK_RETRY`) and wait for its results; what its
    trace shows, and the transport it ended on."""
    page.add_init_script(QUICK_RETRY)
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_function("id => document.body.dataset.resultsReady === id", arg=job_id)
    shown: dict[str, Any] = page.evaluate(
        """() => ({
            steps: [...document.querySelectorAll('#job-trace > li')].map(li => li.textContent),
            live_points: document.getElementById('chart-convergence').dataset.livePoints || '0',
            transport: document.getElementById('job-progress').dataset.transport,
        })"""
    )
    return shown


@pytest.fixture(scope="module")
def finished(server: Server) -> str:
    return succeeded_job(server)


@pytest.fixture(scope="module")
def reference(browser_context: Any, server: Server, finished: str) -> dict[str, Any]:
    """The finished job's trace with nothing blocked (SSE)."""
    tab = browser_context.new_page()
    try:
        shown = follow(tab, server, finished)
    finally:
        tab.close()
    assert shown["transport"] == "sse" and len(shown["steps"]) > 5
    return shown


def same_trace(shown: dict[str, Any], reference: dict[str, Any]) -> None:
    assert shown["steps"] == reference["steps"]
    assert shown["live_points"] == reference["live_points"]


def test_sse_refused_falls_back_to_the_websocket(
    page: Any, server: Server, finished: str, reference: dict[str, Any]
) -> None:
    network = Network(page, sse="abort")
    shown = follow(page, server, finished)
    same_trace(shown, reference)
    assert shown["transport"] == "websocket"
    assert network.sse_after == [0, 0] and network.ws_after == [0]
    assert page.problems == []


def test_sse_and_websocket_refused_fall_back_to_long_polling(
    page: Any, server: Server, finished: str, reference: dict[str, Any]
) -> None:
    network = Network(page, sse="abort", websocket="close")
    shown = follow(page, server, finished)
    same_trace(shown, reference)
    assert shown["transport"] == "polling"
    assert network.ws_after == [0, 0] and network.poll_after[0] == 0
    assert page.problems == []


def test_each_transport_cut_midway_resumes_after_the_last_event_shown(
    page: Any, server: Server, finished: str, reference: dict[str, Any]
) -> None:
    """SSE cut after 5 events (reconnected from there, then refused), the WebSocket cut after 5
    more (reconnected from there, then refused), long polling from there to the end."""
    network = Network(page, sse="cut", websocket="cut", keep=5)
    shown = follow(page, server, finished)
    same_trace(shown, reference)
    assert shown["transport"] == "polling"
    first_sse, *later_sse = network.sse_after
    assert first_sse == 0 and later_sse and set(later_sse) == {later_sse[0]} and later_sse[0] > 0
    assert network.ws_after[0] == later_sse[0]
    assert len(network.ws_after) >= 2 and network.ws_after[1] > network.ws_after[0]
    assert network.poll_after[0] == network.ws_after[-1]
    assert page.problems == []


def test_a_running_job_is_followed_over_the_websocket_to_its_end(
    page: Any, server: Server, reference: dict[str, Any]
) -> None:
    """A job submitted now and followed live with SSE refused: its trace is the one the API
    stored (every event once, in order)."""
    with server.client() as client:
        job = client.post("/v1/optimizations", json=small_request()).json()
    network = Network(page, sse="abort")
    shown = follow(page, server, job["id"])
    assert shown["transport"] == "websocket" and network.ws_after[0] == 0
    with server.client() as client:
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
    again = page.context.new_page()
    try:
        replay = follow(again, server, job["id"])  # the stored events, over SSE
    finally:
        again.close()
    assert shown["steps"] == replay["steps"] and shown["live_points"] == replay["live_points"]
    assert page.problems == []
