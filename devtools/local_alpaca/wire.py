"""Alpaca's wire format as the local stand-in (`devtools.local_alpaca`) speaks it: the error
answer ``{"code", "message"}``, numbers as strings, an order's JSON body read into the project's
`OrderRequest`, and activities paged as Alpaca pages them.

An order body is refused with 422 as Alpaca refuses it: a body that is not a JSON object, no
symbol, a notional order, a quantity that is not positive (not whole contracts for an option),
a side other than buy or sell, a client order id over 128 characters; for shares, anything but a
market order for the day or until canceled; for an option (an OCC symbol), an unknown
`position_intent`, a type other than market or limit, or not a day order.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from execution.brokers.base import OrderRequest
from execution.options import OPTION_INTENTS, is_option_symbol

MAX_CLIENT_ORDER_ID = 128
"""Longest client order id Alpaca accepts."""


class AlpacaError(Exception):
    """An answer in Alpaca's error shape: HTTP `status` and body ``{"code", "message"}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Alpaca answers with."""
        return {"code": self.code, "message": self.message}


def number(value: float) -> str:
    """A number as Alpaca writes it: a string, no trailing ``.0``, exact for a float."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _invalid(message: str) -> AlpacaError:
    return AlpacaError(422, 40010001, message)


def order_request(body: Any) -> tuple[OrderRequest, str]:
    """The order request and Alpaca's time in force of an order's JSON body (see the module
    docstring); an option order's request carries its position intent."""
    if not isinstance(body, dict):
        raise _invalid("request body must be a JSON object")
    symbol = body.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise _invalid("symbol is required")
    if body.get("notional") is not None:
        raise _invalid("notional orders are not supported by the stand-in")
    try:
        quantity = float(body["qty"])
    except (KeyError, TypeError, ValueError):
        raise _invalid("qty is required") from None
    option = is_option_symbol(symbol)
    if not (math.isfinite(quantity) and quantity > 0):
        raise _invalid(
            "qty must be a whole number of contracts > 0" if option else "qty must be > 0"
        )
    side = body.get("side")
    if side not in ("buy", "sell"):
        raise _invalid("side must be buy or sell")
    client_order_id = body.get("client_order_id") or str(uuid.uuid4())
    if not isinstance(client_order_id, str) or len(client_order_id) > MAX_CLIENT_ORDER_ID:
        raise _invalid(f"client_order_id must be at most {MAX_CLIENT_ORDER_ID} characters")
    if option:
        return _option_request(body, client_order_id, symbol, side, quantity), "day"
    if body.get("type", "market") != "market":
        raise _invalid("only market orders are supported by the stand-in")
    time_in_force = body.get("time_in_force")
    if time_in_force not in ("day", "gtc"):
        raise _invalid("time_in_force must be day or gtc")
    return OrderRequest(client_order_id, symbol, side, quantity), str(time_in_force)


def _option_request(
    body: dict[str, Any], client_order_id: str, symbol: str, side: Any, quantity: float
) -> OrderRequest:
    """An option order's request: whole contracts, a position intent (by its side when none is
    given), market or limit, for the day."""
    if quantity != int(quantity):
        raise _invalid("qty must be a whole number of contracts > 0")
    intent = body.get("position_intent")
    if intent is None:
        intent = "buy_to_open" if side == "buy" else "sell_to_close"
    if intent not in OPTION_INTENTS:
        raise _invalid(f"invalid position_intent {intent!r}")
    kind = body.get("type", "market")
    limit: float | None = None
    if kind == "limit":
        try:
            limit = float(body["limit_price"])
        except (KeyError, TypeError, ValueError):
            raise _invalid("limit_price is required for limit orders") from None
    elif kind != "market":
        raise _invalid("options orders are market or limit")
    if body.get("time_in_force") != "day":
        raise _invalid("options orders must be day orders")
    return OrderRequest(client_order_id, symbol, side, int(quantity), intent, limit)


def page(items: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
    """Activities (oldest first) as Alpaca pages them: `direction` (asc or desc, the
    default), `page_size` (at most 100) and `page_token` (the id to continue after)."""
    unknown = sorted(set(params) - {"direction", "page_size", "page_token"})
    if unknown:
        raise _invalid(f"unknown query parameter {unknown[0]}")
    direction = params.get("direction", "desc")
    if direction not in ("asc", "desc"):
        raise _invalid("direction must be asc or desc")
    if direction == "desc":
        items = items[::-1]
    if "page_token" in params:
        ids = [a["id"] for a in items]
        if params["page_token"] not in ids:
            raise _invalid("invalid page_token")
        items = items[ids.index(params["page_token"]) + 1 :]
    return items[: count(params, "page_size", 100, 100)]


def count(params: dict[str, str], name: str, default: int, most: int) -> int:
    """The query parameter `name`, a count from 1 to `most` (`default` when absent; 422
    otherwise)."""
    try:
        value = int(params.get(name, str(default)))
    except ValueError:
        raise _invalid(f"{name} must be an integer") from None
    if not 1 <= value <= most:
        raise _invalid(f"{name} must be between 1 and {most}")
    return value


def time_param(text: str, name: str) -> datetime:
    """The query parameter `name`'s RFC 3339 time (422 unless it is one with a time zone)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"{name} must be an RFC 3339 time") from None
    if value.tzinfo is None:
        raise _invalid(f"{name} must have a time zone")
    return value
