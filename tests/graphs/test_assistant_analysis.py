"""The questions PMs ask, through the chat with the offline model: each reaches its tool with the
arguments the words state (or the thread's portfolio for "it"), and the reply quotes numbers
equal to a plain numpy computation from the embedded closes; the thread's portfolio can be
deployed once approved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graphs.chat import ChatSession
from quant import hierarchical_risk_parity
from quant.data import load_sp500_index, load_sp500_prices
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.tools.test_analysis_tools import _reference_backtest

CLOSES = load_sp500_prices()
INDEX = load_sp500_index()


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("analysis-thread", settings=Settings())


def _calls(session: ChatSession, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [
        (c["name"], c["args"])
        for m in session.history()[since:]
        for c in getattr(m, "tool_calls", [])
        if c["name"] != "Route"
    ]


def _returns(tickers: list[str], first: str, last: str) -> pd.DataFrame:
    closes = CLOSES[tickers]
    lo = closes.index.searchsorted(pd.Timestamp(first)) - 1
    return closes.iloc[lo:].loc[:last].pct_change().dropna()


@pytest.mark.parametrize(
    ("text", "held", "against", "first"),
    [
        ("beta of JPM to XOM", ["JPM"], "XOM", "2018-01-01"),
        ("JPM and BAC betas against XOM since 2020", ["JPM", "BAC"], "XOM", "2020-01-01"),
        ("what's the beta of aapl relative to msft", ["AAPL"], "MSFT", "2018-01-01"),
    ],
)
def test_a_beta_against_a_stock_is_measured_on_that_stock(
    session: ChatSession, text: str, held: list[str], against: str, first: str
) -> None:
    """Issue 63: "beta of JPM to XOM" answered each stock's beta to the S&P 500."""
    reply = session.send(text).replies[-1]
    [(name, args)] = _calls(session)
    assert name == "asset_statistics" and args["beta_to"] == against
    assert sorted(args["universe"]) == sorted(held)
    r = _returns([*held, against], first, "2022-12-28")
    for ticker in held:
        slope = np.polyfit(r[against].to_numpy(), r[ticker].to_numpy(), 1)[0]
        assert f"{ticker}: beta {slope:.2f} to {against}." in reply
    assert "S&P 500" not in reply and "Not used" not in reply


def test_a_beta_to_the_market_is_to_the_index(session: ChatSession) -> None:
    reply = session.send("beta of JPM to the market").replies[-1]
    assert "JPM: beta" in reply and "to the S&P 500 index" in reply
    assert "beta_to" not in _calls(session)[0][1]


def test_statistics_over_the_windows_named(session: ChatSession) -> None:
    reply = session.send("corelation of AAPL and MSFT since 2021").replies[-1]
    assert _calls(session) == [
        ("asset_statistics", {"universe": ["AAPL", "MSFT"], "start": "2021-01-01"})
    ]
    r = _returns(["AAPL", "MSFT"], "2021-01-01", "2022-12-28")
    assert f"AAPL and MSFT {np.corrcoef(r.to_numpy().T)[0, 1]:.2f}" in reply
    assert "the market data ends on 2022-12-28" in reply
    before = len(session.history())
    built = session.send("build an HRP portfolio of those").replies[-1]  # the stocks just asked
    assert _calls(session, before)[0][1]["universe"] == ["AAPL", "MSFT"] and "HRP" in built

    before = len(session.history())
    reply = session.send("return of XOM between 2019 and 2021").replies[-1]
    closes = CLOSES["XOM"].loc["2018-12-31":"2021-12-31"].to_numpy()
    assert f"a total return of {closes[-1] / closes[0] - 1:.1%}" in reply
    assert "from 2019-01-02 to 2021-12-31" in reply and "from the close of 2018-12-31" in reply
    assert _calls(session, before)[0][1] == {
        "universe": ["XOM"],
        "start": "2019-01-01",
        "end": "2021-12-31",
    }

    reply = session.send("worst month of KO over the last 12 months").replies[-1]
    closes = CLOSES["KO"].iloc[-253:]
    month_ends = closes.iloc[1:].groupby(closes.index[1:].to_period("M")).last()
    starts = np.r_[closes.iloc[0], month_ends.to_numpy()[:-1]]
    monthly = month_ends.to_numpy() / starts - 1.0
    assert f"worst month {month_ends.index[np.argmin(monthly)]} ({monthly.min():.1%})" in reply
    assert f"from {closes.index[1]:%Y-%m-%d} to 2022-12-28 (252 sessions" in reply


@pytest.mark.parametrize("said", ["vol and sharpe of KO", "KO: volatility and Sharpe ratio?"])
def test_each_statistic_named_is_answered(session: ChatSession, said: str) -> None:
    reply = session.send(said).replies[-1]
    r = _returns(["KO"], "2018-01-01", "2022-12-28")["KO"].to_numpy()
    assert f"volatility {r.std(ddof=1) * np.sqrt(252):.1%} a year" in reply
    sharpe = r.mean() / r.std(ddof=1) * np.sqrt(252)
    assert f"Sharpe ratio {sharpe:.2f} (risk-free rate 0%)" in reply


def test_risk_adjusted_returns_are_the_sharpe_ratios_of_each_stock(session: ChatSession) -> None:
    """ "XOM vs CVX" sets XOM beside CVX: which has the higher Sharpe ratio, with both."""
    reply = session.send("risk-adjusted returns of XOM vs CVX").replies[-1]
    assert _calls(session) == [("asset_statistics", {"universe": ["XOM", "CVX"]})]
    sharpe = {}
    for name in ("XOM", "CVX"):
        r = _returns([name], "2018-01-01", "2022-12-28")[name].to_numpy()
        sharpe[name] = r.mean() / r.std(ddof=1) * np.sqrt(252)
    side = "higher" if sharpe["XOM"] > sharpe["CVX"] else "lower"
    assert (
        f"XOM had a {side} Sharpe ratio (risk-free rate 0%) than CVX: {sharpe['XOM']:.2f} "
        f"against {sharpe['CVX']:.2f}."
    ) in reply


def test_a_stress_test_and_a_loss_probability_of_the_thread_s_portfolio(
    session: ChatSession,
) -> None:
    session.send("build an HRP portfolio of AAPL, MSFT and KO since 2018")
    portfolio_id = next(
        json.loads(m.content)["portfolio_id"]
        for m in session.history()
        if getattr(m, "name", None) == "optimize_portfolio"
    )
    before = len(session.history())
    reply = session.send("what would a 20% market drop do to it?").replies[-1]
    assert _calls(session, before) == [
        ("stress_test", {"portfolio_id": portfolio_id, "market_move": -0.2})
    ]
    r = _returns(["AAPL", "MSFT", "KO"], "2018-01-01", "2022-12-28")
    m = INDEX.loc["2017-12-29":].pct_change().dropna().to_numpy()
    betas = np.array([np.cov(r[t].to_numpy(), m)[0, 1] / m.var(ddof=1) for t in r.columns])
    weights = hierarchical_risk_parity(r).reindex(r.columns).to_numpy()
    assert f"the portfolio loses {0.2 * weights @ betas:.1%}" in reply

    before = len(session.history())
    reply = session.send("probability of losing more than 15% in bear?").replies[-1]
    ((name, args),) = _calls(session, before)
    assert name == "loss_probability"
    assert args == {"portfolio_id": portfolio_id, "threshold": 0.15, "scenarios": ["bear"]}
    assert "loses more than 15% over 252 sessions: bear " in reply

    before = len(session.history())
    reply = session.send("and in the 2008 crisis, on $2m?").replies[-1]
    ((name, args),) = _calls(session, before)
    assert (name, args["episodes"], args["capital"]) == ("stress_test", ["gfc_2008"], 2e6)
    span = CLOSES.loc["2007-10-09":"2009-03-09", ["AAPL", "MSFT", "KO"]].to_numpy()
    loss = 1.0 - (span[-1] / span[0]) @ weights
    amount = float(f"{-loss * 2e6:.4g}")  # a tool keeps 4 significant digits
    assert f"the portfolio loses {loss:.1%} ({amount:,.0f})" in reply


def test_a_backtest_of_given_weights(session: ChatSession) -> None:
    reply = session.send("backtest 60% AAPL 40% KO rebalanced monthly with 10 bps costs").replies[
        -1
    ]
    assert _calls(session) == [
        (
            "backtest_weights",
            {"weights": {"AAPL": 0.6, "KO": 0.4}, "rebalance": "monthly", "cost_bps": 10.0},
        )
    ]
    first = CLOSES.index.searchsorted(pd.Timestamp("2018-01-01")) - 1
    closes = CLOSES[["AAPL", "KO"]].iloc[first:]
    wealth = _reference_backtest(closes.to_numpy(), closes.index, np.array([0.6, 0.4]), 10, 0.02)
    assert f"total return {wealth[-1] - 1:.1%}" in reply
    assert "rebalanced monthly with 10 bps costs" in reply


def test_portfolios_compared_in_one_table_and_the_same_stocks_kept(session: ChatSession) -> None:
    reply = session.send("compare HRP, risk parity and min-vol for AAPL MSFT JPM XOM").replies[-1]
    calls = _calls(session)
    assert [name for name, _ in calls] == ["optimize_portfolio"] * 3 + ["compare_portfolios"]
    assert len(calls[-1][1]["portfolio_ids"]) == 3
    assert "has the highest Sharpe ratio" in reply and "risk-parity (pf_" in reply

    before = len(session.history())
    reply = session.send("compare the 95% CVaR of a min-vol and an HRP portfolio").replies[-1]
    built = [args for name, args in _calls(session, before) if name == "optimize_portfolio"]
    assert [b["method"] for b in built] == ["min_volatility", "hrp"]
    assert all(b["universe"] == ["AAPL", "MSFT", "JPM", "XOM"] for b in built)
    r = _returns(["AAPL", "MSFT", "JPM", "XOM"], "2018-01-01", "2022-12-28")
    daily = r.to_numpy() @ hierarchical_risk_parity(r).reindex(r.columns).to_numpy()
    cvar = -np.mean(daily[daily <= np.quantile(daily, 0.05)])
    assert f"95% CVaR {cvar:.2%}" in reply


def test_a_question_about_nothing_yet_is_answered_with_a_question(session: ChatSession) -> None:
    reply = session.send("stress test it").replies[-1]
    assert reply.startswith("Which portfolio or stocks?") and _calls(session) == []


def test_the_portfolio_built_in_the_thread_is_deployed_once_approved(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    store: Store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("analysis-deploy", settings=Settings(), owner="alice", store=store)
    (saved,) = session.send("build an HRP portfolio of AAPL, JNJ and KO").saved
    turn = session.send("deploy it to paper weekly with $250k")
    assert turn.pending is not None and turn.pending["kind"] == "deployment"
    assert turn.pending["request"]["source"] == {"kind": "portfolio", "id": saved.portfolio_id}
    assert store.list_deployments("alice") == []  # nothing before approval
    session.decide("approve")
    (deployment,) = store.list_deployments("alice")
    assert deployment.status == "active" and deployment.spec["capital"] == 250_000
