"""VaR and CVaR over a horizon (issue 61), checked against a plain reference written here: a
loop over every window of h days for the overlapping method, the one-day figures times sqrt(h)
for the square-root-of-time one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import DataError
from quant.horizon_risk import horizon_risk


def _reference_tail(values: list[float], level: float) -> tuple[float, float]:
    ordered = sorted(values)
    position = (1.0 - level) * (len(ordered) - 1)  # numpy's linear interpolation, by hand
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    quantile = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    tail = [v for v in values if v <= quantile]
    return -quantile, -sum(tail) / len(tail)


def _reference_windows(daily: list[float], horizon: int) -> list[float]:
    out = []
    for start in range(len(daily) - horizon + 1):
        wealth = 1.0
        for r in daily[start : start + horizon]:
            wealth *= 1.0 + r
        out.append(wealth - 1.0)
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    horizon=st.integers(1, 20),
    level=st.sampled_from([0.9, 0.95, 0.975, 0.99]),
)
def test_overlapping_windows_match_a_plain_loop(seed: int, horizon: int, level: float) -> None:
    daily = np.random.default_rng(seed).standard_t(4, 1500) * 0.01
    risk = horizon_risk(daily, horizon=horizon, level=level, method="overlapping")
    var, cvar = _reference_tail(_reference_windows(daily.tolist(), horizon), level)
    assert risk.var == pytest.approx(var, rel=1e-9, abs=1e-12)
    assert risk.cvar == pytest.approx(cvar, rel=1e-9, abs=1e-12)
    assert risk.windows == 1500 - horizon + 1 and risk.method == "overlapping"
    assert f"{horizon} consecutive sessions" in risk.definition


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), horizon=st.integers(1, 60))
def test_square_root_of_time_scales_the_one_day_figures(seed: int, horizon: int) -> None:
    daily = np.random.default_rng(seed).normal(0.0004, 0.012, 800)
    risk = horizon_risk(daily, horizon=horizon, level=0.99, method="square_root_of_time")
    var, cvar = _reference_tail(daily.tolist(), 0.99)
    assert risk.var == pytest.approx(var * math.sqrt(horizon), rel=1e-9)
    assert risk.cvar == pytest.approx(cvar * math.sqrt(horizon), rel=1e-9)
    assert "square root of" in risk.definition


def test_one_day_is_the_one_day_historical_var_and_cvar() -> None:
    from quant.risk import conditional_value_at_risk, value_at_risk

    daily = np.random.default_rng(3).normal(0, 0.01, 1000)
    risk = horizon_risk(daily, horizon=1, level=0.95)
    assert risk.var == pytest.approx(float(value_at_risk(daily, level=0.95)), rel=1e-12)
    assert risk.cvar == pytest.approx(
        float(conditional_value_at_risk(daily, level=0.95)), rel=1e-12
    )


def test_too_few_windows_for_the_tail_is_refused_naming_what_it_needs() -> None:
    daily = np.random.default_rng(1).normal(0, 0.01, 300)
    with pytest.raises(DataError, match=r"needs at least 500 windows \(509 sessions\)"):
        horizon_risk(daily, horizon=10, level=0.99)
    assert horizon_risk(daily, horizon=10, level=0.99, method="square_root_of_time").var > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"horizon": 0}, "at least 1 day"), ({"horizon": 5, "level": 1.0}, "level"),
     ({"horizon": 5, "method": "monte_carlo"}, "unknown horizon method")],
)  # fmt: skip
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        horizon_risk(np.zeros(100) + 0.001, **kwargs)  # type: ignore[arg-type]
