"""A search asked for as the search pipeline, run by the worker with the engine `ray`
(`STRATIGOS_COMPUTE_PIPELINE_ENGINE=ray`, a local Ray cluster of 2 CPUs, the optimization step
on four shards): the winner
`run_search_pipeline(engine="here")` finds for the same request and seed
(tests/api/test_pipeline_searches.py has the other engines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.test_pipeline_searches import check_the_engine_s_winner, reference

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray cluster at a time, on one worker

__all__ = ["reference"]  # the fixture, shared


@pytest.mark.usefixtures("ray_cluster")  # the group's cluster, which the engine joins
def test_the_worker_runs_the_pipeline_search_on_four_ray_shards_to_the_same_winner(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    """The stage's fleet on Ray: four tasks share each batch of the optimization step
    (`STRATIGOS_COMPUTE_PIPELINE_SHARDS=4`), and the winner is the one instance's."""
    check_the_engine_s_winner(tmp_path, reference, "ray", shards=4)
