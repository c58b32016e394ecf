"""A rolling statistic asked ("rolling 60 day correlation between XOM and CVX", "the 3-month
rolling volatility of AAPL since 2019") is computed over every window of that many sessions and
summarised (latest, lowest and highest with their dates, mean), matching plain loops over the
windows (numpy's correlation and standard deviation, the index's correlation from the data's
index); before, "rolling" was dropped without a word. What cannot be rolled is said; a turn that
leaves the rolling window out is told so by the ask accounting."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from agents.offline.intent.analysis import AnalysisAsk
from agents.offline.rolling_answers import rolling_lines
from graphs.ask_check import account
from graphs.ask_inputs import ToolUse
from graphs.ask_vocabulary import vocabulary
from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from quant.data import load_sp500_index
from services.statistics import rolling_correlations
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
INDEX = load_sp500_index().pct_change().dropna()
SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SAID = {"20 day": 20, "60-day": 60, "3-month": 63, "six month": 126}
NUMBER = r"(-?\d+\.\d+)%? \((\d{4}-\d\d-\d\d)\)"
Summary = tuple[float, str, float, str, float, str, float, int]


def _summary_in(reply: str, head: str) -> Summary:
    found = re.search(
        rf"{re.escape(head)}: latest {NUMBER}, lowest {NUMBER}, highest {NUMBER}, mean "
        r"(-?\d+\.\d+)%? over ([\d,]+) windows",
        reply,
    )
    assert found is not None, (head, reply)
    g = found.groups()
    return (float(g[0]), g[1], float(g[2]), g[3], float(g[4]), g[5], float(g[6]),
            int(g[7].replace(",", "")))  # fmt: skip


def _loop(frame: pd.DataFrame, sessions: int, measure: Callable[[np.ndarray], float]) -> pd.Series:
    """`measure` of each window of `sessions` rows, a plain loop, indexed by each window's end."""
    values = frame.to_numpy()
    return pd.Series(
        [measure(values[end - sessions : end]) for end in range(sessions, len(values) + 1)],
        index=frame.index[sessions - 1 :],
    )


def _check(said: Summary, series: pd.Series, scale: float, tolerance: float) -> None:
    series = series.dropna()
    latest, latest_day, low, low_day, high, high_day, mean, windows = said
    assert windows == len(series)
    assert latest_day == series.index[-1].date().isoformat()
    assert low_day == series.idxmin().date().isoformat()
    assert high_day == series.idxmax().date().isoformat()
    for shown, value in ((latest, series.iloc[-1]), (low, series.min()), (high, series.max()),
                         (mean, series.mean())):  # fmt: skip
        # the tool's four significant digits, then the answer's two decimals
        assert abs(shown - scale * value) <= tolerance + 5e-4 * abs(scale * value), (shown, value)


def _correlation(window: np.ndarray) -> float:
    return float(np.corrcoef(window.T)[0, 1])


@SETTINGS
@given(
    pair=st.lists(
        st.sampled_from(["XOM", "CVX", "KO", "PEP", "JPM", "AAPL"]),
        min_size=2,
        max_size=2,
        unique=True,
    ),
    said=st.sampled_from(sorted(SAID)),
    year=st.integers(2005, 2020),
)
def test_a_rolling_correlation_of_a_pair(
    offline_data_dir: Path, pair: list[str], said: str, year: int
) -> None:
    first, second = pair
    reply = answer_in_new_thread(
        f"rolling {said} correlation between {first} and {second} since {year}"
    )
    window = RETURNS.loc[f"{year}-01-01" :]
    sessions = SAID[said]
    expected = _loop(window[[first, second]], sessions, _correlation)
    head = f"Rolling {sessions}-session correlation of daily returns, {first} and {second}"
    _check(_summary_in(reply, head), expected, 1.0, 0.0051)
    assert "Not used" not in reply, reply


@SETTINGS
@given(ticker=st.sampled_from(["AAPL", "KO", "RRC"]), said=st.sampled_from(sorted(SAID)),
       year=st.integers(2005, 2020))  # fmt: skip
def test_a_rolling_volatility(offline_data_dir: Path, ticker: str, said: str, year: int) -> None:
    reply = answer_in_new_thread(f"show me the {said} rolling volatility of {ticker} since {year}")
    values = RETURNS.loc[f"{year}-01-01" :, [ticker]]
    sessions = SAID[said]
    reference = _loop(values, sessions, lambda w: float(np.std(w[:, 0], ddof=1)) * math.sqrt(252))
    head = f"Rolling {sessions}-session volatility of {ticker}"
    _check(_summary_in(reply, head), reference, 100.0, 0.011)


def test_the_rolling_volatility_of_every_stock_is_each_stock_s(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("rolling 60 day volatility of every stock since 2021")
    values = RETURNS.loc["2021-01-01":]
    for ticker in values.columns:
        reference = _loop(
            values[[ticker]], 60, lambda w: float(np.std(w[:, 0], ddof=1)) * math.sqrt(252)
        )
        _check(_summary_in(reply, f"Rolling 60-session volatility of {ticker}"), reference,
               100.0, 0.011)  # fmt: skip
    assert "Not used" not in reply, reply


def test_rolling_figures_of_the_index_and_of_a_built_portfolio(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("rolling 60 day correlation of AAPL with the S&P 500 in 2020")
    both = pd.concat([RETURNS.loc["2020", "AAPL"], INDEX.loc["2020"]], axis=1, join="inner")
    head = "Rolling 60-session correlation of AAPL with the S&P 500 index"
    _check(_summary_in(reply, head), _loop(both, 60, _correlation), 1.0, 0.0051)
    rolled = answer_in_new_thread("rolling 60 day volatility of 60% AAPL 40% KO since 2019")
    held = RETURNS.loc["2019-01-01":, ["AAPL", "KO"]] @ np.array([0.6, 0.4])  # daily rebalanced
    head = "Rolling 60-session volatility of the portfolio"
    vol = _loop(held.to_frame(), 60, lambda w: float(np.std(w[:, 0], ddof=1)) * math.sqrt(252))
    _check(_summary_in(rolled, head), vol, 100.0, 0.011)
    session = ChatSession(f"ask-{uuid.uuid4().hex}", settings=Settings())
    session.send("build an HRP portfolio of AAPL, MSFT, JPM and XOM since 2018")
    built = session.send("what was the rolling 60 day volatility of the portfolio?").replies[-1]
    assert "Rolling 60-session volatility of the portfolio: latest" in built, built


def test_a_reference_with_missing_days_is_rolled_over_the_days_both_hold() -> None:
    returns = RETURNS.loc["2020", ["AAPL", "XOM"]]
    gappy = INDEX.loc["2020"].drop(INDEX.loc["2020"].index[[10, 50, 51, 200]])
    found, unmeasured = rolling_correlations(returns, 20, gappy)
    both = returns.join(gappy.rename("index"), how="inner")
    for name in ("AAPL", "XOM"):
        expected = _loop(both[[name, "index"]], 20, _correlation)
        assert found[name].windows == len(expected) and not unmeasured
        assert math.isclose(found[name].mean, expected.mean(), rel_tol=1e-9)
        assert math.isclose(found[name].low, expected.min(), rel_tol=1e-9)


def test_without_an_index_the_answer_says_so() -> None:
    data = {"rolling": {"sessions": 60, "windows": 10, "volatility": {}, "sharpe_ratio": {}}}
    ask = AnalysisAsk("statistics", "asset_statistics", measures=("correlation",), rolling=60,
                      to_market=True)  # fmt: skip
    assert "No rolling correlation with the S&P 500 index: the data has no index." in (
        rolling_lines(data, ask)
    )


def test_what_cannot_be_rolled_is_said_and_the_rest_answered(offline_data_dir: Path) -> None:
    short = answer_in_new_thread("rolling 6 month correlation of XOM and CVX in march 2020")
    assert "No rolling figures: a rolling window of 126 sessions needs at least 126" in short
    assert "Correlation of daily returns: XOM and CVX" in short, short  # the whole period's
    too_long = answer_in_new_thread("rolling 10-year correlation of XOM and CVX since 2005")
    whole = RETURNS.loc["2005-01-01":, ["XOM", "CVX"]].corr().iloc[0, 1]
    assert f"Correlation of daily returns: XOM and CVX {whole:.2f}" in too_long, too_long
    assert "not 2,520: the figures above are over the whole period" in too_long, too_long
    bare = answer_in_new_thread("rolling 60 correlation of XOM and CVX")
    assert "Rolling 60-session correlation" in bare and "Not used" not in bare, bare
    beta = answer_in_new_thread("rolling 60-day beta of JPM since 2019")
    assert "JPM: beta" in beta and "the figures for beta above are over the whole period" in beta
    flat = answer_in_new_thread(
        "rolling 20 day correlation of XOM, CVX and RRC from 1990-01-01 to 1990-03-31"
    )
    assert "correlation of daily returns, XOM and CVX: latest" in flat, flat
    assert "Not measured: XOM with RRC and CVX with RRC" in flat, flat  # RRC did not move
    eight = (
        "AAPL",
        "MSFT",
        "KO",
        "PEP",
        "PG",
        "JNJ",
        "XOM",
        "CVX",
    )  # more than pairs are given for
    wide = answer_in_new_thread(f"rolling 60 day volatility of {', '.join(eight)} in 2020")
    assert wide.count("Rolling 60-session volatility of ") == len(eight), wide


def test_the_accounting_names_a_rolling_window_no_tool_took() -> None:
    vocab = vocabulary()
    message = [HumanMessage("rolling 60 day correlation between XOM and CVX")]
    plain = ToolUse("asset_statistics", {"universe": ["XOM", "CVX"]})
    missing = account(message, [plain], "Correlation ...", vocab).missing
    assert [(m.item.kind, m.item.value) for m in missing] == [("rolling", 60)], missing
    rolled = ToolUse("asset_statistics", {"universe": ["XOM", "CVX"], "rolling_sessions": 60})
    assert account(message, [rolled], "Rolling ...", vocab).missing == []
    monthly = [HumanMessage("rolling monthly volatility of AAPL in 2020")]
    missing = account(monthly, [ToolUse("asset_statistics", {"universe": ["AAPL"]})], "", vocab)
    assert ("rolling", 21) in [(m.item.kind, m.item.value) for m in missing.missing], missing
