"""The Ray backend on a local cluster (the group's, tests/support/ray_cluster.py), and the same
shards through every backend giving bit-for-bit the same results."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jobs.backends.local import LocalBackend
from jobs.batches import BatchShard, PathInputs, ShardResult, run_shard
from jobs.compute_errors import ShardError, WorkerCrashedError
from quant.strategy import StrategyConfig
from tests.jobs import crash_shard, sample_shards
from tests.jobs.test_sagemaker_backend import ContainerEmulator, _backend, _clients, moto_endpoint

__all__ = ["moto_endpoint"]  # the fixture, imported for the cross-backend test

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray cluster at a time, on one worker


@pytest.fixture(scope="module")
def ray_backend(ray_cluster: object) -> Iterator[object]:
    """A `RayBackend` on the group's cluster (`ray_cluster`), which it joins."""
    from jobs.backends.ray_backend import RayBackend

    backend = RayBackend(num_cpus=2)
    assert not backend.started_cluster
    # the shards of these tests hold classes of the tests.jobs package: ship them by value
    import ray.cloudpickle

    import tests.jobs

    ray.cloudpickle.register_pickle_by_value(tests.jobs)
    try:
        yield backend
    finally:
        ray.cloudpickle.unregister_pickle_by_value(tests.jobs)
        backend.close()


@pytest.fixture(scope="module")
def shards() -> list[BatchShard]:
    return sample_shards()


def _values(results: list[ShardResult]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for result in results:
        out.extend(result.means[m] for m in result.means)
        assert result.sharpe_paths is not None
        out.append(result.sharpe_paths)
    return out


def test_every_backend_gives_bit_identical_results(
    shards: list[BatchShard], moto_endpoint: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same shards through local (1 and 2 workers), Ray (when installed) and SageMaker on
    moto with the entry point run as the container give arrays equal to in-process ones."""
    reference = [run_shard(s) for s in shards]
    runs: dict[str, list[ShardResult]] = {}
    if importlib.util.find_spec("ray") is not None:
        runs["ray"] = request.getfixturevalue("ray_backend").map(shards)
    for workers in (1, 2):
        with LocalBackend(workers=workers, warmup=False) as local:
            runs[f"local x{workers}"] = local.map(shards)
    s3, _ = _clients(moto_endpoint)
    sagemaker = _backend(moto_endpoint, after_submit=ContainerEmulator(s3, tmp_path))
    runs["sagemaker (moto + entrypoint)"] = sagemaker.map(shards)
    want = _values(reference)
    for name, results in runs.items():
        assert [r.shard_id for r in results] == [s.shard_id for s in shards], name
        got = _values(results)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a, b), name


def test_ray_shard_error_names_the_shard(ray_backend: object, shards: list[BatchShard]) -> None:
    from jobs.backends.ray_backend import RayBackend

    assert isinstance(ray_backend, RayBackend)
    risky = np.random.default_rng(2).normal(0, 0.01, size=(3, 60))
    bad = BatchShard("ray-bad", (StrategyConfig(lookback=90),), PathInputs("p", risky))
    with pytest.raises(ShardError) as caught:
        ray_backend.map([shards[0], bad])
    assert caught.value.shard_id == "ray-bad"
    assert "InsufficientDataError" in caught.value.reason


def test_ray_worker_death_is_a_typed_error(ray_backend: object, shards: list[BatchShard]) -> None:
    from jobs.backends.ray_backend import RayBackend

    assert isinstance(ray_backend, RayBackend)
    with pytest.raises(WorkerCrashedError) as caught:
        ray_backend.map([crash_shard()])
    assert caught.value.shard_id == "crash"
    # the cluster still works afterwards
    assert ray_backend.map(shards[-1:])[0].same_values(run_shard(shards[-1]))
