"""Netting the orders of strategies that share one account, and attributing what fills to them.

At a decision time every deploying strategy of an account plans its own orders on its own
sleeve (its shares and cash in its ledger: `execution.rebalance`). The account trades the net:

- per symbol, the strategies' buys `B` and sells `S` cross inside the account for `min(B, S)`
  shares (a **crossing**: one strategy buys what another sells; it never reaches the broker and
  fills at the decision's price, the same for both sides, with no fee), and only the rest,
  `|B - S|` shares on the larger side, is sent to the broker (the **net order**);
- every order carries its **allocations**: the part each strategy asked for, pro rata to what
  it wanted on that side (each strategy's wants are exactly covered: its part of the crossing
  plus its part of the net order);
- a fill of a net order is split over its allocations by the same proportions (its fee too);
  the last allocation takes the remainder, so the slices add up to the fill exactly.

Orders come out crossings first, then the net sells, then the net buys (each by symbol), so the
account sells before it buys, as one strategy's plan does. Quantities are shares (fractional
when the broker allows), prices currency per share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from execution.errors import OrderPlanError
from execution.ledger import CashFlow, Fill
from execution.orders import PlannedOrder

Side = Literal["buy", "sell"]


@dataclass(frozen=True)
class NettedOrder:
    """An order of the account: `quantity` shares of `symbol` to `side`, the part each
    deployment asked for (`allocations`: deployment id -> shares, adding up to `quantity`) and,
    for a crossing inside the account, the price it fills at (`internal_price`; None: sent to
    the broker)."""

    symbol: str
    side: Side
    quantity: float
    allocations: tuple[tuple[str, float], ...]
    internal_price: float | None = None

    @property
    def crossing(self) -> bool:
        """Whether the order crosses inside the account (never sent)."""
        return self.internal_price is not None


@dataclass(frozen=True)
class Conflict:
    """A symbol some deployments buy and others sell at one decision time: who wants what
    (deployment id -> shares), what crossed inside the account and what went to the broker
    (`net_side`, `net_quantity`: 0 when the wants cancel out)."""

    symbol: str
    buyers: dict[str, float]
    sellers: dict[str, float]
    crossed: float
    price: float
    net_side: Side | None
    net_quantity: float

    def to_json(self) -> dict[str, object]:
        """The conflict as the run's outcome, its events and the API show it."""
        return {
            "symbol": self.symbol,
            "buyers": self.buyers,
            "sellers": self.sellers,
            "crossed": self.crossed,
            "price": self.price,
            "net_side": self.net_side,
            "net_quantity": self.net_quantity,
        }


@dataclass(frozen=True)
class NettedPlan:
    """The account's orders (crossings, net sells, net buys), the conflicts netted and the
    decision's price of each symbol traded (currency per share)."""

    orders: list[NettedOrder]
    conflicts: list[Conflict]
    prices: dict[str, float]

    @property
    def sent(self) -> list[NettedOrder]:
        """The orders that go to the broker."""
        return [o for o in self.orders if not o.crossing]

    def buying_power_needed(self) -> float:
        """What the net buys cost at the decision's prices less what the net sells bring
        (currency; negative when the sells bring more)."""
        return sum(
            (1.0 if o.side == "buy" else -1.0) * o.quantity * self.prices[o.symbol]
            for o in self.sent
        )


def net_orders(wants: Mapping[str, Sequence[PlannedOrder]]) -> NettedPlan:
    """Net the planned orders of each deployment (`wants`: deployment id -> its plan's orders,
    priced at the decision's prices) into the account's orders (see the module docstring).
    `OrderPlanError` when two plans price one symbol differently (they decided on other
    closes)."""
    buys: dict[str, dict[str, float]] = {}
    sells: dict[str, dict[str, float]] = {}
    prices: dict[str, float] = {}
    for deployment_id, orders in wants.items():
        for order in orders:
            known = prices.setdefault(order.symbol, order.price)
            if not math.isclose(known, order.price, rel_tol=1e-12):
                raise OrderPlanError(
                    f"{order.symbol} is priced {known:g} and {order.price:g} by two strategies of "
                    "one account: they must decide on the same closes"
                )
            per_symbol = (buys if order.side == "buy" else sells).setdefault(order.symbol, {})
            per_symbol[deployment_id] = per_symbol.get(deployment_id, 0.0) + order.quantity
    crossings: list[NettedOrder] = []
    net: dict[Side, list[NettedOrder]] = {"sell": [], "buy": []}
    for symbol in sorted(prices):
        buyers, sellers = buys.get(symbol, {}), sells.get(symbol, {})
        bought, sold = sum(buyers.values()), sum(sellers.values())
        crossed = min(bought, sold)
        rest = bought - sold
        side: Side = "buy" if rest > 0 else "sell"
        wanting = buyers if rest > 0 else sellers
        wanted = bought if rest > 0 else sold
        if crossed > 0:
            crossings += [
                NettedOrder(symbol, "buy", crossed, _split(crossed, buyers), prices[symbol]),
                NettedOrder(symbol, "sell", crossed, _split(crossed, sellers), prices[symbol]),
            ]
        if rest != 0:
            scaled = {d: q * abs(rest) / wanted for d, q in wanting.items()}
            net[side].append(NettedOrder(symbol, side, abs(rest), _split(abs(rest), scaled)))
    netted = crossings + net["sell"] + net["buy"]
    return NettedPlan(netted, conflicts_of(netted), prices)


def conflicts_of(orders: Sequence[NettedOrder]) -> list[Conflict]:
    """The conflicts an account's orders at one decision time netted, read back from the
    orders themselves (each symbol with a crossing: who bought and sold what, by the
    allocations of its crossings and its net order), by symbol."""
    out = []
    for symbol in sorted({o.symbol for o in orders if o.crossing}):
        buyers: dict[str, float] = {}
        sellers: dict[str, float] = {}
        for order in (o for o in orders if o.symbol == symbol):
            wanted = buyers if order.side == "buy" else sellers
            for deployment_id, quantity in order.allocations:
                wanted[deployment_id] = wanted.get(deployment_id, 0.0) + quantity
        crossing = next(o for o in orders if o.symbol == symbol and o.crossing)
        sent = [o for o in orders if o.symbol == symbol and not o.crossing]
        assert crossing.internal_price is not None
        out.append(
            Conflict(
                symbol,
                buyers,
                sellers,
                crossing.quantity,
                crossing.internal_price,
                sent[0].side if sent else None,
                sent[0].quantity if sent else 0.0,
            )
        )
    return out


def _split(total: float, wanted: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """`total` shares over the deployments pro rata to `wanted`, in deployment order; the last
    takes the remainder (the parts add up to `total` exactly)."""
    whole = sum(wanted.values())
    parts = [(d, total * q / whole) for d, q in wanted.items() if q > 0]
    if not parts:
        return ()
    head = parts[:-1]
    return (*head, (parts[-1][0], total - sum(q for _, q in head)))


def slice_id(entry_id: str, deployment_id: str) -> str:
    """The id of a deployment's slice of an account's fill (or cash flow) `entry_id`."""
    return f"{entry_id}:{deployment_id}"


def attribute_fill(
    fill: Fill, quantity: float, allocations: Sequence[tuple[str, float]]
) -> list[tuple[str, Fill]]:
    """A fill of an order of `quantity` shares split over the order's `allocations`
    (deployment id -> shares) pro rata, the fee too: each deployment's slice (ids
    `slice_id(fill id, deployment)`); the last takes the remainder."""
    if not allocations:
        raise OrderPlanError(f"fill {fill.fill_id}: its order has no allocations")
    out: list[tuple[str, Fill]] = []
    given_q = given_fee = 0.0
    for index, (deployment_id, part) in enumerate(allocations):
        if index == len(allocations) - 1:
            q, fee = fill.quantity - given_q, fill.fee - given_fee
        else:
            q, fee = fill.quantity * part / quantity, fill.fee * part / quantity
        given_q, given_fee = given_q + q, given_fee + fee
        if q > 0:
            out.append(
                (
                    deployment_id,
                    Fill(
                        slice_id(fill.fill_id, deployment_id),
                        fill.order_id,
                        fill.symbol,
                        fill.side,
                        q,
                        fill.price,
                        max(fee, 0.0),
                        fill.time,
                        fill.event,
                    ),
                )
            )
    return out


def crossing_fills(
    order_id: str,
    symbol: str,
    side: Side,
    price: float,
    allocations: Sequence[tuple[str, float]],
    time: datetime,
) -> list[tuple[str, Fill]]:
    """The fills of a crossing inside the account: each deployment's part at `price`, no fee,
    at `time` (ids `slice_id(order id, deployment)`)."""
    return [
        (d, Fill(slice_id(order_id, d), order_id, symbol, side, q, price, 0.0, time))
        for d, q in allocations
    ]


def split_cash_flow(flow: CashFlow, shares: Mapping[str, float]) -> list[tuple[str, CashFlow]]:
    """An account's cash flow (its cash's interest) split over the deployments pro rata to
    `shares` (deployment id -> its cash, negatives counted as 0; equal parts when none is
    positive); the last one with a part takes the remainder."""
    weights = {d: max(v, 0.0) for d, v in shares.items()}
    total = sum(weights.values())
    if total <= 0:
        weights, total = dict.fromkeys(shares, 1.0), float(len(shares))
    out: list[tuple[str, CashFlow]] = []
    given = 0.0
    ids = [d for d, w in weights.items() if w > 0]
    for index, deployment_id in enumerate(ids):
        amount = (
            flow.amount - given
            if index == len(ids) - 1
            else flow.amount * weights[deployment_id] / total
        )
        given += amount
        if amount != 0:
            out.append(
                (
                    deployment_id,
                    CashFlow(slice_id(flow.flow_id, deployment_id), amount, flow.time, flow.note),
                )
            )
    return out
