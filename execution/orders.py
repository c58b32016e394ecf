"""The order plan of a rebalance: from an account's holdings, cash and prices to target weights.

Conventions: weights are fractions of the account's equity (cash plus holdings at `prices`),
long only, summing to at most 1 (the rest stays in cash); quantities are shares; amounts are in
the account's currency. The plan invests (1 - `cash_buffer`) of the equity: each symbol's target
is weight x investable equity / price shares, rounded down to whole shares unless the broker
takes fractional shares (then to `FRACTION_DIGITS` decimals), so the plan never needs more cash
than the account has. A trade whose value is below `min_trade_value` is skipped (the position
stays as it is). Sells come first, then buys; the buys must stay payable by the cash after the
sells if prices move by up to `price_reserve` (a fraction) against the plan before they fill
(buys' prices up, sells' down), estimated costs included: otherwise they are scaled down (whole
shares: the largest first) until they are.
Estimated costs per order are commission per share x shares + (commission_bps + slippage_bps) x
value / 10,000.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from execution.errors import OrderPlanError

FRACTION_DIGITS = 6
"""Decimals of a fractional-share quantity."""
WEIGHT_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PlanRules:
    """How orders are sized: `fractional` shares or whole ones, the smallest trade worth making
    (`min_trade_value`, currency), the share of equity kept in cash (`cash_buffer`, 0.02 = 2%),
    and the cost estimates (commission per share, commission and slippage in basis points of
    the traded value); `price_reserve` is the rise of prices before the buys fill that they must
    still be payable after (0.03 = 3%)."""

    fractional: bool = False
    min_trade_value: float = 0.0
    cash_buffer: float = 0.0
    commission_per_share: float = 0.0
    commission_bps: float = 0.0
    slippage_bps: float = 0.0
    price_reserve: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "min_trade_value",
            "commission_per_share",
            "commission_bps",
            "slippage_bps",
            "price_reserve",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise OrderPlanError(f"{name} must be a number >= 0, got {value!r}")
        if not (math.isfinite(self.cash_buffer) and 0 <= self.cash_buffer < 1):
            raise OrderPlanError(f"cash_buffer must be in [0, 1), got {self.cash_buffer!r}")

    def buying_power_needed(self, order: PlannedOrder) -> float:
        """The cash a buy must be able to pay: its value and estimated cost with prices up
        `price_reserve`."""
        return (order.value + order.estimated_cost) * (1.0 + self.price_reserve)

    def estimated_cost(self, quantity: float, price: float) -> float:
        """Commission and slippage expected on trading `quantity` shares at `price`."""
        value = quantity * price
        return (
            self.commission_per_share * quantity
            + (self.commission_bps + self.slippage_bps) * value / 10_000
        )


@dataclass(frozen=True)
class PlannedOrder:
    """One order of the plan: `quantity` shares of `symbol` to buy or sell, at about `price`
    (the plan's price), worth about `value`, costing about `estimated_cost`."""

    symbol: str
    side: Literal["buy", "sell"]
    quantity: float
    price: float
    value: float
    estimated_cost: float


@dataclass(frozen=True)
class OrderPlan:
    """The orders (sells first, then buys, each by symbol), the holdings they lead to, the cash
    left after them (estimated costs included), the account's equity before them, turnover
    (traded value / equity), the symbols whose trade was too small to make, and why buys were
    scaled down, if they were."""

    orders: list[PlannedOrder]
    target_holdings: dict[str, float]
    cash_after: float
    equity: float
    turnover: float
    estimated_costs: float
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan_orders(
    holdings: Mapping[str, float],
    cash: float,
    prices: Mapping[str, float],
    target_weights: Mapping[str, float],
    rules: PlanRules | None = None,
) -> OrderPlan:
    """The orders that move `holdings` (shares) and `cash` to `target_weights` at `prices` under
    `rules` (see the module docstring). A held symbol without a target weight is sold. Raises
    `OrderPlanError` for a weight that is not finite, negative or makes the sum exceed 1, a
    symbol without a positive price, negative holdings or cash."""
    rules = rules or PlanRules()
    _check_inputs(holdings, cash, prices, target_weights)
    symbols = sorted(set(holdings) | set(target_weights))
    equity = cash + sum(holdings.get(s, 0.0) * prices[s] for s in symbols)
    if not equity > 0:
        raise OrderPlanError(f"the account has no equity to invest ({equity:g})")
    investable = equity * (1.0 - rules.cash_buffer)
    target = {
        s: _round_down(target_weights.get(s, 0.0) * investable / prices[s], rules.fractional)
        for s in symbols
    }
    skipped: list[str] = []
    for s in symbols:
        delta = target[s] - holdings.get(s, 0.0)
        if delta != 0 and abs(delta) * prices[s] < rules.min_trade_value:
            target[s] = holdings.get(s, 0.0)
            skipped.append(s)
    sells = _orders(holdings, target, prices, rules, "sell")
    cash_after_sells = cash + sum(o.value - o.estimated_cost for o in sells)
    # the sells' proceeds if their prices fall by the reserve before they fill
    buying_power = cash + sum(
        (o.value - o.estimated_cost) * (1.0 - rules.price_reserve) for o in sells
    )
    buys, notes = _affordable_buys(holdings, target, prices, rules, buying_power)
    for order in buys:
        target[order.symbol] = holdings.get(order.symbol, 0.0) + order.quantity
    orders = sells + buys
    costs = sum(o.estimated_cost for o in orders)
    cash_after = cash_after_sells - sum(o.value + o.estimated_cost for o in buys)
    return OrderPlan(
        orders=orders,
        target_holdings={s: q for s, q in target.items() if q > 0},
        cash_after=cash_after,
        equity=equity,
        turnover=sum(o.value for o in orders) / equity,
        estimated_costs=costs,
        skipped=skipped,
        notes=notes,
    )


def _check_inputs(
    holdings: Mapping[str, float],
    cash: float,
    prices: Mapping[str, float],
    target_weights: Mapping[str, float],
) -> None:
    if not (math.isfinite(cash) and cash >= 0):
        raise OrderPlanError(f"cash must be a number >= 0, got {cash!r}")
    for symbol, weight in target_weights.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise OrderPlanError(f"target weight of {symbol} must be a number >= 0, got {weight!r}")
    total = sum(target_weights.values())
    if total > 1 + WEIGHT_SUM_TOLERANCE:
        raise OrderPlanError(f"target weights sum to {total:.10g}, more than 1")
    for symbol, quantity in holdings.items():
        if not (math.isfinite(quantity) and quantity >= 0):
            raise OrderPlanError(f"holding of {symbol} must be >= 0 shares, got {quantity!r}")
    for symbol in set(holdings) | set(target_weights):
        price = prices.get(symbol)
        if price is None or not (math.isfinite(price) and price > 0):
            raise OrderPlanError(f"no positive price for {symbol} (got {price!r})")


def _round_down(quantity: float, fractional: bool) -> float:
    if not fractional:
        return float(math.floor(quantity + 1e-9))
    scale = 10**FRACTION_DIGITS
    return math.floor(quantity * scale + 1e-6) / scale


def _order(
    symbol: str, side: Literal["buy", "sell"], quantity: float, price: float, rules: PlanRules
) -> PlannedOrder:
    return PlannedOrder(
        symbol, side, quantity, price, quantity * price, rules.estimated_cost(quantity, price)
    )


def _orders(
    holdings: Mapping[str, float],
    target: Mapping[str, float],
    prices: Mapping[str, float],
    rules: PlanRules,
    side: Literal["buy", "sell"],
) -> list[PlannedOrder]:
    out = []
    for symbol in sorted(target):
        delta = target[symbol] - holdings.get(symbol, 0.0)
        # Holdings built from fills carry float noise: a quantity is whole or has
        # FRACTION_DIGITS decimals, like the fills a broker makes.
        quantity = round(abs(delta), FRACTION_DIGITS if rules.fractional else 0)
        if quantity > 0 and ((side == "sell" and delta < 0) or (side == "buy" and delta > 0)):
            out.append(_order(symbol, side, quantity, prices[symbol], rules))
    return out


def _affordable_buys(
    holdings: Mapping[str, float],
    target: Mapping[str, float],
    prices: Mapping[str, float],
    rules: PlanRules,
    cash: float,
) -> tuple[list[PlannedOrder], list[str]]:
    """The buys toward `target` that `cash` pays for with prices up `price_reserve`, costs
    included: scaled down in proportion (then whole shares trimmed, largest order first) when
    it does not."""
    buys = _orders(holdings, target, prices, rules, "buy")
    needed = sum(rules.buying_power_needed(o) for o in buys)
    if needed <= cash:
        return buys, []
    scale = max(cash, 0.0) / needed
    quantities = {o.symbol: _round_down(o.quantity * scale, rules.fractional) for o in buys}
    while True:
        sized = [
            _order(s, "buy", q, prices[s], rules) for s, q in sorted(quantities.items()) if q > 0
        ]
        if sum(rules.buying_power_needed(o) for o in sized) <= cash or not sized:
            break
        largest = max(sized, key=lambda o: o.value)
        step = 1.0 if not rules.fractional else largest.quantity * 0.01
        quantities[largest.symbol] = max(
            0.0, _round_down(largest.quantity - step, rules.fractional)
        )
    reserve = (
        f" with prices {rules.price_reserve:.2%} against the plan before they fill (the price "
        "reserve)"
        if rules.price_reserve
        else ""
    )
    note = (
        f"buys scaled to {scale:.4%} of their size: their cost of {needed:,.2f}{reserve} would "
        f"exceed the {cash:,.2f} of cash the sells leave"
    )
    return sized, [note]
