"""A job's trace over SSE, long poll and WebSocket: complete, ordered, resumable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.api.conftest import Api, assert_error, parse_sse
from tests.api.test_optimizations import SMALL, wait_done


@pytest.fixture(scope="module")
def job(api: Api) -> dict[str, Any]:
    response = api.client.post("/v1/optimizations", json=SMALL, headers=api.alice)
    return wait_done(api, response.json()["id"], api.alice)


def stored_seqs(api: Api, job_id: str) -> list[int]:
    return [e.seq for e in api.store.events("alice", job_id, limit=1000)]


def sse_messages(api: Api, job_id: str, headers: dict[str, str], query: str = "") -> list[dict]:
    url = f"/v1/optimizations/{job_id}/events{query}"
    with api.client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(list(response.iter_lines()))


def test_sse_streams_every_event_once_in_order_then_end(api: Api, job: dict[str, Any]) -> None:
    messages = sse_messages(api, job["id"], api.alice)
    events = [m for m in messages if m.get("event") != "end"]
    seqs = stored_seqs(api, job["id"])
    assert [int(m["id"]) for m in events] == seqs == list(range(1, len(seqs) + 1))
    payloads = [json.loads(m["data"]) for m in events]
    assert [p["seq"] for p in payloads] == seqs
    assert [m["event"] for m in events] == [p["type"] for p in payloads]
    assert payloads[0]["type"] == "run_started" and payloads[-1]["type"] == "run_finished"
    assert messages[-1]["event"] == "end"
    assert json.loads(messages[-1]["data"]) == {"status": "succeeded"}
    assert "id" not in messages[-1]


def test_last_event_id_resumes_after_it(api: Api, job: dict[str, Any]) -> None:
    seqs = stored_seqs(api, job["id"])
    cut = seqs[len(seqs) // 2]
    resumed = sse_messages(api, job["id"], {**api.alice, "Last-Event-ID": str(cut)})
    assert [int(m["id"]) for m in resumed if "id" in m] == [s for s in seqs if s > cut]
    # `after` works the same; the larger of the two wins
    by_query = sse_messages(api, job["id"], api.alice, f"?after={cut}")
    assert [m.get("id") for m in by_query] == [m.get("id") for m in resumed]


def test_long_poll_pages_through_the_trace(api: Api, job: dict[str, Any]) -> None:
    seqs = stored_seqs(api, job["id"])
    collected: list[int] = []
    after = 0
    while True:
        page = api.client.get(
            f"/v1/optimizations/{job['id']}/events?after={after}&wait=1&limit=25",
            headers=api.alice,
        ).json()
        collected += [e["seq"] for e in page["events"]]
        after = page["last_seq"]
        assert page["status"] == "succeeded"
        if page["done"]:
            break
    assert collected == seqs


def test_websocket_with_header_or_first_message_auth(api: Api, job: dict[str, Any]) -> None:
    seqs = stored_seqs(api, job["id"])
    url = f"/v1/optimizations/{job['id']}/ws?after=3"
    with api.client.websocket_connect(url, headers=api.alice) as ws:
        messages = _drain(ws)
    assert [m["seq"] for m in messages[:-1]] == [s for s in seqs if s > 3]
    assert messages[-1] == {"type": "end", "status": "succeeded"}
    with api.client.websocket_connect(url) as ws:
        ws.send_json({"type": "auth", "api_key": api.alice["x-api-key"]})
        assert [m.get("seq") for m in _drain(ws)[:-1]] == [s for s in seqs if s > 3]


def _drain(ws: Any) -> list[dict[str, Any]]:
    messages = []
    while True:
        message = ws.receive_json()
        messages.append(message)
        if message["type"] != "event":
            return messages


def test_websocket_refuses_bad_keys_and_other_owners(api: Api, job: dict[str, Any]) -> None:
    url = f"/v1/optimizations/{job['id']}/ws"
    with api.client.websocket_connect(url, headers={"x-api-key": "wrong"}) as ws:
        assert ws.receive_json()["error"]["code"] == "UNAUTHENTICATED"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401
    with api.client.websocket_connect(url, headers=api.bob) as ws:
        assert ws.receive_json()["error"]["code"] == "NOT_FOUND"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404


def test_events_need_credentials_and_valid_parameters(api: Api, job: dict[str, Any]) -> None:
    url = f"/v1/optimizations/{job['id']}/events"
    assert_error(api.client.get(url), 401, "UNAUTHENTICATED")
    for bad in ("abc", "-3", "1.5", "9" * 30):
        response = api.client.get(url, headers={**api.alice, "Last-Event-ID": bad})
        error = assert_error(response, 400, "BAD_REQUEST", "header.last-event-id")
        assert bad in error["message"]
    assert_error(
        api.client.get(f"{url}?wait=99", headers=api.alice), 422, "VALIDATION_ERROR", "wait"
    )
    assert_error(
        api.client.get(f"{url}?after=-1", headers=api.alice), 422, "VALIDATION_ERROR", "after"
    )


def test_websocket_handler_ends_when_the_client_leaves(queued_app: Any) -> None:
    """A pending job never ends here; the handler must stop once the client disconnects."""
    import asyncio

    app, key, job_id = queued_app
    messages = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": json.dumps({"type": "auth", "api_key": key})},
    ]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(0.3)  # the client stays a moment, then goes away
        return {"type": "websocket.disconnect", "code": 1001}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": f"/v1/optimizations/{job_id}/ws",
        "raw_path": b"",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "subprotocols": [],
        "root_path": "",
        "state": {},
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=10))  # returns, no timeout
    assert sent[0]["type"] == "websocket.accept"


@pytest.fixture(scope="module")
def queued_app(api_env: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from api.app import create_app
    from tests.api.conftest import make_settings

    app = create_app(make_settings(tmp_path_factory.mktemp("ws-leave"), api={"job_workers": 0}))
    store = app.state.context.store
    key, _ = store.create_api_key("alice", "ws")
    job, _ = store.submit_job("alice", "optimization", SMALL)
    return app, key, job.id


def test_websocket_closed_without_credentials_logs_no_traceback(
    api: Api, job: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A client that connects without a key and leaves: no error is logged (on real uvicorn)."""
    import asyncio
    import logging

    import websockets

    from tests.support.live_server import running_server

    server_log = logging.getLogger("uvicorn.error")  # uvicorn's loggers do not propagate
    try:
        with running_server(api.client.app) as base:
            server_log.addHandler(caplog.handler)  # after uvicorn configured its logging
            url = base.replace("http", "ws", 1) + f"/v1/optimizations/{job['id']}/ws"

            async def connect_and_leave() -> None:
                async with websockets.connect(url) as ws:
                    await ws.close()
                # then one that waits for the answer; its received events unbounded, so that
                # the server's closing frame behind them is read at once (past websockets'
                # default queue of 16 messages it stops reading and waits out its close timeout)
                async with websockets.connect(url, max_queue=None) as ws:
                    await ws.send(json.dumps({"type": "auth", "api_key": api.alice["x-api-key"]}))
                    assert json.loads(await ws.recv())["type"] == "event"

            asyncio.run(connect_and_leave())
    finally:
        server_log.removeHandler(caplog.handler)
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert not problems, [r.getMessage() for r in problems]
