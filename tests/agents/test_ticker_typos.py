"""A mistyped ticker in a list joined by spaces (issue 63): "hrp on appl msft jpm" built HRP of
MSFT and JPM without a word, and "hrp on AAPL MFST JPM" read MFST as no ticker in a short
message of capitals. Both readers now see it: the offline model's reader asks which stock was
meant (nothing computed), the ask accounting reads the ticker it mistypes, so a reply that
leaves it out names it. Words that are no ticker stay words."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from graphs.ask_accounting import Turn, unaccounted
from graphs.ask_inputs import ToolUse, inputs_of
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from services.spelling import one_edit_apart, typo_of
from settings import Settings

KNOWN = known_tickers()
VOCAB = vocabulary()
LONG = sorted(t for t in KNOWN if len(t) >= 3 and t.isalpha())


@st.composite
def typos(draw: st.DrawFn) -> tuple[str, str]:
    """A ticker and a typo of it one edit away (a letter doubled, dropped, swapped with its
    neighbour or replaced by a rare one) that is no known ticker and mistypes no other."""
    ticker = draw(st.sampled_from(LONG))
    i = draw(st.integers(0, len(ticker) - 1))
    how = draw(st.sampled_from(["double", "drop", "swap", "replace"]))
    if how == "double":
        typo = ticker[: i + 1] + ticker[i:]
    elif how == "drop":
        typo = ticker[:i] + ticker[i + 1 :]
    elif how == "swap" and i + 1 < len(ticker):
        typo = ticker[:i] + ticker[i + 1] + ticker[i] + ticker[i + 2 :]
    else:
        typo = ticker[:i] + draw(st.sampled_from("QXZ")) + ticker[i + 1 :]
    assume(len(typo) >= 3 and typo not in KNOWN and typo_of(typo, KNOWN) == ticker)
    return ticker, typo


@settings(max_examples=150, deadline=None)
@given(typos(), st.lists(st.sampled_from(LONG), min_size=2, max_size=3, unique=True),
       st.integers(0, 3), st.booleans())  # fmt: skip
def test_a_typo_in_a_list_joined_by_spaces_is_read_by_both_readers(
    mistyped: tuple[str, str], others: list[str], at: int, capitals: bool
) -> None:
    ticker, typo = mistyped
    assume(ticker not in others)
    names = [t if capitals else t.lower() for t in others]
    names.insert(min(at, len(names)), typo if capitals else typo.lower())
    text = f"hrp on {' '.join(names)}"
    assert typo in parse_intent(text, KNOWN).unknown_tickers, text
    items = ask_items(text, VOCAB)
    assert ticker in {i.value for i in items if i.kind == "ticker"}, text
    without = ToolUse("optimize_portfolio", {"universe": others, "method": "hrp"})
    missing = unaccounted(items, Turn([without], [inputs_of(without, {}, KNOWN)], "", VOCAB))
    assert ("ticker", ticker) in {(u.item.kind, u.item.value) for u in missing}, text


@pytest.mark.parametrize(
    "text",
    [
        "min vol on aapl msft and more",
        "risk parity for jpm bac and xom",
        "hrp on the jpm bac xom names",
        "BUILD AN HRP PORTFOLIO OF AAPL AND MSFT",
        "max sharpe for ko pg pep wmt",
        "erc on aapl amd bac",
    ],
)
def test_words_beside_tickers_are_no_typos(text: str) -> None:
    assert parse_intent(text, KNOWN).unknown_tickers == ()
    assert not [i for i in ask_items(text, VOCAB) if i.kind == "unknown_ticker"]


def test_one_edit_is_a_substitution_an_insertion_a_deletion_or_a_swap() -> None:
    assert one_edit_apart("APPL", "AAPL") and one_edit_apart("MFST", "MSFT")
    assert one_edit_apart("JPMM", "JPM") and one_edit_apart("JM", "JPM")
    assert not one_edit_apart("JPM", "JPM") and not one_edit_apart("MSTF", "SMFT")
    assert typo_of("PEPP", KNOWN) == "PEP" and typo_of("ZZZZ", KNOWN) is None


@pytest.mark.parametrize(
    ("text", "typo", "meant"),
    [("hrp on appl msft jpm", "APPL", "AAPL"), ("hrp on AAPL MFST JPM", "MFST", "MSFT")],
)
def test_the_assistant_asks_which_stock_a_typo_meant(
    offline_data_dir: Path, text: str, typo: str, meant: str
) -> None:
    reply = ChatSession("typos", settings=Settings()).send(text).replies[-1]
    assert f"I don't have the ticker {typo} (closest known: {meant}" in reply
    assert "Nothing was computed" in reply


@pytest.mark.parametrize(
    ("text", "ticker", "said"),
    [
        ("how did my last optimization do compared with buying SPY?", "SPY",
         "SPY (the S&P 500 index or a fund that tracks it)"),
        ("what's the beta of QQQ and AAPL?", "QQQ", "QQQ (a fund: the data holds stocks)"),
    ],
)  # fmt: skip
def test_a_fund_is_named_as_a_fund_not_given_stocks_spelled_alike(
    offline_data_dir: Path, text: str, ticker: str, said: str
) -> None:
    """ "SPY" was offered "PG, BBY, JPM" as the closest tickers: spelling says nothing of a fund.
    A fund is said to be one; an S&P 500 one with where the data uses the index."""
    reply = ChatSession(f"funds-{ticker}", settings=Settings()).send(text).replies[-1]
    assert f"I don't have the ticker {said} in the data" in reply, reply
    assert "closest known" not in reply and "Nothing was computed" in reply
    assert ("only as the market benchmark" in reply) == (ticker == "SPY")


FUNDS = ("SPY", "TLT", "GLD", "IEF", "QQQ", "AGG", "VNQ")


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.sampled_from(FUNDS), min_size=1, max_size=2, unique=True),
    st.lists(st.sampled_from(sorted(KNOWN)), max_size=1),
    st.sampled_from(("backtest {w}", "what's the CVaR of {w}?", "stress test {w} in a 2008 crash")),
    st.booleans(),
)
def test_weights_on_tickers_the_data_lacks_are_refused_however_many_capitals(
    funds: list[str], stocks: list[str], ask: str, shouted: bool
) -> None:
    """ "backtest 50% SPY 50% TLT": more capitals than words made the message unreadable for
    tickers, and it ran a volatility-targeting backtest of the whole universe instead. Each ticker
    after a weight is read as one: the ones the data lacks are named and nothing is computed."""
    names = [*funds, *stocks]
    share = 100 // len(names)
    weights = " ".join(f"{share}% {t}" for t in names)
    text = ask.format(w=weights)
    session = ChatSession(f"funds-{'-'.join(names)}-{shouted}", settings=Settings())
    turn = session.send(text.upper() if shouted else text)
    reply = turn.replies[-1]
    assert all(f"{fund} (" in reply for fund in funds), reply
    assert "Nothing was computed" in reply, reply
    assert not any(getattr(m, "tool_calls", None) for m in session.history()), reply


@pytest.mark.parametrize(
    "text",
    ["give me the sortino of equal weight {g}", "build an hrp portfolio of {g} stocks",
     "how volatile is {g}?"],
)  # fmt: skip
@pytest.mark.parametrize("group", ["FAANG", "FANG", "MAANG", "MAMAA"])
def test_a_group_s_acronym_is_answered_with_the_stocks_the_data_holds(
    offline_data_dir: Path, text: str, group: str
) -> None:
    """ "FAANG" was offered "AAPL, GE, PG" as the closest tickers; it names a group of stocks,
    and the reply says which of them the data holds."""
    from agents.offline.chat_intent import known_tickers
    from agents.offline.unknown_tickers import STOCK_GROUPS

    reply = (
        ChatSession(f"group-{group}", settings=Settings()).send(text.format(g=group)).replies[-1]
    )
    members = STOCK_GROUPS[group]
    held = [t for t in members if t in known_tickers()]
    assert f"{group} (a group of stocks, {', '.join(members)}: " in reply, reply
    said = f"of these the data holds {', '.join(held)})" if held else "the data holds none)"
    assert said in reply and "closest known" not in reply, reply
