"""The paper options account over the embedded AAPL closes and the NYSE's session times: fills
at the next close's model price, limits, partial fills, options levels, and cash settlement at expiry
(exercise, assignment, worthless expiry), its state saved and restored."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest

from execution.brokers.base import OrderRequest
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError
from execution.hedge import HedgeMarket, model_price
from execution.options import OptionContract
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from tests.support.calendars import exchange_calendar

if TYPE_CHECKING:
    from exchange_calendars import ExchangeCalendar

CLOSES = sp500_prices()[["AAPL"]].loc["2021-06-01":"2022-12-30"]


def xnys() -> ExchangeCalendar:
    """The NYSE's calendar from 2021-01-01 to 2023-12-31, built on first use (not at collection)."""
    return exchange_calendar("XNYS", "2021-01-01", "2023-12-31")


EXPIRY = date(2022, 6, 17)
PUT = OptionContract("AAPL", EXPIRY, "put", 160.0)  # AAPL fell from ~160 to ~131 by June 17
CALL = OptionContract("AAPL", EXPIRY, "call", 120.0)


def _close(day: str) -> datetime:
    return xnys().session_close(day).to_pydatetime()


def _broker(**settings: object) -> PaperOptionsBroker:
    broker = PaperOptionsBroker(CLOSES, PaperOptionsSettings(**settings))  # type: ignore[arg-type]
    broker.advance(_close("2022-04-01"))
    return broker


def _order(
    client_id: str,
    contract: OptionContract,
    intent: str,
    contracts: int,
    limit: float | None = None,
) -> OrderRequest:
    side = "buy" if intent.startswith("buy") else "sell"
    return OrderRequest(client_id, contract.symbol, side, contracts, intent, limit)  # type: ignore[arg-type]


def _model(contract: OptionContract, day: str) -> float:
    market = HedgeMarket(date.fromisoformat(day), CLOSES["AAPL"].loc[:day])
    return model_price(contract, market, ImpliedVolModel())


def test_a_buy_fills_at_the_model_price_of_the_next_close_with_fees() -> None:
    broker = _broker(fee_per_contract=0.65)
    placed = broker.submit(_order("h-1", PUT, "buy_to_open", 10))
    assert (placed.status, placed.filled_quantity) == ("new", 0)  # nothing at a known price
    broker.advance(_close("2022-04-04"))
    order = broker.order("h-1")
    price = _model(PUT, "2022-04-04")
    assert (order.status, order.filled_quantity) == ("filled", 10)
    assert order.average_fill_price == pytest.approx(price, rel=1e-12)
    assert broker.option_positions() == {PUT.symbol: 10}
    assert broker.cash == pytest.approx(-10 * 100 * price - 6.5)
    assert broker.book.premiums_paid == pytest.approx(1000 * price)
    assert broker.submit(_order("h-1", PUT, "buy_to_open", 10)) == order  # idempotent
    assert broker.fills()[0].time == _close("2022-04-04")
    assert len(broker.fills()) == 1


def test_held_options_settle_in_cash_at_their_intrinsic_value_at_expiry() -> None:
    broker = _broker()
    broker.submit(_order("put", PUT, "buy_to_open", 3))
    broker.submit(_order("call", CALL, "sell_to_open", 2))
    otm = OptionContract("AAPL", EXPIRY, "put", 100.0)
    broker.submit(_order("otm", otm, "buy_to_open", 1))
    broker.advance(_close("2022-04-04"))
    assert len(broker.option_positions()) == 3
    cash_before = broker.cash
    settled = broker.advance(_close("2022-06-21"))
    spot = float(CLOSES.loc["2022-06-17", "AAPL"])
    by_symbol = {f.symbol: f for f in settled}
    assert by_symbol[PUT.symbol].event == "exercise"
    assert by_symbol[PUT.symbol].price == pytest.approx(160.0 - spot)
    assert by_symbol[CALL.symbol].event == "assignment"
    assert by_symbol[CALL.symbol].price == pytest.approx(spot - 120.0)
    assert (by_symbol[otm.symbol].event, by_symbol[otm.symbol].price) == ("expiry", 0.0)
    assert all(f.time == _close("2022-06-17") for f in settled)
    assert broker.option_positions() == {}
    expected = 300 * (160.0 - spot) - 200 * (spot - 120.0)
    assert broker.cash - cash_before == pytest.approx(expected)


def test_a_limit_below_the_model_price_waits_and_large_orders_fill_in_parts() -> None:
    broker = _broker(max_fill_contracts=4)
    price = _model(PUT, "2022-04-04")
    broker.submit(_order("low", PUT, "buy_to_open", 5, limit=price / 2))
    broker.submit(_order("big", PUT, "buy_to_open", 10))
    broker.advance(_close("2022-04-04"))
    assert (broker.order("low").status, broker.order("low").filled_quantity) == (
        "new",
        0,
    )
    parts = broker.order("big")
    assert (parts.status, parts.filled_quantity) == ("partially_filled", 4)
    broker.advance(_close("2022-04-06"))  # two more closes: 4 then 2
    done = broker.order("big")
    assert (done.status, done.filled_quantity) == ("filled", 10)
    fills = [f for f in broker.fills() if f.order_id == "big"]
    assert [f.quantity for f in fills] == [4, 4, 2]
    assert fills[1].price == pytest.approx(_model(PUT, "2022-04-05"), rel=1e-12)
    assert broker.order("low").status == "new"
    assert broker.cancel("low").status == "canceled"


def test_the_options_level_decides_what_the_account_may_trade() -> None:
    with pytest.raises(BrokerRejectedError, match=r"needs options trading level 2; .* level 1"):
        _broker(level=1).submit(_order("a", PUT, "buy_to_open", 1))
    with pytest.raises(BrokerRejectedError, match="sell_to_open needs options trading level 3"):
        _broker(level=2).submit(_order("b", CALL, "sell_to_open", 1))
    broker = _broker()
    broker.submit(_order("c", PUT, "buy_to_open", 2))
    broker.advance(_close("2022-04-04"))
    with pytest.raises(BrokerRejectedError, match="2 are held"):
        broker.submit(_order("d", PUT, "sell_to_close", 3))
    with pytest.raises(BrokerRejectedError, match="has expired"):
        broker.submit(
            _order("e", OptionContract("AAPL", date(2022, 4, 1), "put", 1), "buy_to_open", 1)
        )


def test_the_state_restores_to_the_same_account() -> None:
    broker = _broker(max_fill_contracts=1, fee_per_contract=1.0)
    broker.submit(_order("x", PUT, "buy_to_open", 3))
    restored = PaperOptionsBroker.restore(CLOSES, broker.state())
    assert restored.state() == broker.state()
    restored.advance(_close("2022-04-06"))
    assert restored.order("x").status == "filled"
    assert restored.option_positions() == {PUT.symbol: 3}
    assert restored.now == _close("2022-04-06")
