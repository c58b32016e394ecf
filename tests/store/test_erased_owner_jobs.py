"""An owner erased on the AWS store while the workers hold their jobs: a pending job is never
claimed, a running one stops where it is (its handler's writes refused, its failure not
recordable), and the worker goes on with other owners' jobs."""

from __future__ import annotations

from typing import Any

from jobs.handlers import JobContext
from jobs.worker import Worker
from store import Job
from store.aws import AWSStore


def test_a_worker_leaves_an_erased_owners_jobs_and_serves_the_others(store_aws: AWSStore) -> None:
    ran: list[str] = []

    def erasing(job: Job, ctx: JobContext) -> dict[str, Any]:
        ran.append(job.owner)
        if job.request.get("erase"):
            ctx.store.erase_owner(job.owner)  # the owner erases everything mid-run
            ctx.store.create_portfolio(job.owner, "late", {})  # refused: OwnerBusyError
        return {"ok": True}

    worker = Worker(store_aws, {"work": erasing}, "w1")
    running, _ = store_aws.submit_job("alice", "work", {"erase": True})
    pending, _ = store_aws.submit_job("alice", "work", {"n": 2})
    other, _ = store_aws.submit_job("bob", "work", {"n": 3})

    first = worker.run_once()
    assert first is not None and (first.job_id, first.status) == (running.id, "lost")
    second = worker.run_once()  # alice's pending job is left out: bob's runs
    assert second is not None and (second.job_id, second.status) == (other.id, "succeeded")
    assert worker.run_once() is None
    assert ran == ["alice", "bob"]
    store_aws.purge_erased()
    assert not store_aws.owner_has_data("alice") and pending.id not in {
        j.id for j in store_aws.jobs_by_status("pending")
    }
