"""Follow-ups that ask the question just answered again, of other names ("and for KO?", "what
about the banks?", "same for XOM and CVX"): the same tool is called again with the new names in
place of the old and everything else kept, and the reply says so; the volatilities are
recomputed here with numpy. Two names set against each other ("and KO vs PEP?" after a
correlation) are the pair asked about, the window kept (it was a market read over the default
window). A sector asked about ("how correlated are the banks with energy") is its names."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings

RETURNS = to_returns(load_sp500_prices())
SUBJECTS = {"KO": ["KO"], "XOM and CVX": ["XOM", "CVX"], "the banks": sector_tickers(["banks"])}
OPENERS = ("and for {}?", "what about {}", "same for {}", "how about {}?", "And {}?")


def _session() -> ChatSession:
    return ChatSession(f"subjects-{uuid.uuid4().hex}", settings=Settings())


def _calls(session: ChatSession, since: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (call["name"], call["args"])
        for message in session.history()[since:]
        for call in getattr(message, "tool_calls", [])
    ]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(opener=st.sampled_from(OPENERS), subject=st.sampled_from(sorted(SUBJECTS)))
def test_the_volatility_asked_again_of_other_names(
    offline_data_dir: Path, opener: str, subject: str
) -> None:
    session = _session()
    session.send("what's the volatility of AAPL since 2019")
    before = len(session.history())
    reply = session.send(opener.format(subject)).replies[-1]
    names = SUBJECTS[subject]
    calls = _calls(session, before)
    assert calls == [("asset_statistics", {"universe": names, "start": "2019-01-01"})], reply
    assert reply.startswith(
        f"Changed from your previous request: {', '.join(names)} instead of AAPL"
    )
    window = RETURNS.loc["2019-01-01":, names]
    for ticker in names:
        vol = float(window[ticker].std(ddof=1) * np.sqrt(252))
        assert f"{ticker}: volatility {vol:.1%} a year" in reply


PAIRS = (("KO", "PEP"), ("XOM", "CVX"), ("JPM", "BAC"), ("JNJ", "PFE"), ("WMT", "HD"))


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair=st.sampled_from(PAIRS),
    years=st.integers(1, 4),
    opener=st.sampled_from(
        ("and {} vs {}?", "what about {} versus {}", "how about {} against {}?")
    ),
)
def test_a_pair_set_against_each_other_is_the_correlation_asked_again(
    offline_data_dir: Path, pair: tuple[str, str], years: int, opener: str
) -> None:
    session = _session()
    session.send(f"what's the correlation between AAPL and MSFT over the last {years} years?")
    ((_, first),) = _calls(session, 0)
    before = len(session.history())
    reply = session.send(opener.format(*pair)).replies[-1]
    assert _calls(session, before) == [("asset_statistics", {**first, "universe": list(pair)})]
    assert reply.startswith(f"Changed from your previous request: {', '.join(pair)} instead of")
    window = RETURNS[list(pair)].iloc[-252 * years :]
    corr = float(f"{window.corr().iloc[0, 1]:.4g}")  # the tool's 4 significant digits, then 2
    assert f"Correlation of daily returns: {pair[0]} and {pair[1]} {corr:.2f}" in reply, reply


@pytest.mark.parametrize(
    ("first", "tool"),
    [
        ("stress AAPL and MSFT in the 2008 crash", "stress_test"),
        ("an HRP portfolio of AAPL, MSFT and JNJ since 2018", "optimize_portfolio"),
    ],
)
def test_another_request_asked_again_of_a_sector(
    offline_data_dir: Path, first: str, tool: str
) -> None:
    session = _session()
    session.send(first)
    earlier = _calls(session, 0)[-1][1]
    before = len(session.history())
    reply = session.send("what about the banks and energy?").replies[-1]
    names = sector_tickers(["banks", "energy"])
    (name, args), *_ = _calls(session, before)
    assert name == tool
    assert args == {**earlier, "universe": names}  # the window, episodes and method kept
    assert f"{', '.join(names)} instead of {', '.join(earlier['universe'])}" in reply


def test_other_names_after_a_portfolio_of_given_weights_are_a_question_of_their_own(
    offline_data_dir: Path,
) -> None:
    session = _session()
    session.send("backtest 60% AAPL 40% KO since 2015")
    reply = session.send("and for the banks?").replies[-1]
    assert not reply.startswith("Changed from your previous request")


def test_how_correlated_one_sector_is_with_another(offline_data_dir: Path) -> None:
    session = _session()
    reply = session.send("how correlated are the banks with energy").replies[-1]
    names = sector_tickers(["banks", "energy"])
    pairs = dict(re.findall(r"([A-Z]+ and [A-Z]+) (-?\d\.\d\d)", reply))
    corr = RETURNS.loc["2018-01-01":, names].corr()
    assert "between banks and energy, each of BAC, JPM with each of" in reply, reply
    assert len(pairs) >= 2, reply  # the lowest and highest pair across; within each group
    for pair, shown in pairs.items():
        a, b = pair.split(" and ")
        assert abs(float(shown) - corr.loc[a, b]) <= 0.005
