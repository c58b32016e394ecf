"""Mean-variance portfolios under sector limits against skfolio's `MeanRisk` with the same groups
and linear constraints (a peer solving the same convex programs), and the limits checked on the
weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.data import sp500_returns
from quant.errors import ConstraintError, InfeasibleTargetError
from quant.optimizers import grouped
from quant.optimizers.grouped import GroupLimit

RETURNS = sp500_returns().loc["2015":"2019"]
NAMES = [str(c) for c in RETURNS.columns]
TECH = ("AAPL", "AMD", "MSFT")
ENERGY = ("CVX", "RRC", "XOM")
MU, COV = RETURNS.mean() * 252, RETURNS.cov() * 252


def skfolio_weights(objective: str, constraints: list[str], **options: object) -> pd.Series:
    from skfolio import RiskMeasure
    from skfolio.optimization import MeanRisk, ObjectiveFunction

    groups = {n: ["Tech" if n in TECH else "Energy" if n in ENERGY else "Other"] for n in NAMES}
    model = MeanRisk(
        objective_function=getattr(ObjectiveFunction, objective),
        risk_measure=RiskMeasure.VARIANCE,
        groups=groups,
        linear_constraints=constraints,
        **options,  # type: ignore[arg-type]
    )
    model.fit(RETURNS)
    return pd.Series(model.weights_, index=NAMES)


def limits(tech: float, energy_floor: float) -> list[GroupLimit]:
    return [GroupLimit("Tech", TECH, 0.0, tech), GroupLimit("Energy", ENERGY, energy_floor, 1.0)]


def test_min_volatility_with_sector_limits_matches_skfolio() -> None:
    ours = grouped.min_volatility(COV, limits(0.10, 0.15), bounds=(0.0, 0.2))
    theirs = skfolio_weights("MINIMIZE_RISK", ["Tech <= 0.10", "Energy >= 0.15"], max_weights=0.2)
    assert ours[list(TECH)].sum() <= 0.10 + 1e-7 and ours[list(ENERGY)].sum() >= 0.15 - 1e-7
    assert float(ours.max()) <= 0.2 + 1e-7 and abs(float(ours.sum()) - 1.0) < 1e-12
    assert np.abs(ours - theirs).max() < 2e-4
    risk = float(ours @ COV @ ours)
    assert risk <= float(theirs @ COV @ theirs) * (1 + 1e-6)  # as low a variance as the peer's


def test_max_sharpe_with_sector_limits_matches_skfolio() -> None:
    ours = grouped.max_sharpe(MU, COV, limits(0.2, 0.1), risk_free_rate=0.02)
    theirs = skfolio_weights(
        "MAXIMIZE_RATIO", ["Tech <= 0.2", "Energy >= 0.1"], risk_free_rate=0.02 / 252
    )

    def sharpe(w: pd.Series) -> float:
        return float((w @ MU - 0.02) / np.sqrt(w @ COV @ w))

    assert ours[list(TECH)].sum() <= 0.2 + 1e-7 and ours[list(ENERGY)].sum() >= 0.1 - 1e-7
    assert sharpe(ours) == pytest.approx(sharpe(theirs), rel=1e-6)
    assert np.abs(ours - theirs).max() < 1e-3


def test_targets_within_sector_limits_and_refusals_that_name_them() -> None:
    capped = limits(0.10, 0.0)
    calm = grouped.min_volatility(COV, capped)
    target = float(calm @ MU) + 0.02
    reached = grouped.efficient_return(MU, COV, capped, target)
    assert float(reached @ MU) >= target - 1e-7 and reached[list(TECH)].sum() <= 0.1 + 1e-7
    volatile = grouped.efficient_risk(MU, COV, capped, 0.2)
    assert float(np.sqrt(volatile @ COV @ volatile)) <= 0.2 + 1e-6
    with pytest.raises(InfeasibleTargetError) as missed:
        grouped.efficient_return(MU, COV, capped, 5.0)
    assert missed.value.achievable[1] < 5.0 and "ranges from" in str(missed.value)
    with pytest.raises(ConstraintError, match="Tech within \\[0%, 10%\\]"):
        grouped.min_volatility(COV, [GroupLimit("Tech", TECH, 0.0, 0.1)], bounds=(0.0, 0.05))
    with pytest.raises(ConstraintError, match="group 'Tech' names assets not in"):
        grouped.min_volatility(COV, [GroupLimit("Tech", ("NVDA",), 0.0, 0.5)])
