"""Compile the numeric core's kernels into their on-disk cache ahead of first use
(`python -m quant.warm_kernels`; `make bytecode` runs it, so `make optimize` and the test suite
start warm).

Each kind of engine run (single series with every built-in weight rule, each optimizer sleeve,
each option hedge) and its day-by-day record (`EngineResult.series`, as an explanation and a
deployment replay it), the option pricing and implied-volatility kernels, the importance forest's
tree builder, the strategy model's trees and the bull and bear market rule run once on small
random inputs, in one process: every later process, and every worker of a process pool, loads
the machine code from the cache (`quant.compiled`) instead of compiling it again. With the cache
current it takes the time of the imports. Nothing it computes is kept.
"""

from __future__ import annotations

import time

import numpy as np

from quant.engine import evaluate
from quant.extra_trees import warm_up as warm_up_extra_trees
from quant.forest import fit_forest
from quant.market_phase import market_phase
from quant.options import ImpliedVolModel, black_scholes, implied_volatility
from quant.strategy import (
    HedgeKind,
    SleeveName,
    StrategyConfig,
    registered_weight_functions,
)

_SLEEVES: tuple[SleeveName, ...] = ("hrp", "risk_parity", "min_volatility", "max_sharpe")
_HEDGES: tuple[HedgeKind, ...] = ("put", "put_spread", "collar")


def warm_kernels() -> float:
    """Run every kernel once (see the module docstring); returns the seconds it took."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    assets = rng.normal(0.0004, 0.01, (2, 300, 4))  # paths x days x assets
    single = assets.mean(axis=2)
    rules = [
        StrategyConfig(weight_function=name, lookback=21, rebalance_every=5)
        for name in registered_weight_functions()
    ]
    evaluate(rules, single, 0.02).series(0)
    evaluate(rules[:1], single[0], 0.02)
    for sleeve in _SLEEVES:
        sleeved = [StrategyConfig(sleeve=sleeve, lookback=63, rebalance_every=21)]
        evaluate(sleeved, assets, 0.02).series(0)
    hedged = [
        StrategyConfig(
            overlay=kind,
            lookback=21,
            rebalance_every=5,
            overlay_strike=0.9,
            overlay_lower_strike=0.8,
            overlay_call_strike=1.1,
        )
        for kind in _HEDGES
    ]
    evaluate(hedged, single, 0.02, vol_model=ImpliedVolModel()).series(0)
    spot = np.full(3, 100.0)
    strike = np.array([90.0, 100.0, 110.0])
    values = black_scholes("put", spot, strike, 0.25, 0.02, 0.2)
    implied_volatility("put", values.price, spot, strike, 0.25, 0.02)
    fit_forest(rng.normal(size=(40, 3)), rng.normal(size=40), n_trees=2, max_depth=8, seed=0)
    warm_up_extra_trees()
    market_phase(rng.normal(0.0, 0.1, 60))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"numeric kernels compiled and cached in {warm_kernels():.1f} s")
