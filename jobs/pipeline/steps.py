"""The search pipeline's five steps, defined once: what each reads, writes and needs.

Every engine runs this list and nothing else: the embedded default in this process
(`jobs.pipeline.engines.run_here`), Ray (`run_on_ray`), and SageMaker Pipelines, whose JSON
definition is generated from it (`jobs.pipeline.sagemaker_definition`). The code of each step
lives above `jobs/` (the search is the optimization graph's: `graphs.search_steps`); a step is
found by its name in the module the pipeline names (`STEPS_MODULE`), whose `STEP_HANDLERS`
maps each name to a `StepHandler`.

A step reads the search order (`ORDER`: the request and the decisions made before the search)
and the outputs of the steps it `needs` (JSON documents in directories named after them), and
writes its own output directory. A step's output is final once the engine marks it done
(`DONE_MARKER`); the optimization step also writes a checkpoint after every batch, so a step
that failed resumes from its last finished batch, and may run on several instances sharing
each batch (`sharded`; `jobs.pipeline.shards`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settings.files import write_atomic

if TYPE_CHECKING:
    from jobs.backends.base import ComputeBackend
    from jobs.pipeline.shards import Shard
    from settings import Settings

ORDER = "order"
"""The input every step reads: the search order (`order.json`)."""
ORDER_FILE = "order.json"
DONE_MARKER = "_step.json"
"""Written by the engine into a step's output once the step succeeded."""
STEPS_MODULE = "graphs.search_steps"
"""The module whose `STEP_HANDLERS` hold the steps' code."""


@dataclass(frozen=True)
class PipelineStep:
    """One step. `name`: its id (a directory name, a SageMaker step name). `needs`: the steps
    whose outputs it reads, in order. `optional`: a step a search may leave out (training).
    `checkpointed`: the step writes its progress to its output as it goes (resumable).
    `sharded`: the step may run on several instances sharing each batch
    (`jobs.pipeline.shards`)."""

    name: str
    title: str
    needs: tuple[str, ...] = ()
    optional: bool = False
    checkpointed: bool = False
    sharded: bool = False


SEARCH_PIPELINE: tuple[PipelineStep, ...] = (
    PipelineStep("data-validation", "Data validation"),
    PipelineStep("scenario-generation", "Scenario generation", needs=("data-validation",)),
    PipelineStep(
        "optimization",
        "Distributed optimization",
        needs=("scenario-generation",),
        checkpointed=True,
        sharded=True,
    ),
    PipelineStep(
        "training",
        "Training (the strategy model)",
        needs=("scenario-generation", "optimization"),
        optional=True,
    ),
    PipelineStep("aggregation", "Results aggregation", needs=("optimization",)),
)
"""The five steps, in the order they run (a step runs after every step it needs)."""


def pipeline_step(name: str) -> PipelineStep:
    """The step named `name` (`KeyError` naming the steps otherwise)."""
    for step in SEARCH_PIPELINE:
        if step.name == name:
            return step
    raise KeyError(f"no pipeline step {name!r}; the steps: {[s.name for s in SEARCH_PIPELINE]}")


@dataclass(frozen=True)
class StepContext:
    """What a running step sees. `order`: the search order. `inputs`: the output directory of
    every step it needs, by name. `output`: its own output directory (exists; may hold its
    checkpoint). `backend`: where the optimization step sends its batches' shards (None: it
    evaluates in this process). `settings`: the process's (None: `get_settings()`).
    `after_batch`: called by the optimization step with the trials it holds after each batch
    it checkpointed (a job's progress; it raises to stop the search there, as a cancelled job
    does); None on engines whose steps run in other processes. `shard`: which of the
    instances sharing a sharded step's batches this one is (None: the only one); only the
    leader writes the step's output."""

    step: PipelineStep
    order: Mapping[str, Any]
    inputs: Mapping[str, Path]
    output: Path
    backend: ComputeBackend | None = None
    settings: Settings | None = None
    after_batch: Callable[[int], None] | None = None
    shard: Shard | None = None

    @property
    def writes_output(self) -> bool:
        """Whether this instance writes the step's output (the only one, or the leader)."""
        return self.shard is None or self.shard.leader

    def read(self, step: str, name: str) -> Any:
        """The JSON document `name` a needed step wrote."""
        if step not in self.inputs:
            raise KeyError(f"step {self.step.name!r} does not read the output of {step!r}")
        return json.loads((self.inputs[step] / name).read_text())

    def write(self, name: str, document: Any) -> Path:
        """Write `document` as `name` in this step's output, whole or not at all."""
        path = self.output / name
        write_atomic(path, json.dumps(document, separators=(",", ":")))
        return path

    def checkpoint(self, name: str) -> Any | None:
        """The document `name` an earlier attempt of this step left in its output, or None."""
        path = self.output / name
        return json.loads(path.read_text()) if path.is_file() else None


StepHandler = Callable[[StepContext], None]
"""A step's code: reads its context's order and inputs, writes its output directory."""


def step_handler(name: str, module: str = STEPS_MODULE) -> StepHandler:
    """The code of step `name`: `module`'s `STEP_HANDLERS[name]` (`LookupError` if it has
    none)."""
    handlers: Mapping[str, StepHandler] = importlib.import_module(module).STEP_HANDLERS
    if name not in handlers:
        raise LookupError(f"{module}.STEP_HANDLERS holds no code for the step {name!r}")
    return handlers[name]


def mark_done(output: Path, step: PipelineStep) -> None:
    """Record in `output` that `step` finished (the engines' last act for a step)."""
    write_atomic(output / DONE_MARKER, json.dumps({"step": step.name}))


def is_done(output: Path) -> bool:
    """Whether the step whose output is `output` finished."""
    return (output / DONE_MARKER).is_file()
