"""Calendar years set side by side (issue 63): "vol of AAPL in 2022 vs 2021" was answered for
2022 alone, and neither reader saw 2021. The offline model now measures each year in a call of
its own and answers each; the ask accounting reads each year as a window. A range ("between
2019 and 2021") and crises replayed ("stress test for 2008 and 2020") stay what they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from quant.data import load_sp500_prices
from settings import Settings

KNOWN = known_tickers()
VOCAB = vocabulary()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(2005, 2022), min_size=2, max_size=3, unique=True),
    st.sampled_from([" vs ", " vs. ", " versus ", " compared to ", " compared with ", " and "]),
    st.sampled_from(
        [
            "vol of AAPL in {}",
            "return of KO {}",
            "compare JPM drawdown dates {}",
            "worst month of XOM during {}",
        ]
    ),
)
def test_each_year_said_side_by_side_is_a_window_in_both_readers(
    years: list[int], joiner: str, form: str
) -> None:
    said = [str(y) for y in years]
    text = form.format(", ".join(said[:-1]) + joiner + said[-1])
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert ask is not None and ask.years == tuple(said), text
    starts = [i.value for i in ask_items(text, VOCAB) if i.kind == "start"]
    assert sorted(starts) == sorted(f"{y}-01-01" for y in said), text


@pytest.mark.parametrize(
    "text",
    ["return of XOM between 2019 and 2021", "vol of KO from 2015 to 2020", "vol of KO in 2020"],
)
def test_one_window_is_no_comparison(text: str) -> None:
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert ask is not None and ask.years == ()


def test_crises_replayed_are_no_windows() -> None:
    items = ask_items("stress test for 2008 and 2020", VOCAB)
    assert {i.kind for i in items} == {"episode"}


def test_the_assistant_answers_each_year(offline_data_dir: Path) -> None:
    session = ChatSession("years", settings=Settings())
    reply = session.send("vol of AAPL in 2022 vs 2021").replies[-1]
    calls = [c["args"] for m in session.history() for c in getattr(m, "tool_calls", [])
             if c["name"] == "asset_statistics"]  # fmt: skip
    assert [(c["start"], c["end"]) for c in calls] == [
        ("2022-01-01", "2022-12-31"),
        ("2021-01-01", "2021-12-31"),
    ]
    closes = load_sp500_prices()["AAPL"]
    for year in (2022, 2021):
        window = closes.loc[f"{year - 1}-12-01" : f"{year}-12-31"]
        returns = window.pct_change().loc[f"{year}"]
        vol = returns.std(ddof=1) * np.sqrt(252)
        assert f"AAPL: volatility {vol:.1%} a year" in reply
    assert reply.index("2022-01-03") < reply.index("2021-01-04") and "Not used" not in reply


def test_three_years_are_listed_as_a_sentence_lists_them(offline_data_dir: Path) -> None:
    """ "Used:" names each year's window once, "a, b and c" (not "a and b and c")."""
    session = ChatSession("three-years", settings=Settings())
    reply = session.send("vol of KO 2019 versus 2020 versus 2021").replies[-1]
    used = reply[reply.index("Used: ") :].split(";")[1].strip().rstrip(".")
    assert used == "2019-01-02 to 2019-12-31, 2020-01-02 to 2020-12-31 and 2021-01-04 to 2021-12-31"


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([("this", "last"), ("last", "this"), ("this", "previous")]),
    st.sampled_from([" vs ", " versus ", " compared to ", " and "]),
    st.sampled_from(["what's AAPL's sharpe {}", "how did KO do {}?", "vol of XOM {}"]),
)
def test_this_year_and_last_year_are_the_data_s_last_two_years(
    said: tuple[str, str], joiner: str, form: str
) -> None:
    text = form.format(f"{said[0]} year{joiner}{said[1]} year")
    ask = read_analysis(parse_intent(text, KNOWN), KNOWN)
    last = load_sp500_prices().index[-1].year
    expected = tuple(str(last if word == "this" else last - 1) for word in said)
    assert ask is not None and ask.years == expected, text
