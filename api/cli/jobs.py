"""`stratigos jobs list|show|cancel` and `stratigos cleanup`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store
from api.cli.optimize import best_line, run_files


def cleanup_command(args: argparse.Namespace) -> int:
    from store.factory import open_store

    if args.days < 0:
        raise UsageError(f"--days must be >= 0, got {args.days:g}")
    store = open_store()
    report = store.cleanup(archive_after_days=args.days)
    purged = store.purge_deleted()
    erasures = store.purge_erased()
    if args.json:
        done = {"purged_deletions": purged, "purged_erasures": erasures}
        print(json.dumps({**dataclasses.asdict(report), **done}, indent=2))
    else:
        print(
            f"Archived {len(report.archived_jobs)} job(s) finished more than {args.days:g} days "
            f"ago; dropped {report.expired_cache_entries} expired cache entr"
            f"{'y' if report.expired_cache_entries == 1 else 'ies'} and "
            f"{report.expired_snapshots} expired account snapshot(s); purged {purged} "
            f"deletion(s) and {erasures} owner erasure(s)."
        )
    return 0


def iso_time(value: Any) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _duration(job: Any) -> float | None:
    if job.started_at is None:
        return None
    end = job.finished_at or job.updated_at
    return round((end - job.started_at).total_seconds(), 3)


def _progress(job: Any) -> str:
    done, total = job.progress
    return f"{done}/{total}" if total is not None else str(done)


def jobs_command(args: argparse.Namespace) -> int:
    from jobs.job_runner import JobRunner
    from store import NotFoundError, job_to_json

    store = open_local_store()
    runner = JobRunner(store)
    hint = f"list jobs with `stratigos jobs list{_owner_flag(args.owner)}`"
    try:
        if args.jobs_command == "list":
            jobs = runner.list_jobs(args.owner, statuses=args.status, limit=min(args.limit, 1000))
            if args.json:
                rows = [_job_row(job_to_json(job), job) for job in jobs]
                print(json.dumps(rows, indent=2))
                return 0
            print(_jobs_table(jobs, args))
            return 0
        if args.jobs_command == "show":
            job = runner.status(args.owner, args.job_id)
            detail = _job_detail(runner, job)
            if args.json:
                print(json.dumps(detail, indent=2, default=str))
            else:
                print(_job_text(detail))
            return 0
        before = runner.status(args.owner, args.job_id)
        job = runner.cancel(args.owner, args.job_id)
        if args.json:
            print(json.dumps(_job_row(job_to_json(job), job), indent=2))
        elif before.status == "cancelled":
            print(f"Job {job.id} was already cancelled.")
        else:
            print(f"Cancelled job {job.id} (it was {before.status}).")
        return 0
    except NotFoundError:
        job_id = getattr(args, "job_id", "?")
        raise UsageError(f"no job {job_id} for owner {args.owner}; {hint}") from None
    finally:
        store.close()


def _owner_flag(owner: str) -> str:
    return "" if owner == LOCAL_OWNER else f" --owner {owner}"


def _job_row(data: dict[str, Any], job: Any) -> dict[str, Any]:
    row = {k: v for k, v in data.items() if k != "request"}
    row["duration_s"] = _duration(job)
    return row


def _jobs_table(jobs: list[Any], args: argparse.Namespace) -> str:
    if not jobs:
        which = " or ".join(args.status) + " " if args.status else ""
        return f"No {which}jobs for owner {args.owner}."
    header = (
        f"{'ID':34s} {'KIND':13s} {'STATUS':10s} {'PROGRESS':>9s}  {'CREATED (UTC)':19s}  DURATION"
    )
    lines = [header]
    for job in jobs:
        duration = _duration(job)
        took = "-" if duration is None else f"{duration:.1f} s"
        lines.append(
            f"{job.id:34s} {job.kind:13s} {job.status:10s} {_progress(job):>9s}  "
            f"{iso_time(job.created_at):19s}  {took}"
        )
    lines.append(
        f"{len(jobs)} job(s); details: stratigos jobs show JOB_ID{_owner_flag(args.owner)}"
    )
    return "\n".join(lines)


def _job_detail(runner: Any, job: Any) -> dict[str, Any]:
    """A job for `jobs show`: the stored job, its duration, and for a succeeded job its result's
    status, best configuration, timings and the run's files."""
    from graphs.optimization_run import run_directory
    from store import NotFoundError, job_to_json

    detail = _job_row(job_to_json(job), job)
    detail["best"] = None
    if job.status == "succeeded":
        try:
            result = runner.results(job.owner, job.id)
        except NotFoundError:
            result = None
        if isinstance(result, dict):
            detail["result_status"] = result.get("status")
            detail["reason"] = result.get("reason")
            detail["best"] = result.get("best")
            detail["timings"] = result.get("timings")
    detail["files"] = {k: str(v) for k, v in run_files(run_directory(job.id)).items()}
    return detail


def _job_text(detail: dict[str, Any]) -> str:
    progress = detail["progress"]
    done, total = progress[0], progress[1]
    lines = [
        f"Job {detail['id']} ({detail['kind']}) of owner {detail['owner']}",
        f"  status:   {detail['status']} (attempts {detail['attempts']})",
        f"  progress: {done}/{total}" if total is not None else f"  progress: {done}",
        f"  created:  {detail['created_at']}",
        f"  started:  {detail['started_at'] or '-'}",
        f"  finished: {detail['finished_at'] or '-'}",
    ]
    if detail.get("duration_s") is not None:
        lines.append(f"  duration: {detail['duration_s']:.1f} s")
    if detail.get("error"):
        lines.append(f"  error:    {detail['error']}")
    if detail.get("archived_at"):
        lines.append(f"  archived: {detail['archived_at']}")
    if detail.get("result_status"):
        reason = f" ({detail['reason']})" if detail.get("reason") else ""
        lines.append(f"  result:   {detail['result_status']}{reason}")
    best = detail.get("best")
    if best:
        lines.append(f"  best:     {best_line(best)}")
    timings = detail.get("timings") or {}
    if timings:
        lines.append("  time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    files = [Path(path) for path in (detail.get("files") or {}).values()]
    if files:
        names = ", ".join(path.name for path in files)
        lines.append(f"  files:    {names} in {files[0].parent}")
    return "\n".join(lines)
