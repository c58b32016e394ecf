"""Compiled (numba) kernels of the numeric core: the `kernel` decorator and its disk cache.

`kernel(**options)` compiles a function in numba's nopython mode without the GIL and caches its
machine code on disk (in ``__pycache__`` beside the source, or under ``NUMBA_CACHE_DIR``), so a
new process loads it instead of compiling again. numba stamps that cache with the content of the
kernel's own file only: a kernel that calls, inlines or reads a constant of another module would
load stale machine code after that module changed (numba issue 1833). The cache of every kernel
made here is stamped instead with the SHA-256 of its module's *source tree*: the module's file and
every module of the same package it imports, directly or through others, found by reading their
import statements (so the stamp does not depend on what happened to be imported first). A change
to any of those files, or a checkout whose files differ from the ones a cache was built from,
makes numba compile afresh; numba's own version and the CPU's features are part of its key.
The cache is numba's (`numba.core.caching.FunctionCache`) with its index stamped by our digest;
tests/quant/test_compiled.py checks that it hits when nothing changed and recompiles otherwise.
A cache entry that cannot be read, or saved (a read-only or full directory), costs a compilation
and a warning, never the call.

The container images bake the cache at build time (`quant.warm_kernels` into the directory
`STRATIGOS_KERNEL_CACHE_SEED` names, for the CPU baseline ``NUMBA_CPU_NAME`` names) and their
processes start with an empty ``NUMBA_CACHE_DIR`` (Lambda writes only to /tmp): importing this
module links the baked files into it first (`seed_kernel_cache`), so that no kernel is compiled
at run time (docs/engine.md "Kernels in the container images").
"""

from __future__ import annotations

import ast
import functools
import hashlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from numba import njit
from numba.core import config
from numba.core.caching import FunctionCache, IndexDataCacheFile

_F = TypeVar("_F", bound=Callable[..., Any])
_LOG = logging.getLogger(__name__)

KERNEL_CACHE_SEED = "STRATIGOS_KERNEL_CACHE_SEED"
"""The environment variable naming a kernel cache baked ahead of time (numba's cache directory
layout: a folder per source folder), which `seed_kernel_cache` links into ``NUMBA_CACHE_DIR``."""

_KERNELS: list[Any] = []


def kernel(**options: Any) -> Callable[[_F], _F]:
    """Compile the decorated function with ``numba.njit(nogil=True, **options)`` and cache it on
    disk, stamped with its module's source tree (see the module docstring).

    ``options`` are numba's (``parallel``, ``inline``, ``error_model``, ...).
    """

    def compile_kernel(fn: _F) -> _F:
        dispatcher = njit(nogil=True, **options)(fn)
        dispatcher._cache = _SourceTreeCache(fn)  # what cache=True installs, with our stamp
        _KERNELS.append(dispatcher)
        return dispatcher

    return compile_kernel


def kernels() -> list[Any]:
    """The numba dispatchers `kernel` has made in this process (of the modules imported so far),
    in the order they were made."""
    return list(_KERNELS)


class _SourceTreeCache(FunctionCache):
    """numba's per-function disk cache, its index stamped with `source_tree_digest` instead of
    the hash of the function's own file."""

    def __init__(self, py_func: Callable[..., Any]) -> None:
        super().__init__(py_func)
        self._cache_file = IndexDataCacheFile(
            cache_path=self._cache_path,
            filename_base=self._impl.filename_base,
            source_stamp=source_tree_digest(py_func.__module__),
        )

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        """numba's cached compile result for `sig`, or None (compile) when there is none or it
        cannot be read (an unreadable or truncated file: logged)."""
        try:
            return super().load_overload(sig, target_context)
        except Exception as error:  # any failure to read the cache only costs the compilation
            _LOG.warning("kernel cache of %s not read (%r): compiling it", self._name, error)
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        """Save the compile result for `sig`; a directory that cannot take it (read-only,
        another user's, full) is logged and the result kept in memory only."""
        try:
            super().save_overload(sig, data)
        except OSError as error:
            _LOG.warning("kernel cache of %s not saved (%r)", self._name, error)


@functools.cache
def source_tree_digest(module: str) -> str:
    """SHA-256 (hex) of the files of `module` and of every module of its top-level package that
    it imports, directly or through others, in a fixed order (by path)."""
    root = _package_root(module)
    digest = hashlib.sha256()
    for path in sorted(source_tree(module)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(_file_digest(path))
    return digest.hexdigest()


@functools.cache
def _file_digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def source_tree(module: str) -> set[Path]:
    """The source files of `module` and of the modules of its top-level package it imports,
    directly or through others (every import statement counts, also inside functions)."""
    root = _package_root(module)
    top = module.partition(".")[0]
    start = _module_file(root, module)
    if start is None:
        raise ValueError(f"no source file for module {module!r} under {root}")
    found = {start}
    pending = [start]
    while pending:
        path = pending.pop()
        for name in _imported_modules(path, _module_name(root, path)):
            if name.partition(".")[0] != top:
                continue
            target = _module_file(root, name)
            if target is not None and target not in found:
                found.add(target)
                pending.append(target)
    return found


def _package_root(module: str) -> Path:
    """The directory holding the top-level package of `module` (a loaded module)."""
    top = sys.modules[module.partition(".")[0]]
    file = getattr(top, "__file__", None)
    if file is None:
        raise ValueError(f"module {module!r} has no source file")
    path = Path(file).resolve()
    return path.parent.parent if path.name == "__init__.py" else path.parent


def _module_file(root: Path, name: str) -> Path | None:
    """The file of module `name` under `root` (a module or a package's ``__init__.py``)."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _imported_modules(path: Path, module: str) -> list[str]:
    """Modules named by the import statements of `path` (the file of `module`): for ``from m
    import x`` both ``m`` and ``m.x`` (x may be a submodule); relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in _import_statements(ast.parse(path.read_bytes(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def _import_statements(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a module, also those nested in functions, classes and blocks
    (statements are searched, not expressions)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            pending.extend(getattr(node, field, ()))
    return found


def seed_kernel_cache() -> int:
    """Link the baked kernel cache `STRATIGOS_KERNEL_CACHE_SEED` names into numba's cache
    directory (``NUMBA_CACHE_DIR``) with `link_kernel_cache`; returns how many files it linked
    (0 when either is unset or both name one directory). A seed that is missing or unreadable,
    or a cache directory that cannot be written, is logged and costs the compilations, never
    the process."""
    seed = os.environ.get(KERNEL_CACHE_SEED, "")
    cache = config.CACHE_DIR  # type: ignore[attr-defined]  # numba's reading of NUMBA_CACHE_DIR
    if not seed or not cache or os.path.abspath(seed) == os.path.abspath(cache):
        return 0
    try:
        return link_kernel_cache(Path(seed), Path(cache))
    except OSError as error:
        _LOG.warning("kernel cache %s not linked into %s (%r)", seed, cache, error)
        return 0


def link_kernel_cache(seed: Path, cache: Path) -> int:
    """Link every file of the kernel cache `seed` (numba's layout: a folder per source folder)
    into `cache` where that has no file of the name; returns how many it linked.

    Symbolic links, not copies (about 10 ms for the images' 122 files, nothing written but the
    links): numba reads through them and replaces a link by a file of its own when it saves, so
    `seed` may be read-only. Within a folder the data files are linked before the index that
    names them, and an existing file is never replaced: processes starting together (each links
    what the others have not yet) and a process loading meanwhile see a consistent cache."""
    linked = 0
    for folder in sorted(path for path in seed.absolute().iterdir() if path.is_dir()):
        target = cache / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for file in [*sorted(folder.glob("*.nbc")), *sorted(folder.glob("*.nbi"))]:
            try:
                (target / file.name).symlink_to(file)
            except FileExistsError:
                continue
            linked += 1
    return linked


seed_kernel_cache()  # before any module of the numeric core makes its kernels
