"""One local Ray cluster for the test group "ray" (the modules declaring
`pytestmark = pytest.mark.xdist_group("ray")`).

The group runs on one pytest worker, one module after the other; starting and stopping a cluster
per module (and the engine's own inside a test) cost seconds of start-up each, and every start
brought fresh Ray worker processes that import the project again. Here the first test of the
group starts the cluster (`RayBackend(num_cpus=CPUS)`, as the product starts a local one); every
`RayBackend` of the tests and of the product joins it (and leaves it running); it is shut down
(`RayBackend.close`) once the next test to run is outside the group, or at the end of the
session, so no other module runs beside an idle cluster.

The cluster keeps its idle worker processes for `IDLE_WORKER_S` seconds rather than Ray's one
second for those beyond one a CPU: a search pipeline on four shards holds six workers at once
(four steps' tasks and two candidates'), and the next test reuses them with their imports done
(seconds of CPU each) instead of starting them again. (Raising Ray's soft limit of workers
instead would also make it start workers ahead for every backlog of tasks, which costs more.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.scheduling import module_group

if TYPE_CHECKING:
    from jobs.backends.ray_backend import RayBackend

GROUP = "ray"
CPUS = 2
"""The cluster's CPUs (the tests' runs ask for this many)."""
IDLE_WORKER_S = 600
"""Seconds an idle Ray worker process beyond one a CPU lives (Ray's default: 1)."""

_running: list[RayBackend] = []


def shared_cluster() -> RayBackend:
    """The group's cluster, started on first use: the backend that started it."""
    from jobs.backends.ray_backend import RayBackend  # imported by the group's tests only

    if not _running:
        system = {"idle_worker_killing_time_threshold_ms": IDLE_WORKER_S * 1000}
        backend = RayBackend(num_cpus=CPUS, init_kwargs={"_system_config": system})
        assert backend.started_cluster, "a Ray session was already running in this process"
        _running.append(backend)
    return _running[0]


def stop_shared_cluster() -> None:
    """Shut the group's cluster down (nothing when none runs: Ray is not imported then)."""
    if not _running:
        return
    from jobs.backends.ray_backend import import_ray

    while _running:
        backend = _running.pop()
        backend.close()
        assert not import_ray().is_initialized(), "the group's Ray cluster is still running"


def in_group(item: pytest.Item | None) -> bool:
    """Whether `item` is a test of a module of the group."""
    return item is not None and item.path.suffix == ".py" and module_group(str(item.path)) == GROUP


def stop_after(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the cluster after `item` when the next test is not of the group."""
    if _running and in_group(item) and not in_group(nextitem):
        stop_shared_cluster()
