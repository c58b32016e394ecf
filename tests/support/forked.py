"""Running test code in processes forked from a forkserver that imported the heavy modules once
(the SIGKILL harnesses: each kill point costs a fork, not an interpreter start)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any


def forkserver_runner(preload: Sequence[str]) -> Callable[..., int]:
    """`run(target, *args)`: run `target(*args)` in a process forked from a forkserver that
    imported `preload`; its exit code (-9 when it SIGKILLed itself)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))

    def run(target: Callable[..., None], *args: Any) -> int:
        process = context.Process(target=target, args=args)
        process.start()
        process.join(300)
        assert process.exitcode is not None, f"{target.__name__}{args} did not end"
        return process.exitcode

    return run
