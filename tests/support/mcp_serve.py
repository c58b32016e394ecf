"""A real `stratigos serve` for the MCP-over-HTTP tests: two server processes on one port (its
default on two cores), API keys of the owners asked for."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from store.sqlite import SQLiteStore
from tests.api.test_serve_workers import STARTUP_SECONDS, server_children, start_serve, wait_for
from tests.support.live_server import TLS


@contextmanager
def serving(
    data_dir: Path, owners: Sequence[str]
) -> Iterator[tuple[str, dict[str, str], set[int]]]:
    """`stratigos serve` with two processes (no job workers) on `data_dir` (created), until the
    block ends: its base URL, an API key of each of `owners` and its server processes' ids."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with SQLiteStore(data_dir / "store.sqlite") as store:
        keys = {owner: store.create_api_key(owner, "mcp")[0] for owner in owners}
    variables = {"STRATIGOS_API_PROCESSES": "2", "STRATIGOS_API_JOB_WORKERS": "0"}
    server = start_serve(data_dir, variables=variables)
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # written once every process accepts connections
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
        yield base, keys, processes
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(30)


__all__ = ["serving"]
