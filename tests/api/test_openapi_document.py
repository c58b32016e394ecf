"""The app's OpenAPI document is built once: callers that ask at the same time (the app's warm-up
and a first `GET /v1/openapi.json`) share one build and one document."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.contract
from api.app import create_app
from api.contract import contract_of, contract_openapi
from tests.api.conftest import make_settings

CALLERS = 4


def test_callers_at_the_same_time_share_one_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(make_settings(tmp_path / "data", api={"job_workers": 0}))
    builds: list[FastAPI] = []
    build = api.contract._documented

    def counted(built: FastAPI) -> dict[str, Any]:
        builds.append(built)
        return build(built)

    monkeypatch.setattr(api.contract, "_documented", counted)
    start = threading.Barrier(CALLERS)

    def ask(_: int) -> dict[str, Any]:
        start.wait()
        return contract_openapi(app)

    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            documents = list(pool.map(ask, range(CALLERS)))
        assert builds == [app]
        assert all(document is documents[0] for document in documents)
        assert "/v1/portfolios" in documents[0]["paths"]
        # the contract the requests are checked against, and the route, read the same document
        assert ("POST", "/v1/portfolios") in contract_of(app).validators
        assert TestClient(app).get("/v1/openapi.json").json() == documents[0]
        assert builds == [app]
    finally:
        app.state.context.close()
