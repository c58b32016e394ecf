"""Every statistic of a strategy's tearsheet (`trading.day.statistics`) equals quantstats' on the
same daily returns to 1e-6: hypothesis-generated return series of any length from 2 to 400
sessions (calm, wild, flat or trending; with or without a losing day), with a risk-free rate
(quantstats compounds it to a daily rate, the tearsheet divides it by 252: the same daily rate
is quantstats' rf' = (1 + rf / 252)^252 - 1). Too short a history says so for each statistic."""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution.schedule import trading_sessions
from trading.day.statistics import ROLLING_WINDOW, return_statistics


@functools.cache
def sessions() -> pd.DatetimeIndex:
    """XNYS's sessions from 2020-01-02 to 2022-12-30: read at the first draw, not when the
    module is collected (the exchange calendar takes ~0.5 s to build)."""
    return pd.DatetimeIndex(trading_sessions("XNYS", pd.Timestamp("2020-01-02").date(),
                                             pd.Timestamp("2022-12-30").date()).index)  # fmt: skip


TOLERANCE = 1e-6


@st.composite
def daily_returns(draw: st.DrawFn) -> pd.Series:
    """A daily return series on consecutive sessions: a drift and a scale, then each day's
    return (bounded within -50 % .. +50 %, as quantstats reads anything larger as prices)."""
    n = draw(st.integers(min_value=2, max_value=400))
    start = draw(st.integers(min_value=0, max_value=len(sessions()) - n))
    scale = draw(st.sampled_from([0.0005, 0.01, 0.04]))
    drift = draw(st.floats(min_value=-0.002, max_value=0.002))
    shocks = draw(st.lists(st.floats(min_value=-3.0, max_value=3.0), min_size=n, max_size=n))
    values = np.clip(drift + scale * np.asarray(shocks), -0.5, 0.5)
    return pd.Series(values, index=sessions()[start : start + n], name="returns")


def _close(ours: float | None, theirs: float) -> None:
    if ours is None:  # not defined here: quantstats gives no finite number either
        assert not math.isfinite(theirs) or theirs == 0.0, theirs
        return
    assert ours == pytest.approx(float(theirs), abs=TOLERANCE, rel=TOLERANCE)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(returns=daily_returns(), rate=st.sampled_from([0.0, 0.02, 0.05]))
def test_each_statistic_equals_quantstats_on_the_same_returns(
    returns: pd.Series, rate: float
) -> None:
    import quantstats as qs  # imported here: ~1.5 s (matplotlib, seaborn...), not at collection

    stats = return_statistics(returns, rate)
    rf = (1 + rate / 252) ** 252 - 1  # quantstats' rate giving the same daily rate, rate / 252
    value = {k: v["value"] for k, v in stats.items() if isinstance(v, dict) and "value" in v}
    _close(value["total_return"], qs.stats.comp(returns))
    _close(value["cagr"], qs.stats.cagr(returns, periods=252))
    _close(value["volatility"], qs.stats.volatility(returns, periods=252))
    _close(value["sharpe"], qs.stats.sharpe(returns, rf=rf, periods=252))
    _close(value["sortino"], qs.stats.sortino(returns, rf=rf, periods=252))
    _close(value["max_drawdown"], -qs.stats.max_drawdown(returns))
    if value["max_drawdown"] > 0:
        _close(value["calmar"], qs.stats.calmar(returns, periods=252))
    else:
        assert value["calmar"] is None and stats["calmar"]["why"] == "not defined: no drawdown yet"
    _close(value["best_day"], qs.stats.best(returns))
    _close(value["worst_day"], qs.stats.worst(returns))
    _close(value["best_month"], qs.stats.best(returns, aggregate="ME"))
    _close(value["worst_month"], qs.stats.worst(returns, aggregate="ME"))
    # the monthly returns table, month by month and year by year
    table = qs.stats.monthly_returns(returns)
    for row in stats["monthly"]:
        theirs = table.loc[str(row["year"])]
        for month, ours in zip(theirs.index[:12], row["months"], strict=True):
            if ours is None:
                assert theirs[month] == 0.0  # quantstats fills a month without days with 0
            else:
                _close(ours, theirs[month])
        _close(row["year_return"], theirs["EOY"])
    # the underwater curve and the rolling lines, day by day
    series = stats["series"]
    assert series["dates"] == [d.date().isoformat() for d in returns.index]
    underwater = -qs.stats.to_drawdown_series(returns)
    assert series["drawdown"] == pytest.approx(list(underwater), abs=TOLERANCE)
    rolling_vol = qs.stats.rolling_volatility(returns, rolling_period=ROLLING_WINDOW)
    rolling_sharpe = qs.stats.rolling_sharpe(
        returns, rf=rf, rolling_period=ROLLING_WINDOW, periods_per_year=252
    )
    for ours, theirs in zip(series["rolling_volatility"], rolling_vol, strict=True):
        assert (ours is None) == (not math.isfinite(theirs))
        if ours is not None:
            _close(ours, theirs)
    for ours, theirs in zip(series["rolling_sharpe"], rolling_sharpe, strict=True):
        if ours is not None:
            _close(ours, theirs)
        else:  # before a full window, or a window that does not vary
            assert not math.isfinite(theirs)
    assert (series["rolling_why"] is None) == (len(returns) >= ROLLING_WINDOW)


def test_the_best_and_worst_name_their_day_and_month() -> None:
    returns = pd.Series([0.01, -0.03, 0.02, 0.05, -0.01], index=sessions()[18:23])
    stats = return_statistics(returns, 0.0)
    assert stats["best_day"] == {
        "value": 0.05,
        "on": sessions()[21].date().isoformat(),
        "why": None,
    }
    assert stats["worst_day"]["on"] == sessions()[19].date().isoformat()
    assert {stats["best_month"]["on"][:7], stats["worst_month"]["on"][:7]} <= {"2020-01", "2020-02"}


@pytest.mark.parametrize("n", [0, 1])
def test_too_short_a_history_says_what_each_statistic_needs(n: int) -> None:
    stats = return_statistics(pd.Series([0.01] * n, index=sessions()[:n], dtype=float), 0.02)
    for name in ("total_return", "sharpe", "sortino", "calmar", "best_month"):
        assert stats[name]["value"] is None
        assert stats[name]["why"] == (
            f"not yet available: needs at least 2 daily returns (3 sessions), has {n}"
        )
    assert stats["monthly"] == [] and stats["series"]["drawdown"] == []


def test_a_statistic_that_is_not_defined_says_why() -> None:
    flat = pd.Series(0.0, index=sessions()[:30])  # cash: nothing moves
    stats = return_statistics(flat, 0.0)
    assert stats["sortino"] == {
        "value": None, "on": None, "why": "not defined: no daily return is below the safe rate's"
    }  # fmt: skip
    assert stats["calmar"]["why"] == "not defined: no drawdown yet"
    assert stats["sharpe"]["why"] == "not defined: the daily returns do not vary"
    assert stats["volatility"]["value"] == pytest.approx(0.0, abs=1e-15)
