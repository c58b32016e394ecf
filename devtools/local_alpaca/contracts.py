"""The option contracts the local Alpaca stand-in lists (``GET /v2/options/contracts``), in
Alpaca's wire format: ``{"option_contracts": [OptionContract, ...], "next_page_token": ...}``,
each contract with ``id``, ``symbol`` (OCC), ``name``, ``status``, ``tradable``,
``expiration_date``, ``root_symbol``, ``underlying_symbol``, ``underlying_asset_id``, ``type``
(put, call), ``style`` (american), ``strike_price`` and ``size`` as strings where Alpaca sends
strings.

What is listed (`OptionListing`): for each underlying the options account prices, weekly
expiries (every `weekday`, Friday by default) and strikes every `strike_step` (5 by default)
from `strike_step` up to `max_strike`. Filters as Alpaca's: ``underlying_symbols`` (comma
separated), ``type``, ``expiration_date``, ``expiration_date_gte``/``_lte`` (within today to
`horizon_days` ahead: only the coming expiries are listed), ``strike_price_gte``/``_lte``,
``status`` (active), ``limit`` (default 100, at most 10,000) and ``page_token`` (from the
previous page's ``next_page_token``). Filters it does not know answer 422.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from devtools.local_alpaca.wire import AlpacaError, number
from execution.options import OptionContract

_NAMESPACE = uuid.UUID("0e1c8f7a-51a4-4d2b-9d5e-3a8b6f2c9e10")
_KNOWN = {
    "underlying_symbols",
    "type",
    "expiration_date",
    "expiration_date_gte",
    "expiration_date_lte",
    "strike_price_gte",
    "strike_price_lte",
    "status",
    "limit",
    "page_token",
}


@dataclass(frozen=True)
class OptionListing:
    """Which contracts exist: weekly expiries on `weekday` (Monday 0) up to `horizon_days`
    ahead, strikes every `strike_step` up to `max_strike`."""

    strike_step: float = 5.0
    weekday: int = 4
    horizon_days: int = 120
    max_strike: float = 2_000.0


def list_contracts(
    listing: OptionListing, underlyings: list[str], today: date, params: dict[str, str]
) -> dict[str, Any]:
    """The answer to ``GET /v2/options/contracts`` with query `params` (see the module
    docstring), on `today`."""
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise AlpacaError(422, 40010001, f"unknown query parameter {unknown[0]}")
    if params.get("status", "active") != "active":
        raise AlpacaError(422, 40010001, "the stand-in lists active contracts only")
    wanted = params.get("underlying_symbols")
    symbols = [s for s in underlyings if wanted is None or s in wanted.split(",")]
    contracts = listed_contracts(listing, symbols, today, params)
    limit = page_limit(params)
    start = page_start(params, len(contracts))
    page = contracts[start : start + limit]
    following = start + limit
    return {
        "option_contracts": [_contract_json(c) for c in page],
        "next_page_token": str(following) if following < len(contracts) else None,
    }


def listed_contracts(
    listing: OptionListing, symbols: list[str], today: date, params: dict[str, str]
) -> list[OptionContract]:
    """The contracts listed on `today` of the underlyings `symbols` that pass the filters of
    `params` (``type``, ``expiration_date``, ``expiration_date_gte``/``_lte``,
    ``strike_price_gte``/``_lte``; 422 for a bad value), by underlying, expiry, kind and
    strike."""
    kinds = _kinds(params.get("type"))
    first = _date(params, "expiration_date_gte") or today
    horizon = today + timedelta(days=listing.horizon_days)  # nothing is listed beyond it
    last = min(_date(params, "expiration_date_lte") or horizon, horizon)
    exact = _date(params, "expiration_date")
    if exact is not None:
        first, last = max(first, exact), min(last, exact)
    first = max(first, today)
    low = _price(params, "strike_price_gte", listing.strike_step)
    high = _price(params, "strike_price_lte", listing.max_strike)
    strikes = [
        k * listing.strike_step
        for k in range(
            max(1, math.ceil(low / listing.strike_step - 1e-9)),
            math.floor(min(high, listing.max_strike) / listing.strike_step + 1e-9) + 1,
        )
    ]
    expiries = [
        first + timedelta(days=d)
        for d in range((last - first).days + 1)
        if (first + timedelta(days=d)).weekday() == listing.weekday
    ]
    return [
        OptionContract(symbol, expiry, kind, strike)
        for symbol in symbols
        for expiry in expiries
        for kind in kinds
        for strike in strikes
    ]


def _contract_json(contract: OptionContract) -> dict[str, Any]:
    kind = contract.kind
    return {
        "id": str(uuid.uuid5(_NAMESPACE, contract.symbol)),
        "symbol": contract.symbol,
        "name": f"{contract.underlying} {contract.expiry:%b %d %Y} {number(contract.strike)} "
        f"{kind.capitalize()}",
        "status": "active",
        "tradable": True,
        "expiration_date": contract.expiry.isoformat(),
        "root_symbol": contract.underlying,
        "underlying_symbol": contract.underlying,
        "underlying_asset_id": str(uuid.uuid5(_NAMESPACE, contract.underlying)),
        "type": kind,
        "style": "american",
        "strike_price": number(contract.strike),
        "size": "100",
        "open_interest": None,
        "open_interest_date": None,
        "close_price": None,
        "close_price_date": None,
    }


def _kinds(value: str | None) -> list[Any]:
    if value is None:
        return ["call", "put"]
    if value not in ("call", "put"):
        raise AlpacaError(422, 40010001, "type must be call or put")
    return [value]


def _date(params: dict[str, str], name: str) -> date | None:
    if name not in params:
        return None
    try:
        return date.fromisoformat(params[name])
    except ValueError:
        raise AlpacaError(422, 40010001, f"{name} must be a date (YYYY-MM-DD)") from None


def _price(params: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(params.get(name, default))
    except ValueError:
        raise AlpacaError(422, 40010001, f"{name} must be a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise AlpacaError(422, 40010001, f"{name} must be a number >= 0")
    return value


def page_limit(params: dict[str, str], most: int = 10_000) -> int:
    try:
        value = int(params.get("limit", "100"))
    except ValueError:
        raise AlpacaError(422, 40010001, "limit must be an integer") from None
    if not 1 <= value <= most:
        raise AlpacaError(422, 40010001, f"limit must be between 1 and {most}")
    return value


def page_start(params: dict[str, str], total: int) -> int:
    if "page_token" not in params:
        return 0
    try:
        start = int(params["page_token"])
    except ValueError:
        raise AlpacaError(422, 40010001, "invalid page_token") from None
    if not 0 <= start <= total:
        raise AlpacaError(422, 40010001, "invalid page_token")
    return start
