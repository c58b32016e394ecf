"""A real `stratigos serve` with two server processes on one port (its default on two cores), for
the tests of what either process answers: MCP over HTTP (`tests/api/test_mcp_serve.py`, the
inspector's `tests/api/test_mcp_inspector.py`) and a chat across processes
(`tests/api/test_chat_serve.py`).

`shared_serving` hands those modules one server between them (they form the xdist group
`two-process-serve`, so one worker runs them one after the other): each server process is a
fresh interpreter that imports and warms the app (seconds of CPU), and the modules ask nothing
of it but two processes, no job workers and the offline model. Each module keeps to owners of
its own (`owner_keys`), which the store keeps apart as it does any two owners, so no module
sees what another did; the server stops once the next test is of none of them or the session
ends (`stop_shared_unless_next`, from `tests/api/conftest.py`)."""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from store.sqlite import SQLiteStore
from tests.api.test_serve_workers import (
    STARTUP_SECONDS,
    read_banner,
    server_children,
    start_serve,
    wait_for,
)
from tests.support.live_server import TLS

SHARING = frozenset({"test_chat_serve.py", "test_mcp_inspector.py", "test_mcp_serve.py"})
"""Their file names (under tests/api)."""


@dataclass(frozen=True)
class Serving:
    """A running two-process `stratigos serve`: its base URL, its server processes' ids and its
    data directory."""

    base: str
    processes: frozenset[int]
    data_dir: Path


def owner_keys(data_dir: Path, owners: Sequence[str]) -> dict[str, str]:
    """A new API key of each of `owners` in the store of `data_dir` (a running server reads
    keys from the store)."""
    with SQLiteStore(data_dir / "store.sqlite") as store:
        return {owner: store.create_api_key(owner, "serve-tests")[0] for owner in owners}


@contextmanager
def _started(data_dir: Path) -> Iterator[Serving]:
    """`stratigos serve` with two processes (no job workers) on `data_dir` (created), until the
    block ends, once both processes answer."""
    data_dir.mkdir(parents=True, exist_ok=True)
    variables = {"STRATIGOS_API_PROCESSES": "2", "STRATIGOS_API_JOB_WORKERS": "0"}
    server = start_serve(data_dir, variables=variables)
    try:
        banner, _ = read_banner(server)  # written once every process accepts connections
        address = re.search(r"Stratigos API on (http://\S+)", banner)
        assert address is not None, banner
        processes = server_children(server.pid)
        assert len(processes) == 2
        base = address.group(1)
        with httpx.Client(base_url=base, timeout=STARTUP_SECONDS, verify=TLS) as http:
            # each process loads its app on its first requests (api.startup)
            wait_for(
                lambda: all(
                    http.get("/v1/health/live", headers={"connection": "close"}).status_code == 200
                    for _ in range(6)
                ),
                "both processes to answer",
            )
        yield Serving(base, frozenset(processes), data_dir)
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if it has not ended within a minute."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)


_shared: list[tuple[Serving, AbstractContextManager[Serving]]] = []
"""The shared server and the block that stops it (at most one)."""


def shared_serving(tmp_path_factory: pytest.TempPathFactory) -> Serving:
    """The two-process server the modules of the group share, started now when none runs."""
    if not _shared:
        block = _started(tmp_path_factory.mktemp("two-process-serve") / "data")
        _shared.append((block.__enter__(), block))
    return _shared[0][0]


def stop_shared_unless_next(nextitem: pytest.Item | None) -> None:
    """Stop the shared server unless the next test (None: none) is of a module that shares it."""
    if _shared and (nextitem is None or nextitem.path.name not in SHARING):
        _, block = _shared.pop()
        block.__exit__(None, None, None)


__all__ = ["Serving", "owner_keys", "shared_serving", "stop_shared_unless_next"]
