"""The measures of a return series over time (`quant.risk.drawdowns`, `rolling_volatility`,
`rolling_sharpe`, `total_return`; `quant.statistics.calendar_returns`) agree with the whole-sample
measures they are made of: the underwater curve peaks at `max_drawdown`, each rolling value is
`volatility` / `sharpe_ratio` of its window, and each year of the table compounds its days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import DataError
from quant.risk import (
    drawdowns,
    max_drawdown,
    rolling_sharpe,
    rolling_volatility,
    sharpe_ratio,
    total_return,
    volatility,
)
from quant.statistics import MONTHS, calendar_returns

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
