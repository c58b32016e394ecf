"""Benchmark: long-only mean-variance (min-volatility, max-Sharpe, a 20-point frontier) against
skfolio, cvxpy + CLARABEL and PyPortfolioOpt.

For each N, mu = mean_returns and cov = sample_covariance of 1000 days x N assets of seeded
factor-model returns; bounds (0, 1). skfolio's `MeanRisk` fits on the returns (estimating its own
mean and covariance), so against skfolio our time includes `mean_returns` + `sample_covariance`;
against cvxpy and PyPortfolioOpt, which take mu and cov, it does not. Objectives are compared on
our annualised mu and cov (max-Sharpe weights are invariant to skfolio's daily scaling). The
difference column gives the peer's objective relative to ours: variance excess for min-volatility
(positive: ours lower, better), Sharpe shortfall for max-Sharpe (positive: ours higher, better).
Targets: >= 5x faster than skfolio at N=500 (min-volatility, max-Sharpe) and for the 20-point
frontier at N=100.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmarks.harness import Row, Table, median_time
from quant.estimators import mean_returns, sample_covariance
from quant.optimizers.mean_variance import (
    efficient_frontier,
    efficient_return,
    max_sharpe,
    min_volatility,
)
from quant.synthetic import factor_model_returns

TARGET_RATIO = 5.0
FRONTIER_POINTS = 20


def _skfolio_min_vol(returns: pd.DataFrame) -> np.ndarray:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    model = MeanRisk(
        objective_function=ObjectiveFunction.MINIMIZE_RISK, risk_measure=RiskMeasure.VARIANCE
    )
    model.fit(returns)
    return np.asarray(model.weights_, dtype=float)


def _skfolio_max_sharpe(returns: pd.DataFrame) -> np.ndarray:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    model = MeanRisk(
        objective_function=ObjectiveFunction.MAXIMIZE_RATIO, risk_measure=RiskMeasure.VARIANCE
    )
    model.fit(returns)
    return np.asarray(model.weights_, dtype=float)


def _skfolio_frontier(returns: pd.DataFrame) -> np.ndarray:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk

    model = MeanRisk(risk_measure=RiskMeasure.VARIANCE, efficient_frontier_size=FRONTIER_POINTS)
    model.fit(returns)
    return np.atleast_2d(np.asarray(model.weights_, dtype=float))


def _cvxpy_min_vol(cov: pd.DataFrame) -> np.ndarray:
    import cvxpy as cp

    n = cov.shape[0]
    w = cp.Variable(n)
    problem = cp.Problem(
        cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov.to_numpy()))),
        [cp.sum(w) == 1, w >= 0, w <= 1],
    )
    problem.solve(solver=cp.CLARABEL)
    return np.asarray(w.value, dtype=float)


def _pypfopt(method: str, mu: pd.Series, cov: pd.DataFrame, *args: float) -> np.ndarray:
    from pypfopt import EfficientFrontier

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frontier = EfficientFrontier(mu, cov)
        weights = getattr(frontier, method)(*args)
    return pd.Series(weights).reindex(mu.index).to_numpy(dtype=float)


def _pypfopt_frontier(
    mu: pd.Series, cov: pd.DataFrame, targets: np.ndarray
) -> tuple[np.ndarray, int]:
    rows, failed = [], 0
    for target in targets:
        try:
            rows.append(_pypfopt("efficient_return", mu, cov, float(target)))
        except Exception:
            failed += 1
            rows.append(np.full(len(mu), np.nan))
    return np.vstack(rows), failed


def _variance(w: np.ndarray, cov: np.ndarray) -> float:
    return float(w @ cov @ w)


def _sharpe(w: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> float:
    return float(mu @ w / np.sqrt(w @ cov @ w))


def _infeasibility(w: np.ndarray) -> float:
    """How far weights are from the long-only budget constraints (0 <= w <= 1, sum 1)."""
    return float(max(-w.min(), w.max() - 1.0, abs(w.sum() - 1.0), 0.0))


def _rel(
    ours: float, peer: float, *, lower_is_better: bool, peer_w: np.ndarray | None = None
) -> str:
    diff = (peer - ours) / abs(ours) if lower_is_better else (ours - peer) / abs(ours)
    if abs(diff) < 1e-12:
        text = "same objective (rel. diff < 1e-12)"
    else:
        verdict = "ours better" if diff > 0 else "ours worse"
        text = f"{verdict} by {abs(diff):.1e} rel."
    if peer_w is not None and _infeasibility(peer_w) > 1e-9:
        text += f" (peer's weights violate the constraints by {_infeasibility(peer_w):.1e})"
    return text


def _timed_or_failure(fn: Callable[[], object]) -> tuple[float, Exception | None]:
    """Median time of fn in ms, or the time to fail and the exception when it raises."""
    start = time.perf_counter()
    try:
        fn()
    except Exception as exc:
        return (time.perf_counter() - start) * 1e3, exc
    return median_time(fn, repeat=5, warmup=0) * 1e3, None


def _frontier_difference(
    ours: pd.DataFrame, peer: np.ndarray, mu: pd.Series, cov: pd.DataFrame
) -> str:
    """Worst relative variance excess of the peer's points over ours at the same return."""
    sigma, m = cov.to_numpy(), mu.to_numpy()
    worst = 0.0
    r_max = float(ours["return"].iloc[-1])
    for w in peer:
        if not np.isfinite(w).all():
            continue
        r = float(m @ w)
        if r > r_max:  # numerically above the top: compare with the top portfolio
            r = r_max
        mine = efficient_return(mu, cov, r).to_numpy()
        worst = max(worst, (_variance(w, sigma) - _variance(mine, sigma)) / _variance(mine, sigma))
    return f"peer's worst point {worst:.1e} rel. variance above ours; ours {len(ours)} points"


def run(table: Table, *, sizes: tuple[int, ...] = (20, 100, 500)) -> None:
    """Time our optimisers and the peers' on 1000 days x N assets for each N; add Rows."""
    for n in sizes:
        _run_size(table, n)


def _run_size(table: Table, n: int) -> None:
    """The rows for one N (a function, so each closure binds this N's data)."""
    returns = factor_model_returns(1000, n, seed=n)
    mu, cov = mean_returns(returns), sample_covariance(returns)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    size = f"N={n}"
    target = TARGET_RATIO if n == 500 else None

    # --- minimum volatility
    ours_w = min_volatility(cov).to_numpy()
    ours_var = _variance(ours_w, sigma)

    def ours_from_returns() -> object:
        return min_volatility(sample_covariance(returns))

    peer_w = _skfolio_min_vol(returns)
    ours_ms = median_time(ours_from_returns, repeat=7) * 1e3
    peer_ms = median_time(lambda: _skfolio_min_vol(returns), repeat=5) * 1e3
    table.add(
        Row(
            "min-volatility",
            size,
            "skfolio MeanRisk (ours incl. covariance estimation)",
            ours_ms,
            peer_ms,
            _rel(ours_var, _variance(peer_w, sigma), lower_is_better=True, peer_w=peer_w),
            target,
        )
    )
    ours_ms = median_time(lambda: min_volatility(cov), repeat=7) * 1e3
    peer_w = _cvxpy_min_vol(cov)
    peer_ms = median_time(lambda: _cvxpy_min_vol(cov), repeat=5) * 1e3
    table.add(
        Row(
            "min-volatility",
            size,
            "cvxpy + CLARABEL",
            ours_ms,
            peer_ms,
            _rel(ours_var, _variance(peer_w, sigma), lower_is_better=True, peer_w=peer_w),
        )
    )
    peer_ms, error = _timed_or_failure(lambda: _pypfopt("min_volatility", mu, cov))
    if error is not None:
        diff = f"peer failed ({type(error).__name__})"
    else:
        peer_w = _pypfopt("min_volatility", mu, cov)
        diff = _rel(ours_var, _variance(peer_w, sigma), lower_is_better=True, peer_w=peer_w)
    table.add(Row("min-volatility", size, "PyPortfolioOpt (OSQP)", ours_ms, peer_ms, diff))

    # --- maximum Sharpe ratio
    ours_s = _sharpe(max_sharpe(mu, cov).to_numpy(), m, sigma)

    def ours_sharpe_from_returns() -> object:
        return max_sharpe(mean_returns(returns), sample_covariance(returns))

    peer_w = _skfolio_max_sharpe(returns)
    ours_ms = median_time(ours_sharpe_from_returns, repeat=7) * 1e3
    peer_ms = median_time(lambda: _skfolio_max_sharpe(returns), repeat=5) * 1e3
    table.add(
        Row(
            "max-Sharpe",
            size,
            "skfolio MeanRisk (ours incl. estimation)",
            ours_ms,
            peer_ms,
            _rel(ours_s, _sharpe(peer_w, m, sigma), lower_is_better=False, peer_w=peer_w),
            target,
        )
    )
    ours_ms = median_time(lambda: max_sharpe(mu, cov), repeat=7) * 1e3
    peer_ms, error = _timed_or_failure(lambda: _pypfopt("max_sharpe", mu, cov, 0.0))
    if error is not None:
        diff = f"peer failed ({type(error).__name__}); peer time is time to fail"
    else:
        peer_w = _pypfopt("max_sharpe", mu, cov, 0.0)
        diff = _rel(ours_s, _sharpe(peer_w, m, sigma), lower_is_better=False, peer_w=peer_w)
    table.add(Row("max-Sharpe", size, "PyPortfolioOpt (OSQP)", ours_ms, peer_ms, diff))

    # --- a 20-point efficient frontier
    if n != 100:
        return
    ours_frame = efficient_frontier(mu, cov, points=FRONTIER_POINTS)

    def ours_frontier_from_returns() -> object:
        return efficient_frontier(
            mean_returns(returns), sample_covariance(returns), points=FRONTIER_POINTS
        )

    peer_frontier = _skfolio_frontier(returns)
    ours_ms = median_time(ours_frontier_from_returns, repeat=7) * 1e3
    peer_ms = median_time(lambda: _skfolio_frontier(returns), repeat=5) * 1e3
    table.add(
        Row(
            "frontier (20 points)",
            size,
            "skfolio MeanRisk (ours incl. estimation)",
            ours_ms,
            peer_ms,
            _frontier_difference(ours_frame, peer_frontier, mu, cov),
            TARGET_RATIO,
        )
    )
    targets = ours_frame["return"].to_numpy()
    ours_ms = (
        median_time(lambda: efficient_frontier(mu, cov, points=FRONTIER_POINTS), repeat=7) * 1e3
    )
    start = time.perf_counter()
    peer_rows, failed = _pypfopt_frontier(mu, cov, targets)
    peer_ms = (time.perf_counter() - start) * 1e3
    diff = _frontier_difference(ours_frame, peer_rows, mu, cov)
    if failed:
        diff = f"peer failed {failed}/{len(targets)} targets; " + diff
    table.add(
        Row(
            "frontier (20 points)",
            size,
            "PyPortfolioOpt efficient_return x20",
            ours_ms,
            peer_ms,
            diff,
        )
    )


if __name__ == "__main__":
    results = Table()
    run(results)
    print()
    print(results.markdown())
