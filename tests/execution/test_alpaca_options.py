"""Alpaca options through alpaca-py against the loopback stand-in speaking Alpaca's options
wire format (OCC symbols in orders, position_intent, us_option positions, the account's options
levels), whose options the paper options account executes: the oracle is that account, read
directly. A 5xx answer is retryable, a level the account lacks is refused before sending, and
options never show among the shares (positions, fills) the stock ledger reconciles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.base import OrderRequest
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError, BrokerUnavailableError
from execution.options import OptionContract
from quant.data import sp500_prices

PRICES = sp500_prices().loc["2022-01-03":]
START = datetime(2022, 6, 1, tzinfo=UTC)
FRIDAY_EVENING = datetime(2022, 7, 1, 21, 0, tzinfo=UTC)  # Monday is July 4th
TUESDAY_NIGHT = datetime(2022, 7, 5, 23, 0, tzinfo=UTC)
PUT = OptionContract("AAPL", date(2022, 8, 19), "put", 135.0)
CALL = OptionContract("AAPL", date(2022, 8, 19), "call", 160.0)
SECRET = "s3cr3t-alpaca-secret-key-for-tests"


def _stand_in(level: int) -> LocalAlpaca:
    paper = PaperBroker(PRICES)
    paper.deposit(100_000.0, START)
    options = PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(level=level))
    stand_in = LocalAlpaca(paper, options=options, key_id="AKTEST", secret_key=SECRET).start()
    stand_in.advance(FRIDAY_EVENING)
    return stand_in


@pytest.fixture
def alpaca() -> Iterator[LocalAlpaca]:
    stand_in = _stand_in(level=3)
    yield stand_in
    stand_in.close()


def _adapter(stand_in: LocalAlpaca) -> AlpacaBroker:
    return AlpacaBroker("AKTEST", SecretStr(SECRET), url_override=stand_in.url)


def _request(client_id: str, contract: OptionContract, intent: str, contracts: int,
             limit: float | None = None) -> OrderRequest:  # fmt: skip
    side = "buy" if intent.startswith("buy") else "sell"
    return OrderRequest(client_id, contract.symbol, side, contracts, intent, limit)  # type: ignore[arg-type]


def test_a_collar_is_opened_with_occ_symbols_and_read_back_as_us_option_positions(
    alpaca: LocalAlpaca,
) -> None:
    broker = _adapter(alpaca)
    assert broker.options_level() == 3
    placed = broker.submit(_request("h-put", PUT, "buy_to_open", 4))
    broker.submit(_request("h-call", CALL, "sell_to_open", 4))
    assert (placed.status, placed.filled_quantity) == ("new", 0)
    alpaca.advance(TUESDAY_NIGHT)  # they fill at the next close
    bought, sold = broker.order("h-put"), broker.order("h-call")
    options = alpaca.account.options
    assert options is not None
    assert (bought.status, bought.filled_quantity, bought.symbol) == ("filled", 4, PUT.symbol)
    assert bought.average_fill_price == pytest.approx(options.order("h-put").average_fill_price)
    assert sold.side == "sell" and sold.status == "filled"
    assert broker.option_positions() == {PUT.symbol: 4, CALL.symbol: -4}
    assert broker.account().positions == {}  # options never count as shares
    fills = broker.option_fills()
    assert [(f.symbol, f.side, f.quantity, f.event) for f in fills] == [
        (PUT.symbol, "buy", 4, "trade"),
        (CALL.symbol, "sell", 4, "trade"),
    ]
    assert fills[0].price == pytest.approx(options.fills()[0].price)
    assert broker.fills() == []
    premium = sum(f.cash_change for f in options.fills())
    assert broker.account().cash == pytest.approx(100_000.0 + premium)
    assert broker.submit(_request("h-put", PUT, "buy_to_open", 4)) == bought  # idempotent
    assert ("POST", "/v2/orders") in alpaca.requests


def test_shares_and_options_stay_apart(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    broker.submit(OrderRequest("s-1", "AAPL", "buy", 10))
    broker.submit(_request("o-1", PUT, "buy_to_open", 1))
    alpaca.advance(datetime(2022, 7, 5, 23, 0, tzinfo=UTC))
    assert broker.account().positions == {"AAPL": 10.0}
    assert [f.symbol for f in broker.fills()] == ["AAPL"]
    assert broker.option_positions() == {PUT.symbol: 1}


def test_a_limit_the_model_price_does_not_meet_waits_and_can_be_canceled(
    alpaca: LocalAlpaca,
) -> None:
    broker = _adapter(alpaca)
    waiting = broker.submit(_request("l-1", PUT, "buy_to_open", 2, limit=0.01))
    assert waiting.status == "new" and waiting.filled_quantity == 0
    assert broker.cancel("l-1").status == "canceled"
    assert broker.option_positions() == {}


def test_the_account_s_options_level_is_checked_before_sending() -> None:
    stand_in = _stand_in(level=2)
    try:
        broker = _adapter(stand_in)
        sent = len(stand_in.requests)
        with pytest.raises(BrokerRejectedError, match=r"needs options trading level 3.*is 2"):
            broker.submit(_request("c-1", CALL, "sell_to_open", 1))
        assert ("POST", "/v2/orders") not in stand_in.requests[sent:]
        assert broker.submit(_request("p-1", PUT, "buy_to_open", 1)).status == "new"
    finally:
        stand_in.close()
    without = LocalAlpaca(PaperBroker(PRICES), key_id="AKTEST", secret_key=SECRET).start()
    try:
        without.advance(FRIDAY_EVENING)
        with pytest.raises(BrokerRejectedError, match="options_trading_level is 0"):
            _adapter(without).submit(_request("p-2", PUT, "buy_to_open", 1))
    finally:
        without.close()


def test_a_server_error_is_retryable_and_a_refusal_is_not(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    alpaca.fail_next(1, 503, request=("POST", "/v2/orders"))
    with pytest.raises(BrokerUnavailableError, match="503"):
        broker.submit(_request("f-1", PUT, "buy_to_open", 1))
    assert broker.submit(_request("f-1", PUT, "buy_to_open", 1)).status == "new"
    alpaca.advance(TUESDAY_NIGHT)
    assert broker.order("f-1").status == "filled"
    with pytest.raises(BrokerRejectedError, match=r"403.*1 are held"):
        broker.submit(_request("f-2", PUT, "sell_to_close", 2))
