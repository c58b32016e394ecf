"""End to end over a real socket: uvicorn on loopback, an optimization followed over SSE with a
dropped connection resumed by `Last-Event-ID`, then its results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import make_settings, parse_sse
from tests.support.live_server import TLS, running_server


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[tuple[str, dict[str, str], object]]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "live"))
    store = app.state.context.store
    key, _ = store.create_api_key("alice", "live")
    with running_server(app) as base:
        yield base, {"x-api-key": key}, store


def read_events(response: httpx.Response, stop_after: int | None = None) -> list[dict]:
    lines: list[str] = []
    messages: list[dict] = []
    for line in response.iter_lines():
        lines.append(line)
        if line == "":
            messages = parse_sse(lines)
            if stop_after is not None and sum("id" in m for m in messages) >= stop_after:
                return messages
            if messages and messages[-1].get("event") == "end":
                return messages
    return parse_sse(lines)


def test_submit_stream_drop_resume_and_read_results(server: tuple) -> None:
    base, headers, store = server
    request = {"budget": {"max_trials": 60, "batch_size": 10}, "n_paths": 30, "seed": 11}
    with httpx.Client(base_url=base, headers=headers, timeout=60, verify=TLS) as client:
        submitted = client.post("/v1/optimizations", json=request)
        assert submitted.status_code == 202
        job_id = submitted.json()["id"]
        assert submitted.headers["location"] == f"/v1/optimizations/{job_id}"

        # first connection: read a few events, then drop it mid-run
        with client.stream("GET", f"/v1/optimizations/{job_id}/events") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            first = read_events(response, stop_after=5)
        first_ids = [int(m["id"]) for m in first if "id" in m]
        assert first_ids == list(range(1, len(first_ids) + 1))

        # second connection resumes after the last event received
        resume = {"Last-Event-ID": str(first_ids[-1])}
        with client.stream("GET", f"/v1/optimizations/{job_id}/events", headers=resume) as response:
            second = read_events(response)
        assert second[-1]["event"] == "end"
        assert json.loads(second[-1]["data"])["status"] == "succeeded"
        second_ids = [int(m["id"]) for m in second if "id" in m]

        stored = [e.seq for e in store.events("alice", job_id, limit=1000)]
        assert first_ids + second_ids == stored  # nothing lost, nothing repeated

        status = client.get(f"/v1/optimizations/{job_id}").json()
        assert status["status"] == "succeeded" and status["progress"]["done"] == 60
        results = client.get(f"/v1/optimizations/{job_id}/results?limit=100").json()
        assert results["trials"]["total"] == 60 and len(results["trials"]["items"]) == 60
        assert len(results["charts"]["convergence"]) == 6
