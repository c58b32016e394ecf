"""The local process-pool backend: identical results for any worker count, typed errors,
crash detection, settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np
import pytest

from jobs.backends import (
    BackendUnavailableError,
    ShardError,
    WorkerCrashedError,
    backend_from_settings,
)
from jobs.backends.local import LocalBackend
from jobs.batches import BatchShard, PathInputs, ShardResult, run_shard
from quant.strategy import StrategyConfig
from settings import ComputeSettings, Settings
from tests.jobs import crash_shard, sample_shards


@pytest.fixture(scope="module")
def shards() -> list[BatchShard]:
    return sample_shards()


@pytest.fixture(scope="module")
def inline(shards: list[BatchShard]) -> list[ShardResult]:
    return [run_shard(s) for s in shards]


@pytest.fixture(scope="module")
def pool2() -> Iterator[LocalBackend]:
    with LocalBackend(workers=2, warmup=False) as backend:
        yield backend


def _assert_same(got: list[ShardResult], want: list[ShardResult]) -> None:
    assert [r.shard_id for r in got] == [r.shard_id for r in want]
    for a, b in zip(got, want, strict=True):
        assert a.same_values(b), a.shard_id
        for metric in b.means:
            assert np.array_equal(a.means[metric], b.means[metric])


def test_two_workers_give_bit_identical_results_in_order_and_reuse_the_pool(
    shards: list[BatchShard], inline: list[ShardResult], pool2: LocalBackend
) -> None:
    """(One worker, Ray and SageMaker are compared in test_ray_backend.)"""
    first = pool2.map(shards)
    _assert_same(first, inline)
    backwards = pool2.map(shards[::-1])
    _assert_same(backwards, inline[::-1])
    # the pool is reused: the same two worker processes computed every call
    assert len({r.host for r in first + backwards}) <= 2


def test_in_process_mode_and_empty_input(
    shards: list[BatchShard], inline: list[ShardResult]
) -> None:
    backend = LocalBackend(workers=0)
    _assert_same(backend.map(shards[:2]), inline[:2])
    assert backend.map([]) == []
    with pytest.raises(ValueError, match="unique"):
        backend.map([shards[0], shards[0]])


def test_a_bad_shard_raises_shard_error_and_the_pool_survives(
    shards: list[BatchShard], inline: list[ShardResult], pool2: LocalBackend
) -> None:
    risky = np.random.default_rng(1).normal(0.0, 0.01, size=(4, 80))
    bad = BatchShard("bad-config", (StrategyConfig(lookback=120),), PathInputs("p", risky))
    with pytest.raises(ShardError) as caught:
        pool2.map([shards[0], bad, shards[1]])
    assert caught.value.shard_id == "bad-config"
    assert "InsufficientDataError" in caught.value.reason
    _assert_same(pool2.map(shards[:3]), inline[:3])


def test_a_dying_worker_is_reported_not_hung_and_the_backend_recovers(
    shards: list[BatchShard], inline: list[ShardResult]
) -> None:
    small = shards[-1]  # array inputs: no data to load in the fresh worker
    assert isinstance(small.inputs, PathInputs)
    with LocalBackend(workers=1, warmup=False) as backend:
        with pytest.raises(WorkerCrashedError) as caught:
            backend.map([crash_shard(), small])
        assert caught.value.shard_id == "crash"
        assert "terminated abruptly" in str(caught.value)
        _assert_same(backend.map([small]), inline[-1:])


def test_backend_from_settings_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_COMPUTE_BACKEND", "local")
    monkeypatch.setenv("STRATIGOS_COMPUTE_WORKERS", "3")
    backend = backend_from_settings(settings=Settings())
    assert isinstance(backend, LocalBackend)
    assert backend.workers == 3
    assert backend_from_settings(settings=Settings(), workers=0).workers == 0  # type: ignore[attr-defined]
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    assert Settings().compute.ray.address == "ray://head:10001"
    monkeypatch.setenv("STRATIGOS_COMPUTE_BACKEND", "sagemaker")
    with pytest.raises(BackendUnavailableError, match=r"SAGEMAKER_BUCKET.*ROLE_ARN.*IMAGE_URI"):
        backend_from_settings(settings=Settings())


def test_ray_backend_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(BackendUnavailableError, match=r"stratigos\[ray\]"):
        backend_from_settings(ComputeSettings(backend="ray"))
