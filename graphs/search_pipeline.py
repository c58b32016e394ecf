"""A search run through the search pipeline (`jobs.pipeline`) rather than the optimization
graph: the same steps' code (`graphs.search_steps`), the decisions taken from the request
(`search_steps.search_order`) instead of the agents, on the engine asked for.

`run_search_pipeline(request, engine="here" | "ray")` writes the search order into the run's
workspace, `<data_dir>/pipelines/<run_id>/`, runs the five steps there (a run whose workspace
exists continues where it stopped) and returns the aggregation step's result. The order
carries the warm start from the owner's strategy model (`search_steps.search_order`). On SageMaker
the same steps run from the generated definition (`jobs.pipeline.sagemaker_pipeline`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from graphs.request import OptimizationRequest
from graphs.resources import release
from graphs.search_steps import RESULT, search_order
from graphs.warm_start import warm_start_model
from jobs.backends.base import ComputeBackend
from jobs.pipeline.engines import run_here, run_on_ray, steps_to_run, write_order
from jobs.pipeline.steps import ORDER, ORDER_FILE
from services.strategy_model import OwnerModel
from settings import Settings, get_settings
from store.factory import open_store

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
    after_batch: Callable[[int], None] | None = None,
    shards: int | None = None,
) -> dict[str, Any]:
    """Run `request`'s search through the pipeline on `engine`; the aggregation's result.
    `backend` takes the optimization step's shards on the `here` engine (None: evaluated in
    this process); on `ray` they are Ray tasks. `train`: run the training step (the strategy
    model of `owner` learns the trials). The search starts warm from `owner`'s newest strategy
    model unless the request asks for a cold one (no owner: cold, and the result says why);
    the order records the warm start, so a run continued from its workspace does the same.
    `after_batch` (the `here` engine only): called with the trials held after each batch of the
    optimization step; it may raise to stop the run there (`jobs.pipeline.steps.StepContext`).
    `shards`: the instances sharing the optimization step's batches (threads here, Ray tasks
    on Ray; `jobs.pipeline.shards`), None: `settings.compute.pipeline.shards`, else one; the
    same trials and winner whatever their number."""
    settings = settings or get_settings()
    count = shards or settings.compute.pipeline.shards or 1
    run_id = run_id or f"search_{uuid.uuid4().hex[:12]}"
    root = pipeline_workspace(run_id, settings)
    steps = steps_to_run(train=train)
    try:
        if not (root / ORDER / ORDER_FILE).is_file():
            model = _owner_model(owner, request, settings)
            order = search_order(
                request, run_id=run_id, owner=owner, model=model, settings=settings
            )
            write_order(root, order)
        if engine == "here":
            run_here(
                root,
                steps=steps,
                backend=backend,
                settings=settings,
                after_batch=after_batch,
                shards=count,
            )
        elif engine == "ray":
            from jobs.backends.ray_backend import RayBackend

            with RayBackend.from_config(settings.compute):
                run_on_ray(root, steps=steps, settings=settings, shards=count)
        else:
            raise ValueError(f"engine must be 'here' or 'ray', got {engine!r}")
    finally:
        release(run_id)
    result: dict[str, Any] = json.loads((root / "aggregation" / RESULT).read_text())
    return result


def _owner_model(
    owner: str | None, request: OptimizationRequest, settings: Settings
) -> OwnerModel | None:
    """`owner`'s strategy model for the search's warm start (`graphs.warm_start`), or None."""
    if owner is None or not request.warm_start:
        return None
    store = open_store(settings)
    try:
        return warm_start_model(store, owner, request)
    finally:
        store.close()
