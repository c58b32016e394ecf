"""Risk measures against plain reference implementations (loops, direct formulas) and peers.

Peers used where the definitions coincide exactly:
- scipy.stats.norm (Gaussian VaR quantile and the Gaussian tail mean), scipy.stats.skew/kurtosis
  (the biased moments the Cornish-Fisher expansion uses), scipy.integrate.quad (the CF CVaR
  integral of the quantile function);
- skfolio.measures: `standard_deviation` (ddof=1), `max_drawdown(get_drawdowns(r, compounded=True))`
  (running peak from initial wealth 1, same as ours), `semi_deviation(min_acceptable_return=0,
  biased=True)` (our Sortino denominator), and `cvar` when n x (1 - level) is an integer (skfolio
  averages the worst (1 - level) mass; with an integer count that is the mean of the returns at or
  below numpy's linear quantile, our definition). skfolio's VaR uses a lower empirical quantile,
  not numpy's linear interpolation, so it is not compared.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from quant import risk
from quant.errors import DataError

# ----------------------------------------------------------------------------------------------
# Plain reference implementations


def ref_std(r: list[float]) -> float:
    n = len(r)
    m = sum(r) / n
    return math.sqrt(sum((x - m) ** 2 for x in r) / (n - 1))


def ref_wealth(r: list[float]) -> list[float]:
    wealth, w = [], 1.0
    for x in r:
        w *= 1.0 + x
        wealth.append(w)
    return wealth


def ref_max_drawdown(r: list[float]) -> float:
    peak, worst = 1.0, 0.0
    for w in ref_wealth(r):
        peak = max(peak, w)
        worst = max(worst, 1.0 - w / peak)
    return worst


def ref_drawdown_duration(r: list[float]) -> int:
    """Periods from the last peak to each underwater period; the longest such span."""
    peak, peak_time, longest = 1.0, 0, 0
    for t, w in enumerate(ref_wealth(r), start=1):
        if w >= peak:
            peak, peak_time = w, t
        else:
            longest = max(longest, t - peak_time)
    return longest


def ref_cagr(r: list[float], ppy: int = 252) -> float:
    return ref_wealth(r)[-1] ** (ppy / len(r)) - 1.0


def ref_quantile(r: list[float], p: float) -> float:
    """Linear interpolation between order statistics at position (n - 1) p."""
    x = sorted(r)
    h = (len(x) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(x) - 1)
    return x[lo] + (h - lo) * (x[hi] - x[lo])


def ref_historical_cvar(r: list[float], level: float) -> float:
    q = ref_quantile(r, 1.0 - level)
    tail = [x for x in r if x <= q]
    return -sum(tail) / len(tail)


def ref_contributions(w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    n = len(w)
    marginal = [sum(cov[i, j] * w[j] for j in range(n)) for i in range(n)]
    variance = sum(w[i] * marginal[i] for i in range(n))
    return np.array([w[i] * marginal[i] / variance for i in range(n)])


@pytest.fixture(scope="module")
def fat_tails() -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(42))
    return rng.standard_t(4, 1000) * 0.01 + 0.0004


# ----------------------------------------------------------------------------------------------
# Volatility, Sharpe, Sortino


def test_volatility_reference_and_skfolio(fat_tails: np.ndarray) -> None:
    from skfolio import measures

    r = list(fat_tails)
    assert risk.volatility(fat_tails) == pytest.approx(ref_std(r) * math.sqrt(252), rel=1e-12)
    expected = measures.standard_deviation(fat_tails) * math.sqrt(252)
    assert risk.volatility(pd.Series(fat_tails)) == pytest.approx(expected, rel=1e-12)
    assert risk.volatility(fat_tails, periods_per_year=12) == pytest.approx(
        ref_std(r) * math.sqrt(12), rel=1e-12
    )


def test_sharpe_with_annual_risk_free(fat_tails: np.ndarray) -> None:
    rf = 0.03
    excess = [x - rf / 252 for x in fat_tails]
    expected = (sum(excess) / len(excess)) / ref_std(excess) * math.sqrt(252)
    assert risk.sharpe_ratio(fat_tails, risk_free_rate=rf) == pytest.approx(expected, rel=1e-12)


def test_sortino_reference_and_skfolio(fat_tails: np.ndarray) -> None:
    from skfolio import measures

    rf = 0.02
    excess = [x - rf / 252 for x in fat_tails]
    downside = math.sqrt(sum(min(x, 0.0) ** 2 for x in excess) / len(excess))
    expected = sum(excess) / len(excess) * math.sqrt(252) / downside
    got = risk.sortino_ratio(fat_tails, risk_free_rate=rf)
    assert got == pytest.approx(expected, rel=1e-12)
    peer_downside = measures.semi_deviation(
        np.asarray(excess), min_acceptable_return=0.0, biased=True
    )
    assert got == pytest.approx(np.mean(excess) * math.sqrt(252) / peer_downside, rel=1e-12)


def test_zero_denominators() -> None:
    assert risk.sortino_ratio(np.array([0.01, 0.02, 0.0])) == math.inf
    assert math.isnan(risk.sharpe_ratio(np.zeros(3)))  # type: ignore[arg-type]
    assert risk.sharpe_ratio(np.array([0.01, 0.01]), risk_free_rate=5.04) == -math.inf
    assert risk.calmar_ratio(np.array([0.01, 0.02])) == math.inf


# ----------------------------------------------------------------------------------------------
# Drawdowns, CAGR, Calmar


def test_drawdown_reference_and_skfolio(fat_tails: np.ndarray) -> None:
    from skfolio import measures

    r = list(fat_tails)
    got = risk.max_drawdown(fat_tails)
    assert got == pytest.approx(ref_max_drawdown(r), rel=1e-12)
    assert got == pytest.approx(
        measures.max_drawdown(measures.get_drawdowns(fat_tails, compounded=True)), rel=1e-12
    )
    assert risk.drawdown_duration(fat_tails) == ref_drawdown_duration(r)


def test_drawdown_small_cases() -> None:
    # Loss in the first period counts against the initial wealth 1.
    assert risk.max_drawdown(np.array([-0.2, 0.1])) == pytest.approx(0.2)
    # 1 -> 1.1 -> 0.99 -> 0.891 -> 1.2: peak 1.1 at t=1, underwater at t=2 and 3.
    r = np.array([0.1, -0.1, -0.1, 0.5])
    assert risk.max_drawdown(r) == pytest.approx(1.0 - 0.891 / 1.1)
    assert risk.drawdown_duration(r) == 2
    assert risk.drawdown_duration(np.array([0.01, 0.02, 0.03])) == 0
    assert risk.drawdown_duration(np.array([0.01, -0.02, -0.03, 0.001])) == 3  # never recovers


def test_cagr_and_calmar(fat_tails: np.ndarray) -> None:
    r = list(fat_tails)
    assert risk.cagr(fat_tails) == pytest.approx(ref_cagr(r), rel=1e-10)
    expected = ref_cagr(r) / ref_max_drawdown(r)
    assert risk.calmar_ratio(fat_tails) == pytest.approx(expected, rel=1e-10)
    assert risk.cagr(np.array([0.1, -1.0, 0.2])) == -1.0


def test_dataframe_gives_series_per_column(returns_20: pd.DataFrame) -> None:
    frame = returns_20.iloc[:, :4]
    for func in (
        risk.volatility,
        risk.sharpe_ratio,
        risk.sortino_ratio,
        risk.max_drawdown,
        risk.drawdown_duration,
        risk.cagr,
        risk.calmar_ratio,
        risk.value_at_risk,
        risk.conditional_value_at_risk,
    ):
        out = func(frame)
        assert isinstance(out, pd.Series)
        assert list(out.index) == list(frame.columns)
        for col in frame.columns:
            single = func(frame[col])
            assert isinstance(single, float)
            assert out[col] == pytest.approx(single, rel=1e-13, abs=0)


# ----------------------------------------------------------------------------------------------
# VaR and CVaR


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99, 0.975])
def test_historical_var_cvar_reference(fat_tails: np.ndarray, level: float) -> None:
    r = list(fat_tails)
    var = risk.value_at_risk(fat_tails, level=level)
    assert var == pytest.approx(-ref_quantile(r, 1.0 - level), rel=1e-12)
    cvar = risk.conditional_value_at_risk(fat_tails, level=level)
    assert cvar == pytest.approx(ref_historical_cvar(r, level), rel=1e-12)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_historical_cvar_matches_skfolio_integer_tail(fat_tails: np.ndarray, level: float) -> None:
    from skfolio import measures

    tail_count = len(fat_tails) * (1 - level)  # 100, 50, 10 observations
    assert abs(tail_count - round(tail_count)) < 1e-9
    got = risk.conditional_value_at_risk(fat_tails, level=level)
    assert got == pytest.approx(measures.cvar(fat_tails, beta=level), rel=1e-10)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_gaussian_against_scipy_norm(fat_tails: np.ndarray, level: float) -> None:
    mean, std = float(np.mean(fat_tails)), ref_std(list(fat_tails))
    dist = stats.norm(loc=mean, scale=std)
    var = risk.value_at_risk(fat_tails, level=level, method="gaussian")
    assert var == pytest.approx(-dist.ppf(1 - level), rel=1e-12)
    tail_mean = dist.expect(lambda x: x, ub=dist.ppf(1 - level), conditional=True)
    cvar = risk.conditional_value_at_risk(fat_tails, level=level, method="gaussian")
    assert cvar == pytest.approx(-tail_mean, rel=1e-8)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_cornish_fisher_against_direct_formula_and_quad(
    fat_tails: np.ndarray, level: float
) -> None:
    alpha = 1 - level
    mean, std = float(np.mean(fat_tails)), ref_std(list(fat_tails))
    s, k = stats.skew(fat_tails), stats.kurtosis(fat_tails)  # biased, excess (scipy defaults)
    z = stats.norm.ppf(alpha)
    z_cf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    var = risk.value_at_risk(fat_tails, level=level, method="cornish_fisher")
    assert var == pytest.approx(-(mean + z_cf * std), rel=1e-12)

    def quantile(p: float) -> float:
        zp = stats.norm.ppf(p)
        zp_cf = (
            zp + (zp**2 - 1) * s / 6 + (zp**3 - 3 * zp) * k / 24 - (2 * zp**3 - 5 * zp) * s**2 / 36
        )
        return float(mean + zp_cf * std)

    integral, _ = integrate.quad(quantile, 0.0, alpha, limit=200, epsabs=1e-14, epsrel=1e-12)
    cvar = risk.conditional_value_at_risk(fat_tails, level=level, method="cornish_fisher")
    assert cvar == pytest.approx(-integral / alpha, rel=1e-9)


def test_cornish_fisher_z_reduces_to_z() -> None:
    z = np.linspace(-4, 4, 17)
    np.testing.assert_array_equal(risk.cornish_fisher_z(z, 0.0, 0.0), z)
    # A skew term moves the left tail quantile: with S < 0 the 5% quantile is further out.
    assert risk.cornish_fisher_z(-1.645, -0.5, 0.0) < -1.645


def test_cornish_fisher_equals_gaussian_with_normal_moments() -> None:
    # Values 0 (weight 2/3) and ±1 (1/3 each): skewness 0, kurtosis m4/m2² = 3 (excess 0).
    base = np.tile([0.0, 0.0, 1.0, -1.0, 0.0, 0.0], 50) * 0.012 + 0.0003
    assert abs(stats.skew(base)) < 1e-12 and abs(stats.kurtosis(base)) < 1e-12
    for level in (0.9, 0.95, 0.99):
        for func in (risk.value_at_risk, risk.conditional_value_at_risk):
            cf = func(base, level=level, method="cornish_fisher")
            gauss = func(base, level=level, method="gaussian")
            assert cf == pytest.approx(gauss, rel=1e-10)


# ----------------------------------------------------------------------------------------------
# Properties

returns_lists = st.lists(
    st.floats(min_value=-0.5, max_value=0.5, allow_nan=False), min_size=3, max_size=120
)


@settings(max_examples=60, deadline=None)
@given(returns_lists, st.sampled_from([0.9, 0.95, 0.99]))
def test_property_var_below_cvar(r: list[float], level: float) -> None:
    values = np.array(r)
    assert (
        risk.value_at_risk(values, level=level)
        <= risk.conditional_value_at_risk(values, level=level) + 1e-15
    )


@settings(max_examples=60, deadline=None)
@given(returns_lists)
def test_property_drawdown_bounds_and_reference(r: list[float]) -> None:
    values = np.array(r)
    dd = risk.max_drawdown(values)
    assert 0.0 <= dd <= 1.0
    assert dd == pytest.approx(ref_max_drawdown(r), abs=1e-12)
    assert risk.drawdown_duration(values) == ref_drawdown_duration(r)


@settings(max_examples=60, deadline=None)
@given(returns_lists, st.floats(min_value=0.01, max_value=100.0))
def test_property_scaling(r: list[float], c: float) -> None:
    values = np.array(r)
    assert risk.volatility(values * c) == pytest.approx(c * risk.volatility(values), rel=1e-9)
    for method in ("historical", "gaussian"):
        got = risk.value_at_risk(values * c, method=method)
        assert got == pytest.approx(
            c * risk.value_at_risk(values, method=method), rel=1e-9, abs=1e-13
        )


# ----------------------------------------------------------------------------------------------
# Risk contributions and the report


def test_risk_contributions(returns_20: pd.DataFrame) -> None:
    cov = returns_20.cov() * 252
    rng = np.random.default_rng(np.random.SeedSequence(3))
    w = pd.Series(rng.uniform(-0.2, 1.0, 20), index=cov.columns)
    rel = risk.risk_contributions(w.iloc[::-1], cov)  # aligned by name
    expected = ref_contributions(w.to_numpy(), cov.to_numpy())
    np.testing.assert_allclose(rel.loc[cov.columns].to_numpy(), expected, rtol=1e-10)
    assert rel.sum() == pytest.approx(1.0, rel=1e-12)
    absolute = risk.risk_contributions(w, cov, relative=False)
    sigma_p = math.sqrt(float(w.to_numpy() @ cov.to_numpy() @ w.to_numpy()))
    assert absolute.sum() == pytest.approx(sigma_p, rel=1e-12)
    np.testing.assert_allclose(absolute.to_numpy(), expected * sigma_p, rtol=1e-10)


def test_risk_contribution_alignment_errors() -> None:
    cov = pd.DataFrame(np.diag([0.04, 0.01]), index=["A", "B"], columns=["A", "B"])
    with pytest.raises(DataError, match="missing"):
        risk.risk_contributions(pd.Series({"A": 1.0}), cov)
    with pytest.raises(DataError, match="unknown"):
        risk.risk_contributions(pd.Series({"A": 0.5, "B": 0.3, "C": 0.2}), cov)
    with pytest.raises(DataError, match="zero"):
        risk.risk_contributions(pd.Series({"A": 0.0, "B": 0.0}), cov)


def test_risk_report(sp500_returns: pd.DataFrame) -> None:
    returns = sp500_returns.iloc[:, :6]
    w = pd.Series([0.3, 0.2, 0.1, 0.15, 0.15, 0.1], index=returns.columns)
    report = risk.risk_report(w.iloc[::-1], returns, level=0.95, risk_free_rate=0.02)
    # Portfolio returns rebuilt with a loop over days and assets.
    values = returns.to_numpy()
    port = [sum(values[t, i] * w.iloc[i] for i in range(6)) for t in range(len(values))]
    assert report.n_periods == len(port)
    assert report.annualised_return == pytest.approx(sum(port) / len(port) * 252, rel=1e-10)
    assert report.volatility == pytest.approx(ref_std(port) * math.sqrt(252), rel=1e-10)
    excess = [x - 0.02 / 252 for x in port]
    sharpe = sum(excess) / len(excess) / ref_std(excess) * math.sqrt(252)
    assert report.sharpe_ratio == pytest.approx(sharpe, rel=1e-10)
    assert report.max_drawdown == pytest.approx(ref_max_drawdown(port), rel=1e-10)
    assert report.drawdown_duration == ref_drawdown_duration(port)
    assert report.cagr == pytest.approx(ref_cagr(port), rel=1e-9)
    assert report.calmar_ratio == pytest.approx(ref_cagr(port) / ref_max_drawdown(port), rel=1e-9)
    assert report.var_historical == pytest.approx(-ref_quantile(port, 0.05), rel=1e-10)
    assert report.cvar_historical == pytest.approx(ref_historical_cvar(port, 0.95), rel=1e-10)
    dist = stats.norm(loc=np.mean(port), scale=ref_std(port))
    assert report.var_gaussian == pytest.approx(-dist.ppf(0.05), rel=1e-10)
    assert report.cvar_gaussian > report.var_gaussian
    expected_rc = ref_contributions(w.to_numpy(), returns.cov().to_numpy())
    np.testing.assert_allclose(
        report.risk_contributions.loc[returns.columns].to_numpy(), expected_rc, rtol=1e-10
    )
    payload = report.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["volatility"] == report.volatility
    assert payload["risk_contributions"] == pytest.approx(
        {k: float(v) for k, v in report.risk_contributions.items()}
    )
    assert all(type(v) in (float, int, dict) for v in payload.values())


def test_risk_report_with_cov_and_errors(returns_20: pd.DataFrame) -> None:
    returns = returns_20.iloc[:, :3]
    w = pd.Series([0.5, 0.3, 0.2], index=returns.columns)
    cov = pd.DataFrame(np.diag([0.04, 0.09, 0.01]), index=returns.columns, columns=returns.columns)
    report = risk.risk_report(w, returns, cov=cov.iloc[::-1, ::-1])
    expected = ref_contributions(w.to_numpy(), cov.to_numpy())
    np.testing.assert_allclose(report.risk_contributions.to_numpy(), expected, rtol=1e-12)
    with pytest.raises(DataError, match="cov must cover"):
        risk.risk_report(w, returns, cov=cov.iloc[:2, :2])
    with pytest.raises(DataError, match="missing"):
        risk.risk_report(w.iloc[:2], returns)


# ----------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_level_out_of_range(level: float) -> None:
    r = np.array([0.01, -0.02, 0.03])
    with pytest.raises(DataError, match="level"):
        risk.value_at_risk(r, level=level)
    with pytest.raises(DataError, match=str(level)):
        risk.conditional_value_at_risk(r, level=level, method="gaussian")


def test_bad_inputs() -> None:
    with pytest.raises(DataError, match="NaN"):
        risk.volatility(np.array([0.01, np.nan, 0.02]))
    with pytest.raises(DataError, match="infinite"):
        risk.sharpe_ratio(pd.Series([0.01, np.inf, 0.02], name="X"))
    with pytest.raises(DataError, match="method"):
        risk.value_at_risk(np.array([0.01, 0.02]), method="monte_carlo")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="-100%"):
        risk.max_drawdown(np.array([0.01, -1.5]))
    with pytest.raises(DataError, match="periods_per_year"):
        risk.volatility(np.array([0.01, 0.02]), periods_per_year=0)
