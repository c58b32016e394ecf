"""Live against backtest, checked against pandas' own return and standard deviation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from execution.monitoring import compare_with_backtest, weight_drift


def test_comparison_matches_a_pandas_reference() -> None:
    rng = np.random.default_rng(3)
    backtest = pd.Series(100 * np.cumprod(1 + rng.normal(0.0005, 0.01, 300)))
    live = backtest * (1 + rng.normal(0, 0.001, 300).cumsum())
    result = compare_with_backtest(live.tolist(), backtest.tolist())
    gaps = live.pct_change() - backtest.pct_change()
    assert result.tracking_error == pytest.approx(gaps.std() * math.sqrt(252), rel=1e-12)
    assert result.live_return == pytest.approx(live.iloc[-1] / live.iloc[0] - 1)
    assert result.return_gap == pytest.approx(result.live_return - result.backtest_return)
    assert result.drawdown == pytest.approx(1 - live.iloc[-1] / live.cummax().iloc[-1])
    assert result.days == 300


def test_identical_paths_track_perfectly_and_short_ones_have_no_tracking_error() -> None:
    same = compare_with_backtest([100, 101, 99, 102], [1.0, 1.01, 0.99, 1.02])
    assert same.tracking_error == pytest.approx(0, abs=1e-15)
    assert same.return_gap == pytest.approx(0, abs=1e-15)
    assert compare_with_backtest([100, 101], [1, 1.02]).tracking_error is None
    with pytest.raises(ValueError, match="same number of values"):
        compare_with_backtest([1, 2], [1])
    with pytest.raises(ValueError, match="positive"):
        compare_with_backtest([1, 0], [1, 1])


def test_weight_drift_is_the_largest_gap_to_the_targets() -> None:
    drift = weight_drift({"A": 10, "B": 5}, 100.0, {"A": 50.0, "B": 20.0}, {"A": 0.5, "C": 0.2})
    # Equity 700: A 500/700 = 0.714 (target 0.5), B 100/700 (target 0), C 0 (target 0.2).
    assert drift == pytest.approx(500 / 700 - 0.5)
