"""An HTTP server on loopback that speaks the subset of Alpaca's trading API v2 that
`execution.brokers.alpaca` uses, over a `SimulatedAccount`:

- ``GET /v2/account``, ``GET /v2/account/configurations``, ``GET /v2/positions``
- ``GET /v2/orders`` (open orders), ``POST /v2/orders``, ``GET /v2/orders/{id}``,
  ``GET /v2/orders:by_client_order_id``, ``DELETE /v2/orders/{id}`` (204)
- ``GET /v2/account/activities/FILL``, ``GET /v2/account/activities?activity_types=OPEXP,...``
  (option settlements) and ``GET /v2/options/contracts`` (the listed contracts,
  `devtools.local_alpaca.contracts`), when the account has options
- the Market Data API's option chain, ``GET /v1beta1/options/snapshots/{underlying}`` (the
  options account's quotes, `devtools.local_alpaca.option_quotes`), when the account has options
- Market Data API v2, when given a `MarketTape`: ``GET /v2/stocks/bars`` (daily bars, paged
  with ``next_page_token``) and ``GET /v2/stocks/trades/latest``
  (`devtools.local_alpaca.market`); the stand-in's URL is then also the data client's

Every request must carry the ``APCA-API-KEY-ID`` and ``APCA-API-SECRET-KEY`` headers of the
account (401 ``{"code": 40110000, "message": "request is not authorized"}`` otherwise); unknown
routes answer 404. `fail_next(count, status)` makes the next `count` requests (of one method and
path, if asked) answer `status` in Alpaca's error shape (503, 500, 429, 403 ...), before doing
anything, or, with `after_handling`, after doing what was asked (an order placed whose answer is
lost). `requests` lists the (method, path) of every request received. It is a test double: keep
it on loopback.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.local_alpaca.account import SimulatedAccount
from devtools.local_alpaca.contracts import OptionListing, list_contracts
from devtools.local_alpaca.market import MarketTape
from devtools.local_alpaca.option_quotes import option_chain
from devtools.local_alpaca.wire import AlpacaError
from devtools.loopback import LoopbackEndpoint, LoopbackHandler, LoopbackHTTPServer
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker
from execution.ledger import Fill

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body accepted."""
OPTION_CHAIN = "/v1beta1/options/snapshots/"
"""The Market Data API's option chain route (the underlying follows)."""

_FAULT_MESSAGES = {
    429: (42910000, "rate limit exceeded"),
    500: (50010000, "internal server error"),
    502: (50210000, "bad gateway"),
    503: (50310000, "service unavailable"),
    504: (50410000, "gateway timeout"),
}


class _Handler(LoopbackHandler):
    server_version = "stratigos-local-alpaca"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _answer(self, status: int, payload: Any = None) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        split = urlsplit(self.path)
        body = self._read_body()
        local = self.server.local
        fault = local._record_request(self.command, split.path)
        local._run_hooks(self.command, split.path)
        try:
            if fault is not None and not fault[1]:
                raise _fault_error(fault[0])
            self._authorize()
            status, payload = self._route(split.path, dict(parse_qsl(split.query)), body)
            if fault is not None:
                raise _fault_error(fault[0])
            self._answer(status, payload)
        except AlpacaError as error:
            self._answer(error.status, error.body())
        except Exception as exc:  # an unexpected failure still answers in Alpaca's shape
            logger.exception("local Alpaca stand-in failed")
            self._answer(500, {"code": 50010000, "message": f"{type(exc).__name__}: {exc}"})

    def _authorize(self) -> None:
        local = self.server.local
        key_id = self.headers.get("APCA-API-KEY-ID") or ""
        secret_key = self.headers.get("APCA-API-SECRET-KEY") or ""
        if not (
            hmac.compare_digest(key_id.encode(), local.key_id.encode())
            and hmac.compare_digest(secret_key.encode(), local.secret_key.encode())
        ):
            raise AlpacaError(401, 40110000, "request is not authorized")

    def _route(self, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        account = self.server.local.account
        method = self.command
        if method == "GET" and path == "/v2/account":
            return 200, account.account()
        if method == "GET" and path == "/v2/account/configurations":
            return 200, account.configurations()
        if method == "GET" and path == "/v2/positions":
            return 200, account.positions()
        if method == "GET" and path == "/v2/account/activities/FILL":
            return 200, account.activities(query)
        if method == "GET" and path == "/v2/account/activities":
            return 200, account.settlements(query)
        if method == "GET" and path == "/v2/options/contracts":
            return 200, self.server.local.contracts(query)
        if method == "GET" and path.startswith(OPTION_CHAIN) and path.count("/") == 4:
            return 200, self.server.local.option_chain(path.rsplit("/", 1)[1], query)
        market = self.server.local.market
        if market is not None and method == "GET" and path == "/v2/stocks/bars":
            return 200, market.bars(query)
        if market is not None and method == "GET" and path == "/v2/stocks/trades/latest":
            return 200, market.latest_trades(query)
        if method == "GET" and path == "/v2/orders":
            return 200, account.open_orders(query)
        if method == "POST" and path == "/v2/orders":
            return 200, account.submit(body)
        if method == "GET" and path == "/v2/orders:by_client_order_id":
            return 200, account.order_by_client_id(query.get("client_order_id", ""))
        if path.startswith("/v2/orders/") and path.count("/") == 3:
            order_id = path.rsplit("/", 1)[1]
            if method == "GET":
                return 200, account.order_by_id(order_id)
            if method == "DELETE":
                account.cancel(order_id)
                return 204, None
        raise AlpacaError(404, 40410000, f"endpoint not found: {method} {path}")

    def _read_body(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if not 0 <= length <= MAX_BODY_BYTES:
            length = 0
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _handle


def _fault_error(status: int) -> AlpacaError:
    code, message = _FAULT_MESSAGES.get(status, (status * 100_000, "injected failure"))
    return AlpacaError(status, code, message)


class _Server(LoopbackHTTPServer):
    local: LocalAlpaca


class LocalAlpaca(LoopbackEndpoint):
    """A running Alpaca trading API stand-in (see the module docstring) over `broker`.

    `url` is the base URL to give `AlpacaBroker(url_override=...)` (or
    ``STRATIGOS_ALPACA_BASE_URL``) and, with a `market` tape, the data client's
    (``STRATIGOS_ALPACA_DATA_URL``); `key_id` and `secret_key` are the keys it accepts. Nothing
    runs until `start` (or ``with``); `advance(now)` moves the simulated account's time, which
    is also the market tape's.
    """

    thread_name = "local-alpaca"

    def __init__(
        self,
        broker: PaperBroker,
        *,
        options: PaperOptionsBroker | None = None,
        listing: OptionListing | None = None,
        market: MarketTape | None = None,
        key_id: str = "local-key-id",
        secret_key: str = "local-secret-key",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.account = SimulatedAccount(broker, options=options)
        self.listing = listing or OptionListing()
        self.market = market
        if market is not None:
            market.now = lambda: self.account.now
        self.key_id = key_id
        self.secret_key = secret_key
        self.requests: list[tuple[str, str]] = []
        self._faults: deque[tuple[int, bool, tuple[str, str] | None]] = deque()
        self._hooks: list[tuple[tuple[str, str], Callable[[], object]]] = []
        self._lock = threading.Lock()
        super().__init__(host, port, _Handler, _Server)
        assert isinstance(self._server, _Server)
        self._server.local = self

    def __repr__(self) -> str:
        return f"LocalAlpaca(url={self.url!r})"

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (alpaca-py adds ``/v2``)."""
        return f"http://{self.host}:{self.port}"

    def advance(self, now: datetime) -> list[Fill]:
        """Move the account's time to `now`, filling open orders; returns the new fills."""
        return self.account.advance(now)

    def contracts(self, query: dict[str, str]) -> dict[str, Any]:
        """``GET /v2/options/contracts`` on the account's day (403 without options)."""
        options = self.account.options
        now = self.account.now
        if options is None or now is None:
            raise AlpacaError(403, 40310000, "account is not eligible to trade options")
        return list_contracts(self.listing, options.underlyings, now.date(), query)

    def option_chain(self, underlying: str, query: dict[str, str]) -> dict[str, Any]:
        """``GET /v1beta1/options/snapshots/{underlying}`` at the account's time
        (`devtools.local_alpaca.option_quotes`)."""
        return option_chain(self.account.options, self.listing, self.account.now, underlying, query)

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        after_handling: bool = False,
        request: tuple[str, str] | None = None,
    ) -> None:
        """Answer the next `count` requests (those to `request`, a (method, path) such as
        ``("POST", "/v2/orders")``, if given) with `status` (Alpaca's error shape), before
        handling them or, with `after_handling`, after doing what they asked."""
        with self._lock:
            self._faults.extend([(status, after_handling, request)] * count)

    def before_next(self, request: tuple[str, str], action: Callable[[], object]) -> None:
        """Run `action` once, when the next request to `request` (a (method, path) such as
        ``("GET", "/v2/account")``) arrives and before it is answered: what the market does
        between two calls of a client (e.g. ``lambda: stand_in.advance(close)`` fills the
        orders working then)."""
        with self._lock:
            self._hooks.append((request, action))

    def _run_hooks(self, method: str, path: str) -> None:
        with self._lock:
            due = [hook for hook in self._hooks if hook[0] == (method, path)]
            self._hooks = [hook for hook in self._hooks if hook[0] != (method, path)]
        for _, action in due:
            action()

    def _record_request(self, method: str, path: str) -> tuple[int, bool] | None:
        """Note a request; the fault it is to answer with, if any (the next one queued, when
        it applies to this request)."""
        with self._lock:
            self.requests.append((method, path))
            if not self._faults or self._faults[0][2] not in (None, (method, path)):
                return None
            status, after_handling, _ = self._faults.popleft()
            return status, after_handling


__all__ = ["MAX_BODY_BYTES", "LocalAlpaca"]
