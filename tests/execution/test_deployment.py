"""A deployment's lifecycle and limits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from execution.deployment import (
    TRANSITIONS,
    DeploymentLimits,
    capped_weights,
    check_limits,
    check_transition,
    drawdown_breach,
)
from execution.errors import DeploymentStateError
from execution.orders import PlanRules, plan_orders


def test_the_lifecycle_allows_only_its_moves() -> None:
    check_transition("draft", "active")
    check_transition("active", "paused")
    check_transition("paused", "active")
    check_transition("paused", "retired")
    with pytest.raises(DeploymentStateError, match="a retired deployment cannot become active"):
        check_transition("retired", "active")
    with pytest.raises(DeploymentStateError, match="it can become active, retired"):
        check_transition("draft", "paused")
    assert all(status in TRANSITIONS for targets in TRANSITIONS.values() for status in targets)


def test_turnover_limit_applies_after_the_first_run() -> None:
    limits = DeploymentLimits(max_turnover=0.3, min_trade_value=0)
    prices = {"A": 10.0, "B": 20.0}
    first = plan_orders({}, 10_000, prices, {"A": 0.5, "B": 0.5}, PlanRules(fractional=True))
    assert first.turnover == pytest.approx(1.0)
    assert check_limits(first, limits, first_run=True) == []
    swap = plan_orders({"A": 500}, 5_000, prices, {"B": 1.0}, PlanRules(fractional=True))
    (breach,) = check_limits(swap, limits, first_run=False)
    assert (breach.limit, breach.allowed) == ("max_turnover", 0.3)
    assert breach.value == pytest.approx(swap.turnover)
    assert "more than the 30.00% allowed per run" in breach.message


def test_positions_are_capped_and_the_rest_stays_in_cash() -> None:
    weights, notes = capped_weights({"A": 0.6, "B": 0.3}, DeploymentLimits(max_position=0.4))
    assert weights == {"A": 0.4, "B": 0.3}
    assert notes == [
        "A: target weight 60.00% capped at the 40.00% position limit; the rest stays in cash"
    ]


def test_drawdown_beyond_the_limit_is_a_breach() -> None:
    limits = DeploymentLimits(max_drawdown=0.1)
    assert drawdown_breach([100, 120, 109], limits) is None
    breach = drawdown_breach([100, 120, 107], limits)
    assert breach is not None and breach.value == pytest.approx(1 - 107 / 120)
    assert drawdown_breach([100, 50], DeploymentLimits()) is None


@pytest.mark.parametrize(
    "field", ["max_turnover", "cash_buffer", "max_position", "max_drawdown", "min_trade_value"]
)
def test_limits_out_of_range_name_their_field(field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        DeploymentLimits(**{field: -0.5})
    assert raised.value.errors()[0]["loc"] == (field,)
