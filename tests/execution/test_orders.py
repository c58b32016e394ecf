"""Order plans: worked examples and the invariants every plan keeps (never more cash spent than
there is, whole shares, targets within their weight, small trades skipped)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execution.errors import OrderPlanError
from execution.orders import PlanRules, plan_orders


def test_a_first_rebalance_from_cash_buys_whole_shares_within_each_weight() -> None:
    plan = plan_orders(
        {},
        10_000.0,
        {"AAA": 100.0, "BBB": 33.0},
        {"AAA": 0.5, "BBB": 0.3},
        PlanRules(cash_buffer=0.02, commission_per_share=0.01),
    )
    investable = 10_000 * 0.98
    assert [(o.symbol, o.side, o.quantity) for o in plan.orders] == [
        ("AAA", "buy", math.floor(0.5 * investable / 100)),
        ("BBB", "buy", math.floor(0.3 * investable / 33)),
    ]
    costs = 0.01 * (49 + 89)
    assert plan.estimated_costs == pytest.approx(costs)
    assert plan.cash_after == pytest.approx(10_000 - 49 * 100 - 89 * 33 - costs)
    assert plan.turnover == pytest.approx((49 * 100 + 89 * 33) / 10_000)


def test_sells_come_first_small_trades_are_skipped_and_untargeted_holdings_are_sold() -> None:
    plan = plan_orders(
        {"AAA": 60.0, "BBB": 10.0, "OLD": 5.0},
        100.0,
        {"AAA": 50.0, "BBB": 100.0, "OLD": 20.0},
        {"AAA": 0.5, "BBB": 0.2},
        PlanRules(min_trade_value=150.0),
    )
    equity = 100 + 60 * 50 + 10 * 100 + 5 * 20  # 4,200
    assert plan.equity == equity
    # AAA: target floor(2100 / 50) = 42 -> sell 18 (900); OLD: sell 5 (100 < 150: skipped);
    # BBB: target floor(840 / 100) = 8 -> sell 2 (200)
    assert [(o.symbol, o.side, o.quantity) for o in plan.orders] == [
        ("AAA", "sell", 18.0),
        ("BBB", "sell", 2.0),
    ]
    assert plan.skipped == ["OLD"]
    assert plan.target_holdings == {"AAA": 42.0, "BBB": 8.0, "OLD": 5.0}


def test_fractional_shares_and_buys_scaled_to_the_cash_when_costs_exceed_it() -> None:
    plan = plan_orders(
        {}, 1_000.0, {"AAA": 300.0}, {"AAA": 1.0}, PlanRules(fractional=True, slippage_bps=50)
    )
    (order,) = plan.orders
    assert order.quantity != int(order.quantity)  # fractional
    assert plan.cash_after >= 0 and plan.cash_after < 10
    assert plan.notes and "scaled" in plan.notes[0]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"AAA": 0.7, "BBB": 0.4}, "sum to 1.1"),
        ({"AAA": -0.1}, "target weight of AAA must be a number >= 0"),
        ({"AAA": float("nan")}, "target weight of AAA"),
        ({"ZZZ": 0.5}, "no positive price for ZZZ"),
    ],
)
def test_impossible_targets_are_refused_naming_the_problem(
    weights: dict[str, float], message: str
) -> None:
    with pytest.raises(OrderPlanError, match=message):
        plan_orders({}, 1_000.0, {"AAA": 10.0, "BBB": 20.0}, weights)


PRICES = st.floats(1.0, 2_000.0)


@settings(max_examples=300, deadline=None)
@given(
    holdings=st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 500)),
    cash=st.floats(0.0, 1e6),
    prices=st.fixed_dictionaries(dict.fromkeys("ABCD", PRICES)),
    raw=st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.floats(0.0, 1.0)),
    fractional=st.booleans(),
    buffer=st.floats(0.0, 0.2),
    bps=st.floats(0.0, 100.0),
)
def test_every_plan_keeps_its_invariants(
    holdings: dict[str, int],
    cash: float,
    prices: dict[str, float],
    raw: dict[str, float],
    fractional: bool,
    buffer: float,
    bps: float,
) -> None:
    total = sum(raw.values())
    weights = {s: w / total for s, w in raw.items()} if total > 1 else raw
    equity = cash + sum(q * prices[s] for s, q in holdings.items())
    if equity <= 0:
        return
    rules = PlanRules(fractional=fractional, cash_buffer=buffer, commission_bps=bps)
    plan = plan_orders({s: float(q) for s, q in holdings.items()}, cash, prices, weights, rules)
    assert plan.cash_after >= -1e-6 * equity  # never spends cash it does not have
    for symbol, quantity in plan.target_holdings.items():
        assert quantity >= 0
        if not fractional:
            assert quantity == int(quantity)
        bought = any(o.symbol == symbol and o.side == "buy" for o in plan.orders)
        if bought:  # a position that is bought never exceeds its weight of the investable equity
            limit = weights.get(symbol, 0.0) * equity * (1 - buffer)
            assert quantity * prices[symbol] <= limit + 1e-6 * equity
    sells = [o for o in plan.orders if o.side == "sell"]
    assert plan.orders[: len(sells)] == sells  # sells first


@settings(max_examples=1000, deadline=None)
@given(
    reserve=st.sampled_from([0.0, 0.01, 0.03, 0.1]),
    buffer=st.sampled_from([0.0, 0.01]),
    fractional=st.booleans(),
    weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6),
    prices=st.lists(st.floats(1.0, 2_000.0), min_size=6, max_size=6),
    moves=st.lists(st.floats(-1.0, 1.0), min_size=6, max_size=6),
    held=st.lists(st.floats(0.0, 300.0), min_size=6, max_size=6),
    cash=st.floats(0.0, 1e6),
)
def test_buys_stay_payable_when_prices_rise_up_to_the_reserve(
    reserve: float,
    buffer: float,
    fractional: bool,
    weights: list[float],
    prices: list[float],
    moves: list[float],
    held: list[float],
    cash: float,
) -> None:
    symbols = [f"S{i}" for i in range(6)]
    total = sum(weights) or 1.0
    targets = {s: w / total for s, w in zip(symbols, weights, strict=False)}
    holdings = {s: float(math.floor(q)) for s, q in zip(symbols, held, strict=True) if q >= 1}
    at = dict(zip(symbols, prices, strict=True))
    if not cash + sum(q * at[s] for s, q in holdings.items()) > 0:
        return
    rules = PlanRules(
        fractional=fractional, cash_buffer=buffer, price_reserve=reserve, slippage_bps=5
    )
    plan = plan_orders(holdings, cash, at, targets, rules)
    # sells settle first, then every buy fills at a price up to `reserve` higher (and slippage)
    moved = {s: at[s] * (1 + reserve * m) for s, m in zip(symbols, moves, strict=True)}
    available = cash + sum(
        o.quantity * moved[o.symbol] * (1 - 5e-4) for o in plan.orders if o.side == "sell"
    )
    spent = sum(o.quantity * moved[o.symbol] * (1 + 5e-4) for o in plan.orders if o.side == "buy")
    assert spent <= available + 1e-6 * max(1.0, available)


def test_a_first_rebalance_keeps_the_reserve_and_says_so() -> None:
    plan = plan_orders(
        {},
        100_000.0,
        {"AAA": 50.0, "BBB": 20.0},
        {"AAA": 0.5, "BBB": 0.5},
        PlanRules(fractional=True, cash_buffer=0.01, price_reserve=0.03),
    )
    bought = sum(o.value for o in plan.orders)
    assert bought * 1.03 == pytest.approx(100_000.0, rel=1e-5)
    assert bought < 99_000.0  # the buffer alone would invest 99 %
    assert "with prices 3.00% against the plan before they fill" in plan.notes[0]
