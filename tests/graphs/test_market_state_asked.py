"""A question whether the market is in a bull or a bear market now ("are we in a bear market?",
"is the market bearish right now?", "we're in a bull market, right?") is answered yes or no by
the market read's regime, with the rule it applies beside: before, it was answered with the
bear scenario's simulated statistics of every stock ("Scenario set scn_...: bear: mean return
-3.1%"). A supposition ("if we hit a bear market, how would KO do?") keeps its reading."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.regime_asked import regime_question
from quant import load_sp500_index, to_returns
from tests.support.chat_answers import answer_in_new_thread

ASKS = {
    "bear": (
        "are we in a bear market?",
        "Is the market in a bear market right now?",
        "so are we officially in a bear market?",
        "is this a bear market?",
        "is the market bearish right now?",
        "we're in a bear market, right?",
        "are we heading into a bear market?",
        "bear market yet?",
        "I wonder whether stocks are in a bear market",
        "has the market entered a bear market?",
    ),
    "bull": (
        "are we in a bull market?",
        "is this a bull market",
        "are stocks bullish now?",
        "we are in a bull market, correct?",
    ),
    "either": ("are we in a bull or bear market?", "is the market in a bull or a bear market?"),
}
"""How a PM asks whether the market is in a regime now, by the regime asked."""
PHRASINGS = [(kind, ask) for kind, asks in ASKS.items() for ask in asks]
SUPPOSED = (
    "what should I do if we are in a bear market?",
    "if we hit a bear market, how would KO do?",
    "how would KO and PEP hold up in a bear market?",
    "find a strategy for KO and PEP that holds up in a bear market",
)
"""Bear markets supposed, not asked about: no reading of today."""

INDEX = to_returns(load_sp500_index()).iloc[:, 0]
REGIME_DAYS = 63


def reference_regime(start: str, end: str) -> tuple[str, float]:
    """The return regime at `end` of the S&P 500 index's window, by the rule the reply states
    (written here from it): the annualised mean return of the last 63 sessions against every
    full trailing 63-session window's, at or below the lower third bear, at or above the upper
    bull; and that return."""
    daily = INDEX.loc[start:end].to_numpy()
    windows = np.lib.stride_tricks.sliding_window_view(daily, REGIME_DAYS).mean(axis=1) * 252
    low, high = np.quantile(windows, [1 / 3, 2 / 3])
    now = windows[-1]
    return ("bull" if now >= high else "bear" if now <= low else "neutral"), float(now)


VERDICT = re.compile(
    r"(?P<said>Yes,|Not|Neither,|A bull market,|A bear market,) by the return-regime read: "
    r"the market's "
    r"annualised return over the last 63 sessions, (?P<ret>-?\d+\.\d)%, is at or above \d+% of "
    r"the window's 63-session returns; a (?:bear|bull) return regime is their (?:lowest|highest) "
    r"third"
)
WINDOW = re.compile(r"From (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \(")


def test_every_phrasing_is_read_as_the_regime_asked_and_no_supposition_is() -> None:
    misread = [
        (kind, ask)
        for kind, ask in PHRASINGS
        if (question := regime_question(ask.lower())) is None or question.kind != kind
    ]
    assert not misread, misread
    read = [ask for ask in SUPPOSED if regime_question(ask.lower()) is not None]
    assert not read, read


@settings(max_examples=10, deadline=None)
@given(
    phrasing=st.sampled_from(PHRASINGS),
    since=st.one_of(st.none(), st.integers(min_value=2000, max_value=2021)),
)
def test_the_answer_is_the_regime_of_the_window_by_the_rule_it_states(
    phrasing: tuple[str, str], since: int | None
) -> None:
    kind, ask = phrasing
    asked = ask if since is None else f"{ask.rstrip('?')} since {since}?"
    reply = answer_in_new_thread(asked)
    verdict = VERDICT.search(reply)
    assert verdict is not None, reply
    window = WINDOW.search(reply)
    assert window is not None, reply
    if since is not None:
        assert window[1].startswith(str(since)), reply  # the window asked reached the read
    regime, now = reference_regime(window[1], window[2])
    assert float(verdict["ret"]) == round(now * 100, 1), (reply, now)
    expected = {
        "either": "Neither," if regime == "neutral" else f"A {regime} market,",
        "bear": "Yes," if regime == "bear" else "Not",
        "bull": "Yes," if regime == "bull" else "Not",
    }[kind]
    assert verdict["said"] == expected, (reply, regime)
    assert f"the market is in a {regime} return regime" in reply, reply
    assert "Scenario set" not in reply and "scenario (" not in reply, reply


def test_past_regimes_are_read_too() -> None:
    """Asked in the past tense of a year, the regime at that year's end: 2008 ended in a bear
    one by the index's own windows of that year."""
    reply = answer_in_new_thread("were we in a bear market in 2008?")
    assert reference_regime("2008-01-01", "2008-12-31")[0] == "bear"
    assert "Yes, by the return-regime read" in reply, reply
    assert "Not used" not in reply, reply


def test_a_supposition_keeps_its_reading() -> None:
    reply = answer_in_new_thread(SUPPOSED[1])
    assert reply.startswith("Stress test of KO"), reply
    assert "by the return-regime read" not in answer_in_new_thread(SUPPOSED[0])
