"""The kernels see one type per input however a caller holds its arrays: a read-only array (a
pandas column's `to_numpy()`, a buffer's `np.frombuffer`), a Fortran-ordered one or a full-shaped
option input reaches them as the writable C-contiguous float64 that `quant.warm_kernels`
compiles ahead of use, so no process compiles a kernel a second time for how its caller stored
the numbers (numba compiles a kernel once per type of its arguments: 1-4 s each)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.compiled import kernels
from quant.engine import evaluate
from quant.engine.inputs import prepare_inputs
from quant.options import ImpliedVolModel, black_scholes, implied_volatility
from quant.options.pricing import checked_inputs
from quant.strategy import StrategyConfig

DAYS = 300

SINGLE = [StrategyConfig(weight_function="inverse_vol", lookback=21, rebalance_every=5)]
HEDGED = [
    StrategyConfig(overlay="put", lookback=21, rebalance_every=5, overlay_strike=0.9),
]
SLEEVE = [StrategyConfig(sleeve="risk_parity", lookback=63, rebalance_every=21)]


def _types() -> dict[str, tuple[str, ...]]:
    """Each kernel of this process with the argument types it has been compiled or loaded for."""
    return {
        f"{k.py_func.__module__}.{k.py_func.__qualname__}": tuple(sorted(map(str, k.signatures)))
        for k in kernels()
    }


def _as_kernels_take_them(*arrays: np.ndarray | None) -> bool:
    """Whether every array is writable C-contiguous (float64, or bool for the option kinds)."""
    return all(
        a.flags.writeable and a.flags.c_contiguous and a.dtype in (np.float64, np.bool_)
        for a in arrays
        if a is not None
    )


def _read_only(values: np.ndarray) -> np.ndarray:
    view = values.view()
    view.flags.writeable = False
    return view


HOLDINGS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "read-only": _read_only,
    "buffer": lambda a: np.frombuffer(a.tobytes(), dtype=np.float64).reshape(a.shape),
    "fortran": np.asfortranarray,
    "pandas": lambda a: pd.DataFrame(a.reshape(a.shape[0], -1)).to_numpy().reshape(a.shape),
}
"""Ways a caller may hold the same numbers, each a type of its own to numba."""


def _engine_runs(single: np.ndarray, assets: np.ndarray, safe: np.ndarray) -> list[pd.DataFrame]:
    """The metrics of a single-series, a hedged and a sleeve run on these inputs."""
    return [
        evaluate(SINGLE, single, safe).to_frame(),
        evaluate(HEDGED, single, safe, vol_model=ImpliedVolModel()).to_frame(),
        evaluate(SLEEVE, assets, safe).to_frame(),
    ]


@pytest.mark.parametrize("holding", sorted(HOLDINGS))
def test_however_returns_are_held_the_engine_s_kernels_see_the_warm_up_s_types(
    holding: str,
) -> None:
    rng = np.random.default_rng(7)
    assets = rng.normal(0.0004, 0.01, (2, DAYS, 3))
    single = assets.mean(axis=2)
    safe = np.full(DAYS, 0.0001)
    held = HOLDINGS[holding]
    for configs, risky in ((SINGLE, single), (HEDGED, single), (SLEEVE, assets)):
        given = prepare_inputs(configs, held(risky), held(safe))  # what the kernels are given
        assert _as_kernels_take_them(given.risky, given.assets, given.safe)
    expected = _engine_runs(single, assets, safe)
    types = _types()  # after a run of the warm-up's types: the held run compiles no other
    again = _engine_runs(held(single), held(assets), held(safe))
    assert _types() == types
    for first, second in zip(expected, again, strict=True):
        pd.testing.assert_frame_equal(first, second)


@settings(max_examples=20, deadline=None)
@given(holding=st.sampled_from(sorted(HOLDINGS)), n=st.integers(1, 6))
def test_however_option_inputs_are_held_the_pricing_kernels_see_one_type(
    holding: str, n: int
) -> None:
    spot = np.full(n, 100.0)
    strike = np.linspace(80.0, 120.0, n)
    held = HOLDINGS[holding]
    _, is_call, flat = checked_inputs(
        "put", held(spot), held(strike), 0.25, 0.02, 0.0, "volatility", held(np.full(n, 0.2))
    )
    assert _as_kernels_take_them(is_call, *flat)
    prices = black_scholes("put", spot, strike, 0.25, 0.02, 0.2).price  # the warm-up's call
    implied_volatility("put", prices, spot, strike, 0.25, 0.02)
    black_scholes("call", 100.0, 100.0, 0.5, 0.01, 0.3)  # every input a scalar
    types = _types()
    again = black_scholes("put", held(spot), held(strike), 0.25, 0.02, held(np.full(n, 0.2)))
    implied_volatility("put", held(prices), held(spot), strike, held(np.full(n, 0.25)), 0.02)
    assert _types() == types
    np.testing.assert_array_equal(again.price, prices)
