"""Start-up: `stratigos --help` and a `stratigos chat -m` turn that needs no search, as a person
runs them (a new process each time, offline model, a warm data directory).

Targets: `--help` under 0.5 s, a chat turn under 3 s (the ratio is target / ours). Each is the
median of 5 runs after one warm-up run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import Row, Table

RUNS = 5
STRATIGOS = str(Path(sys.executable).with_name("stratigos"))
TURN = "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018"


def _median_seconds(command: list[str], env: dict[str, str]) -> float:
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - started)
    return sorted(times)[RUNS // 2]


def run(table: Table) -> None:
    """The two rows: --help and one chat turn, against their targets."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_"))}
        env |= {"STRATIGOS_DATA_DIR": tmp, "STRATIGOS_MODEL_PROVIDER": "offline", "HOME": tmp}
        for task, command, target_s in (
            ("start-up: stratigos --help", [STRATIGOS, "--help"], 0.5),
            ("start-up: chat -m turn (no search)", [STRATIGOS, "chat", "-m", TURN, "--quiet"], 3.0),
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
