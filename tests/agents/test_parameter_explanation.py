"""What the assistant says of one parameter of a finished search's winner
(`agents.explanation.parameter_explanation`), from the run's explanation facts: its value, its
share of the objective's variation, the objective along its sensitivity curve, where that curve
is highest against the winner (level, above it at a configuration the search did not find, or
above it where the risk limits break), and an end of the range searched. Every claim is checked
here against the facts it was made from."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.explanation import LEVEL, parameter_explanation

LOOKBACKS = [21, 42, 63, 84, 105, 126]


@st.composite
def runs(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """Facts of a finished search whose winner holds one of `LOOKBACKS`, with a lookback curve
    (each point feasible or not; results stored before feasibility was kept: absent)."""
    chosen = draw(st.sampled_from(LOOKBACKS))
    objectives = draw(st.lists(st.floats(0.2, 1.5), min_size=6, max_size=6, unique=True))
    kept = draw(st.booleans())
    feasible = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    points = []
    for value, objective, ok in zip(LOOKBACKS, objectives, feasible, strict=True):
        point: dict[str, Any] = {"value": value, "objective": objective}
        if kept:
            point["feasible"] = ok or value == chosen  # the winner meets the limits
        points.append(point)
    shares = draw(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=2))
    facts = {
        "best_config": {"weight_function": "inverse_vol", "lookback": chosen, "target_vol": 0.1},
        "importance": {"lookback": shares[0], "target_vol": shares[1]},
        "sensitivity": {"lookback": points},
        "limits": draw(st.sampled_from([[], [{"metric": "max_drawdown"}]])),
    }
    return facts, chosen


@given(runs())
def test_each_claim_is_the_facts(run: tuple[dict[str, Any], int]) -> None:
    facts, chosen = run
    said = parameter_explanation(facts, "lookback")
    assert said is not None
    points = facts["sensitivity"]["lookback"]
    winner = next(p for p in points if p["value"] == chosen)
    peak = max(points, key=lambda p: p["objective"])
    assert said.startswith(f"The winner: lookback {chosen} trading days.")
    share = facts["importance"]["lookback"]
    assert f"It explains {100 * share:.2f}% of the variation" in said
    objectives = [p["objective"] for p in points]
    assert f"between {min(objectives):.3f} and {max(objectives):.3f}" in said
    level = peak["objective"] - winner["objective"] <= LEVEL * abs(winner["objective"])
    if peak is winner:
        assert "The winner's value is where it is highest." in said
    else:
        assert f"It is highest at {peak['value']} trading days ({peak['objective']:.3f})" in said
    feasible = peak.get("feasible", None if facts["limits"] else True)
    if peak is not winner and feasible is False:
        assert "where the configuration breaks the risk limits" in said
        meeting = max((p for p in points if p.get("feasible")), key=lambda p: p["objective"])
        if meeting is winner:
            assert "of the values that meet them, the winner's is highest" in said
        else:
            assert f"at {meeting['value']} trading days ({meeting['objective']:.3f})" in said
    elif peak is not winner:
        assert ("level with the winner's" in said) == level
        found = "a configuration the search did not find" in said
        assert found == (not level)  # above the winner: said whether it meets the limits
        assert ("was not kept for this run" in said) == (feasible is None and not level)
    ends = {21: "bottom", 126: "top"}
    if chosen in ends:
        assert f"It is at the {ends[chosen]} of the range searched" in said
    else:
        assert "of the range searched" not in said


def test_a_parameter_the_facts_do_not_know_has_no_answer() -> None:
    facts = {"best_config": {"weight_function": "inverse_vol", "lookback": 63}}
    assert parameter_explanation(facts, "lookback") is None
    assert parameter_explanation(facts, "target_vol") is None


def test_a_choice_is_changed_among_its_choices_with_no_end_of_a_range() -> None:
    points = [
        {"value": "inverse_vol", "objective": 0.80, "feasible": True},
        {"value": "sigmoid", "objective": 0.85, "feasible": True},
        {"value": "merton", "objective": 0.90, "feasible": False},
    ]
    facts = {
        "best_config": {"weight_function": "sigmoid", "lookback": 63},
        "importance": {"weight_function": 0.4, "lookback": 0.6},
        "sensitivity": {"weight_function": points},
        "limits": [{"metric": "max_drawdown"}],
    }
    assert parameter_explanation(facts, "weight_function") == (
        "The winner: weight rule sigmoid volatility rule. It explains 40.00% of the variation of "
        "the objective across trials; lookback explains the most (60.00%). Changing it among its "
        "choices (inverse volatility, sigmoid volatility rule, Merton rule) while holding the "
        "others at the winner's values moves the objective between 0.800 and 0.900. It is "
        "highest at Merton rule (0.900), where the configuration breaks the risk limits; of the "
        "values that meet them, the winner's is highest."
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (
            "steepness",  # the winner's rule does not use it
            "The winner's weight rule, inverse volatility, does not use the steepness: its value "
            "changes nothing in the winner.",
        ),
        (
            "rebalance_every",  # the search held it
            "The winner: rebalancing every 21 trading days, which the search did not vary (the "
            "request fixed it, or left it at its default), so its trials say nothing of another "
            "value.",
        ),
    ],
)
def test_a_parameter_unused_or_held_is_said_to_be(name: str, said: str) -> None:
    facts = {
        "best_config": {"weight_function": "inverse_vol", "steepness": 5.0, "rebalance_every": 21},
        "importance": {"steepness": 0.01, "lookback": 0.99},
        "sensitivity": {},
    }
    assert parameter_explanation(facts, name) == said
