"""Inverse-volatility weights (`quant.inverse_volatility`): equal to skfolio's
`InverseVolatility` without bounds; within bounds, the capped proportional allocation checked
against its definition (every weight within its bounds, the weights summing to 1, and the
assets at neither bound in the 1 / volatility proportion to one another, every asset at a cap
one that proportion would give more, and every one at a floor one it would give less)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import quant
from quant.errors import ConstraintError, CovarianceError
from quant.synthetic import factor_model_returns


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10_000))
def test_equals_skfolio_without_bounds(n: int, seed: int) -> None:
    from skfolio.optimization import InverseVolatility

    returns = factor_model_returns(n_assets=n, n_days=300, seed=seed)
    got = quant.inverse_volatility(returns.cov())
    reference = InverseVolatility().fit(returns.to_numpy()).weights_
    np.testing.assert_allclose(got.to_numpy(), reference, rtol=1e-10, atol=1e-14)
    assert list(got.index) == list(returns.columns)


@settings(max_examples=150, deadline=None)
@given(
    vols=arrays(float, st.integers(2, 15), elements=st.floats(0.01, 2.0)),
    cap=st.floats(0.0, 1.0),
    floor=st.floats(0.0, 1.0),
)
def test_within_bounds_it_is_the_capped_proportional_allocation(
    vols: np.ndarray, cap: float, floor: float
) -> None:
    n = len(vols)
    hi = 1.0 / n + cap * (1.0 - 1.0 / n)  # from 1/n (the tightest feasible cap) to 1
    lo = floor / n  # from 0 to 1/n
    cov = pd.DataFrame(np.diag(vols**2), index=[f"a{i}" for i in range(n)])
    cov.columns = cov.index
    w = quant.inverse_volatility(cov, bounds=(lo, hi)).to_numpy()
    tol = 1e-9
    assert abs(w.sum() - 1.0) <= 1e-12
    assert (w >= lo - tol).all() and (w <= hi + tol).all()
    share = w * vols  # proportional to 1/vol: equal shares w_i * vol_i among the free assets
    free = (w > lo + tol) & (w < hi - tol)
    note(f"weights {w}, bounds {lo} to {hi}")
    if free.sum() >= 2:
        np.testing.assert_allclose(share[free], share[free][0], rtol=1e-7)
    if free.any():
        level = share[free][0]
        # a capped asset wanted more (hi < t / vol: share below t), a floored one less
        assert (share[w >= hi - tol] <= level * (1 + 1e-7)).all()
        assert (share[w <= lo + tol] >= level * (1 - 1e-7)).all()


def test_a_cap_spreads_its_excess_in_proportion() -> None:
    cov = pd.DataFrame(np.diag([0.1, 0.2, 0.4]) ** 2, index=list("abc"), columns=list("abc"))
    w = quant.inverse_volatility(cov, bounds=(0.0, 0.5))
    # unbounded: 1/0.1 : 1/0.2 : 1/0.4 = 4 : 2 : 1 -> 4/7 > 0.5; the rest 0.5 split 2 : 1
    np.testing.assert_allclose(w.to_numpy(), [0.5, 1 / 3, 1 / 6], rtol=1e-12)


def test_a_flat_asset_and_infeasible_bounds_are_refused() -> None:
    cov = pd.DataFrame(np.diag([0.04, 0.0]), index=["a", "b"], columns=["a", "b"])
    with pytest.raises(CovarianceError, match="asset b has zero variance"):
        quant.inverse_volatility(cov)
    cov = pd.DataFrame(np.diag([0.04, 0.09]), index=["a", "b"], columns=["a", "b"])
    with pytest.raises(ConstraintError, match="cannot sum to 1"):
        quant.inverse_volatility(cov, bounds=(0.0, 0.4))
