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
        problem = _Problem(n)
        _min_volatility_rows(table, problem)
        _max_sharpe_rows(table, problem)
        if n == 100:
            _frontier_rows(table, problem)


class _Problem:
    """One N: seeded factor-model returns (1000 days x N), their mean and sample covariance."""

    def __init__(self, n: int) -> None:
        self.returns = factor_model_returns(1000, n, seed=n)
        self.mu, self.cov = mean_returns(self.returns), sample_covariance(self.returns)
        self.sigma, self.m = self.cov.to_numpy(), self.mu.to_numpy()
        self.size = f"N={n}"
        self.target = TARGET_RATIO if n == 500 else None


def _add_timed(
    table: Table,
    task: str,
    problem: _Problem,
    peer: str,
    timed: tuple[Callable[[], object], Callable[[], object]],
    difference: str,
    target: float | None = None,
) -> None:
    """Time ours and the peer (`timed`, in that order: median of 7 and of 5 runs) and add
    their row."""
    ours_ms = median_time(timed[0], repeat=7) * 1e3
    peer_ms = median_time(timed[1], repeat=5) * 1e3
    table.add(Row(task, problem.size, peer, ours_ms, peer_ms, difference, target))


def _add_pypfopt(
    table: Table,
    task: str,
    problem: _Problem,
    ours_ms: float,
    method: str,
    difference: Callable[[np.ndarray], str],
    *,
    args: tuple[float, ...] = (),
    failed: str = "",
) -> None:
    """Time PyPortfolioOpt's `method` (with `args`) and add its row: the `difference` of its
    weights, or that it failed (its time is then the time to fail), with the note `failed`."""

    def peer() -> np.ndarray:
        return _pypfopt(method, problem.mu, problem.cov, *args)

    peer_ms, error = _timed_or_failure(peer)
    diff = (
        f"peer failed ({type(error).__name__}){failed}" if error is not None else difference(peer())
    )
    table.add(Row(task, problem.size, "PyPortfolioOpt (OSQP)", ours_ms, peer_ms, diff))


def _min_volatility_rows(table: Table, problem: _Problem) -> None:
    returns, cov, sigma = problem.returns, problem.cov, problem.sigma
    ours_var = _variance(min_volatility(cov).to_numpy(), sigma)

    def variance_excess(peer_w: np.ndarray) -> str:
        return _rel(ours_var, _variance(peer_w, sigma), lower_is_better=True, peer_w=peer_w)

    peer_w = _skfolio_min_vol(returns)
    _add_timed(
        table, "min-volatility", problem, "skfolio MeanRisk (ours incl. covariance estimation)",
        (lambda: min_volatility(sample_covariance(returns)), lambda: _skfolio_min_vol(returns)),
        variance_excess(peer_w), problem.target,
    )  # fmt: skip
    ours_ms = median_time(lambda: min_volatility(cov), repeat=7) * 1e3
    peer_w = _cvxpy_min_vol(cov)
    peer_ms = median_time(lambda: _cvxpy_min_vol(cov), repeat=5) * 1e3
    table.add(
        Row("min-volatility", problem.size, "cvxpy + CLARABEL", ours_ms, peer_ms,
            variance_excess(peer_w))
    )  # fmt: skip
    _add_pypfopt(table, "min-volatility", problem, ours_ms, "min_volatility", variance_excess)


def _max_sharpe_rows(table: Table, problem: _Problem) -> None:
    returns, mu, cov, m, sigma = problem.returns, problem.mu, problem.cov, problem.m, problem.sigma
    ours_s = _sharpe(max_sharpe(mu, cov).to_numpy(), m, sigma)

    def sharpe_shortfall(peer_w: np.ndarray) -> str:
        return _rel(ours_s, _sharpe(peer_w, m, sigma), lower_is_better=False, peer_w=peer_w)

    peer_w = _skfolio_max_sharpe(returns)
    _add_timed(
        table, "max-Sharpe", problem, "skfolio MeanRisk (ours incl. estimation)",
        (lambda: max_sharpe(mean_returns(returns), sample_covariance(returns)),
         lambda: _skfolio_max_sharpe(returns)),
        sharpe_shortfall(peer_w), problem.target,
    )  # fmt: skip
    ours_ms = median_time(lambda: max_sharpe(mu, cov), repeat=7) * 1e3
    _add_pypfopt(
        table, "max-Sharpe", problem, ours_ms, "max_sharpe", sharpe_shortfall, args=(0.0,),
        failed="; peer time is time to fail",
    )  # fmt: skip


def _frontier_rows(table: Table, problem: _Problem) -> None:
    returns, mu, cov = problem.returns, problem.mu, problem.cov
    task = f"frontier ({FRONTIER_POINTS} points)"
    ours_frame = efficient_frontier(mu, cov, points=FRONTIER_POINTS)
    peer_frontier = _skfolio_frontier(returns)
    _add_timed(
        table, task, problem, "skfolio MeanRisk (ours incl. estimation)",
        (lambda: efficient_frontier(mean_returns(returns), sample_covariance(returns),
                                    points=FRONTIER_POINTS),
         lambda: _skfolio_frontier(returns)),
        _frontier_difference(ours_frame, peer_frontier, mu, cov), TARGET_RATIO,
    )  # fmt: skip
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
        Row(task, problem.size, f"PyPortfolioOpt efficient_return x{FRONTIER_POINTS}", ours_ms,
            peer_ms, diff)
    )  # fmt: skip


if __name__ == "__main__":
    results = Table()
    run(results)
    print()
    print(results.markdown())
