"""Long-only, fully invested mean-variance portfolios solved with cvxpy, as references for the
chat's targeted builds: the moments are the daily returns' mean x 252 and sample covariance
(ddof 1) x 252, as the optimizer estimates them."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd


def moments(returns: pd.DataFrame, stocks: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Annualised mean and covariance of `stocks`' daily returns."""
    held = returns[stocks].to_numpy()
    return held.mean(axis=0) * 252, np.cov(held, rowvar=False, ddof=1) * 252


def _solved(stocks: list[str], problem: cp.Problem, w: cp.Variable) -> dict[str, float]:
    problem.solve()
    return dict(zip(stocks, np.asarray(w.value, dtype=float), strict=True))


def efficient_risk(returns: pd.DataFrame, stocks: list[str], target: float) -> dict[str, float]:
    """The weights of the highest mean with volatility <= `target` (annualised fraction)."""
    mu, cov = moments(returns, stocks)
    w = cp.Variable(len(stocks))
    constraints = [cp.quad_form(w, cov) <= target**2, cp.sum(w) == 1, w >= 0]
    return _solved(stocks, cp.Problem(cp.Maximize(mu @ w), constraints), w)


def efficient_return(returns: pd.DataFrame, stocks: list[str], target: float) -> dict[str, float]:
    """The weights of the lowest variance with mean >= `target` (annualised fraction)."""
    mu, cov = moments(returns, stocks)
    w = cp.Variable(len(stocks))
    constraints = [mu @ w >= target, cp.sum(w) == 1, w >= 0]
    return _solved(stocks, cp.Problem(cp.Minimize(cp.quad_form(w, cov)), constraints), w)


def frontier_ends(returns: pd.DataFrame, stocks: list[str]) -> tuple[float, float, float, float]:
    """The min-variance portfolio's return and volatility, then the best stock's (the ends of
    the long-only efficient frontier), annualised fractions."""
    mu, cov = moments(returns, stocks)
    w = cp.Variable(len(stocks))
    cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1, w >= 0]).solve()
    low = np.asarray(w.value, dtype=float)
    best = int(np.argmax(mu))
    return (
        float(mu @ low),
        float(np.sqrt(low @ cov @ low)),
        float(mu[best]),
        float(np.sqrt(cov[best, best])),
    )
