"""The server's C heaps: glibc gives each new thread a heap (an arena) of its own, up to eight
per core, and keeps what they once held. A server whose worker threads take turns with large
requests (an upload's chunks) then grows with every arena a thread touched; capping the arenas
at `ARENAS` keeps what a large request leaves bounded, and `release_free_memory` after an
upload gives the pages its heaps no longer use back to the system (measured by `make bench`'s
uploads row: the server's memory after each of three maximal uploads). The C library is looked up
once per process: `ctypes.util.find_library` runs `ldconfig -p` in a child process each time
(about 1.5 ms of CPU and a process started per upload)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

ARENAS = 2
"""The most glibc heaps the threads share (`MALLOC_ARENA_MAX`)."""

_M_ARENA_MAX = -8
"""glibc's `mallopt` parameter number for the arena cap."""


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The process's C library, found once (None where there is none to load)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


def _glibc(function: str) -> Any | None:
    """glibc's `function`, or None where there is no glibc."""
    libc = _libc()
    return None if libc is None else getattr(libc, function, None)


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's heaps for threads started from now on; False where there is no glibc."""
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, arenas))


def release_free_memory() -> bool:
    """Give the free pages of every glibc heap back to the system (`malloc_trim(0)`, a few
    milliseconds); False where there is no glibc or nothing was released."""
    trim = _glibc("malloc_trim")
    return trim is not None and bool(trim(0))
