"""The measures of a return series over time (`quant.risk.drawdowns`, `rolling_volatility`,
`rolling_sharpe`, `rolling_cagr`, `total_return`; `quant.statistics.calendar_returns`,
`rolling_beta`) agree with the whole-sample measures they are made of: the underwater curve
peaks at `max_drawdown`, each rolling value is `volatility` / `sharpe_ratio` / `cagr` / `beta` of
its window (the beta also against pandas' rolling covariance and variance), and each year of the
table compounds its days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import DataError
from quant.risk import (
    cagr,
    drawdowns,
    max_drawdown,
    rolling_cagr,
    rolling_sharpe,
    rolling_volatility,
    sharpe_ratio,
    total_return,
    volatility,
)
from quant.statistics import MONTHS, beta, calendar_returns, rolling_beta

DAYS = pd.bdate_range("2019-11-01", periods=600)

series = st.integers(min_value=2, max_value=300).flatmap(
    lambda n: st.lists(st.floats(min_value=-0.2, max_value=0.2), min_size=n, max_size=n).map(
        lambda values: pd.Series(values, index=DAYS[: len(values)])
    )
)


@settings(max_examples=80, deadline=None)
@given(returns=series, window=st.integers(min_value=2, max_value=40))
def test_the_measures_over_time_are_the_whole_sample_measures_of_their_windows(
    returns: pd.Series, window: int
) -> None:
    underwater = drawdowns(returns)
    assert underwater.max() == pytest.approx(max_drawdown(returns), abs=1e-15)
    assert (underwater >= 0).all() and underwater.index.equals(returns.index)
    assert total_return(returns) == pytest.approx(np.prod(1 + returns.to_numpy()) - 1, rel=1e-12)
    vol = rolling_volatility(returns, window)
    sharpe = rolling_sharpe(returns, window, risk_free_rate=0.03)
    assert vol.iloc[: window - 1].isna().all() and sharpe.iloc[: window - 1].isna().all()
    for end in range(window, len(returns) + 1, max(1, len(returns) // 7)):
        part = returns.iloc[end - window : end]
        assert vol.iloc[end - 1] == pytest.approx(volatility(part), rel=1e-12, abs=1e-15)
        expected = sharpe_ratio(part, risk_free_rate=0.03)
        assert sharpe.iloc[end - 1] == pytest.approx(expected, rel=1e-9, nan_ok=True)


@settings(max_examples=60, deadline=None)
@given(
    returns=series,
    window=st.integers(min_value=3, max_value=40),
    mix=st.floats(min_value=-2, max_value=2),
    flat_from=st.integers(min_value=0, max_value=300),
)
def test_a_rolling_cagr_and_beta_are_those_of_their_windows(
    returns: pd.Series, window: int, mix: float, flat_from: int
) -> None:
    """Each window's CAGR compounds its days over 252 a year; each window's beta is `beta` of
    its window and pandas' rolling cov / var, NaN where the market does not move."""
    market = (returns.iloc[::-1].to_numpy() + mix * returns.to_numpy()) / 3
    market[flat_from:] = 0.001  # a market that stops moving: no beta over a window inside it
    market = pd.Series(market, index=returns.index)
    growth = rolling_cagr(returns, window)
    if len(returns) < window:
        with pytest.raises(DataError, match="shared with the index"):
            rolling_beta(returns, market, window)
        return
    betas = rolling_beta(returns, market, window)
    reference = returns.rolling(window).cov(market) / market.rolling(window).var()
    assert growth.iloc[: window - 1].isna().all() and betas.iloc[: window - 1].isna().all()
    for end in range(window, len(returns) + 1):
        part, moves = returns.iloc[end - window : end], market.iloc[end - window : end]
        wealth = np.prod(1 + part.to_numpy())
        assert growth.iloc[end - 1] == pytest.approx(wealth ** (252 / window) - 1, rel=1e-9)
        assert growth.iloc[end - 1] == pytest.approx(cagr(part), rel=1e-12, abs=1e-15)
        if np.ptp(moves.to_numpy()) == 0:
            assert np.isnan(betas.iloc[end - 1])
        elif moves.var() > 1e-12:
            assert betas.iloc[end - 1] == pytest.approx(reference.iloc[end - 1], rel=1e-7)
            expected = beta(part.to_frame(), moves).iloc[0]
            assert betas.iloc[end - 1] == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(returns=series)
def test_each_year_of_the_monthly_table_compounds_its_days(returns: pd.Series) -> None:
    table = calendar_returns(returns)
    assert list(table.columns) == [*MONTHS, "Year"]
    for year in table.index:
        days = returns[returns.index.year == year]
        assert table.loc[year, "Year"] == pytest.approx(np.prod(1 + days) - 1, abs=1e-12)
        for number, month in enumerate(MONTHS, start=1):
            inside = days[days.index.month == number]
            if inside.empty:
                assert np.isnan(table.loc[year, month])
            else:
                assert table.loc[year, month] == pytest.approx(np.prod(1 + inside) - 1, abs=1e-12)


def test_a_rolling_window_must_hold_two_periods() -> None:
    with pytest.raises(DataError, match="rolling window must be a whole number of periods >= 2"):
        rolling_volatility(pd.Series([0.01, 0.02, 0.0]), 1)


def test_a_rolling_beta_needs_three_dates_a_window() -> None:
    returns = pd.Series([0.01, 0.02, 0.0, -0.01], index=DAYS[:4])
    with pytest.raises(DataError, match="a rolling beta needs a window of 3 dates or more"):
        rolling_beta(returns, returns, 2)
