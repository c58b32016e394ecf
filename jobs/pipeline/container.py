"""A search pipeline step in its SageMaker Processing container:
`python -m jobs.pipeline.container --step NAME [--steps-module MODULE] [--root /]`.

SageMaker downloads the step's inputs before the container starts and uploads its output
(paths under `--root`, default `/`): the search order at `opt/ml/processing/input/order/`,
each step it needs at `opt/ml/processing/input/<step>/`, and, for a checkpointed step, what
its output prefix held when it started at `opt/ml/processing/input/checkpoint/` (its own
earlier attempt's progress: copied into the output before the step runs, so the step resumes
from it). The step writes `opt/ml/processing/output/<step>/` (uploaded continuously for a
checkpointed step, at the end otherwise), then the done marker.

The optimization step's batches go to the compute backend the container's environment names
(`STRATIGOS_COMPUTE_*`: a SageMaker Processing fleet per batch, a Ray cluster, or this
instance's processes; `jobs.backends.backend_for_search`).

Exit status: 0 when the step finished, 1 when it failed (the reason on stderr), 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from jobs.pipeline.steps import (
    DONE_MARKER,
    ORDER,
    STEPS_MODULE,
    PipelineStep,
    StepContext,
    mark_done,
    pipeline_step,
    step_handler,
)
from jobs.privileges import drop_root

INPUT_DIR = "opt/ml/processing/input"
OUTPUT_DIR = "opt/ml/processing/output"
CHECKPOINT = "checkpoint"
"""The input name of a checkpointed step's own output prefix."""


def input_path(name: str) -> str:
    """The container path of input `name` (the order, a needed step, the checkpoint)."""
    return f"/{INPUT_DIR}/{name}"


def output_path(step: PipelineStep) -> str:
    """The container path of `step`'s output."""
    return f"/{OUTPUT_DIR}/{step.name}"


def run_in_container(name: str, *, root: Path, module: str = STEPS_MODULE) -> Path:
    """Run step `name` with the container layout under `root`; its output directory."""
    import json

    from jobs.backends import backend_for_search
    from settings import get_settings

    step = pipeline_step(name)
    inputs = root / INPUT_DIR
    output = root / OUTPUT_DIR / step.name
    output.mkdir(parents=True, exist_ok=True)
    checkpoint = inputs / CHECKPOINT
    if step.checkpointed and checkpoint.is_dir():
        for path in sorted(checkpoint.rglob("*")):
            target = output / path.relative_to(checkpoint)
            if path.is_file() and path.name != DONE_MARKER and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    orders = sorted((inputs / ORDER).glob("*.json"))
    if len(orders) != 1:
        raise FileNotFoundError(f"expected one search order in {inputs / ORDER}, found {orders}")
    settings = get_settings()
    backend = backend_for_search(settings.compute) if step.name == "optimization" else None
    context = StepContext(
        step=step,
        order=json.loads(orders[0].read_text()),
        inputs={n: inputs / n for n in step.needs},
        output=output,
        backend=backend,
        settings=settings,
    )
    try:
        step_handler(step.name, module)(context)
    finally:
        if backend is not None:
            backend.close()
    mark_done(output, step)
    return output


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m jobs.pipeline.container",
        description="Run one step of the search pipeline in its SageMaker Processing container.",
    )
    parser.add_argument("--step", required=True, help="the step's name")
    parser.add_argument("--steps-module", default=STEPS_MODULE, help="where the steps' code is")
    parser.add_argument("--root", default="/", help="filesystem root of the container layout")
    args = parser.parse_args(argv)
    drop_root([Path(args.root) / OUTPUT_DIR])  # SageMaker starts it as root (jobs.privileges)
    try:
        output = run_in_container(args.step, root=Path(args.root), module=args.steps_module)
    except Exception as exc:
        print(f"step {args.step}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"step {args.step}: done, output in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
