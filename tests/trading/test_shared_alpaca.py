"""Strategies sharing the owner's Alpaca account, against the loopback stand-in (a paper broker
underneath whose orders and fills are the oracle), through the job worker: one netted set of
orders per decision time sent to Alpaca, each member's capital carved out of the account's cash,
every fill in the book of the strategy that asked for it, the books together equal to what
Alpaca holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.paper import PaperBroker
from services.errors import InputError
from settings import Settings
from store import Deployment, Store
from tests.store.conftest import FakeClock
from tests.trading.test_alpaca_deployments import (
    ACCOUNT_CASH,
    AFTER_THE_CLOSE,
    FIRE,
    OPENED,
    ORDERS,
    PRICES,
    SECRET,
    _OnRetry,
    _runner,
    _settings,
    alpaca,
    on_retry,
)
from trading.deployments import change_status, create_deployment
from trading.kill_switch import kill_switch
from trading.ledger import Ledger, book_holdings
from trading.scheduling import REBALANCE_KIND

__all__ = ["alpaca", "on_retry"]  # the stand-in's fixtures, shared with the Alpaca tests


def _deploy(
    store: Store, settings: Settings, name: str, weights: dict[str, float], capital: float
) -> Deployment:
    portfolio = store.create_portfolio(
        "alice", name, {"weights": [{"asset": a, "weight": w} for a, w in weights.items()]}
    )
    created = create_deployment(
        store, "alice", name=name, source="portfolio", source_id=portfolio.id,
        capital=capital, schedule={"every": "session", "at": "15:45"},
        limits={"cash_buffer": 0.02}, broker="alpaca", account="alpaca-book",
        settings=settings,
    )  # fmt: skip
    return change_status(store, "alice", created.id, "active")


def _run_fire(
    store: Store, clock: FakeClock, settings: Settings, members: list[Deployment]
) -> list[dict[str, Any]]:
    jobs = [
        store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": m.id, "fire": FIRE.isoformat()}
        )[0]
        for m in members
    ]
    clock.now = FIRE + timedelta(minutes=1)
    runner = _runner(store, settings)
    for _ in jobs:
        runner.run_once()
    for job in jobs:
        assert store.get_job("alice", job.id).status == "succeeded", store.get_job("alice", job.id)
    return [runner.results("alice", job.id) for job in jobs]


def _check(
    store: Store, alpaca: LocalAlpaca, members: list[Deployment], capitals: list[float]
) -> None:
    """Alpaca's shares are the members' books together; its cash is their cash plus what
    stays outside them; each member's ledger starts with its own capital."""
    at_alpaca = alpaca.account.broker.account()
    books = [Ledger(store, "alice", m.id).book for m in members]
    together = book_holdings(books)
    assert set(together) == set(at_alpaca.positions)
    for symbol, quantity in together.items():
        assert quantity == pytest.approx(at_alpaca.positions[symbol], abs=1e-6)
    outside = ACCOUNT_CASH - sum(capitals)
    assert sum(b.cash for b in books) + outside == pytest.approx(at_alpaca.cash, abs=0.01)
    for member, capital in zip(members, capitals, strict=True):
        first = store.ledger("alice", member.id)[0]
        assert (first.entry_id, first.amount) == ("capital", capital)
        opening = store.get_deployment("alice", member.id).spec["account_opening"]
        assert opening["at"] == FIRE.isoformat()


@pytest.mark.parametrize("count", [2, 5])
def test_strategies_share_the_alpaca_account_and_send_one_order_per_symbol(
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    alpaca: LocalAlpaca,
    on_retry: _OnRetry,
    count: int,
) -> None:
    settings = _settings(tmp_path, alpaca)
    rng = np.random.default_rng(count)
    symbols = ["AAPL", "KO", "XOM", "JNJ"]
    members, capitals = [], []
    for i in range(count):
        chosen = sorted(rng.choice(symbols, size=2, replace=False).tolist())
        raw = rng.uniform(0.2, 1.0, size=2)
        weights = dict(zip(chosen, (raw / raw.sum()).round(4).tolist(), strict=True))
        weights[chosen[-1]] = round(1.0 - weights[chosen[0]], 4)
        capital = ACCOUNT_CASH * 0.9 / count
        members.append(_deploy(store, settings, f"s{i}", weights, capital))
        capitals.append(capital)
    alpaca.advance(FIRE)
    results = _run_fire(store, clock, settings, members)
    assert {r["outcome"] for r in results} == {"filled"}
    assert all(r["reconciliation"]["matches"] for r in results)
    assert on_retry.retries >= 1  # the orders were still working at Alpaca on the first attempt
    wanted: dict[str, int] = defaultdict(int)
    for member in members:
        for symbol in member.spec["universe"]:
            wanted[symbol] += 1
    posted = sum(1 for request in alpaca.requests if request == ORDERS)
    placed = alpaca.account.broker.state()["orders"]
    assert posted == len(placed) == len(wanted)  # one order per symbol, whoever wanted it
    assert len({o["symbol"] for o in placed}) == len(placed)
    _check(store, alpaca, members, capitals)
    alpaca.advance(AFTER_THE_CLOSE)


def test_a_shared_alpaca_account_refuses_a_deployment_that_trades_it_alone(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    _deploy(store, settings, "first", {"KO": 0.5, "XOM": 0.5}, 20_000.0)
    portfolio = store.create_portfolio(
        "alice", "alone", {"weights": [{"asset": "KO", "weight": 1.0}]}
    )
    with pytest.raises(InputError, match="already traded by deployment") as refused:
        create_deployment(
            store, "alice", name="alone", source="portfolio", source_id=portfolio.id,
            capital=10_000.0, broker="alpaca", settings=settings,
        )  # fmt: skip
    assert refused.value.field == "broker"


def test_another_owner_cannot_share_an_alpaca_account_and_learns_nothing_of_its_holder(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    """The same Alpaca keys configured for bob: his deployment naming an account as alice's
    does is refused (an Alpaca account is one, whoever holds its keys), and the refusal says
    "another owner's deployment", never which."""
    first = _deploy(store, _settings(tmp_path, alpaca), "first", {"KO": 0.5, "XOM": 0.5}, 20_000.0)
    bobs = _settings(tmp_path, alpaca, alpaca={"owner": "bob"})
    portfolio = store.create_portfolio(
        "bob", "first", {"weights": [{"asset": "KO", "weight": 1.0}]}
    )
    with pytest.raises(InputError, match="already traded by another owner's deployment") as refused:
        create_deployment(
            store, "bob", name="first", source="portfolio", source_id=portfolio.id,
            capital=10_000.0, broker="alpaca", account="alpaca-book", settings=bobs,
        )  # fmt: skip
    assert refused.value.field == "broker"
    assert first.id not in str(refused.value) and "alice" not in str(refused.value)


def test_the_kill_switch_records_a_shared_account_s_partial_fills_in_each_strategy_s_book(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    """The account's orders half filled at Alpaca (each fills at most half its shares a close)
    and not yet synced when the kill switch is pulled: each is canceled at Alpaca with its
    filled half recorded in one write, every fill split over the books of the strategies that
    asked for it, pro rata to their parts; the books together are what Alpaca holds."""
    paper = PaperBroker(PRICES, fractional=True, max_fill_fraction=0.5)
    paper.deposit(ACCOUNT_CASH, OPENED)
    with LocalAlpaca(paper, key_id="AKALICE", secret_key=SECRET) as alpaca:
        alpaca.advance(clock.now)
        settings = _settings(tmp_path, alpaca, jobs={"ticks": []})
        a = _deploy(store, settings, "a", {"AAPL": 0.5, "KO": 0.45}, 40_000.0)
        b = _deploy(store, settings, "b", {"KO": 0.2, "XOM": 0.75}, 30_000.0)
        alpaca.advance(FIRE)
        first, _ = store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": a.id, "fire": FIRE.isoformat()}
        )
        pending, _ = store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": b.id, "fire": FIRE.isoformat()}
        )
        clock.now = FIRE + timedelta(minutes=1)
        _runner(store, settings, max_attempts=1).run_once()  # the account's run sends its orders
        assert store.get_job("alice", first.id).status == "failed"  # they were still working
        alpaca.advance(AFTER_THE_CLOSE)  # half of each filled at Alpaca; the store has them sent
        placed = alpaca.account.broker.state()["orders"]
        assert [o["status"] for o in placed] == ["partially_filled"] * 3
        account = a.spec["account"]
        assert {o.status for o in store.open_orders("alice", account)} == {"submitted"}

        report = kill_switch(store, "alice", account=account, settings=settings)
        assert sorted(report.paused) == sorted([a.id, b.id]) and report.failures == []
        assert report.cancelled_jobs == [pending.id]
        assert [o["status"] for o in alpaca.account.broker.state()["orders"]] == ["canceled"] * 3
        orders = store.list_orders("alice", deployment_id=account)
        assert len(orders) == 3 and store.open_orders("alice", account) == []
        books = {m.id: store.ledger("alice", m.id) for m in (a, b)}
        for order in orders:
            assert order.status == "canceled"
            assert order.filled_quantity == pytest.approx(order.quantity / 2, abs=1e-6)
            parts = {x.deployment_id: x.quantity for x in order.allocations}
            for member, part in parts.items():
                slices = [e for e in books[member] if e.order_id == order.client_order_id]
                assert slices and all(e.entry_id.endswith(f":{member}") for e in slices)
                share = part / order.quantity * order.filled_quantity
                assert sum(e.quantity or 0.0 for e in slices) == pytest.approx(share, abs=1e-6)
            in_books = [e for m in parts for e in books[m] if e.order_id == order.client_order_id]
            assert sum(e.quantity or 0.0 for e in in_books) == pytest.approx(
                order.filled_quantity, abs=1e-9
            )
        [ko] = [o for o in orders if o.symbol == "KO"]
        assert {x.deployment_id for x in ko.allocations} == {a.id, b.id}  # split over both
        _check(store, alpaca, [a, b], [40_000.0, 30_000.0])
