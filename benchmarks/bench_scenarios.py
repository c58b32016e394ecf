"""Scenario generation speed: block bootstrap and GBM on the embedded S&P 500 data.

Work: 20 assets x 1,000 paths x 252 days x 5 scenarios = 25.2 million asset-path-days per call of
`generate_scenarios` (regime identification included). Everything runs single-threaded (BLAS
limited to one thread), so throughput is per core. Rows:

- against the target of 50 million asset-path-days/s for the block bootstrap: `peer_ms` is the
  time the target allows for the same work, so a ratio >= 1 means the target is met;
- against a plain numpy fill of the same number of N(0, 1) draws (PCG64 `standard_normal`), the
  floor of any Monte Carlo that draws one normal per asset-path-day;
- GBM against a plain numpy GBM (`Generator.multivariate_normal` per scenario, then `expm1`) on the
  same calibration, comparing the annualised volatility of the equal-weight base scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from benchmarks.harness import Row, Table, median_time
from quant.data import load_sp500_index, load_sp500_prices, to_returns
from quant.regime_names import REGIME_NAMES
from quant.regimes import identify_regimes
from quant.scenarios import generate_scenarios

N_PATHS = 1000
HORIZON = 252
TARGET_PER_SECOND = 50e6


def _plain_gbm(returns: pd.DataFrame, market: pd.Series, seed: int) -> dict[str, np.ndarray]:
    """Reference GBM: numpy's multivariate_normal on each regime's log-return moments."""
    regimes = identify_regimes(returns, market=market)
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name in REGIME_NAMES:
        logs = np.log1p(returns.to_numpy()[regimes[name].to_numpy()])
        draws = rng.multivariate_normal(
            logs.mean(axis=0), np.cov(logs, rowvar=False), size=(N_PATHS, HORIZON)
        )
        out[name] = np.expm1(draws)
    return out


def _equal_weight_vol(paths: np.ndarray) -> float:
    return float(paths.mean(axis=2).std(ddof=1) * np.sqrt(252))


def run(table: Table) -> None:
    """Time block bootstrap and GBM scenario generation and add the rows to `table`."""
    returns = to_returns(load_sp500_prices())
    market = to_returns(load_sp500_index()).iloc[:, 0]
    n_assets = returns.shape[1]
    work = N_PATHS * HORIZON * n_assets * len(REGIME_NAMES)
    size = f"{n_assets} assets x {N_PATHS} paths x {HORIZON} d x {len(REGIME_NAMES)} scenarios"

    with threadpool_limits(1):
        bootstrap_s = median_time(lambda: generate_scenarios(returns, market=market), repeat=7)
        gbm_s = median_time(
            lambda: generate_scenarios(returns, method="gbm", market=market), repeat=7
        )
        fill = np.empty((len(REGIME_NAMES), N_PATHS * HORIZON, n_assets))
        rng = np.random.default_rng(0)
        normal_s = median_time(lambda: rng.standard_normal(out=fill), repeat=7)
        plain_s = median_time(lambda: _plain_gbm(returns, market, 0), repeat=3)

    def rate(seconds: float) -> str:
        return f"{work / seconds / 1e6:.0f} M asset-path-days/s per core"

    target_ms = work / TARGET_PER_SECOND * 1e3
    table.add(
        Row(
            "scenarios: block bootstrap",
            size,
            "target 50 M asset-path-days/s",
            bootstrap_s * 1e3,
            target_ms,
            f"ours {rate(bootstrap_s)}",
            target=1.0,
        )
    )
    table.add(
        Row(
            "scenarios: block bootstrap",
            size,
            "numpy standard_normal fill (same count)",
            bootstrap_s * 1e3,
            normal_s * 1e3,
            f"ours {rate(bootstrap_s)}; fill {rate(normal_s)}",
        )
    )
    table.add(
        Row(
            "scenarios: gbm",
            size,
            "numpy standard_normal fill (same count)",
            gbm_s * 1e3,
            normal_s * 1e3,
            f"ours {rate(gbm_s)}; fill {rate(normal_s)} (the floor)",
        )
    )
    ours = generate_scenarios(returns, ("base",), method="gbm", market=market)
    plain = _plain_gbm(returns, market, 0)
    table.add(
        Row(
            "scenarios: gbm",
            size,
            "numpy multivariate_normal GBM",
            gbm_s * 1e3,
            plain_s * 1e3,
            f"ours {rate(gbm_s)}; base equal-weight vol ours {_equal_weight_vol(ours.paths['base']):.4f}"
            f" vs plain {_equal_weight_vol(plain['base']):.4f}",
        )
    )


if __name__ == "__main__":
    results = Table()
    run(results)
    print(results.markdown())
