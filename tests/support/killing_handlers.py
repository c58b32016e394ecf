"""Handlers for the worker fault test, loaded by `python -m jobs.worker --handlers ...`.

The optimization handler, except that on a job's first attempt it SIGKILLs its own worker
process during the second batch's review (that batch is aggregated and checkpointed; the run
is far from finished). `STRATIGOS_TEST_KILL_AT` says when:

- `review_started` (default): as the trace reports the review node starting;
- `review_written`: right after the review node's writes are saved and before the step's
  checkpoint applies them (LangGraph then reports no `next` node but a task with a result).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from graphs.job_handlers import KIND, optimization_handler
from jobs.handlers import JobContext, register_handler
from store import Job
from traces.schema import TraceEvent

KILL_AT = os.environ.get("STRATIGOS_TEST_KILL_AT", "review_started")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def killing_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """`optimization_handler`, dying mid-run on the first attempt."""
    batches = 0
    reviews = 0
    put_writes = SqliteSaver.put_writes

    def put_writes_then_die(
        saver: SqliteSaver, config: Any, writes: Sequence[tuple[str, Any]], task_id: str,
        task_path: str = "",
    ) -> None:  # fmt: skip
        nonlocal reviews
        put_writes(saver, config, writes, task_id, task_path)
        reviews += task_path == "~__pregel_pull, review"
        if KILL_AT == "review_written" and reviews == 2 and ctx.attempt == 1:
            _die()

    def sink(event: TraceEvent) -> None:
        nonlocal batches
        if event.type == "progress" and event.data.get("unit") == "trials":
            batches += 1
        reviewing = event.type == "node_started" and event.node == "review"
        if KILL_AT == "review_started" and reviewing and batches == 2 and ctx.attempt == 1:
            _die()

    setattr(SqliteSaver, "put_writes", put_writes_then_die)  # noqa: B010 (patched for this process)
    try:
        return optimization_handler(job, ctx, sink=sink)
    finally:
        setattr(SqliteSaver, "put_writes", put_writes)  # noqa: B010


register_handler(KIND, killing_handler, replace=True)
