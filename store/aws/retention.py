"""Retention in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`).

The cleanup also gives stored analyses written before their listings were paged their index
keys (`AwsAnalyses._index_analyses`: a scan that finds nothing once every record has them).
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from store.aws.analyses import AwsAnalyses
from store.aws.items import _owner_pk
from store.aws.results import AwsResults
from store.common import dumps, to_micros
from store.errors import NotFoundError
from store.jobs import TERMINAL_STATUSES, Job, job_from_row
from store.results import Result, Trial
from store.retention import CleanupReport, job_archive_bundle


class AwsRetention(AwsResults, AwsAnalyses):
    """The retention repository on DynamoDB and S3."""

    def cleanup(self, now: datetime | None = None, archive_after_days: float = 30) -> CleanupReport:
        now = now or self.clock()
        cutoff = to_micros(now - timedelta(days=archive_after_days))
        candidates = list(
            self._scan(
                "cleanup",
                "begins_with(sk, :job) AND finished_at < :cutoff "
                "AND attribute_not_exists(archived_at)",
                {":job": {"S": "JOB#"}, ":cutoff": {"N": str(cutoff)}},
                {},
            )
        )
        archived: list[str] = []
        for item in candidates:
            job = job_from_row(item)
            if job.status not in TERMINAL_STATUSES:
                continue
            self._archive(job, now)
            archived.append(job.id)
        expired = list(
            self._scan(
                "cleanup",
                "begins_with(pk, :cache) AND expires_at <= :now",
                {":cache": {"S": "CACHE#"}, ":now": {"N": str(to_micros(now))}},
                {},
            )
        )
        self._batch_delete("cleanup", [(d["pk"], d["sk"]) for d in expired])
        self._index_analyses()
        return CleanupReport(
            archived_jobs=archived,
            expired_cache_entries=len(expired),
            expired_snapshots=self._drop_expired_snapshots(now),
        )

    def _archive(self, job: Job, now: datetime) -> None:
        """Bundle to S3, then mark the job archived, then delete its trials and events (a crash
        in between leaves extra rows behind, never a job marked archived without its bundle)."""
        try:
            result: Result | None = self.get_result(job.owner, job.id)
        except NotFoundError:
            result = None
        trial_items = list(self._query("cleanup", f"TRIALS#{job.owner}#{job.id}"))
        trials = [Trial(int(d["sk"]), json.loads(d["data"])) for d in trial_items]
        events = self.events(job.owner, job.id, limit=10_000)
        while len(events) % 10_000 == 0 and events:
            more = self.events(job.owner, job.id, after_seq=events[-1].seq, limit=10_000)
            if not more:
                break
            events += more
        bundle = job_archive_bundle(job, result, trials, events)
        self._call(
            "cleanup (archive)",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=f"archive/{job.owner}/{job.id}.json.gz",
            Body=gzip.compress(dumps(bundle).encode()),
            ContentType="application/json",
            ContentEncoding="gzip",
        )
        t = to_micros(now)
        marked = self._update(
            "cleanup",
            _owner_pk(job.owner),
            f"JOB#{job.id}",
            "SET archived_at = :t, updated_at = :t",
            "attribute_exists(pk) AND attribute_not_exists(archived_at)",
            {":t": t},
        )
        if marked is None:
            return
        keys = [(d["pk"], d["sk"]) for d in trial_items]
        if events:
            keys += [(f"RUN#{job.id}", f"{e.seq:012d}") for e in events]
            keys.append((f"RUN#{job.id}", "#HEAD"))
        self._batch_delete("cleanup", keys)

    def get_archive(self, owner: str, job_id: str) -> dict[str, Any]:
        try:
            out = self._call(
                "get_archive",
                self.s3.get_object,
                Bucket=self.bucket,
                Key=f"archive/{owner}/{job_id}.json.gz",
            )
        except ClientError as exc:
            raise NotFoundError(f"no archive of job {job_id!r} for owner {owner!r}") from exc
        bundle: dict[str, Any] = json.loads(gzip.decompress(out["Body"].read()))
        return bundle
