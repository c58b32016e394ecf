"""Deployments on market data that is kept current: Alpaca Market Data read from the loopback
Alpaca stand-in, refreshed by the scheduler's job, with an injected clock in 2026. A paper
deployment's fire trades that day's session; a run during a session decides on the price at
the fire (a provisional last row from the latest trades) or says it decided on the last close;
stale prices refuse the run with the reason in its outcome and its notification."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from devtools.local_alpaca import LocalAlpaca
from execution.deployment import DeploymentLimits
from execution.rebalance import decide_rebalance
from jobs.job_runner import JobRunner
from jobs.worker import SYSTEM_OWNER
from services.market_data import market_closes
from settings import Settings, get_settings
from store import Deployment, Store
from tests.store.conftest import FakeClock
from tests.support.market import alpaca_data, synthetic_closes, use_alpaca_data
from tests.support.smtp import smtp_controller
from tests.trading.test_alpaca_deployments import watching_retries
from trading.deployment_views import market_data_of
from trading.deployments import change_status, create_deployment, deployed_strategy
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND
from trading.tick_jobs import FIRE_DUE_KIND

SYMBOLS = ["AAA", "BBB"]
SPEC = {
    "strategy": {"kind": "weights", "weights": {"AAA": 0.5, "BBB": 0.45}},
    "universe": SYMBOLS,
    "capital": 50_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
    "notifications": {"destinations": [{"channel": "email", "address": "alice@example.com"}]},
}
TUESDAY_EVENING = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
FIRE = datetime(2026, 3, 11, 19, 45, tzinfo=UTC)  # Wednesday 15:45 in New York
AFTER_THE_CLOSE = datetime(2026, 3, 11, 20, 5, tzinfo=UTC)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def closes() -> pd.DataFrame:
    return synthetic_closes(SYMBOLS, date(2025, 1, 2), date(2026, 3, 13), seed=11)


@pytest.fixture
def stand_in(closes: pd.DataFrame) -> Iterator[LocalAlpaca]:
    with alpaca_data(closes, cash=80_000.0) as local:
        yield local


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    mailbox = _Inbox()
    with smtp_controller(mailbox) as controller:
        yield mailbox, controller.port


@pytest.fixture
def settings(
    stand_in: LocalAlpaca,
    tmp_path: Path,
    inbox: tuple[_Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Settings]:
    yield use_alpaca_data(
        monkeypatch,
        stand_in,
        tmp_path,
        symbols=SYMBOLS,
        start=date(2025, 1, 2),
        STRATIGOS_NOTIFICATIONS_SMTP_HOST="127.0.0.1",
        STRATIGOS_NOTIFICATIONS_SMTP_PORT=str(inbox[1]),
    )
    get_settings.cache_clear()


def _runner(store: Store, settings: Settings) -> JobRunner:
    return JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))


def _tick(store: Store, settings: Settings, stand_in: LocalAlpaca, clock: FakeClock) -> Any:
    """The scheduler's tick at the clock's time, and every job it submitted, run; its result."""
    stand_in.advance(clock.now)
    tick, _ = store.submit_job(SYSTEM_OWNER, FIRE_DUE_KIND, {"tick": clock.now.isoformat()})
    runner = _runner(store, settings)
    while runner.run_once() is not None:
        pass
    return runner.results(SYSTEM_OWNER, tick.id)


def _activated(store: Store) -> Deployment:
    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    return store.update_deployment("alice", draft.id, expected_version=1, status="active")


def test_a_paper_deployment_on_alpaca_data_trades_today_s_session(
    store: Store, clock: FakeClock, settings: Settings, stand_in: LocalAlpaca, closes: pd.DataFrame
) -> None:
    clock.now = TUESDAY_EVENING
    first = _tick(store, settings, stand_in, clock)  # no data yet: the tick refreshes it
    assert first["market_data"]["created"] is True
    assert market_closes(settings).index[-1] == pd.Timestamp("2026-03-10")
    deployment = _activated(store)
    clock.now = FIRE + timedelta(minutes=1)  # the data holds the last closed session: no refresh
    during = _tick(store, settings, stand_in, clock)
    assert during["market_data"]["refresh"] is None and during["submitted"] == []
    clock.now = AFTER_THE_CLOSE  # the day's bar is refreshed in, then the fire is due
    assert _tick(store, settings, stand_in, clock)["market_data"]["created"] is True
    clock.now += timedelta(minutes=1)
    [job_id] = _tick(store, settings, stand_in, clock)["submitted"]
    job = store.get_job("alice", job_id)
    assert (job.kind, job.status, job.request["fire"]) == (
        REBALANCE_KIND,
        "succeeded",
        FIRE.isoformat(),
    )
    result = _runner(store, settings).results("alice", job_id)
    assert result["outcome"] == "filled"
    # the paper account fills at Wednesday's close, and the run decides on it, as a forward test
    assert result["notes"][0] == (
        "decided on the close of 2026-03-11 as the price at the fire: the paper account fills at "
        "that close, as a forward test does"
    )
    assert result["data"]["provider"] == "alpaca" and result["data"]["data_end"] == "2026-03-11"
    assert result["data"]["end"] == "2026-03-11"  # what the decision used
    shown = market_data_of(store.get_deployment("alice", deployment.id))
    assert (shown["provider"], shown["data_end"]) == ("alpaca", "2026-03-11")
    for entry in store.ledger("alice", deployment.id)[1:]:  # filled at Wednesday's close
        assert entry.time == AFTER_THE_CLOSE.replace(minute=0)
        assert entry.price == pytest.approx(closes.loc["2026-03-11", entry.symbol], rel=1e-3)


def test_an_alpaca_run_during_the_session_decides_on_the_price_at_the_fire(
    store: Store, clock: FakeClock, settings: Settings, stand_in: LocalAlpaca, closes: pd.DataFrame
) -> None:
    clock.now = TUESDAY_EVENING
    _tick(store, settings, stand_in, clock)
    portfolio = store.create_portfolio(
        "alice",
        "pair",
        {"weights": [{"asset": "AAA", "weight": 0.5}, {"asset": "BBB", "weight": 0.45}]},
    )
    deployment = change_status(
        store,
        "alice",
        create_deployment(
            store, "alice", name="pair on Alpaca", source="portfolio", source_id=portfolio.id,
            capital=50_000.0, schedule={"every": "session", "at": "15:45"},
            limits={"cash_buffer": 0.02}, broker="alpaca", settings=settings,
        ).id,
        "active",
    )  # fmt: skip
    assert stand_in.market is not None
    wednesday = closes.loc["2026-03-11"]  # the prices at 15:45, a little above the close
    prices = {"AAA": round(wednesday["AAA"] * 1.004, 2), "BBB": round(wednesday["BBB"] * 1.002, 2)}
    for symbol, price in prices.items():
        stand_in.market.trade(symbol, price, FIRE - timedelta(seconds=30))
    job, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    clock.now = FIRE + timedelta(minutes=1)  # the run starts at its fire
    stand_in.advance(clock.now)
    with watching_retries(stand_in, AFTER_THE_CLOSE):  # Alpaca fills the orders meanwhile
        _runner(store, settings).run_once()
    result = _runner(store, settings).results("alice", job.id)
    assert result["outcome"] == "filled"
    assert result["notes"][0] == (
        "decided on the closes through 2026-03-10 and, for the session of 2026-03-11, the "
        "prices at 2026-03-11T19:45:00+00:00 (provisional)"
    )
    assert result["data"]["end"] == "2026-03-11" and result["data"]["data_end"] == "2026-03-10"
    row = pd.DataFrame([prices], index=pd.DatetimeIndex([pd.Timestamp("2026-03-11")]))
    expected = decide_rebalance(
        deployed_strategy(store.get_deployment("alice", deployment.id).spec),
        pd.concat([closes.loc[:"2026-03-10", SYMBOLS], row]),
        {},
        50_000.0,
        DeploymentLimits.model_validate({"cash_buffer": 0.02}),
        fractional=True,
    )
    orders = store.list_orders("alice", deployment_id=deployment.id)
    assert [(o.symbol, o.side, o.quantity) for o in orders] == [
        (o.symbol, o.side, o.quantity) for o in expected.plan.orders
    ]
    on_the_close = decide_rebalance(
        deployed_strategy(store.get_deployment("alice", deployment.id).spec),
        closes.loc[:"2026-03-10", SYMBOLS],
        {},
        50_000.0,
        DeploymentLimits.model_validate({"cash_buffer": 0.02}),
        fractional=True,
    )
    assert [o.quantity for o in orders] != [o.quantity for o in on_the_close.plan.orders]


def test_stale_prices_refuse_the_run_saying_why_in_its_outcome_and_notification(
    store: Store,
    clock: FakeClock,
    settings: Settings,
    stand_in: LocalAlpaca,
    inbox: tuple[_Inbox, int],
) -> None:
    clock.now = TUESDAY_EVENING
    _tick(store, settings, stand_in, clock)
    deployment = _activated(store)
    stand_in.fail_next(20, 503, request=("GET", "/v2/stocks/bars"))  # Alpaca is down for days
    friday = datetime(2026, 3, 13, 19, 45, tzinfo=UTC)
    clock.now = friday + timedelta(minutes=1)
    tick = _tick(store, settings, stand_in, clock)  # stale data: the fire is due on the clock
    [job_id] = tick["submitted"]
    failed = store.get_job("alice", job_id)
    assert failed.status == "failed" and failed.request["fire"] == friday.isoformat()
    refresh = store.get_job(SYSTEM_OWNER, tick["market_data"]["refresh"])
    assert refresh.status == "failed" and "answered 503 (read daily bars)" in (refresh.error or "")
    reason = (
        "the market data ends on 2026-03-10 (alpaca), 2 sessions before 2026-03-12, the last "
        "session closed before 2026-03-13T19:45:00+00:00, whose close prices the decision: the "
        "prices are stale and the deployment does not trade on them"
    )
    assert reason in (failed.error or "")
    [event] = [
        e for e in store.deployment_events("alice", deployment.id) if e.type == "run_finished"
    ]
    assert event.data["outcome"] == "failed" and reason in event.data["reason"]
    assert store.list_orders("alice", deployment_id=deployment.id) == []
    mailbox, _ = inbox
    [mail] = mailbox.messages
    body = mail.get_payload(decode=True) if not mail.is_multipart() else None
    text = (body or b"").decode() if body is not None else mail.as_string()
    assert "the prices are stale" in text
