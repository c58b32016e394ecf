"""The hedge of strategies sharing the owner's Alpaca account, against the loopback stand-in
(a paper stock broker and a paper options account underneath, listing AAPL contracts as Alpaca
does), through the job worker with an injected clock: once the account's netted trades are
done, its hedged member's hedge job buys listed puts on the account's whole stock exposure, as
on a shared paper account; later decision times leave the options' cash aside, so the members'
books still reconcile with Alpaca. What cannot share the account is refused naming `account`."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devtools.local_alpaca import LocalAlpaca
from execution.options import CONTRACT_MULTIPLIER, parse_occ
from services.errors import InputError
from settings import Settings
from store import Deployment, Store
from tests.store.conftest import FakeClock
from tests.support.hedged import put_overlay_winner
from tests.trading.test_alpaca_deployments import ACCOUNT_CASH, PRICES, _OnRetry
from tests.trading.test_alpaca_deployments import _settings as alpaca_settings
from tests.trading.test_alpaca_hedges import CLOSE, FIRE, _until_done, alpaca, on_retry
from trading.deployments import change_status, create_deployment
from trading.hedges import hedge_account
from trading.ledger import Ledger, book_holdings
from trading.scheduling import REBALANCE_KIND

__all__ = ["alpaca", "on_retry"]  # the options stand-in's fixtures, shared with the hedge tests

FRIDAY = datetime(2021, 6, 4, 19, 45, tzinfo=UTC)
TUESDAY = datetime(2021, 6, 8, 19, 45, tzinfo=UTC)
EVERY_SESSION = {"every": "session", "at": "15:45"}
WEEKLY = {"every": "week", "on": "last", "at": "15:45"}


def _settings(tmp_path: Path, alpaca: LocalAlpaca) -> Settings:
    """The owner's Alpaca settings; no tick (the trading day's jobs are not under test)."""
    return alpaca_settings(tmp_path, alpaca, jobs={"ticks": []})


def _create(
    store: Store, settings: Settings, name: str, schedule: dict[str, str], **source: Any
) -> Deployment:
    """An active deployment of `source` on `schedule` sharing the owner's Alpaca account."""
    created = create_deployment(
        store, "alice", name=name, schedule=schedule, limits={"cash_buffer": 0.02},
        broker="alpaca", account="book", settings=settings, **source,
    )  # fmt: skip
    return change_status(store, "alice", created.id, "active")


def _close(fire: datetime) -> datetime:
    """The close of the fire's session."""
    return datetime.combine(fire.date(), CLOSE.timetz())


def _fire(
    store: Store,
    clock: FakeClock,
    settings: Settings,
    alpaca: LocalAlpaca,
    on_retry: _OnRetry,
    members: list[Deployment],
    fire: datetime,
) -> list[dict[str, Any]]:
    """The deciding `members`' rebalance jobs at `fire`, run (with their retries: the orders
    fill at the session's close) a minute later; their results."""
    alpaca.advance(fire)
    on_retry.now = _close(fire)
    jobs = [
        store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": m.id, "fire": fire.isoformat()}
        )[0]
        for m in members
    ]
    clock.now = fire + timedelta(minutes=1)
    done = [_until_done(store, settings, job.id) for job in jobs]
    assert [job.status for job in done] == ["succeeded"] * len(jobs), [j.error for j in done]
    return [store.get_result("alice", job.id).payload for job in jobs]


def _hedge_runs(store: Store, deployment: Deployment) -> list[dict[str, Any]]:
    events = store.deployment_events("alice", deployment.id)
    return [e.data for e in events if e.type == "hedge_run"]


def _value(holdings: dict[str, float], day: str) -> float:
    last = PRICES.loc[day]
    return sum(q * float(last[s]) for s, q in holdings.items())


def test_the_shared_alpaca_account_s_hedge_follows_its_trades_on_its_total_exposure(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    """A pair trading every session and a hedged strategy on the last session of each week:
    the pair trades alone first (no hedge before its deployment's account opened); on Friday
    both trade and the hedge buys puts on the whole account; on Tuesday the pair trades alone
    again, the premium left aside, and the hedge holds."""
    settings = _settings(tmp_path, alpaca)
    weights = [{"asset": "AAPL", "weight": 0.45}, {"asset": "KO", "weight": 0.5}]
    portfolio = store.create_portfolio("alice", "pair", {"weights": weights})
    pair = _create(store, settings, "pair", EVERY_SESSION, source="portfolio",
                   source_id=portfolio.id, capital=35_000.0)  # fmt: skip
    winner = put_overlay_winner(store)
    hedged = _create(
        store, settings, "hedged", WEEKLY, source="optimization", confirm_below_benchmarks=True, source_id=winner,
        capital=40_000.0, hedge={"underlying": "AAPL"},
    )  # fmt: skip
    with pytest.raises(InputError, match="one hedge per account") as refused:
        _create(
            store, settings, "second hedge", WEEKLY, source="optimization", confirm_below_benchmarks=True, source_id=winner,
            capital=1_000.0, hedge={"underlying": "AAPL"},
        )  # fmt: skip
    assert refused.value.field == "account"

    [alone] = _fire(store, clock, settings, alpaca, on_retry, [pair], FIRE)
    assert alone["outcome"] == "filled" and "hedge_job" not in alone
    results = _fire(store, clock, settings, alpaca, on_retry, [pair, hedged], FRIDAY)
    assert {r["outcome"] for r in results} == {"filled"}
    assert all(r["reconciliation"]["matches"] for r in results)
    assert {r["hedge_job"] for r in results} == {results[0]["hedge_job"]}  # once per fire
    # the hedge job, once the account's trades are done: its limit order fills at the next close
    on_retry.now = _close(TUESDAY) - timedelta(days=1)
    hedge = _until_done(store, settings, results[0]["hedge_job"])
    assert hedge.status == "succeeded", hedge.error
    [run] = _hedge_runs(store, hedged)
    assert (run["plan"]["action"], run["outcome"]) == ("buy", "filled")
    [planned] = run["plan"]["orders"]
    put = parse_occ(planned["symbol"])
    assert put.kind == "put" and planned["intent"] == "buy_to_open"
    # sized on every member's shares at Alpaca, not on the hedged member's own
    known = "2021-06-03"  # the last close known at Friday's fire
    ratio = hedged.spec["strategy"]["config"]["overlay_hedge_ratio"]
    per_contract = float(PRICES.loc[known, "AAPL"]) * CONTRACT_MULTIPLIER
    whole = _value(alpaca.account.broker.account().positions, known)
    own = _value(Ledger(store, "alice", hedged.id).book.holdings(), known)
    contracts = math.floor(ratio * whole / per_contract)
    assert planned["contracts"] == contracts > math.floor(ratio * own / per_contract)
    assert alpaca.account.options is not None
    assert alpaca.account.options.option_positions() == {put.symbol: contracts}
    [trade] = store.ledger("alice", hedge_account(hedged))
    [fill] = alpaca.account.options.fills()
    assert (trade.symbol, trade.quantity, trade.price) == (put.symbol, contracts, fill.price)

    # Tuesday: the pair alone; the premium paid is the hedge's cash, left aside by the account's
    # run, so the members' books still reconcile with Alpaca's cash and shares
    [result] = _fire(store, clock, settings, alpaca, on_retry, [pair], TUESDAY)
    assert result["outcome"] in ("filled", "no_trades"), result
    assert result["reconciliation"]["matches"], result
    members = [store.get_deployment("alice", m.id) for m in (pair, hedged)]
    assert {m.status for m in members} == {"active"}
    books = [Ledger(store, "alice", m.id).book for m in members]
    shares = alpaca.account.broker.account().positions
    for symbol, quantity in book_holdings(books).items():
        assert quantity == pytest.approx(shares[symbol], abs=1e-6)
    outside = ACCOUNT_CASH - 40_000.0 - 35_000.0
    premium = sum(f.cash_change for f in alpaca.account.options.fills())
    cash = float(alpaca.account.account()["cash"])  # Alpaca's one balance, options included
    assert premium < 0
    assert sum(b.cash for b in books) + outside + premium == pytest.approx(cash, abs=0.01)
    # and the hedge follows the pair's trades too: it holds its puts
    hedge = _until_done(store, settings, result["hedge_job"])
    assert hedge.status == "succeeded", hedge.error
    assert _hedge_runs(store, hedged)[-1]["plan"]["action"] == "hold"


def test_another_calendar_or_a_bad_name_cannot_share_the_alpaca_account(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    weights = [{"asset": "KO", "weight": 1.0}]
    portfolio = store.create_portfolio("alice", "ko", {"weights": weights})
    _create(store, settings, "new york", EVERY_SESSION, source="portfolio",
            source_id=portfolio.id, capital=10_000.0)  # fmt: skip
    with pytest.raises(InputError) as refused:
        create_deployment(
            store, "alice", name="london", source="portfolio", source_id=portfolio.id,
            capital=10_000.0, schedule={**EVERY_SESSION, "calendar": "XLON"}, broker="alpaca",
            account="book", settings=settings,
        )  # fmt: skip
    assert refused.value.field == "account"
    assert "trade on the XNYS calendar and this one's schedule.calendar is XLON" in str(
        refused.value
    )
    assert "decide and trade together at each decision time" in str(refused.value)
    asked = len(alpaca.requests)
    with pytest.raises(InputError, match="lowercase letters") as named:
        create_deployment(
            store, "alice", name="bad name", source="portfolio", source_id=portfolio.id,
            capital=10_000.0, broker="alpaca", account="Main Book", settings=settings,
        )  # fmt: skip
    assert named.value.field == "account" and len(alpaca.requests) == asked  # before Alpaca
