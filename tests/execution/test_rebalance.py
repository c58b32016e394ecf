"""A rebalance run's decision: its weights are the engine's on the same day; its plan keeps the
limits."""

from __future__ import annotations

import numpy as np
import pytest

from execution.deployment import DeploymentLimits
from execution.errors import OrderPlanError
from execution.rebalance import FixedWeights, RuleStrategy, decide_rebalance
from quant.data import sp500_prices
from quant.engine import evaluate
from quant.strategy import StrategyConfig

UNIVERSE = ("AAPL", "JNJ", "XOM", "KO")
CLOSES = sp500_prices().loc["2019-01-01":"2021-12-31", list(UNIVERSE)]


@pytest.mark.parametrize("sleeve", ["single", "risk_parity"])
def test_a_runs_weights_are_the_engines_weights_on_the_same_day(sleeve: str) -> None:
    config = StrategyConfig(lookback=60, rebalance_every=20, target_vol=0.12, sleeve=sleeve)
    strategy = RuleStrategy(config, UNIVERSE, safe_rate=0.02)
    returns = CLOSES.pct_change().iloc[1:]
    risky = returns.to_numpy().mean(axis=1) if sleeve == "single" else returns
    series = evaluate([config], risky, 0.02).series(0)
    for day in series.index[series["rebalance"]][:5]:
        # Returns row `day` is the change into CLOSES row day + 1: the run knows rows 0..day.
        targets = strategy.targets(CLOSES.iloc[: day + 1])
        assert sum(targets.values()) == pytest.approx(series.loc[day, "weight"], abs=1e-12)


def test_the_plan_keeps_the_cash_buffer_and_caps_positions() -> None:
    strategy = FixedWeights({"AAPL": 0.7, "JNJ": 0.3})
    limits = DeploymentLimits(cash_buffer=0.05, max_position=0.5, min_trade_value=0)
    decision = decide_rebalance(strategy, CLOSES, {}, 100_000.0, limits, fractional=True)
    assert decision.targets == {"AAPL": 0.5, "JNJ": 0.3}
    assert decision.notes[0].startswith("AAPL: target weight 70.00% capped at the 50.00%")
    last = CLOSES.iloc[-1]
    invested = {o.symbol: o.quantity * last[o.symbol] for o in decision.plan.orders}
    assert invested["AAPL"] == pytest.approx(0.5 * 95_000, abs=1e-3)
    assert invested["JNJ"] == pytest.approx(0.3 * 95_000, abs=1e-3)
    assert decision.breaches == []


def test_a_rebalance_beyond_the_turnover_limit_is_a_breach() -> None:
    strategy = FixedWeights({"XOM": 1.0})
    limits = DeploymentLimits(max_turnover=0.5, cash_buffer=0)
    decision = decide_rebalance(strategy, CLOSES, {"AAPL": 100.0}, 0.0, limits, fractional=False)
    assert [b.limit for b in decision.breaches] == ["max_turnover"]
    assert decision.plan.turnover > 0.5


def test_strategies_that_cannot_be_deployed_are_refused() -> None:
    with pytest.raises(OrderPlanError, match=r"max_leverage 1\.5 could borrow"):
        RuleStrategy(StrategyConfig(max_leverage=1.5), UNIVERSE)
    with pytest.raises(OrderPlanError, match="each once"):
        RuleStrategy(StrategyConfig(), ("AAPL", "AAPL"))
    with pytest.raises(OrderPlanError, match=r"sum to 1\.2"):
        FixedWeights({"AAPL": 0.6, "KO": 0.6})
    with pytest.raises(OrderPlanError, match="numbers >= 0"):
        FixedWeights({"AAPL": np.nan})
    with pytest.raises(OrderPlanError, match="no prices for ZZZZ"):
        RuleStrategy(StrategyConfig(), ("AAPL", "ZZZZ")).targets(CLOSES)
