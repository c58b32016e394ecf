"""API fixtures: an app on a fresh data dir (SQLite store, offline model), and two callers.

`api` is module-scoped (one app and store per test module); `alice` and `bob` are header dicts
with API keys of two different owners, for tenancy tests.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from settings import Settings, get_settings
from tests.support.settings import merged


@dataclass
class Api:
    """A running app (TestClient), its settings and API-key headers of two owners."""

    client: TestClient
    settings: Settings
    alice: dict[str, str]
    bob: dict[str, str]

    @property
    def store(self) -> Any:
        """The app's store."""
        return self.client.app.state.context.store  # type: ignore[attr-defined]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a test app: offline model, SQLite store in `data_dir`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "models": {"provider": "offline"},
        "store": {"backend": "sqlite"},
        "compute": {"backend": "local"},
        "api": {"job_workers": 1, "rate_limit_per_minute": 100_000, "rate_limit_burst": 100_000},
    }
    return Settings(**merged(values, overrides))


@pytest.fixture(scope="module")
def api_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh data dir set as this module's process settings (offline model)."""
    data_dir = tmp_path_factory.mktemp("api") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        yield data_dir
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def api(api_env: Path) -> Iterator[Api]:
    """The app with in-process job workers and keys for `alice` and `bob`."""
    from api.app import create_app

    settings = make_settings(api_env)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        alice_key, _ = store.create_api_key("alice", "tests")
        bob_key, _ = store.create_api_key("bob", "tests")
        yield Api(client, settings, {"x-api-key": alice_key}, {"x-api-key": bob_key})


@pytest.fixture(scope="module")
def queued(tmp_path_factory: pytest.TempPathFactory, api_env: Path) -> Iterator[Api]:
    """An app without job workers: submitted jobs stay pending."""
    from api.app import create_app

    settings = make_settings(tmp_path_factory.mktemp("queued"), api={"job_workers": 0})
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.context.store  # type: ignore[attr-defined]
        key, _ = store.create_api_key("alice", "tests")
        other, _ = store.create_api_key("bob", "tests")
        yield Api(client, settings, {"x-api-key": key}, {"x-api-key": other})


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """Check the error format: status, code, a message, and (optionally) a detail on `field`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    assert "Traceback" not in response.text
    if field is not None:
        fields = [d["field"] for d in error["details"]]
        assert any(field in f for f in fields), (field, fields)
    return dict(error)


def parse_sse(lines: list[str]) -> list[dict[str, Any]]:
    """SSE messages as dicts with `id`, `event`, `data` (comments and retry lines dropped)."""
    messages: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if not line:
            if current:
                messages.append(current)
            current = {}
        elif line.startswith(":") or line.startswith("retry:"):
            continue
        else:
            field, _, value = line.partition(": ")
            current[field] = current.get(field, "") + value if field == "data" else value
    if current:
        messages.append(current)
    return messages


def wait_job(api: Api, path: str, timeout: float = 120) -> dict[str, Any]:
    """The deployment job at `path` (a run or forward test: {"job", "result"}) once it ended,
    polled as alice."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = api.client.get(path, headers=api.alice).json()
        if found["job"]["status"] in ("succeeded", "failed", "cancelled"):
            return dict(found)
        time.sleep(0.2)
    raise AssertionError(f"{path} did not finish in {timeout} s")


SLOW_STORE_SECONDS = 0.3
"""How long `slow` holds each call up: longer than a client takes to read an answer and send
its next request on loopback."""


def slow(call: Callable[..., Any]) -> Callable[..., Any]:
    """`call`, held up `SLOW_STORE_SECONDS` before it runs (a store slow to answer: it widens
    the window in which an answer sent before the call ends would be seen early)."""

    def held_up(*args: Any, **kwargs: Any) -> Any:
        time.sleep(SLOW_STORE_SECONDS)
        return call(*args, **kwargs)

    return held_up


def _stop_shared_serve(nextitem: pytest.Item | None) -> None:
    """Stop the two-process server of `tests.support.mcp_serve.shared_serving` unless
    `nextitem` shares it (looked up, not imported: only the modules that use it load it)."""
    shared = sys.modules.get("tests.support.mcp_serve")
    if shared is not None:
        shared.stop_shared_unless_next(nextitem)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After a test's teardown: stop the server its group shares when the next test is not of
    that group."""
    try:
        yield
    finally:
        _stop_shared_serve(nextitem)


def pytest_sessionfinish() -> None:
    """Stop that server if a session ends inside the group (interrupted, `-x`)."""
    _stop_shared_serve(None)
