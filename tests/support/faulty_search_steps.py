"""The search steps (`graphs.search_steps`), with an optimization step that fails once, right
after its first batch's checkpoint, and logs the trials each of its checkpoints held: for the
tests of a failed step resuming (the container runs it with `--steps-module`).

`STRATIGOS_TEST_FAIL_ONCE`: a file whose absence makes the step fail (it is created as it
fails, so the next attempt succeeds). `STRATIGOS_TEST_BATCH_LOG`: a file each checkpoint
appends its trial count to, one line per batch evaluated."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from graphs.search_steps import STEP_HANDLERS as REAL_STEPS
from graphs.search_steps import TRIALS, optimize
from jobs.pipeline.steps import StepContext, StepHandler


class InjectedFailure(RuntimeError):
    """The failure this module injects."""


class _FailingContext(StepContext):
    def write(self, name: str, document: Any) -> Path:
        path = super().write(name, document)
        if name == TRIALS:
            with open(os.environ["STRATIGOS_TEST_BATCH_LOG"], "a") as log:
                log.write(f"{len(document['trials'])}\n")
            marker = Path(os.environ["STRATIGOS_TEST_FAIL_ONCE"])
            if not marker.exists():
                marker.touch()
                raise InjectedFailure("injected failure after the first batch's checkpoint")
        return path


def failing_optimize(context: StepContext) -> None:
    """`optimize`, failing once after its first checkpoint."""
    optimize(_FailingContext(**{f.name: getattr(context, f.name) for f in fields(context)}))


STEP_HANDLERS: dict[str, StepHandler] = {**REAL_STEPS, "optimization": failing_optimize}
