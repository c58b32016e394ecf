"""What a forward test's account, or a deployment's (`trading.performance`), is compared with,
and the result's fields that say so.

Beside the account's value at each session's close (`beside_the_account`):

- the deployed backtest (the strategy as deployed, on the test's own fires) and the searched
  backtest (the strategy as it was searched; `trading.forward_tests.backtest`);
- the gap between the account and the deployed backtest in parts
  (`trading.forward_tests.tracking`; none for a hedged deployment);
- the benchmarks (`trading.benchmarks`: the universe equal-weighted, held or rebalanced at each
  fire, and the S&P 500 index: those the search compared its winner with), and every line's
  performance with Sharpe ratios against the strategy's safe rate, which the result states
  (`benchmarks.risk_free_rate`);
- the risk limits the strategy's search stated, with the account's realised values beside
  them (`trading.forward_tests.limits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from execution.brokers.paper import PaperCosts
from execution.monitoring import compare_with_backtest
from execution.rebalance import DeployedStrategy
from trading.benchmarks import Benchmarks, benchmark_fields, benchmark_values
from trading.deployments import safe_rate_of
from trading.forward_tests.backtest import (
    Fire,
    deployed_backtest,
    deployed_targets,
    searched_backtest,
)
from trading.forward_tests.limits import realised_against_limits
from trading.forward_tests.tracking import decompose_gap

LINE_LABELS = {
    "paper": "the paper account",
    "backtest": "the strategy as deployed (backtest)",
    "searched": "the strategy as searched (backtest)",
}
"""The account's and its backtests' names as a user reads them (`trading.benchmarks.LABELS`
names the benchmarks)."""


@dataclass(frozen=True)
class Beside:
    """The lines beside a forward test's account (see the module docstring); `searched` None
    when it is not shown."""

    deployed: pd.Series
    searched: pd.Series | None
    decomposition: dict[str, Any] | None
    benchmarks: Benchmarks
    risk_free_rate: float
    stated_limits: list[dict[str, Any]]


def beside_the_account(
    strategy: DeployedStrategy,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    spec: dict[str, Any],
    values: pd.Series,
    fires: list[Fire],
    *,
    capital: float,
    costs: PaperCosts,
    fractional: bool = True,
    cash_rate: float,
    clean: bool,
    searched: bool = True,
    decided: list[np.ndarray] | None = None,
) -> Beside:
    """The backtests, the gap's decomposition and the benchmarks of an account (`values`, its
    deployment's `spec`) that traded at `fires` with the broker's `costs` and share rounding
    (`fractional`), its cash earning `cash_rate` a year (a forward test's, or a live
    deployment's: `trading.performance`); `clean`: every run filled as planned and none paused
    it (`decompose_gap`); `searched`: whether to simulate the searched backtest; `decided`: the
    capped targets each fire's run decided, when every fire's did (the deployed backtest's, as
    `deployed_targets` computes them; None: computed)."""
    if "hedge" in spec:
        decisions: tuple[list[Fire], list[np.ndarray]] = fires, []
    else:
        targets = deployed_targets(strategy, closes, spec, fires) if decided is None else decided
        decisions = fires, targets
    deployed = deployed_backtest(strategy, closes, sessions, capital, spec, decisions)
    decomposition = decompose_gap(
        strategy, closes, sessions, spec, capital, values, deployed,
        costs=costs, fractional=fractional, decisions=decisions, clean=clean,
        cash_rate=cash_rate,
    )  # fmt: skip
    filled = [fire.fill_row for fire in fires if fire.fill_row is not None]
    first_row = filled[0] if filled else int(closes.index.get_indexer(sessions.index[:1])[0])
    benchmarks = benchmark_values(closes, sessions, capital, first_row=first_row, fire_rows=filled)
    return Beside(
        deployed,
        searched_backtest(strategy, closes, sessions, capital, spec) if searched else None,
        decomposition,
        benchmarks,
        safe_rate_of(spec),
        list((spec.get("strategy") or {}).get("risk_limits") or []),
    )


def comparison_fields(values: pd.Series, beside: Beside) -> dict[str, Any]:
    """The result's `comparison` (the account against the deployed backtest), `decomposition`,
    `benchmarks` (`risk_free_rate`, a `performance` row per line, those `missing` and why),
    `risk_limits` (the account's realised drawdown, VaR and CVaR beside each risk limit its
    search stated, with the statistic of the paths it was checked on:
    `trading.forward_tests.limits`) and `values` (dates, and each line's value at each of
    them)."""
    backtest = beside.deployed
    common = values.index.intersection(backtest.index)
    comparison = compare_with_backtest(
        list(values.loc[common].to_numpy()), list(backtest.loc[common].to_numpy())
    )
    lines = {"paper": values.loc[common], "backtest": backtest.loc[common]}
    if beside.searched is not None:
        searched = beside.searched.reindex(common)
        if not searched.isna().any():  # the engine's series may end before the account's
            lines["searched"] = searched
    return {
        "comparison": comparison.__dict__,
        "decomposition": beside.decomposition,
        "benchmarks": benchmark_fields(
            lines, LINE_LABELS, beside.benchmarks, beside.risk_free_rate
        ),
        "risk_limits": realised_against_limits(values, beside.stated_limits),
        "values": {
            "dates": [d.date().isoformat() for d in values.index],
            "paper": _floats(values),
            "backtest": _floats(backtest.loc[common]),
            "searched": _floats(lines["searched"]) if "searched" in lines else [],
            "benchmarks": {
                name: _floats(line.loc[common]) for name, line in beside.benchmarks.values.items()
            },
        },
    }


def _floats(series: pd.Series) -> list[float]:
    return [float(v) for v in np.asarray(series, dtype=float)]
