"""Firing deployments' schedules: each due fire of an active deployment becomes one rebalance job,
exactly once however many schedulers look at the same time; and, for a paused deployment hedged
on Alpaca, the latest fire becomes its hedge job (its expiry guard, `trading.runs.hedge`), once
(`hedge:<deployment id>:<fire time>`, the key the rebalance job submits it under too; the last
fire guarded is `hedge_guard.last_fire` in the spec).

A fire is claimed by submitting the job `rebalance` with the idempotency key
`rebalance:<deployment id>:<fire time>`: the store creates one job per key, so two schedulers
(two worker processes, or a retried EventBridge delivery) that see the same fire submit the same
job. The last fire handled is kept in the deployment's spec (`schedule_state.last_fire`, written
with the deployment's version: a scheduler that lost the race leaves it to the winner). Missed
fires follow the schedule's catch-up policy (`execution.schedule`); the skipped ones are counted
in `schedule_state.skipped`. A deployment's first fire is the first one after it became active.

A paper deployment fills at the first session close after a fire, which a market data file
updated after each close holds only later that day: while the market data is current (it holds
every session but possibly the last one closed), paper schedules are read at the market data's
time, the close of its last session (`paper_time`). A fire becomes due once the data holds the
close it fills at, and is missed only when the data moved on by more than `PAPER_MISSED_AFTER`
before it was seen. Market data older than that (the embedded data, which ends in 2022) does not
hold fires back: they fire on the clock and their runs fail saying where the data ends.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from execution.schedule import MISSED_AFTER, trading_sessions
from quant.errors import DataError
from services.market_data import market_closes
from settings import Settings
from store import ConflictError, Deployment, Job, Store
from trading.deployments import broker_of, calendar_of, is_forward_test, schedule_of

logger = logging.getLogger("stratigos.execution")

REBALANCE_KIND = "rebalance"
"""The job kind of a rebalance run."""
HEDGE_KIND = "hedge"
"""The job of a hedge run (`trading.runs.hedge`): one per rebalance fire of a deployment with an
option overlay, submitted by its rebalance job once the run finished; for a paused deployment
hedged on Alpaca, by the scheduler at each fire (the expiry guard)."""
FORWARD_TEST_KIND = "forward_test"
"""The job kind of a forward test (`trading.execution_jobs`)."""
PAPER_MISSED_AFTER = timedelta(days=1)
"""A paper fire is missed when the market data's time passed it by more than this."""
_BEFORE_THE_CLOSE = timedelta(microseconds=1)


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


def hedge_key(deployment_id: str, fire: datetime) -> str:
    """The idempotency key that makes a fire's hedge job unique."""
    return f"{HEDGE_KIND}:{deployment_id}:{fire.isoformat()}"


def fire_due(
    store: Store, now: datetime, *, limit: int = 10_000, settings: Settings | None = None
) -> FiringReport:
    """Submit a rebalance job for every due fire of every active deployment (all owners);
    paper deployments on the market data's time (see the module docstring; `settings` say
    which market data, default the process's)."""
    report = FiringReport()
    paper_times: dict[str, datetime | None] = {}
    last_day: pd.Timestamp | None = None
    for deployment in store.deployments_by_status("active", limit=limit):
        if is_forward_test(deployment):  # runs its own simulated time
            continue
        schedule_now, missed_after = now, MISSED_AFTER
        if broker_of(deployment) == "paper":
            calendar = calendar_of(deployment.spec)
            if calendar not in paper_times:
                if last_day is None:
                    last_day = last_market_day(settings)
                paper_times[calendar] = (
                    None if last_day is None else paper_time(calendar, now, last_day)
                )
            data_time = paper_times[calendar]
            if data_time is not None:
                schedule_now, missed_after = data_time, PAPER_MISSED_AFTER
        _fire(store, deployment, schedule_now, missed_after, report)
    for deployment in store.deployments_by_status("paused", limit=limit):
        if "hedge" in deployment.spec and broker_of(deployment) == "alpaca":
            _guard(store, deployment, now, report)
    return report


def _guard(store: Store, deployment: Deployment, now: datetime, report: FiringReport) -> None:
    """Submit the hedge job of the latest fire of a paused deployment hedged on Alpaca not yet
    guarded (`spec["hedge_guard"]["last_fire"]`; from when it was paused): its expiry guard
    (`trading.runs.hedge`). Missed fires are not run one by one: the latest guards them all."""
    if is_forward_test(deployment):
        return
    schedule = schedule_of(deployment.spec)
    state: dict[str, Any] = dict(deployment.spec.get("hedge_guard") or {})
    last = datetime.fromisoformat(state["last_fire"]) if "last_fire" in state else None
    fires = schedule.fires_between(last or deployment.updated_at, now)
    if not fires:
        return
    fire = fires[-1]
    job, created = store.submit_job(
        deployment.owner,
        HEDGE_KIND,
        {"deployment_id": deployment.id, "fire": fire.isoformat()},
        idempotency_key=hedge_key(deployment.id, fire),
    )
    if created:
        report.jobs.append(job)
    else:
        report.already_claimed += 1
    with suppress(ConflictError):  # another scheduler recorded it (its job is this job)
        store.update_deployment(
            deployment.owner,
            deployment.id,
            expected_version=deployment.version,
            spec={**deployment.spec, "hedge_guard": {"last_fire": fire.isoformat()}},
        )


def last_market_day(settings: Settings | None) -> pd.Timestamp | None:
    """The market data's last session, or None when it cannot be read (logged: the schedules
    then fire on the clock and each run says what is wrong with the data)."""
    try:
        return market_closes(settings).index[-1]
    except DataError as exc:
        logger.warning("market data unreadable, paper schedules fire on the clock: %s", exc)
        return None


def paper_time(calendar: str, now: datetime, last_day: pd.Timestamp) -> datetime | None:
    """The time paper schedules of `calendar` are read at when the market data ends on
    `last_day`: just before the close of that session, when that is earlier than `now` and the
    data is current (it holds the session before the last one closed by `now`); None when the
    real clock rules (the data reaches `now`, or it is stale)."""
    sessions = trading_sessions(calendar, (now - timedelta(days=14)).date(), now.date())
    closed = sessions.loc[sessions["close"] <= pd.Timestamp(now)]
    if len(closed) < 2 or not closed.index[-2].date() <= last_day.date() <= closed.index[-1].date():
        return None  # stale, or it holds a session not closed yet: the real clock rules
    data_close = closed["close"].iloc[-1 if last_day.date() == closed.index[-1].date() else -2]
    return data_close.to_pydatetime() - _BEFORE_THE_CLOSE


def _fire(
    store: Store,
    deployment: Deployment,
    now: datetime,
    missed_after: timedelta,
    report: FiringReport,
) -> None:
    schedule = schedule_of(deployment.spec)
    state: dict[str, Any] = dict(deployment.spec.get("schedule_state") or {})
    last = datetime.fromisoformat(state["last_fire"]) if "last_fire" in state else None
    due = schedule.due(last or deployment.updated_at, now, missed_after=missed_after)
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
