"""The job handlers of the trading day (`trading.day.schedule` submits their jobs): the account
snapshots, the post-market run and the implied-volatility history. `trading.execution_jobs`
registers them with its own; the tearsheets' handler is the API layer's (`api.tearsheet_jobs`).

A broker that cannot be reached makes the attempt transient (the worker retries it); a job that
cannot do what it is for (the market data lacks the session, the chain gives no volatility)
fails with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from execution.atm_volatility import NoAtmVolatilityError
from execution.errors import BrokerError, BrokerUnavailableError
from jobs.handlers import Handler, JobContext, TransientJobError
from settings import get_settings
from store import Job
from trading.day.accounts import owner_account
from trading.day.iv_history import NoIVRecordError, record_iv
from trading.day.post_market import post_market
from trading.day.schedule import IV_HISTORY_KIND, POST_MARKET_KIND, SNAPSHOT_KIND
from trading.day.snapshots import take_snapshot


class DayJobFailedError(RuntimeError):
    """A job of the trading day that could not do what it is for; the message is why."""


def snapshot_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Snapshot the account `job.request` names ({"account", "slot"}) for its slot."""
    account = owner_account(ctx.store, job.owner, job.request["account"])
    slot = datetime.fromisoformat(job.request["slot"])
    try:
        return take_snapshot(ctx.store, account, slot, ctx.settings or get_settings())
    except BrokerUnavailableError as exc:
        raise TransientJobError(str(exc)) from None


def post_market_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The post-market run of the account and session `job.request` names ({"account",
    "day"})."""
    account = owner_account(ctx.store, job.owner, job.request["account"])
    return post_market(ctx.store, account, date.fromisoformat(job.request["day"]))


def iv_history_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Record the implied volatility of the underlying and session `job.request` names
    ({"underlying", "day"}) from the owner's Alpaca option quotes."""
    settings = ctx.settings or get_settings()
    day = date.fromisoformat(job.request["day"])
    try:
        return record_iv(ctx.store, job.owner, job.request["underlying"], day, settings)
    except BrokerUnavailableError as exc:
        raise TransientJobError(str(exc)) from None
    except (BrokerError, NoAtmVolatilityError, NoIVRecordError) as exc:
        raise DayJobFailedError(str(exc)) from None


DAY_HANDLERS: dict[str, Handler] = {
    SNAPSHOT_KIND: snapshot_handler,
    POST_MARKET_KIND: post_market_handler,
    IV_HISTORY_KIND: iv_history_handler,
}
"""The trading day's job kinds and their handlers."""
