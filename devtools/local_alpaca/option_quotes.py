"""Option quotes as the local Alpaca stand-in serves them: Alpaca's option chain endpoint of the
Market Data API, ``GET /v1beta1/options/snapshots/{underlying_symbol}``, in its wire format:
``{"snapshots": {OCC symbol: {"latestTrade", "latestQuote", "impliedVolatility", "greeks"}},
"next_page_token": ...}``.

The contracts are those the stand-in lists (`devtools.local_alpaca.contracts`: the account's
day, weekly expiries, strikes on the grid), filtered as Alpaca filters the chain: ``type``,
``strike_price_gte``/``_lte``, ``expiration_date``, ``expiration_date_gte``/``_lte``,
``root_symbol``, ``updated_since``, ``feed`` (``opra`` or ``indicative``), ``limit`` (1 to 1,000,
default 100) and ``page_token``; anything else answers 422. Each is quoted by the stand-in's
options account (`execution.brokers.paper_options`) at its last close: the model price
(`execution.hedge.model_price`) is the trade and the mid of the quote (bid and ask
`HALF_SPREAD` of it below and above, at least a cent apart), ``impliedVolatility`` is the
model's volatility at the contract's strike (the one that gives that price), and the greeks are
Black-Scholes' at it (``delta``, ``gamma``, ``theta`` a day, ``vega`` per volatility point,
``rho`` per rate point, per share). A contract expiring on the day has no implied volatility or
greeks (Alpaca leaves them out too). Without an options account, or for an underlying it does
not price, the chain is empty.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from devtools.local_alpaca.contracts import (
    OptionListing,
    listed_contracts,
    page_limit,
    page_start,
)
from devtools.local_alpaca.wire import AlpacaError, time_param
from execution.brokers.paper_options import PaperOptionsBroker
from execution.errors import BrokerRejectedError
from execution.hedge import PERIODS_PER_YEAR, HedgeMarket, model_price, sessions_between
from execution.options import OptionContract
from execution.schedule import trading_sessions
from quant.options import black_scholes, option_price

HALF_SPREAD = 0.02
"""The quote's bid and ask around the model price, as a fraction of it."""
_FILTERS = {
    "type",
    "strike_price_gte",
    "strike_price_lte",
    "expiration_date",
    "expiration_date_gte",
    "expiration_date_lte",
}
_KNOWN = _FILTERS | {"root_symbol", "updated_since", "feed", "limit", "page_token"}
_FEEDS = ("opra", "indicative")


def option_chain(
    options: PaperOptionsBroker | None,
    listing: OptionListing,
    now: datetime | None,
    underlying: str,
    query: dict[str, str],
) -> dict[str, Any]:
    """The answer to the chain endpoint for `underlying` with `query` at the stand-in's time
    `now` (see the module docstring)."""
    unknown = sorted(set(query) - _KNOWN)
    if unknown:
        raise AlpacaError(422, 40010001, f"unknown query parameter {unknown[0]}")
    if query.get("feed", "indicative") not in _FEEDS:
        raise AlpacaError(422, 40010001, f"invalid feed {query['feed']!r}")
    limit = page_limit(query, 1_000)
    market = _market(options, now, underlying, query)
    if options is None or market is None or now is None:
        return {"snapshots": {}, "next_page_token": None}
    filters = {k: v for k, v in query.items() if k in _FILTERS}
    contracts = listed_contracts(listing, [underlying], now.date(), filters)
    start = page_start(query, len(contracts))
    page = contracts[start : start + limit]
    following = start + limit
    snapshots = {c.symbol: _snapshot(c, options, market) for c in page}
    return {
        "snapshots": snapshots,
        "next_page_token": str(following) if following < len(contracts) else None,
    }


def _market(
    options: PaperOptionsBroker | None,
    now: datetime | None,
    underlying: str,
    query: dict[str, str],
) -> HedgeMarket | None:
    """The underlying's market at the account's last close, None when nothing is quoted (no
    options account, an underlying it does not price, another root, nothing updated since)."""
    if options is None or now is None or query.get("root_symbol", underlying) != underlying:
        return None
    try:
        market = options.market(underlying, now)
    except BrokerRejectedError:
        return None
    if "updated_since" in query:
        since = time_param(query["updated_since"], "updated_since")
        if _close_time(market) < since:
            return None
    return market


def _close_time(market: HedgeMarket) -> datetime:
    """The time of the close the market is at."""
    sessions = trading_sessions(market.calendar, market.today, market.today)
    return sessions["close"].iloc[0].to_pydatetime()


def _snapshot(
    contract: OptionContract, options: PaperOptionsBroker, market: HedgeMarket
) -> dict[str, Any]:
    """One contract's snapshot in Alpaca's shape."""
    price = model_price(contract, market, options.vol_model)
    stamp = _close_time(market).isoformat().replace("+00:00", "Z")
    half = max(price * HALF_SPREAD, 0.005)
    snapshot: dict[str, Any] = {
        "latestTrade": {"t": stamp, "x": "C", "p": round(price, 4), "s": 1, "c": "I"},
        "latestQuote": {
            "t": stamp,
            "ax": "C",
            "ap": round(price + half, 4),
            "as": 10,
            "bx": "C",
            "bp": round(max(price - half, 0.0), 4),
            "bs": 10,
            "c": "A",
        },
    }
    days = sessions_between(market.calendar, market.today, contract.expiry)
    if days <= 0:
        return snapshot
    rv = market.realised_volatility(options.vol_model.realised_window)
    vol = float(options.vol_model.volatility(rv, contract.strike / market.price))
    years = days / PERIODS_PER_YEAR
    values = black_scholes(contract.kind, market.price, contract.strike, years, market.rate, vol)
    snapshot["impliedVolatility"] = vol
    snapshot["greeks"] = {
        "delta": float(values.delta),
        "gamma": float(values.gamma),
        "theta": float(values.theta) / 365.0,
        "vega": float(values.vega) / 100.0,
        "rho": _rho(contract, market, years, vol),
    }
    return snapshot


def _rho(contract: OptionContract, market: HedgeMarket, years: float, vol: float) -> float:
    """Rho per rate point, per share: the central difference of the Black-Scholes price in
    the rate (`quant.options` has no rho of its own)."""
    step = 1e-4

    def price(rate: float) -> float:
        return float(option_price(contract.kind, market.price, contract.strike, years, rate, vol))

    return (price(market.rate + step) - price(market.rate - step)) / (2 * step) / 100.0


__all__ = ["HALF_SPREAD", "option_chain"]
