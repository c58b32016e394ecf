"""The grounding check of explanations."""

from __future__ import annotations

import pytest

from agents.grounding import cited_numbers, ungrounded_numbers

FACTS = {
    "best": {"target_vol": 0.1234, "lookback": 63, "sharpe": 0.9134},
    "scenarios": {"bear": {"max_drawdown": 0.2071, "cvar_95": 0.0312}},
    "importance": [{"parameter": "target_vol", "share": 0.4567}],
}


def test_numbers_are_read_as_written() -> None:
    text = "Sharpe 0.91, drawdown 20.7 %, CVaR 3.12%, 1,250 trials, -0.5 and 63 days"
    numbers = cited_numbers(text)
    assert [(n.value, n.decimals, n.percent) for n in numbers] == [
        (0.91, 2, False),
        (20.7, 1, True),
        (3.12, 2, True),
        (1250.0, 0, False),
        (-0.5, 1, False),
        (63.0, 0, False),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "The winner targets 12.3% volatility with a 63-day lookback.",
        "Its Sharpe ratio is 0.91 (0.913 unrounded).",
        "In the bear scenario the drawdown stays at 20.71%, CVaR 3.1%.",
        "Target volatility explains 45.7% of the variance across 3 scenarios in 2022.",
    ],
)
def test_numbers_present_in_the_facts_after_rounding_are_grounded(text: str) -> None:
    assert ungrounded_numbers(text, FACTS) == []


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("The Sharpe ratio is 1.25.", ["1.25"]),
        ("Drawdown is 18% in the bear case.", ["18%"]),
        ("A lookback of 126 days works best.", ["126"]),
        ("Sharpe 0.92 beats the runner-up.", ["0.92"]),
    ],
)
def test_numbers_absent_from_the_facts_are_reported(text: str, bad: list[str]) -> None:
    assert ungrounded_numbers(text, FACTS) == bad


def test_the_template_explanation_cites_only_parameters_the_winner_uses() -> None:
    from agents.explanation import template_explanation

    facts = {
        "best_config": {
            "target_vol": 0.1, "weight_function": "merton", "lookback": 63,
            "rebalance_every": 21, "max_leverage": 1.0, "risk_aversion": 3.0,
            "steepness": 10.0, "cost_bps": 0.0, "sleeve": "single",
        },
        "importance": {"target_vol": 0.7, "lookback": 0.2, "rebalance_every": 0.1},
        "sensitivity": {"lookback": [{"value": 21, "objective": 0.647}, {"value": 63, "objective": 0.6472}]},
    }  # fmt: skip
    text = template_explanation(facts)
    assert "target vol" not in text and "volatility target" not in text
    assert "The parameter that mattered most was lookback" in text
    assert "leaves the objective at 0.647" in text and "between 0.647 and 0.647" not in text
    assert ungrounded_numbers(text, facts) == []


def test_the_template_explanation_says_what_its_sharpe_ratios_are_against() -> None:
    from agents.explanation import template_explanation

    scenario = {"sharpe": 0.5, "max_drawdown": 0.1, "cvar_95": 0.02, "average_weight": 0.6}
    facts = {
        "best_config": {"target_vol": 0.1, "weight_function": "merton", "lookback": 63,
                        "rebalance_every": 21, "max_leverage": 1.0, "risk_aversion": 3.0,
                        "steepness": 10.0, "cost_bps": 0.0, "sleeve": "single"},
        "objective": 0.7, "n_trials": 12, "var_confidence": 0.95,
        "scenarios": {"bear": {**scenario, "sharpe": -0.2}, "bull": scenario},
    }  # fmt: skip
    text = template_explanation(facts)
    assert "Sharpe ratio (its return above the safe asset's per unit of volatility" in text
    assert "ranges from -0.20 in the bear scenario to 0.50 in the bull scenario" in text
    assert ungrounded_numbers(text, facts) == []
