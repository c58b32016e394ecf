"""Netting the plans of strategies sharing one account (`execution.netting`): every strategy gets
exactly what it asked for, the broker sees only the net, and fills split back exactly."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np
import pytest

from execution.errors import OrderPlanError
from execution.ledger import CashFlow, Fill
from execution.netting import (
    attribute_fill,
    crossing_fills,
    net_orders,
    slice_id,
    split_cash_flow,
)
from execution.orders import PlannedOrder

T = datetime(2022, 6, 1, 20, 0, tzinfo=UTC)
PRICES = {"AAPL": 150.0, "MSFT": 250.0, "XOM": 90.0, "JNJ": 170.0}


def _order(symbol: str, side: str, quantity: float) -> PlannedOrder:
    price = PRICES[symbol]
    return PlannedOrder(symbol, side, quantity, price, quantity * price, 0.0)  # type: ignore[arg-type]


def _signed(side: str, quantity: float) -> float:
    return quantity if side == "buy" else -quantity


def test_two_strategies_buying_and_selling_one_symbol_cross_and_send_the_rest() -> None:
    plan = net_orders(
        {
            "dep_a": [_order("AAPL", "buy", 10.0), _order("MSFT", "buy", 2.0)],
            "dep_b": [_order("AAPL", "sell", 4.0)],
        }
    )
    crossing = [(o.symbol, o.side, o.quantity, o.allocations) for o in plan.orders if o.crossing]
    assert crossing == [
        ("AAPL", "buy", 4.0, (("dep_a", 4.0),)),
        ("AAPL", "sell", 4.0, (("dep_b", 4.0),)),
    ]
    assert [(o.symbol, o.side, o.quantity, o.allocations) for o in plan.sent] == [
        ("AAPL", "buy", 6.0, (("dep_a", 6.0),)),
        ("MSFT", "buy", 2.0, (("dep_a", 2.0),)),
    ]
    assert all(o.internal_price == 150.0 for o in plan.orders if o.crossing)
    [conflict] = plan.conflicts
    assert conflict.to_json() == {
        "symbol": "AAPL",
        "buyers": {"dep_a": 10.0},
        "sellers": {"dep_b": 4.0},
        "crossed": 4.0,
        "price": 150.0,
        "net_side": "buy",
        "net_quantity": 6.0,
    }
    assert plan.buying_power_needed() == pytest.approx(6 * 150.0 + 2 * 250.0)


def test_wants_that_cancel_out_send_nothing() -> None:
    plan = net_orders({"a": [_order("XOM", "buy", 3.5)], "b": [_order("XOM", "sell", 3.5)]})
    assert plan.sent == [] and plan.buying_power_needed() == 0.0
    assert plan.conflicts[0].net_side is None and plan.conflicts[0].net_quantity == 0.0


def test_five_random_plans_each_get_exactly_what_they_asked_for() -> None:
    """Five strategies with random wants on four symbols: each one's allocations over every
    order (crossings and net orders, signed by side) are its wants, the broker's orders are the
    sum of all wants per symbol, and every order's allocations add up to it."""
    rng = np.random.default_rng(41)
    for _ in range(50):
        wants = {
            f"dep_{i}": [
                _order(s, str(rng.choice(["buy", "sell"])), float(rng.uniform(0.1, 20.0)))
                for s in PRICES
                if rng.random() < 0.7
            ]
            for i in range(5)
        }
        plan = net_orders(wants)
        got: dict[tuple[str, str], float] = defaultdict(float)
        for order in plan.orders:
            assert sum(q for _, q in order.allocations) == pytest.approx(order.quantity, rel=1e-12)
            for deployment, quantity in order.allocations:
                got[deployment, order.symbol] += _signed(order.side, quantity)
        expected: dict[tuple[str, str], float] = defaultdict(float)
        for deployment, orders in wants.items():
            for o in orders:
                expected[deployment, o.symbol] += _signed(o.side, o.quantity)
        assert set(got) == set(expected)
        for key, value in expected.items():
            assert got[key] == pytest.approx(value, abs=1e-9)
        for symbol in PRICES:
            total = sum(v for (d, s), v in expected.items() if s == symbol)
            sent = sum(_signed(o.side, o.quantity) for o in plan.sent if o.symbol == symbol)
            assert sent == pytest.approx(total, abs=1e-9)
            assert len([o for o in plan.sent if o.symbol == symbol]) <= 1
        sides = [o.side for o in plan.sent]
        assert sides == sorted(sides, key=lambda side: side == "buy")  # sells first


def test_plans_priced_differently_are_refused() -> None:
    other = PlannedOrder("AAPL", "buy", 1.0, 151.0, 151.0, 0.0)
    with pytest.raises(OrderPlanError, match="same closes"):
        net_orders({"a": [_order("AAPL", "sell", 1.0)], "b": [other]})


def test_a_fill_splits_over_the_allocations_exactly() -> None:
    fill = Fill("f-1", "o-1", "AAPL", "buy", 7.0, 150.3, 0.7, T)
    parts = attribute_fill(fill, 10.0, [("a", 6.0), ("b", 1.0), ("c", 3.0)])
    assert [d for d, _ in parts] == ["a", "b", "c"]
    assert [p.fill_id for _, p in parts] == [slice_id("f-1", d) for d in "abc"]
    assert [p.quantity for _, p in parts] == pytest.approx([4.2, 0.7, 2.1])
    assert sum(p.quantity for _, p in parts) == 7.0  # exactly: the last takes the remainder
    assert sum(p.fee for _, p in parts) == pytest.approx(0.7, abs=1e-15)
    assert {(p.price, p.order_id, p.side, p.time) for _, p in parts} == {(150.3, "o-1", "buy", T)}


def test_a_crossing_fills_each_side_at_its_price_without_fees() -> None:
    fills = crossing_fills("x-1", "MSFT", "sell", 250.0, [("a", 1.5), ("b", 0.5)], T)
    assert [(d, f.quantity, f.price, f.fee, f.fill_id) for d, f in fills] == [
        ("a", 1.5, 250.0, 0.0, "x-1:a"),
        ("b", 0.5, 250.0, 0.0, "x-1:b"),
    ]


def test_interest_splits_by_cash_held() -> None:
    flow = CashFlow("int-1", 3.0, T, "interest")
    parts = split_cash_flow(flow, {"a": 200.0, "b": 100.0, "c": -50.0})
    assert [(d, c.amount, c.note) for d, c in parts] == [
        ("a", 2.0, "interest"),
        ("b", 1.0, "interest"),
    ]
    even = split_cash_flow(flow, {"a": 0.0, "b": -1.0})
    assert [c.amount for _, c in even] == [1.5, 1.5]
