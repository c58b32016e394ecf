"""The paper broker against the embedded S&P 500 closes and the NYSE's session times (from
exchange_calendars): fill times and prices, partial fills, buying power, idempotent client
order ids, refusals."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from execution.brokers.base import OrderRequest
from execution.brokers.paper import PaperBroker, PaperCosts
from execution.errors import BrokerRejectedError
from execution.ledger import INTEREST_NOTE, CashFlow
from quant.data import sp500_prices
from tests.support.calendars import exchange_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar


def xnys() -> ExchangeCalendar:
    """The NYSE's calendar from 2022-01-01 to 2022-12-31, built on first use (not at collection)."""
    return exchange_calendar("XNYS", "2022-01-01", "2022-12-31")


PRICES = sp500_prices().loc["2022-06-01":]
FRIDAY_EVENING = datetime(2022, 7, 1, 21, 0, tzinfo=UTC)  # after the close; Monday is July 4th


def _close(day: str) -> datetime:
    return xnys().session_close(day).to_pydatetime()


def _price(day: str, symbol: str) -> float:
    return float(PRICES.loc[day, symbol])


def _broker(cash: float = 1_000_000.0, **options: object) -> PaperBroker:
    broker = PaperBroker(PRICES, **options)  # type: ignore[arg-type]
    broker.deposit(cash, datetime(2022, 6, 1, tzinfo=UTC))
    broker.advance(FRIDAY_EVENING)
    return broker


def test_an_order_fills_at_the_next_session_close_with_slippage_and_commission() -> None:
    costs = PaperCosts(slippage_bps=10, commission_per_share=0.01, commission_minimum=1.0)
    broker = _broker(costs=costs)
    broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 50))
    assert broker.advance(datetime(2022, 7, 4, 23, 0, tzinfo=UTC)) == []  # a holiday
    (fill,) = broker.advance(datetime(2022, 7, 5, 23, 0, tzinfo=UTC))
    expected_price = _price("2022-07-05", "AAPL") * 1.001
    assert fill.time == _close("2022-07-05")
    assert fill.price == pytest.approx(expected_price, rel=1e-12)
    assert fill.fee == 1.0  # 50 x 0.01 = 0.50 is below the minimum
    assert broker.account().cash == pytest.approx(1_000_000 - 50 * expected_price - 1.0)
    assert broker.account().positions == {"AAPL": 50}
    order = broker.order("run1-AAPL")
    assert (order.status, order.filled_quantity) == ("filled", 50)


def test_a_client_order_id_places_one_order_however_often_it_is_sent() -> None:
    broker = _broker()
    first = broker.submit(OrderRequest("run1-MSFT", "MSFT", "buy", 10))
    again = broker.submit(OrderRequest("run1-MSFT", "MSFT", "buy", 10))
    assert again == first
    broker.advance(datetime(2022, 7, 8, tzinfo=UTC))
    assert len(broker.fills()) == 1
    assert broker.submit(OrderRequest("run1-MSFT", "MSFT", "buy", 10)).status == "filled"
    broker.advance(datetime(2022, 7, 15, tzinfo=UTC))
    assert len(broker.fills()) == 1


def test_a_large_order_fills_in_parts_over_several_sessions() -> None:
    broker = _broker(max_fill_fraction=0.4, fractional=False, costs=PaperCosts(slippage_bps=0))
    broker.submit(OrderRequest("run1-JNJ", "JNJ", "buy", 10))
    broker.advance(datetime(2022, 7, 5, 23, tzinfo=UTC))
    assert broker.order("run1-JNJ").status == "partially_filled"
    broker.advance(datetime(2022, 7, 8, 23, tzinfo=UTC))
    fills = broker.fills()
    assert [fill.quantity for fill in fills] == [4, 4, 2]
    assert [fill.time for fill in fills] == [
        _close(day) for day in ("2022-07-05", "2022-07-06", "2022-07-07")
    ]
    order = broker.order("run1-JNJ")
    vwap = sum(f.quantity * f.price for f in fills) / 10
    assert (order.status, order.average_fill_price) == ("filled", pytest.approx(vwap))


def test_fills_come_bar_by_bar_across_orders_oldest_first() -> None:
    broker = _broker(max_fill_fraction=0.5, fractional=False, costs=PaperCosts(slippage_bps=0))
    broker.submit(OrderRequest("a", "JNJ", "buy", 10))
    broker.submit(OrderRequest("b", "KO", "buy", 10))
    fills = broker.advance(datetime(2022, 7, 7, tzinfo=UTC))
    assert [(f.order_id, f.time) for f in fills] == [
        ("a", _close("2022-07-05")),
        ("b", _close("2022-07-05")),
        ("a", _close("2022-07-06")),
        ("b", _close("2022-07-06")),
    ]
    assert fills == broker.fills() == sorted(fills, key=lambda f: f.time)


def test_buys_fill_only_as_far_as_the_cash_covers_them() -> None:
    costs = PaperCosts(slippage_bps=5, commission_bps=10)
    broker = _broker(cash=1_000.0, fractional=False, costs=costs)
    broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 100))
    (fill,) = broker.advance(datetime(2022, 7, 6, tzinfo=UTC))
    price = _price("2022-07-05", "AAPL") * 1.0005
    affordable = max(q for q in range(100) if q * price * 1.001 <= 1_000.0)
    assert fill.quantity == affordable
    order = broker.order("run1-AAPL")
    # the part the cash paid for filled, the rest is canceled: never "rejected" with a fill
    assert order.status == "canceled"
    assert (
        order.reason == f"insufficient buying power: {affordable} of 100 filled, the rest canceled"
    )
    assert order.filled_quantity == affordable
    assert 0 <= broker.account().cash == pytest.approx(1_000 - affordable * price * 1.001)


def test_a_buy_the_cash_pays_no_share_of_is_rejected_with_no_fill() -> None:
    broker = _broker(cash=50.0, fractional=False)
    broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 10))
    assert broker.advance(datetime(2022, 7, 6, tzinfo=UTC)) == []
    order = broker.order("run1-AAPL")
    assert (order.status, order.reason, order.filled_quantity) == (
        "rejected",
        "insufficient buying power",
        0.0,
    )
    assert broker.fills() == [] and broker.account().cash == 50.0


def test_fills_add_up_to_the_account() -> None:
    broker = _broker(cash=100_000.0, costs=PaperCosts(slippage_bps=3, commission_per_share=0.005))
    broker.submit(OrderRequest("a", "AAPL", "buy", 100.5))
    broker.submit(OrderRequest("b", "XOM", "buy", 200))
    broker.advance(datetime(2022, 7, 6, tzinfo=UTC))
    broker.submit(OrderRequest("c", "AAPL", "sell", 40.25))
    broker.advance(datetime(2022, 7, 12, tzinfo=UTC))
    cash = 100_000.0
    held: dict[str, float] = {}
    for fill in broker.fills():
        sign = 1 if fill.side == "buy" else -1
        cash -= sign * fill.quantity * fill.price + fill.fee
        held[fill.symbol] = held.get(fill.symbol, 0.0) + sign * fill.quantity
    account = broker.account()
    assert account.cash == pytest.approx(cash, rel=1e-12)
    assert account.positions == pytest.approx(held)
    assert broker.price("AAPL", datetime(2022, 7, 12, tzinfo=UTC)) == _price("2022-07-11", "AAPL")


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (OrderRequest("x", "AAPL", "sell", 1), "no short selling"),
        (OrderRequest("x", "ZZZZ", "buy", 1), "unknown symbol 'ZZZZ'"),
        (OrderRequest("x", "AAPL", "buy", 0), "quantity must be positive"),
        (OrderRequest("x", "AAPL", "buy", math.nan), "quantity must be positive"),
    ],
)
def test_orders_no_fill_can_come_from_are_refused_at_submission(
    request_: OrderRequest, problem: str
) -> None:
    broker = _broker()
    with pytest.raises(BrokerRejectedError, match=problem):
        broker.submit(request_)
    assert broker.open_orders() == []


def test_whole_share_accounts_refuse_fractions_and_a_sell_counts_pending_sells() -> None:
    broker = _broker(fractional=False)
    with pytest.raises(BrokerRejectedError, match="fractional quantity"):
        broker.submit(OrderRequest("x", "AAPL", "buy", 1.5))
    broker.submit(OrderRequest("buy", "AAPL", "buy", 10))
    broker.advance(datetime(2022, 7, 6, tzinfo=UTC))
    broker.submit(OrderRequest("sell-1", "AAPL", "sell", 6))
    with pytest.raises(BrokerRejectedError, match="4 are held and not already being sold"):
        broker.submit(OrderRequest("sell-2", "AAPL", "sell", 6))


def test_a_canceled_order_fills_no_more() -> None:
    broker = _broker(max_fill_fraction=0.5)
    broker.submit(OrderRequest("run1-KO", "KO", "buy", 10))
    broker.advance(datetime(2022, 7, 6, tzinfo=UTC))
    canceled = broker.cancel("run1-KO")
    assert (canceled.status, canceled.filled_quantity) == ("canceled", 5)
    broker.advance(datetime(2022, 7, 15, tzinfo=UTC))
    assert len(broker.fills()) == 1
    assert broker.cancel("run1-KO") == canceled


def test_time_only_moves_forward_and_bad_settings_are_refused() -> None:
    broker = _broker()
    with pytest.raises(BrokerRejectedError, match="time cannot go back"):
        broker.advance(datetime(2022, 6, 1, tzinfo=UTC))
    with pytest.raises(BrokerRejectedError, match="max_fill_fraction"):
        PaperBroker(PRICES, max_fill_fraction=0)
    with pytest.raises(BrokerRejectedError, match="market data is empty"):
        PaperBroker(pd.DataFrame())


def test_cash_earns_its_rate_at_each_session_close() -> None:
    broker = _broker(cash_rate=0.05)  # deposited 2022-06-01, advanced to Friday July 1st
    sessions = xnys().sessions_in_range("2022-06-01", "2022-07-01")
    interest = broker.interest()
    assert [flow.time for flow in interest] == [_close(day) for day in sessions]
    assert [flow.flow_id for flow in interest] == [f"interest-{d:%Y%m%d}" for d in sessions]
    assert broker.account().cash == pytest.approx(1e6 * (1 + 0.05 / 252) ** len(sessions))
    assert broker.interest(since=_close("2022-06-30")) == interest[-1:]
    assert PaperBroker(PRICES).interest() == []  # none by default


def test_a_closes_interest_is_on_the_cash_before_its_fills() -> None:
    broker = _broker(cash_rate=0.05)
    cash = broker.account().cash
    broker.submit(OrderRequest("run1-AAPL", "AAPL", "buy", 100))
    (fill,) = broker.advance(datetime(2022, 7, 5, 23, 0, tzinfo=UTC))
    (earned,) = broker.interest(since=FRIDAY_EVENING)
    assert earned.time == fill.time == _close("2022-07-05")
    assert earned.amount == pytest.approx(cash * 0.05 / 252, rel=1e-12)
    assert broker.account().cash == pytest.approx(cash + earned.amount + fill.cash_change)


def test_a_restored_account_keeps_and_goes_on_earning_its_interest() -> None:
    broker = _broker(cash_rate=0.03)
    restored = PaperBroker.restore(PRICES, broker.state())
    assert restored.interest() == broker.interest()
    assert restored.account() == broker.account()
    later = datetime(2022, 8, 1, 23, 0, tzinfo=UTC)
    broker.advance(later)
    restored.advance(later)
    assert restored.account().cash == broker.account().cash
    with pytest.raises(BrokerRejectedError, match="cash_rate"):
        PaperBroker(PRICES, cash_rate=math.nan)


def test_the_commission_per_order_is_charged_once_on_its_first_fill() -> None:
    costs = PaperCosts(slippage_bps=0, commission_per_share=0.01, commission_per_order=2.5)
    broker = _broker(max_fill_fraction=0.4, fractional=False, costs=costs)
    broker.submit(OrderRequest("run1-JNJ", "JNJ", "buy", 10))
    broker.submit(OrderRequest("run1-KO", "KO", "buy", 3))
    broker.advance(datetime(2022, 7, 8, 23, tzinfo=UTC))
    fees = [(f.order_id, f.quantity, f.fee) for f in broker.fills()]
    assert fees == [
        ("run1-JNJ", 4, pytest.approx(0.04 + 2.5)),
        ("run1-KO", 1, pytest.approx(0.01 + 2.5)),
        ("run1-JNJ", 4, pytest.approx(0.04)),
        ("run1-KO", 1, pytest.approx(0.01)),
        ("run1-JNJ", 2, pytest.approx(0.02)),
        ("run1-KO", 1, pytest.approx(0.01)),
    ]
    restored = PaperBroker.restore(PRICES, broker.state())  # the setting is saved with it
    assert restored.costs == costs
    with pytest.raises(BrokerRejectedError, match="commission_per_order"):
        PaperCosts(commission_per_order=-1.0)


def test_a_buy_pays_its_commission_per_order_out_of_the_cash() -> None:
    costs = PaperCosts(slippage_bps=0, commission_per_order=50.0)
    broker = _broker(cash=1_000.0, fractional=False, costs=costs)
    broker.submit(OrderRequest("run1-KO", "KO", "buy", 100))
    (fill,) = broker.advance(datetime(2022, 7, 6, tzinfo=UTC))
    price = _price("2022-07-05", "KO")
    assert fill.quantity == max(q for q in range(100) if q * price + 50.0 <= 1_000.0)
    assert broker.account().cash >= 0


def test_interest_computed_elsewhere_is_credited_once_and_in_time_order() -> None:
    broker = _broker()  # no rate of its own
    assert broker.close_times(_close("2022-06-28"), _close("2022-07-01")) == [
        _close(day) for day in ("2022-06-29", "2022-06-30", "2022-07-01")
    ]
    flows = [
        CashFlow(f"interest-{day}", amount, _close(day), INTEREST_NOTE)
        for day, amount in (("2022-06-29", 1.5), ("2022-06-30", 2.25))
    ]
    assert broker.pay_interest(flows) == flows
    assert broker.pay_interest(flows) == []  # each once, by its id
    assert broker.account().cash == 1_000_000 + 3.75
    assert broker.interest(since=_close("2022-06-29")) == flows[1:]
    restored = PaperBroker.restore(PRICES, broker.state())
    assert restored.account().cash == broker.account().cash
    older = CashFlow("interest-20220628", 1.0, _close("2022-06-28"), INTEREST_NOTE)
    with pytest.raises(BrokerRejectedError, match="older than the interest already credited"):
        broker.pay_interest([older])
