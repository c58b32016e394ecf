"""The server's C heaps: glibc gives each new thread a heap (an arena) of its own, up to eight
per core, and keeps what they once held. A server whose worker threads take turns with large
requests (an upload's chunks and vectors) then grows with every arena a thread touched; capping
the arenas at `ARENAS` keeps what a large request leaves bounded (measured by `make bench`'s
uploads row: the server's memory after a second maximal upload is what it was after the
first)."""

from __future__ import annotations

import ctypes
import ctypes.util

ARENAS = 2
"""The most glibc heaps the threads share (`MALLOC_ARENA_MAX`)."""

_M_ARENA_MAX = -8
"""glibc's `mallopt` parameter number for the arena cap."""


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's heaps for threads started from now on; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
