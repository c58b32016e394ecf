"""The order queue's contract, the same for every broker and instrument kind (the paper stock
account, the paper options account, and the Alpaca stand-in's shares and options): after a sync,
every order's filled quantity is what its trades in the ledger add up to, an order that never
reached the broker (queued, dead) or that the broker refused (rejected) has none, a filled one
all of its quantity, and every trade in the ledger belongs to an order of the account's queue. Random runs through `trading.queue.trade_run`: random orders (buys, and
sells of what is held; options opened and closed in whole contracts), partial fills, a broker
that fails at random (retries, dead letters, the rest of the run canceled), runs whose orders
have not filled yet when the next one starts, options settling at expiry."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.base import Broker, BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerUnavailableError
from execution.ledger import CashFlow
from execution.options import OptionContract, PositionIntent
from quant.data import sp500_prices
from store import Deployment, NewOrder, Store
from tests.support.calendars import exchange_calendar
from trading.accounts.alpaca import AlpacaOptionsAccount
from trading.ledger import Ledger
from trading.queue import (
    QUANTITY_TOLERANCE,
    AccountQueue,
    RetryPolicy,
    client_order_id,
    hedge_order_id,
    order_kind,
    sync,
    trade_run,
)

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

PRICES = sp500_prices().loc["2021-01-01":"2021-12-31"]
SYMBOLS = ["AAPL", "KO", "XOM"]


def xnys() -> ExchangeCalendar:
    """The NYSE's calendar from 2021-01-01 to 2021-12-31, built on first use (not at collection)."""
    return exchange_calendar("XNYS", "2021-01-01", "2021-12-31")


@functools.cache
def sessions() -> list[date]:
    """The sessions from 2021-06-01 to 2021-07-30."""
    return [day.date() for day in xnys().sessions_in_range("2021-06-01", "2021-07-30")]


SEEDS = [3, 11]


def _close(day: date) -> datetime:
    return xnys().session_close(pd.Timestamp(day)).to_pydatetime()


def _fire(day: date) -> datetime:
    return _close(day) - timedelta(minutes=15)


def assert_orders_agree_with_the_ledger(store: Store, account: str, ledger: Ledger) -> None:
    """The contract (see the module docstring) for the account's queue and its ledger."""
    orders = {o.client_order_id: o for o in store.list_orders("alice") if o.account == account}
    traded: dict[str, float] = {}
    for entry in store.ledger("alice", ledger.book_id):
        if entry.kind == "fill" and entry.note in ("", "option trade"):
            assert entry.order_id in orders, f"fill {entry.entry_id} of no order of {account}"
            traded[entry.order_id] = traded.get(entry.order_id, 0.0) + (entry.quantity or 0.0)
    for order in orders.values():
        held = traded.get(order.client_order_id, 0.0)
        assert abs(held - order.filled_quantity) <= QUANTITY_TOLERANCE, (order, held)
        if order.status in ("queued", "dead", "rejected"):
            assert held == 0.0, order
        assert order.filled_quantity <= order.quantity + QUANTITY_TOLERANCE, order
        if order.status == "filled":
            assert abs(order.filled_quantity - order.quantity) <= QUANTITY_TOLERANCE, order


class Flaky:
    """`broker` behind a connection that fails a submission with `rate` (seeded)."""

    def __init__(self, broker: Broker, rng: random.Random, rate: float) -> None:
        self.broker, self.rng, self.rate = broker, rng, rate
        self.name = broker.name

    def __getattr__(self, name: str) -> object:
        return getattr(self.broker, name)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        if self.rng.random() < self.rate:
            raise BrokerUnavailableError("HTTP 503 from the broker")
        return self.broker.submit(request)


def _share_orders(
    rng: random.Random, deployment: str, fire: datetime, held: dict[str, float]
) -> list[NewOrder]:
    orders = []
    for symbol in rng.sample(SYMBOLS, rng.randint(1, len(SYMBOLS))):
        if held.get(symbol, 0.0) >= 1 and rng.random() < 0.4:
            side, quantity = "sell", float(rng.randint(1, int(held[symbol])))
        else:
            side, quantity = "buy", float(rng.randint(1, 40))
        orders.append(
            NewOrder(client_order_id(deployment, fire, len(orders)), symbol, side, quantity)
        )
    return orders


def _option_orders(
    rng: random.Random, deployment: str, run_id: str, day: date, held: dict[str, int]
) -> list[NewOrder]:
    orders: list[NewOrder] = []

    def add(symbol: str, intent: PositionIntent, contracts: int) -> None:
        side = "buy" if intent.startswith("buy") else "sell"
        order_id = hedge_order_id(deployment, run_id, len(orders), intent)
        orders.append(NewOrder(order_id, symbol, side, float(contracts)))

    for symbol, n in sorted(held.items()):
        if n > 0 and rng.random() < 0.4:
            add(symbol, "sell_to_close", rng.randint(1, n))
    spot = float(PRICES.loc[: pd.Timestamp(day), "AAPL"].iloc[-1])
    expiry = sessions()[min(sessions().index(day) + rng.choice([3, 8, 15]), len(sessions()) - 1)]
    for _ in range(rng.randint(0, 2)):
        put = OptionContract(
            "AAPL", expiry, "put", float(5 * round(spot * rng.uniform(0.85, 1) / 5))
        )
        add(put.symbol, "buy_to_open", rng.randint(1, 5))
    return orders


def _random_runs(
    store: Store,
    account: str,
    broker: Broker,
    ledger: Ledger,
    rng: random.Random,
    plan: Callable[[date, str], list[NewOrder]],
    settle: Callable[[date], None],
) -> None:
    """Runs at random sessions through the queue (a dead letter's run canceled, a run left
    working when settling is skipped), each followed by the contract's check."""
    queue = AccountQueue(store, "alice", account, Flaky(broker, rng, 0.35), ledger,
                         RetryPolicy(max_attempts=2, backoff_seconds=0.0), lambda _: None)  # fmt: skip
    days = sorted(rng.sample(sessions()[1:-1], 5))
    for n, day in enumerate(days):
        run_id = f"run-{n}"
        skip_settle = rng.random() < 0.3
        settled = (lambda: None) if skip_settle else partial(settle, day)
        trade_run(queue, "dep", run_id, partial(plan, day, run_id), settled)
        assert_orders_agree_with_the_ledger(store, account, ledger)
    settle(sessions()[-2])
    sync(store, "alice", account, broker, ledger)
    assert_orders_agree_with_the_ledger(store, account, ledger)
    kinds = {order_kind(o.client_order_id) for o in store.list_orders("alice")}
    assert kinds == {"option" if account.startswith("hedge-") else "stock"}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_paper_stock_account_s_orders_agree_with_its_ledger(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    broker = PaperBroker(PRICES[SYMBOLS], max_fill_fraction=rng.choice([0.3, 0.6, 1.0]))
    start = _close(sessions()[0])
    broker.advance(start)
    broker.deposit(8_000.0, start)
    ledger = Ledger(store, "alice", "dep")
    ledger.record([CashFlow("capital", 8_000.0, start)])

    def settle(day: date) -> None:
        broker.advance(max(_close(day), broker.now or start))

    def plan(day: date, run_id: str) -> list[NewOrder]:
        broker.advance(max(_fire(day), broker.now or start))
        return _share_orders(rng, "dep", _fire(day), broker.account().positions)

    _random_runs(store, "paper-dep", broker, ledger, rng, plan, settle)
    # the runs buy more than the cash pays for: buys filled in part, the rest refused
    short = [
        o for o in store.list_orders("alice") if "insufficient buying power" in (o.reason or "")
    ]
    assert {o.status for o in short} >= {"canceled"}, short


@pytest.mark.parametrize("seed", SEEDS)
def test_the_paper_options_account_s_orders_agree_with_its_ledger(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    cap = rng.choice([1, 2, None])
    broker = PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(max_fill_contracts=cap))
    broker.advance(_close(sessions()[0]))
    ledger = Ledger(store, "alice", "hedge-dep")

    def settle(day: date) -> None:
        close = broker.next_close(_fire(day))
        if close is not None and (broker.now is None or close > broker.now):
            broker.advance(close)

    def plan(day: date, run_id: str) -> list[NewOrder]:
        if broker.now is None or _fire(day) > broker.now:
            broker.advance(_fire(day))
        return _option_orders(rng, "dep", run_id, day, broker.option_positions())

    _random_runs(store, "hedge-dep", broker, ledger, rng, plan, settle)


@pytest.fixture
def stand_in() -> Iterator[LocalAlpaca]:
    paper = PaperBroker(PRICES[SYMBOLS], fractional=True)
    paper.deposit(1_000_000.0, _close(sessions()[0]))
    options = PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(level=3))
    alpaca = LocalAlpaca(paper, options=options, key_id="AKALICE", secret_key="s3cret").start()
    alpaca.advance(_close(sessions()[0]))
    yield alpaca
    alpaca.close()


def _hedged(store: Store) -> Deployment:
    spec = {
        "strategy": {"kind": "weights", "weights": {"AAPL": 1.0}, "safe_rate": 0.0},
        "universe": ["AAPL"],
        "capital": 10_000.0,
        "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
        "limits": {},
        "hedge": {"underlying": "AAPL"},
    }
    return store.create_deployment("alice", "hedged", "active", spec)


@pytest.mark.parametrize("kind", ["stock", "option"])
def test_the_alpaca_stand_in_s_orders_agree_with_their_ledgers(
    store: Store, stand_in: LocalAlpaca, kind: str
) -> None:
    rng = random.Random(SEEDS[0])
    alpaca = AlpacaBroker("AKALICE", SecretStr("s3cret"), url_override=stand_in.url)
    options = AlpacaOptionsAccount(alpaca, _hedged(store), PRICES[["AAPL"]], limit_tolerance=0.5)
    broker: Broker = alpaca if kind == "stock" else options
    ledger = Ledger(store, "alice", "dep" if kind == "stock" else "hedge-dep")
    if kind == "stock":
        ledger.record([CashFlow("capital", 1_000_000.0, _close(sessions()[0]))])

    def settle(day: date) -> None:
        close = _close(day) + timedelta(minutes=1)
        if stand_in.account.now is None or close > stand_in.account.now:
            stand_in.advance(close)

    def plan(day: date, run_id: str) -> list[NewOrder]:
        if stand_in.account.now is None or _fire(day) > stand_in.account.now:
            stand_in.advance(_fire(day))
        options.advance(_fire(day))
        if kind == "stock":
            return _share_orders(rng, "dep", _fire(day), alpaca.account().positions)
        return _option_orders(rng, "dep", run_id, day, alpaca.option_positions())

    account = "alpaca-PA0000LOCAL" if kind == "stock" else "hedge-dep"
    _random_runs(store, account, broker, ledger, rng, plan, settle)
    assert any(o.filled_quantity for o in store.list_orders("alice"))  # it did trade
