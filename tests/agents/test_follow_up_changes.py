"""Issue 51: a follow-up that changes the conversation's latest request is read as that change,
however it is written (hypothesis writes the asks in other words and cases), and a message that
asks something of its own is not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.changes import Change, read_change

SETTINGS = settings(max_examples=80, deadline=None)


def change_of(text: str) -> Change | None:
    return read_change(parse_intent(text, known_tickers()))


def recased(text: str, how: str) -> str:
    return {"lower": text.lower(), "upper": text.upper(), "first": text[:1].upper() + text[1:]}[how]


CASES = st.sampled_from(["lower", "upper", "first"])


@SETTINGS
@given(
    year=st.integers(2006, 2021),
    template=st.sampled_from(
        ["start in {y} instead", "from {y} instead", "starting {y} this time", "redo it since {y}",
         "what about since {y}?", "now from {y}", "start {y} instead pls", "same but from {y}"]
    ),
    case=CASES,
)  # fmt: skip
def test_a_new_start_is_a_change_of_the_window(year: int, template: str, case: str) -> None:
    change = change_of(recased(template.format(y=year), case))
    assert change is not None and change.start == f"{year}-01-01" and change.end is None


@SETTINGS
@given(
    cadence=st.sampled_from(["monthly", "quarterly", "weekly", "annually"]),
    template=st.sampled_from(
        ["make it {c}", "rebalance {c} instead", "{c} rebalancing instead", "switch to {c}",
         "try {c} rebalancing", "now {c}"]
    ),
    case=CASES,
)  # fmt: skip
def test_a_rebalancing_cadence_is_a_change(cadence: str, template: str, case: str) -> None:
    change = change_of(recased(template.format(c=cadence), case))
    assert change is not None and change.cadence == cadence


@SETTINGS
@given(
    verb=st.sampled_from(["drop", "remove", "kick out", "take out", "ditch", "exclude", "cut"]),
    which=st.sampled_from(
        [("the most volatile one", "volatility", True), ("the least volatile name", "volatility",
          False), ("the riskiest stock", "volatility", True), ("the worst performer", "return",
          False), ("the best performer", "return", True), ("the smallest position", "weight",
          False), ("the biggest weight", "weight", True), ("the highest beta one", "beta", True),
         ("the laggard", "return", False)]
    ),
    case=CASES,
)  # fmt: skip
def test_a_name_dropped_by_a_criterion(verb: str, which: tuple[str, str, bool], case: str) -> None:
    words, measure, highest = which
    change = change_of(recased(f"{verb} {words}", case))
    assert change is not None and change.criterion is not None
    assert (change.criterion.measure, change.criterion.highest) == (measure, highest)


@SETTINGS
@given(
    method=st.sampled_from(
        [("min vol", "min_volatility"), ("hrp", "hrp"), ("risk parity", "risk_parity"),
         ("max sharpe", "max_sharpe")]
    ),
    template=st.sampled_from(["use {m} instead", "try {m}", "switch to {m}", "{m} instead"]),
    case=CASES,
)  # fmt: skip
def test_another_method_is_a_change(method: tuple[str, str], template: str, case: str) -> None:
    change = change_of(recased(template.format(m=method[0]), case))
    assert change is not None and change.method == method[1]


@pytest.mark.parametrize(
    ("text", "dropped", "added"),
    [
        ("drop KO", ("KO",), ()),
        ("drop ko and rebuild", ("KO",), ()),
        ("add PG", (), ("PG",)),
        ("swap XOM for WMT", ("XOM",), ("WMT",)),
        ("take out JPM, put in BAC", ("JPM",), ("BAC",)),
    ],
)
def test_names_dropped_and_added(
    text: str, dropped: tuple[str, ...], added: tuple[str, ...]
) -> None:
    change = change_of(text)
    assert change is not None and (change.dropped, change.added) == (dropped, added)


@given(
    opening=st.sampled_from(["what if", "what would change if", "what would happen if",
                             "how would it look if"]),
    who=st.sampled_from(["I", "we"]),
    verb=st.sampled_from(["dropped", "removed", "excluded", "ditched"]),
    names=st.lists(st.sampled_from(["KO", "XOM", "JNJ", "AAPL"]), min_size=1, max_size=2,
                   unique=True),
    case=CASES,
)  # fmt: skip
def test_a_name_dropped_in_a_what_if_is_a_change(
    opening: str, who: str, verb: str, names: list[str], case: str
) -> None:
    """ "What would change if I dropped JNJ?", "what if we removed KO and XOM": the names
    dropped from the latest request (it was a read of the market, or of scenarios); "cut KO to
    10%" leaves nothing out."""
    text = recased(f"{opening} {who} {verb} {' and '.join(names)}?", case)
    change = change_of(text)
    assert change is not None and set(change.dropped) == set(names), (text, change)
    resized = change_of(recased(f"{opening} {who} cut {names[0]} to 10%?", case))
    assert resized is None or not resized.dropped, resized  # a size, not a name left out


@pytest.mark.parametrize(
    "text",
    [
        "what was the worst day for that portfolio in 2020?",
        "how volatile are they?",
        "beta against the index?",
        "volatility over the last 6 months?",
        "deploy it to paper, weekly",
        "hrp of AAPL MSFT since 2019",
        "backtest 60% AAPL 40% KO since 2015",
        "compare hrp and min vol",
        "what's the CVaR since 2020?",
        "thanks",
    ],
)
def test_a_question_of_its_own_is_no_change(text: str) -> None:
    assert change_of(text) is None


@SETTINGS
@given(
    subject=st.sampled_from(
        [("KO", ("KO",)), ("XOM and CVX", ("XOM", "CVX")), ("the banks", ("BAC", "JPM")),
         ("the energy names", ("CVX", "RRC", "XOM"))]
    ),
    template=st.sampled_from(
        ["and for {s}?", "what about {s}", "same for {s}", "how about {s}?", "and {s}?",
         "same thing for {s} please", "now {s}"]
    ),
    case=CASES,
)  # fmt: skip
def test_other_names_are_the_same_ask_of_them(
    subject: tuple[str, tuple[str, ...]], template: str, case: str
) -> None:
    change = change_of(recased(template.format(s=subject[0]), case))
    assert change is not None and change.subject == subject[1]
    assert (change.dropped, change.added, change.method) == ((), (), None)


@pytest.mark.parametrize(
    "text",
    ["what about the volatility of KO", "and add KO", "KO and PEP since 2015", "and compare KO"],
)
def test_names_with_an_ask_of_their_own_are_no_other_subject(text: str) -> None:
    change = change_of(text)
    assert change is None or not change.subject


@SETTINGS
@given(
    percent=st.integers(5, 60),
    template=st.sampled_from(
        ["cap at {p}%", "and if I cap each at {p}%?", "what if I cap each at {p}%", "cap each at {p}%",
         "cap them all at {p}%", "what if we keep everything under {p}%", "now max {p}% each",
         "limit each one to {p}% instead"]
    ),
    case=CASES,
)  # fmt: skip
def test_a_cap_on_every_weight_is_a_change(percent: int, template: str, case: str) -> None:
    change = change_of(recased(template.format(p=percent), case))
    assert change is not None and change.limits
    assert change.intent.limits.max_weight == pytest.approx(percent / 100)
