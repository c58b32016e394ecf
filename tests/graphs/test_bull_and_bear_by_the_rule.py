"""Whether stocks or the market are in a bull or a bear market is answered by the 20% rule, from
the closes up to the window's end: "is KO in a bear market?" gave the bear scenario's simulated
statistics (a mean return of 10.7%), and "are we in a bear market?" only a ranking of the
recent return that says it "does not measure a fall of 20% from a peak". Each phase, the close
it began at, the phase it ended and the move since are checked against a plain reference of the
rule on the embedded prices (`tests.support.bear_market_rule`)."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_index, load_sp500_prices
from tests.support.bear_market_rule import phases_by_the_rule
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
END = "2022-12-28"
"""The embedded data's last close: the window's end when none is asked."""

ASKS = (
    "is {who} in a {kind} market?",
    "are {who} in a {kind} market right now?",
    "has {who} entered a {kind} market?",
    "so is {who} in {kind} market territory?",
    "tell me whether {who} is in a {kind} market",
    "is {who} {kind}ish?",
    "would you say {who} are in a {kind} market?",
    "do you think {who} is in a {kind} market now?",
)
"""How a PM asks whether stocks are in a bull or a bear market now."""

SENTENCE = re.compile(
    r"(?P<who>(?:the )?[A-Z][\w&' .-]*?) (?:is|was) in a (?P<phase>bull|bear) market that "
    r"began at its (?:peak|low) of (?P<since>\d{4}-\d\d-\d\d)(?: \(ending the (?P<before>bull|bear) market "
    r"that began at its (?:peak|low) of (?P<before_since>\d{4}-\d\d-\d\d)\))?: it closed "
    r"(?P<end>\d{4}-\d\d-\d\d) (?P<move>\d+\.\d)% (?P<side>below|above) that (?:peak|low)"
)


def by_the_rule(closes: pd.Series, end: str) -> dict[str, object]:
    """The phase at `end` of `closes` (from the data's first close) by the reference: the last
    two phases with the dates they began at, and the move since the last began (a percentage
    to one decimal)."""
    upto = closes.loc[:end]
    phases = phases_by_the_rule(upto.to_numpy(dtype=float))
    assert phases, "the embedded data holds a 20% move of every series"
    (phase, at), *rest = reversed(phases)
    before = rest[0] if rest else None
    move = float(upto.iloc[-1] / upto.iloc[at] - 1.0)
    return {
        "phase": phase,
        "since": str(upto.index[at].date()),
        "before": None if before is None else before[0],
        "before_since": None if before is None else str(upto.index[before[1]].date()),
        "move": f"{abs(move) * 100:.1f}",
        "side": "below" if move < 0 else "above",
    }


def said(match: re.Match[str]) -> dict[str, object]:
    keys = ("phase", "since", "before", "before_since", "move", "side")
    return {key: match[key] for key in keys}


def agrees(match: re.Match[str], expected: dict[str, object]) -> bool:
    """The sentence says the reference's phase and dates, and its move to within the last
    digit (the tool gives four significant digits, the reply one decimal of a percentage)."""
    found = said(match)
    moves = float(str(found.pop("move"))), float(str(expected["move"]))
    rest = {key: value for key, value in expected.items() if key != "move"}
    return found == rest and abs(moves[0] - moves[1]) <= 0.11


@settings(max_examples=12, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=3, unique=True),
    kind=st.sampled_from(["bear", "bull"]),
    ask=st.sampled_from(ASKS),
)
def test_each_stock_asked_about_is_answered_by_the_rule(
    stocks: list[str], kind: str, ask: str
) -> None:
    who = stocks[0] if len(stocks) == 1 else ", ".join(stocks[:-1]) + " and " + stocks[-1]
    reply = answer_in_new_thread(ask.format(who=who, kind=kind))
    found = {m["who"]: m for m in SENTENCE.finditer(reply)}
    assert sorted(found) == sorted(stocks), reply
    for stock in stocks:
        assert found[stock]["end"] == END, reply
        assert agrees(found[stock], by_the_rule(PRICES[stock], END)), (stock, reply)
    if len(stocks) == 1:
        yes = by_the_rule(PRICES[stocks[0]], END)["phase"] == kind
        assert reply.startswith(f"{'Yes' if yes else 'No'}, by the 20% rule"), reply
    else:
        assert reply.startswith("By the 20% rule"), reply
    assert "Scenario set" not in reply and "by the return-regime read" not in reply, reply
    assert "Not used" not in reply, reply  # the ask accounting reads no scenario in it either


@settings(max_examples=6, deadline=None)
@given(kind=st.sampled_from(["bear", "bull"]), until=st.integers(2001, 2022))
def test_the_market_is_answered_by_the_rule_on_its_index_and_by_the_regime_read(
    kind: str, until: int
) -> None:
    reply = answer_in_new_thread(f"are we in a {kind} market? use data from 1995 to {until}")
    end = str(INDEX.loc[: str(until)].index[-1].date())
    sentence = SENTENCE.search(reply)
    assert sentence is not None and sentence["who"] == "the S&P 500 index", reply
    expected = by_the_rule(INDEX, end)
    assert agrees(sentence, expected) and sentence["end"] == end, (expected, reply)
    assert reply.startswith(f"{'Yes' if expected['phase'] == kind else 'No'}, by the 20% rule")
    assert "by the return-regime read" in reply, reply


def test_asked_of_the_past_a_phase_that_ended_inside_the_window_counts() -> None:
    """2008 ended 20% above its November low (a bull market by the rule), after the bear market
    from the peak of 2007: "were we in a bear market in 2008?" is yes, said in the past tense."""
    expected = by_the_rule(INDEX, "2008-12-31")
    assert (expected["phase"], expected["before"]) == ("bull", "bear")
    reply = answer_in_new_thread("were we in a bear market in 2008?")
    assert reply.startswith("Yes, by the 20% rule"), reply
    assert "the S&P 500 index was in a bull market that began at its low of " in reply, reply
    now = answer_in_new_thread("are we in a bear market? use data from 2008 to 2008")
    assert now.startswith("No, by the 20% rule"), now  # at the window's end: a bull market


@settings(max_examples=4, deadline=None)
@given(
    group=st.sampled_from(["banks", "energy"]),
    year=st.sampled_from(["2008", "2020", "2022"]),
    ask=st.sampled_from(
        ["so were the {g} in a bear market in {y}?", "were the {g} stocks in a bear market in {y}?"]
    ),
)
def test_a_group_asked_of_a_year_s_bear_market_is_its_stocks_by_the_rule(
    group: str, year: str, ask: str
) -> None:
    """ "So were the banks in a bear market in 2020?" is each bank's phase by the rule at the end
    of that year (before: "which portfolio or stocks?", the year's bear market read as its
    episode)."""
    stocks = sector_tickers([group])
    reply = answer_in_new_thread(ask.format(g=group, y=year))
    found = {m["who"]: m for m in SENTENCE.finditer(reply)}
    assert sorted(found) == sorted(stocks), reply
    for stock in stocks:
        end = found[stock]["end"]
        assert end is not None and end.startswith(year), reply
        assert agrees(found[stock], by_the_rule(PRICES[stock], end)), (stock, reply)


def test_a_question_of_how_a_stock_does_in_one_is_not_read_as_whether_it_is_in_one() -> None:
    for ask in ("is KO good in a bear market?", "how would KO do in a bear market?"):
        assert "20% rule" not in answer_in_new_thread(ask), ask


def test_the_phases_are_read_on_the_whole_history_not_the_window() -> None:
    """A window that starts inside a bear market still names the peak it began at, before the
    window: the index's bear market of 2022 seen from a window of its last half year."""
    reply = answer_in_new_thread("is the market in a bear market since 2022-07-01?")
    sentence = SENTENCE.search(reply)
    assert sentence is not None and sentence["since"] < "2022-07-01", reply
    assert agrees(sentence, by_the_rule(INDEX, END)), reply


@settings(max_examples=6, deadline=None)
@given(
    group=st.sampled_from(["banks", "banking", "tech", "energy", "health care", "staples"]),
    ask=st.sampled_from(
        (
            "are the {g} stocks in a bear market?",
            "is {g} in a bull market?",
            "how volatile are the {g}?",
            "are the {g} names in a bull market right now?",
        )
    ),
)
def test_a_group_asked_about_is_its_stocks(group: str, ask: str) -> None:
    """A sector asked about is its stocks: "are the banks in a bear market?" is asked of the
    banks (before: of the index, with "ask of fewer"), "how volatile are the banks?" reads them
    (before: "what would you like me to do")."""
    stocks = sector_tickers([group])
    reply = answer_in_new_thread(ask.format(g=group))
    used = re.search(r"Used: ([A-Z, ]+);", reply)
    assert used is not None and used[1].split(", ") == sorted(stocks), reply
    if "market?" in ask:
        found = {m["who"]: m for m in SENTENCE.finditer(reply)}
        assert sorted(found) == sorted(stocks), reply
        for stock in stocks:
            assert agrees(found[stock], by_the_rule(PRICES[stock], END)), (stock, reply)
    assert "Not used" not in reply, reply
