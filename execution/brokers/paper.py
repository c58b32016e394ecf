"""The built-in paper broker: a simulated account that fills market orders from the market
data at the exchange's session open or close.

Fills: an order fills at the first session bar after it was submitted (a bar is a session's
open or its close, whichever the prices are: `fill_at`; daily closing prices fill at the close), at that bar's price moved against the order by `slippage_bps` (buys pay more,
sells get less), with a commission (`PaperCosts`) of `commission_per_share` x shares +
`commission_bps` of the value, at least `commission_minimum` per fill, plus
`commission_per_order` once per order (on its first fill). A bar where the symbol has no price is skipped.
At most `max_fill_fraction` of an order's shares fill per bar, so an order larger than that
fills in parts over several sessions (orders are good till canceled). Buys fill only as far as
the cash covers them (price and commission); the rest is refused with that reason: the order is
`rejected` when none of it filled, else `canceled` with the part that filled (a rejected order
never has fills). Sells of
more shares than are held, unknown symbols and non-positive quantities are refused at
submission. Whole shares unless `fractional`. Orders fill in the order they were submitted.
Cash earns `cash_rate` (annual; 0 by default), as a money-market sweep would: at each session's
close, cash x cash_rate / 252 is credited as an interest cash flow (`interest()`), before the
orders filling at that close, which is how the engine's backtest grows its safe asset. An
account several strategies share pays no rate of its own (`cash_rate` 0): the interest each
strategy's book earns at its own rate is computed from the books and credited with
`pay_interest` (`trading.accounts.interest`).
Time moves only when `advance(now)` is called: the broker never reads a clock of its own.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from bounded_lru import BoundedLru
from execution.brokers.base import AccountState, BrokerOrder, OrderRequest, OrderStatus
from execution.errors import BrokerRejectedError
from execution.ledger import INTEREST_NOTE, QUANTITY_TOLERANCE, Book, CashFlow, Fill
from execution.orders import FRACTION_DIGITS
from execution.schedule import session_datetimes, trading_sessions
from quant.estimators import PERIODS_PER_YEAR

FillAt = Literal["open", "close"]


@dataclass(frozen=True)
class PaperCosts:
    """The simulated cost of trading: slippage in basis points of the price, and commission per
    share (currency), in basis points of the value, with a minimum per fill (currency), plus a
    commission per order (currency, charged on its first fill)."""

    slippage_bps: float = 5.0
    commission_per_share: float = 0.0
    commission_bps: float = 0.0
    commission_minimum: float = 0.0
    commission_per_order: float = 0.0

    def __post_init__(self) -> None:
        for name in ("slippage_bps", "commission_per_share", "commission_bps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise BrokerRejectedError(f"{name} must be a number >= 0, got {value!r}")
        if not (math.isfinite(self.commission_minimum) and self.commission_minimum >= 0):
            raise BrokerRejectedError(
                f"commission_minimum must be >= 0, got {self.commission_minimum!r}"
            )
        if not (math.isfinite(self.commission_per_order) and self.commission_per_order >= 0):
            raise BrokerRejectedError(
                f"commission_per_order must be >= 0, got {self.commission_per_order!r}"
            )

    def fill_price(self, side: str, price: float) -> float:
        """The price a fill gets at a bar priced `price`."""
        move = self.slippage_bps / 10_000
        return price * (1 + move) if side == "buy" else price * (1 - move)

    def commission(self, quantity: float, price: float, *, first: bool) -> float:
        """The commission on a fill of `quantity` shares at `price`; `first`: the order's
        first fill, which carries `commission_per_order` too."""
        charged = (
            self.commission_per_share * quantity + self.commission_bps * quantity * price / 10_000
        )
        return max(charged, self.commission_minimum) + (self.commission_per_order if first else 0)


_TIMES_KEPT = 8
"""Price histories whose session times are kept (`_session_times`)."""
_times: BoundedLru[tuple[str, str, str, bytes], list[datetime]] = BoundedLru(_TIMES_KEPT)


def _session_times(
    calendar: str, column: str, sessions: pd.DataFrame, priced: pd.DatetimeIndex
) -> list[datetime]:
    """The `column` times of `sessions` (the exchange `calendar`'s) on the `priced` days, as
    Python datetimes, kept for the last `_TIMES_KEPT` price histories: an account is rebuilt
    over the same market data at every step of a run, and converting each session's time was
    most of its cost. The lists are shared: a broker only reads them."""
    key = (calendar, column, str(priced.dtype), priced.asi8.tobytes())
    known = _times.get(key)
    if known is not None:
        return known
    times = session_datetimes(sessions[column].reindex(priced))
    _times.put(key, times)
    return times


class PaperBroker:
    """A simulated account over `prices`: a price per symbol (columns) and session date (index),
    taken at each session's open or close (`fill_at`) on the exchange `calendar`'s session
    times; its cash earns `cash_rate` a year. Dates that are not sessions of the calendar are
    ignored."""

    name = "paper"

    def __init__(
        self,
        prices: pd.DataFrame,
        *,
        fill_at: FillAt = "close",
        costs: PaperCosts | None = None,
        fractional: bool = True,
        max_fill_fraction: float = 1.0,
        calendar: str = "XNYS",
        cash_rate: float = 0.0,
    ) -> None:
        if fill_at not in ("open", "close"):
            raise BrokerRejectedError(f"fill_at must be open or close, got {fill_at!r}")
        if not (math.isfinite(max_fill_fraction) and 0 < max_fill_fraction <= 1):
            raise BrokerRejectedError(
                f"max_fill_fraction must be in (0, 1], got {max_fill_fraction!r}"
            )
        if not (math.isfinite(cash_rate) and 0 <= cash_rate <= 1):
            raise BrokerRejectedError(f"cash_rate must be in [0, 1] a year, got {cash_rate!r}")
        if prices.empty:
            raise BrokerRejectedError("the paper broker needs prices: the market data is empty")
        days = pd.DatetimeIndex(prices.index)
        sessions = trading_sessions(calendar, days[0].date(), days[-1].date())
        on_sessions = days.normalize().isin(sessions.index)
        self._symbols = {str(symbol): index for index, symbol in enumerate(prices.columns)}
        self._prices = prices.loc[on_sessions].to_numpy(dtype=float)
        priced = days[on_sessions].normalize()
        self._bar_times = _session_times(calendar, fill_at, sessions, priced)
        self._close_times = _session_times(calendar, "close", sessions, priced)
        self.cash_rate = cash_rate
        self._interest: list[CashFlow] = []
        self.fractional = fractional
        self.fill_at = fill_at
        self.costs = costs or PaperCosts()
        self.max_fill_fraction = max_fill_fraction
        self._book = Book()
        self._orders: dict[str, BrokerOrder] = {}
        self._open: dict[str, None] = {}
        self._fills: list[Fill] = []
        self._fill_counts: dict[str, int] = {}
        self._cash_flows: list[CashFlow] = []
        self.calendar = calendar
        self._now: datetime | None = None

    # -- saving and restoring ------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything the account holds (cash flows, fills, orders, its time and settings) as
        JSON; `PaperBroker.restore(prices, state)` rebuilds it over the same market data."""
        return {
            "settings": {
                "fill_at": self.fill_at,
                "costs": asdict(self.costs),
                "fractional": self.fractional,
                "max_fill_fraction": self.max_fill_fraction,
                "calendar": self.calendar,
                "cash_rate": self.cash_rate,
            },
            "cash_flows": [_flow_state(f) for f in self._cash_flows],
            "interest": [_flow_state(f) for f in self._interest],
            "fills": [_fill_state(fill) for fill in self._fills],
            "orders": [_order_state(order) for order in self._orders.values()],
            "now": None if self._now is None else self._now.isoformat(),
        }

    @classmethod
    def restore(cls, prices: pd.DataFrame, state: dict[str, Any]) -> PaperBroker:
        """The account `state` describes (see `state`), over `prices`."""
        settings = state["settings"]
        broker = cls(
            prices,
            fill_at=settings["fill_at"],
            costs=PaperCosts(**settings["costs"]),
            fractional=settings["fractional"],
            max_fill_fraction=settings["max_fill_fraction"],
            calendar=settings["calendar"],
            cash_rate=settings.get("cash_rate", 0.0),
        )
        flows = [_restored_flow(f) for f in state["cash_flows"]]
        interest = [_restored_flow(f) for f in state.get("interest", [])]
        fills = [Fill(**{**f, "time": datetime.fromisoformat(f["time"])}) for f in state["fills"]]
        broker._cash_flows = flows
        broker._interest = interest
        broker._fills = fills
        broker._book = Book.replay(sorted([*flows, *interest, *fills], key=lambda e: e.time))
        for fill in fills:
            broker._fill_counts[fill.order_id] = broker._fill_counts.get(fill.order_id, 0) + 1
        for order in state["orders"]:
            restored = BrokerOrder(
                **{**order, "submitted_at": datetime.fromisoformat(order["submitted_at"])}
            )
            broker._put(restored)
        broker._now = None if state["now"] is None else datetime.fromisoformat(state["now"])
        return broker

    @property
    def now(self) -> datetime | None:
        """The broker's time: the last `advance` (None before the first)."""
        return self._now

    # -- the account -------------------------------------------------------------------------
    def deposit(self, amount: float, time: datetime, note: str = "") -> CashFlow:
        """Add (or, negative, withdraw) cash at `time` (`note` says whose, on an account several
        deployments share); the cash flow."""
        flow = CashFlow(f"deposit-{len(self._cash_flows) + 1}", amount, time, note)
        self._book.apply(flow)
        self._cash_flows.append(flow)
        return flow

    def cash_flows(self) -> list[CashFlow]:
        """The deposits and withdrawals so far, oldest first."""
        return list(self._cash_flows)

    def interest(self, since: datetime | None = None) -> list[CashFlow]:
        """The interest credited to the cash so far (after `since`, if given), oldest first."""
        if since is None:
            return list(self._interest)
        return self._interest[bisect.bisect_right(self._interest, since, key=lambda f: f.time) :]

    def pay_interest(self, flows: Sequence[CashFlow]) -> list[CashFlow]:
        """Credit interest computed elsewhere (an account several strategies share: each book's
        at its own rate, `trading.accounts.interest`), each flow once by its id, in time order
        after the interest already credited; the flows credited now."""
        known = {f.flow_id for f in self._interest}
        new = [f for f in sorted(flows, key=lambda f: f.time) if f.flow_id not in known]
        if new and self._interest and new[0].time < self._interest[-1].time:
            raise BrokerRejectedError(
                f"interest {new[0].flow_id} is older than the interest already credited"
            )
        for flow in new:
            self._book.apply(flow)
            self._interest.append(flow)
        return new

    def close_times(self, after: datetime | None, until: datetime) -> list[datetime]:
        """The session closes the account has prices for, after `after` (all without) and at
        or before `until`, oldest first."""
        first = 0 if after is None else bisect.bisect_right(self._close_times, after)
        return self._close_times[first : bisect.bisect_right(self._close_times, until)]

    def account(self) -> AccountState:
        """Cash and shares held now."""
        return AccountState(cash=self._book.cash, positions=self._book.holdings())

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The fills so far (after `since`, if given), oldest first."""
        if since is None:
            return list(self._fills)
        return self._fills[bisect.bisect_right(self._fills, since, key=lambda f: f.time) :]

    # -- orders ------------------------------------------------------------------------------
    def submit(self, request: OrderRequest, now: datetime | None = None) -> BrokerOrder:
        """Accept the order at `now` (default: the time of the last `advance`), or return the
        one already placed under its client order id."""
        existing = self._orders.get(request.client_order_id)
        if existing is not None:
            return existing
        submitted_at = now or self._now
        if submitted_at is None:
            raise BrokerRejectedError("the paper broker's time is not set: advance() it first")
        self._check(request)
        order = BrokerOrder(
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            quantity=request.quantity,
            status="new",
            submitted_at=submitted_at,
        )
        self._put(order)
        return order

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id`."""
        try:
            return self._orders[client_order_id]
        except KeyError:
            raise BrokerRejectedError(
                f"no order with client order id {client_order_id!r}"
            ) from None

    def open_orders(self) -> list[BrokerOrder]:
        """The orders not yet final, in the order they were submitted."""
        return [self._orders[client_order_id] for client_order_id in self._open]

    def _put(self, order: BrokerOrder) -> None:
        self._orders[order.client_order_id] = order
        if order.is_final:
            self._open.pop(order.client_order_id, None)
        else:
            self._open[order.client_order_id] = None

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel the unfilled rest of an order (a final order is returned as it is)."""
        order = self.order(client_order_id)
        if order.is_final:
            return order
        canceled = replace(order, status="canceled", reason="canceled on request")
        self._put(canceled)
        return canceled

    def advance(self, now: datetime) -> list[Fill]:
        """Move the broker's time to `now`, crediting interest at every session close up to it
        and filling open orders at every session bar, bar by bar (at each bar in the order they
        were submitted; a close's interest before its fills); returns the new fills, oldest
        first."""
        if self._now is not None and now < self._now:
            raise BrokerRejectedError(f"time cannot go back from {self._now} to {now}")
        start = len(self._fills)
        events: list[tuple[datetime, int, int]] = []  # (time, 0 interest | 1 fill, index)
        since = self._now or min((f.time for f in self._cash_flows), default=None)
        if self.cash_rate and since is not None:  # interest accrues from the first deposit
            first = bisect.bisect_right(self._close_times, since)
            last = bisect.bisect_right(self._close_times, now)
            events += [(self._close_times[i], 0, i) for i in range(first, last)]
        orders = self.open_orders()
        if orders:
            earliest = min(order.submitted_at for order in orders)
            after = earliest if self._now is None else max(earliest, self._now)
            first = bisect.bisect_right(self._bar_times, after)
            last = bisect.bisect_right(self._bar_times, now)
            events += [(self._bar_times[i], 1, i) for i in range(first, last)]
        for _, kind, index in sorted(events):
            if kind == 0:
                self._credit_interest(index)
            else:
                self._fill_bar(index)
        self._now = now
        return self._fills[start:]

    def _credit_interest(self, index: int) -> None:
        """Credit a session's interest on the cash held at its close (`index`: its row)."""
        amount = self._book.cash * self.cash_rate / PERIODS_PER_YEAR
        if amount > 0:
            close = self._close_times[index]
            flow = CashFlow(f"interest-{close:%Y%m%d}", amount, close, INTEREST_NOTE)
            self._book.apply(flow)
            self._interest.append(flow)

    def price(self, symbol: str, at: datetime) -> float | None:
        """The last bar price of `symbol` at or before `at`, or None if it has none yet."""
        column = self._symbols.get(symbol)
        if column is None:
            return None
        for index in range(bisect.bisect_right(self._bar_times, at) - 1, -1, -1):
            price = float(self._prices[index, column])
            if math.isfinite(price):
                return price
        return None

    def _check(self, request: OrderRequest) -> None:
        if request.symbol not in self._symbols:
            raise BrokerRejectedError(f"unknown symbol {request.symbol!r}")
        if not (math.isfinite(request.quantity) and request.quantity > 0):
            raise BrokerRejectedError(f"quantity must be positive, got {request.quantity!r}")
        if not self.fractional and request.quantity != math.floor(request.quantity):
            raise BrokerRejectedError(
                f"{request.symbol}: fractional quantity {request.quantity} on a whole-share account"
            )
        if request.side == "sell":
            held = self._book.shares.get(request.symbol, 0.0)  # as `holdings()`, unsorted
            held = held if held > QUANTITY_TOLERANCE else 0.0
            pending = sum(
                order.quantity - order.filled_quantity
                for order in self.open_orders()
                if order.symbol == request.symbol and order.side == "sell"
            )
            if request.quantity > held - pending + QUANTITY_TOLERANCE:
                raise BrokerRejectedError(
                    f"{request.symbol}: sell of {request.quantity:g} but {held - pending:g} "
                    "are held and not already being sold (no short selling)"
                )

    def _fill_bar(self, index: int) -> None:
        bar_time = self._bar_times[index]
        for order in self.open_orders():
            if bar_time <= order.submitted_at:
                continue
            bar_price = float(self._prices[index, self._symbols[order.symbol]])
            if math.isfinite(bar_price):
                filled = self._fill_at_bar(order, bar_time, bar_price)
                self._put(filled)

    def _fill_at_bar(self, order: BrokerOrder, bar_time: datetime, bar_price: float) -> BrokerOrder:
        remaining = order.quantity - order.filled_quantity
        quantity = min(remaining, self._round(order.quantity * self.max_fill_fraction) or remaining)
        if remaining - quantity < 0.5 * 10.0**-FRACTION_DIGITS:  # the rest is rounding dust
            quantity = remaining
        price = self.costs.fill_price(order.side, bar_price)
        reason = None
        if order.side == "buy":
            affordable = self._affordable(price, first=order.filled_quantity <= 0)
            if affordable < quantity:
                quantity, reason = affordable, "insufficient buying power"
        if quantity <= QUANTITY_TOLERANCE:
            if reason is None and order.filled_quantity > QUANTITY_TOLERANCE:
                return replace(order, status="filled")  # only rounding dust was left
            return _refused_rest(order, reason or "quantity below the smallest tradable amount")
        number = self._fill_counts.get(order.client_order_id, 0) + 1
        self._fill_counts[order.client_order_id] = number
        fill = Fill(
            fill_id=f"{order.client_order_id}-{number}",
            order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            quantity=quantity,
            price=price,
            fee=self.costs.commission(quantity, price, first=number == 1),
            time=bar_time,
        )
        self._book.apply(fill)
        self._fills.append(fill)
        filled = order.filled_quantity + quantity
        average = (
            (order.average_fill_price or 0.0) * order.filled_quantity + price * quantity
        ) / filled
        if reason is not None:
            return _refused_rest(
                replace(order, filled_quantity=filled, average_fill_price=average), reason
            )
        status: OrderStatus = (
            "filled" if filled >= order.quantity - QUANTITY_TOLERANCE else "partially_filled"
        )
        return replace(order, filled_quantity=filled, average_fill_price=average, status=status)

    def _affordable(self, price: float, *, first: bool) -> float:
        """The most shares the cash pays for at `price`, commission included (`first`: the
        order's first fill, with the commission per order)."""
        quantity = self._round(self._book.cash / price)
        while (
            quantity > 0
            and quantity * price + self.costs.commission(quantity, price, first=first)
            > self._book.cash
        ):
            step = 1.0 if not self.fractional else 10.0**-FRACTION_DIGITS
            quantity = self._round(
                min(
                    quantity - step,
                    (self._book.cash - self.costs.commission(quantity, price, first=first)) / price,
                )
            )
        return max(quantity, 0.0)

    def _round(self, quantity: float) -> float:
        if self.fractional:  # the epsilon keeps 0.064951 (64950.99999... millionths) whole
            return math.floor(quantity * 10**FRACTION_DIGITS + 1e-6) / 10**FRACTION_DIGITS
        return float(math.floor(quantity + QUANTITY_TOLERANCE))


def _refused_rest(order: BrokerOrder, reason: str) -> BrokerOrder:
    """`order` when the rest of it cannot fill (`reason`): `rejected` if none of it filled,
    else `canceled` with the part that filled, which the reason states."""
    if order.filled_quantity <= QUANTITY_TOLERANCE:
        return replace(order, status="rejected", reason=reason)
    part = f"{order.filled_quantity:g} of {order.quantity:g} filled, the rest canceled"
    return replace(order, status="canceled", reason=f"{reason}: {part}")


def _flow_state(flow: CashFlow) -> dict[str, Any]:
    return {
        "id": flow.flow_id,
        "amount": flow.amount,
        "time": flow.time.isoformat(),
        "note": flow.note,
    }


def _restored_flow(state: dict[str, Any]) -> CashFlow:
    return CashFlow(
        state["id"], state["amount"], datetime.fromisoformat(state["time"]), state["note"]
    )


def _fill_state(fill: Fill) -> dict[str, Any]:
    """A fill of shares as the account's state keeps it (every share fill is a trade)."""
    fields = {k: v for k, v in vars(fill).items() if k != "event"}
    return {**fields, "time": fill.time.isoformat()}


def _order_state(order: BrokerOrder) -> dict[str, Any]:
    return {**vars(order), "submitted_at": order.submitted_at.isoformat()}
