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

`loading()` wraps the import of a command's modules: the collector paused while they load (a
chat turn's graph and tools are about 250,000 objects, all kept; collecting while they were
made took 0.15 s of a `chat -m` turn in its own process), then, in a process `exit_process`
runs, frozen as at the exit, so that later collections no longer walk them.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from settings.process_start import defer_package_indexes

_OWN_PROCESS = False
"""Whether `exit_process` runs this process (and so may freeze what `loading` loaded)."""


def exit_process(run: Callable[[], int | None]) -> NoReturn:
    """Run `run()` (package indexes deferred first) and exit the process with its code (None is 0); an exception it raises,
    `SystemExit` included, ends the process as it would without this."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    defer_package_indexes()
    try:
        code = run()
    finally:
        gc.freeze()
    sys.exit(code)


@contextmanager
def loading() -> Iterator[None]:
    """Run the block (imports of modules that stay loaded) with the cyclic collector paused;
    afterwards, in a process `exit_process` runs, freeze every object then alive (`gc.freeze`),
    and resume the collector if it ran before. Elsewhere (tests, an embedding program) nothing
    is frozen."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _OWN_PROCESS:
            gc.freeze()
        if collecting:
            gc.enable()
