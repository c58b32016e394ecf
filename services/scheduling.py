"""Firing deployments' schedules: each due fire of an active deployment becomes one rebalance job,
exactly once however many schedulers look at the same time.

A fire is claimed by submitting the job `rebalance` with the idempotency key
`rebalance:<deployment id>:<fire time>`: the store creates one job per key, so two schedulers
(two worker processes, or a retried EventBridge delivery) that see the same fire submit the same
job. The last fire handled is kept in the deployment's spec (`schedule_state.last_fire`, written
with the deployment's version: a scheduler that lost the race leaves it to the winner). Missed
fires follow the schedule's catch-up policy (`execution.schedule`); the skipped ones are counted
in `schedule_state.skipped`. A deployment's first fire is the first one after it became active.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from execution.schedule import Schedule
from store import ConflictError, Deployment, Job, Store

REBALANCE_KIND = "rebalance"
"""The job kind of a rebalance run."""


@dataclass
class FiringReport:
    """What one look at the schedules did: jobs submitted (new), fires another scheduler had
    already claimed, and fires skipped as missed."""

    jobs: list[Job] = field(default_factory=list)
    """The jobs submitted (new ones only)."""
    already_claimed: int = 0
    skipped: int = 0

    @property
    def submitted(self) -> list[str]:
        """The ids of the jobs submitted."""
        return [job.id for job in self.jobs]


def rebalance_key(deployment_id: str, fire: datetime) -> str:
    """The idempotency key that makes a fire's job unique."""
    return f"{REBALANCE_KIND}:{deployment_id}:{fire.isoformat()}"


def fire_due(store: Store, now: datetime, *, limit: int = 10_000) -> FiringReport:
    """Submit a rebalance job for every due fire of every active deployment (all owners)."""
    report = FiringReport()
    for deployment in store.deployments_by_status("active", limit=limit):
        if deployment.spec.get("mode") == "forward_test":  # runs its own simulated time
            continue
        _fire(store, deployment, now, report)
    return report


def _fire(store: Store, deployment: Deployment, now: datetime, report: FiringReport) -> None:
    schedule = Schedule(**{k: v for k, v in deployment.spec["schedule"].items() if v is not None})
    state: dict[str, Any] = dict(deployment.spec.get("schedule_state") or {})
    last = datetime.fromisoformat(state["last_fire"]) if "last_fire" in state else None
    due = schedule.due(last or deployment.updated_at, now)
    fired: list[dict[str, str]] = []
    for fire in due.run:
        job, created = store.submit_job(
            deployment.owner,
            REBALANCE_KIND,
            {"deployment_id": deployment.id, "fire": fire.isoformat()},
            idempotency_key=rebalance_key(deployment.id, fire),
        )
        fired.append({"fire": fire.isoformat(), "job_id": job.id})
        if created:
            report.jobs.append(job)
        else:
            report.already_claimed += 1
    handled = due.run + due.skipped
    if not handled:
        return
    report.skipped += len(due.skipped)
    state["last_fire"] = max(handled).isoformat()
    state["skipped"] = int(state.get("skipped", 0)) + len(due.skipped)
    # A conflict: another scheduler recorded the same fires (its jobs are these jobs).
    with suppress(ConflictError):
        store.update_deployment(
            deployment.owner,
            deployment.id,
            expected_version=deployment.version,
            spec={**deployment.spec, "schedule_state": state},
            event_data={
                "reason": "the schedule fired",
                "fired": fired,
                "skipped_as_missed": [fire.isoformat() for fire in due.skipped],
            },
        )
