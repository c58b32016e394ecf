"""Shared fixtures: seeded factor-model returns, the embedded S&P 500 data, an offline data dir,
a user-supplied classification file (tobacco stocks the embedded data does not hold), an offline
policy swapped for a test's own; how the suite is shared between pytest-xdist workers
(`tests/support/scheduling.py`); scratch files in memory (`tests/support/scratch.py`)."""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings

from api.cli.warm import stop_warm_processes
from quant.data import load_sp500_prices, to_returns
from quant.synthetic import factor_model_returns
from tests.support import collection_gc
from tests.support.classification import write_classification
from tests.support.hypothesis_chain import pytest_runtest_call  # noqa: F401 - a hook
from tests.support.ray_cluster import shared_cluster, stop_after, stop_shared_cluster
from tests.support.scheduling import UnitScheduling, check_groups, slow_first
from tests.support.scratch import use_memory_scratch

# No cyclic garbage collection while the suite is collected (tests/support/collection_gc.py).
collection_gc.pause()

# Property tests draw the same examples on every run (a test suite that lands must not fail at
# random); `HYPOTHESIS_PROFILE=explore` draws new ones to hunt for counterexamples. No example
# has a deadline: speed is the benchmarks' to measure, and Hypothesis' 200 ms default failed
# examples at random on a busy machine (tests/agents/test_intent.py, under load beside the suite).
hypothesis_settings.register_profile("default", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", derandomize=False, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Scratch files in memory when the machine has room (tests/support/scratch.py): set before any
# temporary directory is made, and inherited by the pytest-xdist workers and every subprocess.
use_memory_scratch()

# A `stratigos chat -m` of a test runs its turn in its own process and leaves no warm process
# behind (tests/api/cli/test_warm_chat.py switches it on for its own runtime directory); one a
# test starts with the settings it builds itself is stopped at the end of the session.
os.environ["STRATIGOS_CHAT_KEEP_WARM_SECONDS"] = "0"
SESSION_RUNTIME_DIR = Path(tempfile.mkdtemp(prefix="stratigos-run-"))
os.environ["XDG_RUNTIME_DIR"] = str(SESSION_RUNTIME_DIR)
atexit.register(shutil.rmtree, SESSION_RUNTIME_DIR, ignore_errors=True)

# A test that names no data directory of its own (`offline_data_dir`) works in one of this
# process's, never in the user's (~/.stratigos): threads, portfolios, runs and the strategy
# model a test leaves are not met by the next run of the suite, nor what `make optimize` left.
SESSION_DATA_DIR = Path(tempfile.mkdtemp(prefix="stratigos-data-"))
os.environ["STRATIGOS_DATA_DIR"] = str(SESSION_DATA_DIR)
atexit.register(shutil.rmtree, SESSION_DATA_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def no_warm_process_outlives_the_session() -> Iterator[None]:
    """Stop the warm chat processes started in this session's runtime directory."""
    yield
    stop_warm_processes(SESSION_RUNTIME_DIR / "stratigos")


@pytest.fixture(scope="module")
def ray_cluster() -> object:
    """The local Ray cluster of the group "ray" (tests/support/ray_cluster.py): started by its
    first test, joined by every `RayBackend` until the group's last test."""
    return shared_cluster()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Before a test's teardown, wait for the strategy models its jobs started to learn on
    threads of this process (`services.strategy_model.learn_in_order`: they write to the test's
    store, which the teardown removes); after it, stop the group's Ray cluster when the next
    test is not of it."""
    # (None too while another thread still imports the module: it has started no learning)
    wait_for_learning = getattr(
        sys.modules.get("services.strategy_model"), "wait_for_learning", None
    )
    if wait_for_learning is not None:
        wait_for_learning()
    try:
        yield
    finally:
        stop_after(item, nextitem)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop() -> None:
    """The collection is over: freeze what it made and resume the garbage collector."""
    collection_gc.resume()


def pytest_sessionfinish() -> None:
    """Stop the group's Ray cluster if a session ends inside the group (interrupted, `-x`)."""
    stop_shared_cluster()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> UnitScheduling | None:
    """`--dist loadgroup` (`make unit`): whole test modules, or groups of them, per worker."""
    return UnitScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Groups are declared per module; on a pytest-xdist worker, the units holding `slow` tests
    come first (the order the scheduler hands units out in)."""
    if hasattr(config, "workerinput"):
        slow_first(items)
    else:
        check_groups(items)


@pytest.fixture(scope="session")
def returns_20() -> pd.DataFrame:
    """1000 days x 20 assets of seeded factor-model returns."""
    return factor_model_returns(1000, 20, seed=20)


@pytest.fixture(scope="session")
def returns_100() -> pd.DataFrame:
    """1000 days x 100 assets of seeded factor-model returns."""
    return factor_model_returns(1000, 100, seed=100)


@pytest.fixture(scope="session")
def sp500_returns() -> pd.DataFrame:
    """Daily simple returns of the 20 embedded S&P 500 stocks, 2015-2022."""
    return to_returns(load_sp500_prices().loc["2015":])


@pytest.fixture
def offline_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory and the offline model, for this test's process settings; the
    command line's searches teach the strategy model on a thread of the test's process, not in
    a process of their own (`tests/api/cli/test_learning.py` tests that)."""
    from settings import get_settings

    data_dir = tmp_path / "data"
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
    monkeypatch.setenv("STRATIGOS_CLI_LEARNING", "thread")
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def classification_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """`TOBACCO_CLASSIFICATION` as this test's `STRATIGOS_CLASSIFICATION_FILE`."""
    from settings import get_settings

    path = write_classification(tmp_path / "classification")
    monkeypatch.setenv("STRATIGOS_CLASSIFICATION_FILE", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def module_classification_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`TOBACCO_CLASSIFICATION` as `STRATIGOS_CLASSIFICATION_FILE` for a whole module (whose
    app or server lives as long)."""
    from settings import get_settings

    path = write_classification(tmp_path_factory.mktemp("classification"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_CLASSIFICATION_FILE", str(path))
        get_settings.cache_clear()
        yield path
    get_settings.cache_clear()


@pytest.fixture
def botocore_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoffs botocore's retries ask for between the attempts of a throttled call, in
    seconds, recorded instead of slept; and the adaptive retry mode's rate limiter on a clock
    that runs a minute ahead at each reading (its token bucket is full again whenever it looks,
    so it never waits). Seconds of a test's time each."""
    import botocore.endpoint
    import botocore.retries.bucket

    waits: list[float] = []
    readings = itertools.count(start=60.0, step=60.0)
    ahead = SimpleNamespace(current_time=lambda: next(readings), sleep=waits.append)
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=waits.append))
    monkeypatch.setattr(botocore.retries.bucket, "Clock", lambda: ahead)
    return waits


@pytest.fixture
def policy_override() -> Iterator[Any]:
    """Register a temporary offline policy for a role; the original is restored afterwards."""
    from agents.offline.policies import get_policy, register_policy

    saved: dict[str, Any] = {}

    def install(role: str, policy: Any) -> None:
        saved.setdefault(role, get_policy(role))
        register_policy(role)(policy)

    yield install
    for role, policy in saved.items():
        register_policy(role)(policy)
