"""Announcing submitted jobs on an SQS queue (the AWS deployment's job orchestration).

The API sends `{"owner", "job_id"}` to `jobs_queue_url` after each submission; the
worker function (`jobs.lambda_handlers.sqs_worker`) receives it and runs the job. The store
stays the authority: a lost or repeated message never loses or duplicates a job, because
claiming is guarded by the store and a pending job can always be picked up by any worker.
"""

from __future__ import annotations

import json
from typing import Any

from settings import Settings
from store import Job


class JobQueue:
    """Sends job announcements to one SQS queue."""

    def __init__(self, url: str, *, region: str, endpoint_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.url = url
        self._sqs = boto3.client(
            "sqs",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> JobQueue | None:
        """The queue of `jobs_queue_url`, or None when jobs are not announced."""
        if not settings.jobs.queue_url:
            return None
        region = settings.compute.aws_region or settings.store.aws_region
        endpoint = settings.compute.aws_endpoint_url or settings.store.aws_endpoint_url
        return cls(settings.jobs.queue_url, region=region, endpoint_url=endpoint)

    def announce(self, job: Job) -> None:
        """Send `{"owner", "job_id"}` for `job` (FIFO queues group by job id)."""
        body = json.dumps({"owner": job.owner, "job_id": job.id})
        kwargs: dict[str, Any] = {"QueueUrl": self.url, "MessageBody": body}
        if self.url.endswith(".fifo"):
            kwargs.update(MessageGroupId=job.id, MessageDeduplicationId=job.id)
        self._sqs.send_message(**kwargs)


def parse_tick(body: str) -> str | None:
    """The job kind a scheduled tick (`{"kind": K}`, from EventBridge Scheduler) asks to run
    now, or None when the body is not a tick."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and set(data) == {"kind"} and isinstance(data["kind"], str):
        return data["kind"] or None
    return None


def parse_announcement(body: str) -> tuple[str, str]:
    """`(owner, job_id)` of an announcement's body (`ValueError` if malformed)."""
    try:
        data = json.loads(body)
        owner, job_id = data["owner"], data["job_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"malformed job announcement {body[:200]!r}: {exc}") from exc
    if not isinstance(owner, str) or not isinstance(job_id, str) or not owner or not job_id:
        raise ValueError(f"malformed job announcement {body[:200]!r}: owner and job_id needed")
    return owner, job_id
