"""AWS Lambda entry points of the job side: the SQS job worker and the daily cleanup.

- `sqs_worker(event, context)`: SQS-triggered (batch size 1, `ReportBatchItemFailures`). Each
  message announces a job (`jobs.queue`); the worker claims it in the store and runs it with
  the handlers of `jobs_handlers` (default `graphs.job_handlers`, imported by name so
  `jobs/` never imports `graphs/`). A job that is already finished is acknowledged; one whose
  lease another worker holds, or that this invocation could not finish, is reported as a
  failed item so SQS delivers it again after the visibility timeout (a crashed or timed-out
  invocation resumes from the job's checkpoint then). Poison messages go to the dead-letter
  queue after the queue's `maxReceiveCount`. A scheduled tick (`{"kind": K}`, sent by
  EventBridge Scheduler every minute) starts the job of kind K for that minute, owned by
  `jobs.worker.SYSTEM_OWNER`, once however often it is delivered (e.g. `fire_due_schedules`,
  which submits the rebalance jobs of the deployments due).
- The same function takes EventBridge's "SageMaker Model Building Pipeline Execution Status
  Change" events of the stage's search pipeline: `jobs.pipeline.completion` ends the job the
  execution ran (its result stored, or its failure), on the pipeline settings
  (`STRATIGOS_COMPUTE_PIPELINE_*`).
- `cleanup(event, context)`: EventBridge-scheduled retention (`Store.cleanup`): archives jobs
  finished more than `archive_after_days` (event field, default 30) ago, drops expired cache
  entries and account snapshots and deletes the files of the research index's versions older
  than 7 days when it is on S3 (`store.lance_versions`: its writers there delete nothing)
  (`{"retention": false}`, the quarter-hourly check, skips these); purges what owners deleted
  (`Store.purge_deleted`: on AWS the API only marks it deleted), every run, so a deletion's
  bytes outlive it by at most a quarter hour while the purge succeeds, and what owners erased
  whole (`Store.purge_erased`, docs/owner-data.md); announces stuck pending
  jobs again; returns the report and publishes it as metrics (`settings.metrics`: what it
  archived and deleted, the runs found stuck, the deployments active).
"""

from __future__ import annotations

import logging
from typing import Any

from jobs.handlers import load_handler_modules, registry
from jobs.pipeline.completion import complete_execution, is_status_change
from jobs.pipeline.sagemaker_pipeline import configured_pipeline
from jobs.queue import JobQueue, parse_announcement, parse_tick
from jobs.worker import Worker
from settings import get_settings, metrics
from settings.logs import configure_logging
from settings.tracing import configure_tracing
from store import TERMINAL_STATUSES, ConflictError, NotFoundError, Store
from store.lance_versions import remove_old_versions
from store.owner_data import OwnerBusyError

log = logging.getLogger("jobs.lambda")

STALE_PENDING_SECONDS = 300.0

_store: Store | None = None
"""Kept between invocations of a warm function."""


def _open_store() -> Store:
    global _store
    if _store is None:
        from store.factory import open_store

        settings = get_settings()
        configure_logging(settings)
        configure_tracing(settings)
        settings.ensure_data_dir()
        _store = open_store(settings)
    return _store


def run_announced_job(store: Store, body: str, worker: Worker) -> bool:
    """Run the job a message announces (or, for a scheduled tick, the job it starts); True
    when the message is done with (the job is finished, unknown, or ran to an end here), False
    to have it delivered again."""
    kind = parse_tick(body)
    try:
        if kind is not None:
            ticked = worker.submit_tick(kind)
            if ticked is None:
                log.error("dropping a tick of kind %r: no handler registered for it", kind)
                return True
            owner, job_id = ticked.owner, ticked.id
        else:
            owner, job_id = parse_announcement(body)
    except ValueError as exc:
        log.error("dropping a malformed message: %s", exc)
        return True
    try:
        job = store.get_job(owner, job_id)
    except NotFoundError:
        log.warning("job %s of %s no longer exists", job_id, owner)
        return True
    except OwnerBusyError:  # its owner's data is erased (the purge removes the job) or imported
        log.warning("job %s of an owner being erased or imported: dropped", job_id)
        return True
    if job.status in TERMINAL_STATUSES:
        return True
    try:
        claimed = store.claim(owner, job_id, worker.worker_id, worker.lease_seconds)
    except ConflictError:
        current = store.get_job(owner, job_id)
        return current.status in TERMINAL_STATUSES
    outcome = worker.run_claimed(claimed)
    log.info(
        "job finished",
        extra={"job_id": job_id, "status": outcome.status, "attempts": outcome.attempts},
    )
    return outcome.status != "lost"


def sqs_worker(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda handler for SQS job announcements (partial batch responses), and for the search
    pipeline's execution status changes (`{"pipeline_job": outcome}`; an error raised has
    Lambda deliver the event again)."""
    if is_status_change(event):
        return {"pipeline_job": pipeline_status_changed(event)}
    store = _open_store()
    settings = get_settings()
    load_handler_modules(settings.jobs.handlers)
    worker = Worker(store, registry, settings=settings)
    failures = []
    for record in event.get("Records", []):
        if not run_announced_job(store, str(record.get("body", "")), worker):
            failures.append({"itemIdentifier": record.get("messageId")})
    return {"batchItemFailures": failures}


def pipeline_status_changed(event: dict[str, Any]) -> str:
    """End the job of the pipeline execution `event` reports (`complete_execution`): what it
    did, `succeeded`, `failed` or `ignored`."""
    store = _open_store()
    pipeline = configured_pipeline(get_settings())
    return complete_execution(
        store,
        event,
        sagemaker=pipeline.sagemaker,
        s3=pipeline.s3,
        bucket=pipeline.bucket,
        prefix=pipeline.prefix,
    )


def _remove_old_index_versions() -> int:
    """Delete the files of the research index's old versions when it is in an object store
    (`store.lance_versions`: its writers there delete nothing); how many tables it cleaned."""
    settings = get_settings()
    uri = settings.resolved_research_index_uri()
    if not uri.startswith("s3://"):
        return 0  # a local index is cleaned by its writers
    return remove_old_versions(uri, settings.research_index_storage_options())


def cleanup(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    """Lambda handler of the scheduled retention run; returns what it did.

    Also announces again every job still pending after `STALE_PENDING_SECONDS` (its first
    announcement was lost), so no job waits forever, and counts the stuck runs: those pending
    jobs and the running ones whose worker's lease has expired."""
    event = event or {}
    store = _open_store()
    archived: list[str] = []
    expired = snapshots = 0
    if event.get("retention", True):
        report = store.cleanup(archive_after_days=float(event.get("archive_after_days", 30)))
        archived, expired = list(report.archived_jobs), report.expired_cache_entries
        snapshots = report.expired_snapshots
    purged = store.purge_deleted()
    erasures = store.purge_erased()  # owners' erasures (and failed imports): hidden until now
    index_tables = _remove_old_index_versions() if event.get("retention", True) else 0
    queue = JobQueue.from_settings(get_settings())
    now = store.clock()
    stale = [
        job
        for job in store.jobs_by_status("pending", limit=1000)
        if (now - job.created_at).total_seconds() > STALE_PENDING_SECONDS
    ]
    lost = [job for job in store.jobs_by_status("running", limit=1000) if not job.lease_active(now)]
    reannounced = []
    if queue is not None:
        for job in stale:
            queue.announce(job)
            reannounced.append(job.id)
    result = {
        "archived_jobs": archived,
        "expired_cache_entries": expired,
        "expired_snapshots": snapshots,
        "purged_deletions": purged,
        "purged_erasures": erasures,
        "research_index_tables_cleaned": index_tables,
        "reannounced_jobs": reannounced,
        "stuck_runs": len(stale) + len(lost),
    }
    log.info("cleanup done", extra=result)
    metrics.cleanup_finished(len(archived), expired, len(reannounced), len(stale) + len(lost))
    metrics.deployments_active(len(store.deployments_by_status("active", limit=10_000)))
    return result
