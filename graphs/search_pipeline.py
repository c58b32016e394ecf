"""A search run through the search pipeline (`jobs.pipeline`) rather than the optimization
graph: the same steps' code (`graphs.search_steps`), the decisions taken from the request
(`search_steps.search_order`) instead of the agents, on the engine asked for.

`run_search_pipeline(request, engine="here" | "ray")` writes the search order into the run's
workspace, `<data_dir>/pipelines/<run_id>/`, runs the five steps there (a run whose workspace
exists continues where it stopped) and returns the aggregation step's result. On SageMaker
the same steps run from the generated definition (`jobs.pipeline.sagemaker_pipeline`).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Literal

from graphs.request import OptimizationRequest
from graphs.resources import release
from graphs.search_steps import RESULT, search_order
from jobs.backends.base import ComputeBackend
from jobs.pipeline.engines import run_here, run_on_ray, steps_to_run, write_order
from jobs.pipeline.steps import ORDER, ORDER_FILE
from settings import Settings, get_settings

Engine = Literal["here", "ray"]


def pipeline_workspace(run_id: str, settings: Settings | None = None) -> Path:
    """`<data_dir>/pipelines/<run_id>` (not created)."""
    return (settings or get_settings()).data_dir / "pipelines" / run_id


def run_search_pipeline(
    request: OptimizationRequest,
    *,
    engine: Engine = "here",
    run_id: str | None = None,
    owner: str | None = None,
    settings: Settings | None = None,
    backend: ComputeBackend | None = None,
    train: bool = True,
) -> dict[str, Any]:
    """Run `request`'s search through the pipeline on `engine`; the aggregation's result.
    `backend` takes the optimization step's shards on the `here` engine (None: evaluated in
    this process); on `ray` they are Ray tasks. `train`: run the training step (the strategy
    model of `owner` learns the trials)."""
    settings = settings or get_settings()
    run_id = run_id or f"search_{uuid.uuid4().hex[:12]}"
    root = pipeline_workspace(run_id, settings)
    if not (root / ORDER / ORDER_FILE).is_file():
        write_order(root, search_order(request, run_id=run_id, owner=owner))
    steps = steps_to_run(train=train)
    try:
        if engine == "here":
            run_here(root, steps=steps, backend=backend, settings=settings)
        elif engine == "ray":
            from jobs.backends.ray_backend import RayBackend

            with RayBackend.from_config(settings.compute):
                run_on_ray(root, steps=steps, settings=settings)
        else:
            raise ValueError(f"engine must be 'here' or 'ray', got {engine!r}")
    finally:
        release(run_id)
    result: dict[str, Any] = json.loads((root / "aggregation" / RESULT).read_text())
    return result
