"""Capacity benchmark (issues 42 and 50, `make bench-load`): the mixed load from 1 to 200 clients,
admitted work counted apart from answers, for clients that flood and clients that wait.

One server (`stratigos serve`, SQLite store, offline model, default settings otherwise: limits,
threads, one in-process job worker) in its own process on loopback, as an operator runs it,
once with its default server processes (one per core, at most 4) and once with `--workers 1`
(`PROCESSES`). Ten owners share the load (the API key moves from owner to owner). Each client
keeps one connection and cycles through the mix: `GET /v1/health`, `GET /v1/portfolios`, `GET
/v1/optimizations?limit=20` and `POST /v1/monte-carlo/analyze` (4 assets, 200 paths, 126 days).

Two generators run the same mix (`PLAN`): our own (`benchmarks.http_client`, asyncio in this
process, which takes part of the same cores) and wrk (`benchmarks.wrk_load`, in C, two threads;
its rows are left out, saying so, when wrk is not installed). Two kinds of clients: `honour`
waits the `Retry-After` of a 503 or 429 (at most 1 s) before its next request; `flood` sends its
next request as soon as the last is answered, refused or not. A new server first gets
`SERVER_WARMUP_SECONDS` of load, unmeasured; each level then runs `SECONDS` after
`WARMUP_SECONDS` of its own load.

Per level it prints what was answered (2xx, 503 with `Retry-After`, 429) and, apart, what was
admitted (2xx) per second, the admitted throughput as a share of the same generator's and
clients' 10-client level, p50/p95/p99 (our generator: of the admitted answers; wrk: of every
answer, refusals included, as wrk times them alike), what a prober on a connection of its own
saw meanwhile (`PROBE_EVERY_S`: p99 of liveness `/v1/health/live` and readiness `/v1/health`,
and the share of readiness answers that were 200), the count shed, the 429s and the errors (any
other status, a 503 without `Retry-After`, a transport error), and what the server's processes
hold a second before the end of the level, under the load (`Usage`: descriptors, those on the
store's files, threads, resident memory; summed over the command and its server processes).
"""

from __future__ import annotations

import argparse
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bench_api import _percentile, answering
from benchmarks.harness import Row, Table
from benchmarks.http_client import Connection
from benchmarks.wrk_load import BEHAVIOURS, WRK_MISSING, run_wrk, wrk_available
from settings.groups.api import ApiSettings

PLAN: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("ours", "honour", (1, 10, 50, 200)),
    ("ours", "flood", (10, 200)),
    ("wrk", "honour", (10, 200)),
    ("wrk", "flood", (10, 200)),
)
"""(generator, clients' behaviour, levels) measured against each server, in this order."""
GENERATORS = ("ours", "wrk")
PROCESSES: tuple[int | None, ...] = (None, 1)
"""`stratigos serve --workers` values measured, one fresh server each (None: the default)."""
SECONDS = float(os.environ.get("STRATIGOS_BENCH_LOAD_SECONDS", "20"))
"""Measured seconds per level (after `WARMUP_SECONDS`)."""
WARMUP_SECONDS = 3.0
"""The load before each level's measured seconds."""
SERVER_WARMUP_SECONDS = 15.0
"""A new server's first seconds under load (our generator, `BASE_LEVEL` clients), unmeasured: it
loads its market data and compiles what the analyses run in the background meanwhile, and a
first level would otherwise be measured slower than a later one."""
BASE_LEVEL = 10
"""The level each level's admitted throughput is compared with."""
CLIENTS_THAT = {"honour": "wait Retry-After", "flood": "ignore Retry-After"}
"""How a row names the clients of each behaviour."""
TARGET_SHARE = {"honour": 0.95, "flood": 0.80}
"""Admitted throughput at 200 clients as a share of that at 10 clients (issue 50)."""
TARGET_LIVE_P99_MS = 50.0
USAGE_BEFORE_END_S = 1.0
"""When the server's descriptors, threads and memory are read: under the load, just before its
end."""
PROBE_EVERY_S = 0.02
"""The prober's pause between two probes (liveness and readiness in turn)."""
LIVE_PATH = "/v1/health/live"
READY_PATH = "/v1/health"
OWNERS = 10
ANALYZE = {
    "assets": ["AAPL", "JNJ", "KO", "XOM"],
    "n_paths": 200,
    "horizon_days": 126,
    "scenarios": ["bear", "base"],
}
MIX: tuple[tuple[str, str, object], ...] = (
    ("GET", READY_PATH, None),
    ("GET", "/v1/portfolios", None),
    ("GET", "/v1/optimizations?limit=20", None),
    ("POST", "/v1/monte-carlo/analyze", ANALYZE),
)
"""The mix; `capacity_mix.lua` sends the same for wrk."""


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


@dataclass
class Level:
    """What one level of concurrency measured, with one generator and one kind of client."""

    clients: int
    generator: str = "ours"
    behaviour: str = "honour"
    seconds: float = 0.0
    admitted: int = 0
    admitted_ms: list[float] = field(default_factory=list)
    """Latencies of the admitted answers (our generator only)."""
    health_ms: list[float] = field(default_factory=list)
    """Latencies of the admitted readiness checks of the mix (our generator only)."""
    percentiles_ms: tuple[float, float, float] | None = None
    """p50, p95, p99 of every answer (wrk only)."""
    shed: int = 0
    throttled: int = 0
    errors: int = 0
    reconnects: int = 0
    live_ms: list[float] = field(default_factory=list)
    ready_ms: list[float] = field(default_factory=list)
    ready_statuses: Counter[int] = field(default_factory=Counter)
    """The prober's readiness answers by status (-1: a transport error)."""
    usage: Usage | None = None
    """The server's processes a second before the end of the level."""

    @property
    def answered(self) -> int:
        """Requests answered with a 2xx, a 503 shed or a 429."""
        return self.admitted + self.shed + self.throttled

    @property
    def admitted_rate(self) -> float:
        """Admitted (2xx) answers per second."""
        return self.admitted / self.seconds

    def latencies(self) -> tuple[float, float, float]:
        """p50, p95, p99 in ms: of the admitted answers (ours), of every answer (wrk)."""
        if self.percentiles_ms is not None:
            return self.percentiles_ms
        ms = self.admitted_ms or [float("nan")]
        return statistics.median(ms), _percentile(ms, 0.95), _percentile(ms, 0.99)

    def ready_share(self) -> float:
        """The share of the prober's readiness answers that were 200."""
        total = sum(self.ready_statuses.values())
        return self.ready_statuses[200] / total if total else float("nan")

    def line(self, base: Level | None) -> str:
        """One row of the printed table; `base`: the 10-client level of the same kind."""
        p50, p95, p99 = self.latencies()
        share = f"{self.admitted / self.seconds / base.admitted_rate:.0%}" if base else ""
        live = _percentile(self.live_ms or [float("nan")], 0.99)
        ready = _percentile(self.ready_ms or [float("nan")], 0.99)
        return (
            f"| {self.generator} | {self.behaviour} | {self.clients} | "
            f"{self.answered / self.seconds:.0f} | {self.admitted_rate:.0f} | {share} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {live:.0f} | {ready:.0f} | "
            f"{self.ready_share():.0%} | {self.shed} | {self.throttled} | {self.errors} | "
            f"{self.usage.cells() if self.usage else '| | |'}"
        )


HEADER = (
    "| generator | clients | clients | answered req/s | admitted req/s | admitted vs 10 clients "
    "| p50 ms | p95 ms | p99 ms | live p99 ms | ready p99 ms | ready 200 | shed (503) | 429 "
    "| errors | descriptors (store) | threads | memory MB |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)
NOTE = (
    "p50/p95/p99: ours of the admitted answers, wrk of every answer; live and ready: the "
    "prober's p99; ready 200: its readiness answers that were 200"
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


async def _client(
    base: str, key: str, offset: int, level: Level, window: list[float], honour: bool = True
) -> None:
    """Send the mix back to back until the window closes, waiting `Retry-After` (at most 1 s)
    after a refusal when `honour`; count only inside the window."""
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
            refused = status in (503, 429) and "retry-after" in connection.response_headers
            if window[0] <= started < window[1]:
                _count(level, status, refused, path, (ended - started) * 1e3)
            if refused and honour:
                await asyncio.sleep(min(1.0, float(connection.response_headers["retry-after"])))
    finally:
        level.reconnects += max(0, connection.connections_opened - 1)
        await connection.close()


def _count(level: Level, status: int, refused: bool, path: str, elapsed_ms: float) -> None:
    if 200 <= status < 300:
        level.admitted += 1
        level.admitted_ms.append(elapsed_ms)
        if path == READY_PATH:
            level.health_ms.append(elapsed_ms)
    elif refused and status == 503:
        level.shed += 1
    elif refused:
        level.throttled += 1
    else:
        level.errors += 1


async def _probe(base: str, level: Level, window: list[float]) -> None:
    """Liveness and readiness in turn on a connection of their own, `PROBE_EVERY_S` apart,
    until the window closes; latencies and readiness statuses counted inside it."""
    connection = Connection(base, {})
    turn = 0
    try:
        while time.monotonic() < window[1]:
            path = (LIVE_PATH, READY_PATH)[turn % 2]
            turn += 1
            started = time.monotonic()
            try:
                status, _ = await connection.request("GET", path)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                status = -1
            elapsed = (time.monotonic() - started) * 1e3
            if window[0] <= started < window[1]:
                if path == LIVE_PATH:
                    level.live_ms.append(elapsed)
                    level.errors += status != 200
                else:
                    level.ready_ms.append(elapsed)
                    level.ready_statuses[status] += 1
            await asyncio.sleep(PROBE_EVERY_S)
    finally:
        await connection.close()


async def _our_level(base: str, keys: list[str], level: Level, pid: int) -> Level:
    start = time.monotonic() + WARMUP_SECONDS
    window = [start, start + SECONDS]
    honour = level.behaviour == "honour"
    clients = [
        _client(base, keys[i % len(keys)], i, level, window, honour) for i in range(level.clients)
    ]
    await asyncio.gather(_probe(base, level, window), _sample(level, pid, window), *clients)
    level.seconds = SECONDS
    return level


async def _warm_up(base: str, keys: list[str]) -> None:
    """`SERVER_WARMUP_SECONDS` of the mix from `BASE_LEVEL` of our clients, counted nowhere."""
    window = [time.monotonic() + SERVER_WARMUP_SECONDS] * 2
    unmeasured = Level(BASE_LEVEL)
    await asyncio.gather(
        *(_client(base, keys[i % len(keys)], i, unmeasured, window) for i in range(BASE_LEVEL))
    )


async def _wrk_level(base: str, keys: list[str], level: Level, pid: int) -> Level:
    await run_wrk(base, keys, level.clients, WARMUP_SECONDS, level.behaviour)
    start = time.monotonic()
    window = [start, start + SECONDS]
    result, _, _ = await asyncio.gather(
        run_wrk(base, keys, level.clients, SECONDS, level.behaviour),
        _probe(base, level, window),
        _sample(level, pid, window),
    )
    level.seconds = result.seconds
    level.admitted = result.admitted
    level.shed = result.shed
    level.throttled = result.throttled
    level.errors += result.other + result.transport_errors
    level.percentiles_ms = (result.p50_ms, result.p95_ms, result.p99_ms)
    return level


async def _sample(level: Level, pid: int, window: list[float]) -> None:
    """What the server holds `USAGE_BEFORE_END_S` before the window closes, under the load."""
    await asyncio.sleep(max(0.0, window[1] - USAGE_BEFORE_END_S - time.monotonic()))
    level.usage = usage(pid)


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


def measure(
    plan: tuple[tuple[str, str, tuple[int, ...]], ...] = PLAN, processes: int | None = None
) -> list[Level]:
    """Run the plan's levels against one fresh `stratigos serve --workers processes` (None: the
    default; default settings otherwise); the levels in order (wrk's left out, saying so, when
    wrk is missing)."""
    if any(generator == "wrk" for generator, _, _ in plan) and not wrk_available():
        print(WRK_MISSING, flush=True)
        plan = tuple(entry for entry in plan if entry[0] != "wrk")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "capacity"
        keys = _keys(data_dir)
        process, base = _serve(data_dir, processes)
        levels: list[Level] = []
        try:
            asyncio.run(_warm_up(base, keys))
            for generator, behaviour, counts in plan:
                for clients in counts:
                    level = Level(clients, generator, behaviour)
                    drive = _wrk_level if generator == "wrk" else _our_level
                    levels.append(asyncio.run(drive(base, keys, level, process.pid)))
                    print(level.line(_base_of(levels, level)), flush=True)
            return levels
        finally:
            process.terminate()
            process.wait(60)


def _find(levels: list[Level], generator: str, behaviour: str, clients: int) -> Level | None:
    """The level measured with this generator, behaviour and number of clients, if any."""
    wanted = (generator, behaviour, clients)
    return next((lv for lv in levels if (lv.generator, lv.behaviour, lv.clients) == wanted), None)


def _base_of(levels: list[Level], level: Level) -> Level | None:
    """The `BASE_LEVEL`-client level of the same generator and behaviour, if measured."""
    return _find(levels, level.generator, level.behaviour, BASE_LEVEL)


def run(table: Table) -> None:
    """The plan against each number of server processes; rows: admitted throughput at the
    largest level against the 10-client level per generator and behaviour, and the prober's
    liveness p99 at the largest level."""
    for processes in PROCESSES:
        print(_command(processes))
        print(NOTE)
        print(HEADER, flush=True)
        levels = measure(processes=processes)
        _rows(table, levels, processes)


def _command(processes: int | None) -> str:
    """How the server was started, as a title."""
    if processes is None:
        return f"stratigos serve (default: {ApiSettings().server_processes()} processes)"
    return f"stratigos serve --workers {processes}"


def _rows(table: Table, levels: list[Level], processes: int | None) -> None:
    """Per generator and behaviour: the admitted req/s of the largest level against the 10-client
    level's (met when at least `TARGET_SHARE` of it, with no errors); per server: the liveness p99
    at the largest flooding level (wrk's when it ran), with the share of readiness answers that
    were 200."""
    for generator, behaviour, counts in PLAN:
        base = _find(levels, generator, behaviour, BASE_LEVEL)
        top = _find(levels, generator, behaviour, max(counts))
        if base is None or top is None:
            continue
        share = TARGET_SHARE[behaviour]
        table.add(
            Row(
                f"capacity: admitted req/s, {top.clients} against {BASE_LEVEL} clients that "
                f"{CLIENTS_THAT[behaviour]} ({generator}), {_command(processes)}",
                f"{OWNERS} owners, {SECONDS:.0f} s; health, portfolios, jobs, Monte Carlo",
                f"{share:.0%} of the {BASE_LEVEL}-client level (req/s, not ms)",
                base.admitted_rate,
                top.admitted_rate / share if top.errors == 0 else 0.0,
                f"{base.admitted_rate:.0f} -> {top.admitted_rate:.0f} req/s admitted "
                f"({top.answered / top.seconds:.0f} answered); {top.shed} shed, "
                f"{top.throttled} 429, {top.errors} errors",
                target=1.0,
            )
        )
    flood = [lv for lv in levels if lv.behaviour == "flood" and lv.live_ms]
    if flood:
        top = max(flood, key=lambda lv: (lv.clients, lv.generator == "wrk"))
        live = _percentile(top.live_ms, 0.99)
        table.add(
            Row(
                f"capacity: liveness p99 while {top.clients} clients flood ({top.generator}), "
                f"{_command(processes)}",
                f"a probe every {PROBE_EVERY_S * 2:g} s",
                f"target {TARGET_LIVE_P99_MS:.0f} ms, readiness 200 throughout",
                live,
                TARGET_LIVE_P99_MS if top.ready_share() == 1.0 else 0.0,
                f"readiness 200 in {top.ready_share():.0%} of its probes "
                f"(p99 {_percentile(top.ready_ms or [float('nan')], 0.99):.0f} ms)",
                target=1.0,
            )
        )


def main() -> None:
    """`python -m benchmarks.bench_capacity [--workers N] [--only GEN:BEHAVIOUR,...] [--levels
    N,...]`: print the table only (default: the server's default processes, the whole plan)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_capacity")
    parser.add_argument("--workers", type=int, default=None, help="server processes")
    parser.add_argument(
        "--only",
        default=",".join(f"{g}:{b}" for g, b, _ in PLAN),
        help="generator:behaviour pairs, e.g. wrk:flood,wrk:honour",
    )
    parser.add_argument("--levels", default=None, help="client counts, e.g. 10,200")
    args = parser.parse_args()
    chosen = []
    for pair in args.only.split(","):
        generator, _, behaviour = pair.partition(":")
        if generator not in GENERATORS or behaviour not in BEHAVIOURS:
            parser.error(f"unknown {pair!r}: choose from {GENERATORS} x {BEHAVIOURS}")
        counts = next((c for g, b, c in PLAN if (g, b) == (generator, behaviour)), (10, 200))
        if args.levels:
            counts = tuple(int(n) for n in args.levels.split(","))
        chosen.append((generator, behaviour, counts))
    print(_command(args.workers))
    print(NOTE)
    print(HEADER, flush=True)
    measure(tuple(chosen), args.workers)


if __name__ == "__main__":
    main()
