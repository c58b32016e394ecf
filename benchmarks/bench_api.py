"""HTTP API benchmark (issue 7): latency of job submission and status reads under 50 concurrent
clients, and the time to the first SSE event of a new job.

The server is `uvicorn api.app:app` in its own process on loopback (SQLite store, offline
model); the clients are asyncio tasks in this process. Submission and status rows compare our
p99 with the 50 ms target (speed-up = target / p99, so >= 1x meets it); p50 is in the
difference column. The first-event row is for information.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.harness import Row, Table

CLIENTS = 50
REQUESTS_PER_CLIENT = 20
TARGET_P99_MS = 50.0
REQUEST = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 20}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_API_JOB_WORKERS": str(workers),
        "STRATIGOS_API_RATE_LIMIT_PER_MINUTE": "1000000",
        "STRATIGOS_API_RATE_LIMIT_BURST": "1000000",
    }
    command = [sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the API server did not start")


def _key(data_dir: Path) -> str:
    from store.sqlite import SQLiteStore

    data_dir.mkdir(parents=True, exist_ok=True)
    with SQLiteStore(data_dir / "store.sqlite") as store:
        return store.create_api_key("bench", "bench")[0]


async def _load(base: str, key: str) -> tuple[list[float], list[float]]:
    submit_ms: list[float] = []
    status_ms: list[float] = []
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=base, headers={"x-api-key": key}, timeout=30, limits=limits
    ) as client:

        async def one_client() -> None:
            ids = []
            for _ in range(REQUESTS_PER_CLIENT):
                started = time.perf_counter()
                response = await client.post("/v1/optimizations", json=REQUEST)
                submit_ms.append((time.perf_counter() - started) * 1e3)
                assert response.status_code == 202, response.text
                ids.append(response.json()["id"])
            for job_id in ids:
                started = time.perf_counter()
                response = await client.get(f"/v1/optimizations/{job_id}")
                status_ms.append((time.perf_counter() - started) * 1e3)
                assert response.status_code == 200

        await client.get("/v1/optimizations?limit=1")  # warm up the key cache and the store
        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return submit_ms, status_ms


def _first_event_ms(base: str, key: str, repeats: int = 5) -> list[float]:
    times = []
    with httpx.Client(base_url=base, headers={"x-api-key": key}, timeout=60) as client:
        for _ in range(repeats):
            started = time.perf_counter()
            job_id = client.post("/v1/optimizations", json=REQUEST).json()["id"]
            with client.stream("GET", f"/v1/optimizations/{job_id}/events") as response:
                for line in response.iter_lines():
                    if line.startswith("id:"):
                        times.append((time.perf_counter() - started) * 1e3)
                        break
            client.delete(f"/v1/optimizations/{job_id}")
    return times


def run(table: Table) -> None:
    """Submission and status latency with 50 clients; time to the first SSE event."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "load"
        key = _key(data_dir)
        process, base = _start_server(data_dir, workers=0)
        try:
            submit_ms, status_ms = asyncio.run(_load(base, key))
        finally:
            process.terminate()
            process.wait(30)
        for task, values in (("API: submit job", submit_ms), ("API: job status", status_ms)):
            p50, p99 = statistics.median(values), _percentile(values, 0.99)
            table.add(
                Row(
                    task,
                    f"{CLIENTS} clients x {REQUESTS_PER_CLIENT}",
                    "p99 target 50 ms",
                    p99,
                    TARGET_P99_MS,
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(values)} requests",
                    target=1.0 if task == "API: submit job" else None,
                )
            )
        data_dir = Path(tmp) / "stream"
        key = _key(data_dir)
        process, base = _start_server(data_dir, workers=1)
        try:
            first = _first_event_ms(base, key)
        finally:
            process.terminate()
            process.wait(30)
        median = statistics.median(first)
        table.add(
            Row(
                "API: first SSE event",
                "submit -> first event",
                "(information)",
                median,
                median,
                f"median {median:.0f} ms of {len(first)} (a worker polls every 0.5 s)",
            )
        )
