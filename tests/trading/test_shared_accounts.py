"""Strategies sharing one paper account, through the job worker on a real SQLite store and the
paper broker over the embedded closes: one netted set of orders per decision time, every fill in
the book of the strategy that asked for it, conflicts crossed inside the account and shown, the
books together equal to the account, the hedge after the account's trades."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from execution.brokers.paper import PaperBroker
from execution.ledger import Book
from jobs.worker import Worker
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.market_data import sp500_prices
from settings import (
    ExecutionSettings,
    JobSettings,
    NotificationSettings,
    Settings,
    SmtpSettings,
)
from store import Deployment, Store
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from trading.accounts.shared import account_run_id
from trading.deployments import shared_account
from trading.execution_jobs import HANDLERS
from trading.ledger import Ledger, book_holdings
from trading.performance import performance
from trading.scheduling import REBALANCE_KIND

OWNER = "alice"
ACCOUNT = "paper-shared-main"
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)
NEXT_FIRE = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)
SCHEDULE = {"every": "session", "at": "15:45", "calendar": "XNYS"}


def _spec(weights: dict[str, float], capital: float) -> dict[str, Any]:
    return {
        "strategy": {"kind": "weights", "weights": weights},
        "universe": sorted(weights),
        "capital": capital,
        "schedule": SCHEDULE,
        "limits": {"cash_buffer": 0.02, "max_turnover": 2.0},
        "account": ACCOUNT,
        "shared_account": True,
    }


@pytest.fixture
def clock() -> FakeClock:
    clock = FakeClock()
    clock.now = FIRE + timedelta(hours=2)  # after the session's close: the orders can fill
    return clock


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Any:
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as opened:
        yield opened


def _worker(store: Store, tmp_path: Path, **settings: Any) -> Worker:
    configured = Settings(
        data_dir=tmp_path,
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1")),
        jobs=JobSettings(ticks=[]),
        **settings,
    )
    return Worker(store, HANDLERS, lease_seconds=30.0, settings=configured)


def _deploy(store: Store, name: str, weights: dict[str, float], capital: float) -> Deployment:
    draft = store.create_deployment(OWNER, name, "draft", _spec(weights, capital))
    return store.update_deployment(OWNER, draft.id, expected_version=1, status="active")


def _fire(
    store: Store, tmp_path: Path, members: list[Deployment], fire: datetime, **settings: Any
) -> list[Any]:
    """Submit each member's rebalance job at `fire` and run them all (the worker's `settings`
    given); their results."""
    jobs = [
        store.submit_job(OWNER, REBALANCE_KIND, {"deployment_id": m.id, "fire": fire.isoformat()})[
            0
        ]
        for m in members
    ]
    worker = _worker(store, tmp_path, **settings)
    for _ in jobs:
        outcome = worker.run_once()
        assert outcome is not None and outcome.status == "succeeded", outcome
    return [store.get_result(OWNER, job.id).payload for job in jobs]


def _book(store: Store, deployment_id: str) -> Book:
    return Ledger(store, OWNER, deployment_id).book


def _check_account(store: Store, members: list[Deployment]) -> None:
    """The members' books together are the paper account; every order's filled quantity is
    what its fills in all the books add up to; a crossing never reached the broker."""
    account = store.get_broker_account(OWNER, ACCOUNT).state
    books = [_book(store, m.id) for m in members]
    held: dict[str, float] = defaultdict(float)
    for fill in account["fills"]:
        held[fill["symbol"]] += fill["quantity"] * (1 if fill["side"] == "buy" else -1)
    together = book_holdings(books)
    assert set(together) == {s for s, q in held.items() if q > 1e-9}
    for symbol, quantity in together.items():
        assert quantity == pytest.approx(held[symbol], abs=1e-6)
    broker = PaperBroker.restore(sp500_prices(), account)
    assert sum(b.cash for b in books) == pytest.approx(broker.account().cash, abs=0.01)
    filled: dict[str, float] = defaultdict(float)
    for m in members:
        for entry in store.ledger(OWNER, m.id):
            if entry.kind == "fill" and entry.order_id:
                filled[entry.order_id] += entry.quantity or 0.0
    orders = store.list_orders(OWNER, deployment_id=ACCOUNT)
    sent = {o["client_order_id"] for o in account["orders"]}
    for order in orders:
        assert order.filled_quantity == pytest.approx(filled[order.client_order_id], abs=1e-9)
        assert (order.internal_price is None) == (order.client_order_id in sent)


def _weights(store: Store, member: Deployment, day: str) -> dict[str, float]:
    """The member's book valued at `day`'s closes, as weights of its own equity."""
    book = _book(store, member.id)
    prices: dict[Any, float] = sp500_prices().loc[pd.Timestamp(day)].to_dict()
    values = {s: q * float(prices[s]) for s, q in book.holdings().items()}
    equity = book.cash + sum(values.values())
    return {s: v / equity for s, v in values.items()}


def test_two_strategies_trade_one_netted_set_of_orders_and_keep_their_own_books(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    a = _deploy(store, "growth", {"AAPL": 0.5, "KO": 0.45}, 60_000.0)
    b = _deploy(store, "value", {"KO": 0.2, "XOM": 0.75}, 40_000.0)
    results = _fire(store, tmp_path, [a, b], FIRE)
    run = account_run_id(ACCOUNT, FIRE)
    assert {r["outcome"] for r in results} == {"filled"}
    assert all(r["reconciliation"]["matches"] for r in results)
    orders = store.list_orders(OWNER, deployment_id=ACCOUNT)
    assert {o.run_id for o in orders} == {run}
    # one order per symbol at the broker: KO carries both strategies' buys
    assert sorted(o.symbol for o in orders) == ["AAPL", "KO", "XOM"]
    [ko] = [o for o in orders if o.symbol == "KO"]
    assert {x.deployment_id for x in ko.allocations} == {a.id, b.id}
    assert ko.quantity == pytest.approx(sum(x.quantity for x in ko.allocations))
    assert len(store.get_broker_account(OWNER, ACCOUNT).state["orders"]) == 3
    # each strategy holds its own targets (less the cash buffer), valued at the fill's close
    for member, targets in ((a, {"AAPL": 0.5, "KO": 0.45}), (b, {"KO": 0.2, "XOM": 0.75})):
        weights = _weights(store, member, "2021-06-01")
        assert set(weights) == set(targets)
        for symbol, target in targets.items():
            assert weights[symbol] == pytest.approx(target * 0.98, abs=0.005)
        capital = [e for e in store.ledger(OWNER, member.id) if e.kind == "cash_flow"]
        assert [e.amount for e in capital] == [member.spec["capital"]]
    _check_account(store, [a, b])
    # the next decision time: A wants more KO, B sells all of its KO: they cross
    for member, weights in ((a, {"AAPL": 0.25, "KO": 0.7}), (b, {"KO": 0.0, "XOM": 0.95})):
        current = store.get_deployment(OWNER, member.id)
        spec = {**current.spec, "strategy": {"kind": "weights", "weights": weights}}
        store.update_deployment(OWNER, member.id, expected_version=current.version, spec=spec)
    b_ko = _book(store, b.id).holdings()["KO"]
    clock.now = NEXT_FIRE + timedelta(hours=2)
    results = _fire(store, tmp_path, [a, b], NEXT_FIRE)
    assert {r["outcome"] for r in results} == {"filled"}
    run = account_run_id(ACCOUNT, NEXT_FIRE)
    second = [o for o in store.list_orders(OWNER, deployment_id=ACCOUNT) if o.run_id == run]
    crossings = [o for o in second if o.internal_price is not None]
    assert sorted((o.symbol, o.side) for o in crossings) == [("KO", "buy"), ("KO", "sell")]
    assert all(o.status == "filled" and o.quantity == pytest.approx(b_ko) for o in crossings)
    [conflict] = results[0]["account"]["conflicts"]
    assert conflict["symbol"] == "KO" and conflict["sellers"] == {b.id: pytest.approx(b_ko)}
    assert conflict["net_side"] == "buy"
    [net_ko] = [o for o in second if o.symbol == "KO" and o.internal_price is None]
    assert net_ko.quantity == pytest.approx(conflict["net_quantity"])
    assert conflict["buyers"][a.id] == pytest.approx(b_ko + net_ko.quantity)
    assert "KO" not in _book(store, b.id).holdings()
    # both jobs' events: one run_finished per member per decision time, showing the conflict
    for member in (a, b):
        finished = [
            e for e in store.deployment_events(OWNER, member.id) if e.type == "run_finished"
        ]
        assert [e.data["outcome"] for e in finished] == ["filled", "filled"]
        assert finished[-1].data["account"]["conflicts"][0]["symbol"] == "KO"
    _check_account(store, [a, b])
    for member, targets in ((a, {"AAPL": 0.25, "KO": 0.7}), (b, {"XOM": 0.95})):
        weights = _weights(store, member, "2021-06-02")
        for symbol, target in targets.items():
            assert weights[symbol] == pytest.approx(target * 0.98, abs=0.005)


def test_five_strategies_on_one_account_net_and_stay_apart(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    rng = np.random.default_rng(5)
    symbols = ["AAPL", "KO", "XOM", "JNJ", "MSFT", "PG"]
    members = []
    for i in range(5):
        chosen = sorted(rng.choice(symbols, size=3, replace=False).tolist())
        raw = rng.uniform(0.2, 1.0, size=3)
        weights = dict(zip(chosen, (raw / raw.sum() * 0.9).round(4).tolist(), strict=True))
        members.append(_deploy(store, f"s{i}", weights, float(rng.integers(10, 50)) * 1000))
    crossed: dict[datetime, set[str]] = {}
    for fire in (FIRE, NEXT_FIRE):
        clock.now = fire + timedelta(hours=2)
        if fire == NEXT_FIRE:  # each strategy moves to new weights on its own universe
            for member in members:
                current = store.get_deployment(OWNER, member.id)
                raw = rng.uniform(0.2, 1.0, size=3)
                weights = dict(
                    zip(
                        current.spec["universe"],
                        (raw / raw.sum() * 0.9).round(4).tolist(),
                        strict=True,
                    )
                )
                spec = {**current.spec, "strategy": {"kind": "weights", "weights": weights}}
                store.update_deployment(
                    OWNER, member.id, expected_version=current.version, spec=spec
                )
        results = _fire(store, tmp_path, members, fire)
        assert {r["outcome"] for r in results} == {"filled"}
        run = account_run_id(ACCOUNT, fire)
        orders = [o for o in store.list_orders(OWNER, deployment_id=ACCOUNT) if o.run_id == run]
        sent = [o for o in orders if o.internal_price is None]
        assert len({o.symbol for o in sent}) == len(sent)  # one order per symbol at the broker
        crossed[fire] = {o.symbol for o in orders if o.internal_price is not None}
        day = fire.date().isoformat()
        for member in members:
            weights = _weights(store, member, day)
            target = store.get_deployment(OWNER, member.id).spec["strategy"]["weights"]
            for symbol, value in target.items():
                assert weights.get(symbol, 0.0) == pytest.approx(value * 0.98, abs=0.005)
        _check_account(store, members)
    assert crossed[FIRE] == set() and crossed[NEXT_FIRE]  # the new weights conflict somewhere
    events = [e for m in members for e in store.deployment_events(OWNER, m.id)]
    assert sum(e.type == "run_finished" for e in events) == 10


def test_the_account_s_hedge_follows_its_trades_on_its_total_exposure(
    store: Store, tmp_path: Path
) -> None:
    """A hedged strategy and an unhedged one on one account: once the account's trades are done
    the hedge job buys puts on the account's whole stock exposure (more than the hedged
    strategy's own shares would need), and a second hedged strategy is refused."""
    config = StrategyConfig(overlay="put", overlay_strike=0.95, overlay_tenor_days=21)
    hedged_spec = {
        **_spec({"AAPL": 0.5, "KO": 0.5}, 50_000.0),
        "strategy": {"kind": "rule", "config": config.model_dump(mode="json"), "safe_rate": 0.0},
        "hedge": {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()},
    }
    draft = store.create_deployment(OWNER, "hedged", "draft", hedged_spec)
    hedged = store.update_deployment(OWNER, draft.id, expected_version=1, status="active")
    other = _deploy(store, "big", {"AAPL": 0.45, "XOM": 0.5}, 200_000.0)
    results = _fire(store, tmp_path, [hedged, other], FIRE)
    assert {r["hedge_job"] for r in results} == {results[0]["hedge_job"]}  # once per fire
    worker = _worker(store, tmp_path)
    outcome = worker.run_once()
    assert outcome is not None and outcome.status == "succeeded", outcome
    [hedge_run] = [e for e in store.deployment_events(OWNER, hedged.id) if e.type == "hedge_run"]
    [put] = hedge_run.data["plan"]["orders"]
    account = store.get_broker_account(OWNER, ACCOUNT).state
    closes: dict[Any, float] = sp500_prices().loc[pd.Timestamp("2021-06-01")].to_dict()
    positions = PaperBroker.restore(sp500_prices(), account).account().positions
    whole = sum(q * float(closes[s]) for s, q in positions.items())
    own = sum(q * float(closes[s]) for s, q in _book(store, hedged.id).holdings().items())
    per_contract = float(closes["AAPL"]) * 100
    assert put["side"] == "buy" and own // per_contract < put["contracts"] <= whole // per_contract
    with pytest.raises(InputError, match="one hedge per account"):
        shared_account(store, OWNER, "main", "paper", hedged_spec)


def test_books_that_disagree_with_the_account_pause_every_deciding_strategy(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    """Cash the members' books do not know appears in the shared account: the next run's
    reconciliation of the books together fails and pauses both strategies, saying why."""
    a = _deploy(store, "growth", {"AAPL": 0.5, "KO": 0.45}, 60_000.0)
    b = _deploy(store, "value", {"KO": 0.2, "XOM": 0.75}, 40_000.0)
    _fire(store, tmp_path, [a, b], FIRE)
    saved = store.get_broker_account(OWNER, ACCOUNT)
    broker = PaperBroker.restore(sp500_prices(), saved.state)
    broker.deposit(1_000.0, FIRE + timedelta(hours=1))
    store.save_broker_account(OWNER, ACCOUNT, broker.state(), expected_version=saved.version)
    clock.now = NEXT_FIRE + timedelta(hours=2)
    results = _fire(store, tmp_path, [a, b], NEXT_FIRE)
    # the first job ran the account's run: both paused; the second finds its strategy paused
    assert results[0]["reconciliation"]["matches"] is False
    assert results[1]["outcome"] == "skipped" and results[1]["reason"] == "the deployment is paused"
    for member in (a, b):
        assert store.get_deployment(OWNER, member.id).status == "paused"
        [paused] = [
            e
            for e in store.deployment_events(OWNER, member.id)
            if e.type == "status_changed" and e.data.get("to") == "paused"
        ]
        assert paused.data["by"] == "monitor" and "account's ledgers" in paused.data["reason"]
        accounts = [
            e.data
            for e in store.deployment_events(OWNER, member.id)
            if e.type == "run_finished" and "account" in e.data
        ]
        assert accounts[-1]["reconciled"] is False and accounts[-1]["paused"] is True
    cash = results[0]["reconciliation"]
    assert cash["broker_cash"] - cash["ledger_cash"] == pytest.approx(1_000.0, abs=0.01)


def test_each_book_earns_its_own_safe_rate_and_an_account_that_paid_one_stops(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    """Two strategies with their own safe rates (1 % and 5 %) trade three weekly fires: every
    close's interest of each book is its own cash before that close's fills at its own rate (a
    plain recomputation from its ledger), the account is credited their sum, and the books
    still reconcile with it. An account created when a shared account paid its first member's
    rate pays none of its own once opened again."""
    fires = [datetime(2021, 6, d, 19, 45, tzinfo=UTC) for d in (1, 8, 15)]
    members = []
    for name, weights, rate in (("low", {"KO": 0.3}, 0.01), ("high", {"XOM": 0.4}, 0.05)):
        spec = _spec(weights, 50_000.0)
        spec["strategy"] = {"kind": "weights", "weights": weights, "safe_rate": rate}
        draft = store.create_deployment(OWNER, name, "draft", spec)
        members.append(
            store.update_deployment(OWNER, draft.id, expected_version=1, status="active")
        )
    for fire in fires:
        clock.now = fire + timedelta(hours=2)
        results = _fire(store, tmp_path, members, fire)
        assert all(r["reconciliation"]["matches"] for r in results)
    closes = [
        datetime(2021, 6, d, 20, 0, tzinfo=UTC) for d in (1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15)
    ]
    paid = 0.0
    for member, rate in zip(members, (0.01, 0.05), strict=True):
        entries = sorted(store.ledger(OWNER, member.id), key=lambda e: e.time)
        booked = {e.time: e.amount for e in entries if e.note == "interest"}
        expected: dict[datetime, float] = {}
        for close in closes:
            cash = sum(
                (e.amount or 0.0)
                if e.kind == "cash_flow"
                else (e.quantity or 0) * (e.price or 0) * (-1 if e.side == "buy" else 1)
                - (e.fee or 0.0)
                for e in entries
                if e.time < close and e.note != "interest"
            ) + sum(v for t, v in expected.items() if t < close)
            expected[close] = cash * rate / 252
        assert booked == pytest.approx(expected, rel=1e-12)
        paid += sum(expected.values())
    account = store.get_broker_account(OWNER, ACCOUNT)
    assert account.state["settings"]["cash_rate"] == 0.0
    assert sum(f["amount"] for f in account.state["interest"]) == pytest.approx(paid, rel=1e-12)
    for member in members:  # the performance report's replay earns the book's own rate
        parts = performance(store, member, clock.now)["decomposition"]["parts"]
        [interest] = [p for p in parts if p["name"] == "interest"]
        assert interest["share"] == 0.0
    _check_account(store, members)
    # an account saved paying a rate of its own (as shared accounts did) stops paying it
    state = {**account.state, "settings": {**account.state["settings"], "cash_rate": 0.03}}
    store.save_broker_account(OWNER, ACCOUNT, state, expected_version=account.version)
    fire = datetime(2021, 6, 22, 19, 45, tzinfo=UTC)
    clock.now = fire + timedelta(hours=2)
    results = _fire(store, tmp_path, members, fire)
    assert all(r["reconciliation"]["matches"] for r in results)
    assert store.get_broker_account(OWNER, ACCOUNT).state["settings"]["cash_rate"] == 0.0
    _check_account(store, members)


def test_the_paper_commission_setting_is_charged_and_split_by_the_allocations(
    store: Store, tmp_path: Path
) -> None:
    """A shared paper account created under `STRATIGOS_EXECUTION_PAPER_COMMISSION_*`: every
    fill at the broker pays the commission per share and per order, saved with the account,
    and each book holds its allocation's share of it; together they are the account's."""
    a = _deploy(store, "growth", {"AAPL": 0.5, "KO": 0.45}, 60_000.0)
    b = _deploy(store, "value", {"KO": 0.2, "XOM": 0.75}, 40_000.0)
    execution = ExecutionSettings(paper_commission_per_share=0.01, paper_commission_per_order=2.0)
    _fire(store, tmp_path, [a, b], FIRE, execution=execution)
    account = store.get_broker_account(OWNER, ACCOUNT).state
    assert account["settings"]["costs"]["commission_per_order"] == 2.0
    fees = {f["order_id"]: f["fee"] for f in account["fills"]}
    for fill in account["fills"]:
        assert fill["fee"] == pytest.approx(0.01 * fill["quantity"] + 2.0)
    [ko] = [o for o in store.list_orders(OWNER, deployment_id=ACCOUNT) if o.symbol == "KO"]
    for member in (a, b):
        [mine] = [e for e in store.ledger(OWNER, member.id) if e.order_id == ko.client_order_id]
        part = next(x.quantity for x in ko.allocations if x.deployment_id == member.id)
        assert mine.fee == pytest.approx(fees[ko.client_order_id] * part / ko.quantity)
    books = sum(_book(store, m.id).fees for m in (a, b))
    assert books == pytest.approx(sum(fees.values()), abs=1e-9)
    _check_account(store, [a, b])
