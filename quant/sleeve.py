"""Multi-asset risky sleeves: an optimizer re-run on every rebalance day (see docs/engine.md).

For a schedule (optimizer, lookback L, rebalance step k) and one path of asset returns
``r[t, i]`` (daily simple returns, T days x N assets) with safe returns ``s[t]``:

- On each rebalance day t = L, L+k, ... the optimizer sees only the window r[t-L .. t-1]:
  covariance = sample covariance (ddof=1) x 252, expected returns = arithmetic mean x 252,
  risk-free rate = mean of s over the window x 252. ``hrp`` receives the window's returns,
  ``risk_parity`` and ``min_volatility`` the covariance, ``max_sharpe`` mean, covariance and
  risk-free rate. When ``max_sharpe`` is infeasible (no asset's expected return beats the
  risk-free rate, or the solver refuses the problem with a `ConstraintError`), the sleeve falls
  back to ``min_volatility`` for that day and the fallback is counted.
- The new sleeve weights v_t (long-only, summing to 1) give the candidate sleeve's window returns
  X v_t, whose annualised volatility and mean feed the weight function.
- Between rebalances the sleeve drifts: v_{t+1,i} = v_{t,i} (1 + r_{t,i}) / (1 + R_t) with
  R_t = sum_i v_{t,i} r_{t,i} the sleeve's return on day t.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, QuantError
from quant.estimators import PERIODS_PER_YEAR
from quant.strategy import SIGMA_FLOOR

OPTIMIZER_SLEEVES = ("hrp", "risk_parity", "min_volatility", "max_sharpe")


@dataclass
class SleeveSchedule:
    """A sleeve built on every path for one (optimizer, L, k).

    Attributes (P paths, T days, N assets, J = number of rebalance days):
    returns: [P, T] sleeve returns R_t (0 before day L).
    sigma, mu, safe: [P, J] annualised window statistics of the candidate sleeve and safe rate.
    v_new: [P, J, N] sleeve weights set on each rebalance day.
    v_pre: [P, J, N] drifted sleeve weights carried into each rebalance day (0 on day L).
    fallbacks: [P] rebalances where max-Sharpe fell back to min-volatility.
    """

    returns: np.ndarray
    sigma: np.ndarray
    mu: np.ndarray
    safe: np.ndarray
    v_new: np.ndarray
    v_pre: np.ndarray
    fallbacks: np.ndarray


def _optimizer(
    name: str,
) -> Callable[[np.ndarray, np.ndarray, float, list[str]], tuple[np.ndarray, bool]]:
    """``fn(window, annualised covariance, risk-free rate, names) -> (weights, fell_back)``."""
    if name == "hrp":
        from quant.optimizers.hrp import hierarchical_risk_parity

        def run_hrp(
            x: np.ndarray, cov: np.ndarray, rf: float, names: list[str]
        ) -> tuple[np.ndarray, bool]:
            return hierarchical_risk_parity(pd.DataFrame(x, columns=names)).to_numpy(
                dtype=float
            ), False

        return run_hrp
    if name == "risk_parity":
        from quant.optimizers.risk_budgeting import risk_parity

        def run_rp(
            x: np.ndarray, cov: np.ndarray, rf: float, names: list[str]
        ) -> tuple[np.ndarray, bool]:
            frame = pd.DataFrame(cov, index=names, columns=names)
            return risk_parity(frame).to_numpy(dtype=float), False

        return run_rp
    if name in ("min_volatility", "max_sharpe"):
        from quant.optimizers.mean_variance import max_sharpe, min_volatility

        def run_minvol(
            x: np.ndarray, cov: np.ndarray, rf: float, names: list[str]
        ) -> tuple[np.ndarray, bool]:
            frame = pd.DataFrame(cov, index=names, columns=names)
            return np.asarray(min_volatility(frame), dtype=float).reshape(-1), False

        if name == "min_volatility":
            return run_minvol

        def run_ms(
            x: np.ndarray, cov: np.ndarray, rf: float, names: list[str]
        ) -> tuple[np.ndarray, bool]:
            frame = pd.DataFrame(cov, index=names, columns=names)
            mu = pd.Series(x.mean(axis=0) * PERIODS_PER_YEAR, index=names)
            if not (mu.to_numpy() > rf).any():
                return run_minvol(x, cov, rf, names)[0], True
            try:
                weights = max_sharpe(mu, frame, risk_free_rate=rf)
            except ConstraintError:
                return run_minvol(x, cov, rf, names)[0], True
            return np.asarray(weights, dtype=float).reshape(-1), False

        return run_ms
    raise ConstraintError(
        f"sleeve={name!r} is not an optimizer sleeve; use one of {OPTIMIZER_SLEEVES}"
    )


def build_schedule(
    assets: np.ndarray,
    safe: np.ndarray,
    optimizer: str,
    lookback: int,
    rebalance_every: int,
    names: Sequence[str],
) -> SleeveSchedule:
    """Build the sleeve of `optimizer` for (lookback, rebalance_every) on every path.

    `assets` is [P, T, N] daily simple returns; `safe` is [P or 1, T] daily safe returns.
    Raises the optimizer's QuantError, prefixed with the path and day, if it fails on a window.
    """
    P, T, N = assets.shape
    L, k = lookback, rebalance_every
    J = (T - L - 1) // k + 1
    run = _optimizer(optimizer)
    labels = list(names)
    out = SleeveSchedule(
        returns=np.zeros((P, T)),
        sigma=np.empty((P, J)),
        mu=np.empty((P, J)),
        safe=np.empty((P, J)),
        v_new=np.empty((P, J, N)),
        v_pre=np.zeros((P, J, N)),
        fallbacks=np.zeros(P, dtype=np.int64),
    )
    for p in range(P):
        r = assets[p]
        s = safe[p] if safe.shape[0] > 1 else safe[0]
        v = np.zeros(N)
        j = 0
        for t in range(L, T):
            if t == L + j * k and j < J:
                window = r[t - L : t]
                cov = np.cov(window, rowvar=False, ddof=1) * PERIODS_PER_YEAR
                rf = float(np.mean(s[t - L : t]) * PERIODS_PER_YEAR)
                try:
                    weights, fell_back = run(window, cov, rf, labels)
                except QuantError as exc:
                    raise type(exc)(
                        f"sleeve {optimizer!r} (lookback={L}) failed on path {p}, day {t}: {exc}"
                    ) from exc
                if not np.all(np.isfinite(weights)):
                    raise ConstraintError(
                        f"sleeve {optimizer!r} returned non-finite weights on path {p}, day {t}"
                    )
                out.fallbacks[p] += int(fell_back)
                out.v_pre[p, j] = v if j > 0 else 0.0
                v = weights.copy()
                out.v_new[p, j] = v
                candidate = window @ v
                sigma = float(np.std(candidate, ddof=1) * np.sqrt(PERIODS_PER_YEAR))
                out.sigma[p, j] = max(sigma, SIGMA_FLOOR)
                out.mu[p, j] = float(np.mean(candidate) * PERIODS_PER_YEAR)
                out.safe[p, j] = rf
                j += 1
            rt = float(r[t] @ v)
            out.returns[p, t] = rt
            den = 1.0 + rt
            if den != 0.0:
                v = v * (1.0 + r[t]) / den
    return out
