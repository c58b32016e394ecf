"""The daily hedge check (`trading.hedge_checks`), through the real job worker on SQLite with an
injected clock: a deployment with a put spread rebalanced weekly is rolled by the 15:45 check
between its rebalances when its band rule says so, never twice a day with its rebalance's own
hedge run, and its owner receives the roll and a failed check's notice by email (aiosmtpd on
loopback) through the deployment's notification preferences."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from execution.options import parse_occ
from execution.schedule import trading_sessions
from jobs.job_runner import JobRunner
from jobs.worker import SYSTEM_OWNER
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from settings import NotificationSettings, Settings, SmtpSettings
from store import Deployment, Store
from tests.store.conftest import FakeClock
from tests.support.smtp import smtp_controller
from trading.execution_jobs import HANDLERS, HEDGE_KIND
from trading.hedge_checks import check_time, submit_hedge_checks
from trading.hedges import hedge_account
from trading.tick_jobs import FIRE_DUE_KIND

NEW_YORK = ZoneInfo("America/New_York")
SPREAD = StrategyConfig(
    overlay="put_spread",
    overlay_strike=0.95,
    overlay_lower_strike=0.85,
    overlay_tenor_days=21,
    overlay_roll="band",
    overlay_roll_band=0.01,
)


@functools.cache
def week() -> list[date]:
    """Tuesday 31 May 2022 (the week's first session: the first rebalance) to Friday 10 June; the
    next rebalance is Monday 6 June. Read on first use, not when the module is collected (the
    exchange calendar takes ~0.5 s to build)."""
    return [d.date() for d in trading_sessions("XNYS", date(2022, 5, 31), date(2022, 6, 10)).index]


REBALANCED = date(2022, 6, 6)
STALE_DAY = date(2022, 6, 8)
"""The day the market data file misses its last sessions: that day's check fails."""


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    mailbox = _Inbox()
    with smtp_controller(mailbox) as controller:
        yield mailbox, controller.port


CLOSES = sp500_prices()[["AAPL", "KO"]].loc["2020-01-01":]


def _data(path: Path, through: str) -> None:
    """The configured market data: the closes through `through` (a refresh that has run)."""
    CLOSES.loc[:through].to_csv(path)


def _spec() -> dict[str, Any]:
    return {
        "strategy": {"kind": "rule", "config": SPREAD.model_dump(mode="json"), "safe_rate": 0.0},
        "universe": ["AAPL", "KO"],
        "capital": 100_000.0,
        "schedule": {"every": "week", "on": "first", "at": "15:45", "calendar": "XNYS"},
        "limits": {"cash_buffer": 0.02},
        "hedge": {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()},
        "notifications": {
            "destinations": [
                {
                    "channel": "email",
                    "address": "pm@example.com",
                    "kinds": ["hedge_rolled", "hedge_run_failed", "run_failed"],
                }
            ]
        },
    }


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), NEW_YORK).astimezone(UTC)


def _run_everything(store: Store, settings: Settings) -> None:
    runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))
    for _ in range(50):
        if runner.run_once() is None:
            return
    raise AssertionError("the worker kept finding work")


def _band_says_roll(deployment: Deployment, store: Store, day: date) -> bool:
    """The band rule on its own: the bought put's strike over the last close known at the
    day's check leaves 0.95 +- 0.01 (held options read from the hedge's ledger)."""
    held: dict[str, float] = {}
    for entry in store.ledger(deployment.owner, hedge_account(deployment)):
        if entry.time < _at(day, 15, 45) and entry.symbol:
            sign = 1.0 if entry.side == "buy" else -1.0
            held[entry.symbol] = held.get(entry.symbol, 0.0) + sign * float(entry.quantity or 0)
    bought = [parse_occ(s) for s, n in held.items() if n > 0 and parse_occ(s).kind == "put"]
    if not bought:
        return False
    last = float(CLOSES["AAPL"].loc[: str(day - timedelta(days=1))].iloc[-1])
    return abs(max(p.strike for p in bought) / last - 0.95) > 0.01


def test_a_put_spread_is_rolled_by_the_daily_check_over_a_simulated_week(
    store: Store, clock: FakeClock, tmp_path: Path, inbox: tuple[_Inbox, int]
) -> None:
    mailbox, port = inbox
    prices = tmp_path / "closes.csv"
    settings = Settings(
        data_dir=tmp_path,
        market_data=str(prices),
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1", port=port)),
    )
    clock.now = _at(week()[0], 9, 0)
    _data(prices, "2022-05-31")
    draft = store.create_deployment("alice", "spread", "draft", _spec())
    deployment = store.update_deployment("alice", draft.id, expected_version=1, status="active")

    checks: dict[date, dict[str, Any]] = {}
    for day in week():
        previous = trading_sessions("XNYS", day - timedelta(days=7), day - timedelta(days=1))
        refreshed = previous.index[-3 if day == STALE_DAY else -1].date()
        _data(prices, refreshed.isoformat())  # the data refresh before the open
        rolls_due = _band_says_roll(deployment, store, day)
        for hour, minute in ((15, 44), (15, 45), (15, 50)):  # the rebalance fires at 15:45 too
            clock.now = _at(day, hour, minute)
            store.submit_job(SYSTEM_OWNER, FIRE_DUE_KIND, {"tick": clock.now.isoformat()})
            _run_everything(store, settings)
            if (hour, minute) == (15, 44):  # before its time: no check submitted
                assert submit_hedge_checks(store, clock.now, settings).jobs == []
        _data(prices, day.isoformat())  # the close arrives: working orders fill
        clock.now = _at(day, 16, 30)
        _run_everything(store, settings)
        jobs = [j for j in store.list_jobs("alice", limit=200) if j.kind == HEDGE_KIND]
        today = [j for j in jobs if _session(j) == day]
        checks[day] = {"rolls_due": rolls_due, "jobs": today}

    # each rebalance day holds its hedge run and the day's check: one of them traded the
    # session (the first bought the spread), the other was skipped
    for day in (week()[0], REBALANCED):
        results = [_result(store, j) for j in checks[day]["jobs"]]
        assert sorted(bool(j.request.get("check")) for j in checks[day]["jobs"]) == [False, True]
        skipped = [r for r in results if r["outcome"] == "skipped"]
        assert len(skipped) == 1 and "one hedge run trades a session" in skipped[0]["reason"]
    first = [r for r in (_result(store, j) for j in checks[week()[0]]["jobs"]) if r["plan"]]
    assert [r["plan"]["action"] for r in first] == ["buy"]
    # the stale day: the check failed saying where the data ends
    [stale] = checks[STALE_DAY]["jobs"]
    assert stale.status == "failed" and "market data" in (stale.error or "")

    # between the rebalances every check did what the band rule says; some rolled
    rolled = []
    for day in week()[1:]:
        if day in (STALE_DAY, REBALANCED):
            continue
        [check] = [j for j in checks[day]["jobs"] if j.request.get("check")]
        result = _result(store, check)
        assert result["plan"]["action"] == ("roll" if checks[day]["rolls_due"] else "hold"), (
            day,
            result["plan"],
        )
        if result["plan"]["action"] == "roll":
            assert result["outcome"] == "filled"
            rolled.append(day)
    assert rolled, "the week holds no move outside the band: pick another week"
    # every fill of the hedge's ledger belongs to one run per session
    runs_a_day: dict[date, set[str]] = {}
    for entry in store.ledger("alice", hedge_account(deployment)):
        if entry.order_id:
            day = entry.time.astimezone(NEW_YORK).date()
            runs_a_day.setdefault(day, set()).add(entry.order_id.rsplit("-", 2)[0])
    assert all(len(runs) == 1 for runs in runs_a_day.values()), runs_a_day

    every_roll = [
        j
        for day in week()
        for j in checks[day]["jobs"]
        if store.get_job(j.owner, j.id).status == "succeeded"
        and (_result(store, j)["plan"] or {}).get("action") == "roll"
    ]
    assert len(every_roll) > len(rolled)  # the second rebalance day's run rolled too
    kinds = [m["X-Stratigos-Notification"] for m in mailbox.messages]
    assert kinds.count("hedge_rolled") == len(every_roll), [m["Subject"] for m in mailbox.messages]
    assert kinds.count("hedge_run_failed") == 1 and set(kinds) == {
        "hedge_rolled",
        "hedge_run_failed",
    }
    failed = next(
        m for m in mailbox.messages if m["X-Stratigos-Notification"] == "hedge_run_failed"
    )
    assert failed["To"] == "pm@example.com" and "daily hedge check failed" in failed["Subject"]
    assert "market data" in _text(failed)
    roll = next(m for m in mailbox.messages if m["X-Stratigos-Notification"] == "hedge_rolled")
    assert "option hedge on AAPL rolled" in roll["Subject"]
    body = _text(roll)
    assert "By:" in body and "the daily hedge check" in body and "Why:" in body


def _session(job: Any) -> date:
    return datetime.fromisoformat(job.request["fire"]).astimezone(NEW_YORK).date()


def _result(store: Store, job: Any) -> dict[str, Any]:
    current = store.get_job(job.owner, job.id)
    assert current.status == "succeeded", (current.status, current.error)
    payload: dict[str, Any] = store.get_result(job.owner, job.id).payload
    return payload


def test_the_check_time_is_15_45_new_york_on_sessions_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    friday = date(2022, 6, 10)
    assert check_time("XNYS", _at(friday, 15, 44), settings) is None
    assert check_time("XNYS", _at(friday, 15, 45), settings) == _at(friday, 15, 45)
    assert check_time("XNYS", _at(friday, 16, 0), settings) is None  # closed: not made up
    assert check_time("XNYS", _at(date(2022, 6, 11), 15, 45), settings) is None  # Saturday
    assert check_time("XNYS", _at(date(2022, 7, 4), 15, 45), settings) is None  # a holiday
    half = date(2022, 11, 25)  # the day after Thanksgiving closes at 13:00
    assert check_time("XNYS", _at(half, 12, 50), settings) == _at(half, 12, 45)


def _text(message: Message) -> str:
    """A plain-text email's body."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_check_whose_orders_never_fill_tells_the_owner_at_its_last_attempt(
    store: Store, clock: FakeClock, tmp_path: Path, inbox: tuple[_Inbox, int]
) -> None:
    """The close its orders fill at never comes (the data stops the day before): the last
    attempt fails the job, and the owner hears of it once, with the reason."""
    mailbox, port = inbox
    prices = tmp_path / "closes.csv"
    settings = Settings(
        data_dir=tmp_path,
        market_data=str(prices),
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1", port=port)),
    )
    clock.now = _at(week()[0], 9, 0)
    draft = store.create_deployment("alice", "spread", "draft", _spec())
    deployment = store.update_deployment("alice", draft.id, expected_version=1, status="active")
    _data(prices, week()[0].isoformat())  # the first rebalance buys the spread
    clock.now = _at(week()[0], 16, 30)
    store.submit_job(SYSTEM_OWNER, FIRE_DUE_KIND, {"tick": clock.now.isoformat()})
    _run_everything(store, settings)
    mailbox.messages.clear()
    _data(prices, "2022-06-02")  # 3 June's band roll plans on 2 June's close; 3 June's never comes
    clock.now = _at(date(2022, 6, 3), 15, 50)
    fire = _at(date(2022, 6, 3), 15, 45)
    request = {"deployment_id": deployment.id, "fire": fire.isoformat(), "check": True}
    job, _ = store.submit_job("alice", HEDGE_KIND, request)
    runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,), max_attempts=2)
    while runner.run_once() is not None:
        pass
    failed = store.get_job("alice", job.id)
    assert failed.status == "failed" and "still working" in (failed.error or "")
    [mail] = mailbox.messages
    assert mail["X-Stratigos-Notification"] == "hedge_run_failed"
    assert "gave up after 2 attempts" in _text(mail)
