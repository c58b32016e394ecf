"""The jobs of the scheduler's tick: `fire_due_schedules` (each minute: submit every due
schedule's rebalance, the daily summary of the last closed session, the trading day's jobs, the
Agent Protocol crons due and the market data's refresh) and `daily_summary_day` (send one
session's daily summaries). `trading.execution_jobs` registers them with the other job kinds of
deployed strategies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from execution.schedule import trading_sessions
from jobs.handlers import JobContext
from notifications.notifier import Notifier
from services.agent_crons import fire_due_crons
from services.market_data.announcements import announce_fresh_data
from services.market_data.refresh import submit_refresh
from settings import get_settings
from store import Job
from trading.daily_summary import send_daily_summaries
from trading.day.schedule import submit_day_jobs
from trading.hedge_checks import submit_hedge_checks
from trading.scheduling import fire_due

FIRE_DUE_KIND = "fire_due_schedules"
"""The job a tick starts: fire every due schedule (`trading.scheduling.fire_due`)."""
DAILY_SUMMARY_KIND = "daily_summary_day"
"""The job that sends one session's daily summaries (`trading.daily_summary`), once a day."""
SUMMARY_CALENDAR = "XNYS"


def fire_due_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Submit a rebalance job for every due fire of every active deployment (all owners), the
    daily-summary job of the last closed session (once per session), the trading day's jobs
    due (`trading.day.schedule`: snapshots, post-market runs, tearsheets, the implied-volatility
    history), the day's hedge checks (`trading.hedge_checks`), the announcement of a new
    version of the market data (`services.market_data.announcements`), the runs of the Agent Protocol crons due (`services.agent_crons`) and, while the
    configured market data is refreshed and behind, its refresh
    (`services.market_data.refresh`), and announce each on the job queue when one is
    configured."""
    from jobs.queue import JobQueue
    from jobs.worker import SYSTEM_OWNER

    settings = ctx.settings or get_settings()
    report = fire_due(ctx.store, ctx.store.clock(), settings=ctx.settings)
    refresh, refresh_job = submit_refresh(ctx.store, SYSTEM_OWNER, ctx.store.clock(), settings)
    fresh = announce_fresh_data(ctx.store, SYSTEM_OWNER, settings)  # a new version's event
    day = submit_day_jobs(ctx.store, ctx.store.clock(), settings)  # after the close: trading.day
    checks = submit_hedge_checks(ctx.store, ctx.store.clock(), settings)  # trading.hedge_checks
    crons = fire_due_crons(ctx.store, ctx.store.clock())
    queue = JobQueue.from_settings(settings)
    if queue is not None:
        refreshed = [job for job in (refresh_job, fresh) if job is not None]
        for submitted in [*report.jobs, *refreshed, *day.jobs, *checks.jobs, *crons]:
            queue.announce(submitted)
    return {
        "submitted": report.submitted,
        "already_claimed": report.already_claimed,
        "skipped": report.skipped,
        "daily_summary": _summary_job(ctx),
        "market_data": refresh,
        "fresh_data": None if fresh is None else fresh.id,
        "trading_day": day.to_json(),
        "hedge_checks": checks.to_json(),
        "agent_crons": [job.id for job in crons],
    }


def _summary_job(ctx: JobContext) -> dict[str, Any]:
    """Submit the daily-summary job of the last session that closed before now (one per
    session, however many ticks ask) and announce it on the job queue when one is configured."""
    from jobs.queue import JobQueue
    from jobs.worker import SYSTEM_OWNER

    now = ctx.store.clock()
    sessions = trading_sessions(SUMMARY_CALENDAR, now.date() - timedelta(days=10), now.date())
    closed = sessions.loc[sessions["close"] <= pd.Timestamp(now)]
    if closed.empty:
        return {"day": None}
    day = closed.index[-1].date().isoformat()
    summary, created = ctx.store.submit_job(
        SYSTEM_OWNER, DAILY_SUMMARY_KIND, {"day": day}, idempotency_key=f"daily_summary:{day}"
    )
    queue = JobQueue.from_settings(ctx.settings or get_settings())
    if created and queue is not None:
        queue.announce(summary)
    return {"day": day, "job_id": summary.id, "created": created}


def daily_summary_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Send each owner the summary of their deployments on the job's day."""
    settings = ctx.settings or get_settings()
    notifier = Notifier.from_settings(settings)
    day = date.fromisoformat(job.request["day"])
    owners = send_daily_summaries(ctx.store, day, notifier.send, now=ctx.store.clock())
    return {"day": day.isoformat(), "owners": owners}


TICK_HANDLERS = {
    FIRE_DUE_KIND: fire_due_handler,
    DAILY_SUMMARY_KIND: daily_summary_handler,
}
"""The tick's job kinds and their handlers."""
