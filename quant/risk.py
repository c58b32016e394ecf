"""Risk and performance measures of return series, risk contributions and a portfolio risk report.

Conventions (as in the rest of `quant`):

- Inputs are simple returns per period (daily by default). Every measure accepts a pd.Series or a
  1-D numpy array (and returns a float), or a pd.DataFrame / 2-D array with one column per asset
  (and returns a pd.Series indexed by column). Inputs are validated with
  `quant.validation.as_returns_frame`: NaN or infinite values raise `DataError`.
- Annualisation uses `periods_per_year` (252): volatility is the standard deviation (ddof=1)
  x sqrt(periods_per_year); `risk_free_rate` is an annual rate, applied per period as
  risk_free_rate / periods_per_year.
- Losses are positive numbers: a VaR of 0.02 means a loss of 2% of wealth in one period; a maximum
  drawdown of 0.3 means wealth fell 30% below its previous peak. VaR and CVaR are per period (not
  annualised).
- Ratios whose denominator is exactly zero (no dispersion, no downside, no drawdown) are +inf or
  -inf with the sign of the numerator, or NaN when the numerator is zero as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import DataError
from quant.estimators import PERIODS_PER_YEAR, sample_covariance
from quant.validation import as_covariance, as_returns_frame, check_vector

VaRMethod = Literal["historical", "gaussian", "cornish_fisher"]
Measure = float | pd.Series
ReturnsLike = pd.Series | pd.DataFrame | np.ndarray

_METHODS = ("historical", "gaussian", "cornish_fisher")


# ----------------------------------------------------------------------------------------------
# Input and output plumbing


def _values(returns: ReturnsLike) -> tuple[np.ndarray, pd.Index | None]:
    """Validated returns as a 2-D float array, and the column labels (None for a single series)."""
    frame = as_returns_frame(returns)
    single = isinstance(returns, pd.Series) or (
        isinstance(returns, np.ndarray) and np.asarray(returns).ndim == 1
    )
    return frame.to_numpy(dtype=float), None if single else frame.columns


def _output(values: np.ndarray, columns: pd.Index | None, name: str) -> Measure:
    if columns is None:
        return float(values[0])
    return pd.Series(values.astype(float), index=columns, name=name)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, with ±inf (sign of the numerator) or NaN where denominator == 0."""
    out = np.empty_like(numerator, dtype=float)
    zero = denominator == 0.0
    np.divide(numerator, denominator, out=out, where=~zero)
    top = numerator[zero]
    out[zero] = np.where(top > 0.0, np.inf, np.where(top < 0.0, -np.inf, np.nan))
    return out


def _check_periods(periods_per_year: float) -> None:
    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise DataError(f"periods_per_year must be a positive number, got {periods_per_year!r}")


def _check_level(level: float) -> float:
    value = float(level)
    if not (0.0 < value < 1.0):
        raise DataError(f"confidence level must be strictly between 0 and 1, got {level!r}")
    return value


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise DataError(f"unknown VaR method {method!r}: use one of {', '.join(_METHODS)}")


def _wealth(values: np.ndarray) -> np.ndarray:
    """Wealth paths W_1..W_n from W_0 = 1 (rows: periods); rejects returns below -100%."""
    if (values < -1.0).any():
        row, col = np.argwhere(values < -1.0)[0]
        raise DataError(
            f"a return of {values[row, col]:.4g} (below -100%) in period {row} of column {col}: "
            "wealth would turn negative"
        )
    return np.cumprod(1.0 + values, axis=0)


def _running_peak(wealth: np.ndarray) -> np.ndarray:
    """max(1, max_{u<=t} W_u) for every t: the peak includes the initial wealth 1."""
    return np.maximum(np.maximum.accumulate(wealth, axis=0), 1.0)


# ----------------------------------------------------------------------------------------------
# Column-wise kernels on 2-D arrays (rows: periods, columns: series)


def _volatility(values: np.ndarray, periods_per_year: float) -> np.ndarray:
    return np.asarray(values.std(axis=0, ddof=1) * math.sqrt(periods_per_year))


def _sharpe(values: np.ndarray, risk_free_rate: float, periods_per_year: float) -> np.ndarray:
    excess = values - risk_free_rate / periods_per_year
    return _ratio(excess.mean(axis=0) * math.sqrt(periods_per_year), excess.std(axis=0, ddof=1))


def _downside(values: np.ndarray, risk_free_rate: float, periods_per_year: float) -> np.ndarray:
    """Per-period downside deviation: sqrt(mean(min(r - rf, 0)^2)) over every period."""
    excess = values - risk_free_rate / periods_per_year
    return np.asarray(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2, axis=0)))


def _sortino(values: np.ndarray, risk_free_rate: float, periods_per_year: float) -> np.ndarray:
    excess = values - risk_free_rate / periods_per_year
    downside = _downside(values, risk_free_rate, periods_per_year)
    return _ratio(excess.mean(axis=0) * math.sqrt(periods_per_year), downside)


def _drawdowns(values: np.ndarray) -> np.ndarray:
    """1 - W_t / max(1, max_{u<=t} W_u) at every period, clipped to [0, 1]."""
    wealth = _wealth(values)
    return np.asarray(np.clip(1.0 - wealth / _running_peak(wealth), 0.0, 1.0))


def _max_drawdown(values: np.ndarray) -> np.ndarray:
    return np.asarray(_drawdowns(values).max(axis=0))


def _drawdown_duration(values: np.ndarray) -> np.ndarray:
    wealth = _wealth(values)
    underwater = wealth < _running_peak(wealth)
    # Length of the current underwater run at each period: a cumulative count reset at every
    # period that is at a peak.
    count = np.cumsum(underwater, axis=0)
    reset = np.maximum.accumulate(np.where(underwater, 0, count), axis=0)
    runs: np.ndarray = count - reset
    return np.asarray(runs.max(axis=0))


def _cagr(values: np.ndarray, periods_per_year: float) -> np.ndarray:
    final = _wealth(values)[-1]
    out = np.full(final.shape, -1.0)
    alive = final > 0.0
    out[alive] = np.expm1(np.log(final[alive]) * periods_per_year / values.shape[0])
    return out


def _moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard deviation (ddof=1), biased skewness and biased excess kurtosis per column
    (both 0 for a column that never varies beyond rounding)."""
    mean = values.mean(axis=0)
    centered = values - mean
    m2 = np.mean(centered**2, axis=0)
    m3 = np.mean(centered**3, axis=0)
    m4 = np.mean(centered**4, axis=0)
    std = values.std(axis=0, ddof=1)
    # returns that never vary leave a rounding error's spread, whose shape means nothing
    varies = m2 > (64 * np.finfo(float).eps * np.abs(values).max(axis=0)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(varies, m3 / np.where(varies, m2, 1.0) ** 1.5, 0.0)
        kurt = np.where(varies, m4 / np.where(varies, m2, 1.0) ** 2 - 3.0, 0.0)
    return mean, std, skew, kurt


def cornish_fisher_z(
    z: float | np.ndarray, skewness: float | np.ndarray, excess_kurtosis: float | np.ndarray
) -> np.ndarray:
    """Cornish-Fisher adjusted standard-normal quantile.

    z_cf = z + (z² - 1) S / 6 + (z³ - 3z) K / 24 - (2z³ - 5z) S² / 36, with S the skewness and K the
    excess kurtosis. Equals z when S = K = 0.
    """
    z_arr = np.asarray(z, dtype=float)
    s = np.asarray(skewness, dtype=float)
    k = np.asarray(excess_kurtosis, dtype=float)
    return np.asarray(
        z_arr
        + (z_arr**2 - 1.0) * s / 6.0
        + (z_arr**3 - 3.0 * z_arr) * k / 24.0
        - (2.0 * z_arr**3 - 5.0 * z_arr) * s**2 / 36.0
    )


def _cornish_fisher_tail_mean(
    alpha: float, skewness: np.ndarray, excess_kurtosis: np.ndarray
) -> np.ndarray:
    """(1/α) ∫_0^α z_cf(Φ⁻¹(p)) dp, exactly.

    Substituting p = Φ(z) turns the integral into ∫_{-∞}^{a} z_cf(z) φ(z) dz with a = Φ⁻¹(α);
    z_cf is a cubic polynomial and the truncated normal moments are ∫ z φ = -φ(a),
    ∫ (z² - 1) φ = -a φ(a), ∫ z³ φ = -(a² + 2) φ(a), so the integral is
    -φ(a) [1 + a S/6 + (a² - 1) K/24 - (2a² - 1) S²/36].
    """
    a = NormalDist().inv_cdf(alpha)
    density = math.exp(-0.5 * a * a) / math.sqrt(2.0 * math.pi)
    bracket = (
        1.0
        + a * skewness / 6.0
        + (a * a - 1.0) * excess_kurtosis / 24.0
        - (2.0 * a * a - 1.0) * skewness**2 / 36.0
    )
    return np.asarray(-density * bracket / alpha)


def _var(values: np.ndarray, level: float, method: str) -> np.ndarray:
    alpha = 1.0 - level
    if method == "historical":
        return np.asarray(-np.quantile(values, alpha, axis=0))
    mean, std, skew, kurt = _moments(values)
    z = NormalDist().inv_cdf(alpha)
    if method == "gaussian":
        return np.asarray(-(mean + z * std))
    return np.asarray(-(mean + cornish_fisher_z(z, skew, kurt) * std))


def _cvar(values: np.ndarray, level: float, method: str) -> np.ndarray:
    alpha = 1.0 - level
    if method == "historical":
        quantile = np.quantile(values, alpha, axis=0)
        tail = values <= quantile
        return np.asarray(-(np.where(tail, values, 0.0).sum(axis=0) / tail.sum(axis=0)))
    mean, std, skew, kurt = _moments(values)
    if method == "gaussian":
        z = NormalDist().inv_cdf(alpha)
        density = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return np.asarray(-(mean - std * density / alpha))
    return np.asarray(-(mean + std * _cornish_fisher_tail_mean(alpha, skew, kurt)))


# ----------------------------------------------------------------------------------------------
# Public measures


def volatility(returns: ReturnsLike, *, periods_per_year: float = PERIODS_PER_YEAR) -> Measure:
    """Annualised volatility: std of period returns (ddof=1) x sqrt(periods_per_year)."""
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    return _output(_volatility(values, periods_per_year), columns, "volatility")


def sharpe_ratio(
    returns: ReturnsLike,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> Measure:
    """Annualised Sharpe ratio: mean(r - rf) / std(r - rf, ddof=1) x sqrt(periods_per_year).

    `risk_free_rate` is annual; the per-period rate is risk_free_rate / periods_per_year.
    """
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    return _output(_sharpe(values, risk_free_rate, periods_per_year), columns, "sharpe_ratio")


def sortino_ratio(
    returns: ReturnsLike,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> Measure:
    """Annualised Sortino ratio: mean(r - rf) x sqrt(periods_per_year) / downside deviation.

    The downside deviation is sqrt(mean(min(r - rf, 0)²)) over all periods (target = the per-period
    risk-free rate risk_free_rate / periods_per_year).
    """
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    return _output(_sortino(values, risk_free_rate, periods_per_year), columns, "sortino_ratio")


def downside_deviation(
    returns: ReturnsLike,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> Measure:
    """Annualised downside deviation, the Sortino ratio's denominator:
    sqrt(mean(min(r - rf, 0)²)) x sqrt(periods_per_year), every period counted in the mean (one
    above the per-period risk-free rate risk_free_rate / periods_per_year counts as 0)."""
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    downside = _downside(values, risk_free_rate, periods_per_year) * math.sqrt(periods_per_year)
    return _output(downside, columns, "downside_deviation")


def skewness(returns: ReturnsLike) -> Measure:
    """Sample skewness m3 / m2^1.5 of the returns, with biased central moments
    m_k = mean((r - mean)^k) (scipy.stats.skew's default); 0 for returns that never vary."""
    values, columns = _values(returns)
    return _output(_moments(values)[2], columns, "skewness")


def excess_kurtosis(returns: ReturnsLike) -> Measure:
    """Sample excess kurtosis m4 / m2² - 3 of the returns, with biased central moments (the
    default of scipy.stats.kurtosis: 0 for a normal distribution); 0 for returns that never
    vary."""
    values, columns = _values(returns)
    return _output(_moments(values)[3], columns, "excess_kurtosis")


def max_drawdown(returns: ReturnsLike) -> Measure:
    """Maximum drawdown, a fraction in [0, 1].

    Wealth starts at W_0 = 1 and compounds, W_t = prod_{u<=t} (1 + r_u). The drawdown at t is
    1 - W_t / max(1, max_{u<=t} W_u) (the initial wealth counts as a peak); the result is its
    maximum over t. Returns below -100% raise `DataError`.
    """
    values, columns = _values(returns)
    return _output(_max_drawdown(values), columns, "max_drawdown")


def drawdowns(returns: pd.Series) -> pd.Series:
    """The drawdown at every period (the underwater curve), fractions in [0, 1]: wealth's fall
    below its running peak, the initial wealth counting as one (as in `max_drawdown`, which is
    its maximum); indexed as `returns`."""
    values, _ = _values(returns)
    return pd.Series(_drawdowns(values)[:, 0], index=returns.index, name="drawdown")


def rolling_volatility(
    returns: pd.Series, window: int, *, periods_per_year: float = PERIODS_PER_YEAR
) -> pd.Series:
    """`volatility` of each `window` periods ending at a period (NaN before the first full
    window); indexed as `returns`."""
    return _rolling(returns, window, lambda w: _volatility(w, periods_per_year), "volatility")


def rolling_sharpe(
    returns: pd.Series,
    window: int,
    *,
    risk_free_rate: float = 0.0,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> pd.Series:
    """`sharpe_ratio` of each `window` periods ending at a period (NaN before the first full
    window; ±inf or NaN over a window without dispersion, as `sharpe_ratio`); indexed as
    `returns`."""
    return _rolling(
        returns, window, lambda w: _sharpe(w, risk_free_rate, periods_per_year), "sharpe_ratio"
    )


def rolling_cagr(
    returns: pd.Series, window: int, *, periods_per_year: float = PERIODS_PER_YEAR
) -> pd.Series:
    """`cagr` of each `window` periods ending at a period (NaN before the first full window; a
    window of `periods_per_year` periods: its compounded return); indexed as `returns`."""
    return _rolling(returns, window, lambda w: _cagr(w, periods_per_year), "cagr")


def _rolling(
    returns: pd.Series, window: int, measure: Callable[[np.ndarray], np.ndarray], name: str
) -> pd.Series:
    """`measure` (a column-wise kernel) of every `window` consecutive periods, each window a
    column, at the window's last period."""
    if not (isinstance(window, int) and window >= 2):
        raise DataError(f"a rolling window must be a whole number of periods >= 2, got {window!r}")
    values, _ = _values(returns)
    out = np.full(values.shape[0], np.nan)
    if values.shape[0] >= window:
        windows = np.lib.stride_tricks.sliding_window_view(values[:, 0], window)
        out[window - 1 :] = measure(windows.T)
    return pd.Series(out, index=returns.index, name=name)


def drawdown_duration(returns: ReturnsLike) -> float | pd.Series:
    """Longest drawdown duration in periods (an integer count).

    With wealth W_t as in `max_drawdown` and peak P_t = max(1, max_{u<=t} W_u), period t is
    *underwater* when W_t < P_t strictly. The duration of a drawdown is the number of periods from
    its peak p (the last period at a peak, p = 0 for the initial wealth) to the last underwater
    period before recovery, i.e. the length of a run of consecutive underwater periods; a drawdown
    still open at the end of the sample counts up to the last period. Example: wealth
    1 -> 0.9 -> 0.95 -> 1.0 has duration 2 (two periods below the peak 1, recovered in the third).
    0 when wealth never falls below a previous peak.
    """
    values, columns = _values(returns)
    return _output(_drawdown_duration(values), columns, "drawdown_duration")


def total_return(returns: ReturnsLike) -> Measure:
    """The compounded return over every period: W_end - 1 (see `max_drawdown` for W)."""
    values, columns = _values(returns)
    return _output(_wealth(values)[-1] - 1.0, columns, "total_return")


def cagr(returns: ReturnsLike, *, periods_per_year: float = PERIODS_PER_YEAR) -> Measure:
    """Compound annual growth rate: W_end^(periods_per_year / n) - 1 (-1 when wealth reaches 0)."""
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    return _output(_cagr(values, periods_per_year), columns, "cagr")


def calmar_ratio(returns: ReturnsLike, *, periods_per_year: float = PERIODS_PER_YEAR) -> Measure:
    """Calmar ratio: CAGR / maximum drawdown (see `cagr` and `max_drawdown`; full sample)."""
    _check_periods(periods_per_year)
    values, columns = _values(returns)
    ratio = _ratio(_cagr(values, periods_per_year), _max_drawdown(values))
    return _output(ratio, columns, "calmar_ratio")


def value_at_risk(
    returns: ReturnsLike, *, level: float = 0.95, method: VaRMethod = "historical"
) -> Measure:
    """One-period value at risk at confidence `level`, as a positive loss.

    - ``historical``: -quantile(r, 1 - level) with numpy's default (linear) interpolation.
    - ``gaussian``: -(mean + z std), z = Φ⁻¹(1 - level), std with ddof=1.
    - ``cornish_fisher``: -(mean + z_cf std) with z_cf from `cornish_fisher_z`, using the sample
      skewness S = m3 / m2^1.5 and excess kurtosis K = m4 / m2² - 3 with biased central moments
      m_k = mean((r - mean)^k) (the defaults of scipy.stats.skew and scipy.stats.kurtosis).

    `level` must lie strictly between 0 and 1 (`DataError` otherwise).
    """
    level = _check_level(level)
    _check_method(method)
    values, columns = _values(returns)
    return _output(_var(values, level, method), columns, "value_at_risk")


def conditional_value_at_risk(
    returns: ReturnsLike, *, level: float = 0.95, method: VaRMethod = "historical"
) -> Measure:
    """One-period conditional value at risk (expected shortfall) at `level`, as a positive loss.

    - ``historical``: minus the mean of the returns <= the (1 - level) quantile (numpy's linear
      interpolation), i.e. of the returns at or beyond the historical VaR.
    - ``gaussian``: -(mean - std φ(z) / (1 - level)), z = Φ⁻¹(1 - level), std with ddof=1.
    - ``cornish_fisher``: -(1 / (1 - level)) ∫_0^{1-level} q_cf(p) dp with the Cornish-Fisher
      quantile q_cf(p) = mean + z_cf(Φ⁻¹(p)) std (moments as in `value_at_risk`); the integral is
      evaluated in closed form (truncated normal moments of the cubic z_cf).
    """
    level = _check_level(level)
    _check_method(method)
    values, columns = _values(returns)
    return _output(_cvar(values, level, method), columns, "conditional_value_at_risk")


def risk_contributions(
    weights: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    *,
    relative: bool = True,
) -> pd.Series:
    """Risk contribution of each asset to portfolio volatility.

    Relative (default): RC_i = w_i (Σw)_i / (w'Σw), summing to 1. Absolute: w_i (Σw)_i / σ_p with
    σ_p = sqrt(w'Σw), summing to the portfolio volatility in the units of `cov` (annualised for an
    annualised covariance). Weights are aligned with the covariance by asset name (a Series) or
    taken in order (an array); missing or unknown assets raise `DataError`, as does a portfolio
    with zero variance.
    """
    frame = as_covariance(cov)
    names = [str(c) for c in frame.columns]
    w = check_vector(weights, names, "weights")
    sigma = frame.to_numpy()
    marginal = sigma @ w
    variance = float(w @ marginal)
    if not variance > 0.0:
        raise DataError("portfolio variance is zero: risk contributions are undefined")
    contributions = w * marginal / (variance if relative else math.sqrt(variance))
    return pd.Series(contributions, index=names, name="risk_contribution")


# ----------------------------------------------------------------------------------------------
# Portfolio report


@dataclass(frozen=True)
class RiskReport:
    """Risk and performance of a portfolio held at constant weights (rebalanced every period).

    Annualised with `periods_per_year`: `annualised_return` (arithmetic, mean x periods_per_year),
    `cagr`, `volatility`, `sharpe_ratio`, `sortino_ratio`, `calmar_ratio`. Per period, as positive
    losses at confidence `level`: `var_historical`, `cvar_historical`, `var_gaussian`,
    `cvar_gaussian`. `max_drawdown` is a fraction, `drawdown_duration` a number of periods.
    `risk_contributions` are relative (sum to 1), from the covariance given or the sample one.
    """

    level: float
    risk_free_rate: float
    periods_per_year: float
    n_periods: int
    annualised_return: float
    cagr: float
    volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    max_drawdown: float
    drawdown_duration: int
    calmar_ratio: float
    var_historical: float
    cvar_historical: float
    var_gaussian: float
    cvar_gaussian: float
    risk_contributions: pd.Series = field(repr=False)

    def to_dict(self) -> dict[str, float | int | dict[str, float]]:
        """Plain Python numbers (for JSON); risk contributions as {asset: float}."""
        out: dict[str, float | int | dict[str, float]] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, pd.Series):
                out[name] = {str(k): float(v) for k, v in value.items()}
            elif name in ("n_periods", "drawdown_duration"):
                out[name] = int(value)
            else:
                out[name] = float(value)
        return out


def portfolio_returns(weights: pd.Series | np.ndarray, returns: pd.DataFrame) -> pd.Series:
    """Period returns of a portfolio rebalanced to constant `weights` every period: R w."""
    frame = as_returns_frame(returns)
    w = check_vector(weights, [str(c) for c in frame.columns], "weights")
    return pd.Series(frame.to_numpy() @ w, index=frame.index, name="portfolio")


def risk_report(
    weights: pd.Series,
    returns: pd.DataFrame,
    *,
    level: float = 0.95,
    risk_free_rate: float = 0.0,
    cov: pd.DataFrame | None = None,
    periods_per_year: float = PERIODS_PER_YEAR,
) -> RiskReport:
    """Risk report of a portfolio held at constant `weights` (rebalanced daily) over `returns`.

    Weights are aligned with the returns' columns by name (missing or unknown assets raise
    `DataError`); they are used as given (not normalised). `cov` (for the risk contributions)
    defaults to the annualised sample covariance of `returns`; a given `cov` must cover exactly the
    returns' assets (any order).
    """
    level = _check_level(level)
    _check_periods(periods_per_year)
    frame = as_returns_frame(returns)
    names = [str(c) for c in frame.columns]
    w = check_vector(weights, names, "weights")
    if cov is None:
        cov_frame = sample_covariance(frame, periods_per_year=int(periods_per_year))
    else:
        cov_frame = as_covariance(cov)
        missing = [n for n in names if n not in cov_frame.columns]
        extra = [n for n in cov_frame.columns if n not in set(names)]
        if missing or extra:
            raise DataError(
                "cov must cover the returns' assets: "
                f"missing {', '.join(missing) or 'none'}, unknown {', '.join(extra) or 'none'}"
            )
        cov_frame = cov_frame.loc[names, names]
    values = (frame.to_numpy() @ w)[:, None]
    return RiskReport(
        level=level,
        risk_free_rate=float(risk_free_rate),
        periods_per_year=float(periods_per_year),
        n_periods=int(values.shape[0]),
        annualised_return=float(values.mean() * periods_per_year),
        cagr=float(_cagr(values, periods_per_year)[0]),
        volatility=float(_volatility(values, periods_per_year)[0]),
        sharpe_ratio=float(_sharpe(values, risk_free_rate, periods_per_year)[0]),
        sortino_ratio=float(_sortino(values, risk_free_rate, periods_per_year)[0]),
        max_drawdown=float(_max_drawdown(values)[0]),
        drawdown_duration=int(_drawdown_duration(values)[0]),
        calmar_ratio=float(_ratio(_cagr(values, periods_per_year), _max_drawdown(values))[0]),
        var_historical=float(_var(values, level, "historical")[0]),
        cvar_historical=float(_cvar(values, level, "historical")[0]),
        var_gaussian=float(_var(values, level, "gaussian")[0]),
        cvar_gaussian=float(_cvar(values, level, "gaussian")[0]),
        risk_contributions=risk_contributions(pd.Series(w, index=names), cov_frame),
    )
