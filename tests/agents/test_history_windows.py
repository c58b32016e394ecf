"""A window said as an amount of history (issue 63): "return of KO using 252 days of data" was
answered over the default five years, and neither reader saw the window. Both now read it as
the last N sessions (`services.windows.SESSIONS_PER`: 21 a month, 252 a year)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from graphs.ask_accounting import Turn, unaccounted
from graphs.ask_inputs import ToolUse, inputs_of
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from services.windows import SESSIONS_PER
from settings import Settings

KNOWN = known_tickers()
VOCAB = vocabulary()
UNITS = {"days": "day", "trading days": "day", "sessions": "day", "weeks": "week",
         "months": "month", "years": "year"}  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(
    st.integers(2, 9),
    st.sampled_from(sorted(UNITS)),
    st.sampled_from(["data", "history", "daily returns", "prices"]),
    st.sampled_from(["vol of KO using {}", "return of AAPL and MSFT on {}", "var of JPM with {}"]),
)
def test_an_amount_of_history_is_the_last_sessions_in_both_readers(
    count: int, unit: str, what: str, form: str
) -> None:
    text = form.format(f"{count * 30 if unit.endswith('days') else count} {unit} of {what}")
    said = count * 30 if unit.endswith("days") else count
    expected = round(said * SESSIONS_PER[UNITS[unit]])
    assert parse_intent(text, KNOWN).last_sessions == expected, text
    [recent] = [i for i in ask_items(text, VOCAB) if i.kind == "recent"]
    assert recent.value["sessions"] == expected, text
    default = ToolUse("asset_statistics", {"universe": ["KO"]})
    missing = unaccounted([recent], Turn([default], [inputs_of(default, {}, KNOWN)], "", VOCAB))
    assert [u.item.kind for u in missing] == ["recent"], text
    asked = ToolUse("asset_statistics", {"universe": ["KO"], "last_sessions": expected})
    assert unaccounted([recent], Turn([asked], [inputs_of(asked, {}, KNOWN)], "", VOCAB)) == []


def test_returns_as_the_history_are_not_a_measure_asked() -> None:
    intent = parse_intent("vol of AAPL and MSFT on 3 years of daily returns", KNOWN)
    ask = read_analysis(intent, KNOWN)
    assert ask is not None and ask.measures == ("volatility",)
    assert intent.last_sessions == 756


def test_the_reply_is_over_the_history_said(offline_data_dir: Path) -> None:
    reply = (
        ChatSession("history", settings=Settings())
        .send("return of KO using 252 days of data")
        .replies[-1]
    )
    assert "(252 sessions," in reply and "Not used" not in reply
