"""The simulated Alpaca account behind the local stand-in: the project's `PaperBroker` executes
the orders; this module keeps Alpaca's ids and renders everything in Alpaca's JSON shapes
(trading API v2: Order, TradeAccount, AccountConfiguration, Position, TradeActivity; numbers as
strings, as Alpaca sends them).

Requests are checked as Alpaca checks them, with Alpaca's error shape ``{"code", "message"}``
(`devtools.local_alpaca.wire`): 422 for a malformed order (only market orders by qty, day or
gtc, are supported here for shares) and for a client order id used before ("client_order_id must be unique"), 403 for an order the account
cannot take (the paper broker's reason: no short selling, fractional shares on a whole-share
account, unknown symbol), 404 for an unknown order, 422 to cancel an order that is final.
Nothing here reads a clock: time moves when `advance(now)` is called.

Options (when the account is given an `options` account, `PaperOptionsBroker`): orders whose
symbol is an OCC option symbol go to it, market or limit, whole contracts, with a
`position_intent`; the account's `options_approved_level` and `options_trading_level` are its
level; option positions are listed with ``asset_class`` ``us_option`` (short ones with a
negative ``qty`` and ``side`` short), their fills as FILL activities. An option order the level
does not allow is refused with 403, as Alpaca does. What settles at expiry is rendered as
Alpaca's non-trade activities (``GET /v2/account/activities?activity_types=OPEXP,OPASN,OPEXC``):
``OPEXP`` (expired worthless), ``OPEXC`` (a long exercised), ``OPASN`` (a short assigned), each
with the OCC ``symbol``, ``qty`` (contracts, negative when a long leaves), the ``date`` and
``net_amount``. Alpaca delivers the underlying's shares on exercise and assignment (a separate
``OPTRD`` activity, ``net_amount`` 0 on the option event); the paper options account settles in
cash, so the stand-in's ``net_amount`` is the cash it settled and no shares move. The listed
contracts are `devtools.local_alpaca.contracts`'.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.local_alpaca.wire import AlpacaError, count, number, order_request, page, time_param
from execution.brokers.base import BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker
from execution.errors import BrokerRejectedError
from execution.ledger import QUANTITY_TOLERANCE, Book, Fill
from execution.options import CONTRACT_MULTIPLIER

SETTLEMENT_TYPES = {"expiry": "OPEXP", "exercise": "OPEXC", "assignment": "OPASN"}
"""Alpaca's non-trade activity type of each option settlement event."""

_NAMESPACE = uuid.UUID("5f0c1a52-8e57-4a39-9f8e-0d1f3bde7c11")
"""Namespace of the stand-in's deterministic ids (account and asset ids)."""


@dataclass
class _Placed:
    """What the stand-in knows of an order beyond the paper broker's `BrokerOrder`."""

    id: uuid.UUID
    time_in_force: str
    updated_at: datetime
    filled_at: datetime | None = None
    canceled_at: datetime | None = None


class SimulatedAccount:
    """An Alpaca account whose orders `broker` executes (thread-safe: the server is threaded).

    `advance(now)` moves time (and fills orders) as `PaperBroker.advance` does; orders are
    submitted at the time of the last `advance`.
    """

    def __init__(
        self,
        broker: PaperBroker,
        account_number: str = "PA0000LOCAL",
        options: PaperOptionsBroker | None = None,
    ) -> None:
        self.broker = broker
        self.options = options
        self._option_requests: dict[str, OrderRequest] = {}
        self.account_number = account_number
        self.account_id = uuid.uuid5(_NAMESPACE, account_number)
        self._placed: dict[str, _Placed] = {}
        self._by_id: dict[uuid.UUID, str] = {}
        self._activities: list[dict[str, Any]] = []
        self._settlements: list[dict[str, Any]] = []
        self._filled: dict[str, float] = {}
        self._now: datetime | None = None
        self._lock = threading.RLock()

    # -- time --------------------------------------------------------------------------------
    @property
    def now(self) -> datetime | None:
        """The account's time (that of the last `advance`)."""
        return self._now

    def advance(self, now: datetime) -> list[Fill]:
        """Move time to `now`, filling open orders on the way; returns the new fills."""
        with self._lock:
            fills = self.broker.advance(now)
            self._now = now
            for fill in fills:
                self._record(fill)
            if self.options is not None:
                for option_fill in self.options.advance(now):
                    if option_fill.event == "trade":
                        self._record(option_fill)
                    else:
                        self._settle(option_fill)
            # the paper broker fills order by order; Alpaca lists executions in time order
            self._activities.sort(key=lambda activity: activity["transaction_time"])
            return fills

    def _settle(self, fill: Fill) -> None:
        """The non-trade activity of an option that settled at expiry."""
        self._settlements.append(
            {
                "id": f"{fill.time:%Y%m%d%H%M%S}000::{uuid.uuid5(_NAMESPACE, fill.fill_id)}",
                "account_id": str(self.account_id),
                "activity_type": SETTLEMENT_TYPES[fill.event],
                "date": fill.time.date().isoformat(),
                "net_amount": number(fill.cash_change),
                "description": f"Option {fill.event.capitalize()}",
                "symbol": fill.symbol,
                "qty": number(-fill.quantity if fill.side == "sell" else fill.quantity),
                "status": "executed",
            }
        )

    def settlements(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """``GET /v2/account/activities?activity_types=...``: the option settlements of the
        types asked (OPEXP, OPASN, OPEXC; others answer 422), `direction`, `page_size` and
        `page_token` as for fills."""
        types = set(params.get("activity_types", "").split(","))
        if not types or not types <= set(SETTLEMENT_TYPES.values()):
            raise AlpacaError(
                422, 40010001, "the stand-in lists activity_types OPEXP, OPASN and OPEXC only"
            )
        with self._lock:
            items = [a for a in self._settlements if a["activity_type"] in types]
        return page(items, {k: v for k, v in params.items() if k != "activity_types"})

    def _broker_order(self, client_order_id: str) -> BrokerOrder:
        """The order under `client_order_id`, from the options account for an option order."""
        if client_order_id in self._option_requests:
            assert self.options is not None
            return self.options.order(client_order_id)
        return self.broker.order(client_order_id)

    def _record(self, fill: Fill) -> None:
        order = self._broker_order(fill.order_id)
        placed = self._placed[fill.order_id]
        cumulative = self._filled.get(fill.order_id, 0.0) + fill.quantity
        self._filled[fill.order_id] = cumulative
        leaves = max(order.quantity - cumulative, 0.0)
        whole = leaves <= QUANTITY_TOLERANCE
        placed.updated_at = fill.time
        placed.filled_at = fill.time if whole else placed.filled_at
        self._activities.append(
            {
                "id": f"{fill.time:%Y%m%d%H%M%S}{fill.time.microsecond // 1000:03d}::{uuid.uuid4()}",
                "account_id": str(self.account_id),
                "activity_type": "FILL",
                "transaction_time": fill.time.isoformat(),
                "type": "fill" if whole else "partial_fill",
                "price": number(fill.price),
                "qty": number(fill.quantity),
                "side": fill.side,
                "symbol": fill.symbol,
                "leaves_qty": number(leaves),
                "order_id": str(placed.id),
                "cum_qty": number(cumulative),
                "order_status": "filled" if whole else "partially_filled",
            }
        )

    # -- the account -------------------------------------------------------------------------
    def account(self) -> dict[str, Any]:
        """``GET /v2/account``: a TradeAccount (cash account: buying power is the cash)."""
        with self._lock:
            state = self.broker.account()
            long_value = sum(q * self._mark(s) for s, q in state.positions.items())
            options_cash = 0.0 if self.options is None else self.options.cash
            cash = number(state.cash + options_cash)
            equity = number(state.cash + options_cash + long_value)
            zero = "0"
            return {
                "id": str(self.account_id),
                "account_number": self.account_number,
                "status": "ACTIVE",
                "crypto_status": "INACTIVE",
                "currency": "USD",
                "buying_power": cash,
                "regt_buying_power": cash,
                "daytrading_buying_power": zero,
                "non_marginable_buying_power": cash,
                "options_buying_power": cash,
                "cash": cash,
                "accrued_fees": zero,
                "pending_transfer_in": zero,
                "pending_transfer_out": zero,
                "portfolio_value": equity,
                "pattern_day_trader": False,
                "trading_blocked": False,
                "transfers_blocked": False,
                "account_blocked": False,
                "created_at": "2020-01-02T14:30:00Z",
                "trade_suspended_by_user": False,
                "multiplier": "1",
                "shorting_enabled": False,
                "equity": equity,
                "last_equity": equity,
                "long_market_value": number(long_value),
                "short_market_value": zero,
                "initial_margin": zero,
                "maintenance_margin": zero,
                "last_maintenance_margin": zero,
                "sma": zero,
                "daytrade_count": 0,
                "options_approved_level": self.options_level,
                "options_trading_level": self.options_level,
            }

    @property
    def options_level(self) -> int:
        """The account's options level (0 without an options account)."""
        return 0 if self.options is None else self.options.options_level()

    def configurations(self) -> dict[str, Any]:
        """``GET /v2/account/configurations``: fractional trading as the paper broker's."""
        return {
            "dtbp_check": "entry",
            "trade_confirm_email": "none",
            "suspend_trade": False,
            "no_shorting": True,
            "fractional_trading": self.broker.fractional,
            "max_margin_multiplier": "1",
            "pdt_check": "entry",
            "ptp_no_exception_entry": False,
            "max_options_trading_level": self.options_level,
        }

    def positions(self) -> list[dict[str, Any]]:
        """``GET /v2/positions``: the long positions, with FIFO cost basis from the fills (the
        stand-in does not know where a symbol is listed: ``exchange`` is empty)."""
        with self._lock:
            book = Book.replay(self.broker.fills())
            pending = self._pending_sells()
            out = []
            for symbol, position in book.positions().items():
                if position.quantity <= QUANTITY_TOLERANCE:
                    continue
                price = self._mark(symbol)
                value = position.quantity * price
                out.append(
                    {
                        "asset_id": str(uuid.uuid5(_NAMESPACE, symbol)),
                        "symbol": symbol,
                        "exchange": "",
                        "asset_class": "us_equity",
                        "asset_marginable": False,
                        "avg_entry_price": number(position.cost_basis / position.quantity),
                        "qty": number(position.quantity),
                        "qty_available": number(position.quantity - pending.get(symbol, 0.0)),
                        "side": "long",
                        "market_value": number(value),
                        "cost_basis": number(position.cost_basis),
                        "unrealized_pl": number(value - position.cost_basis),
                        "unrealized_plpc": number(value / position.cost_basis - 1),
                        "unrealized_intraday_pl": "0",
                        "unrealized_intraday_plpc": "0",
                        "current_price": number(price),
                        "lastday_price": number(price),
                        "change_today": "0",
                    }
                )
            return out + self._option_positions()

    def _option_positions(self) -> list[dict[str, Any]]:
        """The option positions in Alpaca's shape (per contract values x 100)."""
        if self.options is None or self._now is None:
            return []
        out = []
        for symbol, contracts in sorted(self.options.option_positions().items()):
            price = self.options.mark(symbol, self._now)
            value = contracts * CONTRACT_MULTIPLIER * price
            out.append(
                {
                    "asset_id": str(uuid.uuid5(_NAMESPACE, symbol)),
                    "symbol": symbol,
                    "exchange": "",
                    "asset_class": "us_option",
                    "asset_marginable": False,
                    "avg_entry_price": number(price),
                    "qty": number(contracts),
                    "qty_available": number(contracts),
                    "side": "long" if contracts > 0 else "short",
                    "market_value": number(value),
                    "cost_basis": number(value),
                    "unrealized_pl": "0",
                    "unrealized_plpc": "0",
                    "unrealized_intraday_pl": "0",
                    "unrealized_intraday_plpc": "0",
                    "current_price": number(price),
                    "lastday_price": number(price),
                    "change_today": "0",
                }
            )
        return out

    def _mark(self, symbol: str) -> float:
        """The symbol's last price now (the paper broker's last bar)."""
        price = self.broker.price(symbol, self._now) if self._now is not None else None
        return price if price is not None else 0.0

    def _pending_sells(self) -> dict[str, float]:
        pending: dict[str, float] = {}
        for order in self.broker.open_orders():
            if order.side == "sell":
                rest = order.quantity - order.filled_quantity
                pending[order.symbol] = pending.get(order.symbol, 0.0) + rest
        return pending

    def activities(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """``GET /v2/account/activities/FILL``: `after` (a time), `direction` (asc or desc, the
        default), `page_size` (at most 100) and `page_token` (the id to continue after)."""
        with self._lock:
            items = list(self._activities)
        if "after" in params:
            after = time_param(params["after"], "after")
            items = [a for a in items if datetime.fromisoformat(a["transaction_time"]) > after]
        return page(items, {k: v for k, v in params.items() if k != "after"})

    # -- orders ------------------------------------------------------------------------------
    def submit(self, body: Any) -> dict[str, Any]:
        """``POST /v2/orders``: place an order of shares (market) or of an option's contracts
        (market or limit, with its intent) (see the module docstring for refusals)."""
        request, time_in_force = order_request(body)
        option = request.kind == "option"
        if option and self.options is None:
            raise AlpacaError(403, 40310000, "account is not eligible to trade options")
        with self._lock:
            if request.client_order_id in self._placed:
                raise AlpacaError(422, 40010001, "client_order_id must be unique")
            if option and self._now is None:
                raise AlpacaError(403, 40310000, "the market is closed")
            trades = self.options if option and self.options is not None else self.broker
            before = len(trades.fills())
            try:
                order = trades.submit(request)
            except BrokerRejectedError as refused:
                raise AlpacaError(403, 40310000, str(refused)) from None
            placed = _Placed(uuid.uuid4(), time_in_force, order.submitted_at)
            self._placed[request.client_order_id] = placed
            self._by_id[placed.id] = request.client_order_id
            if option:
                self._option_requests[request.client_order_id] = request
            for fill in trades.fills()[before:]:
                self._record(fill)
            return self._order_json(order)

    def open_orders(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """``GET /v2/orders``: the orders not yet final (``status=open``, Alpaca's default; the
        stand-in lists no others), oldest first with ``direction=asc``, at most `limit` (500)."""
        if params.get("status", "open") != "open":
            raise AlpacaError(422, 40010001, "the stand-in lists open orders only")
        limit = count(params, "limit", 50, 500)
        with self._lock:
            orders = [self._order_json(order) for order in self.broker.open_orders()]
            if self.options is not None:
                orders += [self._order_json(order) for order in self.options.open_orders()]
        if params.get("direction", "desc") == "desc":
            orders.reverse()
        return orders[:limit]

    def order_by_client_id(self, client_order_id: str) -> dict[str, Any]:
        """``GET /v2/orders:by_client_order_id``."""
        with self._lock:
            if client_order_id not in self._placed:
                raise AlpacaError(404, 40410000, "order not found")
            return self._order_json(self._broker_order(client_order_id))

    def order_by_id(self, order_id: str) -> dict[str, Any]:
        """``GET /v2/orders/{order_id}``."""
        with self._lock:
            return self.order_by_client_id(self._client_order_id(order_id))

    def cancel(self, order_id: str) -> None:
        """``DELETE /v2/orders/{order_id}``: cancel at once (Alpaca may take a moment)."""
        with self._lock:
            client_order_id = self._client_order_id(order_id)
            order = self._broker_order(client_order_id)
            if order.is_final:
                raise AlpacaError(422, 42210000, f'order is already in "{order.status}" state')
            if client_order_id in self._option_requests:
                assert self.options is not None
                self.options.cancel(client_order_id)
            else:
                self.broker.cancel(client_order_id)
            placed = self._placed[client_order_id]
            placed.canceled_at = placed.updated_at = self._now or order.submitted_at

    def _client_order_id(self, order_id: str) -> str:
        try:
            return self._by_id[uuid.UUID(order_id)]
        except (ValueError, KeyError):
            raise AlpacaError(404, 40410000, "order not found") from None

    def _order_json(self, order: BrokerOrder) -> dict[str, Any]:
        placed = self._placed[order.client_order_id]
        submitted = order.submitted_at.isoformat()
        option = self._option_requests.get(order.client_order_id)
        kind = "limit" if option is not None and option.limit_price is not None else "market"
        intent = (
            option.intent
            if option is not None
            else ("buy_to_open" if order.side == "buy" else "sell_to_close")
        )
        return {
            "id": str(placed.id),
            "client_order_id": order.client_order_id,
            "created_at": submitted,
            "updated_at": placed.updated_at.isoformat(),
            "submitted_at": submitted,
            "filled_at": placed.filled_at.isoformat() if placed.filled_at else None,
            "expired_at": None,
            "canceled_at": placed.canceled_at.isoformat() if placed.canceled_at else None,
            "failed_at": placed.updated_at.isoformat() if order.status == "rejected" else None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(_NAMESPACE, order.symbol)),
            "symbol": order.symbol,
            "asset_class": "us_equity" if option is None else "us_option",
            "notional": None,
            "qty": number(order.quantity),
            "filled_qty": number(order.filled_quantity),
            "filled_avg_price": (
                number(order.average_fill_price) if order.average_fill_price is not None else None
            ),
            "order_class": "",
            "order_type": kind,
            "type": kind,
            "side": order.side,
            "position_intent": intent,
            "time_in_force": placed.time_in_force,
            "limit_price": None
            if option is None or option.limit_price is None
            else number(option.limit_price),
            "stop_price": None,
            "status": order.status,
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
            "subtag": None,
            "source": None,
            "expires_at": None,
        }
