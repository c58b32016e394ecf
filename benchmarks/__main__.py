"""Run the benchmarks and print one Markdown table: `python -m benchmarks [--only NAME,...]`."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time

from benchmarks.harness import Table

SUITES = (
    "hrp",
    "risk_parity",
    "mean_variance",
    "engine",
    "options",
    "scenarios",
    "importance",
    "strategy_model",
    "store",
    "jobs",
    "api",
    "load",
    "capacity",
    "startup",
    "scheduler",
    "trading_day",
    "forward_test",
    "universe",
    "research",
    "uploads",
    "soak",
)


def main() -> None:
    """Run the selected benchmark suites in this process and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "--only", default=",".join(SUITES), help=f"comma-separated subset of {SUITES}"
    )
    args = parser.parse_args()
    table = Table()
    started = time.perf_counter()
    for name in args.only.split(","):
        if name not in SUITES:
            parser.error(f"unknown suite {name!r}; choose from {', '.join(SUITES)}")
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").run(table)
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    print(table.markdown())


if __name__ == "__main__":
    main()
