"""Retention: archiving finished jobs and dropping expired cache entries, for every owner."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.jobs import Job, StoredEvent, job_to_json
from store.results import Result, Trial


@dataclass(frozen=True)
class CleanupReport:
    """What `cleanup` did: ids of the jobs archived, and how many cache entries and account
    snapshots (`store.snapshots`) it dropped as expired."""

    archived_jobs: list[str] = field(default_factory=list)
    expired_cache_entries: int = 0
    expired_snapshots: int = 0


class RetentionRepository(ABC):
    """Archiving and expiry across every owner."""

    @abstractmethod
    def cleanup(self, now: datetime | None = None, archive_after_days: float = 30) -> CleanupReport:
        """Archive jobs that finished more than `archive_after_days` ago and drop expired cache
        entries and account snapshots, for every owner.

        Archiving writes a bundle (job, result, trials, events of the run with the job's id) to
        the archive (`get_archive`), then deletes the trials and events from the live store and
        sets `archived_at`; the job and its result stay readable. Running it twice is harmless.
        """

    def purge_deleted(self, limit: int = 500) -> int:
        """Remove for good up to `limit` of the things owners deleted, oldest first, with their
        bytes; how many. On AWS an owner's delete only marks the item deleted (the functions
        serving owners may delete nothing: `store.aws.tombstones`), hidden from every read at
        once, and this, run by the cleanup, removes it; a failure leaves it hidden for the next
        run. The SQLite store deletes at once (one process, no roles), so nothing waits: 0."""
        return 0

    @abstractmethod
    def get_archive(self, owner: str, job_id: str) -> dict[str, Any]:
        """The archive bundle of an archived job: `{"job", "result", "trials", "events"}`."""


def job_archive_bundle(
    job: Job, result: Result | None, trials: list[Trial], events: list[StoredEvent]
) -> dict[str, Any]:
    """The JSON document `cleanup` archives for a job (see `Store.get_archive`)."""
    return {
        "job": job_to_json(job),
        "result": None if result is None else result.payload,
        "trials": [{"number": t.number, "data": t.data} for t in trials],
        "events": [json.loads(e.payload) for e in events],
    }
