"""Running the search pipeline's steps: in this process (the embedded default) or on Ray.

A run lives in a workspace directory: `order/order.json` (the search order), then one
directory per step, named after it, holding what the step wrote. `run_here` runs the steps in
order in this process; `run_on_ray` runs each step as a Ray task (on a local cluster the
workspace is a directory both see; a remote cluster needs the workspace on storage its nodes
share). Both skip a step whose output is marked done and refuse to run a step before the steps
it needs, so a run interrupted between steps continues where it stopped, and a step that failed
mid-way resumes from its own checkpoint. The SageMaker engine runs the same steps from the
generated definition (`jobs.pipeline.sagemaker_definition`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs.backends.ray_backend import import_ray
from jobs.pipeline.steps import (
    ORDER,
    ORDER_FILE,
    SEARCH_PIPELINE,
    STEPS_MODULE,
    PipelineStep,
    StepContext,
    is_done,
    mark_done,
    pipeline_step,
    step_handler,
)
from settings.files import private_directory, write_atomic

if TYPE_CHECKING:
    from jobs.backends.base import ComputeBackend
    from settings import Settings


class StepOrderError(RuntimeError):
    """A step was asked to run before a step it needs had finished."""


def steps_to_run(*, train: bool = True) -> tuple[PipelineStep, ...]:
    """The pipeline's steps in order, without the optional ones when `train` is False."""
    return tuple(s for s in SEARCH_PIPELINE if train or not s.optional)


def write_order(root: Path, order: Mapping[str, Any]) -> Path:
    """Create the workspace `root` (owner-only) and write the search order into it."""
    directory = private_directory(root / ORDER)
    path = directory / ORDER_FILE
    write_atomic(path, json.dumps(order, sort_keys=True, separators=(",", ":")))
    return path


def run_step(
    name: str,
    root: Path,
    *,
    module: str = STEPS_MODULE,
    backend: ComputeBackend | None = None,
    settings: Settings | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> Path:
    """Run step `name` of the workspace `root` here unless it is done; its output directory.
    `StepOrderError` when a step it needs has not finished. `after_batch`: see
    `StepContext`."""
    step = pipeline_step(name)
    output = root / step.name
    if is_done(output):
        return output
    waiting = [n for n in step.needs if not is_done(root / n)]
    if waiting:
        raise StepOrderError(f"step {step.name!r} needs {waiting}, which have not finished")
    order = json.loads((root / ORDER / ORDER_FILE).read_text())
    private_directory(output)
    context = StepContext(
        step=step,
        order=order,
        inputs={n: root / n for n in step.needs},
        output=output,
        backend=backend,
        settings=settings,
        after_batch=after_batch,
    )
    step_handler(step.name, module)(context)
    mark_done(output, step)
    return output


def run_here(
    root: Path,
    *,
    steps: Sequence[PipelineStep] | None = None,
    module: str = STEPS_MODULE,
    backend: ComputeBackend | None = None,
    settings: Settings | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> Path:
    """Run `steps` (default: all five) of the workspace `root` in this process, in order; the
    workspace. `backend` takes the optimization step's shards (None: evaluated here);
    `after_batch`: see `StepContext`."""
    for step in steps if steps is not None else SEARCH_PIPELINE:
        run_step(
            step.name,
            root,
            module=module,
            backend=backend,
            settings=settings,
            after_batch=after_batch,
        )
    return root


def _ray_step(name: str, root: str, module: str, settings: Settings | None) -> str:
    """A step as a Ray task: its shards go to the Ray session this task runs in."""
    from jobs.backends.ray_backend import RayBackend

    with RayBackend() as backend:  # joins the task's own session; never shuts it down
        return str(run_step(name, Path(root), module=module, backend=backend, settings=settings))


def run_on_ray(
    root: Path,
    *,
    steps: Sequence[PipelineStep] | None = None,
    module: str = STEPS_MODULE,
    settings: Settings | None = None,
) -> Path:
    """Run `steps` (default: all five) of the workspace `root` as Ray tasks, one after the
    other, in this process's Ray session (a `RayBackend` starts or joins one); each step's shards are Ray tasks of
    their own. A step's task reserves no CPU (its shards do), so a one-CPU cluster runs both."""
    ray = import_ray()
    task = ray.remote(num_cpus=0, max_retries=0)(_ray_step)
    for step in steps if steps is not None else SEARCH_PIPELINE:
        ray.get(task.remote(step.name, str(root), module, settings))
    return root
