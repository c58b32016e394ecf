"""Capacity benchmark (issue 42, `make bench-load`): the mixed load at 1, 10, 50 and 200 clients.

One server (`stratigos serve`, SQLite store, offline model, default settings otherwise: limits,
threads, one in-process job worker) in its own process on loopback, as an operator runs it,
once with its default server processes (one per core, at most 4) and once with `--workers 1`
(`PROCESSES`);
the load generator runs in this process on the same machine
(`benchmarks.http_client`: one kept-alive connection per client). Ten owners share the load
(client i uses owner i mod 10). Each client sends its next request as soon as the last is
answered, cycling through the mix: `GET /v1/health`, `GET /v1/portfolios`, `GET
/v1/optimizations?limit=20` and `POST /v1/monte-carlo/analyze` (4 assets, 200 paths, 126 days),
for `SECONDS` per level after a warm-up.

Per level it prints the throughput of answered requests (req/s), p50/p95/p99 of what was
admitted (2xx), the p99 of `/v1/health` alone, the count shed (503 with `Retry-After`), the
429s and the errors (any other status, a 503 without `Retry-After`, a transport error), and what
the server's processes hold at the end of the level (`Usage`: descriptors, those on the store's
files, threads, resident memory; summed over the command and its server processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_api import _percentile, answering
from benchmarks.harness import Row, Table
from benchmarks.http_client import Connection
from settings.groups.api import ApiSettings

LEVELS = (1, 10, 50, 200)
PROCESSES: tuple[int | None, ...] = (None, 1)
"""`stratigos serve --workers` values measured, one fresh server each (None: the default)."""
SECONDS = float(os.environ.get("STRATIGOS_BENCH_LOAD_SECONDS", "20"))
"""Measured seconds per level (after `WARMUP_SECONDS`)."""
WARMUP_SECONDS = 3.0
OWNERS = 10
ANALYZE = {
    "assets": ["AAPL", "JNJ", "KO", "XOM"],
    "n_paths": 200,
    "horizon_days": 126,
    "scenarios": ["bear", "base"],
}
MIX: tuple[tuple[str, str, object], ...] = (
    ("GET", "/v1/health", None),
    ("GET", "/v1/portfolios", None),
    ("GET", "/v1/optimizations?limit=20", None),
    ("POST", "/v1/monte-carlo/analyze", ANALYZE),
)


@dataclass
class Level:
    """What one level of concurrency measured."""

    clients: int
    seconds: float = 0.0
    admitted_ms: list[float] = field(default_factory=list)
    health_ms: list[float] = field(default_factory=list)
    shed: int = 0
    throttled: int = 0
    errors: int = 0
    reconnects: int = 0
    usage: Usage | None = None
    """The server's processes at the end of the level."""

    @property
    def answered(self) -> int:
        """Requests answered with a 2xx, a 503 shed or a 429."""
        return len(self.admitted_ms) + self.shed + self.throttled

    def line(self) -> str:
        """One row of the printed table."""
        ms = self.admitted_ms or [float("nan")]
        health = self.health_ms or [float("nan")]
        return (
            f"| {self.clients} | {self.answered / self.seconds:.0f} | "
            f"{len(self.admitted_ms) / self.seconds:.0f} | {statistics.median(ms):.0f} | "
            f"{_percentile(ms, 0.95):.0f} | {_percentile(ms, 0.99):.0f} | "
            f"{_percentile(health, 0.99):.0f} | {self.shed} | {self.throttled} | {self.errors} | "
            f"{self.usage.cells() if self.usage else '| | |'}"
        )


HEADER = (
    "| clients | answered req/s | admitted req/s | p50 ms | p95 ms | p99 ms | health p99 ms "
    "| shed (503) | 429 | errors | descriptors (store) | threads | memory MB |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


@dataclass(frozen=True)
class Usage:
    """What server processes hold at one moment (summed over them)."""

    descriptors: int
    store_descriptors: int
    threads: int
    rss_mb: float

    def cells(self) -> str:
        """The last three cells of a printed row."""
        return (
            f"{self.descriptors} ({self.store_descriptors}) | {self.threads} | {self.rss_mb:.0f} |"
        )


def server_processes(pid: int) -> list[int]:
    """`pid` and its child processes but multiprocessing's resource tracker (with `--workers N`
    the children serve; with one process there are none)."""
    pids = [pid]
    with contextlib.suppress(FileNotFoundError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with contextlib.suppress(FileNotFoundError):
                if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                    pids.append(int(child))
    return pids


def usage(pid: int) -> Usage:
    """Read /proc for the server whose command is process `pid` (`server_processes`)."""
    descriptors = on_store = threads = 0
    rss_kb = 0
    for each in server_processes(pid):
        fds = os.listdir(f"/proc/{each}/fd")
        descriptors += len(fds)
        for fd in fds:
            with contextlib.suppress(OSError):  # closed meanwhile
                on_store += "store.sqlite" in os.readlink(f"/proc/{each}/fd/{fd}")
        status = Path(f"/proc/{each}/status").read_text().splitlines()
        rss_kb += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        threads += len(os.listdir(f"/proc/{each}/task"))
    return Usage(descriptors, on_store, threads, rss_kb / 1024)


async def _client(base: str, key: str, offset: int, level: Level, window: list[float]) -> None:
    """Send the mix back to back until the window closes; count only inside it."""
    connection = Connection(base, {"x-api-key": key})
    turn = offset
    try:
        while time.monotonic() < window[1]:
            method, path, body = MIX[turn % len(MIX)]
            turn += 1
            started = time.monotonic()
            try:
                status, _ = await connection.request(method, path, body)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                status = -1
            ended = time.monotonic()
            if not window[0] <= started < window[1]:
                continue
            elapsed = (ended - started) * 1e3
            if 200 <= status < 300:
                level.admitted_ms.append(elapsed)
                if path == "/v1/health":
                    level.health_ms.append(elapsed)
            elif status == 503 and "retry-after" in connection.response_headers:
                level.shed += 1
                await asyncio.sleep(min(1.0, float(connection.response_headers["retry-after"])))
            elif status == 429:
                level.throttled += 1
                await asyncio.sleep(min(1.0, float(connection.response_headers["retry-after"])))
            else:
                level.errors += 1
    finally:
        level.reconnects += max(0, connection.connections_opened - 1)
        await connection.close()


async def _level(base: str, keys: list[str], clients: int, pid: int) -> Level:
    level = Level(clients)
    start = time.monotonic() + WARMUP_SECONDS
    window = [start, start + SECONDS]
    await asyncio.gather(
        *(_client(base, keys[i % len(keys)], i, level, window) for i in range(clients))
    )
    level.seconds = SECONDS
    level.usage = usage(pid)
    return level


def _keys(data_dir: Path) -> list[str]:
    from store.sqlite import SQLiteStore

    data_dir.mkdir(parents=True, exist_ok=True)
    with SQLiteStore(data_dir / "store.sqlite") as store:
        return [store.create_api_key(f"owner-{i}", "bench")[0] for i in range(OWNERS)]


def _serve(data_dir: Path, processes: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`stratigos serve --workers processes` (None: the default) on a free loopback port, once
    every server process accepts connections (its banner is out) and it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "STRATIGOS_DATA_DIR": str(data_dir), "STRATIGOS_MODEL_PROVIDER": "offline"}
    command = [str(Path(sys.executable).with_name("stratigos")), "serve", "--port", str(port)]
    if processes is not None:
        command += ["--workers", str(processes)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    process.stdout.readline()  # the banner (empty when the command exited first)
    # the server's logs go on there: read them away, or it blocks once the pipe is full
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, answering(process, f"http://127.0.0.1:{port}", 120.0)


def measure(levels: tuple[int, ...] = LEVELS, processes: int | None = None) -> list[Level]:
    """Run every level against one fresh `stratigos serve --workers processes` (None: the
    default; default settings otherwise); the rows in order."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "capacity"
        keys = _keys(data_dir)
        process, base = _serve(data_dir, processes)
        try:
            return [asyncio.run(_level(base, keys, clients, process.pid)) for clients in levels]
        finally:
            process.terminate()
            process.wait(60)


def run(table: Table) -> None:
    """The mixed load per level and number of server processes; one table row each (p99 of
    what was admitted vs 1 s)."""
    for processes in PROCESSES:
        levels = measure(processes=processes)
        print(_command(processes))
        print(HEADER)
        for level in levels:
            print(level.line(), flush=True)
        _rows(table, levels, processes)


def _command(processes: int | None) -> str:
    """How the server was started, as a title."""
    if processes is None:
        return f"stratigos serve (default: {ApiSettings().server_processes()} processes)"
    return f"stratigos serve --workers {processes}"


def _rows(table: Table, levels: list[Level], processes: int | None) -> None:
    for level in levels:
        p99 = _percentile(level.admitted_ms or [float("inf")], 0.99)
        table.add(
            Row(
                f"capacity: mixed load, {level.clients} clients, {_command(processes)}",
                f"{OWNERS} owners, {SECONDS:.0f} s; health, portfolios, jobs, Monte Carlo",
                "p99 target 1000 ms (admitted)",
                p99,
                1000.0 if level.errors == 0 else 0.0,
                f"{level.answered / level.seconds:.0f} req/s answered, "
                f"{len(level.admitted_ms) / level.seconds:.0f} admitted; health p99 "
                f"{_percentile(level.health_ms or [float('nan')], 0.99):.0f} ms; "
                f"{level.shed} shed, {level.throttled} 429, {level.errors} errors",
                target=1.0,
            )
        )


def main() -> None:
    """`python -m benchmarks.bench_capacity [PROCESSES|default [levels...]]`: print the table
    only (default: the server's default processes)."""
    argument = sys.argv[1] if len(sys.argv) > 1 else "default"
    processes = None if argument == "default" else int(argument)
    levels = tuple(int(a) for a in sys.argv[2:]) or LEVELS
    print(_command(processes))
    print(HEADER)
    for level in measure(levels, processes):
        print(level.line(), flush=True)


if __name__ == "__main__":
    main()
