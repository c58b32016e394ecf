"""`ray`: shards as Ray tasks, on a cluster (`RAY_ADDRESS`) or a local one.

Needs the optional extra: `pip install 'stratigos[ray]'`. With `address` (or `RAY_ADDRESS` /
`STRATIGOS_COMPUTE_RAY_ADDRESS`: `Settings.compute.ray.address`) it connects to that cluster, e.g.
`ray://head:10001` (Ray Client) or `auto` on a cluster node; the cluster's workers must have
stratigos installed (same version: results are bit-for-bit those of `local` only when the code
and numpy/numba versions match). Without an address it starts a local cluster of `num_cpus` CPUs
(no dashboard) and shuts it down on `close()`. When Ray is already initialised in this process,
the backend uses that session and leaves it running.

Each shard is one task (`num_cpus=1`) running `jobs.batches.run_shard`; numba kernels compile
(or load from numba's cache) once per Ray worker process. `max_retries` (default 0) is how often
Ray reruns a task whose worker died; a task that raises is never retried (it would raise again).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from jobs.backends.base import ComputeBackend, check_unique_ids
from jobs.batches import BatchShard, ShardResult, run_shard
from jobs.compute_errors import (
    BackendUnavailableError,
    ComputeTimeoutError,
    ShardError,
    WorkerCrashedError,
    describe_exception,
)
from settings import ComputeSettings


def import_ray() -> Any:
    """The `ray` module, or `BackendUnavailableError` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise BackendUnavailableError(
            "the ray compute backend needs the optional package ray: install it with "
            "`pip install 'stratigos[ray]'`, or set STRATIGOS_COMPUTE_BACKEND=local"
        ) from exc
    return ray


class RayBackend(ComputeBackend):
    """Shards as Ray tasks. `address`: a cluster to join (None: start a local one with
    `num_cpus` CPUs). `timeout_s`: seconds a `map` call may take (None: no limit).
    `init_kwargs`: extra arguments for `ray.init`."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        max_retries: int = 0,
        timeout_s: float | None = None,
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._ray = import_ray()
        ray = self._ray
        self.address = address
        self.timeout_s = timeout_s
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": "ERROR",
                "log_to_driver": False,
                **(init_kwargs or {}),
            }
            try:
                if address:
                    ray.init(address=address, **kwargs)
                else:
                    # address="local" starts a new cluster even when RAY_ADDRESS is set.
                    ray.init(address="local", num_cpus=num_cpus, **kwargs)
            except Exception as exc:
                where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
                raise BackendUnavailableError(
                    f"could not start or join {where}: {describe_exception(exc)}"
                ) from exc
            self._started = True
        self._task = ray.remote(num_cpus=1, max_retries=int(max_retries))(run_shard)

    @classmethod
    def from_config(cls, config: ComputeSettings) -> RayBackend:
        """From the compute settings group (`ray.address`, `ray.num_cpus`, `ray.max_retries`,
        `timeout_s`)."""
        ray = config.ray
        return cls(
            address=ray.address,
            num_cpus=ray.num_cpus,
            max_retries=ray.max_retries,
            timeout_s=config.timeout_s,
        )

    @property
    def started_cluster(self) -> bool:
        """True when this backend initialised Ray (and `close()` shuts it down)."""
        return self._started

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
        self._started = False

    def map(self, shards: Sequence[BatchShard]) -> list[ShardResult]:
        """Evaluate `shards` as Ray tasks; results in the order given."""
        check_unique_ids(shards)
        if not shards:
            return []
        ray = self._ray
        exceptions = ray.exceptions
        crashed = tuple(
            getattr(exceptions, name)
            for name in (
                "WorkerCrashedError",
                "NodeDiedError",
                "OutOfMemoryError",
                "LocalRayletDiedError",
                "RayActorError",
            )
            if hasattr(exceptions, name)
        )
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
        refs = [self._task.remote(shard) for shard in shards]
        results: list[ShardResult] = []
        # The rest of a failed map is left to finish, not cancelled: Ray 2.60's driver aborts its
        # own process ("Check failed: ... Tried to complete task that was not pending") when a
        # cancel races the task's reply, with or without force, ending the job worker.
        for shard, ref in zip(shards, refs, strict=True):
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                results.append(ray.get(ref, timeout=remaining))
            except exceptions.GetTimeoutError as exc:
                raise ComputeTimeoutError(
                    f"the ray backend did not finish {len(shards)} shards within "
                    f"{self.timeout_s:g} s (shard {shard.shard_id!r} was unfinished)"
                ) from exc
            except exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None)
                if isinstance(cause, ShardError):
                    raise ShardError(cause.shard_id, cause.reason) from exc
                if isinstance(cause, crashed):
                    raise WorkerCrashedError(shard.shard_id, describe_exception(cause)) from exc
                raise ShardError(shard.shard_id, describe_exception(cause or exc)) from exc
            except crashed as exc:
                raise WorkerCrashedError(shard.shard_id, describe_exception(exc)) from exc
        return results
