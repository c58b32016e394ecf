"""The downside deviation, skewness and excess kurtosis of `quant.risk` against scipy's
`skew` and `kurtosis` (their defaults: biased moments, Fisher's excess kurtosis) and a plain
reference of the downside deviation, on any finite returns; the Sortino ratio is the annualised
mean excess return over the downside deviation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quant.risk import downside_deviation, excess_kurtosis, skewness, sortino_ratio

RETURNS = arrays(
    np.float64,
    st.integers(3, 300),
    elements=st.floats(-0.5, 0.5, allow_nan=False, allow_infinity=False, width=32),
)


def _reference_downside(values: np.ndarray, rate: float) -> float:
    shortfalls = [min(v - rate / 252, 0.0) ** 2 for v in values]
    return math.sqrt(sum(shortfalls) / len(shortfalls)) * math.sqrt(252)


@settings(max_examples=60, deadline=None)
@given(values=RETURNS, rate=st.sampled_from([0.0, 0.02, 0.05]))
def test_downside_deviation_is_the_root_mean_square_shortfall_annualised(
    values: np.ndarray, rate: float
) -> None:
    ours = float(downside_deviation(values, risk_free_rate=rate))  # type: ignore[arg-type]
    assert math.isclose(ours, _reference_downside(values, rate), rel_tol=1e-9, abs_tol=1e-12)
    sortino = float(sortino_ratio(values, risk_free_rate=rate))  # type: ignore[arg-type]
    if ours > 1e-12:
        mean_excess = float(np.mean(values - rate / 252)) * 252
        assert math.isclose(sortino, mean_excess / ours, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(values=RETURNS)
def test_skewness_and_excess_kurtosis_equal_scipys_defaults(values: np.ndarray) -> None:
    assume(np.ptp(values) > 1e-6)  # no spread: scipy's moments are rounding noise (below)
    assert math.isclose(
        float(skewness(values)), float(scipy.stats.skew(values)), rel_tol=1e-7, abs_tol=1e-9
    )  # type: ignore[arg-type]
    assert math.isclose(
        float(excess_kurtosis(values)),  # type: ignore[arg-type]
        float(scipy.stats.kurtosis(values)),
        rel_tol=1e-7,
        abs_tol=1e-9,
    )


def test_a_frame_gives_one_value_per_column_and_constant_returns_give_zero() -> None:
    frame = pd.DataFrame({"flat": [0.01] * 30, "moving": np.linspace(-0.03, 0.05, 30)})
    for measure in (skewness, excess_kurtosis, downside_deviation):
        values = measure(frame)
        assert isinstance(values, pd.Series) and list(values.index) == ["flat", "moving"]
    assert skewness(frame)["flat"] == 0.0 and excess_kurtosis(frame)["flat"] == 0.0
    assert downside_deviation(frame)["flat"] == 0.0  # never below a 0% rate
