"""The explanation's sentence on the winner against the runner-up on the same paths: a search
that ends among near neighbours (a volatility target of 24.73% against 24.61%) said "higher by
0.000 on average (interval 0.000 to 0.000), a clear edge". Over generated intervals and
runner-ups: the difference is written with its digits (never 0.000 for one that is not zero),
"a clear edge" only where the interval excludes zero and is not negligible, "too small to
matter" exactly where the whole interval lies within a hundredth either way (then with the
parameters the runner-up changes), and every number it writes is grounded in the facts."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agents.explanation import NEGLIGIBLE_SHARPE, template_explanation
from agents.grounding import ungrounded_numbers
from graphs.optimization_explanation import runner_up_changes
from quant.strategy import StrategyConfig
from services.formatting import parameter

WINNER = {
    "target_vol": 0.2473, "weight_function": "inverse_vol", "lookback": 126,
    "rebalance_every": 48, "max_leverage": 1.7337, "risk_aversion": 4.4477, "steepness": 4.4223,
    "cost_bps": 5.0, "sleeve": "single",
}  # fmt: skip
CHANGES = {
    "target_vol": st.floats(0.02, 0.6),
    "lookback": st.integers(5, 252),
    "rebalance_every": st.integers(1, 63),
    "max_leverage": st.floats(0.5, 3.0),
    "risk_aversion": st.floats(0.5, 10.0),  # not read by the inverse-volatility rule
}
"""Parameters a runner-up may set otherwise, with the values it may take."""

magnitudes = st.one_of(
    st.floats(1e-6, 2e-3), st.floats(2e-3, 0.02), st.floats(0.02, 1.0), st.just(0.0)
)


@st.composite
def intervals(draw: st.DrawFn) -> dict[str, float]:
    """A paired interval as `PairedInterval.to_dict` gives it: a mean of either sign, a
    half-width from none to ten times the mean's size."""
    mean = draw(magnitudes) * draw(st.sampled_from([1.0, -1.0]))
    half = draw(st.one_of(magnitudes, st.floats(0.0, 10.0).map(lambda k: k * abs(mean))))
    lower, upper = mean - half, mean + half
    return {"mean": mean, "lower": lower, "upper": upper, "significant": lower > 0 or upper < 0}


@st.composite
def runner_ups(draw: st.DrawFn) -> dict[str, Any]:
    """The winner with some of `CHANGES` set otherwise."""
    changed = draw(st.sets(st.sampled_from(sorted(CHANGES)), max_size=3))
    return {**WINNER, **{name: draw(CHANGES[name]) for name in changed}}


def _sentence(text: str) -> str:
    return next(s for s in re.split(r"(?<=\.) (?=[A-Z])", text) if "runner-up" in s)


def _written(sentence: str) -> list[float]:
    """The mean difference and the interval's ends as written."""
    found = re.search(r"by (\S+) on average \(interval (\S+) to (\S+)\)", sentence)
    assert found, sentence
    return [float(found[i]) for i in (1, 2, 3)]


@given(intervals(), runner_ups())
def test_the_runner_up_sentence_says_what_the_interval_shows(
    paired: dict[str, float], runner_up: dict[str, Any]
) -> None:
    changes = runner_up_changes(
        StrategyConfig.model_validate(WINNER), StrategyConfig.model_validate(runner_up)
    )
    facts = {"best_config": WINNER, "paired_sharpe": {"overall": paired},
             "runner_up_changes": changes}  # fmt: skip
    text = template_explanation(facts)
    sentence = _sentence(text)
    assert ungrounded_numbers(text, facts) == []
    mean, lower, upper = _written(sentence)
    for shown, value in ((mean, abs(paired["mean"])), (lower, paired["lower"]),
                         (upper, paired["upper"])):  # fmt: skip
        assert abs(shown - value) <= max(5e-4, 0.05 * abs(value)), sentence
        assert (shown == 0) == (value == 0) or abs(value) < 5e-7, sentence
    assert ("higher by" in sentence) == (paired["mean"] >= 0)
    negligible = max(abs(paired["lower"]), abs(paired["upper"])) < NEGLIGIBLE_SHARPE
    assert ("too small to matter" in sentence) == negligible
    assert ("a clear edge" in sentence) == (paired["lower"] > 0 and not negligible)
    if negligible:
        for name in CHANGES:
            said = parameter(name, runner_up[name]) in sentence
            read = name != "risk_aversion"  # the winner's rule does not read it
            assert said == (read and runner_up[name] != WINNER[name]), (name, sentence)


def test_without_a_runner_up_nothing_is_said_of_one() -> None:
    text = template_explanation({"best_config": WINNER})
    assert "runner-up" not in text
