"""The quant demo: classic portfolios on the embedded S&P 500 data, with their risk out of sample.

Weights are estimated on a training window and the portfolios are then held (rebalanced daily to
constant weights) over the following test window, so the risk figures are out of sample. Beside
them over the same test window: the same stocks equal-weighted (rebalanced daily, or bought once
and held) and the S&P 500 index, measured the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from quant import (
    hierarchical_risk_parity,
    max_sharpe,
    mean_returns,
    min_volatility,
    risk_parity,
    risk_report,
    sample_covariance,
    sp500_returns,
)
from quant.benchmark_strategies import buy_and_hold_returns
from quant.data import sp500_index_returns
from quant.errors import DataError


@dataclass(frozen=True)
class DemoResult:
    """Weights per method (columns) and asset (rows), out-of-sample risk per method, and the same
    risk measures of the benchmarks (rows) over the test window."""

    weights: pd.DataFrame
    risk: pd.DataFrame
    benchmarks: pd.DataFrame
    train: tuple[str, str]
    test: tuple[str, str]
    risk_free_rate: float


def run_demo(
    *,
    train_start: str = "2015-01-01",
    split: str = "2020-01-01",
    end: str | None = None,
    risk_free_rate: float = 0.02,
) -> DemoResult:
    """Estimate HRP, risk parity, min-volatility and max-Sharpe portfolios on [train_start, split)
    of the embedded S&P 500 returns, and report each one's risk over [split, end].

    `risk_free_rate` is annual; it enters the max-Sharpe portfolio and every Sharpe ratio.
    """
    returns = sp500_returns()
    train = returns.loc[train_start:split].loc[lambda r: r.index < pd.Timestamp(split)]
    test = returns.loc[split:end] if end is not None else returns.loc[split:]
    for name, window in (("training", train), ("test", test)):
        if len(window) < 60:
            raise DataError(
                f"the {name} window has {len(window)} days of returns; the data runs from "
                f"{returns.index[0].date()} to {returns.index[-1].date()}: choose dates inside it"
            )
    cov = sample_covariance(train)
    mu = mean_returns(train)
    weights = pd.DataFrame(
        {
            "HRP": hierarchical_risk_parity(train),
            "risk parity": risk_parity(cov),
            "min volatility": min_volatility(cov),
            "max Sharpe": max_sharpe(mu, cov, risk_free_rate=risk_free_rate),
        }
    )
    risk = pd.DataFrame(
        {method: _risk_row(weights[method], test, risk_free_rate) for method in weights.columns}
    ).T
    return DemoResult(
        weights=weights,
        risk=risk,
        benchmarks=_benchmarks(test, risk_free_rate),
        train=(str(train.index[0].date()), str(train.index[-1].date())),
        test=(str(test.index[0].date()), str(test.index[-1].date())),
        risk_free_rate=risk_free_rate,
    )


def _benchmarks(test: pd.DataFrame, risk_free_rate: float) -> pd.DataFrame:
    """The benchmarks' risk over the test window: equal weights rebalanced daily, equal weights
    bought on its first day and held, and the S&P 500 index."""
    equal = pd.Series(1.0 / test.shape[1], index=test.columns)
    held = buy_and_hold_returns(test.to_numpy()[None, :, :], 0)[0]
    index = sp500_index_returns().reindex(test.index)
    series = {
        "equal weight, held": pd.Series(held, index=test.index),
        "S&P 500 index": index,
    }
    rows = {"equal weight, rebalanced": _risk_row(equal, test, risk_free_rate)}
    for name, returns in series.items():
        rows[name] = _risk_row(pd.Series({name: 1.0}), returns.to_frame(name), risk_free_rate)
    return pd.DataFrame(rows).T


def _risk_row(weights: pd.Series, returns: pd.DataFrame, risk_free_rate: float) -> dict[str, float]:
    report = risk_report(weights, returns, risk_free_rate=risk_free_rate)
    return {
        "CAGR": report.cagr,
        "volatility": report.volatility,
        "Sharpe": report.sharpe_ratio,
        "max drawdown": report.max_drawdown,
        "VaR 95% (1d)": report.var_historical,
        "CVaR 95% (1d)": report.cvar_historical,
    }
