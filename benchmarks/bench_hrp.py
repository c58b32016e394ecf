"""Benchmark: Hierarchical Risk Parity against PyPortfolioOpt, Riskfolio-Lib and skfolio.

For each N, 1000 days x N assets of seeded factor-model returns. Every peer is run with settings
aligned to ours (Pearson distance, sample covariance, single linkage, the same leaf ordering), so
the weights should agree to rounding; the difference column reports max abs(w_ours - w_peer).
Target: >= 25x faster than PyPortfolioOpt at N=500.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from benchmarks.harness import Row, Table, median_time
from quant.optimizers.hrp import hierarchical_risk_parity
from quant.synthetic import factor_model_returns

TASK = "HRP"
TARGET_N = 500
TARGET_RATIO = 25.0


def _pypfopt(returns: pd.DataFrame) -> pd.Series:
    from pypfopt import HRPOpt

    return pd.Series(dict(HRPOpt(returns).optimize("single"))).reindex(returns.columns)


def _riskfolio(returns: pd.DataFrame, leaf_order: bool) -> pd.Series:
    import riskfolio as rp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        port = rp.HCPortfolio(returns=returns)
        weights = port.optimization(
            model="HRP", codependence="pearson", rm="MV", linkage="single", leaf_order=leaf_order
        )
    return weights["weights"].reindex(returns.columns)


def _skfolio(returns: pd.DataFrame, optimal_ordering: bool) -> pd.Series:
    from skfolio.cluster import HierarchicalClustering, LinkageMethod
    from skfolio.distance import PearsonDistance
    from skfolio.optimization import HierarchicalRiskParity
    from skfolio.seriation import HierarchicalSeriation

    model = HierarchicalRiskParity(
        distance_estimator=PearsonDistance(),
        seriation_estimator=HierarchicalSeriation(
            hierarchical_clustering_estimator=HierarchicalClustering(
                linkage_method=LinkageMethod.SINGLE
            ),
            optimal_ordering=optimal_ordering,
        ),
    )
    model.fit(returns)
    return pd.Series(model.weights_, index=returns.columns)


def _difference(ours: pd.Series, peer: pd.Series) -> str:
    return f"max abs(dw) {float(np.abs(ours.to_numpy() - peer.to_numpy()).max()):.1e}"


def run(table: Table, *, sizes: tuple[int, ...] = (20, 100, 500)) -> None:
    """Time our HRP and the peers' on 1000 days x N assets for each N in `sizes`; add Rows."""
    for n in sizes:
        returns = factor_model_returns(1000, n, seed=n)
        size = f"N={n}"
        ours_default = hierarchical_risk_parity(returns)
        ours_optimal = hierarchical_risk_parity(returns, optimal_ordering=True)
        peers: list[tuple[str, Callable[[pd.DataFrame], pd.Series], bool, float | None]] = [
            (
                "PyPortfolioOpt (single)",
                _pypfopt,
                False,
                TARGET_RATIO if n == TARGET_N else None,
            ),
            (
                "Riskfolio-Lib (single, leaf_order=False)",
                lambda r: _riskfolio(r, False),
                False,
                None,
            ),
            (
                "Riskfolio-Lib (single, leaf_order=True)",
                lambda r: _riskfolio(r, True),
                True,
                None,
            ),
            (
                "skfolio (single, optimal_ordering=False)",
                lambda r: _skfolio(r, False),
                False,
                None,
            ),
            (
                "skfolio (single, optimal_ordering=True)",
                lambda r: _skfolio(r, True),
                True,
                None,
            ),
        ]
        for name, fn, optimal, target in peers:
            peer_weights = fn(returns)
            # Ours is timed right before each peer: the machine is shared, so side by side.
            ours_ms = (
                median_time(
                    partial(hierarchical_risk_parity, returns, optimal_ordering=optimal), repeat=21
                )
                * 1e3
            )
            peer_ms = median_time(partial(fn, returns), repeat=5) * 1e3
            ours = ours_optimal if optimal else ours_default
            label = f"{name}; ours optimal_ordering={optimal}"
            table.add(
                Row(
                    task=TASK,
                    size=size,
                    peer=label,
                    ours_ms=ours_ms,
                    peer_ms=peer_ms,
                    difference=_difference(ours, peer_weights),
                    target=target,
                )
            )


if __name__ == "__main__":
    result = Table()
    run(result)
    print()
    print(result.markdown())
