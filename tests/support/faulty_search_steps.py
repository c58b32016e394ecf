"""The search steps (`graphs.search_steps`), with an optimization step that fails once, for the
tests of a failed step resuming (the container runs it with `--steps-module`).

`STRATIGOS_TEST_FAIL_ONCE`: a file whose absence makes the step fail (it is created as it
fails, so the next attempt succeeds). `STRATIGOS_TEST_BATCH_LOG`: a file each checkpoint
appends its trial count to, one line per batch evaluated.

With `STRATIGOS_TEST_FAIL_SHARD=<index>` (a step shared by several instances), the instance of
that index fails instead, as it is about to publish its slice of the second batch (every
instance published its slice of the first: it took them all), and the log gets a line
`<shard>:<batch>` for every slice an instance evaluated and publishes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from graphs.search_steps import STEP_HANDLERS as REAL_STEPS
from graphs.search_steps import TRIALS, optimize
from jobs.pipeline.shards import Exchange
from jobs.pipeline.steps import StepContext, StepHandler


class InjectedFailure(RuntimeError):
    """The failure this module injects."""


def _log(line: str) -> None:
    with open(os.environ["STRATIGOS_TEST_BATCH_LOG"], "a") as log:
        log.write(f"{line}\n")


def _fail_once(reason: str) -> None:
    marker = Path(os.environ["STRATIGOS_TEST_FAIL_ONCE"])
    if not marker.exists():
        marker.touch()
        raise InjectedFailure(reason)


class _FailingContext(StepContext):
    def write(self, name: str, document: Any) -> Path:
        path = super().write(name, document)
        if name == TRIALS:
            _log(str(len(document["trials"])))
            _fail_once("injected failure after the first batch's checkpoint")
        return path


@dataclass(frozen=True)
class _FailingExchange:
    exchange: Exchange
    failing: int

    def read(self, name: str) -> Any | None:
        return self.exchange.read(name)

    def write(self, name: str, document: Any) -> None:
        shard, batch = int(document["shard"]), int(document["batch"])
        if shard == self.failing and batch >= 1:
            _fail_once(f"injected failure of shard {shard} before its slice of batch {batch}")
        _log(f"{shard}:{batch}")
        self.exchange.write(name, document)


def failing_optimize(context: StepContext) -> None:
    """`optimize`, failing once as the module docstring says."""
    failing = os.environ.get("STRATIGOS_TEST_FAIL_SHARD")
    if failing is None:
        optimize(_FailingContext(**{f.name: getattr(context, f.name) for f in fields(context)}))
        return
    if context.shard is None:
        raise ValueError("STRATIGOS_TEST_FAIL_SHARD is set but the step runs on one instance")
    exchange = _FailingExchange(context.shard.exchange, int(failing))
    optimize(replace(context, shard=replace(context.shard, exchange=exchange)))


STEP_HANDLERS: dict[str, StepHandler] = {**REAL_STEPS, "optimization": failing_optimize}
