"""The compiled kernels' disk cache: stamped with every source a kernel depends on, never stale."""

from __future__ import annotations

import ast
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import quant
from quant.compiled import KERNEL_CACHE_SEED, link_kernel_cache, source_tree
from tests.support.image_recipes import (
    DOCKER,
    KERNEL_BUILD,
    final_environment,
    kernel_build_step,
)

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


def _run_probe(
    package_parent: Path, cache_dir: Path, *, seed: Path | None = None, probe: str = PROBE
) -> tuple[float, int, int]:
    """Run `probe` in a new process with `cache_dir` as numba's cache directory, seeded from
    `seed` (`quant.compiled.seed_kernel_cache`) when given; its value, cache hits and misses."""
    env = {
        **{k: v for k, v in os.environ.items() if k != KERNEL_CACHE_SEED},
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(package_parent)]),
        "NUMBA_CACHE_DIR": str(cache_dir),
        # no bytecode of the probe's package: a rewrite within the same second and of the same
        # size would otherwise be run from the stale .pyc (its stamp is whole seconds and size)
        "PYTHONDONTWRITEBYTECODE": "1",
        **({KERNEL_CACHE_SEED: str(seed)} if seed is not None else {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
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


def _bake(parent: Path, cache: Path) -> Path:
    """A read-only kernel cache of the probe's package (scale 1) in `cache`, as an image bakes
    one; the package stays under `parent`."""
    _write_package(parent, 1.0)
    assert _run_probe(parent, cache) == (2.0, 0, 1)
    _make_read_only(cache)
    return cache


def _make_read_only(directory: Path) -> None:
    """Take every write permission off `directory` and what it holds (as Lambda's file system;
    root writes all the same, so the tests also compare the files before and after)."""
    for path in [directory, *directory.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)


def test_a_process_loads_its_kernels_from_a_read_only_seed_through_its_own_cache(
    tmp_path: Path,
) -> None:
    baked = _bake(tmp_path / "clone", tmp_path / "baked")
    before = _files(baked)
    cache = tmp_path / "numba-cache"  # empty, as a new container's /tmp
    assert _run_probe(tmp_path / "clone", cache, seed=baked) == (2.0, 1, 0)  # nothing compiled
    linked = sorted(cache.rglob("*.nb[ic]"))
    assert linked and all(path.is_symlink() for path in linked)
    # a kernel the seed lacks is compiled and saved in the cache, in place of the link
    _write_package(tmp_path / "clone", 3.0)
    assert _run_probe(tmp_path / "clone", cache, seed=baked) == (6.0, 0, 1)
    assert not any(path.is_symlink() for path in cache.rglob("*.nbi"))
    assert _files(baked) == before


def test_linking_a_seed_replaces_no_file_the_cache_holds(tmp_path: Path) -> None:
    seed, cache = tmp_path / "seed", tmp_path / "cache"
    for name in ("run-1.py313.nbi", "run-1.py313.1.nbc"):
        (seed / "main_1").mkdir(parents=True, exist_ok=True)
        (seed / "main_1" / name).write_text("seed")
    (cache / "main_1").mkdir(parents=True)
    (cache / "main_1" / "run-1.py313.nbi").write_text("saved by another process")
    assert link_kernel_cache(seed, cache) == 1
    assert (cache / "main_1" / "run-1.py313.nbi").read_text() == "saved by another process"
    assert (
        cache / "main_1" / "run-1.py313.1.nbc"
    ).readlink() == seed / "main_1" / "run-1.py313.1.nbc"
    assert link_kernel_cache(seed, cache) == 0  # a second process finds every name there


UNWRITABLE = (
    "import shutil, cachedpkg.main as m; folder = m.run._cache.cache_path; "
    "shutil.rmtree(folder); open(folder, 'w').close(); "
    + PROBE.removeprefix("import cachedpkg.main as m; ")
)
"""The probe with numba's cache folder of the kernel made a file once the kernel is made: the
cache can be neither read nor written (as a full or another user's directory)."""


def test_a_broken_seed_or_an_unwritable_cache_costs_a_compilation_not_the_call(
    tmp_path: Path,
) -> None:
    baked = _bake(tmp_path / "clone", tmp_path / "baked")
    for data in baked.rglob("*.nbc"):
        data.chmod(0o644)
        data.write_bytes(data.read_bytes()[:100])  # truncated
    clone = tmp_path / "clone"
    assert _run_probe(clone, tmp_path / "a", seed=baked) == (2.0, 0, 1)
    assert _run_probe(clone, tmp_path / "b", seed=tmp_path / "absent") == (2.0, 0, 1)
    assert _run_probe(clone, tmp_path / "c", probe=UNWRITABLE) == (2.0, 0, 1)


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


IMAGE = DOCKER / "lambda.Dockerfile"
"""The image whose kernel build step and environment are run here (tests/infra/test_images.py
checks that every image has the same)."""


def _files(directory: Path) -> dict[str, tuple[int, int]]:
    """(size, modification time in ns) of every file under `directory`, by relative path."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def container_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a process in the images, after their kernel build step ran here.

    The step runs as `IMAGE` runs it (`python -P -m quant.warm_kernels` with the recipe's
    settings: its CPU target, its cache directory) into an empty directory that stands for the
    image's, which is then made read-only (Lambda's file system); the environment is the
    recipe's final `ENV` for numba and the seed, the seed moved here (`_fresh_cache` adds the
    empty writable ``NUMBA_CACHE_DIR`` of a new container). A test module's one build (half a
    minute) serves its tests (a module runs on one worker: tests/support/scheduling.py); the
    baked files are checked to be unchanged after them."""
    if not _runs_x86_64_v3():
        pytest.skip(
            "the images are x86_64 with AVX2 (x86-64-v3, their kernels' CPU target): this "
            f"machine ({platform.machine()}) cannot run what their build step compiles"
        )
    root = tmp_path_factory.mktemp("image")
    build, runtime = kernel_build_step(IMAGE), final_environment(IMAGE)
    paths = {build["NUMBA_CACHE_DIR"]: str(root / "baked")}
    base = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    base["PYTHONPATH"] = str(ROOT)  # these sources, where the image has its installed ones
    built = subprocess.run(
        [sys.executable, *KERNEL_BUILD[1:]],
        env={**base, **build, "NUMBA_CACHE_DIR": paths[build["NUMBA_CACHE_DIR"]]},
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    baked = Path(paths[build["NUMBA_CACHE_DIR"]])
    _make_read_only(baked)
    before = _files(baked)
    assert any(name.endswith(".nbi") for name in before)
    settings = {
        name: paths.get(value, value)
        for name, value in runtime.items()
        if (name.startswith("NUMBA_") or name == KERNEL_CACHE_SEED) and name != "NUMBA_CACHE_DIR"
    }
    yield {**base, **settings}
    assert _files(baked) == before  # the processes wrote their cache elsewhere


def _runs_x86_64_v3() -> bool:
    """Whether this machine runs code compiled for x86-64-v3 (an x86_64 CPU with AVX2, FMA,
    BMI2 and MOVBE, as LLVM's target requires)."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        return False
    from llvmlite import binding

    features = binding.get_host_cpu_features()
    return all(features.get(name, False) for name in ("avx2", "fma", "bmi2", "movbe"))


def _fresh_cache(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """`environment` with a new, empty ``NUMBA_CACHE_DIR`` (a new container's /tmp)."""
    return {**environment, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}


@pytest.mark.slow  # the images' kernel build step (shared), then a container's process
def test_a_container_process_compiles_no_kernel_after_the_image_s_build_step(
    container_environment: dict[str, str], tmp_path: Path
) -> None:
    """`quant.warm_kernels`, as the images' build step runs it, reaches every kernel of the
    numeric core, and a process of the image (its CPU target, an empty cache under /tmp, the
    baked directory read-only) runs the same work without compiling one: every kernel is loaded
    from the baked cache or linked into one loaded (numba left out of a kernel's machine code
    the calls a branch it never takes for those types would make). A kernel inlined into its
    callers (``inline="always"``) is compiled as part of them."""
    done = subprocess.run(
        [sys.executable, "-c", LOADS, *KERNEL_MODULES],
        env=_fresh_cache(container_environment, tmp_path),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    standalone, reached, misses = map(int, done.stdout.split())
    assert standalone >= 30
    assert reached == standalone  # every kernel reached by the warm-up
    assert misses == 0  # and none compiled in the container


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


@pytest.mark.slow  # a container's process running the warm-up from the baked cache
def test_the_runs_and_records_a_job_asks_for_need_no_kernel_the_warm_up_left_out(
    container_environment: dict[str, str], tmp_path: Path
) -> None:
    """What a search, its explanation and a deployment compute (the engine's runs of a plain, a
    sleeved and a hedged strategy, and their day-by-day records) uses only kernel types the
    warm-up loaded: a new process (a job's worker, a container) compiles nothing more (1-4 s a
    kernel type)."""
    done = subprocess.run(
        [sys.executable, "-c", AFTER_WARM_UP],
        env=_fresh_cache(container_environment, tmp_path),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.splitlines() == []
