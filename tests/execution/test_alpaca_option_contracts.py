"""Listed contracts and settlements through alpaca-py against the loopback stand-in: the
adapter picks the listed contract nearest to a wanted one from `GET /v2/options/contracts`
(paging through it) and reads what settled at expiry from Alpaca's OPEXP/OPASN/OPEXC
activities; the oracle for settlements is the paper options account behind the stand-in, read
directly. A 5xx answer is retryable; nothing listed is a refusal naming what was looked for."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from devtools.local_alpaca.contracts import OptionListing
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError, BrokerUnavailableError
from execution.ledger import Book
from execution.options import OptionContract
from tests.execution.test_alpaca_options import (
    CALL,
    FRIDAY_EVENING,
    PRICES,
    PUT,
    SECRET,
    START,
    TUESDAY_NIGHT,
    _request,
)

CONTRACTS = ("GET", "/v2/options/contracts")


def _stand_in(listing: OptionListing | None = None) -> LocalAlpaca:
    paper = PaperBroker(PRICES)
    paper.deposit(100_000.0, START)
    options = PaperOptionsBroker(PRICES[["AAPL", "KO"]], PaperOptionsSettings(level=3))
    stand_in = LocalAlpaca(
        paper, options=options, listing=listing, key_id="AKTEST", secret_key=SECRET
    ).start()
    stand_in.advance(FRIDAY_EVENING)
    return stand_in


@pytest.fixture
def alpaca() -> Iterator[LocalAlpaca]:
    stand_in = _stand_in()
    yield stand_in
    stand_in.close()


def _adapter(stand_in: LocalAlpaca) -> AlpacaBroker:
    return AlpacaBroker("AKTEST", SecretStr(SECRET), url_override=stand_in.url)


def _next_friday(day: date) -> date:
    return day + timedelta(days=(4 - day.weekday()) % 7)


@pytest.mark.parametrize(
    ("wanted_strike", "listed_strike"),
    [(137.0, 135.0), (138.0, 140.0), (137.5, 135.0), (140.0, 140.0)],  # a tie goes lower
)
def test_the_nearest_listed_expiry_then_the_nearest_strike_is_chosen(
    alpaca: LocalAlpaca, wanted_strike: float, listed_strike: float
) -> None:
    wanted = OptionContract("AAPL", date(2022, 8, 17), "put", wanted_strike)  # a Wednesday
    chosen = _adapter(alpaca).listed_contract(wanted)
    # the stand-in lists Fridays and strikes every 5: the Friday on or after, the nearest 5
    assert chosen == OptionContract("AAPL", _next_friday(wanted.expiry), "put", listed_strike)
    assert chosen.expiry == date(2022, 8, 19) and CONTRACTS in alpaca.requests
    call = _adapter(alpaca).listed_contract(OptionContract("KO", date(2022, 8, 19), "call", 63.0))
    assert (call.kind, call.underlying, call.expiry, call.strike) == (
        "call",
        "KO",
        date(2022, 8, 19),
        65.0,
    )


def test_every_page_of_the_listing_is_read() -> None:
    stand_in = _stand_in(OptionListing(strike_step=0.01))  # 2,741 strikes in the band a Friday
    try:
        wanted = OptionContract("AAPL", date(2022, 8, 19), "put", 137.0)
        band = [k / 100 for k in range(math.ceil(137.0 * 0.9 * 100), 15071)]
        assert _adapter(stand_in).listed_contract(wanted) == wanted
        days = [wanted.expiry + timedelta(days=d) for d in range(32)]  # the 31 days searched
        fridays = [d for d in days if d.weekday() == 4]
        pages = stand_in.requests.count(CONTRACTS)
        assert pages == math.ceil(len(fridays) * len(band) / 1000) == 14
    finally:
        stand_in.close()


def test_nothing_listed_is_refused_and_a_5xx_is_retryable(alpaca: LocalAlpaca) -> None:
    broker = _adapter(alpaca)
    beyond = OptionContract("AAPL", date(2023, 6, 16), "put", 135.0)  # past the listing horizon
    with pytest.raises(BrokerRejectedError, match=r"no listed AAPL put expires from 2023-06-16"):
        broker.listed_contract(beyond)
    alpaca.fail_next(1, 503, request=CONTRACTS)
    wanted = OptionContract("AAPL", date(2022, 8, 19), "put", 135.0)
    with pytest.raises(BrokerUnavailableError, match="503"):
        broker.listed_contract(wanted)
    assert broker.listed_contract(wanted) == wanted


def test_what_settles_at_expiry_is_read_from_the_settlement_activities(
    alpaca: LocalAlpaca,
) -> None:
    broker = _adapter(alpaca)
    broker.submit(_request("h-put", PUT, "buy_to_open", 4))
    broker.submit(_request("h-call", CALL, "sell_to_open", 4))
    alpaca.advance(TUESDAY_NIGHT)
    assert [f.event for f in broker.option_fills()] == ["trade", "trade"]
    alpaca.advance(datetime(2022, 8, 22, 23, 0, tzinfo=UTC))  # both expired on 2022-08-19
    options = alpaca.account.options
    assert options is not None
    expected = [f for f in options.fills() if f.event != "trade"]
    assert {f.event for f in expected} == {"expiry", "assignment"}  # AAPL closed near 171
    read = [f for f in broker.option_fills() if f.event != "trade"]
    assert [(f.symbol, f.event, f.side, f.quantity) for f in read] == [
        (f.symbol, f.event, f.side, f.quantity) for f in expected
    ]
    for ours, theirs in zip(read, expected, strict=True):
        assert ours.price == pytest.approx(theirs.price, abs=1e-12)
        assert ours.time == datetime(2022, 8, 19, 20, 0, tzinfo=UTC)  # 16:00 New York
    book = Book.replay(broker.option_fills())
    assert book.contracts == {} and book.cash == pytest.approx(options.cash, abs=1e-9)
    assert broker.option_positions() == {}
    since = broker.option_fills(datetime(2022, 8, 20, tzinfo=UTC))
    assert since == []
    assert ("GET", "/v2/account/activities") in alpaca.requests
