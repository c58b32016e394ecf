"""`stratigos serve` answers its health checks while it loads the app (`api.startup`): before
the app is loaded, readiness answers 503 naming the routes and the process has imported none of the app's
heavy libraries (a test of the module set, not a timing); a request sent meanwhile waits for the
app and gets its answer, never a 404; an app that cannot be loaded stops the server with an
error."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.startup import StartingApp, _Lifespan
from store.factory import open_store
from tests.api.conftest import make_settings
from tests.project.test_imports import HEAVY

ROOT = Path(__file__).resolve().parents[2]
SERVE = """
import io, json, socket, sys, threading, time, types
import httpx
from api.server import run_server
from settings import get_settings

release = threading.Event()
seen = {}

def create_app(settings, store):  # stands in for api.app's: held until readiness was read
    release.wait(60)
    raise RuntimeError("this app cannot be loaded")

sys.modules["api.app"] = types.SimpleNamespace(create_app=create_app)
with socket.socket() as sock:
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

def probe():
    while "health" not in seen:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
            seen["health"] = [answer.status_code, answer.headers.get("retry-after"), answer.json()]
            seen["modules"] = sorted(sys.modules)
        except httpx.TransportError:
            time.sleep(0.01)
    release.set()

threading.Thread(target=probe, daemon=True).start()
try:
    run_server(
        "127.0.0.1", port, get_settings(), out=io.StringIO(), log_level="warning", processes=1
    )
except RuntimeError as exc:
    seen["error"] = str(exc)
print(json.dumps(seen))
"""
"""Runs `run_server` with an app that cannot load until readiness answered, and reports what
readiness said, the modules loaded by then and how the server ended."""


def _run(script: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`script` in a new Python process on the offline model, its data directory `home`."""
    return _python(["-c", script], home)


def _run_file(script: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The Python file `script` with `args`, as `_run`."""
    return _python([str(script), *args], home)


def _python(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "STRATIGOS_DATA_DIR": str(home)}
        | {"STRATIGOS_MODEL_PROVIDER": "offline"},
        timeout=300,
    )


def test_serve_answers_readiness_before_it_imports_the_app(tmp_path: Path) -> None:
    done = _run(SERVE, tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    status, retry_after, body = seen["health"]
    assert status == 503 and retry_after == "1", seen["health"]
    assert body["error"]["code"] == "UNAVAILABLE"
    assert body["error"]["details"] == [
        {"field": "routes", "problem": "the server has just started and is loading its routes"}
    ]
    packages = {name.split(".")[0] for name in seen["modules"]}
    assert sorted(packages & set(HEAVY)) == []
    assert "fastapi" not in packages and "api.routes" not in seen["modules"]
    # an app that cannot be loaded stops the server and the command says why
    assert seen["error"] == "the API did not start: this app cannot be loaded"


def test_a_request_sent_while_loading_waits_for_the_app(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    settings.ensure_data_dir()
    store = open_store(settings)
    key, _ = store.create_api_key("alice", "tests")
    release = threading.Event()
    failures: list[BaseException] = []

    def load() -> Any:
        from api.app import create_app

        release.wait(60)
        return create_app(settings, store=store)

    async def scenario() -> None:
        app = StartingApp(load, settings, store, failures.append)
        lifespan = _Lifespan(app)
        await lifespan.startup()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
            starting = await client.get("/v1/health")
            assert starting.status_code == 503 and starting.headers["retry-after"] == "1"
            assert starting.json()["error"]["details"][0]["field"] == "routes"
            assert (await client.get("/v1/health/live")).json()["status"] == "ok"
            listed = asyncio.ensure_future(client.get("/v1/portfolios", headers={"x-api-key": key}))
            await asyncio.sleep(0.2)
            assert not listed.done()  # it waits for the app rather than finding no route
            release.set()
            answer = await asyncio.wait_for(listed, 120)
            assert answer.status_code == 200, answer.text
            ready = await client.get("/v1/health")
            assert ready.status_code == 200 and ready.json()["status"] == "ok", ready.text
        await lifespan.shutdown()

    try:
        asyncio.run(scenario())
    finally:
        store.close()
    assert failures == []


FAILING_SERVE = """
import sys, types
from api.cli import main

def create_app(settings, store):
    raise RuntimeError("this app cannot be loaded")

# at the top level: a child server process (spawned) runs this file's top level too
sys.modules["api.app"] = types.SimpleNamespace(create_app=create_app)
if __name__ == "__main__":
    sys.exit(main(["serve", "--port", "0", "--workers-in-process", "0", *sys.argv[1:]]))
"""
"""`stratigos serve` whose app cannot be loaded (in this process and in any it spawns)."""


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_server_that_cannot_load_its_app_exits_1_with_one_line(
    tmp_path: Path, processes: str
) -> None:
    script = tmp_path / "failing_serve.py"
    script.write_text(FAILING_SERVE)
    done = _run_file(script, tmp_path, "--workers", processes)
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == "stratigos serve: error: the API did not start: this app cannot be loaded"
    # the cause's traceback is in the server's log above it, for the operator; with several
    # processes the first that fails stops them all (none is started again in a loop)
    assert "the API could not be loaded or started" in done.stderr
    assert "starting another" not in done.stderr
