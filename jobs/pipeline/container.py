"""A search pipeline step in its SageMaker Processing container:
`python -m jobs.pipeline.container --step NAME [--steps-module MODULE] [--root /]
[--shards-uri s3://...]`.

SageMaker downloads the step's inputs before the container starts and uploads its output
(paths under `--root`, default `/`): the search order at `opt/ml/processing/input/order/`,
each step it needs at `opt/ml/processing/input/<step>/`, and, for a checkpointed step, what
its output prefix held when it started at `opt/ml/processing/input/checkpoint/` (its own
earlier attempt's progress: copied into the output before the step runs, so the step resumes
from it). The step writes `opt/ml/processing/output/<step>/` (uploaded continuously for a
checkpointed step, at the end otherwise), then the done marker.

The optimization step runs on as many instances as its processing job has (`hosts` in
`opt/ml/config/resourceconfig.json`): they share each batch (`jobs.pipeline.shards`), each
evaluating its slice and publishing it under `--shards-uri` (the step's own output prefix) in
S3, where the others read it; the first instance writes the step's output, the others a
scratch directory. An instance's slice goes to the compute backend the container's
environment names (`STRATIGOS_COMPUTE_*`: this instance's processes by default, a Ray cluster,
or a SageMaker Processing job; `jobs.backends.backend_for_search`).

Exit status: 0 when the step finished, 1 when it failed (the reason on stderr), 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.entrypoint import read_host_info
from jobs.pipeline.shards import SHARDS_DIR, S3Exchange, Shard
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
from settings.process_exit import exit_process

if TYPE_CHECKING:
    from settings import Settings

INPUT_DIR = "opt/ml/processing/input"
OUTPUT_DIR = "opt/ml/processing/output"
SCRATCH_DIR = "tmp/stratigos-shard"
"""Where an instance of a sharded step other than the first writes (nothing is uploaded)."""
CHECKPOINT = "checkpoint"
"""The input name of a checkpointed step's own output prefix."""


def input_path(name: str) -> str:
    """The container path of input `name` (the order, a needed step, the checkpoint)."""
    return f"/{INPUT_DIR}/{name}"


def output_path(step: PipelineStep) -> str:
    """The container path of `step`'s output."""
    return f"/{OUTPUT_DIR}/{step.name}"


def _copy_checkpoint(checkpoint: Path, output: Path) -> None:
    """Copy an earlier attempt's output (but its done marker and the shards' slices, which
    stay where the shards publish them) into `output`, keeping what is there."""
    for path in sorted(checkpoint.rglob("*")):
        relative = path.relative_to(checkpoint)
        if not path.is_file() or path.name == DONE_MARKER or relative.parts[0] == SHARDS_DIR:
            continue
        target = output / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def container_shard(
    step: PipelineStep, root: Path, shards_uri: str | None, settings: Settings
) -> Shard | None:
    """This instance's shard of `step` (None: it runs alone): its place among the processing
    job's instances (`resourceconfig.json`), publishing to `<shards_uri>shards/` in S3."""
    host = read_host_info(root)
    if not step.sharded or len(host.hosts) == 1:
        return None
    if not shards_uri:
        raise ValueError(
            f"step {step.name} runs on {len(host.hosts)} instances: --shards-uri must name the "
            "S3 prefix where they publish their slices"
        )
    import boto3

    compute = settings.compute
    s3 = boto3.client("s3", region_name=compute.aws_region, endpoint_url=compute.aws_endpoint_url)
    exchange = S3Exchange(s3, f"{shards_uri.rstrip('/')}/{SHARDS_DIR}/")
    wait_s = compute.pipeline.shard_wait_s
    return Shard(host.index, len(host.hosts), exchange, wait_s=wait_s)


def run_in_container(
    name: str, *, root: Path, module: str = STEPS_MODULE, shards_uri: str | None = None
) -> Path:
    """Run step `name` with the container layout under `root`; its output directory. On one
    of several instances of a sharded step (`resourceconfig.json`), the instance shares each
    batch with the others through `shards_uri` (`jobs.pipeline.shards`); only the first writes
    the uploaded output, the others a scratch directory."""
    import json

    from jobs.backends import backend_for_search
    from settings import get_settings

    step = pipeline_step(name)
    settings = get_settings()
    shard = container_shard(step, root, shards_uri, settings)
    inputs = root / INPUT_DIR
    leader = shard is None or shard.leader
    output = root / (OUTPUT_DIR if leader else SCRATCH_DIR) / step.name
    output.mkdir(parents=True, exist_ok=True)
    checkpoint = inputs / CHECKPOINT
    if step.checkpointed and checkpoint.is_dir():
        _copy_checkpoint(checkpoint, output)
    orders = sorted((inputs / ORDER).glob("*.json"))
    if len(orders) != 1:
        raise FileNotFoundError(f"expected one search order in {inputs / ORDER}, found {orders}")
    backend = backend_for_search(settings.compute) if step.name == "optimization" else None
    context = StepContext(
        step=step,
        order=json.loads(orders[0].read_text()),
        inputs={n: inputs / n for n in step.needs},
        output=output,
        backend=backend,
        settings=settings,
        shard=shard,
    )
    try:
        step_handler(step.name, module)(context)
    finally:
        if backend is not None:
            backend.close()
    if leader:
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
    parser.add_argument(
        "--shards-uri",
        default=None,
        help="s3:// prefix under which the instances of a sharded step share its batches",
    )
    args = parser.parse_args(argv)
    drop_root([Path(args.root) / OUTPUT_DIR])  # SageMaker starts it as root (jobs.privileges)
    try:
        output = run_in_container(
            args.step, root=Path(args.root), module=args.steps_module, shards_uri=args.shards_uri
        )
    except Exception as exc:
        print(f"step {args.step}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"step {args.step}: done, output in {output}")
    return 0


if __name__ == "__main__":
    exit_process(main)
