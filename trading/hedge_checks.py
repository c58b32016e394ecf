"""The daily hedge check: on every session of a hedged deployment's calendar, at
`settings.trading_day.hedge_check_at` New York time (15:45; 15 minutes before the close on a day
that closes earlier), its options are rolled or closed by their rules (expiry, band, delta:
`execution.hedge.plan_hedge`) between its rebalances, as seed 003's `HedgeRollManager` does.
A paper deployment's check is read at the market data's time, as its schedule is
(`trading.scheduling.paper_time`: its orders fill at the session's close, which the data holds
only after the close): its check of a session is submitted once the data holds that session.

Each tick (`trading.tick_jobs.fire_due_handler`) submits, for every hedged deployment that is
active, or paused on a broker that settles in shares (its expiry guard), and has had a rebalance
run, the `hedge` job of the day's check once (`hedge-check:<deployment id>:<session>`, request
`{"deployment_id", "fire": <the check time>, "check": true}`), only on the session's own day: a
check the workers missed is not run the next day (that day's check and rebalance plan anew).
The job is the hedge run of a rebalance fire (`trading.runs.hedge`) at the check time, so the
closes it plans on are the ones known then, and its orders fill as that run's do.

One hedge run trades per session: the first run of a session (the check, or a rebalance's hedge
run) claims it (`trading.runs.hedge`, the `hedge_day` event keyed by the session), and a check
finding the session claimed by another run, or a rebalance's hedge run finding it claimed by the
check, is skipped: the same roll is never made twice in a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from execution.schedule import trading_sessions
from settings import Settings
from store import Deployment, Job, Store
from trading.deployments import broker_of, calendar_of, is_forward_test
from trading.scheduling import HEDGE_KIND, last_market_day, paper_time

CHECK_BEFORE_CLOSE = timedelta(minutes=15)
"""On a session closing before the check time, the check runs this long before its close."""


@dataclass
class HedgeChecks:
    """What one tick submitted of the day's hedge checks."""

    jobs: list[Job] = field(default_factory=list)
    already_claimed: int = 0

    def to_json(self) -> dict[str, Any]:
        """The tick's summary of them."""
        return {"submitted": [j.id for j in self.jobs], "already_claimed": self.already_claimed}


def hedge_check_key(deployment_id: str, session: date) -> str:
    """The idempotency key of a deployment's check of `session`."""
    return f"hedge-check:{deployment_id}:{session.isoformat()}"


def check_time(calendar: str, now: datetime, settings: Settings) -> datetime | None:
    """The time of today's check (the session of `calendar` on `now`'s day in the trading
    day's time zone), once it has come at `now`; None on a day without a session, before the
    check time, or after the session closed (a missed check is not made up)."""
    zone = ZoneInfo(settings.trading_day.timezone)
    today = now.astimezone(zone).date()
    sessions = trading_sessions(calendar, today, today)
    if sessions.empty:
        return None
    close = sessions["close"].iloc[0].to_pydatetime()
    at = datetime.combine(today, settings.trading_day.hedge_check_at, zone)
    at = min(at, close - CHECK_BEFORE_CLOSE)
    return at if at <= now < close else None


def checked(deployment: Deployment) -> bool:
    """Whether the daily check looks after `deployment`: hedged, not a forward test's, active
    (or paused on a broker that settles in shares: the expiry guard), rebalanced at least
    once."""
    spec = deployment.spec
    if "hedge" not in spec or is_forward_test(deployment):
        return False
    if deployment.status == "paused" and broker_of(deployment) != "alpaca":
        return False
    return "last_fire" in (spec.get("schedule_state") or {})


def submit_hedge_checks(store: Store, now: datetime, settings: Settings) -> HedgeChecks:
    """Submit the day's check of every deployment the check looks after (all owners) once its
    time has come (see the module docstring)."""
    out = HedgeChecks()
    times: dict[tuple[str, bool], datetime | None] = {}
    last_day: list[pd.Timestamp | None] = []
    for status in ("active", "paused"):
        for deployment in store.deployments_by_status(status):
            if not checked(deployment):
                continue
            calendar = calendar_of(deployment.spec)
            paper = broker_of(deployment) == "paper"
            if (calendar, paper) not in times:
                clock = now
                if paper:
                    if not last_day:
                        last_day.append(last_market_day(settings))
                    data_time = (
                        None if last_day[0] is None else paper_time(calendar, now, last_day[0])
                    )
                    clock = data_time or now
                times[calendar, paper] = check_time(calendar, clock, settings)
            at = times[calendar, paper]
            if at is None:
                continue
            session = pd.Timestamp(at).tz_convert(settings.trading_day.timezone).date()
            job, created = store.submit_job(
                deployment.owner,
                HEDGE_KIND,
                {"deployment_id": deployment.id, "fire": at.isoformat(), "check": True},
                idempotency_key=hedge_check_key(deployment.id, session),
            )
            if created:
                out.jobs.append(job)
            else:
                out.already_claimed += 1
    return out


def session_of(fire: datetime, settings: Settings) -> date:
    """The session day a hedge run at `fire` belongs to (its date in the trading day's zone)."""
    return fire.astimezone(ZoneInfo(settings.trading_day.timezone)).date()


__all__ = [
    "CHECK_BEFORE_CLOSE",
    "HedgeChecks",
    "check_time",
    "checked",
    "hedge_check_key",
    "session_of",
    "submit_hedge_checks",
]
