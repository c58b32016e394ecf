"""Start-up: `stratigos --help` and a `stratigos chat -m` turn that needs no search, as a person
runs them (a new process each time, offline model, a warm data directory), and the same turn
over the API (`POST /v1/threads/{id}/messages`, a new thread each time, on a `uvicorn` server
in its own process): the first turn after the server starts, and the median of later ones.

Targets: `--help` under 0.5 s, a chat turn under 3 s from the CLI and under 0.3 s through the
API on a warm server (3 s for the first turn after the server starts); the ratio is target /
ours. Each CLI row is the median of 5 runs after one warm-up run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.harness import Row, Table

RUNS = 5
STRATIGOS = str(Path(sys.executable).with_name("stratigos"))
TURN = "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018"
CLI_TURN_S = 3.0
"""Target of a chat turn that needs no search from the CLI (a new process), seconds."""
API_TURN_S = 0.3
"""Target of the same turn through the API on a warm server (issue 34), seconds."""
FIRST_API_TURN_S = 3.0
"""Target of the first API turn after the server starts (it loads what a new process does)."""


def _median_seconds(command: list[str], env: dict[str, str]) -> float:
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - started)
    return sorted(times)[RUNS // 2]


def _api_turn_seconds(base: str, key: str) -> float:
    headers = {"x-api-key": key, "accept": "application/json"}
    started = time.perf_counter()
    thread = httpx.post(f"{base}/v1/threads", json={}, headers=headers, timeout=60)
    thread.raise_for_status()
    turn = httpx.post(
        f"{base}/v1/threads/{thread.json()['id']}/messages",
        json={"content": TURN},
        headers=headers,
        timeout=60,
    )
    turn.raise_for_status()
    assert turn.json()["replies"], turn.text
    return time.perf_counter() - started


def _api_rows(table: Table, data_dir: Path) -> None:
    from benchmarks.bench_api import _key, _start_server

    key = _key(data_dir)
    process, base = _start_server(data_dir, workers=0)
    try:
        first = _api_turn_seconds(base, key)
        later = sorted(_api_turn_seconds(base, key) for _ in range(RUNS))[RUNS // 2]
    finally:
        process.terminate()
        process.wait(timeout=30)
    for task, seconds, how, target_s in (
        ("start-up: API chat turn, first after start", first, "one run", FIRST_API_TURN_S),
        ("start-up: API chat turn, warm server", later, f"median of {RUNS} runs", API_TURN_S),
    ):
        table.add(
            Row(
                task,
                "new thread, offline model, uvicorn",
                f"target {target_s:g} s",
                seconds * 1000,
                target_s * 1000,
                f"{how}: {seconds:.2f} s",
                target=1.0,
            )
        )


def run(table: Table) -> None:
    """The rows: --help and one chat turn in a new process, then the API's turns."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_"))}
        env |= {"STRATIGOS_DATA_DIR": tmp, "STRATIGOS_MODEL_PROVIDER": "offline", "HOME": tmp}
        for task, command, target_s in (
            ("start-up: stratigos --help", [STRATIGOS, "--help"], 0.5),
            (
                "start-up: chat -m turn (no search)",
                [STRATIGOS, "chat", "-m", TURN, "--quiet"],
                CLI_TURN_S,
            ),
        ):
            seconds = _median_seconds(command, env)
            table.add(
                Row(
                    task,
                    "new process, offline model",
                    f"target {target_s:g} s",
                    seconds * 1000,
                    target_s * 1000,
                    f"median of {RUNS} runs: {seconds:.2f} s",
                    target=1.0,
                )
            )
        _api_rows(table, Path(tmp) / "api")
