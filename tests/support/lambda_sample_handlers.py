"""Job handlers for the Lambda worker tests (`STRATIGOS_JOBS_HANDLERS` names this module).

`sample` records each call in `CALLS`, reports progress, emits one trace event and echoes the
request's `value`; `sample_broken` fails with a `ValueError` (a permanent failure).
"""

from __future__ import annotations

from typing import Any

from jobs.handlers import Handler, JobContext, JobEvent
from store import Job

CALLS: list[str] = []
"""Ids of the jobs `sample` ran, in order."""


def sample(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Echo `job.request["value"]` after one unit of work."""
    CALLS.append(job.id)
    ctx.progress(1, 1)
    ctx.emit([JobEvent(ctx.run_id, ctx.last_seq() + 1, "sample_done", {"job": job.id})])
    return {"echo": job.request.get("value"), "attempt": ctx.attempt}


def sample_broken(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Always fails permanently."""
    raise ValueError(f"bad input value {job.request.get('value')!r}")


HANDLERS: dict[str, Handler] = {"sample": sample, "sample_broken": sample_broken}
