"""Running the search pipeline's steps: in this process (the embedded default) or on Ray.

A run lives in a workspace directory: `order/order.json` (the search order), then one
directory per step, named after it, holding what the step wrote. `run_here` runs the steps in
order in this process; `run_on_ray` runs each step as a Ray task (on a local cluster the
workspace is a directory both see; a remote cluster needs the workspace on storage its nodes
share). Both skip a step whose output is marked done and refuse to run a step before the steps
it needs, so a run interrupted between steps continues where it stopped, and a step that failed
mid-way resumes from its own checkpoint. Given `shards`, the optimization step's batches are
shared by that many instances (`jobs.pipeline.shards`): threads here, Ray tasks on Ray,
publishing their slices in the step's `shards/` directory. The SageMaker engine runs the same
steps from the generated definition (`jobs.pipeline.sagemaker_definition`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobs.backends.ray_backend import import_ray
from jobs.pipeline.shards import (
    SHARDS_DIR,
    DirectoryExchange,
    Shard,
    ShardsStoppedError,
    check_shard_count,
)
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


DIRECTORY_POLL_S = 0.5
"""The longest a shard sleeps between two looks for another shard's slice in the workspace's
directory (a file check costs nothing; `Shard`'s default of 5 s suits S3, and here it added up
to that much idle time per batch once a slow shard had made the waits grow)."""


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


def _ready(step: PipelineStep, root: Path) -> bool:
    """False when `step` is done; `StepOrderError` when a step it needs has not finished."""
    if is_done(root / step.name):
        return False
    waiting = [n for n in step.needs if not is_done(root / n)]
    if waiting:
        raise StepOrderError(f"step {step.name!r} needs {waiting}, which have not finished")
    return True


def shard_exchange(root: Path, step: PipelineStep) -> DirectoryExchange:
    """Where the shards of `step` in the workspace `root` publish their slices."""
    return DirectoryExchange(root / step.name / SHARDS_DIR)


def run_shard(
    name: str,
    root: Path,
    *,
    module: str = STEPS_MODULE,
    backend: ComputeBackend | None = None,
    settings: Settings | None = None,
    after_batch: Callable[[int], None] | None = None,
    shard: Shard | None = None,
) -> None:
    """Run step `name` of the workspace `root` as `shard` (None: the only instance), without
    marking it done: the code of the step with its context. `after_batch` reaches the
    leader only."""
    step = pipeline_step(name)
    output = private_directory(root / step.name)
    context = StepContext(
        step=step,
        order=json.loads((root / ORDER / ORDER_FILE).read_text()),
        inputs={n: root / n for n in step.needs},
        output=output,
        backend=backend,
        settings=settings,
        after_batch=after_batch if shard is None or shard.leader else None,
        shard=shard,
    )
    step_handler(step.name, module)(context)


def run_step(
    name: str,
    root: Path,
    *,
    module: str = STEPS_MODULE,
    backend: ComputeBackend | None = None,
    settings: Settings | None = None,
    after_batch: Callable[[int], None] | None = None,
    shards: int = 1,
) -> Path:
    """Run step `name` of the workspace `root` here unless it is done; its output directory.
    `StepOrderError` when a step it needs has not finished. `after_batch`: see
    `StepContext`. `shards`: the instances a sharded step's batches are shared across, each a
    thread of this process (`jobs.pipeline.shards`; a step that is not sharded runs once)."""
    step = pipeline_step(name)
    output = root / step.name
    if not _ready(step, root):
        return output
    count = check_shard_count(shards) if step.sharded else 1
    if count == 1:
        run_shard(
            name, root, module=module, backend=backend, settings=settings, after_batch=after_batch
        )
    else:
        exchange = shard_exchange(root, step)
        wait_s = _shard_wait_s(settings)
        stop = threading.Event()

        def one(index: int) -> None:
            shard = Shard(
                index,
                count,
                exchange,
                wait_s=wait_s,
                max_poll_s=DIRECTORY_POLL_S,
                stopped=stop.is_set,
            )
            try:
                run_shard(
                    name,
                    root,
                    module=module,
                    backend=backend,
                    settings=settings,
                    after_batch=after_batch,
                    shard=shard,
                )
            except BaseException:
                stop.set()  # the others stop waiting for this one's slices
                raise

        with ThreadPoolExecutor(max_workers=count, thread_name_prefix=step.name) as pool:
            futures = [pool.submit(one, index) for index in range(count)]
        _raise_first_failure([f.exception() for f in futures])
    mark_done(output, step)
    return output


def _shard_wait_s(settings: Settings | None) -> float:
    from settings import get_settings

    return (settings or get_settings()).compute.pipeline.shard_wait_s


def _raise_first_failure(errors: Sequence[BaseException | None]) -> None:
    """Raise the first error that is not a shard stopped because of it (the cause)."""
    failed = [e for e in errors if e is not None]
    causes = [e for e in failed if not isinstance(e, ShardsStoppedError)]
    if causes or failed:
        raise (causes or failed)[0]


def run_here(
    root: Path,
    *,
    steps: Sequence[PipelineStep] | None = None,
    module: str = STEPS_MODULE,
    backend: ComputeBackend | None = None,
    settings: Settings | None = None,
    after_batch: Callable[[int], None] | None = None,
    shards: int = 1,
) -> Path:
    """Run `steps` (default: all five) of the workspace `root` in this process, in order; the
    workspace. `backend` takes the optimization step's shards (None: evaluated here);
    `after_batch`: see `StepContext`; `shards`: see `run_step`."""
    for step in steps if steps is not None else SEARCH_PIPELINE:
        run_step(
            step.name,
            root,
            module=module,
            backend=backend,
            settings=settings,
            after_batch=after_batch,
            shards=shards,
        )
    return root


def _ray_step(
    name: str, root: str, module: str, settings: Settings | None, shard: Shard | None
) -> None:
    """A step (or one shard of it) as a Ray task: its candidates go to the Ray session this
    task runs in."""
    from jobs.backends.ray_backend import RayBackend

    with RayBackend() as backend:  # joins the task's own session; never shuts it down
        run_shard(name, Path(root), module=module, backend=backend, settings=settings, shard=shard)


def run_on_ray(
    root: Path,
    *,
    steps: Sequence[PipelineStep] | None = None,
    module: str = STEPS_MODULE,
    settings: Settings | None = None,
    shards: int = 1,
) -> Path:
    """Run `steps` (default: all five) of the workspace `root` as Ray tasks, one step after
    the other, in this process's Ray session (a `RayBackend` starts or joins one); a sharded
    step runs as `shards` tasks at once, sharing its batches (`jobs.pipeline.shards`; a task
    that fails cancels the others), and each task's candidates are Ray tasks of their own.
    A step's task reserves no CPU (its candidates' tasks do), so a one-CPU cluster runs them
    all. The workspace must be on storage every node sees (a local cluster's directory)."""
    ray = import_ray()
    task = ray.remote(num_cpus=0, max_retries=0)(_ray_step)
    for step in steps if steps is not None else SEARCH_PIPELINE:
        if not _ready(step, root):
            continue
        count = check_shard_count(shards) if step.sharded else 1
        if count == 1:
            ray.get(task.remote(step.name, str(root), module, settings, None))
        else:
            exchange, wait_s = shard_exchange(root, step), _shard_wait_s(settings)
            running = [
                task.remote(
                    step.name,
                    str(root),
                    module,
                    settings,
                    Shard(i, count, exchange, wait_s=wait_s, max_poll_s=DIRECTORY_POLL_S),
                )
                for i in range(count)
            ]
            _wait_for_shards(ray, running)
        mark_done(root / step.name, step)
    return root


def _wait_for_shards(ray: Any, running: list[Any]) -> None:
    """Wait for the shards' Ray tasks; the first that fails cancels the others and its error
    is raised."""
    pending = list(running)
    while pending:
        finished, pending = ray.wait(pending, num_returns=1)
        try:
            ray.get(finished[0])
        except BaseException:
            for other in pending:
                ray.cancel(other, force=True)
            raise
