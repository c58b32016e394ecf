"""The benchmarks a deployment's account is shown beside, against plain computations written
here: equal weights held or rebalanced at given rows, the S&P 500 index, and each line's
performance (Sharpe against a stated risk-free rate, drawdown)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from execution.schedule import trading_sessions
from quant.data import load_sp500_index, sp500_prices
from trading.benchmarks import benchmark_values, performance_rows

SYMBOLS = ["AAPL", "KO", "XOM", "JPM"]


def _window(start: str, end: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    closes = sp500_prices().loc[:, SYMBOLS]
    sessions = trading_sessions("XNYS", date.fromisoformat(start), date.fromisoformat(end))
    return closes, sessions.loc[sessions.index.isin(closes.index)]


def test_equal_weights_held_and_rebalanced_and_the_index_against_plain_loops() -> None:
    closes, sessions = _window("2021-03-01", "2022-12-28")
    rows = closes.index.get_indexer(sessions.index)
    first, fires = int(rows[3]), [int(r) for r in rows[3::21]]
    result = benchmark_values(closes, sessions, 1e6, first_row=first, fire_rows=fires)
    prices = closes.to_numpy()
    # held: a quarter of the capital in each stock at the first row's close, then left alone
    shares = 0.25e6 / prices[first]
    held = [1e6 if row < first else float(shares @ prices[row]) for row in rows]
    np.testing.assert_allclose(result.values["equal_weight_held"], held, rtol=1e-12)
    # rebalanced: back to a quarter each at every fire's close
    value, units, rebalanced = 1e6, None, []
    for row in rows:
        if units is not None:
            value = float(units @ prices[row])
        if row in fires:
            units = value / 4 / prices[row]
        rebalanced.append(value)
    np.testing.assert_allclose(result.values["equal_weight_rebalanced"], rebalanced, rtol=1e-12)
    index = load_sp500_index()
    level = index.loc[sessions.index].to_numpy()
    expected = np.where(rows < first, 1e6, 1e6 * level / index.iloc[first])
    np.testing.assert_allclose(result.values["sp500"], expected, rtol=1e-12)
    assert result.missing == {}


def test_the_index_is_left_out_where_it_has_no_levels_and_says_why() -> None:
    closes = sp500_prices().loc[:, SYMBOLS]
    dates = closes.index[-300:] + pd.DateOffset(days=730)  # the same prices two years on
    later = pd.DataFrame(closes.iloc[-300:].to_numpy(), index=dates, columns=closes.columns)
    result = benchmark_values(
        later, pd.DataFrame(index=dates[-40:]), 1e6, first_row=len(dates) - 40, fire_rows=[]
    )
    assert set(result.values) == {"equal_weight_held", "equal_weight_rebalanced"}
    assert result.missing == {
        "sp500": "the S&P 500 index ends on 2022-12-28, before the last of these sessions"
    }


def test_performance_rows_state_sharpe_against_the_risk_free_rate_given() -> None:
    closes, sessions = _window("2022-01-03", "2022-12-28")
    line = closes.loc[sessions.index, "KO"] * 1000
    (row,) = performance_rows({"ko": line}, {"ko": "Coca-Cola"}, risk_free_rate=0.03)
    returns = line.to_numpy()[1:] / line.to_numpy()[:-1] - 1
    excess = returns - 0.03 / 252
    wealth = np.cumprod(1 + returns)
    assert row["label"] == "Coca-Cola"
    assert row["total_return"] == pytest.approx(line.iloc[-1] / line.iloc[0] - 1, rel=1e-12)
    assert row["sharpe"] == pytest.approx(
        excess.mean() / excess.std(ddof=1) * np.sqrt(252), rel=1e-12
    )
    assert row["volatility"] == pytest.approx(returns.std(ddof=1) * np.sqrt(252), rel=1e-12)
    assert row["max_drawdown"] == pytest.approx(
        (1 - wealth / np.maximum.accumulate(np.maximum(wealth, 1.0))).max(), rel=1e-12
    )
    (short,) = performance_rows({"x": line.iloc[:2]}, {}, risk_free_rate=0.0)
    assert short["sharpe"] is None and short["label"] == "x"
