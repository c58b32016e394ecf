"""HTTP API benchmark (issue 7): latency of job submission and status reads under 50 concurrent
clients, and the time to the first SSE event of a new job.

The server is `uvicorn api.app:app` (SQLite store, offline model, no job workers) in its own
process(es) on loopback. The 50 clients are 50 connections of `wrk` (Debian's `wrk`, a C load
generator, each connection sending its next request as soon as the last is answered) when it
is installed, else 50 asyncio tasks with httpx in this process (which then competes with the
server for the 2 cores and inflates the latencies). Rows compare our p99 with the 50 ms target
(speed-up = target / p99, so >= 1x meets it); p50 is in the difference column. The first-event
row is for information.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import Row, Table

CLIENTS = 50
REQUESTS_PER_CLIENT = 20
TARGET_P99_MS = 50.0
REQUEST = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 20}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _start_server(
    data_dir: Path, workers: int, processes: int = 1, *, default_limits: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    """`uvicorn api.app:app` on a free loopback port, and its address once it answers; the
    rate limits are lifted unless `default_limits`."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_API_JOB_WORKERS": str(workers),
    }
    if not default_limits:
        env["STRATIGOS_API_RATE_LIMIT_PER_MINUTE"] = "1000000"
        env["STRATIGOS_API_RATE_LIMIT_BURST"] = "1000000"
    command = [sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(port)]
    command += ["--workers", str(processes)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    return process, answering(process, base, 60.0)


def answering(process: subprocess.Popen[bytes], base: str, seconds: float) -> str:
    """`base` once the server there is ready (`/v1/health` answers 200) within `seconds`; else
    the process is killed and `RuntimeError` raised."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the API server on {base} did not start")


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


def _wrk(url: str, key: str, method: str, body: str | None, seconds: int = 10) -> dict[str, Any]:
    """Run wrk with CLIENTS connections; p50/p99 latency (ms) and the request count."""
    script = f"wrk.method = {json.dumps(method)}\nwrk.headers['x-api-key'] = {json.dumps(key)}\n"
    if body is not None:
        script += (
            f"wrk.body = {json.dumps(body)}\nwrk.headers['Content-Type'] = 'application/json'\n"
        )
    script += (
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('RESULT %f %f %d %d\\n', latency:percentile(50) / 1000,"
        " latency:percentile(99) / 1000, summary.requests,"
        " summary.errors.status + summary.errors.connect + summary.errors.timeout))\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{CLIENTS}", f"-d{seconds}s", "-s", handle.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    match = re.search(r"RESULT (\S+) (\S+) (\d+) (\d+)", out)
    if match is None:
        raise RuntimeError(f"unexpected wrk output: {out}")
    p50, p99, count, errors = match.groups()
    if int(errors):
        raise RuntimeError(f"wrk saw {errors} failed requests:\n{out}")
    return {"p50": float(p50), "p99": float(p99), "count": int(count)}


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
        if shutil.which("wrk"):
            process, base = _start_server(data_dir, workers=0)
            try:
                with httpx.Client(base_url=base, headers={"x-api-key": key}) as client:
                    job_id = client.post("/v1/optimizations", json=REQUEST).json()["id"]
                submit = _wrk(f"{base}/v1/optimizations", key, "POST", json.dumps(REQUEST))
                status = _wrk(f"{base}/v1/optimizations/{job_id}", key, "GET", None)
            finally:
                process.terminate()
                process.wait(30)
            how = "wrk (1 thread), 50 connections, 10 s, 1 server process"
            results = [("API: submit job", submit), ("API: job status", status)]
        else:
            process, base = _start_server(data_dir, workers=0)
            try:
                submit_ms, status_ms = asyncio.run(_load(base, key))
            finally:
                process.terminate()
                process.wait(30)
            how = f"httpx in-process, {CLIENTS} clients x {REQUESTS_PER_CLIENT} (no wrk)"
            results = [
                (task, {"p50": statistics.median(v), "p99": _percentile(v, 0.99), "count": len(v)})
                for task, v in (("API: submit job", submit_ms), ("API: job status", status_ms))
            ]
        for task, r in results:
            table.add(
                Row(
                    task,
                    how,
                    "p99 target 50 ms",
                    r["p99"],
                    TARGET_P99_MS,
                    f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms over {r['count']} requests",
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
                f"median {median:.0f} ms of {len(first)} (submission wakes the in-process worker)",
            )
        )
