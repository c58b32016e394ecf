"""Deflated Sharpe ratio and paired intervals against plain reference implementations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kurtosis as scipy_kurtosis
from scipy.stats import norm
from scipy.stats import skew as scipy_skew

from quant.errors import DataError, InsufficientDataError
from quant.overfitting import (
    combine_intervals,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    paired_interval,
    probabilistic_sharpe_ratio,
    return_moments,
)


def reference_dsr(sr: float, n: int, var: float, t: int, skew: float, kurt: float) -> float:
    """Bailey & López de Prado (2014), eqs. for SR0 and DSR, written out directly."""
    gamma = 0.5772156649015329
    sr0 = math.sqrt(var) * (
        (1 - gamma) * norm.ppf(1 - 1 / n) + gamma * norm.ppf(1 - 1 / (n * math.e))
    )
    z = (sr - sr0) * math.sqrt(t - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    return float(norm.cdf(z))


def test_published_example() -> None:
    # The paper's worked example: annual SR 2.5 over 1250 days (250/year), skew -3, kurt 10,
    # 100 trials with annualised Sharpe variance 0.5 -> SR0 ~ 0.1132 per day, DSR ~ 0.9004.
    result = deflated_sharpe_ratio(
        2.5 / math.sqrt(250), n_trials=100, sharpe_variance=0.5 / 250, n_obs=1250,
        skewness=-3.0, kurtosis=10.0,
    )  # fmt: skip
    assert result.expected_max_sharpe == pytest.approx(0.1132, abs=5e-4)
    assert result.probability == pytest.approx(0.9004, abs=5e-4)


@settings(max_examples=40, deadline=None)
@given(
    sr=st.floats(-0.2, 0.3),
    n=st.integers(2, 5000),
    var=st.floats(1e-6, 0.01),
    t=st.integers(10, 5000),
    skew=st.floats(-2.0, 2.0),
    excess=st.floats(0.0, 10.0),
)
def test_matches_reference(
    sr: float, n: int, var: float, t: int, skew: float, excess: float
) -> None:
    kurt = 1.0 + skew**2 + excess  # any real distribution has kurtosis >= 1 + skew^2
    ours = deflated_sharpe_ratio(
        sr, n_trials=n, sharpe_variance=var, n_obs=t, skewness=skew, kurtosis=kurt
    )
    assert ours.probability == pytest.approx(reference_dsr(sr, n, var, t, skew, kurt), abs=1e-12)


def test_more_trials_lower_probability() -> None:
    probabilities = [
        deflated_sharpe_ratio(0.08, n_trials=n, sharpe_variance=1e-3, n_obs=500).probability
        for n in (2, 5, 20, 100, 1000, 10000)
    ]
    assert all(a > b for a, b in itertools.pairwise(probabilities))
    sr0 = [expected_max_sharpe(n, 1e-3) for n in (2, 10, 100, 1000)]
    assert all(a < b for a, b in itertools.pairwise(sr0))


def test_single_trial_is_psr_against_zero() -> None:
    assert expected_max_sharpe(1, 0.5) == 0.0
    dsr = deflated_sharpe_ratio(0.05, n_trials=1, sharpe_variance=0.01, n_obs=400)
    assert dsr.probability == pytest.approx(
        float(norm.cdf(0.05 * math.sqrt(399) / math.sqrt(1 + 0.5 * 0.05**2))), abs=1e-12
    )
    assert probabilistic_sharpe_ratio(0.05, 0.05, n_obs=100) == pytest.approx(0.5)


def test_moments_match_scipy() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_t(5, size=(40, 50)) * 0.01
    skew, kurt, n = return_moments(x)
    assert n == 2000
    assert skew == pytest.approx(float(scipy_skew(x.ravel())), rel=1e-10)
    assert kurt == pytest.approx(float(scipy_kurtosis(x.ravel(), fisher=False)), rel=1e-10)
    assert return_moments(np.full(10, 0.01))[:2] == (0.0, 3.0)


def test_paired_interval_matches_direct() -> None:
    rng = np.random.default_rng(4)
    common = rng.normal(0.5, 1.0, 300)
    a = common + rng.normal(0.05, 0.1, 300)
    b = common
    result = paired_interval(a, b, confidence=0.9)
    d = a - b
    z = norm.ppf(0.95)
    half = z * d.std(ddof=1) / math.sqrt(d.size)
    assert result.mean == pytest.approx(d.mean(), abs=1e-15)
    assert result.lower == pytest.approx(d.mean() - half, abs=1e-15)
    assert result.upper == pytest.approx(d.mean() + half, abs=1e-15)
    assert result.significant
    # pairing removes the common noise: the unpaired interval would be ~10x wider
    unpaired = z * math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert half < unpaired / 5


def test_combine_intervals_matches_direct() -> None:
    rng = np.random.default_rng(5)
    parts = {
        name: paired_interval(rng.normal(m, 1, 100), np.zeros(100))
        for name, m in (("x", 0.1), ("y", 0.4))
    }
    combined = combine_intervals(parts, {"x": 3.0, "y": 1.0})
    w = np.array([0.75, 0.25])
    mean = w[0] * parts["x"].mean + w[1] * parts["y"].mean
    se = math.sqrt(w[0] ** 2 * parts["x"].stderr ** 2 + w[1] ** 2 * parts["y"].stderr ** 2)
    assert combined.mean == pytest.approx(mean, abs=1e-15)
    assert combined.upper - combined.mean == pytest.approx(norm.ppf(0.975) * se, abs=1e-15)


def test_bad_inputs() -> None:
    with pytest.raises(InsufficientDataError, match="n_obs"):
        probabilistic_sharpe_ratio(0.1, 0.0, n_obs=1)
    with pytest.raises(DataError, match="n_trials"):
        expected_max_sharpe(0, 0.1)
    with pytest.raises(DataError, match="sharpe_variance"):
        expected_max_sharpe(3, -1.0)
    with pytest.raises(DataError, match="inconsistent moments"):
        probabilistic_sharpe_ratio(1.0, 0.0, n_obs=10, skewness=3.0, kurtosis=1.0)
    with pytest.raises(DataError, match="differ in length"):
        paired_interval(np.zeros(3), np.zeros(4))
    with pytest.raises(DataError, match="confidence"):
        paired_interval(np.zeros(3), np.zeros(3), confidence=1.5)
