"""The cyclic garbage collector while the suite is collected: paused, then the objects alive at
the end of the collection (the test modules, their imports, the items: millions of objects)
frozen out of every later collection (`gc.freeze`), and the collector resumed.

Collecting the whole suite allocates those objects steadily, and each full collection the
growing heap triggered walked all of them again: ~4 s of a ~17 s collection, on each
pytest-xdist worker. Frozen, they are never walked again by the collections of the run (nor by
pytest's own `gc.collect()` at the session's end): they are the live test modules and items.
The cyclic garbage the collection left (~100,000 objects, ~20 MB a process) is frozen with them
rather than collected (a collection there costs 0.7 s): it is freed when the process ends, its
weakref finalizers (temporary directories) run at exit. Called from tests/conftest.py: `pause`
when it is imported, `resume` when the run loop starts (after the collection, on the
pytest-xdist controller too, which collects nothing)."""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Pause the cyclic garbage collector (reference counting still frees everything else)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze the objects alive now out of later collections and resume the collector (once,
    and only if `pause` paused it)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
