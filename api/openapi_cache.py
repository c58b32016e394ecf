"""The app's OpenAPI document kept on disk per installation, as bytecode is: building it (the JSON
schemas pydantic makes of every route's models) took about a second of every new server
process's warm-up, before it answered ready.

The document is kept in `__pycache__/openapi.<interpreter>.<operations>.json` beside this module,
named by the interpreter's cache tag and a digest of what the app's routes are
(`api.contract.operations_of`, as text: an endpoint by its module and qualified name) and the
interpreter's full version. With it the file holds the source files the building process had
loaded, outside the standard library (the project's modules and every installed package's), each
with its modification time (ns) and size: the kept document is used only while every one of them
is unchanged, as bytecode is used while its source is; an edited model, route or library means a
new build. The file is written, atomically, when a process built the document and bytecode may be
written (`sys.dont_write_bytecode`); a file that cannot be read or written is ignored (a build is
then what it was before). `python -m api.warm_openapi` builds and writes it ahead of use
(`make bytecode`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
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
    text = _read(path)
    if text is not None:
        return text
    text = build()
    if not sys.dont_write_bytecode:
        with contextlib.suppress(OSError):
            CACHE_DIR.mkdir(exist_ok=True)
            sources = json.dumps(loaded_sources(), separators=(",", ":"))
            write_atomic(path, f"{sources}\n{text}", mode=0o644)  # readable as the sources are
    return text


def cache_path(operations: Hashable) -> Path:
    """The file that keeps the document of the routes `operations`."""
    named = json.dumps([sys.version, operations], default=_named, separators=(",", ":"))
    digest = hashlib.sha256(named.encode()).hexdigest()[:24]
    return CACHE_DIR / f"openapi.{sys.implementation.cache_tag}.{digest}.json"


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


def _read(path: Path) -> str | None:
    """The document kept in `path`, None when there is none or a source of it changed."""
    try:
        with path.open(encoding="utf-8") as kept:
            sources = json.loads(kept.readline())
            text = kept.read()
        unchanged = all(_unchanged(*source) for source in sources)
    except (OSError, ValueError, TypeError):
        return None
    return text if unchanged and text else None


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
