"""Uploads benchmark (issue 33): other owners' latency while a maximal document is read, and the
server's memory before, during and after.

The server is `uvicorn api.app:app` (SQLite store, offline model and embeddings, one in-process
job worker, as `stratigos serve` runs) in its own process on loopback. One client uploads the
largest workbook the default limits take (`documents_max_rows` rows: 99,999 data rows and a
header); meanwhile `READERS` clients of another owner read `GET /v1/portfolios` (5 portfolios)
back to back on kept-alive connections (`benchmarks.http_client`). Only the reads made while
the upload is in flight count. The row compares their p99 with the 250 ms target (speed-up =
target / p99, >= 1x meets it; the target also needs 0 errors); the difference column has the
upload's time and chunks, and the server process's resident memory (its child readers and index
writers are apart) before the upload, at its peak, 3 s after it, and 3 s after each of
`AGAIN` more uploads of the same size (what stays is bounded, not growing with each upload).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.bench_api import _percentile, _start_server
from benchmarks.harness import Row, Table
from benchmarks.http_client import Connection
from settings import DocumentSettings

READERS = 4
TARGET_P99_MS = 250.0
SETTLE_SECONDS = 3.0
AGAIN = 2


def maximal_workbook() -> bytes:
    """An xlsx of `documents_max_rows` rows (the header included): the largest the default
    limits take, of short rows, so that its text stays under the chunks' limit."""
    from openpyxl import Workbook

    rows = DocumentSettings().max_rows
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Holdings")
    sheet.append(["asset", "weight"])
    for i in range(rows - 1):
        sheet.append([f"A{i}", round((i % 97) / 1000, 3)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _keys(data_dir: Path) -> tuple[str, str]:
    from store.sqlite import SQLiteStore

    data_dir.mkdir(parents=True, exist_ok=True)
    with SQLiteStore(data_dir / "store.sqlite") as store:
        return store.create_api_key("uploader", "bench")[0], store.create_api_key(
            "reader", "bench"
        )[0]


def _resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _drive(
    base: str, uploader: str, reader: str, pid: int, workbook: bytes
) -> dict[str, object]:
    portfolio = {
        "name": "p",
        "weights": [{"asset": "JNJ", "weight": 0.5}, {"asset": "KO", "weight": 0.5}],
    }
    setup = Connection(base, {"x-api-key": reader})
    for i in range(5):
        await setup.request("POST", "/v1/portfolios", {**portfolio, "name": f"p{i}"})
    await setup.close()
    async with httpx.AsyncClient(base_url=base, headers={"x-api-key": uploader}, timeout=300) as up:
        warm = await up.post(
            "/v1/documents", files={"file": ("warm.txt", b"warm up", "text/plain")}
        )
        assert warm.status_code == 201, warm.text
        await asyncio.sleep(SETTLE_SECONDS)
        before = _resident_mb(pid)
        latencies: list[float] = []
        errors = 0
        peak = before
        uploading = True

        async def read() -> None:
            nonlocal errors
            connection = Connection(base, {"x-api-key": reader})
            try:
                while uploading:
                    started = time.perf_counter()
                    try:
                        status, _ = await connection.request("GET", "/v1/portfolios")
                    except (OSError, ValueError, asyncio.IncompleteReadError):
                        errors += 1
                        continue
                    if uploading:
                        latencies.append((time.perf_counter() - started) * 1e3)
                        errors += status != 200
            finally:
                await connection.close()

        async def watch() -> None:
            nonlocal peak
            while uploading:
                peak = max(peak, _resident_mb(pid))
                await asyncio.sleep(0.05)

        readers = [asyncio.create_task(read()) for _ in range(READERS)]
        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        files = {"file": ("holdings.xlsx", workbook, "application/octet-stream")}
        answer = await up.post("/v1/documents", files=files)
        seconds = time.perf_counter() - started
        uploading = False
        await asyncio.gather(*readers, watcher)
        assert answer.status_code == 201, answer.text
        await asyncio.sleep(SETTLE_SECONDS)
        after = _resident_mb(pid)
        again: list[float] = []
        for i in range(AGAIN):
            more = {"file": (f"again{i}.xlsx", workbook, "application/octet-stream")}
            repeated = await up.post("/v1/documents", files=more)
            assert repeated.status_code == 201, repeated.text
            await asyncio.sleep(SETTLE_SECONDS)
            again.append(_resident_mb(pid))
        return {
            "latencies": latencies,
            "errors": errors,
            "seconds": seconds,
            "chunks": answer.json()["chunk_count"],
            "before": before,
            "peak": peak,
            "after": after,
            "again": again,
        }


def run(table: Table) -> None:
    """One row: p99 of another owner's reads during a maximal upload; memory in the text."""
    workbook = maximal_workbook()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "uploads"
        uploader, reader = _keys(data_dir)
        process, base = _start_server(data_dir, workers=1)
        try:
            found = asyncio.run(_drive(base, uploader, reader, process.pid, workbook))
        finally:
            process.terminate()
            process.wait(30)
    latencies = list(found["latencies"])  # type: ignore[call-overload]
    p99 = _percentile(latencies, 0.99)
    errors = int(found["errors"])  # type: ignore[call-overload]
    rows = DocumentSettings().max_rows
    table.add(
        Row(
            "uploads: another owner's reads during a maximal upload",
            f"xlsx of {rows:,} rows ({len(workbook) / 1e6:.1f} MB, {found['chunks']} chunks); "
            f"{READERS} clients reading GET /v1/portfolios",
            f"p99 target {TARGET_P99_MS:.0f} ms, 0 errors",
            p99,
            TARGET_P99_MS if errors == 0 else 0.0,
            f"p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms over "
            f"{len(latencies)} reads, {errors} errors; upload {found['seconds']:.1f} s; server "
            f"RSS {found['before']:.0f} MB before, {found['peak']:.0f} MB peak, "
            f"{found['after']:.0f} MB {SETTLE_SECONDS:.0f} s after, then "
            f"{', '.join(f'{mb:.0f}' for mb in found['again'])} MB after each of "  # type: ignore[attr-defined]
            f"{AGAIN} more such uploads",
            target=1.0,
        )
    )
