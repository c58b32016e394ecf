"""`quant.engine.held_runs.held_wealth`: trading to given weights on given days and holding the
assets drifting in between. On the engine's own schedule (L, L+k, ...) with the engine's targets
it must reproduce `quant.engine.evaluate`'s wealth of a multi-asset sleeve; on any schedule it is
checked against a plain day loop over units held, written here."""

from __future__ import annotations

import numpy as np
import pytest

from quant.data import sp500_prices
from quant.engine import evaluate
from quant.engine.held_runs import held_run, held_wealth
from quant.errors import DataError
from quant.strategy import StrategyConfig
from quant.targets import target_weights


@pytest.mark.parametrize("sleeve", ["hrp", "min_volatility", "risk_parity"])
def test_the_engines_schedule_reproduces_evaluate_of_a_multi_asset_sleeve(sleeve: str) -> None:
    returns = sp500_prices().iloc[-500:, :6].pct_change().iloc[1:]
    config = StrategyConfig(
        target_vol=0.1, lookback=63, rebalance_every=10, sleeve=sleeve, cost_bps=7
    )
    engine = evaluate([config], returns, 0.02).series(0)["wealth"].to_numpy()
    lookback, days = config.lookback, len(returns)
    prices = np.vstack([np.ones(6), np.cumprod(1 + returns.to_numpy(), axis=0)])
    trades = []
    for day in range(lookback, days, config.rebalance_every):
        weights = target_weights(config, returns.iloc[:day], 0.02).weights
        trades.append((day - lookback, np.array([weights[c] for c in returns.columns])))
    safe = np.full(days + 1 - lookback, 0.02 / 252)
    ours = held_wealth(prices[lookback:], safe, trades, cost_bps=7)
    assert ours[0] == 1.0
    np.testing.assert_allclose(ours[1:], engine, rtol=1e-12)


def _reference(
    prices: np.ndarray, safe: np.ndarray, trades: dict[int, np.ndarray], cost_bps: float
) -> np.ndarray:
    """Units of each asset and of the safe asset, day by day; the cost of a trade is charged at
    the next close, taken from every holding in proportion."""
    return _reference_run(prices, safe, trades, cost_bps)[0]


def _reference_run(
    prices: np.ndarray, safe: np.ndarray, trades: dict[int, np.ndarray], cost_bps: float
) -> tuple[np.ndarray, list[float]]:
    """`_reference`'s wealth, and what each trade traded: the sum over the assets of the target
    weight less the weight the holdings had drifted to."""
    units, cash, owed, out, traded = np.zeros(prices.shape[1]), 1.0, 0.0, [], []
    for row in range(len(prices)):
        cash *= 1 + (safe[row] if row else 0.0)
        value = cash + units @ prices[row]
        if owed:
            keep = 1 - owed / value
            units, cash, value, owed = units * keep, cash * keep, value - owed, 0.0
        out.append(value)
        if row in trades:
            before = units * prices[row] / value
            traded.append(float(np.abs(trades[row] - before).sum()))
            owed = cost_bps / 1e4 * traded[-1] * value
            units = trades[row] * value / prices[row]
            cash = value * (1 - trades[row].sum())
    return np.array(out), traded


def test_any_schedule_matches_a_plain_day_loop() -> None:
    rng = np.random.default_rng(7)
    prices = 50 * np.cumprod(1 + rng.normal(0.0004, 0.015, (300, 4)), axis=0)
    safe = np.full(300, 0.03 / 252)
    rows = sorted(rng.choice(np.arange(0, 299), 23, replace=False))
    trades = {int(r): rng.dirichlet(np.ones(4)) * rng.uniform(0.3, 1.0) for r in rows}
    ours = held_wealth(prices, safe, sorted(trades.items()), cost_bps=12)
    np.testing.assert_allclose(ours, _reference(prices, safe, trades, 12), rtol=1e-13)
    run = held_run(prices, safe, sorted(trades.items()), cost_bps=12)
    _, traded = _reference_run(prices, safe, trades, 12)
    np.testing.assert_array_equal(run.wealth, ours)
    np.testing.assert_allclose(run.traded, traded, rtol=1e-12, atol=1e-15)
    assert run.traded[0] == pytest.approx(trades[rows[0]].sum())  # the purchase, from cash
    # before its first trade the wealth is in the safe asset
    row = rows[3]
    after = held_wealth(prices[: row + 3], safe[: row + 3], [(row, trades[row])])
    assert after[row] == pytest.approx(1.0 * (1 + 0.03 / 252) ** row)


@pytest.mark.parametrize(
    ("trades", "problem"),
    [
        ([(5, np.array([0.6, 0.6]))], "sum to at most 1"),
        ([(5, np.array([-0.1, 0.5]))], "in [0, 1]"),
        ([(5, np.array([0.5, 0.5])), (5, np.array([0.5, 0.5]))], "must increase"),
        ([(40, np.array([0.5, 0.5]))], "must increase within 0..9"),
        ([(3, np.array([0.5]))], "shape"),
    ],
)
def test_bad_trades_are_refused(trades: list[tuple[int, np.ndarray]], problem: str) -> None:
    with pytest.raises(DataError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        held_wealth(np.ones((10, 2)), np.zeros(10), trades)


def test_prices_must_be_positive() -> None:
    prices = np.ones((10, 2))
    prices[4, 1] = 0.0
    with pytest.raises(DataError, match="positive"):
        held_wealth(prices, np.zeros(10), [])
