"""A deployment's first sessions have a searched backtest too: the engine evaluates at least two
days after the lookback, and the backtest of the first one or two sessions is exactly the start
of the backtest a longer history gives (hypothesis: rules with and without an option overlay,
on any start in the embedded data)."""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execution.rebalance import RuleStrategy
from execution.schedule import trading_sessions
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from trading.forward_tests.backtest import searched_backtest

PRICES = sp500_prices()[["AAPL", "KO", "XOM"]].loc["2019":"2021"]


@functools.cache
def sessions() -> pd.DataFrame:
    """XNYS's sessions of `PRICES`: read at the first draw, not when the module is collected
    (the exchange calendar takes ~0.5 s to build)."""
    found = trading_sessions("XNYS", PRICES.index[0].date(), PRICES.index[-1].date())
    return found.loc[found.index.isin(PRICES.index)]


def _spec(hedged: bool) -> dict[str, object]:
    spec: dict[str, object] = {"universe": list(PRICES.columns), "strategy": {"safe_rate": 0.02}}
    if hedged:
        spec["hedge"] = {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()}
    return spec


@settings(max_examples=12, deadline=None)
@given(
    start=st.deferred(lambda: st.integers(min_value=100, max_value=len(sessions()) - 10)),
    lookback=st.sampled_from([21, 63]),
    rebalance_every=st.sampled_from([1, 5, 21]),
    overlay=st.sampled_from(["none", "put"]),
    young=st.integers(min_value=1, max_value=2),
)
def test_the_first_sessions_backtest_is_the_start_of_a_longer_one(
    start: int, lookback: int, rebalance_every: int, overlay: str, young: int
) -> None:
    config = StrategyConfig(
        lookback=lookback,
        rebalance_every=rebalance_every,
        overlay=overlay,  # type: ignore[arg-type]
        overlay_tenor_days=21,
    )
    strategy = RuleStrategy(config, tuple(PRICES.columns), 0.02)
    spec = _spec(hedged=overlay != "none")
    longer = searched_backtest(strategy, PRICES, sessions().iloc[start : start + 8], 1e5, spec)
    first = searched_backtest(strategy, PRICES, sessions().iloc[start : start + young], 1e5, spec)
    assert len(first) == young and len(longer) == 8
    pd.testing.assert_series_equal(first, longer.iloc[:young], check_exact=False, rtol=1e-12)
    assert first.iloc[0] == pytest.approx(1e5)
