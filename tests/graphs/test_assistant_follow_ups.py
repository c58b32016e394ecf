"""Issue 51, offline: follow-ups change the thread's previous request instead of getting help
text: a name dropped by a criterion (the reply names the criterion, the name and its value), a
new start year, another method, another rebalancing cadence, and a further measure of the
thread's portfolio. The numbers are recomputed here with numpy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_index, load_sp500_prices, to_returns
from settings import Settings

RETURNS = to_returns(load_sp500_prices())
INDEX = to_returns(load_sp500_index()).iloc[:, 0]
FIVE = ["AAPL", "MSFT", "KO", "JPM", "XOM"]


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("follow-ups", settings=Settings())


def _calls(session: ChatSession, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [
        (call["name"], call["args"])
        for message in session.history()[since:]
        for call in getattr(message, "tool_calls", [])
    ]


def _built(session: ChatSession) -> dict[str, Any]:
    last = [m for m in session.history() if getattr(m, "name", None) == "optimize_portfolio"][-1]
    data: dict[str, Any] = json.loads(last.text)
    return data


def test_a_portfolio_changed_turn_by_turn(session: ChatSession) -> None:
    session.send("hrp portfolio of aapl msft ko jpm xom since 2019")
    window = RETURNS.loc["2019-01-01":"2022-12-28", FIVE]
    vols = window.std(ddof=1) * np.sqrt(252)
    most = str(vols.idxmax())

    before = len(session.history())
    reply = session.send("drop the most volatile one").replies[-1]
    calls = _calls(session, before)
    assert [name for name, _ in calls] == ["asset_statistics", "optimize_portfolio"]
    assert calls[0][1] == {"universe": FIVE, "start": "2019-01-01", "end": "2022-12-28"}
    kept = [t for t in FIVE if t != most]
    assert calls[1][1] == {"universe": kept, "method": "hrp", "start": "2019-01-01"}
    assert f"dropped {most}, the most volatile one of {', '.join(FIVE)}" in reply
    assert f"({most} {vols[most]:.1%}, from 2019-01-02 to 2022-12-28)" in reply

    before = len(session.history())
    reply = session.send("Start in 2018 instead").replies[-1]
    ((name, args),) = _calls(session, before)
    assert (name, args) == (
        "optimize_portfolio", {"universe": kept, "method": "hrp", "start": "2018-01-01"}
    )  # fmt: skip
    assert "starting 2018-01-01 instead of 2019-01-01 to 2022-12-28" in reply
    assert "estimated from 2018-01-02 to 2022-12-28" in reply

    before = len(session.history())
    reply = session.send("use min vol instead").replies[-1]
    ((name, args),) = _calls(session, before)
    assert args == {"universe": kept, "method": "min_volatility", "start": "2018-01-01"}
    assert "min-volatility instead of HRP" in reply

    weights = pd.Series(_built(session)["weights"], dtype=float)
    before = len(session.history())
    reply = session.send("beta against the index?").replies[-1]
    ((name, args),) = _calls(session, before)
    assert name == "asset_statistics" and args["portfolio_id"] == _built(session)["portfolio_id"]
    assert (args["start"], args["end"]) == ("2018-01-02", "2022-12-28")
    frame = RETURNS.loc["2018-01-02":"2022-12-28", list(weights.index)]
    daily = frame.to_numpy() @ weights.to_numpy()
    market = INDEX.loc[frame.index].to_numpy()
    beta = np.cov(daily, market, ddof=1)[0, 1] / market.var(ddof=1)
    assert re.search(rf"the portfolio \([^)]*\) had beta {beta:.2f} to the S&P 500 index", reply)

    before = len(session.history())
    reply = session.send("volatility over the last 6 months?").replies[-1]
    ((name, args),) = _calls(session, before)
    assert name == "asset_statistics" and args["last_sessions"] == 126
    recent = RETURNS[list(weights.index)].iloc[-126:].to_numpy() @ weights.to_numpy()
    assert f"had volatility {recent.std(ddof=1) * np.sqrt(252):.1%} a year" in reply


def test_a_backtest_changed_by_cadence_window_and_names(session: ChatSession) -> None:
    session.send("backtest 60% AAPL 40% KO rebalanced quarterly")
    before = len(session.history())
    reply = session.send("make it monthly").replies[-1]
    ((name, args),) = _calls(session, before)
    assert (name, args) == ("backtest_weights", {"weights": {"AAPL": 0.6, "KO": 0.4},
                                                 "rebalance": "monthly"})  # fmt: skip
    assert "rebalanced monthly instead of quarterly" in reply and "rebalanced monthly with" in reply

    before = len(session.history())
    reply = session.send("from 2015 this time, buy and hold").replies[-1]
    ((name, args),) = _calls(session, before)
    assert args == {"weights": {"AAPL": 0.6, "KO": 0.4}, "rebalance": "never",
                    "start": "2015-01-01"}  # fmt: skip
    prices = load_sp500_prices()
    grown = prices.loc["2022-12-28"] / prices.loc["2014-12-31"]
    total = 0.6 * grown["AAPL"] + 0.4 * grown["KO"] - 1.0
    assert f"total return {total:.1%}" in reply

    before = len(session.history())
    reply = session.send("swap KO for PG").replies[-1]
    ((name, args),) = _calls(session, before)
    assert args["weights"] == {"AAPL": 0.6, "PG": 0.4}
    assert "PG in place of KO, taking its 40.0%" in reply


@pytest.mark.parametrize(
    "supposed",
    ["what if we sold KO and bought PEP?", "what if I swapped KO for PEP?",
     "what would happen if we replaced KO with PEP?", "how would it look if I dropped KO and "
     "added PEP?"],
)  # fmt: skip
def test_a_swap_supposed_changes_the_build(session: ChatSession, supposed: str) -> None:
    """ "What if we sold KO and bought PEP?" after a build: the build again with PEP in place
    of KO (it ran scenarios of PEP alone and said KO was not used)."""
    session.send("build a min vol portfolio of AAPL, MSFT, KO and JNJ")
    before = len(session.history())
    reply = session.send(supposed).replies[-1]
    ((name, args),) = _calls(session, before)
    assert name == "optimize_portfolio" and set(args["universe"]) == {"AAPL", "MSFT", "PEP", "JNJ"}
    assert reply.startswith("Changed from your previous request: PEP in place of KO"), reply
    assert "Not used" not in reply, reply


def test_a_change_a_request_cannot_take_is_read_as_a_question(session: ChatSession) -> None:
    """A method after a backtest of given weights builds a portfolio of the thread's names (the
    backtest has no method to change)."""
    session.send("backtest 60% AAPL 40% KO")
    before = len(session.history())
    session.send("what about min vol instead?")
    ((name, args),) = _calls(session, before)
    assert name == "optimize_portfolio" and args["method"] == "min_volatility"
    assert args["universe"] == ["AAPL", "KO"]


@pytest.mark.parametrize(
    ("ask", "key", "words", "lowest"),
    [
        ("which has the lower cvar?", "cvar", "CVaR (95%)", True),
        ("and which one has the higher Sharpe", "sharpe_ratio", "Sharpe ratio", False),
        ("which of them has the smaller drawdown?", "max_drawdown", "maximum drawdown", True),
    ],
)
def test_a_comparison_judged_on_another_measure(
    session: ChatSession, ask: str, key: str, words: str, lowest: bool
) -> None:
    session.send("compare hrp and min vol for AAPL, MSFT, KO, JNJ and XOM")
    (_, first), *_ = [c for c in _calls(session) if c[0] == "compare_portfolios"]
    before = len(session.history())
    reply = session.send(ask).replies[-1]
    assert _calls(session, before) == [("compare_portfolios", first)]  # the same comparison
    result = [m for m in session.history() if getattr(m, "name", None) == "compare_portfolios"]
    rows = json.loads(result[-1].text)["rows"]
    pick = (min if lowest else max)(rows, key=lambda row: row[key])
    name = {"hrp": "HRP", "min_volatility": "min-volatility"}[pick["portfolio"]]
    side = "lowest" if lowest else "highest"
    assert f"On the {words} you asked about, the {name} portfolio has the {side} (" in reply
    assert not reply.startswith("Changed from your previous request")


def test_a_cap_after_a_comparison_changes_the_latest_build(session: ChatSession) -> None:
    session.send("compare hrp and min vol for AAPL, MSFT, KO, JNJ and XOM")
    reply = session.send("cap at 30%").replies[-1]
    assert reply.startswith("Changed from your previous request: max weight 30.0% on every asset.")
    assert "Min-volatility portfolio (pf_" in reply


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("risk parity on the staples and health care since 2019", "compare it with min vol"),
        ("hrp of AAPL, MSFT, KO and XOM from 2016 to 2020", "how does it compare with max sharpe?"),
    ],
)
def test_a_build_on_the_conversation_s_stocks_keeps_its_window(
    session: ChatSession, first: str, then: str
) -> None:
    """'Compare it with min vol' builds both on the window the conversation's portfolio was built
    on; it rebuilt them over the default five years."""
    session.send(first)
    (window,) = [
        (a.get("start"), a.get("end")) for n, a in _calls(session) if n == "optimize_portfolio"
    ]
    since = len(session.history())
    reply = session.send(then).replies[-1]
    builds = [a for n, a in _calls(session, since) if n == "optimize_portfolio"]
    assert len(builds) == 2 and {(a.get("start"), a.get("end")) for a in builds} == {window}, builds
    assert "Not used: the window" not in reply, reply


PERCENT_ALONE = ("what about {p}%?", "try {p}% instead", "what if I used {p}% instead?",
                 "and {p}%?", "how about {p}% then", "let's try {p}%")  # fmt: skip


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(first=st.integers(8, 20), then=st.integers(5, 25), said=st.sampled_from(PERCENT_ALONE))
def test_a_percentage_alone_after_a_strategy_is_its_volatility_target(
    offline_data_dir: Path, first: int, then: int, said: str
) -> None:
    """ "What about 10%?" after a backtest of a 15% volatility target: the backtest again at 10%,
    the same numbers as asking for it outright. Before: the market read or help text, and "Not
    used: the 10%"."""
    if then == first:
        then = first + 1
    session = ChatSession(f"pct-{first}-{then}", settings=Settings())
    session.send(f"backtest a {first}% vol target on AAPL, MSFT and KO, monthly rebalance")
    before = len(session.history())
    reply = session.send(said.format(p=then)).replies[-1]
    ((name, args),) = _calls(session, before)
    assert name == "backtest_strategy" and args["config"]["target_vol"] == pytest.approx(then / 100)
    head = f"Changed from your previous request: target vol {then:.1f}% instead of {first:.1f}%. "
    assert reply.startswith(head), reply
    outright = ChatSession(f"pct-outright-{then}", settings=Settings())
    asked = outright.send(f"backtest a {then}% vol target on AAPL, MSFT and KO, monthly rebalance")
    assert reply.removeprefix(head) == asked.replies[-1]


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(names=st.lists(st.sampled_from([*FIVE, "JNJ", "PEP"]), min_size=3, max_size=3,
                      unique=True),
       question=st.sampled_from(("what's the max drawdown of {} over the last 3 years?",
                                 "what is the 95% CVaR of {} since 2019?")),
       again=st.sampled_from(("what about {}?", "same for {}", "and for {}?")))  # fmt: skip
def test_the_question_of_names_asked_again_of_another_keeps_its_window(
    offline_data_dir: Path, names: list[str], question: str, again: str
) -> None:
    """ "What's the max drawdown of AAPL over the last 3 years?" then "what about MSFT?": the same
    risk report of MSFT over the same window, as asking it outright. Before: the market read of
    MSFT over the default window and "Not used: the window last 3 years"."""
    first, other, second = names
    session = ChatSession(f"again-{first}-{other}", settings=Settings())
    session.send(question.format(f"{first} and {second}" if "CVaR" in question else first))
    reply = session.send(again.format(other)).replies[-1]
    assert reply.startswith("Changed from your previous request: "), reply
    outright = ChatSession(f"again-outright-{other}", settings=Settings())
    asked = outright.send(question.format(other)).replies[-1]
    assert reply.split(". ", 1)[1] == asked, reply
