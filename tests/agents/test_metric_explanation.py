"""`agents.explanation.metric_explanation`: every figure it writes is the winner's value in the
facts, written as the result's pages write it, for the scenarios asked (all when none); a
scenario the search did not simulate is said to be missing; the average risky weight is said as
cash held or wealth borrowed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.explanation import metric_explanation
from services.formatting import METRICS, percent, scenario

SCENARIOS = ("bull", "bear", "high_vol", "low_vol", "base")
MEASURES = ("sharpe", "max_drawdown", "cagr", "volatility", "average_weight", "cvar_95")


@given(
    simulated=st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=5, unique=True),
    asked=st.lists(st.sampled_from(SCENARIOS), max_size=2, unique=True),
    metrics=st.lists(st.sampled_from(MEASURES), min_size=1, max_size=3, unique=True),
    value=st.floats(0.0, 2.5),
)
def test_each_figure_is_the_facts_and_a_missing_scenario_is_said(
    simulated: list[str], asked: list[str], metrics: list[str], value: float
) -> None:
    facts = {
        "scenarios": {s: dict.fromkeys(MEASURES, value + i / 100) for i, s in enumerate(simulated)}
    }
    text = metric_explanation(facts, tuple(metrics), tuple(asked), cash=False)
    shown = [s for s in (asked or simulated) if s in simulated]
    missing = [s for s in asked if s not in simulated]
    if not shown and not missing:
        assert text is None
        return
    assert text is not None
    for metric in metrics if shown else ():
        assert f"The winner's {METRICS[metric].label} (" in text
        for name in shown:
            figure = METRICS[metric].write(facts["scenarios"][name][metric])
            assert f"{scenario(name)} {figure}" in text, (name, metric, text)
            if metric == "average_weight":
                w = facts["scenarios"][name][metric]
                held = f"it borrows {percent(w - 1)}" if w > 1 else f"{percent(1 - w)} in cash"
                assert held in text, text
    for name in missing:
        assert (
            f"did not simulate the {scenario(name)}" in text
            or f", {scenario(name)} scenario" in text
        )
