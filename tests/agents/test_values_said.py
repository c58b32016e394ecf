"""Values said in a PM's words are read as said, whatever their size or sign, so that a value
out of bounds is refused with its bound rather than read as another: "-5 trials" was read as 5
trials, "a lookback of 5000 days" as 500 days (by both readers: the offline model and the ask
accounting), "target vol 500%" ran at the leverage cap, "keep the vol at 10%" was not read, and
"weight the bear scenario triple" weighted it double."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agents.chat import RequestDraft
from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.strategy_terms import lookback_sessions
from agents.offline.search_drafts import scenario_emphasis
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from quant.strategy import MAX_TARGET_VOL
from settings import Settings

SEARCH = "optimize a vol-targeting strategy for KO and PEP"


def _budget(text: str) -> int | None:
    return parse_intent(text, known_tickers()).budget


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 999_999), sign=st.sampled_from(["-", ""]), comma=st.booleans())
def test_a_trial_budget_is_read_with_its_sign(n: int, sign: str, comma: bool) -> None:
    said = f"{n:,}" if comma else str(n)
    expected = -n if sign else n
    assert _budget(f"{SEARCH} with {sign}{said} trials") == expected
    assert _budget(f"{SEARCH}, a budget of {sign}{said}") == expected


@given(low=st.integers(1, 500), high=st.integers(1, 500))
def test_a_range_of_trials_is_not_a_negative_budget(low: int, high: int) -> None:
    assert _budget(f"{SEARCH} with {low}-{high} trials") == high
    assert _budget(f"{SEARCH} with {low} - {high} trials") == high
    assert _budget(f"{SEARCH} - {high} trials - since 2016") == high  # a dash, not a minus
    assert _budget(f"{SEARCH}:\n- {high} trials\n- since 2015") == high  # a bullet


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 999_999), form=st.sampled_from(["lookback of {n} days", "{n}-day lookback"])
)
def test_a_lookback_is_read_whole_by_both_readers(n: int, form: str) -> None:
    said = form.format(n=n)
    assert lookback_sessions(f"{SEARCH} with a {said}".lower()) == n
    items = ask_items(f"{SEARCH} with a {said}", vocabulary(Settings()))
    assert [item.value for item in items if item.kind == "lookback"] == [n], items


@settings(max_examples=40, deadline=None)
@given(percent=st.integers(1, 10_000))
def test_a_volatility_target_is_refused_beyond_the_bound_with_the_value_said(
    percent: int,
) -> None:
    target = percent / 100
    intent = parse_intent(f"{SEARCH} with target vol {percent}%", known_tickers())
    assert intent.target_vol == pytest.approx(target)
    if target <= MAX_TARGET_VOL:
        assert RequestDraft(target_vol_range=[target, target]).target_vol_range == [target] * 2
        return
    with pytest.raises(
        ValidationError, match=f"{percent:,}% a year asked, but a volatility target"
    ):
        RequestDraft(target_vol_range=[target, target])


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("keep the vol at 10%", 0.10),
        ("hold the volatility at 15%", 0.15),
        ("run it with the vol at 12 percent", None),  # "run it": no vol said after the verb
        ("keeping its annualised volatility at 8%", 0.08),
        ("set the portfolio's vol to 9%", 0.09),
        ("keep the vol at 10% or less", None),  # a cap, not a target
        ("keep the vol under 10%", None),
        ("keep vol at 10% at the most", None),
        ("hold vol at 15% as a ceiling", None),
    ],
)
def test_the_vol_kept_at_a_level_is_a_target(text: str, target: float | None) -> None:
    intent = parse_intent(f"{SEARCH} {text}", known_tickers())
    assert intent.target_vol == (None if target is None else pytest.approx(target)), text


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("weight the bear scenario double", 2.0),
        ("weight the bear scenario triple", 3.0),
        ("weight bear 3x", 3.0),
        ("put 4 times the weight on the bear scenario", 4.0),
        ("with 3x leverage, overweight the bear scenario", 2.0),
        ("weight the bear scenario more", 2.0),
        ("weight the bear scenario 50x", 2.0),  # beyond any plausible emphasis: the default
        ("with leverage up to 3x, weight the bear scenario more", 2.0),  # leverage's multiple
        ("max leverage of 2.5x and stress the bear scenario", 2.0),
        ("rebalance 4 times a year and weight the bear scenario", 2.0),
    ],
)
def test_a_scenario_s_weight_is_the_multiple_said(text: str, weight: float) -> None:
    assert scenario_emphasis(text) == weight
