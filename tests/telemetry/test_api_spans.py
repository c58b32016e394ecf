"""An API request's span (route template, status) is the root of its chat turn's spans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from devtools.otlp_receiver import OtlpReceiver
from settings import Settings, TracingSettings
from settings.tracing import configure_tracing, flush_tracing
from tests.api.conftest import make_settings
from tests.telemetry.test_tracing import CONTENT_KEYS, VAR_QUESTION


@pytest.fixture
def traced_api(offline_data_dir: Path) -> Iterator[tuple[TestClient, dict[str, str], OtlpReceiver]]:
    from api.app import create_app

    with OtlpReceiver() as receiver:
        settings = make_settings(
            offline_data_dir, tracing={"exporter": "otlp", "otlp_endpoint": receiver.url}
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            store = client.app.state.context.store  # type: ignore[attr-defined]
            key, _ = store.create_api_key("alice", "tests")
            yield client, {"x-api-key": key}, receiver
        configure_tracing(
            Settings(data_dir=offline_data_dir, tracing=TracingSettings(exporter="off"))
        )  # uninstall while the receiver still takes the final export


def test_a_chat_message_over_http_is_one_trace_rooted_at_its_request(
    traced_api: tuple[TestClient, dict[str, str], OtlpReceiver],
) -> None:
    client, alice, receiver = traced_api
    thread = client.post("/v1/threads", json={"title": "risk"}, headers=alice).json()
    response = client.post(
        f"/v1/threads/{thread['id']}/messages",
        json={"content": VAR_QUESTION},
        headers={**alice, "accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert client.get("/v1/threads", headers={}).status_code == 401
    flush_tracing()

    [request] = [s for s in receiver.named("POST /v1/threads/{") if s.name.endswith("/messages")]
    assert request.parent_id == ""
    assert request.attributes["http.request.method"] == "POST"
    assert request.attributes["http.route"] == request.name.removeprefix("POST ")
    assert request.attributes["http.response.status_code"] == 200
    [turn] = receiver.named("assistant turn")
    assert receiver.parent(turn) is request
    assert turn.attributes["stratigos.thread_id"] == thread["id"]
    below = receiver.named("execute_tool ") + receiver.named("chat offline-")
    assert below and all(s.trace_id == request.trace_id for s in below)
    [refused] = receiver.named("GET /v1/threads")
    assert refused.attributes["http.response.status_code"] == 401
    # no request bodies, no user words, no tool results
    text = json.dumps([s.attributes for s in receiver.spans])
    assert "VaR" not in text and thread["id"] not in refused.name
    assert not any(CONTENT_KEYS & set(s.attributes) for s in receiver.spans)


def test_a_streamed_chat_message_s_turn_nests_under_its_request(
    traced_api: tuple[TestClient, dict[str, str], OtlpReceiver],
) -> None:
    client, alice, receiver = traced_api
    thread = client.post("/v1/threads", json={"title": "risk"}, headers=alice).json()
    path = f"/v1/threads/{thread['id']}/messages"
    with client.stream("POST", path, json={"content": VAR_QUESTION}, headers=alice) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    assert "run_finished" in body
    flush_tracing()
    [request] = [s for s in receiver.named("POST /v1/threads/{") if s.name.endswith("/messages")]
    [turn] = receiver.named("assistant turn")
    assert receiver.parent(turn) is request
    assert VAR_QUESTION not in json.dumps([s.attributes for s in receiver.spans])
