"""The capacity benchmark's external load generator: wrk (a C HTTP benchmark, Debian's `wrk`)
running `capacity_mix.lua`, the same mix of requests as our own generator.

`run_wrk` runs it with `clients` connections for `seconds` and returns what it counted: answers
by kind (admitted 2xx, shed 503 with `Retry-After`, 429, other), wrk's transport errors and the
p50/p95/p99 of every answer (wrk times all answers alike: refusals are in its percentiles).
`WRK_MISSING` says what to do when wrk is not installed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("capacity_mix.lua")
THREADS = 2
"""wrk's threads (one event loop each): the machine's two cores."""
TIMEOUT_S = 30
"""wrk counts an answer slower than this as a timeout (never expected: refusals are at once)."""
WRK_MISSING = (
    "wrk is not installed: the external generator's rows are left out "
    "(`make bench-load` installs it with apt; or `apt-get install wrk`)"
)
BEHAVIOURS = ("honour", "flood")
"""How clients treat a 503 or 429 with `Retry-After`: wait it (at most 1 s), or send the next
request at once."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run counted."""

    admitted: int
    shed: int
    throttled: int
    other: int
    seconds: float
    transport_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    """Of every answer (admitted or refused)."""


def wrk_available() -> bool:
    """Whether the `wrk` command is on the PATH."""
    return shutil.which("wrk") is not None


async def run_wrk(
    base: str, keys: list[str], clients: int, seconds: float, behaviour: str
) -> WrkResult:
    """wrk's mixed load on `base` with `clients` connections for `seconds` (whole seconds, at
    least 1), the owners' `keys` in turn, clients that `behaviour` (`BEHAVIOURS`) Retry-After."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {BEHAVIOURS}, not {behaviour!r}")
    command = [
        "wrk",
        f"-t{min(THREADS, clients)}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={TIMEOUT_S}s",
        "-s",
        str(SCRIPT),
        base,
        "--",
        ",".join(keys),
        behaviour,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    found = next(
        (line for line in out.decode().splitlines() if line.startswith("STRATIGOS_WRK ")), None
    )
    if process.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {out.decode()}{err.decode()}")
    counts = json.loads(found.removeprefix("STRATIGOS_WRK "))
    return WrkResult(
        admitted=counts["admitted"],
        shed=counts["shed"],
        throttled=counts["throttled"],
        other=counts["other"],
        seconds=counts["seconds"],
        transport_errors=counts["connect_errors"]
        + counts["read_errors"]
        + counts["write_errors"]
        + counts["timeouts"],
        p50_ms=counts["p50_ms"],
        p95_ms=counts["p95_ms"],
        p99_ms=counts["p99_ms"],
    )
