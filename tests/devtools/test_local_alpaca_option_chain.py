"""The stand-in's option chain (Alpaca's Market Data API, ``GET
/v1beta1/options/snapshots/{underlying}``): its answers validate as alpaca-py's own models,
page as Alpaca's do, are filtered as Alpaca filters them and refused in Alpaca's error shape;
each quote's implied volatility reprices the quote's mid under Black-Scholes (a plain numpy and
SciPy reference kept here), and its delta is Black-Scholes'. Read through the project's adapter
(`execution.brokers.alpaca_option_quotes`), the chain gives every listed contract."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import requests
from alpaca.data.historical.option import OptionHistoricalDataClient
from alpaca.data.models.snapshots import OptionsSnapshot
from alpaca.data.requests import OptionChainRequest
from pydantic import SecretStr
from scipy.optimize import brentq
from scipy.stats import norm

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca_option_quotes import AlpacaOptionQuotes
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import BrokerRejectedError
from execution.hedge import PERIODS_PER_YEAR, sessions_between
from execution.options import parse_occ
from quant.data import sp500_prices

PRICES = sp500_prices().loc["2021-01-01":"2021-12-31"]
AFTER_THE_CLOSE = datetime(2021, 6, 1, 21, 30, tzinfo=UTC)
TODAY = date(2021, 6, 1)
CHAIN = "/v1beta1/options/snapshots/AAPL"


@pytest.fixture
def alpaca() -> Iterator[LocalAlpaca]:
    paper = PaperBroker(PRICES, fractional=True)
    options = PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(safe_rate=0.01))
    with LocalAlpaca(paper, options=options) as stand_in:
        stand_in.advance(AFTER_THE_CLOSE)
        yield stand_in


def _get(stand_in: LocalAlpaca, path: str, **params: Any) -> requests.Response:
    headers = {"APCA-API-KEY-ID": stand_in.key_id, "APCA-API-SECRET-KEY": stand_in.secret_key}
    return requests.get(f"{stand_in.url}{path}", params=params, headers=headers, timeout=5)


def _black_scholes(kind: str, s: float, k: float, t: float, r: float, vol: float) -> float:
    d1 = (math.log(s / k) + (r + vol * vol / 2) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    if kind == "call":
        return float(s * norm.cdf(d1) - k * math.exp(-r * t) * norm.cdf(d2))
    return float(k * math.exp(-r * t) * norm.cdf(-d2) - s * norm.cdf(-d1))


def test_the_chain_validates_as_alpaca_pys_models_and_pages_as_alpaca_s(
    alpaca: LocalAlpaca,
) -> None:
    first = _get(alpaca, CHAIN, limit=7, strike_price_gte=120, strike_price_lte=130)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"snapshots", "next_page_token"} and len(body["snapshots"]) == 7
    for snapshot in body["snapshots"].values():
        assert set(snapshot) == {"latestTrade", "latestQuote", "impliedVolatility", "greeks"}
        assert set(snapshot["greeks"]) == {"delta", "gamma", "rho", "theta", "vega"}
        assert set(snapshot["latestQuote"]) == {"t", "ax", "ap", "as", "bx", "bp", "bs", "c"}
    client = OptionHistoricalDataClient(alpaca.key_id, alpaca.secret_key, url_override=alpaca.url)
    request = OptionChainRequest(
        underlying_symbol="AAPL", strike_price_gte=120, strike_price_lte=130,
        expiration_date_lte=TODAY + timedelta(days=60),
    )  # fmt: skip
    chain = client.get_option_chain(request)  # alpaca-py follows every page (1,000 a page)
    assert isinstance(chain, dict) and chain
    snapshot = next(iter(chain.values()))
    assert isinstance(snapshot, OptionsSnapshot) and snapshot.greeks is not None
    assert snapshot.implied_volatility is not None and snapshot.latest_quote is not None
    # every listed contract: Friday expiries up to 60 days, strikes 120, 125, 130, calls and puts
    fridays = [
        TODAY + timedelta(days=d) for d in range(61) if (TODAY + timedelta(days=d)).weekday() == 4
    ]
    assert sorted(chain) == sorted(
        f"AAPL{e:%y%m%d}{k}{int(s * 1000):08d}"
        for e in fridays for k in "CP" for s in (120, 125, 130)
    )  # fmt: skip
    # the next page of the raw answer continues where the first stopped
    token = body["next_page_token"]
    second = _get(
        alpaca, CHAIN, limit=7, page_token=token, strike_price_gte=120, strike_price_lte=130
    )
    assert not set(second.json()["snapshots"]) & set(body["snapshots"])


def test_each_quote_s_implied_volatility_reprices_its_mid(alpaca: LocalAlpaca) -> None:
    assert alpaca.account.options is not None
    market = alpaca.account.options.market("AAPL", AFTER_THE_CLOSE)
    quotes = AlpacaOptionQuotes(alpaca.key_id, SecretStr(alpaca.secret_key), url=alpaca.url).chain(
        "AAPL",
        expiring_from=TODAY + timedelta(days=7),
        expiring_to=TODAY + timedelta(days=45),
        strike_from=110.0,
        strike_to=140.0,
    )
    assert len(quotes) == 6 * 7 * 2  # 6 Fridays (June 11 to July 16), 7 strikes, both kinds
    spot = float(PRICES.loc["2021-06-01", "AAPL"])
    assert market.price == spot
    repriced = 0
    for quote in quotes:
        contract = quote.contract
        assert quote.bid is not None and quote.ask is not None and quote.implied_volatility
        if quote.bid == 0:  # worth less than half a cent: nobody bids, the mid is no price
            continue
        years = sessions_between("XNYS", TODAY, contract.expiry) / PERIODS_PER_YEAR
        mid = (quote.bid + quote.ask) / 2

        def error(vol: float, c: Any = contract, t: float = years, m: float = mid) -> float:
            return _black_scholes(c.kind, spot, c.strike, t, market.rate, vol) - m

        assert quote.implied_volatility == pytest.approx(brentq(error, 1e-4, 5.0), abs=2e-3)
        repriced += 1
    assert repriced > len(quotes) / 2
    # the downside is dearer (the model's skew) and calls and puts share a strike's volatility
    by_strike = {
        q.contract.strike: q.implied_volatility for q in quotes if q.contract.kind == "put"
    }
    assert list(by_strike.values()) == sorted(by_strike.values(), reverse=True)


def test_the_greeks_are_black_scholes_at_the_quoted_volatility(alpaca: LocalAlpaca) -> None:
    answer = _get(alpaca, CHAIN, type="call", expiration_date="2021-06-25").json()["snapshots"]
    assert answer and all(parse_occ(s).kind == "call" for s in answer)
    spot = float(PRICES.loc["2021-06-01", "AAPL"])
    t = sessions_between("XNYS", TODAY, date(2021, 6, 25)) / PERIODS_PER_YEAR
    rate = PERIODS_PER_YEAR * math.log1p(0.01 / PERIODS_PER_YEAR)
    for symbol, snapshot in answer.items():
        strike, vol = parse_occ(symbol).strike, snapshot["impliedVolatility"]
        d1 = (math.log(spot / strike) + (rate + vol * vol / 2) * t) / (vol * math.sqrt(t))
        assert snapshot["greeks"]["delta"] == pytest.approx(float(norm.cdf(d1)), abs=1e-9)
        bumped = [_black_scholes("call", spot, strike, t, rate + h, vol) for h in (-1e-4, 1e-4)]
        assert snapshot["greeks"]["rho"] == pytest.approx(np.diff(bumped)[0] / 2e-4 / 100, rel=1e-4)


def test_bad_requests_are_refused_in_alpaca_s_error_shape(alpaca: LocalAlpaca) -> None:
    unknown = _get(alpaca, CHAIN, strike=100)
    assert (
        unknown.status_code == 422 and unknown.json()["message"] == "unknown query parameter strike"
    )
    assert _get(alpaca, CHAIN, feed="sip").status_code == 422
    assert _get(alpaca, CHAIN, limit=1001).status_code == 422
    anonymous = requests.get(f"{alpaca.url}{CHAIN}", timeout=5)
    assert anonymous.status_code == 401
    assert _get(alpaca, "/v1beta1/options/snapshots/KO").json() == {
        "snapshots": {},
        "next_page_token": None,
    }  # fmt: skip  (an underlying the options account does not price)
    adapter = AlpacaOptionQuotes(alpaca.key_id, SecretStr("wrong"), url=alpaca.url)
    with pytest.raises(BrokerRejectedError, match="401") as refused:
        adapter.chain("AAPL", expiring_from=TODAY, expiring_to=TODAY, strike_from=1, strike_to=2)
    assert "wrong" not in str(refused.value)
