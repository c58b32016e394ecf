"""Load benchmark (issue 14): 20 concurrent clients submitting jobs and reading their status.

The server is `uvicorn api.app:app` (SQLite store, offline model) in its own process on loopback,
as in the `api` suite, once without job workers and once with one in-process job worker running
the submitted jobs while the load goes on (as `stratigos serve` does). The load generator runs
on the same machine, in this process: `CLIENTS` asyncio tasks, each on its own kept-alive
connection (`benchmarks.http_client`, lean enough not to queue requests itself), each
alternating a job submission and a status read of the job it just submitted, `ROUNDS` times (a bounded count), stopping early after
`MAX_SECONDS` (a bounded time). Every answer must be the expected status (202, then 200): any
other answer or a transport error is counted as an error. Rows compare each p99 with the 250 ms
target (speed-up = target / p99, so >= 1x meets it); the difference column has the p50, the
request count and the errors (the target also needs 0 errors).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.bench_api import REQUEST, _key, _percentile, _start_server
from benchmarks.harness import Row, Table
from benchmarks.http_client import Connection

CLIENTS = 20
ROUNDS = 50
"""Submissions (and as many status reads) per client."""
MAX_SECONDS = 120.0
TARGET_P99_MS = 250.0


async def _drive(base: str, key: str) -> tuple[list[float], list[float], int]:
    """(submission latencies, status latencies, errors) in ms."""
    submit_ms: list[float] = []
    status_ms: list[float] = []
    errors = 0
    deadline = time.monotonic() + MAX_SECONDS

    async def timed(
        connection: Connection, method: str, path: str, expected: int, into: list[float]
    ) -> str | None:
        nonlocal errors
        started = time.perf_counter()
        try:
            status, body = await connection.request(
                method, path, REQUEST if method == "POST" else None
            )
        except (OSError, ValueError, asyncio.IncompleteReadError):
            errors += 1
            return None
        into.append((time.perf_counter() - started) * 1e3)
        if status != expected:
            errors += 1
            return None
        return str(json.loads(body)["id"])

    async def one_client() -> None:
        connection = Connection(base, {"x-api-key": key})
        try:
            for _ in range(ROUNDS):
                if time.monotonic() > deadline:
                    return
                job_id = await timed(connection, "POST", "/v1/optimizations", 202, submit_ms)
                if job_id is not None:
                    await timed(connection, "GET", f"/v1/optimizations/{job_id}", 200, status_ms)
        finally:
            await connection.close()

    warm = Connection(base, {"x-api-key": key})
    await warm.request("GET", "/v1/optimizations?limit=1")  # the key cache and the store
    await warm.close()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return submit_ms, status_ms, errors


def run(table: Table) -> None:
    """p99 of job submission and status reads under 20 concurrent clients; 0 errors. Once with
    the API alone, once with a job worker in the server process running the submitted jobs (as
    `stratigos serve` does)."""
    for workers, server in ((0, "API only"), (1, "1 job worker running the jobs")):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "load"
            key = _key(data_dir)
            process, base = _start_server(data_dir, workers=workers)
            try:
                submit_ms, status_ms, errors = asyncio.run(_drive(base, key))
            finally:
                process.terminate()
                process.wait(30)
        how = f"{CLIENTS} clients x {ROUNDS} rounds, same machine; 1 server process, {server}"
        for task, values in (("load: submit job", submit_ms), ("load: job status", status_ms)):
            p99 = _percentile(values, 0.99)
            table.add(
                Row(
                    task,
                    how,
                    f"p99 target {TARGET_P99_MS:.0f} ms, 0 errors",
                    p99,
                    TARGET_P99_MS if errors == 0 else 0.0,
                    f"p50 {statistics.median(values):.1f} ms, p99 {p99:.1f} ms over "
                    f"{len(values)} requests; {errors} errors",
                    target=1.0,
                )
            )
