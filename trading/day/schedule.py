"""When the trading day's jobs are due, and submitting them (from each tick:
`trading.tick_jobs.fire_due_handler`), once each however many ticks ask.

Times are `settings.trading_day`'s, wall-clock in its `timezone` (New York). For each account
with a deployment active or paused (`trading.day.accounts`), once it has opened:

- `account_snapshot` at the latest of the day's `snapshot_times` passed (`snapshot:<account>:<slot>`),
  every day; slots missed while nothing ticked are not caught up (the latest stands for them);
- `post_market` for the latest session of its calendar whose `post_market_at` has passed
  (after its close; `post_market:<account>:<session>`);
- `tearsheet` for the latest session whose `tearsheets_at` has passed, once that session's
  post-market run has succeeded (`tearsheet:<account>:<session>`; its handler is registered by
  the API layer, `api.tearsheet_jobs`, which renders the HTML).

And for each owner's hedge underlying on Alpaca (`trading.day.iv_history`), `iv_history` for
the latest session whose `post_market_at` has passed (`iv_history:<underlying>:<session>`).
Every job belongs to the account's owner; its key makes it one per account (or underlying) and
slot (or session).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from execution.schedule import trading_sessions
from settings import Settings
from store import Job, Store
from trading.day.accounts import TradedAccount, traded_accounts
from trading.day.iv_history import hedged_underlyings

SNAPSHOT_KIND = "account_snapshot"
POST_MARKET_KIND = "post_market"
TEARSHEET_KIND = "tearsheet"
IV_HISTORY_KIND = "iv_history"
LOOKBACK = timedelta(days=10)
"""How far back the sessions are looked for (a long exchange holiday fits)."""


@dataclass
class DayJobs:
    """What one tick submitted of the trading day: the new jobs and the keys already taken."""

    jobs: list[Job] = field(default_factory=list)
    already_claimed: int = 0

    def submit(self, store: Store, owner: str, kind: str, request: dict[str, str], key: str) -> Job:
        """Submit the job once (by `key`); the job, new or not."""
        job, created = store.submit_job(owner, kind, request, idempotency_key=key)
        if created:
            self.jobs.append(job)
        else:
            self.already_claimed += 1
        return job

    def to_json(self) -> dict[str, object]:
        """The tick's summary of them."""
        return {"submitted": [job.id for job in self.jobs], "already_claimed": self.already_claimed}


@functools.lru_cache(maxsize=256)
def due_session(calendar: str, now: datetime, at: time, zone: ZoneInfo) -> date | None:
    """The latest session of `calendar` whose wall-clock `at` (in `zone`) and close have both
    passed at `now` (remembered per arguments: a tick asks it of every account)."""
    sessions = trading_sessions(calendar, (now - LOOKBACK).date(), now.date())
    for day, close in zip(sessions.index[::-1], sessions["close"][::-1], strict=True):
        start = max(pd.Timestamp(datetime.combine(day.date(), at, zone)), close)
        if start <= pd.Timestamp(now):
            return day.date()
    return None


def due_slot(now: datetime, times: list[time], zone: ZoneInfo) -> datetime:
    """The latest of the day's `times` (in `zone`) at or before `now`, as a UTC time."""
    local = now.astimezone(zone)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for at in sorted(times, reverse=True):
            slot = datetime.combine(day, at, zone)
            if slot <= local:
                return slot.astimezone(ZoneInfo("UTC"))
    raise AssertionError("a day always has a slot within the last two")  # pragma: no cover


def submit_day_jobs(store: Store, now: datetime, settings: Settings) -> DayJobs:
    """Submit every job of the trading day due at `now` (see the module docstring)."""
    day = settings.trading_day
    zone = ZoneInfo(day.timezone)
    out = DayJobs()
    accounts = traded_accounts(store)
    slot = due_slot(now, day.snapshot_times, zone)
    for account in accounts:
        if account.opened(store):
            _account_jobs(store, account, now, slot, settings, out)
    for (owner, underlying), calendar in hedged_underlyings(accounts).items():
        session = due_session(calendar, now, day.post_market_at, zone)
        if session is not None:
            request = {"underlying": underlying, "day": session.isoformat()}
            key = f"{IV_HISTORY_KIND}:{underlying}:{session.isoformat()}"
            out.submit(store, owner, IV_HISTORY_KIND, request, key)
    return out


def _account_jobs(
    store: Store,
    account: TradedAccount,
    now: datetime,
    slot: datetime,
    settings: Settings,
    out: DayJobs,
) -> None:
    """The account's snapshot, post-market and tearsheet jobs due at `now`."""
    day, zone = settings.trading_day, ZoneInfo(settings.trading_day.timezone)
    owner, name = account.owner, account.account
    request = {"account": name, "slot": slot.isoformat()}
    out.submit(store, owner, SNAPSHOT_KIND, request, f"snapshot:{name}:{slot.isoformat()}")
    session = due_session(account.calendar, now, day.post_market_at, zone)
    if session is not None:
        out.submit(store, owner, POST_MARKET_KIND, *_post_market(name, session))
    rendered = due_session(account.calendar, now, day.tearsheets_at, zone)
    if rendered is None:
        return
    post_market = out.submit(store, owner, POST_MARKET_KIND, *_post_market(name, rendered))
    if post_market.status == "succeeded":
        request = {"account": name, "day": rendered.isoformat()}
        key = f"{TEARSHEET_KIND}:{name}:{rendered.isoformat()}"
        out.submit(store, owner, TEARSHEET_KIND, request, key)


def _post_market(account: str, session: date) -> tuple[dict[str, str], str]:
    """The post-market job's request and key of `account`'s `session`."""
    return (
        {"account": account, "day": session.isoformat()},
        f"{POST_MARKET_KIND}:{account}:{session.isoformat()}",
    )
