"""Alpaca's option quotes: the option chain of an underlying through alpaca-py's
`OptionHistoricalDataClient` (Market Data API, ``GET /v1beta1/options/snapshots/{underlying}``).

`chain(underlying, ...)` reads every page of the chain's snapshots filtered by expiry and strike
(Alpaca's `expiration_date_gte`/`_lte`, `strike_price_gte`/`_lte`; 1,000 a page, as alpaca-py
asks, following ``next_page_token``) and gives each contract's quote: the implied volatility
Alpaca computes from it (``impliedVolatility``, absent for a contract it cannot compute one
for) and the latest bid and ask. The feed is Alpaca's default (OPRA with an options
subscription, the free indicative feed otherwise) unless one is named.

Errors (`execution.brokers.alpaca_http`): Alpaca unreachable, 429 and 5xx are
`BrokerUnavailableError`, other refusals `BrokerRejectedError`, with Alpaca's message (never
the request or its key headers). alpaca-py's own retries (sleeping) are turned off and every
request has a timeout, as for the trading client. The keys go to the client and nowhere else.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any, cast

from alpaca.data.enums import OptionsFeed
from alpaca.data.historical.option import OptionHistoricalDataClient
from alpaca.data.requests import OptionChainRequest
from pydantic import SecretStr

from execution.atm_volatility import OptionQuote
from execution.brokers.alpaca import alpaca_keys
from execution.brokers.alpaca_http import MARKET_DATA_URL, called, quiet
from execution.errors import OrderPlanError
from execution.options import parse_occ
from settings import Settings


class AlpacaOptionQuotes:
    """Alpaca's option quotes with the keys `key_id` and `secret_key` at `url` (default
    Alpaca's), from `feed` (opra or indicative; None: Alpaca's default); `timeout` (connect,
    read) in seconds."""

    def __init__(
        self,
        key_id: str,
        secret_key: SecretStr,
        *,
        url: str | None = None,
        feed: str | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
    ) -> None:
        self.url = url or MARKET_DATA_URL
        self.feed = None if feed is None else OptionsFeed(feed)
        self._client = OptionHistoricalDataClient(
            api_key=key_id,
            secret_key=secret_key.get_secret_value(),
            raw_data=True,
            url_override=url,
        )
        quiet(self._client, timeout)  # no sleeping retries inside alpaca-py

    def __repr__(self) -> str:
        return f"AlpacaOptionQuotes(url={self.url!r})"

    def chain(
        self,
        underlying: str,
        *,
        expiring_from: date,
        expiring_to: date,
        strike_from: float,
        strike_to: float,
    ) -> list[OptionQuote]:
        """The quotes of `underlying`'s contracts expiring from `expiring_from` to
        `expiring_to` struck from `strike_from` to `strike_to` (inclusive), by OCC symbol."""
        request = OptionChainRequest(
            underlying_symbol=underlying,
            feed=self.feed,
            expiration_date_gte=expiring_from,
            expiration_date_lte=expiring_to,
            strike_price_gte=strike_from,
            strike_price_lte=strike_to,
        )
        raw = called(
            self.url, "read the option chain", partial(self._client.get_option_chain, request)
        )
        snapshots = cast(dict[str, dict[str, Any]], raw)
        return [
            quote
            for symbol, snapshot in sorted(snapshots.items())
            if (quote := _quote(symbol, snapshot)) is not None
        ]


def _quote(symbol: str, snapshot: dict[str, Any]) -> OptionQuote | None:
    """A snapshot as a quote (None for a symbol that is not an OCC contract)."""
    try:
        contract = parse_occ(symbol)
    except OrderPlanError:
        return None
    quote = snapshot.get("latestQuote") or {}
    vol = snapshot.get("impliedVolatility")
    return OptionQuote(
        contract,
        None if vol is None else float(vol),
        bid=_price(quote.get("bp")),
        ask=_price(quote.get("ap")),
    )


def _price(value: Any) -> float | None:
    return None if value is None else float(value)


def alpaca_option_quotes(settings: Settings, *, owner: str) -> AlpacaOptionQuotes:
    """`owner`'s Alpaca option quotes (their own keys, `alpaca_keys`), at the Market Data URL
    the settings name (`alpaca_data_url`, default Alpaca's)."""
    key_id, secret_key = alpaca_keys(settings, owner)
    return AlpacaOptionQuotes(key_id, secret_key, url=settings.alpaca.data_url)
