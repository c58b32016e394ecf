"""Risk parity within weight limits (issue 61): the same weights as unconstrained risk parity
when no limit binds, every limit kept, and the same solution as a reference solved here with
scipy's SLSQP on the same convex program (see `quant.optimizers.constrained_parity`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from quant.errors import ConstraintError
from quant.optimizers import bounded_risk_parity, risk_parity
from quant.optimizers.grouped import GroupLimit


def _cov(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 2)) * 0.15
    vols = rng.uniform(0.1, 0.5, n)
    sigma = factors @ factors.T + np.diag(vols**2)
    names = [f"A{i}" for i in range(n)]
    return pd.DataFrame(sigma, index=names, columns=names)


def _reference(cov: pd.DataFrame, lo: float, hi: float, groups: list[GroupLimit]) -> np.ndarray:
    """min ½ x'Σx - (1/n) Σ log x over x >= 0 with lo 1'x <= x_i <= hi 1'x and each group's
    total within its share of 1'x, by SLSQP; the weights x / 1'x."""
    sigma, n = cov.to_numpy(), len(cov)
    names = list(cov.columns)
    cons = []
    for i in range(n):
        cons.append({"type": "ineq", "fun": lambda x, i=i: hi * x.sum() - x[i]})
        cons.append({"type": "ineq", "fun": lambda x, i=i: x[i] - lo * x.sum()})
    for g in groups:
        idx = [names.index(m) for m in g.members]
        cons.append({"type": "ineq", "fun": lambda x, idx=idx, g=g: g.max * x.sum() - x[idx].sum()})
        cons.append({"type": "ineq", "fun": lambda x, idx=idx, g=g: x[idx].sum() - g.min * x.sum()})
    start = np.full(n, 1.0)
    found = minimize(
        lambda x: 0.5 * x @ sigma @ x - np.log(x).sum() / n,
        start,
        jac=lambda x: sigma @ x - 1.0 / (n * x),
        constraints=cons,
        bounds=[(1e-9, None)] * n,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return found.x / found.x.sum()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 8))
def test_limits_that_do_not_bind_leave_risk_parity(seed: int, n: int) -> None:
    cov = _cov(seed, n)
    free = risk_parity(cov)
    bounded = bounded_risk_parity(cov, bounds=(0.0, float(free.max()) + 0.05))
    np.testing.assert_allclose(bounded.to_numpy(), free.to_numpy(), atol=2e-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8), data=st.data())
def test_binding_limits_are_kept_and_match_the_reference(
    seed: int, n: int, data: st.DataObject
) -> None:
    cov = _cov(seed, n)
    free = risk_parity(cov)
    hi = data.draw(
        st.floats(max(1.0 / n + 0.01, float(free.min())), float(free.max())), label="cap"
    )
    lo = data.draw(st.floats(0.0, min(float(free.min()), 1.0 / n - 0.01)), label="floor")
    members = tuple(cov.columns[:2])
    share = float(free[list(members)].sum())
    feasible = 1.0 - (n - 2) * hi + 1e-3  # the others, capped, must leave room for the rest
    group = GroupLimit(
        "first two", members, 0.0, min(1.0, max(share * 0.8, 2 * lo + 1e-3, feasible))
    )
    weights = bounded_risk_parity(cov, bounds=(lo, hi), groups=[group])
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert (weights <= hi + 1e-6).all() and (weights >= lo - 1e-6).all()
    assert weights[list(members)].sum() <= group.max + 1e-6
    np.testing.assert_allclose(weights.to_numpy(), _reference(cov, lo, hi, [group]), atol=2e-4)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 8), by_group=st.booleans(), data=st.data())
def test_assets_capped_at_zero_hold_nothing_and_the_rest_is_their_risk_parity(
    seed: int, n: int, by_group: bool, data: st.DataObject
) -> None:
    """A cap of 0 on some assets (each, or their group's) leaves them out: weight 0, and the
    others' weights are the plain risk parity of their own covariance (no other limit binds)."""
    cov = _cov(seed, n)
    closed = data.draw(st.lists(st.sampled_from(list(cov.columns)), min_size=1,
                                max_size=n - 2, unique=True), label="capped at 0")  # fmt: skip
    kept = [name for name in cov.columns if name not in closed]
    if by_group:
        weights = bounded_risk_parity(cov, groups=[GroupLimit("closed", tuple(closed), 0.0, 0.0)])
    else:
        caps = pd.Series(1.0, index=cov.columns)
        caps[closed] = 0.0
        weights = bounded_risk_parity(cov, bounds=(0.0, caps))
    assert (weights[closed] == 0.0).all() and weights.sum() == pytest.approx(1.0, abs=1e-9)
    expected = risk_parity(cov.loc[kept, kept])
    np.testing.assert_allclose(weights[kept].to_numpy(), expected.to_numpy(), atol=2e-5)


def test_one_asset_left_holds_everything() -> None:
    cov = _cov(2, 3)
    caps = pd.Series([0.0, 0.0, 1.0], index=cov.columns)
    assert bounded_risk_parity(cov, bounds=(0.0, caps)).tolist() == [0.0, 0.0, 1.0]
    floors = pd.Series([0.0, 1.0, 0.0], index=cov.columns)  # a floor that takes the budget
    assert bounded_risk_parity(cov, bounds=(floors, 1.0)).tolist() == [0.0, 1.0, 0.0]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 8), data=st.data())
def test_floors_that_take_the_whole_budget_leave_the_others_out(
    seed: int, n: int, data: st.DataObject
) -> None:
    """Floors on two assets (or on a group of them) that sum to 1: the others hold nothing, the
    two their floors, not a solver's failure."""
    cov = _cov(seed, n)
    first = data.draw(st.floats(0.05, 0.95), label="first floor")
    floors = pd.Series(0.0, index=cov.columns)
    floors.iloc[:2] = [first, 1.0 - first]
    weights = bounded_risk_parity(cov, bounds=(floors, 1.0))
    np.testing.assert_allclose(weights.to_numpy(), floors.to_numpy(), atol=1e-7)
    group = GroupLimit("pair", tuple(cov.columns[:2]), 1.0, 1.0)
    paired = bounded_risk_parity(cov, groups=[group])
    assert (paired.iloc[2:] == 0.0).all()
    expected = risk_parity(cov.iloc[:2, :2])
    np.testing.assert_allclose(paired.iloc[:2].to_numpy(), expected.to_numpy(), atol=2e-5)


def test_limits_no_portfolio_keeps_are_refused() -> None:
    cov = _cov(1, 4)
    with pytest.raises(ConstraintError, match="sum to 1"):
        bounded_risk_parity(cov, bounds=(0.0, 0.2))
