"""Hedged deployments on Alpaca, end to end with no mocks: the loopback Alpaca stand-in (a paper
stock broker and a paper options account underneath, whose orders, fills and positions are the
oracle) lists its contracts as Alpaca does (weekly Friday expiries, strikes every 5); the store
is SQLite; rebalance and hedge jobs run through the real job worker with an injected clock.

The strategy is an optimization's winner on AAPL and KO holding a 21-session put, hedged with
AAPL options. Its first rebalance buys the shares, then its hedge job buys listed puts as day
limit orders around the model price; the session before they expire the hedge closes and rolls
them (Alpaca would settle them in shares); the hedging kill switch closes them with market
orders."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from devtools.local_alpaca import LocalAlpaca
from execution.errors import DeploymentStateError
from execution.options import CONTRACT_MULTIPLIER, parse_occ
from store import Deployment, Job, Store
from tests.store.conftest import FakeClock
from tests.support.hedged import put_overlay_winner
from tests.trading.test_alpaca_deployments import (
    CAPITAL,
    PRICES,
    _OnRetry,
    _runner,
    _settings,
    options_stand_in,
    watching_retries,
)
from trading.deployments import change_status, create_deployment
from trading.execution_jobs import HEDGE_KIND
from trading.hedges import hedge_account
from trading.kill_switch import hedge_kill_switch
from trading.scheduling import REBALANCE_KIND, fire_due

FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 in New York, before the close
CLOSE = datetime(2021, 6, 1, 21, 0, tzinfo=UTC)


@pytest.fixture
def alpaca(clock: FakeClock) -> Iterator[LocalAlpaca]:
    """The owner's Alpaca account with options at level 2."""
    stand_in = options_stand_in(2)
    stand_in.advance(clock.now)
    yield stand_in
    stand_in.close()


@pytest.fixture
def on_retry(alpaca: LocalAlpaca) -> Iterator[_OnRetry]:
    with watching_retries(alpaca, CLOSE) as handler:
        yield handler


def _hedged(store: Store, settings: Any, underlying: str = "AAPL") -> Deployment:
    deployment = create_deployment(
        store, "alice", name="hedged on Alpaca", source="optimization", confirm_below_benchmarks=True,
        source_id=put_overlay_winner(store), capital=CAPITAL,
        schedule={"every": "session", "at": "15:45"}, limits={"cash_buffer": 0.02},
        hedge={"underlying": underlying}, broker="alpaca", settings=settings,
    )  # fmt: skip
    return change_status(store, "alice", deployment.id, "active")


def _run(store: Store, clock: FakeClock, settings: Any, kind: str, deployment: Deployment,
         fire: datetime) -> Job:  # fmt: skip
    """The `kind` job of the deployment at `fire`, run (with its retries) a minute later."""
    job, _ = store.submit_job(
        "alice", kind, {"deployment_id": deployment.id, "fire": fire.isoformat()}
    )
    clock.now = fire + timedelta(minutes=1)
    return _until_done(store, settings, job.id)


def _until_done(store: Store, settings: Any, job_id: str) -> Job:
    runner = _runner(store, settings)
    while store.get_job("alice", job_id).status in ("pending", "running"):
        assert runner.run_once() is not None
    return store.get_job("alice", job_id)


def _option_orders(alpaca: LocalAlpaca) -> list[dict[str, Any]]:
    """The option orders the stand-in's options account received, in order."""
    assert alpaca.account.options is not None
    return list(alpaca.account.options.state()["orders"])


def test_a_hedged_alpaca_deployment_buys_listed_puts_and_rolls_them_before_expiry(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _hedged(store, settings)
    alpaca.advance(FIRE)
    rebalance = _run(store, clock, settings, REBALANCE_KIND, deployment, FIRE)
    assert rebalance.status == "succeeded", rebalance.error
    deployment = store.get_deployment("alice", deployment.id)

    # the hedge job the rebalance submitted: its limit order is sent, still working; the retry
    # finds it filled
    on_retry.now = CLOSE + timedelta(days=1)
    hedge_job = _runner(store, settings).results("alice", rebalance.id)["hedge_job"]
    hedge = _until_done(store, settings, hedge_job)
    assert hedge.status == "succeeded", hedge.error
    [event] = [
        e.data for e in store.deployment_events("alice", deployment.id) if e.type == "hedge_run"
    ]
    plan = event["plan"]
    assert (plan["action"], event["outcome"]) == ("buy", "filled")
    [planned] = plan["orders"]
    put = parse_occ(planned["symbol"])
    # a listed contract: a Friday expiry at least 21 sessions out, a strike on the 5 grid
    assert put.kind == "put" and put.expiry.weekday() == 4 and put.strike % 5 == 0
    assert put.expiry >= datetime(2021, 6, 28).date()
    # sized on the sleeve Alpaca holds: floor(ratio x notional / (AAPL x 100)) contracts
    held = alpaca.account.broker.account().positions
    last = PRICES.loc[:"2021-05-28"].iloc[-1]
    notional = sum(q * float(last[s]) for s, q in held.items())
    config = deployment.spec["strategy"]["config"]
    expected = math.floor(
        config["overlay_hedge_ratio"] * notional / (float(last["AAPL"]) * CONTRACT_MULTIPLIER)
    )
    assert planned["contracts"] == expected > 0
    # sent as a day limit order, buy to open, 10% above the model price (rounded up to cents)
    [sent] = [o["request"] for o in _option_orders(alpaca)]
    assert sent["intent"] == "buy_to_open" and sent["symbol"] == put.symbol
    assert sent["limit_price"] == pytest.approx(
        math.ceil(planned["model_price"] * 1.1 * 100 - 1e-9) / 100
    )
    assert alpaca.account.options is not None
    assert alpaca.account.options.option_positions() == {put.symbol: expected}
    # the hedge ledger holds Alpaca's fill
    [trade] = store.ledger("alice", hedge_account(deployment))
    [fill] = alpaca.account.options.fills()
    assert (trade.symbol, trade.quantity, trade.price) == (put.symbol, expected, fill.price)

    # the session before the put expires the hedge closes it and buys the next one
    day_before = datetime.combine(put.expiry - timedelta(days=1), FIRE.timetz())
    alpaca.advance(day_before)
    on_retry.now = datetime.combine(put.expiry, CLOSE.timetz())
    roll = _run(store, clock, settings, HEDGE_KIND, deployment, day_before)
    assert roll.status == "succeeded", roll.error
    events = [
        e.data for e in store.deployment_events("alice", deployment.id) if e.type == "hedge_run"
    ]
    rolled = events[-1]["plan"]
    assert rolled["action"] == "roll"
    assert "settles in shares" in rolled["notes"][0]
    closing, opening = rolled["orders"]
    assert (closing["symbol"], closing["intent"]) == (put.symbol, "sell_to_close")
    assert opening["intent"] == "buy_to_open"
    assert parse_occ(opening["symbol"]).expiry > put.expiry
    positions = alpaca.account.options.option_positions()
    assert positions == {opening["symbol"]: opening["contracts"]}
    # never held to expiry: no settlement at Alpaca, three trades in the ledger
    assert [f.event for f in alpaca.account.options.fills()] == ["trade"] * 3
    assert len(store.ledger("alice", hedge_account(deployment))) == 3

    # the hedging kill switch closes the put at Alpaca with a market order
    clock.now = on_retry.now + timedelta(hours=1)
    alpaca.advance(clock.now)
    report = hedge_kill_switch(store, "alice", settings=settings, sleep=lambda _: None)
    [closed] = report.closed
    assert (closed["symbol"], closed["side"]) == (opening["symbol"], "sell")
    assert _option_orders(alpaca)[-1]["request"]["limit_price"] is None
    alpaca.advance(clock.now + timedelta(days=5))  # past the next session's close
    assert alpaca.account.options.option_positions() == {}


def test_an_underlying_without_listed_options_fails_the_hedge_run_with_the_reason(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _hedged(store, settings, underlying="KO")  # the stand-in lists AAPL only
    alpaca.advance(FIRE)
    rebalance = _run(store, clock, settings, REBALANCE_KIND, deployment, FIRE)
    assert rebalance.status == "succeeded"
    hedge_job = _runner(store, settings).results("alice", rebalance.id)["hedge_job"]
    hedge = _until_done(store, settings, hedge_job)
    assert hedge.status == "failed"
    assert "no hedge plan: no listed KO put expires from" in (hedge.error or "")
    assert _option_orders(alpaca) == []


def _bought(
    store: Store, clock: FakeClock, settings: Any, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> tuple[Deployment, str]:
    """An active hedged deployment after its first fire: its shares and its listed puts bought
    and filled; the put's OCC symbol."""
    deployment = _hedged(store, settings)
    alpaca.advance(FIRE)
    rebalance = _run(store, clock, settings, REBALANCE_KIND, deployment, FIRE)
    on_retry.now = CLOSE + timedelta(days=1)
    hedge_job = _runner(store, settings).results("alice", rebalance.id)["hedge_job"]
    assert _until_done(store, settings, hedge_job).status == "succeeded"
    assert alpaca.account.options is not None
    [put] = alpaca.account.options.option_positions()
    return store.get_deployment("alice", deployment.id), put


def _hedge_runs(store: Store, deployment: Deployment) -> list[dict[str, Any]]:
    events = store.deployment_events("alice", deployment.id)
    return [e.data for e in events if e.type == "hedge_run"]


def test_a_paused_deployment_s_hedge_closes_its_puts_before_expiry_and_buys_nothing(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment, put = _bought(store, clock, settings, alpaca, on_retry)
    paused = change_status(store, "alice", deployment.id, "paused", reason="by hand")
    expiry = parse_occ(put).expiry

    # a fire far from expiry: the scheduler submits the hedge job alone; it holds the puts
    fire = FIRE + timedelta(days=2)
    alpaca.advance(fire)
    clock.now = fire + timedelta(minutes=1)
    report = fire_due(store, clock.now)
    [guard] = report.jobs
    assert (guard.kind, guard.request["fire"]) == (HEDGE_KIND, fire.isoformat())
    assert _until_done(store, settings, guard.id).status == "succeeded"
    held = _hedge_runs(store, paused)[-1]
    assert (held["plan"]["action"], held["plan"]["orders"]) == ("hold", [])
    assert fire_due(store, clock.now).jobs == []  # once per fire

    # the last fire before the window closes: the puts are sold, nothing bought
    day_before = datetime.combine(expiry - timedelta(days=1), FIRE.timetz())
    alpaca.advance(day_before)
    clock.now = day_before + timedelta(minutes=1)
    [guard] = fire_due(store, clock.now).jobs
    on_retry.now = datetime.combine(expiry - timedelta(days=1), CLOSE.timetz())
    assert _until_done(store, settings, guard.id).status == "succeeded"
    closed = _hedge_runs(store, paused)[-1]
    assert closed["plan"]["action"] == "close"
    assert "the deployment is paused: nothing is bought" in closed["plan"]["notes"]
    [order] = closed["plan"]["orders"]
    assert (order["symbol"], order["intent"]) == (put, "sell_to_close")
    assert alpaca.account.options is not None
    assert alpaca.account.options.option_positions() == {}
    assert _option_orders(alpaca)[-1]["request"]["limit_price"] is None  # closed at market
    # and nothing else ran for the paused deployment: no rebalance job since the first
    rebalances = [j for j in store.list_jobs("alice") if j.kind == REBALANCE_KIND]
    assert len(rebalances) == 1


def test_retiring_is_refused_while_the_alpaca_account_holds_options(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment, put = _bought(store, clock, settings, alpaca, on_retry)
    change_status(store, "alice", deployment.id, "paused")
    with pytest.raises(DeploymentStateError) as refused:
        change_status(store, "alice", deployment.id, "retired", settings=settings)
    assert "holds options (+" in str(refused.value) and put in str(refused.value)
    assert "hedge-kill --deployment" in str(refused.value)
    assert store.get_deployment("alice", deployment.id).status == "paused"
    clock.now = CLOSE + timedelta(days=1, hours=1)
    alpaca.advance(clock.now)
    hedge_kill_switch(store, "alice", deployment_id=deployment.id, settings=settings,
                      sleep=lambda _: None)  # fmt: skip
    alpaca.advance(clock.now + timedelta(days=1))  # the closing order fills
    retired = change_status(store, "alice", deployment.id, "retired", settings=settings)
    assert retired.status == "retired"
