"""Benchmark: equal-risk-contribution portfolios against Riskfolio-Lib, skfolio and cvxpy+CLARABEL.

For each N the covariance is the annualised sample covariance of `factor_model_returns(1000, N,
seed=N)`. Timed calls:

- ours: `quant.optimizers.risk_budgeting.risk_parity(cov)` (validation, PSD check and solve);
- Riskfolio-Lib: `Portfolio.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)`
  after `assets_stats` has been run once (outside the timing);
- skfolio: `RiskBudgeting(risk_measure=RiskMeasure.VARIANCE).fit(returns)` (its fit also estimates
  the sample covariance, a few ms of its time);
- cvxpy + CLARABEL (default tolerances) on the same log-barrier problem as ours, an extra row.

The difference column gives each side's largest relative risk-contribution error
max_i |RC_i - 1/N| * N on the same sample covariance, and the largest weight difference.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from benchmarks.harness import Row, Table, median_time
from quant.estimators import sample_covariance
from quant.optimizers.risk_budgeting import risk_parity
from quant.synthetic import factor_model_returns

TARGET = 25.0
"""Required speed-up over Riskfolio-Lib and skfolio at the largest size."""


def _rc_error(cov: np.ndarray, weights: np.ndarray) -> float:
    marginal = cov @ weights
    contributions = weights * marginal / float(weights @ marginal)
    return float(np.max(np.abs(contributions * len(weights) - 1.0)))


def _riskfolio(returns: pd.DataFrame) -> Callable[[], np.ndarray]:
    import riskfolio

    port = riskfolio.Portfolio(returns=returns)
    port.assets_stats(method_mu="hist", method_cov="hist")

    def solve() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)
        return np.asarray(frame.iloc[:, 0].reindex(returns.columns), dtype=float)

    return solve


def _skfolio(returns: pd.DataFrame) -> Callable[[], np.ndarray]:
    from skfolio import RiskMeasure
    from skfolio.optimization import RiskBudgeting

    values = returns.to_numpy()

    def solve() -> np.ndarray:
        model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)
        model.fit(values)
        return np.asarray(model.weights_, dtype=float)

    return solve


def _cvxpy(cov: np.ndarray) -> Callable[[], np.ndarray]:
    import cvxpy as cp

    n = cov.shape[0]
    budgets = np.full(n, 1.0 / n)

    def solve() -> np.ndarray:
        vols = np.sqrt(np.diag(cov))
        factor = np.linalg.cholesky(cov / np.outer(vols, vols))
        x = cp.Variable(n, pos=True)
        objective = 0.5 * cp.sum_squares(factor.T @ x) - budgets @ cp.log(x)
        cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL)
        value = np.asarray(x.value, dtype=float) / vols
        return value / value.sum()

    return solve


def run(
    table: Table, *, sizes: tuple[int, ...] = (20, 100, 500), blas_threads: int | None = 1
) -> None:
    """Time risk parity at each size against the peers and add one Row per peer to `table`.

    `blas_threads` caps the BLAS thread pools (threadpoolctl) for every contender alike; on this
    shared 2-core machine multi-threaded OpenBLAS slows a 500x500 factorisation tenfold when the
    other core is busy. ``None`` leaves the pools alone. Our time is measured right before each
    peer's, so both see the same machine load.
    """
    with threadpool_limits(limits=blas_threads):
        for n in sizes:
            _run_size(table, n, largest=max(sizes))


def _run_size(table: Table, n: int, *, largest: int) -> None:
    returns = factor_model_returns(1000, n, seed=n)
    cov_frame = sample_covariance(returns)
    cov = cov_frame.to_numpy()
    ours_weights = risk_parity(cov_frame).to_numpy()
    ours_err = _rc_error(cov, ours_weights)

    def ours() -> pd.Series:
        return risk_parity(cov_frame)

    peers: list[tuple[str, Callable[[], np.ndarray], bool]] = [
        ("Riskfolio-Lib", _riskfolio(returns), True),
        ("skfolio", _skfolio(returns), True),
        ("cvxpy+CLARABEL", _cvxpy(cov), False),
    ]
    for name, solve, targeted in peers:
        peer_weights = solve()
        ours_ms = median_time(ours, repeat=15) * 1e3
        peer_ms = median_time(solve, repeat=5) * 1e3
        difference = (
            f"RC err ours {ours_err:.0e} / peer {_rc_error(cov, peer_weights):.0e}; "
            f"max |dw| {np.max(np.abs(peer_weights - ours_weights)):.1e}"
        )
        table.add(
            Row(
                task="risk parity",
                size=f"N={n}",
                peer=name,
                ours_ms=ours_ms,
                peer_ms=peer_ms,
                difference=difference,
                target=TARGET if targeted and n == largest else None,
            )
        )


if __name__ == "__main__":
    results = Table()
    run(results)
    print()
    print(results.markdown())
