"""The paper options account: a simulated hedge account that fills option orders at the model
price and settles them at expiry. It never reads a clock: time moves by `advance(now)`.

Prices: an option's price at a session's close is `execution.hedge.model_price` (Black-Scholes
with the `ImpliedVolModel`, the underlying's realised volatility to that close, the account's
safe rate), the same model the engine and the hedge plan use. Its "bars" are the underlying's
closes on the exchange calendar's sessions.

Fills: an order fills at the first close after its submission (never at a price known when it
was placed), and at every later close until it is final. A buy fills when the model price is at or below its limit, a sell
when at or above (market orders always), at the model price, at most `max_fill_contracts` per
close (so a larger order fills in parts over several closes; None: all at once); a fee of
`fee_per_contract` per contract filled. Submissions are refused when the account's
`level` is below what the intent needs (`OPTIONS_LEVEL_NEEDED`), when a close would close more
contracts than are held or opened, or the contract has expired or has no underlying price.

Settlement: at the close of its expiry date every position is cash-settled at its intrinsic
value at that close (an `exercise` for a long in the money, an `assignment` for a short in the
money, an `expiry` at 0 otherwise; `execution.ledger`): listed ETF options would be
exercised into shares, which the paper account does not hold, so it settles their value in
cash. Open orders on an expired contract are canceled. `close_out(at)` ends the account: every
position still held is closed in cash at its model price at the last close at or before `at` (a
`close_out` settlement), and every open order is canceled.

Cash starts at 0 and moves by premiums, settlements and fees: it is the hedge's net cash flow
(the premiums are paid from the deployment's capital; the stock account holds it).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.brokers.base import BrokerOrder, OrderRequest
from execution.errors import BrokerRejectedError, OrderPlanError
from execution.hedge import HedgeMarket, model_price
from execution.ledger import Book, Fill, FillEvent
from execution.options import OPTIONS_LEVEL_NEEDED, parse_occ, settlement_price
from execution.schedule import session_datetimes, trading_sessions
from quant.options import ImpliedVolModel


@dataclass(frozen=True)
class PaperOptionsSettings:
    """The simulated account's terms: approved options `level` (0-3), safe rate a year (simple),
    fee per contract (currency), the most contracts an order fills per close (None: no limit)
    and the exchange calendar."""

    level: int = 3
    safe_rate: float = 0.0
    fee_per_contract: float = 0.0
    max_fill_contracts: int | None = None
    calendar: str = "XNYS"

    def __post_init__(self) -> None:
        if self.level not in (0, 1, 2, 3):
            raise BrokerRejectedError(f"level must be 0, 1, 2 or 3, got {self.level!r}")
        if not (math.isfinite(self.fee_per_contract) and self.fee_per_contract >= 0):
            raise BrokerRejectedError("fee_per_contract must be >= 0")
        if self.max_fill_contracts is not None and self.max_fill_contracts < 1:
            raise BrokerRejectedError("max_fill_contracts must be >= 1 or None")


class PaperOptionsBroker:
    """A simulated options account over `closes` (the hedge underlyings' closes: a column per
    symbol, indexed by session date), priced with `vol_model`."""

    name = "paper"

    def __init__(
        self,
        closes: pd.DataFrame,
        settings: PaperOptionsSettings | None = None,
        vol_model: ImpliedVolModel | None = None,
    ) -> None:
        if closes.empty:
            raise BrokerRejectedError("the paper options account needs the underlyings' closes")
        self.settings = settings or PaperOptionsSettings()
        self.vol_model = vol_model or ImpliedVolModel()
        days = pd.DatetimeIndex(closes.index).normalize()
        sessions = trading_sessions(self.settings.calendar, days[0].date(), days[-1].date())
        keep = days.isin(sessions.index)
        self._closes = closes.loc[keep]
        self._days: list[date] = [d.date() for d in days[keep]]
        self._bar_times = session_datetimes(sessions["close"].reindex(days[keep]))
        self._orders: dict[str, BrokerOrder] = {}
        self._requests: dict[str, OrderRequest] = {}
        self._fills: list[Fill] = []
        self._book = Book()
        self._now: datetime | None = None

    # -- saving and restoring ------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The account as JSON (`restore` rebuilds it over the same closes)."""
        return {
            "settings": vars(self.settings),
            "vol_model": self.vol_model.model_dump(),
            "orders": [
                {
                    **{k: v for k, v in vars(o).items() if k != "submitted_at"},
                    "submitted_at": o.submitted_at.isoformat(),
                    "request": _request_state(self._requests[o.client_order_id]),
                }
                for o in self._orders.values()
            ],
            "fills": [_fill_state(f) for f in self._fills],
            "now": None if self._now is None else self._now.isoformat(),
        }

    @classmethod
    def restore(cls, closes: pd.DataFrame, state: dict[str, Any]) -> PaperOptionsBroker:
        """The account `state` describes, over `closes`."""
        broker = cls(
            closes,
            PaperOptionsSettings(**state["settings"]),
            ImpliedVolModel.model_validate(state["vol_model"]),
        )
        for stored in state["orders"]:
            fields = {k: v for k, v in stored.items() if k != "request"}
            order = BrokerOrder(
                **{**fields, "submitted_at": datetime.fromisoformat(fields["submitted_at"])}
            )
            broker._orders[order.client_order_id] = order
            broker._requests[order.client_order_id] = _request(stored["request"])
        broker._fills = [_fill(f) for f in state["fills"]]
        broker._book = Book.replay(broker._fills)
        broker._now = None if state["now"] is None else datetime.fromisoformat(state["now"])
        return broker

    # -- the account -------------------------------------------------------------------------
    @property
    def now(self) -> datetime | None:
        """The account's time (None before the first `advance`)."""
        return self._now

    @property
    def cash(self) -> float:
        """The hedge's net cash so far (see the module docstring)."""
        return self._book.cash

    @property
    def book(self) -> Book:
        """The account's option book."""
        return self._book

    @property
    def underlyings(self) -> list[str]:
        """The underlyings the account has closes for (those it prices options on)."""
        return [str(c) for c in self._closes.columns]

    def options_level(self) -> int:
        """The approved options level."""
        return self.settings.level

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol (negative: short)."""
        return dict(self._book.contracts)

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """Trades and settlements at or after `since`, oldest first."""
        return [f for f in self._fills if since is None or f.time >= since]

    def open_orders(self) -> list[BrokerOrder]:
        """Orders not final, in submission order."""
        return [o for o in self._orders.values() if not o.is_final]

    def market(self, symbol: str, at: datetime) -> HedgeMarket:
        """The closes of the underlying `symbol` known at `at` (`BrokerRejectedError` if none)."""
        if symbol not in self._closes.columns:
            raise BrokerRejectedError(f"no prices for the option underlying {symbol!r}")
        index = bisect.bisect_right(self._bar_times, at)
        if index == 0:
            raise BrokerRejectedError(f"no close of {symbol} at or before {at.isoformat()}")
        column = self._closes[symbol].iloc[:index].dropna()
        return HedgeMarket(
            self._days[index - 1], column, self.settings.safe_rate, self.settings.calendar
        )

    def mark(self, symbol: str, at: datetime) -> float:
        """The model price per share of the option `symbol` at the last close at or before
        `at`."""
        contract = parse_occ(symbol)
        return model_price(contract, self.market(contract.underlying, at), self.vol_model)

    # -- orders ------------------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Accept the order at the account's time (it fills from the next close on: see the
        module docstring), or return the order already placed under its id."""
        existing = self._orders.get(request.client_order_id)
        if existing is not None:
            return existing
        if self._now is None:
            raise BrokerRejectedError("the paper options account's time is not set: advance it")
        self._check(request)
        order = BrokerOrder(
            request.client_order_id,
            request.symbol,
            request.side,
            float(request.quantity),
            "new",
            self._now,
        )
        self._orders[order.client_order_id] = order
        self._requests[order.client_order_id] = request
        return order

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        try:
            return self._orders[client_order_id]
        except KeyError:
            raise BrokerRejectedError(f"no option order {client_order_id!r}") from None

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel the unfilled rest of an order (a final one is returned as it is)."""
        order = self.order(client_order_id)
        if order.is_final:
            return order
        canceled = replace(order, status="canceled", reason="canceled on request")
        self._orders[client_order_id] = canceled
        return canceled

    def advance(self, now: datetime) -> list[Fill]:
        """Move to `now`: at every close after the account's time up to `now`, settle what
        expires that day, then fill open orders; the new fills and settlements."""
        if self._now is not None and now < self._now:
            raise BrokerRejectedError(f"time cannot go back from {self._now} to {now}")
        start = len(self._fills)
        first = 0 if self._now is None else bisect.bisect_right(self._bar_times, self._now)
        for index in range(first, bisect.bisect_right(self._bar_times, now)):
            self._settle(index)
            for order in self.open_orders():
                self._fill(order.client_order_id, index)
        self._now = now
        return self._fills[start:]

    def close_out(self, at: datetime) -> list[Fill]:
        """End the account at `at` (see the module docstring): advance to it, then close every
        position at its model price at the last close at or before it and cancel the open
        orders; the new fills and settlements."""
        start = len(self._fills)
        at = at if self._now is None else max(at, self._now)
        self.advance(at)
        index = bisect.bisect_right(self._bar_times, at) - 1
        for symbol, held in sorted(self._book.contracts.items()):
            if not held or index < 0:
                continue
            price = self.mark(symbol, self._bar_times[index])
            self._settle_position(symbol, held, price, index, "close_out", "close-out")
        for order in self.open_orders():
            self._orders[order.client_order_id] = replace(
                order, status="canceled", reason="its deployment was retired"
            )
        return self._fills[start:]

    def next_close(self, after: datetime) -> datetime | None:
        """The first close of the underlyings' data after `after` (None past the data's end)."""
        index = bisect.bisect_right(self._bar_times, after)
        return self._bar_times[index] if index < len(self._bar_times) else None

    def _check(self, request: OrderRequest) -> None:
        try:
            contract = parse_occ(request.symbol)
        except OrderPlanError as exc:
            raise BrokerRejectedError(str(exc)) from None
        needed = None if request.intent is None else OPTIONS_LEVEL_NEEDED.get(request.intent)
        if request.intent is None or needed is None:
            raise BrokerRejectedError(f"unknown position intent {request.intent!r}")
        if (request.side == "buy") != request.intent.startswith("buy"):
            raise BrokerRejectedError(f"side {request.side} does not match {request.intent}")
        if self.settings.level < needed:
            raise BrokerRejectedError(
                f"{request.intent} needs options trading level {needed}; the account is "
                f"approved for level {self.settings.level}"
            )
        if not (request.quantity > 0 and float(request.quantity).is_integer()):
            raise BrokerRejectedError(f"contracts must be a whole number > 0: {request.quantity!r}")
        if request.limit_price is not None and not (
            math.isfinite(request.limit_price) and request.limit_price >= 0
        ):
            raise BrokerRejectedError(f"limit_price must be >= 0, got {request.limit_price!r}")
        assert self._now is not None
        market = self.market(contract.underlying, self._now)
        if contract.expiry <= market.today:
            raise BrokerRejectedError(f"{request.symbol} has expired ({contract.expiry})")
        if request.intent.endswith("to_close"):
            held = self._book.contracts.get(request.symbol, 0) * (
                1 if request.side == "sell" else -1
            )
            pending = sum(
                int(o.quantity - o.filled_quantity)
                for o in self.open_orders()
                if o.symbol == request.symbol
                and self._requests[o.client_order_id].intent == request.intent
            )
            if request.quantity > held - pending:
                raise BrokerRejectedError(
                    f"{request.intent} of {request.quantity:g} {request.symbol}: {held - pending} "
                    "are held and not already being closed"
                )

    def _fill(self, client_order_id: str, index: int) -> None:
        order = self._orders[client_order_id]
        request = self._requests[client_order_id]
        bar_time = self._bar_times[index]
        if order.is_final:
            return
        price = self.mark(request.symbol, bar_time)
        limit = request.limit_price
        if limit is not None and (
            (request.side == "buy" and price > limit + 1e-12)
            or (request.side == "sell" and price < limit - 1e-12)
        ):
            return
        if price <= 0:
            return  # nothing trades at no price: the order waits (or is canceled at expiry)
        remaining = round(request.quantity) - int(order.filled_quantity)
        cap = self.settings.max_fill_contracts
        contracts = remaining if cap is None else min(remaining, cap)
        number = sum(1 for f in self._fills if f.order_id == client_order_id) + 1
        fill = Fill(
            f"{client_order_id}-{number}",
            client_order_id,
            request.symbol,
            request.side,
            contracts,
            price,
            contracts * self.settings.fee_per_contract,
            bar_time,
        )
        self._book.apply(fill)
        self._fills.append(fill)
        filled = order.filled_quantity + contracts
        average = (
            (order.average_fill_price or 0.0) * order.filled_quantity + price * contracts
        ) / (filled)
        self._orders[client_order_id] = replace(
            order,
            status="filled" if filled >= request.quantity else "partially_filled",
            filled_quantity=filled,
            average_fill_price=average,
        )

    def _settle_position(
        self, symbol: str, held: int, price: float, index: int, event: FillEvent, prefix: str
    ) -> None:
        """Close the `held` contracts of `symbol` in cash at `price` at the close `index`: a
        settlement `event` (no order; its id says `prefix`, the contract and the day)."""
        day = self._days[index]
        fill = Fill(
            f"{prefix}-{symbol}-{day.isoformat()}",
            f"{prefix}-{symbol}",
            symbol,
            "sell" if held > 0 else "buy",
            abs(held),
            price,
            0.0,
            self._bar_times[index],
            event,
        )
        self._book.apply(fill)
        self._fills.append(fill)

    def _settle(self, index: int) -> None:
        day = self._days[index]
        for symbol, held in sorted(self._book.contracts.items()):
            contract = parse_occ(symbol)
            if contract.expiry > day:
                continue
            value = settlement_price(contract, self._closes[contract.underlying].iloc[: index + 1])
            event: FillEvent = "expiry" if value <= 0 else "exercise" if held > 0 else "assignment"
            self._settle_position(symbol, held, value, index, event, "settle")
        for order in self.open_orders():
            if parse_occ(order.symbol).expiry <= day:
                self._orders[order.client_order_id] = replace(
                    order, status="canceled", reason=f"{order.symbol} expired on {day}"
                )


FILL_STATE = ("fill_id", "order_id", "symbol", "event", "side", "contracts", "price", "fee", "time")
"""The keys of a trade or settlement in the account's state, in their order."""
REQUEST_STATE = ("client_order_id", "symbol", "side", "intent", "contracts", "limit_price")
"""The keys of an order's request in the account's state, in their order."""


def _fill_state(fill: Fill) -> dict[str, Any]:
    """A trade or settlement as the account's state keeps it (contracts as a whole number)."""
    values = {**vars(fill), "contracts": round(fill.quantity), "time": fill.time.isoformat()}
    return {key: values[key] for key in FILL_STATE}


def _fill(state: dict[str, Any]) -> Fill:
    """The trade or settlement `_fill_state` kept."""
    fields = {k: v for k, v in state.items() if k not in ("contracts", "time")}
    return Fill(**fields, quantity=state["contracts"], time=datetime.fromisoformat(state["time"]))


def _request_state(request: OrderRequest) -> dict[str, Any]:
    """An order's request as the account's state keeps it (contracts as a whole number)."""
    values = {**vars(request), "contracts": round(request.quantity)}
    return {key: values[key] for key in REQUEST_STATE}


def _request(state: dict[str, Any]) -> OrderRequest:
    """The request `_request_state` kept."""
    fields = {k: v for k, v in state.items() if k != "contracts"}
    return OrderRequest(**fields, quantity=state["contracts"])
