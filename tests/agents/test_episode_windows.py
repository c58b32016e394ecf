"""A window that starts at a named episode (issue 63): "drawdown of JPM since the covid crash"
replayed the crash as a stress test (its fall within the crash, 42.5%) instead of measuring the
drawdown from the crash on. The offline model's reader now takes the episode's first date as
the window's start and the data's end as its end; "during" keeps the episode as the whole
window, and a replay stays a stress test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from graphs.chat import ChatSession
from quant.data import load_sp500_prices
from quant.episodes import EPISODES
from settings import Settings

KNOWN = known_tickers()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("drawdown of JPM since the covid crash", "covid_2020"),
        ("vol of KO since the gfc", "gfc_2008"),
        ("return of XOM after the 2022 rate shock", "rates_2022"),
        ("sharpe of AAPL from the start of the financial crisis", "gfc_2008"),
    ],
)
def test_since_an_episode_is_from_its_first_date_to_the_data_s_end(text: str, key: str) -> None:
    intent = parse_intent(text, KNOWN)
    assert (intent.episode, intent.start, intent.end) == (key, EPISODES[key].start, None)


def test_during_an_episode_is_the_episode_and_a_replay_a_stress_test() -> None:
    during = parse_intent("vol of KO during the gfc", KNOWN)
    assert (during.start, during.end) == (EPISODES["gfc_2008"].start, EPISODES["gfc_2008"].end)
    replay = parse_intent("stress test JPM for the covid crash", KNOWN)
    ask = read_analysis(replay, KNOWN)
    assert ask is not None and ask.kind == "stress" and ask.episodes == ("covid_2020",)


def test_the_drawdown_since_the_crash_is_measured_from_it(offline_data_dir: Path) -> None:
    reply = (
        ChatSession("since", settings=Settings())
        .send("drawdown of JPM since the covid crash")
        .replies[-1]
    )
    closes = load_sp500_prices()["JPM"]
    first = closes.index.searchsorted(np.datetime64(EPISODES["covid_2020"].start))
    wealth = closes.iloc[first - 1 :].to_numpy()
    deepest = float(np.max(1.0 - wealth / np.maximum.accumulate(wealth)))
    assert reply.startswith(f"The maximum drawdown was {deepest:.1%}"), reply  # asked: first
    assert "from 2020-02-19 to 2022-12-28" in reply
    assert "replayed" not in reply and "Not used" not in reply
