"""A job continues the trace of whoever submitted it: the worker's job span (in a thread of the
server, or in another process) is the child of the submitting request's span, because the job
record carries the request's W3C trace context. Jobs submitted untraced, and scheduled jobs,
start a trace of their own. Spans are received by a loopback OTLP receiver."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.otlp_receiver import OtlpReceiver, ReceivedSpan
from graphs.job_handlers import optimization_handler
from jobs.job_runner import JobRunner
from jobs.worker import Worker
from settings import Settings, TracingSettings
from settings.tracing import configure_tracing, flush_tracing, span
from store import Job, Store
from store.sqlite import SQLiteStore
from tests.api.conftest import make_settings
from tests.jobs.test_lambda_handlers import (  # noqa: F401 (restore_logging: a fixture)
    make_queue,
    receive_all,
    restore_logging,
    sqs_event,
)
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.requests import SMALL_REQUEST
from tests.telemetry.test_tracing import CONTENT_KEYS
from tests.trading.test_scheduling import DAILY_SPEC, Clock
from trading.scheduling import REBALANCE_KIND, fire_due
from trading.tick_jobs import FIRE_DUE_KIND, fire_due_handler

ROOT = Path(__file__).resolve().parents[2]
SMALL = {**SMALL_REQUEST, "seed": 3}  # three tickers, 12 trials
KIND = "optimization"


@pytest.fixture
def receiver(offline_data_dir: Path) -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver
        configure_tracing(
            Settings(data_dir=offline_data_dir, tracing=TracingSettings(exporter="off"))
        )  # uninstall while the receiver still takes the final export


@contextmanager
def served(data_dir: Path, **overrides: Any) -> Iterator[tuple[TestClient, dict[str, str], Store]]:
    """The app on `data_dir` with `overrides` (settings), alice's key headers and its store."""
    from api.app import create_app

    with TestClient(create_app(make_settings(data_dir, **overrides))) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        key, _ = store.create_api_key("alice", "tests")
        yield client, {"x-api-key": key}, store


def wait_done(client: TestClient, job_id: str, headers: dict[str, str]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(f"/v1/optimizations/{job_id}", headers=headers).json()["status"]
        if status in ("succeeded", "failed", "cancelled"):
            return str(status)
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def names_parent(trace_context: dict[str, str] | None, span: ReceivedSpan) -> bool:
    """Whether `trace_context` is W3C's way of naming `span` as the parent, sampled."""
    assert trace_context is not None and set(trace_context) == {"traceparent"}
    version, trace_id, span_id, flags = trace_context["traceparent"].split("-")
    sampled = int(flags, 16) & 1
    return (version, trace_id, span_id, sampled) == ("00", span.trace_id, span.span_id, 1)


def job_spans(receiver: OtlpReceiver, job_id: str) -> ReceivedSpan:
    """The job's span, after checking that every span of the job (run, graph nodes, agents,
    model and tool calls, and the learning that follows its success) is in its trace, below it."""
    [job] = [s for s in receiver.named(f"job {KIND}") if s.name == f"job {KIND}"]
    assert job.attributes["stratigos.job_id"] == job_id
    # the owner's strategy model learns the run after the answer, in the job's trace (issue 63)
    [learning] = receiver.named(f"job {KIND} follow-up")
    assert receiver.parent(learning) is job and learning.attributes["stratigos.job_id"] == job_id
    [run] = receiver.named("run optimization")
    assert receiver.parent(run) is job
    nodes = receiver.named("node ")
    assert {"market_analysis", "evaluate", "risk_gate", "finalize"} <= {
        s.attributes["langgraph.node"] for s in nodes
    }
    below = [s for s in receiver.spans if s.attributes.get("stratigos.job_id") == job_id]
    assert len(below) > len(nodes) + 2  # job, run, nodes, agents, model and tool calls
    assert all(s.trace_id == job.trace_id for s in below)
    return job


def assert_no_content(receiver: OtlpReceiver, stored: Job) -> None:
    """No prompt, completion or tool content, and none of the request's tickers, in any span."""
    assert not any(CONTENT_KEYS & set(s.attributes) for s in receiver.spans)
    text = json.dumps([[s.name, s.attributes, s.events] for s in receiver.spans])
    tickers = stored.request["universe"]
    assert tickers and not [t for t in tickers if re.search(rf"\b{re.escape(t)}\b", text)]


def test_an_api_job_run_by_the_server_s_worker_continues_the_request_s_trace(
    offline_data_dir: Path, receiver: OtlpReceiver
) -> None:
    with served(offline_data_dir, tracing={"exporter": "otlp", "otlp_endpoint": receiver.url}) as (
        client,
        alice,
        store,
    ):
        response = client.post("/v1/optimizations", json=SMALL, headers=alice)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        assert wait_done(client, job_id, alice) == "succeeded"
        stored = store.get_job("alice", job_id)
        flush_tracing()

    [request] = receiver.named("POST /v1/optimizations")
    assert request.parent_id == "" and request.attributes["http.response.status_code"] == 202
    assert names_parent(stored.trace_context, request)
    job = job_spans(receiver, job_id)
    assert job.trace_id == request.trace_id and receiver.parent(job) is request
    # the status polls are requests of their own, each its own trace
    polls = receiver.named("GET /v1/optimizations/{job_id}")
    assert polls and all(p.trace_id != request.trace_id for p in polls)
    assert_no_content(receiver, stored)


def test_a_worker_in_another_process_attaches_the_job_to_the_request_s_trace(
    offline_data_dir: Path, receiver: OtlpReceiver
) -> None:
    with served(
        offline_data_dir,
        tracing={"exporter": "otlp", "otlp_endpoint": receiver.url},
        api={"job_workers": 0},
    ) as (client, alice, store):
        response = client.post("/v1/optimizations", json=SMALL, headers=alice)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        pending = store.get_job("alice", job_id)
    assert pending.status == "pending" and pending.trace_context is not None

    env = {  # the fixture set the data dir (the same SQLite store) and the offline model
        **os.environ,
        "STRATIGOS_TRACING": "otlp",
        "STRATIGOS_OTLP_ENDPOINT": receiver.url,
        "STRATIGOS_OTEL_SERVICE_NAME": "stratigos-worker",
    }
    child = subprocess.run(
        [sys.executable, "-m", "jobs.worker", "--handlers", "graphs.job_handlers",
         "--max-jobs", "1", "--poll-seconds", "0.1"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    reopened = SQLiteStore(offline_data_dir / "store.sqlite")
    finished = reopened.get_job("alice", job_id)
    reopened.close()
    assert finished.status == "succeeded" and finished.trace_context == pending.trace_context

    [request] = receiver.named("POST /v1/optimizations")
    assert request.resource["service.name"] == "stratigos"
    assert names_parent(pending.trace_context, request)
    job = job_spans(receiver, job_id)
    assert job.trace_id == request.trace_id and receiver.parent(job) is request
    assert job.resource["service.name"] == "stratigos-worker"  # exported by the other process
    assert_no_content(receiver, finished)


def test_on_aws_the_sqs_worker_lambda_attaches_the_job_to_the_request_s_trace(
    offline_data_dir: Path,
    receiver: OtlpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    restore_logging: None,  # noqa: F811 (the fixture imported above)
) -> None:
    """The API as deployed on AWS: the submission runs in the thread pool (a network-backed
    queue), announces the job on SQS (moto), and the SQS worker Lambda handler runs it."""
    import jobs.lambda_handlers as lh
    from settings import get_settings

    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as aws:
        url = make_queue(aws)
        with served(
            offline_data_dir,
            tracing={"exporter": "otlp", "otlp_endpoint": receiver.url},
            api={"job_workers": 0},
            jobs={"queue_url": url},
            compute={"aws_endpoint_url": aws},
        ) as (client, alice, _store):
            response = client.post("/v1/optimizations", json=SMALL, headers=alice)
            assert response.status_code == 202, response.text
            job_id = response.json()["id"]
        [message] = receive_all(aws, url)

        for name, value in {  # the Lambda's settings (the same data dir, from the fixture)
            "STRATIGOS_TRACING": "otlp",
            "STRATIGOS_OTLP_ENDPOINT": receiver.url,
            "STRATIGOS_OTEL_SERVICE_NAME": "stratigos-sqs-worker",
            "STRATIGOS_JOBS_HANDLERS": json.dumps(["graphs.job_handlers"]),
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        monkeypatch.setattr(lh, "_store", None)
        try:
            assert lh.sqs_worker(sqs_event(message["Body"])) == {"batchItemFailures": []}
            finished = lh._open_store().get_job("alice", job_id)
        finally:
            if lh._store is not None:
                lh._store.close()
    assert finished.status == "succeeded"

    [request] = receiver.named("POST /v1/optimizations")
    assert names_parent(finished.trace_context, request)
    job = job_spans(receiver, job_id)
    assert job.trace_id == request.trace_id and receiver.parent(job) is request
    assert job.resource["service.name"] == "stratigos-sqs-worker"
    assert_no_content(receiver, finished)


def test_a_job_submitted_untraced_has_no_trace_context_and_its_worker_starts_a_trace(
    offline_data_dir: Path, receiver: OtlpReceiver
) -> None:
    with served(offline_data_dir, api={"job_workers": 0}) as (client, alice, store):  # tracing off
        response = client.post("/v1/optimizations", json=SMALL, headers=alice)
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        assert store.get_job("alice", job_id).trace_context is None

        settings = make_settings(
            offline_data_dir, tracing={"exporter": "otlp", "otlp_endpoint": receiver.url}
        )
        configure_tracing(settings)  # the worker traces; the submission was not traced
        outcome = Worker(store, {KIND: optimization_handler}, settings=settings).run_once()
        assert outcome is not None and outcome.job_id == job_id
        assert outcome.status == "succeeded"
        stored = store.get_job("alice", job_id)

    assert stored.trace_context is None
    assert not receiver.named("POST ")  # the request was not traced
    job = job_spans(receiver, job_id)
    assert job.parent_id == ""  # a trace of its own
    assert_no_content(receiver, stored)


def test_scheduled_jobs_carry_no_trace_context_even_when_fired_inside_a_span(
    tmp_path: Path, offline_data_dir: Path, receiver: OtlpReceiver
) -> None:
    """A schedule has no submitter: its tick, and the rebalance and summary jobs it fires, are
    stored without a trace context (each starts its own trace), while a job submitted through
    `JobRunner` in the same span carries that span's."""
    clock = Clock(datetime(2024, 7, 1, 12, 0, tzinfo=UTC))
    store = SQLiteStore(tmp_path / "store.sqlite", clock=clock)
    draft = store.create_deployment("alice", "d", "draft", DAILY_SPEC)
    store.update_deployment("alice", draft.id, expected_version=1, status="active")
    clock.now = datetime(2024, 7, 1, 19, 46, tzinfo=UTC)  # a minute after Monday's 15:45 fire
    configure_tracing(
        Settings(
            data_dir=offline_data_dir,
            tracing=TracingSettings(exporter="otlp", otlp_endpoint=receiver.url),
        )
    )
    worker = Worker(store, {FIRE_DUE_KIND: fire_due_handler})
    with span("job fire_due_schedules") as current:
        report = fire_due(store, clock.now)
        tick = worker.submit_tick(FIRE_DUE_KIND)
        submitted = JobRunner(store).submit("alice", KIND, {"n": 1})
    flush_tracing()
    store.close()

    [rebalance] = report.jobs
    assert rebalance.kind == REBALANCE_KIND and rebalance.trace_context is None
    assert tick is not None and tick.trace_context is None
    [fired] = receiver.named("job fire_due_schedules")
    context = current.get_span_context()
    assert fired.span_id == f"{context.span_id:016x}"
    assert names_parent(submitted.trace_context, fired)
