"""How the Alpaca adapter (`execution.brokers.alpaca`) talks HTTP: a timeout on every request,
Alpaca's failures as the broker's errors, and paged reads of the account's activities.

Errors: a 4xx answer other than 429 is a `BrokerRejectedError` with Alpaca's message; 5xx, 429
and connection failures or timeouts are `BrokerUnavailableError`. alpaca-py's and requests'
exceptions hold the request and its key headers: they go no further than `attempt`, and the
errors are raised outside the `except` block that caught them, so that none is chained.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import RequestException

from execution.errors import BrokerRejectedError, BrokerUnavailableError

T = TypeVar("T")

MARKET_DATA_URL = "https://data.alpaca.markets"
"""Alpaca's Market Data API (without the version): stocks' bars and trades, options' quotes."""
MAX_MESSAGE_CHARS = 500
"""An error answer that is not Alpaca's JSON is quoted up to this many characters."""


class Timeouts(HTTPAdapter):
    """A requests adapter that gives every request without a timeout `timeout` (seconds)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def send(  # type: ignore[override]
        self, request: PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> Response:
        return super().send(
            request, timeout=self._timeout if timeout is None else timeout, **kwargs
        )


def quiet(client: RESTClient, timeout: tuple[float, float]) -> None:
    """Make `client` (an alpaca-py client) send every request with `timeout` (connect, read
    seconds) and never retry by itself: alpaca-py would retry 429 and 504 answers sleeping
    between attempts, and takes no argument to change that, so its retry count (`_retry`) is
    set to 0; the caller's own policy is the only retry."""
    client._retry = 0
    for scheme in ("http://", "https://"):
        client._session.mount(scheme, Timeouts(timeout))


@dataclass(frozen=True)
class Failure:
    """A call that did not succeed: Alpaca's HTTP status (None: no answer) and message."""

    status: int | None
    message: str

    @property
    def duplicate_client_order_id(self) -> bool:
        """Whether Alpaca refused an order because its client order id was used before."""
        return self.status == 422 and "client_order_id" in self.message

    def error(self, base_url: str, action: str) -> BrokerRejectedError | BrokerUnavailableError:
        """The broker error of this failure (`action` says what was being done)."""
        if self.status is None:
            return BrokerUnavailableError(
                f"Alpaca at {base_url} unreachable ({action}): {self.message}"
            )
        if self.status == 429 or self.status >= 500:
            return BrokerUnavailableError(
                f"Alpaca answered {self.status} ({action}): {self.message}"
            )
        return BrokerRejectedError(f"Alpaca refused ({action}, {self.status}): {self.message}")


def api_failure(error: APIError) -> Failure:
    """Alpaca's status and message from alpaca-py's `APIError` (its text is the answer's body,
    JSON ``{"code": ..., "message": ...}`` from Alpaca)."""
    text = str(error)
    try:
        message = str(json.loads(text)["message"])
    except (ValueError, KeyError, TypeError):
        message = text[:MAX_MESSAGE_CHARS] or "no message"
    return Failure(error.status_code, message)


def attempt(call: Callable[[], T]) -> T | Failure:
    """`call()`, or what went wrong (see the module docstring)."""
    try:
        return call()
    except APIError as error:
        return api_failure(error)
    except RequestException as error:
        return Failure(None, f"{type(error).__name__}: {error}")


def called(base_url: str, action: str, call: Callable[[], T]) -> T:
    """`call()`, or the broker error for its failure (`action` says what was being done)."""
    outcome = attempt(call)
    if isinstance(outcome, Failure):
        raise outcome.error(base_url, action)
    return outcome


def activity_pages(
    base_url: str,
    action: str,
    get: Callable[[dict[str, Any]], Any],
    params: dict[str, Any],
    page_size: int,
) -> list[dict[str, Any]]:
    """Every activity `get(params)` lists, oldest first, `page_size` a page: each next page
    starts after the last activity's id (Alpaca's `page_token`)."""
    params = {**params, "direction": "asc", "page_size": page_size}
    items: list[dict[str, Any]] = []
    while True:
        page: list[dict[str, Any]] = called(base_url, action, lambda: get(dict(params)))
        items += page
        if len(page) < page_size:
            return items
        params["page_token"] = page[-1]["id"]
