"""Soak (issue 42, `make bench-soak`, and the `make bench` suite `soak`): the capacity benchmark's
mixed load for `STRATIGOS_BENCH_SOAK_SECONDS` (1,800 by default) at `CLIENTS` clients against one
`stratigos serve` (its default processes), sampling the server every `SAMPLE_SECONDS`: open
descriptors (and those on the store's files), threads and resident memory (summed over them).

It prints one line per sample and a row comparing the end with the warm-up level (its two
numbers are 1 and 1 when nothing grew, 1 and 0 when something did) (the first
sample after `WARMUP_SECONDS`): a leak shows as descriptors, threads or memory still climbing at
the end. Nothing leaks when the end is within the warm-up's range (descriptors and threads
equal, memory within `MEMORY_SLACK`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_capacity import Level, Usage, _client, _command, _keys, _serve, usage
from benchmarks.harness import Row, Table

SECONDS = float(os.environ.get("STRATIGOS_BENCH_SOAK_SECONDS", "1800"))
CLIENTS = 50
SAMPLE_SECONDS = 30.0
WARMUP_SECONDS = 120.0
MEMORY_SLACK = 1.10
"""The end's resident memory may exceed the warm-up's by this factor (allocator noise)."""


@dataclass(frozen=True)
class Sample:
    """The server's processes `at` seconds into the soak."""

    at: float
    usage: Usage

    def line(self) -> str:
        """One printed line."""
        held = self.usage
        return (
            f"  {self.at:6.0f} s: {held.descriptors} descriptors ({held.store_descriptors} on "
            f"the store), {held.threads} threads, {held.rss_mb:.0f} MB"
        )


async def _soak(base: str, keys: list[str], pid: int) -> tuple[Level, list[Sample]]:
    level = Level(CLIENTS)
    started = time.monotonic()
    window = [started, started + SECONDS]
    samples: list[Sample] = []

    async def sampler() -> None:
        while time.monotonic() < window[1]:
            await asyncio.sleep(SAMPLE_SECONDS)
            samples.append(Sample(time.monotonic() - started, usage(pid)))
            print(samples[-1].line(), flush=True)

    clients = [_client(base, keys[i % len(keys)], i, level, window) for i in range(CLIENTS)]
    await asyncio.gather(sampler(), *clients)
    level.seconds = SECONDS
    return level, samples


def run(table: Table) -> None:
    """The soak; one row: the end against the warm-up level."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "soak"
        keys = _keys(data_dir)
        process, base = _serve(data_dir)
        try:
            level, samples = asyncio.run(_soak(base, keys, process.pid))
        finally:
            process.terminate()
            process.wait(30)
    warm = next((s for s in samples if s.at >= min(WARMUP_SECONDS, SECONDS / 2)), samples[0])
    end = samples[-1]
    held = (
        end.usage.descriptors <= warm.usage.descriptors
        and end.usage.threads <= warm.usage.threads
        and end.usage.rss_mb <= warm.usage.rss_mb * MEMORY_SLACK
    )
    table.add(
        Row(
            "soak: mixed load (1 = no growth, 0 = growth)",
            f"{CLIENTS} clients, {SECONDS:.0f} s, {_command(None)}",
            "end within the warm-up level",
            1.0,
            1.0 if held else 0.0,
            f"descriptors {warm.usage.descriptors} -> {end.usage.descriptors} (store "
            f"{warm.usage.store_descriptors} -> {end.usage.store_descriptors}), threads "
            f"{warm.usage.threads} -> {end.usage.threads}, memory {warm.usage.rss_mb:.0f} -> "
            f"{end.usage.rss_mb:.0f} MB; "
            f"{level.answered / level.seconds:.0f} req/s, {level.errors} errors",
            target=1.0,
        )
    )
