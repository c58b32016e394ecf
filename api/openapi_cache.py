"""The app's OpenAPI document kept on disk per installation, as bytecode is: building it (the JSON
schemas pydantic makes of every route's models) took about a second of every new server
process's warm-up, before it answered ready.

The document is kept in `__pycache__/openapi.<interpreter>.<operations>.json` beside this module,
named by the interpreter's cache tag and a digest of what the app's routes are
(`api.contract.operations_of`, as text: an endpoint by its module and qualified name) and of the
interpreter (its version, executable and prefix: each virtual environment its own). With it the
file holds the source files the building process had loaded, outside the standard library (the
project's modules and every installed package's), each with its modification time (ns) and size:
the kept document is used only while every one of them is unchanged, as bytecode is used while
its source is; an edited model, route or library means a new build. The file is written,
atomically, when a process built the document, bytecode may be written
(`sys.dont_write_bytecode`) and none of those files was modified after the process started (it
may have imported the file before the edit); a file that cannot be read or written, or whose
document is not a JSON object, is ignored (a build is then what it was before), and a route set
without stable names (a callable known only by its address) is never kept.
`python -m api.warm_openapi` builds and writes it ahead of use (`make bytecode`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from settings.files import write_atomic

CACHE_DIR = Path(__file__).parent / "__pycache__"
"""Where kept documents are (one file per route set and interpreter)."""

Source = tuple[str, int, int]
"""A source file the document was built from: (path, modification time in ns, size in bytes)."""


def kept_document(operations: Hashable, build: Callable[[], str]) -> str:
    """The OpenAPI document (JSON text) of an app whose routes are `operations`: the kept one when
    its sources are unchanged, else `build()`'s, then kept (see the module docstring)."""
    path = cache_path(operations)
    text = None if path is None else read_kept(path)
    if text is not None:
        return text
    text = build()
    if path is None or sys.dont_write_bytecode:
        return text
    sources = loaded_sources()
    if not edited_since_start(sources):
        with contextlib.suppress(OSError):
            CACHE_DIR.mkdir(exist_ok=True)
            listed = json.dumps(sources, separators=(",", ":"))
            write_atomic(path, f"{listed}\n{text}", mode=0o644)  # readable as the sources are
    return text


def cache_path(operations: Hashable) -> Path | None:
    """The file that keeps the document of the routes `operations` in this environment (the
    interpreter, its version and its prefix: two virtual environments of one checkout keep
    their own); None when a route has no stable name (a callable named by its address)."""
    named = json.dumps(
        [sys.version, sys.executable, sys.prefix, operations],
        default=_named,
        separators=(",", ":"),
    )
    if " at 0x" in named:
        return None
    digest = hashlib.sha256(named.encode()).hexdigest()[:24]
    return CACHE_DIR / f"openapi.{sys.implementation.cache_tag}.{digest}.json"


def edited_since_start(sources: list[Source]) -> list[Source]:
    """The sources modified after this process started: the process may have imported them
    before the edit, and a document built from the old code must not be kept as the new's
    (`STARTED_NS` may be up to `START_ROUNDING_NS` early: a source modified just before the start
    is among them)."""
    return [source for source in sources if source[1] >= STARTED_NS]


def _process_start_ns() -> int:
    """When this process started, in ns since the epoch, rounded down by at most
    `START_ROUNDING_NS` (Linux's `/proc`: the start in clock ticks since boot, against the time
    since boot now); elsewhere, now."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        now, uptime = time.time_ns(), float(Path("/proc/uptime").read_text().split()[0])
        tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        return now - int(uptime * 1e9) + ticks * tick - 2 * tick  # rounded down
    return time.time_ns()


STARTED_NS = _process_start_ns()
"""When the process that imported this module started (a process forked later keeps it: what it
imported before the fork was imported before then too)."""

START_ROUNDING_NS = 50_000_000
"""How much earlier than the true start `STARTED_NS` may be, ns: the start's and the uptime's
resolution (a clock tick, 10 ms) and the two ticks taken off (a file's time is the kernel's
coarse clock, a tick behind at most), with room. A source modified this long before a process
started counts as modified after (its document is not kept)."""


def loaded_sources() -> list[Source]:
    """Every source file of a module this process has loaded, outside the standard library."""
    found = set()
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file is None or name.partition(".")[0] in sys.stdlib_module_names:
            continue
        with contextlib.suppress(OSError):
            status = os.stat(file)
            found.add((os.path.abspath(file), status.st_mtime_ns, status.st_size))
    return sorted(found)


def read_kept(path: Path) -> str | None:
    """The document kept in `path`, None when there is none, a source of it changed or it is not
    a JSON object."""
    try:
        with path.open(encoding="utf-8") as kept:
            sources = json.loads(kept.readline())
            text = kept.read()
        if not all(_unchanged(*source) for source in sources):
            return None
        document = json.loads(text)
    except (OSError, ValueError, TypeError):
        return None
    return text if isinstance(document, dict) else None


def _unchanged(file: str, mtime_ns: int, size: int) -> bool:
    """Whether `file` is still there with this modification time and size."""
    try:
        status = os.stat(file)
    except OSError:
        return False
    return status.st_mtime_ns == mtime_ns and status.st_size == size


def _named(value: Any) -> Any:
    """A JSON form of what `api.contract.operations_of` holds besides text: a set in order, an
    endpoint by its module and qualified name."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if module is not None and qualname is not None:
        return f"{module}:{qualname}"
    return repr(value)
