"""The local Alpaca stand-in: its answers validate as alpaca-py's own models (read with
alpaca-py's `TradingClient`, no adapter in between), keys are checked, requests are refused in
Alpaca's error shape, and fill activities page as Alpaca's do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.models import Order, Position, TradeAccount, TradeActivity
from alpaca.trading.requests import MarketOrderRequest

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.paper import PaperBroker
from quant.data import sp500_prices

START = datetime(2022, 6, 1, tzinfo=UTC)
FRIDAY_EVENING = datetime(2022, 7, 1, 21, 0, tzinfo=UTC)
FRIDAY_NIGHT = datetime(2022, 7, 8, 23, 0, tzinfo=UTC)


@pytest.fixture
def alpaca() -> Iterator[LocalAlpaca]:
    paper = PaperBroker(sp500_prices().loc["2022-06-01":], max_fill_fraction=0.5)
    paper.deposit(50_000, START)
    with LocalAlpaca(paper) as stand_in:
        stand_in.advance(FRIDAY_EVENING)
        yield stand_in


def _client(stand_in: LocalAlpaca) -> TradingClient:
    return TradingClient(stand_in.key_id, stand_in.secret_key, url_override=stand_in.url)


def _get(stand_in: LocalAlpaca, path: str, **params: Any) -> requests.Response:
    headers = {"APCA-API-KEY-ID": stand_in.key_id, "APCA-API-SECRET-KEY": stand_in.secret_key}
    return requests.get(f"{stand_in.url}{path}", params=params, headers=headers, timeout=5)


def test_answers_validate_as_alpaca_pys_models(alpaca: LocalAlpaca) -> None:
    client = _client(alpaca)
    order = client.submit_order(
        MarketOrderRequest(
            symbol="AAPL", qty=10, side="buy", time_in_force="day", client_order_id="c1"
        )
    )
    assert isinstance(order, Order)
    assert (order.status.value, order.qty, order.filled_qty) == ("new", "10", "0")
    alpaca.advance(FRIDAY_NIGHT)
    assert isinstance(by_id := client.get_order_by_id(order.id), Order)
    assert (by_id.status.value, by_id.filled_qty) == ("filled", "10")
    assert client.get_order_by_client_id("c1") == by_id
    account = client.get_account()
    assert isinstance(account, TradeAccount)
    (position,) = client.get_all_positions()  # type: ignore[misc]
    assert isinstance(position, Position)
    assert (position.symbol, position.qty, position.side.value) == ("AAPL", "10", "long")
    cost = sum(f.quantity * f.price for f in alpaca.account.broker.fills())
    assert float(position.cost_basis) == pytest.approx(cost, rel=1e-12)
    assert float(account.cash or 0) == pytest.approx(50_000 - cost, rel=1e-12)
    assert float(account.equity or 0) == pytest.approx(
        float(account.cash or 0) + float(position.market_value or 0), rel=1e-12
    )
    assert client.get_account_configurations().fractional_trading is True  # type: ignore[union-attr]
    activities = [TradeActivity(**a) for a in client.get("/account/activities/FILL")]  # type: ignore[union-attr]
    # two executions of 5 (max_fill_fraction 0.5), newest first by default
    assert [(a.type.value, a.cum_qty, a.leaves_qty) for a in activities] == [
        ("fill", 10, 0),
        ("partial_fill", 5, 5),
    ]


def test_fill_activities_page_after_a_token_and_a_time(alpaca: LocalAlpaca) -> None:
    client = _client(alpaca)
    for number, symbol in enumerate(("AAPL", "MSFT", "JNJ")):
        client.submit_order(
            MarketOrderRequest(
                symbol=symbol, qty=2, side="buy", time_in_force="day", client_order_id=f"c{number}"
            )
        )
    alpaca.advance(FRIDAY_NIGHT)
    everything = _get(alpaca, "/v2/account/activities/FILL", direction="asc").json()
    assert len(everything) == 6
    first = _get(alpaca, "/v2/account/activities/FILL", direction="asc", page_size=4).json()
    rest = _get(
        alpaca, "/v2/account/activities/FILL", direction="asc", page_token=first[-1]["id"]
    ).json()
    assert first + rest == everything
    later = _get(
        alpaca, "/v2/account/activities/FILL", after=everything[2]["transaction_time"]
    ).json()
    assert later == everything[3:][::-1]


def test_keys_are_checked(alpaca: LocalAlpaca) -> None:
    wrong = TradingClient(alpaca.key_id, "not-the-secret", url_override=alpaca.url)
    with pytest.raises(APIError) as raised:
        wrong.get_account()
    assert raised.value.status_code == 401
    assert raised.value.message == "request is not authorized"
    assert requests.get(f"{alpaca.url}/v2/account", timeout=5).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"symbol": "AAPL", "qty": "1", "side": "buy", "type": "limit", "time_in_force": "day"},
            422,
            "only market orders",
        ),
        (
            {"symbol": "AAPL", "qty": "-1", "side": "buy", "time_in_force": "day"},
            422,
            "qty must be > 0",
        ),
        (
            {"symbol": "AAPL", "qty": "1", "side": "hold", "time_in_force": "day"},
            422,
            "side must be buy or sell",
        ),
        (
            {"symbol": "AAPL", "qty": "1", "side": "sell", "time_in_force": "day"},
            403,
            "no short selling",
        ),
    ],
)
def test_orders_are_refused_in_alpacas_error_shape(
    alpaca: LocalAlpaca, body: dict[str, str], status: int, message: str
) -> None:
    headers = {"APCA-API-KEY-ID": alpaca.key_id, "APCA-API-SECRET-KEY": alpaca.secret_key}
    answer = requests.post(f"{alpaca.url}/v2/orders", json=body, headers=headers, timeout=5)
    assert answer.status_code == status
    assert message in answer.json()["message"] and isinstance(answer.json()["code"], int)


def test_duplicates_unknown_orders_and_routes(alpaca: LocalAlpaca) -> None:
    client = _client(alpaca)
    order = MarketOrderRequest(
        symbol="AAPL", qty=1, side="buy", time_in_force="day", client_order_id="c1"
    )
    client.submit_order(order)
    with pytest.raises(APIError) as duplicate:
        client.submit_order(order)
    assert (duplicate.value.status_code, duplicate.value.message) == (
        422,
        "client_order_id must be unique",
    )
    assert _get(alpaca, "/v2/orders:by_client_order_id", client_order_id="c2").status_code == 404
    assert _get(alpaca, "/v2/orders/not-a-uuid").status_code == 404
    assert _get(alpaca, "/v2/watchlists").json()["code"] == 40410000
    alpaca.advance(FRIDAY_NIGHT)
    placed = client.get_order_by_client_id("c1")
    with pytest.raises(APIError) as final:
        client.cancel_order_by_id(placed.id)  # type: ignore[union-attr]
    assert final.value.status_code == 422


def test_injected_failures_before_and_after_handling(alpaca: LocalAlpaca) -> None:
    alpaca.fail_next(2, 500)
    assert [_get(alpaca, "/v2/account").status_code for _ in range(3)] == [500, 500, 200]
    client = _client(alpaca)
    alpaca.fail_next(1, 503, after_handling=True)
    with pytest.raises(APIError):
        client.submit_order(
            MarketOrderRequest(
                symbol="AAPL", qty=1, side="buy", time_in_force="day", client_order_id="c1"
            )
        )
    assert alpaca.account.broker.order("c1").status == "new"


def test_market_data_answers_validate_as_alpaca_pys_models_and_page_as_alpaca_s() -> None:
    from alpaca.data.enums import Adjustment
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.models import BarSet, Trade
    from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
    from alpaca.data.timeframe import TimeFrame

    from devtools.local_alpaca import MarketTape

    closes = sp500_prices().loc["2022-06-01":"2022-07-29", ["AAPL", "KO"]]
    tape = MarketTape(closes, splits={"AAPL": [(datetime(2022, 7, 1).date(), 4.0)]}, max_page=7)
    with LocalAlpaca(PaperBroker(closes), market=tape) as stand_in:
        stand_in.advance(FRIDAY_EVENING)  # 07-01 closed: the bars run to it
        client = StockHistoricalDataClient(
            stand_in.key_id, stand_in.secret_key, url_override=stand_in.url
        )
        request = StockBarsRequest(
            symbol_or_symbols=["KO", "AAPL"],
            timeframe=TimeFrame.Day,
            start=datetime(2022, 6, 1, tzinfo=UTC),
            adjustment=Adjustment.ALL,
        )
        bars = client.get_stock_bars(request)
        assert isinstance(bars, BarSet)
        sessions = closes.loc[:"2022-07-01"]
        for symbol in ("AAPL", "KO"):
            assert [b.close for b in bars.data[symbol]] == list(sessions[symbol])
            assert [b.timestamp.date() for b in bars.data[symbol]] == list(sessions.index.date)
        assert stand_in.requests.count(("GET", "/v2/stocks/bars")) == -(-2 * len(sessions) // 7)
        raw = client.get_stock_bars(
            StockBarsRequest(symbol_or_symbols="AAPL", timeframe=TimeFrame.Day)
        )  # unadjusted by default: a close before the split is 4 times the adjusted one
        assert isinstance(raw, BarSet)
        assert raw.data["AAPL"][0].close == 4 * closes["AAPL"].iloc[0]
        assert raw.data["AAPL"][-1].close == closes.loc["2022-07-01", "AAPL"]
        tape.trade("KO", 62.5, FRIDAY_EVENING)
        latest = client.get_stock_latest_trade(StockLatestTradeRequest(symbol_or_symbols=["KO"]))
        assert isinstance(latest, dict) and isinstance(latest["KO"], Trade)
        assert (latest["KO"].price, latest["KO"].timestamp) == (62.5, FRIDAY_EVENING)
        bad = _get(stand_in, "/v2/stocks/bars", symbols="KO", timeframe="1Day", page_token="x")
        assert bad.status_code == 422 and bad.json()["message"] == "invalid page_token"
        anonymous = requests.get(f"{stand_in.url}/v2/stocks/trades/latest?symbols=KO", timeout=5)
        assert anonymous.status_code == 401
