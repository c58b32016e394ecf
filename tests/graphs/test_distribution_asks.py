"""The downside deviation, Sortino ratio, skewness and excess kurtosis asked of stocks ("downside
deviation of PG since 2018", "skew and kurtosis of XOM", "which stock had the highest Sortino
ratio in 2021?", "which bank had the best Sharpe ratio?") are computed over the window asked and
match scipy and a plain reference; before, the first was a market read, the third asked "Which
portfolio?" and the last asked what to do."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
SETTINGS = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _downside(values: np.ndarray) -> float:
    return math.sqrt(float(np.mean(np.minimum(values, 0.0) ** 2))) * math.sqrt(252)


@SETTINGS
@given(ticker=st.sampled_from(["PG", "XOM", "AAPL", "JPM"]), year=st.integers(2005, 2021))
def test_downside_deviation_of_a_stock_since_a_year(
    offline_data_dir: Path, ticker: str, year: int
) -> None:
    reply = answer_in_new_thread(f"downside deviation of {ticker} since {year}")
    window = RETURNS.loc[f"{year}-01-01" :, ticker].to_numpy()
    said = re.search(rf"{ticker}: downside deviation (\d+\.\d\d)% a year", reply)
    assert said is not None, reply  # the tool's four significant digits, shown to 0.01 points
    assert abs(float(said.group(1)) - 100 * _downside(window)) <= 0.011, (said.group(), reply)
    assert f"({len(window):,} sessions" in reply, reply


@SETTINGS
@given(ticker=st.sampled_from(["XOM", "KO", "AMD"]), year=st.integers(2005, 2021))
def test_skew_and_kurtosis_equal_scipys(offline_data_dir: Path, ticker: str, year: int) -> None:
    reply = answer_in_new_thread(f"what's the skew and kurtosis of {ticker} since {year}?")
    window = RETURNS.loc[f"{year}-01-01" :, ticker].to_numpy()
    for words, expected in (
        ("skewness", scipy.stats.skew(window)), ("excess kurtosis", scipy.stats.kurtosis(window))
    ):  # fmt: skip
        said = re.search(rf"{ticker}: .*?\b{words} (-?\d+\.\d\d)\b", reply)
        assert said is not None, (words, reply)
        assert abs(float(said.group(1)) - expected) <= 0.0051 + 1e-4 * abs(expected), reply


@SETTINGS
@given(
    year=st.integers(2015, 2022),
    text=st.sampled_from(
        ["which stock had the highest sortino ratio in {}?", "rank the stocks by sortino in {}"]
    ),
)
def test_the_stocks_ranked_by_sortino_ratio_in_a_year(
    offline_data_dir: Path, year: int, text: str
) -> None:
    reply = answer_in_new_thread(text.format(year))
    window = RETURNS.loc[str(year)]
    sortino = {
        name: window[name].mean()
        * math.sqrt(252)
        / (_downside(window[name].to_numpy()) / math.sqrt(252))
        for name in window.columns
    }
    line = re.search(
        r"By Sortino ratio \(risk-free rate 0%\), highest first: (.+?) \(highest", reply
    )
    assert line is not None, reply
    listed = [part.split()[0] for part in line.group(1).split(", ")]
    assert listed == sorted(sortino, key=lambda n: -sortino[n]), (listed, reply)


def test_a_sector_named_in_the_singular_is_ranked(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("which bank had the best sharpe ratio?")
    assert "By Sharpe ratio (risk-free rate 0%)" in reply, reply
    assert "Used: BAC, JPM;" in reply, reply


def test_a_stock_that_never_lost_ranks_first_by_sortino(offline_data_dir: Path) -> None:
    start, end = "2021-06-07", "2021-06-11"
    window = RETURNS.loc[start:end]
    never_lost = [n for n in window.columns if (window[n] >= 0).all() and window[n].sum() > 0]
    assert never_lost, "the week chosen has a stock that never fell"
    reply = answer_in_new_thread(
        f"which stock had the highest sortino ratio from {start} to {end}?"
    )
    line = re.search(r"highest first: (.+?) \(highest", reply)
    assert line is not None, reply
    ranked = [part.split()[0] for part in line.group(1).split(", ")]
    assert len(ranked) == window.shape[1], reply  # none left out
    assert set(ranked[: len(never_lost)]) == set(never_lost), reply
    assert f"{never_lost[0]} no losing day" in reply, reply


@pytest.mark.parametrize(
    ("text", "tickers"),
    [("what is the sortino ratio of AAPL and KO in 2021?", ["AAPL", "KO"]),
     ("sortino ratio and sharpe ratio of AAPL and KO in 2021", ["AAPL", "KO"]),
     ("the sortino ratio of all the stocks in 2021", list(RETURNS.columns)),
     ("sortino of every stock in 2021", list(RETURNS.columns))],
)  # fmt: skip
def test_the_sortino_ratio_of_named_stocks_is_each_stock_s(
    offline_data_dir: Path, text: str, tickers: list[str]
) -> None:
    reply = answer_in_new_thread(text)
    window = RETURNS.loc["2021"]
    for ticker in tickers:
        values = window[ticker].to_numpy()
        expected = values.mean() * 252 / _downside(values)
        said = re.search(rf"{ticker}: (?:[^;]*; )*?Sortino ratio (-?\d+\.\d\d)", reply)
        assert said is not None, reply
        assert abs(float(said.group(1)) - expected) <= 0.0051 + 5e-4 * abs(expected), reply


def test_a_stock_that_does_not_move_has_no_skewness(offline_data_dir: Path) -> None:
    flat = RETURNS.loc["1990-01-03":"1990-03-30", "RRC"]
    assert flat.std() == 0.0, "RRC's first quarter in the data does not move"
    reply = answer_in_new_thread("skew and kurtosis of RRC from 1990-01-03 to 1990-03-30")
    assert "no skewness (it did not move)" in reply and "no excess kurtosis" in reply, reply
    sharpe = answer_in_new_thread("sharpe ratio of RRC from 1990-01-03 to 1990-03-30")
    assert "RRC: no Sharpe ratio (it did not move)" in sharpe, sharpe


@SETTINGS
@given(
    ticker=st.sampled_from(["JPM", "AAPL", "KO", "XOM"]),
    year=st.integers(2005, 2021),
    text=st.sampled_from(
        ["what's the average daily return of {} since {}?", "mean daily return of {} since {}"]
    ),
)
def test_the_average_daily_return_is_the_mean_of_the_window(
    offline_data_dir: Path, ticker: str, year: int, text: str
) -> None:
    reply = answer_in_new_thread(text.format(ticker, year))
    mean = float(RETURNS.loc[f"{year}-01-01" :, ticker].mean())
    said = re.search(rf"{ticker}: average daily return (-?\d+\.\d{{3}})% \(", reply)
    assert said is not None, reply
    # the tool's annualised mean to four significant digits, over 252, to 0.001 points
    assert abs(float(said.group(1)) - 100 * mean) <= 0.00051 + 5e-4 * abs(100 * mean), reply
    assert "a total return of" not in reply, reply  # asked the daily mean, not the total


@pytest.mark.parametrize(
    "text",
    ["sortino ratio of each stock in it", "what's the sortino ratio of all the stocks we own?",
     "the sortino of every stock in my portfolio"],
)  # fmt: skip
def test_each_holding_of_the_portfolio_is_measured_not_every_stock(
    offline_data_dir: Path, text: str
) -> None:
    import uuid

    from agents.offline.intent import parse_intent
    from graphs.chat import ChatSession
    from settings import Settings

    session = ChatSession(f"held-{uuid.uuid4().hex}", settings=Settings())
    session.send("hrp portfolio of ko, pep, xom, jpm")
    reply = session.send(text).replies[-1]
    said = dict(re.findall(r"([A-Z]+): Sortino ratio (-?\d+\.\d\d)", reply))
    assert sorted(said) == ["JPM", "KO", "PEP", "XOM"], reply  # the holdings, no other stock
    window = RETURNS.loc["2018-01-01":]
    for ticker, shown in said.items():
        values = window[ticker].to_numpy()
        expected = values.mean() * 252 / _downside(values)
        assert abs(float(shown) - expected) <= 0.0051 + 5e-4 * abs(expected), reply
    assert not parse_intent(text, list(RETURNS.columns)).all_tickers
    assert parse_intent("sortino ratio of all the stocks", list(RETURNS.columns)).all_tickers
