"""A window said as an amount of history (issue 63): "return of KO using 252 days of data" was
answered over the default five years, and neither reader saw the window. Both now read it as
the last N sessions (`services.windows.SESSIONS_PER`: 21 a month, 252 a year). "Lately" and
"recently" with no length ("the correlation between AAPL and MSFT lately") were the default five
years; both readers now read them as the last quarter (`LATELY_SESSIONS`), checked against pandas
over the embedded closes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from graphs.ask_accounting import Turn, unaccounted
from graphs.ask_inputs import ToolUse, inputs_of
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from quant import load_sp500_prices
from services.windows import LATELY_SESSIONS, SESSIONS_PER
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


LATELY = ("lately", "recently", "of late", "these days", "nowadays")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(LATELY),
    st.sampled_from(["what's the correlation between AAPL and MSFT {}", "how has KO done {}?",
                     "has JPM been more volatile than XOM {}?", "95% var of PG {}"]),
)  # fmt: skip
def test_lately_is_the_last_quarter_in_both_readers(word: str, form: str) -> None:
    text = form.format(word)
    assert parse_intent(text, KNOWN).last_sessions == LATELY_SESSIONS, text
    [recent] = [i for i in ask_items(text, VOCAB) if i.kind == "recent"]
    assert recent.value["sessions"] == LATELY_SESSIONS, text
    default = ToolUse("asset_statistics", {"universe": ["KO"]})
    missing = unaccounted([recent], Turn([default], [inputs_of(default, {}, KNOWN)], "", VOCAB))
    assert [u.item.kind for u in missing] == ["recent"], text


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(LATELY), st.sampled_from([("AAPL", "MSFT"), ("KO", "PEP"), ("XOM", "JPM")]))
def test_a_correlation_asked_lately_is_over_the_last_quarter(
    offline_data_dir: Path, word: str, pair: tuple[str, str]
) -> None:
    closes = load_sp500_prices()[list(pair)].iloc[-(LATELY_SESSIONS + 1) :]
    expected = closes.pct_change().iloc[1:].corr().iloc[0, 1]
    reply = (
        ChatSession(f"lately-{uuid.uuid4().hex}", settings=Settings())
        .send(f"what's the correlation between {pair[0]} and {pair[1]} {word}")
        .replies[-1]
    )
    said = re.search(rf"{pair[0]} and {pair[1]} (-?\d\.\d+)", reply)
    assert said is not None and f"({LATELY_SESSIONS} sessions," in reply, reply
    assert abs(float(said[1]) - expected) <= 0.005 and "Not used" not in reply, (reply, expected)
