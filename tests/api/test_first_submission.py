"""A route's first job submission loads the job handlers (graphs, trading runs, reports:
seconds of imports) in a worker thread, never on the event loop, which answers the health
checks meanwhile (`api.context.AppContext.load_job_handlers`); later submissions load nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import api.context
from api.app import create_app
from tests.api.conftest import make_settings


def _on_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_the_first_submission_loads_the_job_handlers_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
        for _ in range(2):
            submitted = client.post(
                "/v1/optimizations", json={"n_paths": 20}, headers={"x-api-key": key}
            )
            assert submitted.status_code == 202, submitted.text
    assert loads == [False]
