"""CORS: browser pages of the configured origins (e.g. agent-chat-ui) may call the API; no
CORS headers at all unless origins are configured; origins are checked when settings load."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from settings import ApiSettings, Settings
from tests.api.conftest import make_settings

UI = "http://localhost:3000"


@pytest.fixture
def cors_client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = make_settings(tmp_path / "data", api={"cors_origins": [UI]})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key, _ = client.app.state.context.store.create_api_key("alice", "tests")  # type: ignore[attr-defined]
        yield client, {"x-api-key": key}


def test_a_configured_origin_may_preflight_and_read_answers(
    cors_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = cors_client
    preflight = client.options(
        "/agent/threads/search",
        headers={
            "Origin": UI,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()

    answered = client.post("/agent/threads/search", json={}, headers={**headers, "Origin": UI})
    assert answered.status_code == 200 and answered.headers["access-control-allow-origin"] == UI
    refused = client.post("/agent/threads/search", json={}, headers={"Origin": UI})
    assert refused.status_code == 401  # a refusal the page can read
    assert refused.headers["access-control-allow-origin"] == UI


def test_another_origin_gets_no_cors_headers(
    cors_client: tuple[TestClient, dict[str, str]],
) -> None:
    client, headers = cors_client
    other = "http://evil.example"
    preflight = client.options(
        "/agent/threads/search",
        headers={"Origin": other, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    answered = client.post("/agent/threads/search", json={}, headers={**headers, "Origin": other})
    assert "access-control-allow-origin" not in answered.headers


def test_without_configured_origins_there_are_no_cors_headers(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "data"))) as client:
        answer = client.get("/v1/health", headers={"Origin": UI})
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("origin", ["localhost:3000", "http://localhost:3000/", "ftp://x.org"])
def test_an_origin_that_is_not_one_is_refused_when_settings_load(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(api=ApiSettings(cors_origins=[origin]))
