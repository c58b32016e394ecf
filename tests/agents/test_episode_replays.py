"""How stocks hold up in a named episode is a stress test (issue 63): "how would AAPL and KO hold
up in the 2008 crisis" drafted a 200-trial strategy search for approval ("holds up" is one of a
search's cues and the episode counted for nothing), and "vol of AAPL in 2008 against 2005" replayed
the 2008 crisis ("2008 against" was read as "2008 again"). A search asked for in words stays a
search; two years set side by side are two windows in both readers."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from settings import Settings

KNOWN = known_tickers()
VOCAB = vocabulary()
EPISODES_SAID = {
    "the 2008 crisis": "gfc_2008",
    "the gfc": "gfc_2008",
    "2008": "gfc_2008",
    "the covid crash": "covid_2020",
    "covid": "covid_2020",
    "a rates shock": "rates_2022",
    "the 2022 rate hikes": "rates_2022",
}
ASKS = (
    "how would {s} hold up in {e}",
    "how did {s} hold up against {e}",
    "how robust are {s} to {e}",
    "does a portfolio of {s} hold up through {e}?",
    "would {s} hold up if {e} happened again",
)
SEARCHES = (
    "a strategy for {s} that holds up in {e}",
    "find a robust strategy on {s} that survives {e}",
    "search settings for {s} robust to {e}",
    "tune {s} with 100 trials to hold up against {e}",
)


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(ASKS),
    st.lists(st.sampled_from(["AAPL", "KO", "JPM", "XOM", "JNJ"]), min_size=1, max_size=3,
             unique=True),
    st.sampled_from(sorted(EPISODES_SAID)),
)  # fmt: skip
def test_how_stocks_hold_up_in_an_episode_is_its_replay(
    ask: str, tickers: list[str], episode: str
) -> None:
    if episode == "2008" and "against" not in ask:
        episode = "the 2008 crisis"  # a bare year is an episode beside "against" only
    text = ask.format(s=" and ".join(tickers), e=episode)
    intent = parse_intent(text, KNOWN)
    analysis = read_analysis(intent, KNOWN)
    assert analysis is not None and analysis.kind == "stress", text
    assert analysis.episodes == (EPISODES_SAID[episode],), text
    assert intent.intent != "search_strategy", text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SEARCHES), st.sampled_from(sorted(EPISODES_SAID)))
def test_a_search_asked_for_stays_a_search(search: str, episode: str) -> None:
    text = search.format(s="AAPL and KO", e=episode)
    assert parse_intent(text, KNOWN).intent == "search_strategy", text


def test_a_year_against_another_is_two_windows_in_both_readers() -> None:
    text = "vol of AAPL in 2008 against 2005"
    analysis = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert analysis is not None and analysis.kind == "statistics"
    assert analysis.years == ("2008", "2005")
    items = ask_items(text, VOCAB)
    assert "episode" not in {i.kind for i in items}
    assert sorted(i.value for i in items if i.kind == "start") == ["2005-01-01", "2008-01-01"]


def test_an_episode_again_is_still_its_replay() -> None:
    analysis = read_analysis(parse_intent("what if 2008 again for AAPL and KO", KNOWN), KNOWN)
    assert analysis is not None and analysis.episodes == ("gfc_2008",)


def test_the_assistant_replays_the_crisis_asked_about(offline_data_dir: Path) -> None:
    session = ChatSession("hold-up", settings=Settings())
    turn = session.send("how would AAPL and KO hold up in the 2008 crisis")
    assert turn.pending is None  # no search drafted for approval
    calls = [c for m in session.history() for c in getattr(m, "tool_calls", [])]
    assert [(c["name"], c["args"].get("episodes")) for c in calls] == [
        ("stress_test", ["gfc_2008"])
    ]
    reply = turn.replies[-1]
    assert "The 2008 financial crisis (2007-10-09 to 2009-03-09)" in reply
    assert "Not used" not in reply
