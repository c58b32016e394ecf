"""Portfolio use cases shared by the API, the tools and the CLI: estimate, build a portfolio by
method, trace the efficient frontier, describe a portfolio, and check a portfolio's weights.

Conventions: returns are daily simple returns (dates x assets); expected returns and covariances
are annualised (x 252) as `quant.estimators` gives them; weights are fractions of capital indexed
by asset; `risk_free_rate` is annual; the Sharpe ratio is undefined (NaN) at zero volatility;
risk measures are positive numbers meaning losses. Numeric problems raise `quant`'s typed errors
(`QuantError` subclasses, re-exported by `services.errors`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from quant import optimizers  # each optimizer loads on first use (a risk report needs none)
from quant.errors import ConstraintError
from quant.estimators import CovarianceMethod, MeanMethod, covariance, mean_returns
from quant.optimizers import grouped
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.optimizers.grouped import GroupLimit
from quant.performance import PortfolioPerformance, portfolio_performance
from quant.risk import risk_contributions, risk_report
from services.bounds import MAX_GROSS_LEVERAGE
from services.errors import InputError
from services.market_data.tickers import unknown_tickers

if TYPE_CHECKING:
    from quant.optimizers.hrp import LinkageMethod

WEIGHT_SUM_TOLERANCE = 1e-6
"""|sum of weights - 1| allowed."""

Method = Literal[
    "hrp",
    "risk_parity",
    "inverse_volatility",
    "min_volatility",
    "max_sharpe",
    "efficient_return",
    "efficient_risk",
]
"""The portfolio construction methods (`build_portfolio`)."""

__all__ = [
    "MAX_GROSS_LEVERAGE",
    "WEIGHT_SUM_TOLERANCE",
    "Bounds",
    "Frontier",
    "Method",
    "PortfolioAnalytics",
    "analyse_portfolio",
    "build_portfolio",
    "check_weights",
    "estimates",
    "finite_or_none",
    "frontier",
]


def estimates(
    returns: pd.DataFrame,
    *,
    covariance_method: CovarianceMethod = "sample",
    halflife: float = 60.0,
    expected_returns: MeanMethod = "arithmetic",
) -> tuple[pd.Series, pd.DataFrame]:
    """Annualised expected returns (`expected_returns`: arithmetic or geometric mean x 252) and
    covariance (`covariance_method`: sample, Ledoit-Wolf or EWMA with `halflife` in days)."""
    mu = mean_returns(returns, method=expected_returns)
    cov = covariance(returns, method=covariance_method, halflife=halflife)
    return mu, cov


_NO_GROUP_LIMITS = {
    "hrp": "its weights come from splitting the correlation tree",
    "inverse_volatility": "its weights come from each asset's own volatility",
}
"""The methods that cannot keep a group's limit, and where their weights come from."""


def build_portfolio(
    method: Method,
    returns: pd.DataFrame,
    *,
    mu: pd.Series,
    cov: pd.DataFrame,
    risk_free_rate: float = 0.0,
    bounds: Bounds = (0.0, 1.0),
    groups: Sequence[GroupLimit] = (),
    target_return: float | None = None,
    target_volatility: float | None = None,
    budgets: pd.Series | None = None,
    linkage: LinkageMethod = "single",
    optimal_ordering: bool = False,
) -> pd.Series:
    """The weights of `method` on the assets of `returns` (in their order): `hrp` (from the
    returns' correlation tree; `linkage`, `optimal_ordering`), `risk_parity` (risk contributions
    equal to `budgets`, equal by default), `inverse_volatility` (each weight in proportion to 1 /
    the asset's volatility), `min_volatility`, `max_sharpe` (against `risk_free_rate`),
    `efficient_return` (needs `target_return`) or `efficient_risk` (needs `target_volatility`).
    Every method keeps each weight within `bounds`, and every method but HRP and inverse
    volatility each group's weight within its limits (`groups`, e.g. sectors): risk parity within
    limits is `quant.optimizers.constrained_parity` (equal budgets only); HRP or inverse
    volatility asked for a group limit raises `ConstraintError` naming the method and why."""
    if method in _NO_GROUP_LIMITS and groups:
        named = ", ".join(group.name for group in groups)
        raise ConstraintError(
            f"{method} cannot keep a limit on a group of holdings ({named}): "
            f"{_NO_GROUP_LIMITS[method]}, which knows no groups; build risk_parity, "
            "min_volatility or max_sharpe, which keep each group within its limits, or leave "
            "the group limit out"
        )
    if method == "hrp":
        weights = optimizers.hierarchical_risk_parity(
            returns, linkage=linkage, optimal_ordering=optimal_ordering, bounds=bounds
        )
    elif method == "inverse_volatility":
        weights = optimizers.inverse_volatility(cov, bounds=bounds)
    elif method == "risk_parity" and (groups or _limited(bounds, returns.columns)):
        if budgets is not None:
            raise ConstraintError("risk budgets other than equal cannot be kept with limits")
        weights = optimizers.bounded_risk_parity(cov, bounds=bounds, groups=groups)
    elif method == "risk_parity":
        weights = optimizers.risk_parity(cov, budgets=budgets)
    elif groups:
        weights = _grouped(method, mu, cov, groups, bounds, risk_free_rate, target_return,
                           target_volatility)  # fmt: skip
    elif method == "min_volatility":
        weights = optimizers.min_volatility(cov, bounds=bounds)
    elif method == "max_sharpe":
        weights = optimizers.max_sharpe(mu, cov, risk_free_rate=risk_free_rate, bounds=bounds)
    elif method == "efficient_return":
        weights = optimizers.efficient_return(
            mu, cov, _target(target_return, method), bounds=bounds
        )
    elif method == "efficient_risk":
        weights = optimizers.efficient_risk(
            mu, cov, _target(target_volatility, method), bounds=bounds
        )
    else:
        raise ConstraintError(f"unknown portfolio method {method!r}")
    return weights.reindex(returns.columns)


def _target(value: float | None, method: str) -> float:
    if value is None:
        name = "target_return" if method == "efficient_return" else "target_volatility"
        raise ConstraintError(f"{method} needs a {name}")
    return value


def _grouped(
    method: Method,
    mu: pd.Series,
    cov: pd.DataFrame,
    groups: Sequence[GroupLimit],
    bounds: Bounds,
    risk_free_rate: float,
    target_return: float | None,
    target_volatility: float | None,
) -> pd.Series:
    """A mean-variance `method` under group limits (`quant.optimizers.grouped`)."""
    if method == "min_volatility":
        return grouped.min_volatility(cov, groups, bounds=bounds)
    if method == "max_sharpe":
        return grouped.max_sharpe(mu, cov, groups, risk_free_rate=risk_free_rate, bounds=bounds)
    if method == "efficient_return":
        return grouped.efficient_return(
            mu, cov, groups, _target(target_return, method), bounds=bounds
        )
    return grouped.efficient_risk(
        mu, cov, groups, _target(target_volatility, method), bounds=bounds
    )


def _limited(bounds: Bounds, assets: Collection[Any]) -> bool:
    """Whether `bounds` limit any weight of `assets` more than long-only does."""
    lower, upper = weight_bounds(bounds, [str(a) for a in assets])
    return bool((lower > 0.0).any() or (upper < 1.0).any())


@dataclass(frozen=True)
class PortfolioAnalytics:
    """A portfolio described: its weights (in the returns' asset order), ex-ante performance
    from the estimates, relative risk contributions (shares of variance, summing to 1) and the
    historical risk report over the returns (`quant.risk.RiskReport` fields; None where a
    number is not finite)."""

    weights: pd.Series
    performance: PortfolioPerformance
    risk_contributions: pd.Series
    risk_report: dict[str, float | int | None]


def analyse_portfolio(
    weights: pd.Series,
    returns: pd.DataFrame,
    *,
    mu: pd.Series,
    cov: pd.DataFrame,
    risk_free_rate: float = 0.0,
    level: float = 0.95,
) -> PortfolioAnalytics:
    """Describe `weights` (aligned to the returns' assets; missing ones hold 0) with the
    estimates `mu`, `cov` and the historical returns (VaR and CVaR at `level`)."""
    aligned = weights.reindex(returns.columns).fillna(0.0).astype(float)
    performance = portfolio_performance(aligned, mu, cov, risk_free_rate=risk_free_rate)
    report = risk_report(
        aligned, returns, level=level, risk_free_rate=risk_free_rate, cov=cov
    ).to_dict()
    for key in ("risk_contributions", "risk_free_rate", "periods_per_year"):
        report.pop(key, None)
    clean: dict[str, float | int | None] = {
        key: value if isinstance(value, int) else finite_or_none(value)
        for key, value in report.items()
    }
    return PortfolioAnalytics(
        weights=aligned,
        performance=performance,
        risk_contributions=risk_contributions(aligned, cov),
        risk_report=clean,
    )


@dataclass(frozen=True)
class Frontier:
    """The efficient frontier: one row per portfolio (columns ``return``, ``volatility``,
    ``sharpe``, then one weight column per asset), from minimum volatility to maximum return;
    and the portfolio to hold, `selected` (``max_sharpe``, or ``min_volatility`` when no
    portfolio within the bounds beats the risk-free rate) with its `weights`."""

    points: pd.DataFrame
    selected: Literal["max_sharpe", "min_volatility"]
    weights: pd.Series


def frontier(
    mu: pd.Series,
    cov: pd.DataFrame,
    *,
    n_points: int,
    bounds: Bounds = (0.0, 1.0),
    risk_free_rate: float = 0.0,
) -> Frontier:
    """`n_points` efficient portfolios within `bounds` and the one to hold (see `Frontier`).
    Raises `ConstraintError` when the bounds admit no fully invested portfolio."""
    points = optimizers.efficient_frontier(
        mu, cov, points=n_points, bounds=bounds, risk_free_rate=risk_free_rate
    )
    names = [str(a) for a in mu.index]
    try:
        weights = optimizers.max_sharpe(mu, cov, risk_free_rate=risk_free_rate, bounds=bounds)
        return Frontier(points, "max_sharpe", weights)
    except ConstraintError:
        lowest = points.iloc[0][names].astype(float)
        return Frontier(points, "min_volatility", pd.Series(lowest, index=names))


def check_weights(
    weights: Sequence[tuple[str, float]],
    known: Collection[str],
    *,
    allow_short: bool,
    field: str = "weights",
    source: Mapping[str, Any] | None = None,
) -> None:
    """`InputError` naming the first bad (asset, weight) pair of `weights` (``weights.2.asset``):
    a weight not finite, an asset repeated or not in `known` (the assets of the data `source`
    describes, None: the configured market data's; the problem says where more tickers come
    from: `services.market_data.tickers.unknown_tickers`), a negative weight (unless
    `allow_short`); then on `field` a sum off 1 by more than `WEIGHT_SUM_TOLERANCE` or a gross
    leverage above `MAX_GROSS_LEVERAGE`."""
    known_set = set(known)
    seen: dict[str, int] = {}
    for i, (asset, weight) in enumerate(weights):
        if not math.isfinite(weight):
            raise InputError(f"{field}.{i}.weight", f"{weight} is not a finite number")
        if asset in seen:
            raise InputError(f"{field}.{i}.asset", f"asset {asset!r} repeats entry {seen[asset]}")
        seen[asset] = i
        if asset not in known_set:
            raise InputError(
                f"{field}.{i}.asset", unknown_tickers([asset], sorted(known_set), source)
            )
        if weight < 0 and not allow_short:
            raise InputError(
                f"{field}.{i}.weight",
                f"{weight} is negative; set allow_short to allow short positions",
            )
    gross = math.fsum(abs(weight) for _, weight in weights)
    if gross > MAX_GROSS_LEVERAGE:
        raise InputError(
            field,
            f"gross leverage (sum of |weight|) is {gross:.6g}; at most {MAX_GROSS_LEVERAGE:g} "
            "is accepted",
        )
    total = math.fsum(weight for _, weight in weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise InputError(
            field, f"weights sum to {total:.10g}, not 1 (tolerance {WEIGHT_SUM_TOLERANCE:g})"
        )


def finite_or_none(value: Any) -> float | None:
    """`value` as a float, or None when it is NaN or infinite (JSON has no such numbers)."""
    number = float(value)
    return number if math.isfinite(number) else None
