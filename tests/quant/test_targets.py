"""A deployed strategy's target weights equal the engine's weights on the same rebalance day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.engine import evaluate
from quant.errors import InsufficientDataError
from quant.sleeve import build_schedule
from quant.strategy import StrategyConfig
from quant.targets import target_weights

RNG = np.random.default_rng(7)
NAMES = ["A", "B", "C", "D"]
RETURNS = pd.DataFrame(
    RNG.normal(0.0004, 0.012, size=(400, 4)) + RNG.normal(0, 0.006, size=(400, 1)), columns=NAMES
)
SAFE = 0.02


@pytest.mark.parametrize(
    "config",
    [
        StrategyConfig(target_vol=0.08, lookback=40, rebalance_every=15),
        StrategyConfig(weight_function="sigmoid", target_vol=0.15, lookback=63, max_leverage=1.5),
        StrategyConfig(weight_function="merton", risk_aversion=3.0, lookback=30),
    ],
)
def test_single_sleeve_weights_equal_the_engines_on_every_rebalance_day(
    config: StrategyConfig,
) -> None:
    risky = RETURNS.to_numpy().mean(axis=1)
    series = evaluate([config], risky, SAFE).series(0)
    rebalance_days = series.index[series["rebalance"]]
    assert len(rebalance_days) > 10
    for day in rebalance_days:
        target = target_weights(config, RETURNS.iloc[:day], SAFE)
        assert target.risky_weight == pytest.approx(series.loc[day, "weight"], abs=1e-12)
        for name in NAMES:
            assert target.weights[name] == pytest.approx(target.risky_weight / 4, abs=1e-15)
        assert target.safe_weight == pytest.approx(1 - target.risky_weight, abs=1e-15)


@pytest.mark.parametrize("sleeve", ["hrp", "risk_parity", "min_volatility", "max_sharpe"])
def test_optimizer_sleeve_weights_equal_the_engines(sleeve: str) -> None:
    config = StrategyConfig(sleeve=sleeve, lookback=60, rebalance_every=30, target_vol=0.1)
    values = RETURNS.to_numpy()
    series = evaluate([config], RETURNS, SAFE).series(0)
    schedule = build_schedule(
        values[None], np.full((1, len(values)), SAFE / 252), sleeve, 60, 30, NAMES
    )
    rebalance_days = list(series.index[series["rebalance"]])
    for j, day in enumerate(rebalance_days):
        target = target_weights(config, RETURNS.iloc[:day], SAFE)
        assert target.risky_weight == pytest.approx(series.loc[day, "weight"], abs=1e-12)
        expected = series.loc[day, "weight"] * schedule.v_new[0, j]
        np.testing.assert_allclose([target.weights[n] for n in NAMES], expected, atol=1e-12)


def test_too_few_days_or_missing_values_are_refused() -> None:
    config = StrategyConfig(lookback=63)
    with pytest.raises(
        InsufficientDataError, match="62 days of returns; the strategy's lookback needs 63"
    ):
        target_weights(config, RETURNS.iloc[:62], SAFE)
    gappy = RETURNS.iloc[:100].copy()
    gappy.iloc[5, 1] = np.nan
    with pytest.raises(InsufficientDataError, match="missing"):
        target_weights(config, gappy, SAFE)
