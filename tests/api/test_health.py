"""`/v1/health` (readiness) and `/v1/health/live` (liveness): the store, the disk, the research
index and the in-process workers are each reported; a store that is gone or cannot be written is
503, a missing index or worker is `degraded`; liveness answers whatever the store's state (a full
disk: tests/api/test_readiness_full_disk.py)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from store.sqlite import SQLiteStore
from tests.api.conftest import assert_error, make_settings


def client(data_dir: Path, **overrides: Any) -> TestClient:
    return TestClient(
        create_app(make_settings(data_dir, **overrides)), raise_server_exceptions=False
    )


def test_a_ready_service_reports_each_part(tmp_path: Path) -> None:
    with client(tmp_path / "data") as c:
        live = c.get("/v1/health/live")
        assert live.status_code == 200 and live.json()["status"] == "ok"
        ready = c.get("/v1/health")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "ok" and body["store"] == "sqlite"
        assert body["checks"] == {
            "store": {"status": "ok", "problem": None},
            "disk": {"status": "ok", "problem": None},
            "index": {"status": "ok", "problem": None},
            "workers": {"status": "ok", "problem": None},
            "capacity": {"status": "ok", "problem": None},
        }
    with client(tmp_path / "elsewhere", api={"job_workers": 0}) as c:
        assert c.get("/v1/health").json()["checks"]["workers"]["status"] == "elsewhere"


def test_a_deleted_store_is_not_ready_but_the_process_is_live(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with client(data_dir) as c:
        assert c.get("/v1/health").status_code == 200
        for suffix in ("", "-wal", "-shm"):
            path = data_dir / f"store.sqlite{suffix}"
            if path.exists():
                os.unlink(path)
        answer = c.get("/v1/health")
        deadline = time.monotonic() + 30  # the store is checked again in the background
        while answer.status_code == 200 and time.monotonic() < deadline:
            answer = c.get("/v1/health")
        error = assert_error(answer, 503, "UNAVAILABLE", "store")
        assert "store" in error["message"]
        assert str(data_dir) not in c.get("/v1/health").text  # no paths to anonymous callers
        assert c.get("/v1/health").headers["retry-after"] == "5"
        assert c.get("/v1/health/live").status_code == 200


def test_a_store_that_cannot_be_written_is_not_ready_though_it_reads(tmp_path: Path) -> None:
    """Another process holds the SQLite store's write lock: reads go on, every write would
    fail after the busy timeout, so readiness is 503 naming the store until the lock goes."""
    data_dir = tmp_path / "data"
    store = SQLiteStore(data_dir / "store.sqlite", busy_timeout=0.2)
    key, _ = store.create_api_key("alice", "tests")
    app = create_app(make_settings(data_dir, api={"job_workers": 0}), store=store)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/v1/health").status_code == 200
        writer = sqlite3.connect(store.path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            answer = c.get("/v1/health")
            deadline = time.monotonic() + 30  # the store is checked again in the background
            while answer.status_code == 200 and time.monotonic() < deadline:
                answer = c.get("/v1/health")
            error = assert_error(answer, 503, "UNAVAILABLE", "store")
            assert error["details"] == [
                {"field": "store", "problem": "the store cannot be written"}
            ]
            assert c.get("/v1/portfolios", headers={"x-api-key": key}).status_code == 200
            assert c.get("/v1/health/live").status_code == 200
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        answer = c.get("/v1/health")
        deadline = time.monotonic() + 30
        while answer.status_code != 200 and time.monotonic() < deadline:
            answer = c.get("/v1/health")
        assert answer.status_code == 200, answer.text
    store.close()


def test_an_index_that_cannot_open_degrades_the_service(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with client(tmp_path / "data", research={"index_uri": str(blocker / "index")}) as c:
        answer = c.get("/v1/health")
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "degraded"
        assert body["checks"]["index"]["status"] == "unavailable"
        assert body["checks"]["store"]["status"] == "ok"
        assert str(blocker) not in answer.text


def test_a_stopped_worker_degrades_the_service(tmp_path: Path) -> None:
    with client(tmp_path / "data", api={"job_workers": 2}) as c:
        context = c.app.state.context  # type: ignore[attr-defined]
        assert c.get("/v1/health").json()["checks"]["workers"]["status"] == "ok"
        context.runner.stop(timeout=5.0)
        body = c.get("/v1/health").json()
        assert body["status"] == "degraded"
        assert body["checks"]["workers"] == {
            "status": "unavailable",
            "problem": "0 of 2 job workers are running",
        }


def test_health_answers_while_every_request_thread_is_busy(tmp_path: Path) -> None:
    """With the process's one request thread held, a sync route (listing portfolios) waits
    for it while liveness and readiness answer: neither runs in the request threads."""
    app = create_app(make_settings(tmp_path / "data", api={"threads": 1, "job_workers": 0}))
    key, _ = app.state.context.store.create_api_key("alice", "tests")

    async def scenario() -> None:
        async with app.router.lifespan_context(app):
            limiter = anyio.to_thread.current_default_thread_limiter()
            assert limiter.total_tokens == 1
            hold = threading.Event()
            held = asyncio.ensure_future(anyio.to_thread.run_sync(hold.wait))
            while limiter.borrowed_tokens < 1:
                await asyncio.sleep(0)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                waiting = asyncio.ensure_future(c.get("/v1/portfolios", headers={"x-api-key": key}))
                live = await asyncio.wait_for(c.get("/v1/health/live"), 30)
                ready = await asyncio.wait_for(c.get("/v1/health"), 30)
                assert live.status_code == 200 and ready.status_code == 200, ready.text
                assert not waiting.done()  # the thread is still held: it waits for it
                hold.set()
                await held
                assert (await asyncio.wait_for(waiting, 30)).status_code == 200

    asyncio.run(scenario())


def test_a_shutdown_right_after_the_start_waits_for_the_warm_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up loads the data and the validators on a thread of its own; a server stopped
    as soon as it started (a test's SIGINT) ended with it still running while the interpreter
    finalized. The shutdown now waits for the step under way, and begins no other."""
    import api.app

    started, release = threading.Event(), threading.Event()
    later: list[str] = []

    def held_contract(app: Any) -> None:  # the warm-up's first step, held until released
        started.set()
        release.wait(60)

    monkeypatch.setattr(api.app, "contract_of", held_contract)
    monkeypatch.setattr(api.app, "_market_data", lambda context: later.append("market data"))
    monkeypatch.setattr(api.app, "_freeze_objects", lambda: later.append("freeze"))
    c = client(tmp_path / "data")
    c.__enter__()
    assert started.wait(60)
    stopped = threading.Event()
    stopping = threading.Thread(target=lambda: (c.__exit__(None, None, None), stopped.set()))
    stopping.start()
    assert not stopped.wait(3)  # still waiting for the warm-up (the rest of a shutdown: 2 s)
    release.set()
    stopping.join(60)
    assert stopped.is_set()
    assert not [t for t in threading.enumerate() if t.name == "app-warm-up"]
    assert later == []  # the steps after the one under way were not begun
