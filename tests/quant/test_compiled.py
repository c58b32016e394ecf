"""The compiled kernels' disk cache: stamped with every source a kernel depends on, never stale."""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import quant
from quant.compiled import source_tree

ROOT = Path(quant.__file__).resolve().parent.parent

HELPER = """
from quant.compiled import kernel

SCALE = {scale}


@kernel(inline="always")
def scaled(x):
    return x * SCALE
"""

MAIN = """
from quant.compiled import kernel
from cachedpkg.helper import scaled


@kernel()
def run(x):
    return scaled(x)
"""

PROBE = (
    "import cachedpkg.main as m; v = m.run(2.0); s = m.run.stats; "
    "print(v, sum(s.cache_hits.values()), sum(s.cache_misses.values()))"
)


def _run_probe(package_parent: Path, cache_dir: Path) -> tuple[float, int, int]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(package_parent)]),
        "NUMBA_CACHE_DIR": str(cache_dir),
        # no bytecode of the probe's package: a rewrite within the same second and of the same
        # size would otherwise be run from the stale .pyc (its stamp is whole seconds and size)
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    value, hits, misses = done.stdout.split()
    return float(value), int(hits), int(misses)


def _write_package(parent: Path, scale: float) -> None:
    package = parent / "cachedpkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "helper.py").write_text(HELPER.format(scale=scale))
    (package / "main.py").write_text(MAIN)


def test_a_kernel_is_loaded_from_the_cache_until_a_module_it_imports_changes(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "numba-cache"
    _write_package(tmp_path / "clone", 1.0)
    assert _run_probe(tmp_path / "clone", cache) == (2.0, 0, 1)  # compiled and saved
    assert _run_probe(tmp_path / "clone", cache) == (2.0, 1, 0)  # loaded from the cache
    # Only the imported module changes (numba's own stamp covers the kernel's file alone).
    _write_package(tmp_path / "clone", 3.0)
    assert _run_probe(tmp_path / "clone", cache) == (6.0, 0, 1)
    # A fresh checkout at the same place, sharing NUMBA_CACHE_DIR, with other sources.
    (tmp_path / "clone" / "cachedpkg" / "helper.py").unlink()
    _write_package(tmp_path / "clone", 5.0)
    assert _run_probe(tmp_path / "clone", cache) == (10.0, 0, 1)


def test_the_source_tree_of_a_kernel_module_follows_its_imports() -> None:
    tree = {str(path.relative_to(ROOT)) for path in source_tree("quant.engine.schedule_kernels")}
    for name in (
        "quant/engine/schedule_kernels.py",
        "quant/engine/path_kernels.py",
        "quant/engine/hedge_kernels.py",
        "quant/engine/tail_kernels.py",
        "quant/engine/window_kernels.py",
        "quant/options/pricing.py",
        "quant/estimators.py",
        "quant/compiled.py",
    ):
        assert name in tree
    assert "quant/tuning/driver.py" not in tree


def test_every_kernel_of_the_numeric_core_uses_the_stamped_cache() -> None:
    package = Path(quant.__file__).parent
    for path in package.rglob("*.py"):
        if path.name == "compiled.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "numba":
                names = {alias.name for alias in node.names}
                assert not names & {"jit", "njit", "vectorize", "guvectorize"}, path
            if isinstance(node, ast.Attribute) and node.attr in ("jit", "njit"):
                assert not (isinstance(node.value, ast.Name) and node.value.id == "numba"), path


KERNEL_MODULES = sorted(
    ".".join(path.relative_to(Path(quant.__file__).parents[1]).with_suffix("").parts)
    for path in Path(quant.__file__).parent.rglob("*.py")
    if "@kernel(" in path.read_text()
)
"""Every module of the numeric core that defines a kernel."""


LOADS = """
import importlib, sys
from quant.compiled import kernels
from quant.warm_kernels import warm_kernels
for name in sys.argv[1:]:
    importlib.import_module(name)
warm_kernels()
every = kernels()
loaded = [k for k in every if sum(k.stats.cache_hits.values())]
linked = {e.env_name for k in loaded for found in k.overloads.values() for e in found.referenced_envs}
def mangled(k):
    parts = [*k.py_func.__module__.split("."), *k.py_func.__qualname__.split(".")]
    return "_ZN08NumbaEnv" + "".join(f"{len(part)}{part}" for part in parts) + "B"
def reached(k):
    return k in loaded or any(env.startswith(mangled(k)) for env in linked)
standalone = [k for k in every if k.targetoptions.get("inline") != "always"]
misses = sum(sum(k.stats.cache_misses.values()) for k in standalone)
print(len(standalone), sum(map(reached, standalone)), misses)
"""
"""Runs the warm-up of `quant.warm_kernels` and prints: how many kernels are compiled on their
own, how many of them it reached (loaded from the cache, or linked into the machine code of a
kernel loaded: numba's names of the functions a compiled kernel calls, `referenced_envs`), and
how many it compiled (cache misses)."""


def _copy_of_the_kernel_cache(destination: Path) -> Path:
    """The project's kernel cache (numba's files in `quant`'s `__pycache__` folders) copied to
    where numba looks with `NUMBA_CACHE_DIR=destination` (a folder per source folder, named by
    its name and the SHA-1 of its path): what the warm-up writes goes there, not into the
    cache the suite's other processes read meanwhile."""
    for cache in Path(quant.__file__).parent.rglob("__pycache__"):
        source = cache.parent
        folder = destination / f"{source.name}_{hashlib.sha1(str(source).encode()).hexdigest()}"
        for path in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / path.name)
    return destination


@pytest.mark.slow  # two processes running the warm-up (the first compiles what the cache lacks)
def test_after_the_warm_up_no_process_compiles_a_kernel(tmp_path: Path) -> None:
    """`quant.warm_kernels` (run by `make bytecode`) reaches every kernel of the numeric core:
    once it has run on a copy of the project's cache (compiling what that lacks: nothing after
    `make bytecode`, every kernel on a fresh checkout), a process running the same work
    compiles no kernel, and every kernel is loaded from the cache or linked into one loaded
    (numba left out of a kernel's machine code the calls a branch it never takes for those
    types would make). A kernel inlined into its callers (``inline="always"``) is compiled as
    part of them."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(_copy_of_the_kernel_cache(tmp_path))}

    def run() -> tuple[int, int, int]:
        done = subprocess.run(
            [sys.executable, "-c", LOADS, *KERNEL_MODULES],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        standalone, reached, misses = map(int, done.stdout.split())
        return standalone, reached, misses

    run()  # brings the copy up to date with these sources
    standalone, reached, misses = run()
    assert standalone >= 30
    assert reached == standalone  # every kernel reached by the warm-up
    assert misses == 0  # and none compiled again


AFTER_WARM_UP = """
import numpy as np
from quant.compiled import kernels
from quant.engine import evaluate
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from quant.warm_kernels import warm_kernels
warm_kernels()
def types():
    return {f"{k.py_func.__module__}.{k.py_func.__qualname__} {s}" for k in kernels() for s in k.signatures}
warmed = types()
rng = np.random.default_rng(11)
assets = rng.normal(0.0003, 0.012, (3, 260, 5))
single = assets.mean(axis=2)
runs = [
    ([StrategyConfig(weight_function="sigmoid", lookback=42, rebalance_every=10)], single, None),
    ([StrategyConfig(sleeve="max_sharpe", lookback=42, rebalance_every=10)], assets, None),
    ([StrategyConfig(overlay="collar", lookback=42, rebalance_every=10, overlay_strike=0.95,
                     overlay_call_strike=1.05)], single, ImpliedVolModel()),
]
for configs, returns, model in runs:
    result = evaluate(configs, returns, 0.01, vol_model=model)
    result.series(0, 2)
    result.net_returns(0, 1)
for line in sorted(types() - warmed):
    print(line)
"""
"""Runs the warm-up, then the engine's runs and the day-by-day records an explanation, a report
and a deployment ask for (other rules, shapes and seeds than the warm-up's), and prints each
kernel type they needed that the warm-up had not loaded."""


@pytest.mark.slow  # a process running the warm-up from the cache
def test_the_runs_and_records_a_job_asks_for_need_no_kernel_the_warm_up_left_out(
    tmp_path: Path,
) -> None:
    """What a search, its explanation and a deployment compute (the engine's runs of a plain, a
    sleeved and a hedged strategy, and their day-by-day records) uses only kernel types the
    warm-up loaded: a new process (a job's worker, a container) that ran it compiles nothing
    more (1-4 s a kernel type)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(_copy_of_the_kernel_cache(tmp_path))}
    done = subprocess.run(
        [sys.executable, "-c", AFTER_WARM_UP],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == []
