"""A search asked for as the search pipeline, run by the worker with the engine `ray`
(`STRATIGOS_COMPUTE_PIPELINE_ENGINE=ray`, a local Ray cluster of 2 CPUs): the winner
`run_search_pipeline(engine="here")` finds for the same request and seed
(tests/api/test_pipeline_searches.py has the other engines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.test_pipeline_searches import check_the_engine_s_winner, reference

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray cluster at a time, on one worker

__all__ = ["reference"]  # the fixture, shared


def test_the_worker_runs_the_pipeline_search_on_ray_to_the_same_winner(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    check_the_engine_s_winner(tmp_path, reference, "ray")
