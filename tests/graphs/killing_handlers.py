"""Handlers for the worker fault test, loaded by `python -m jobs.worker --handlers ...`.

The optimization handler, except that on a job's first attempt it SIGKILLs its own worker
process as the optimizer starts reviewing the second batch (that batch is aggregated and
checkpointed; the run is far from finished).
"""

from __future__ import annotations

import os
import signal
from typing import Any

from graphs.events import TraceEvent
from graphs.job_handlers import KIND, optimization_handler
from jobs.handlers import JobContext, register_handler
from store.base import Job


def killing_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """`optimization_handler`, dying mid-run on the first attempt."""
    batches = 0

    def sink(event: TraceEvent) -> None:
        nonlocal batches
        if event.type == "progress" and event.data.get("unit") == "trials":
            batches += 1
        reviewing = event.type == "node_started" and event.node == "review"
        if reviewing and batches == 2 and ctx.attempt == 1:
            os.kill(os.getpid(), signal.SIGKILL)

    return optimization_handler(job, ctx, sink=sink)


register_handler(KIND, killing_handler, replace=True)
