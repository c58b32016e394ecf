"""How a process of ours runs and ends: `exit_process(run)` defers the package indexes no process
of ours reads (`settings.process_start`), runs `run()` and exits with its code, having first
moved every object still alive out of the cyclic garbage collector's reach (`gc.freeze`).

A process that has loaded LangGraph, pandas, numba and the tools holds over a million objects;
at shutdown the interpreter runs the cyclic collector over all of them several times, which
took 0.5-0.75 s of CPU in each `stratigos` command, learner and worker (issue 63). Frozen, they
are left to the end of the process instead. Objects are still freed by reference counting,
`atexit` handlers and `finally` blocks still run and the standard streams are still flushed;
only garbage caught in reference cycles is not collected, which no exit needs. Call it only
where the process ends: code that goes on (tests, an embedding program) calls the `run` itself.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import NoReturn

from settings.process_start import defer_package_indexes


def exit_process(run: Callable[[], int | None]) -> NoReturn:
    """Run `run()` (package indexes deferred first) and exit the process with its code (None is 0); an exception it raises,
    `SystemExit` included, ends the process as it would without this."""
    defer_package_indexes()
    try:
        code = run()
    finally:
        gc.freeze()
    sys.exit(code)
