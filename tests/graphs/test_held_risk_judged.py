"""A judgment asked of the portfolio held ("is this allocation too risky?", "is it too risky?",
"is my portfolio very risky?"): the risk report of the portfolio the conversation built, its
figures checked here with numpy; with no portfolio in the conversation the reply asks which and
computes nothing (it built an HRP portfolio of every stock before). A stock named instead ("is
KO too risky?") is that stock's report, and "too" there leans on nothing said earlier."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
JUDGED = st.sampled_from([
    "is this allocation too risky?", "Is my portfolio too risky?", "is it too risky?",
    "is this portfolio very risky?", "was our allocation too risky in 2022?", "is the mix risky?",
])  # fmt: skip
SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _calls(session: ChatSession, since: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (call["name"], call["args"])
        for message in session.history()[since:]
        for call in getattr(message, "tool_calls", [])
    ]


@SETTINGS
@given(ask=JUDGED, tickers=st.lists(st.sampled_from(["AAPL", "KO", "XOM", "JNJ", "JPM"]),
                                    min_size=2, max_size=3, unique=True))  # fmt: skip
def test_a_judgment_of_the_portfolio_held_is_its_risk_report(
    offline_data_dir: Path, ask: str, tickers: list[str]
) -> None:
    session = ChatSession(f"judged-{uuid.uuid4().hex}", settings=Settings())
    built = session.send(f"build an HRP portfolio of {', '.join(tickers)} since 2019").replies[-1]
    portfolio = re.search(r"\((pf_\w+)\)", built)
    assert portfolio is not None, built
    since = len(session.history())
    reply = session.send(ask).replies[-1]
    calls = _calls(session, since)
    assert [name for name, _ in calls] == ["portfolio_risk_report"], (ask, calls, reply)
    assert calls[0][1].get("portfolio_id") == portfolio.group(1), (ask, calls)
    assert "HRP portfolio (" not in reply, reply  # not built again
    weights = pd.Series(
        {t: float(w) / 100 for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", built.split(". ")[0])}
    )
    window = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", reply)
    assert window is not None, reply
    daily = RETURNS.loc[window.group(1) : window.group(2), list(weights.index)] @ weights
    volatility = 100 * daily.std(ddof=1) * np.sqrt(252)
    said = re.search(r"annualised volatility (\d+\.\d)%", reply)
    assert said is not None and abs(float(said.group(1)) - volatility) <= 0.3, (reply, volatility)
    assert "Not used" not in reply, reply


@SETTINGS
@given(ask=JUDGED)
def test_a_judgment_with_no_portfolio_in_the_conversation_asks_which(
    offline_data_dir: Path, ask: str
) -> None:
    reply = answer_in_new_thread(ask)
    assert reply.startswith("Which portfolio or stocks?"), (ask, reply)
    said = re.sub(r"'[^']*'", "", reply)  # no number but the examples of how to ask
    assert "%" not in said and "HRP portfolio (" not in reply, (ask, reply)
    assert reply.endswith("Nothing was computed."), (ask, reply)


def test_a_stock_judged_after_a_build_is_that_stock_alone(offline_data_dir: Path) -> None:
    session = ChatSession(f"judged-{uuid.uuid4().hex}", settings=Settings())
    session.send("build an HRP portfolio of AAPL, KO and XOM since 2019")
    since = len(session.history())
    reply = session.send("is JNJ too risky?").replies[-1]
    calls = _calls(session, since)
    assert [name for name, _ in calls] == ["portfolio_risk_report"], (calls, reply)
    assert calls[0][1].get("weights") == {"JNJ": 1.0}, calls
    assert "Not used" not in reply, reply  # "too" is not "also": nothing of the build is owed
    for ask in ("is the market risky right now?", "is the market risky now?"):
        reply = session.send(ask).replies[-1]
        assert "Not used" not in reply, (ask, reply)  # "now" here leans on nothing earlier
    regime = ChatSession(f"judged-{uuid.uuid4().hex}", settings=Settings())
    regime.send("build an HRP portfolio of AAPL, KO and XOM since 2019")
    regime.send("what is the market regime?")
    reply = regime.send("what about JNJ?").replies[-1]
    assert "Not used" not in reply, reply  # it leans on the regime question, not the build


def test_too_risky_beside_a_build_or_a_change_of_it_keeps_the_build(offline_data_dir: Path) -> None:
    """ "Too risky" said in a request for a portfolio, or in a change of one, is no question of
    risk: the build is made, or changed as asked."""
    session = ChatSession(f"judged-{uuid.uuid4().hex}", settings=Settings())
    since = len(session.history())
    session.send("Build a portfolio of AAPL, MSFT, KO and XOM that isn't too risky")
    [(name, args)] = _calls(session, since)
    assert name == "optimize_portfolio" and set(args["universe"]) == {"AAPL", "MSFT", "KO", "XOM"}
    since = len(session.history())
    changed = session.send("that's too risky, cap each stock at 40%").replies[-1]
    [(name, args)] = _calls(session, since)
    assert name == "optimize_portfolio" and args.get("max_weight") == 0.4, (args, changed)
    assert "Not used" not in changed, changed
    other = ChatSession(f"judged-{uuid.uuid4().hex}", settings=Settings())
    other.send("give me a portfolio of AAPL, MSFT, JNJ and KO, nothing too risky")
    assert [name for name, _ in _calls(other, 0)] == ["optimize_portfolio"]
