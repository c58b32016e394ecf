"""Overfitting controls for a parameter search: the deflated Sharpe ratio and paired intervals.

Deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014): after trying
`N` configurations and keeping the best, the winner's estimated Sharpe ratio is biased upwards.
The expected maximum of `N` estimated Sharpe ratios whose true value is zero is

    SR0 = sqrt(V) * ((1 - g) * Phi^-1(1 - 1/N) + g * Phi^-1(1 - 1/(N e)))

with `V` the variance of the trials' estimated Sharpe ratios and `g` the Euler-Mascheroni
constant. The deflated Sharpe ratio is the probabilistic Sharpe ratio of the winner against SR0:

    DSR = Phi((SR - SR0) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurt - 1) / 4 * SR^2))

where `SR` is the winner's Sharpe ratio *per period* (not annualised), `T` the number of return
observations behind it, and `skew`, `kurt` the skewness and (non-excess, normal = 3) kurtosis of
its returns. DSR is the probability that the winner's true Sharpe ratio is above zero once the
selection among `N` trials is accounted for. With `N = 1` there is no selection and SR0 = 0.

Paired intervals: two configurations evaluated on the same simulated paths (common random
numbers) are compared path by path; the interval for the mean difference is
mean(d) +/- z * std(d, ddof=1) / sqrt(P), which is much tighter than comparing two unpaired means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from quant.errors import DataError, InsufficientDataError

EULER_MASCHERONI = 0.5772156649015329
"""The Euler-Mascheroni constant, used by the expected maximum of N Gaussian Sharpe ratios."""


@dataclass(frozen=True)
class DeflatedSharpe:
    """A deflated Sharpe ratio and the inputs it was computed from.

    `sharpe` and `expected_max_sharpe` are per period (daily for daily returns); `probability`
    is the deflated Sharpe ratio itself, a probability in [0, 1].
    """

    probability: float
    sharpe: float
    expected_max_sharpe: float
    n_trials: int
    sharpe_variance: float
    n_obs: int
    skewness: float
    kurtosis: float

    def to_dict(self) -> dict[str, float | int]:
        """The fields as plain Python numbers (JSON-friendly)."""
        return {key: _plain(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class PairedInterval:
    """Confidence interval for the mean of paired differences a - b over common paths."""

    mean: float
    std: float
    stderr: float
    lower: float
    upper: float
    n: int
    confidence: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return self.lower > 0.0 or self.upper < 0.0

    def to_dict(self) -> dict[str, float | int | bool]:
        """The fields (and `significant`) as plain Python values (JSON-friendly)."""
        out: dict[str, float | int | bool] = {k: _plain(v) for k, v in asdict(self).items()}
        out["significant"] = self.significant
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    return value


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum of `n_trials` estimated Sharpe ratios whose true value is zero.

    `sharpe_variance` is the variance of the trials' estimated Sharpe ratios, in the units of the
    result (per period for a per-period SR0). Returns 0 for a single trial (no selection).
    """
    if int(n_trials) != n_trials or n_trials < 1:
        raise DataError(f"n_trials must be a positive integer, got {n_trials!r}")
    if not math.isfinite(sharpe_variance) or sharpe_variance < 0.0:
        raise DataError(f"sharpe_variance must be finite and >= 0, got {sharpe_variance!r}")
    n = int(n_trials)
    if n == 1:
        return 0.0
    g = EULER_MASCHERONI
    normal = NormalDist()  # the standard normal (the standard library's, as precise as scipy's)
    quantiles = (1.0 - g) * normal.inv_cdf(1.0 - 1.0 / n) + g * normal.inv_cdf(
        1.0 - 1.0 / (n * math.e)
    )
    return float(math.sqrt(sharpe_variance) * quantiles)


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, *, n_obs: int, skewness: float = 0.0, kurtosis: float = 3.0
) -> float:
    """Probability that the true per-period Sharpe ratio exceeds `benchmark` (Bailey & López de Prado).

    `sharpe` and `benchmark` are per period; `n_obs` is the number of returns behind `sharpe`;
    `kurtosis` is non-excess (3 for a normal distribution).
    """
    if int(n_obs) != n_obs or n_obs < 2:
        raise InsufficientDataError(f"n_obs must be an integer >= 2, got {n_obs!r}")
    for name, value in (
        ("sharpe", sharpe),
        ("benchmark", benchmark),
        ("skewness", skewness),
        ("kurtosis", kurtosis),
    ):
        if not math.isfinite(value):
            raise DataError(f"{name} must be finite, got {value!r}")
    denominator = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if denominator <= 0.0:
        raise DataError(
            f"inconsistent moments: 1 - skewness*SR + (kurtosis-1)/4*SR^2 = {denominator:.3g} <= 0 "
            f"(skewness {skewness:.3g}, kurtosis {kurtosis:.3g}, SR {sharpe:.3g})"
        )
    z = (sharpe - benchmark) * math.sqrt(n_obs - 1.0) / math.sqrt(denominator)
    return 0.5 * math.erfc(-z / math.sqrt(2.0))  # the standard normal CDF, exact in the tails


def deflated_sharpe_ratio(
    sharpe: float,
    *,
    n_trials: int,
    sharpe_variance: float,
    n_obs: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
) -> DeflatedSharpe:
    """Deflated Sharpe ratio of the best of `n_trials` configurations (per-period units).

    `sharpe` is the winner's per-period Sharpe ratio (annualised / sqrt(252) for daily returns),
    `sharpe_variance` the variance of the per-period Sharpe ratios of all trials, `n_obs` the
    number of returns behind the winner's estimate, `skewness` and non-excess `kurtosis` those of
    the winner's returns. More trials raise SR0 and so lower the probability.
    """
    sr0 = expected_max_sharpe(n_trials, sharpe_variance)
    probability = probabilistic_sharpe_ratio(
        sharpe, sr0, n_obs=n_obs, skewness=skewness, kurtosis=kurtosis
    )
    return DeflatedSharpe(
        probability=probability,
        sharpe=float(sharpe),
        expected_max_sharpe=sr0,
        n_trials=int(n_trials),
        sharpe_variance=float(sharpe_variance),
        n_obs=int(n_obs),
        skewness=float(skewness),
        kurtosis=float(kurtosis),
    )


def return_moments(returns: np.ndarray) -> tuple[float, float, int]:
    """Skewness, non-excess kurtosis (normal = 3) and count of a sample of returns (any shape).

    Population moments (biased, as in Bailey & López de Prado). A constant sample has skewness 0
    and kurtosis 3 by convention (it carries no evidence of non-normality).
    """
    values = np.asarray(returns, dtype=float).reshape(-1)
    values = values[np.isfinite(values)]
    n = values.size
    if n < 2:
        raise InsufficientDataError(f"need at least 2 finite returns for moments, got {n}")
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    scale = float(np.max(np.abs(values)))
    if m2 <= (1e-12 * scale) ** 2 or m2 <= 1e-300:
        return 0.0, 3.0, n
    skew = float(np.mean(centred**3) / m2**1.5)
    kurt = float(np.mean(centred**4) / m2**2)
    return skew, kurt, n


def paired_interval(
    a: np.ndarray | Sequence[float], b: np.ndarray | Sequence[float], *, confidence: float = 0.95
) -> PairedInterval:
    """Interval for mean(a - b) when `a` and `b` are measured on the same paths (common numbers).

    mean(d) +/- z * std(d, ddof=1) / sqrt(P) with z the two-sided normal quantile of `confidence`.
    Non-finite differences are dropped (and counted out of `n`).
    """
    if not 0.0 < confidence < 1.0:
        raise DataError(f"confidence must be in (0, 1), got {confidence!r}")
    left = np.asarray(a, dtype=float).reshape(-1)
    right = np.asarray(b, dtype=float).reshape(-1)
    if left.shape != right.shape:
        raise DataError(f"paired samples differ in length: {left.size} vs {right.size}")
    diff = left - right
    diff = diff[np.isfinite(diff)]
    if diff.size < 2:
        raise InsufficientDataError(f"need at least 2 finite paired differences, got {diff.size}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    mean = float(diff.mean())
    std = float(diff.std(ddof=1))
    stderr = std / math.sqrt(diff.size)
    return PairedInterval(
        mean=mean,
        std=std,
        stderr=stderr,
        lower=mean - z * stderr,
        upper=mean + z * stderr,
        n=int(diff.size),
        confidence=float(confidence),
    )


def combine_intervals(
    intervals: Mapping[str, PairedInterval], weights: Mapping[str, float] | None = None
) -> PairedInterval:
    """Weighted mean of independent intervals (independent scenarios): mean = sum w_s mean_s.

    Weights are normalised to sum 1 (equal when None); the standard error is
    sqrt(sum w_s^2 stderr_s^2) because scenarios are simulated independently. `std` reports the
    implied per-path spread stderr * sqrt(n) with n the total number of paths.
    """
    if not intervals:
        raise InsufficientDataError("no intervals to combine")
    names = list(intervals)
    raw = np.array([1.0 if weights is None else float(weights.get(n, 0.0)) for n in names])
    if (raw < 0).any() or raw.sum() <= 0:
        raise DataError("interval weights must be >= 0 with a positive sum")
    w = raw / raw.sum()
    confidence = intervals[names[0]].confidence
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    mean = float(sum(wi * intervals[n].mean for wi, n in zip(w, names, strict=True)))
    stderr = math.sqrt(
        sum(wi**2 * intervals[n].stderr ** 2 for wi, n in zip(w, names, strict=True))
    )
    total = int(sum(intervals[n].n for n in names))
    return PairedInterval(
        mean=mean,
        std=stderr * math.sqrt(total),
        stderr=stderr,
        lower=mean - z * stderr,
        upper=mean + z * stderr,
        n=total,
        confidence=confidence,
    )
