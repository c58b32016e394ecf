"""The server's C heaps: glibc gives each new thread a heap (an arena) of its own, up to eight
per core, and keeps what they once held. A server whose worker threads take turns with large
requests (an upload's chunks) then grows with every arena a thread touched; capping the arenas
at `ARENAS` keeps what a large request leaves bounded, and `release_free_memory` after an
upload gives the pages its heaps no longer use back to the system (measured by `make bench`'s
uploads row: the server's memory after each of three maximal uploads)."""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

ARENAS = 2
"""The most glibc heaps the threads share (`MALLOC_ARENA_MAX`)."""

_M_ARENA_MAX = -8
"""glibc's `mallopt` parameter number for the arena cap."""


def _glibc(function: str) -> Any | None:
    """glibc's `function`, or None where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):
        return None


def cap_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's heaps for threads started from now on; False where there is no glibc."""
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, arenas))


def release_free_memory() -> bool:
    """Give the free pages of every glibc heap back to the system (`malloc_trim(0)`, a few
    milliseconds); False where there is no glibc or nothing was released."""
    trim = _glibc("malloc_trim")
    return trim is not None and bool(trim(0))
