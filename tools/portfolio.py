"""Portfolio tools: optimisation, the efficient frontier and a risk report.

Estimates come from the universe's daily simple returns over the date range: expected returns
are the arithmetic mean x 252 (`quant.estimators.mean_returns`), the covariance the sample
covariance (ddof=1) x 252 (`sample_covariance`), as the engine's optimizer sleeves use. Weights
are long-only and fully invested, within the limits asked (every method keeps the limits on
each weight; every method but HRP the limits on a group's total).
Portfolios and frontiers are stored in the artifact store and referenced by id.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quant import optimizers  # each optimizer loads on first use (a risk report needs none)
from quant.holdings import HoldingsChoice, held_count, with_holdings
from quant.performance import portfolio_performance
from quant.risk import risk_report
from services.portfolio_targets import TARGET_ARGUMENTS
from services.portfolios import Method, build_portfolio, estimates
from services.risk import portfolio_horizon_risk
from tools.artifacts import ArtifactNotFoundError
from tools.context import MAX_UNIVERSE, ToolContext
from tools.limits import weight_limits
from tools.market import RangeArgs
from tools.summaries import compact, iso_date, round_weights, sig
from tools.tool_factory import make_tool

__all__ = [
    "FrontierArgs",
    "OptimizeArgs",
    "PortfolioRecord",
    "RiskReportArgs",
    "efficient_frontier",
    "optimize_portfolio",
    "portfolio_risk_report",
    "portfolio_tools",
]

MIN_TAIL_SESSIONS = 10
"""Fewest sessions a historical CVaR may average before the report warns that its VaR and CVaR
rest on too few losses to be stable (`thin_tail`)."""


def thin_tail(daily: np.ndarray, level: float) -> dict[str, Any]:
    """`{"thin_tail": {...}}` when the historical CVaR at `level` of the portfolio's `daily`
    returns averages fewer than `MIN_TAIL_SESSIONS` losses (the returns at or below their
    (1 - level) quantile, linearly interpolated, as `quant.risk` takes them), else {}."""
    sessions = len(daily)
    tail = int((daily <= np.quantile(daily, 1.0 - level)).sum()) if sessions else 0
    if tail >= MIN_TAIL_SESSIONS:
        return {}
    worst = "the single worst" if tail == 1 else f"the worst {tail}"
    note = (
        f"the historical VaR and CVaR at {100 * level:g}% rest on {worst} of {sessions} "
        "sessions, too few losses for a stable estimate (a lower confidence level or a longer "
        "window gives more)"
    )
    return {"thin_tail": {"tail_sessions": tail, "sessions": sessions, "note": note}}


CAPITAL_DESCRIPTION = (
    "Capital in currency (e.g. 1000000 for $1m), optional: the result adds each number as an "
    "amount of money (`amounts`)."
)
RISK_FREE_DESCRIPTION = (
    "Annual risk-free rate as a fraction (0.02 = 2% a year), used by the Sharpe ratio and by "
    "max_sharpe. Default 0."
)
MAX_WEIGHT_DESCRIPTION = (
    "Largest weight of any single asset, a fraction in (0, 1] (0.2 = 20%). Must be at least "
    "1 / number of assets. Every method keeps it (risk_parity then makes the risk contributions "
    "as equal as the limits allow; inverse_volatility spreads what a cap takes off over the "
    "other assets in proportion to 1 / volatility). Default 1."
)
MIN_WEIGHT_DESCRIPTION = (
    "Smallest weight of every asset, a fraction in [0, 1) (0.02 = at least 2% in each). Kept by "
    "every method. Default 0."
)
ASSET_LIMITS_DESCRIPTION = (
    "Limits on named assets: {ticker: {'min': fraction, 'max': fraction}} (e.g. {'XOM': {'max': "
    "0.1}} = at most 10% in XOM), beside max_weight and min_weight (the tighter limit holds)."
)
SECTOR_LIMITS_DESCRIPTION = (
    "Limits on the total weight of a sector or industry: {term: {'min': fraction, 'max': "
    "fraction}}, a term naming a GICS sector or sub-industry ('information technology', "
    "'energy', 'banks'; e.g. {'energy': {'max': 0.2}}). Kept by min_volatility, max_sharpe, "
    "efficient_return, efficient_risk and risk_parity; hrp and inverse_volatility take none "
    "(their weights come from the correlation tree, or each asset's own volatility): asked for "
    "one they are refused, naming the group."
)


class Limit(BaseModel):
    """A lower and an upper limit on a weight or a sum of weights, fractions in [0, 1]."""

    model_config = ConfigDict(extra="forbid")

    min: float = Field(default=0.0, ge=0.0, le=1.0)
    max: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Limit:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


@dataclass(frozen=True, eq=False)
class PortfolioRecord:
    """An optimised portfolio: weights (Series by ticker) and how they were obtained."""

    weights: pd.Series
    method: str
    start: str
    end: str
    expected_return: float
    volatility: float


def portfolio_to_json(record: PortfolioRecord) -> dict[str, Any]:
    """A portfolio artifact as plain JSON data (weights at full precision), to persist it."""
    return {
        "weights": {str(k): float(v) for k, v in record.weights.items()},
        "method": record.method,
        "start": record.start,
        "end": record.end,
        "expected_return": float(record.expected_return),
        "volatility": float(record.volatility),
    }


def portfolio_from_json(data: dict[str, Any]) -> PortfolioRecord:
    """The portfolio artifact `portfolio_to_json` saved."""
    return PortfolioRecord(**{**data, "weights": pd.Series(data["weights"], dtype=float)})


class OptimizeArgs(RangeArgs):
    """Arguments of `optimize_portfolio`."""

    method: Method = Field(
        description="hrp: hierarchical risk parity; risk_parity: equal risk contributions; "
        "inverse_volatility: each weight in proportion to 1 / the asset's volatility (inverse-vol "
        "weighting, correlations ignored); min_volatility: lowest volatility; max_sharpe: highest Sharpe ratio; efficient_return: "
        "lowest volatility with at least target_return; efficient_risk: highest return with at "
        "most target_volatility."
    )
    risk_free_rate: float = Field(default=0.0, ge=-0.1, le=0.5, description=RISK_FREE_DESCRIPTION)
    max_weight: float = Field(default=1.0, gt=0.0, le=1.0, description=MAX_WEIGHT_DESCRIPTION)
    min_weight: float = Field(default=0.0, ge=0.0, lt=1.0, description=MIN_WEIGHT_DESCRIPTION)
    asset_limits: dict[str, Limit] = Field(
        default_factory=dict, max_length=MAX_UNIVERSE, description=ASSET_LIMITS_DESCRIPTION
    )
    sector_limits: dict[str, Limit] = Field(
        default_factory=dict, max_length=20, description=SECTOR_LIMITS_DESCRIPTION
    )
    capital: float | None = Field(default=None, gt=0, le=1e13, description=CAPITAL_DESCRIPTION)
    target_return: float | None = Field(
        default=None,
        ge=-1.0,
        le=10.0,
        description="Annualised expected return to reach (fraction), for method efficient_return.",
    )
    target_volatility: float | None = Field(
        default=None,
        gt=0.0,
        le=5.0,
        description="Annualised volatility not to exceed (fraction), for method efficient_risk.",
    )
    holdings: int | None = Field(
        default=None,
        ge=2,
        le=MAX_UNIVERSE,
        description="Hold this many of the universe's stocks ('a portfolio of 5 stocks'), chosen "
        "by backward elimination: the method's portfolio of all, then again without those it "
        "gives no weight and the smallest-weight half of the excess, until this many remain "
        "(fewer when the method itself holds fewer). Not with min_weight, asset_limits or "
        "sector_limits.",
    )

    @model_validator(mode="after")
    def _targets_match_method(self) -> OptimizeArgs:
        target = TARGET_ARGUMENTS.get(self.method)
        if target is not None and getattr(self, target) is None:
            raise ValueError(f"method {self.method} needs {target}")
        limited = self.min_weight > 0 or self.asset_limits or self.sector_limits
        if self.holdings is not None and limited:
            raise ValueError(
                "holdings cannot be combined with min_weight, asset_limits or sector_limits (a "
                "limit may name a stock the count leaves out): build on the stocks to hold"
            )
        return self


class FrontierArgs(RangeArgs):
    """Arguments of `efficient_frontier`."""

    points: int = Field(
        default=20, ge=2, le=50, description="Portfolios along the frontier (2 to 50)."
    )
    max_weight: float = Field(default=1.0, gt=0.0, le=1.0, description=MAX_WEIGHT_DESCRIPTION)
    risk_free_rate: float = Field(default=0.0, ge=-0.1, le=0.5, description=RISK_FREE_DESCRIPTION)


class RiskReportArgs(RangeArgs):
    """Arguments of `portfolio_risk_report` (give portfolio_id or weights)."""

    portfolio_id: str | None = Field(
        default=None,
        max_length=64,
        description="Id of a portfolio from optimize_portfolio (e.g. 'pf_1a2b3c'). Its date range "
        "is the default range of the report.",
    )
    weights: dict[str, float] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_UNIVERSE,
        description="Weights {ticker: fraction} held at constant weights (rebalanced daily), "
        "used as given (a sum below 1 leaves cash earning nothing). Instead of portfolio_id.",
    )
    level: float = Field(
        default=0.95,
        ge=0.5,
        le=0.999,
        description="Confidence level of VaR and CVaR (0.95 = 95%: the 5% worst days).",
    )
    horizon_days: int = Field(
        default=1,
        ge=1,
        le=252,
        description="Horizon of VaR and CVaR in trading days (10 = a 10-day VaR). Above 1 the "
        "report adds `horizon`: the VaR and CVaR over that many days by two methods, each "
        "named: overlapping multi-day historical windows and the one-day figures scaled by the "
        "square root of time. Default 1 (one day).",
    )
    risk_free_rate: float = Field(default=0.0, ge=-0.1, le=0.5, description=RISK_FREE_DESCRIPTION)
    capital: float | None = Field(default=None, gt=0, le=1e13, description=CAPITAL_DESCRIPTION)

    @model_validator(mode="after")
    def _one_source(self) -> RiskReportArgs:
        if (self.portfolio_id is None) == (self.weights is None):
            raise ValueError("give exactly one of portfolio_id or weights")
        if self.universe is not None:
            raise ValueError("universe is taken from the portfolio; pass weights instead")
        return self


# --------------------------------------------------------------------------------------------
def _capped_estimates(
    context: ToolContext, args: OptimizeArgs | FrontierArgs
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, list[str]]:
    """The returns of the universe asked for (less what the owner's profile excludes, said in the
    last item), their annualised estimates (mu, cov), after checking that ``max_weight`` can hold
    a fully invested portfolio of that many assets."""
    tickers, left_out = context.portfolio_universe(args.universe)
    returns = context.returns(tickers, args.start, args.end)
    n = returns.shape[1]
    if args.max_weight * n < 1.0 - 1e-12:
        raise ValueError(
            f"max_weight {args.max_weight} is infeasible for {n} assets: weights capped at "
            f"{args.max_weight} sum to at most {args.max_weight * n:.4g} < 1; use max_weight >= "
            f"{1.0 / n:.4g} or more assets"
        )
    mu, cov = estimates(returns)
    return returns, mu, cov, left_out


def optimize_portfolio(context: ToolContext, args: OptimizeArgs) -> dict[str, Any]:
    """Optimise a long-only portfolio of the universe (less what the owner's profile excludes:
    `left_out` says why); store it and return its weights."""
    returns, mu, cov, left_out = _capped_estimates(context, args)

    def built(names: list[str]) -> pd.Series:
        limits = weight_limits(args, names)
        return build_portfolio(
            args.method,
            returns[names],
            mu=mu[names],
            cov=cov.loc[names, names],
            risk_free_rate=args.risk_free_rate,
            bounds=limits.bounds,
            groups=limits.groups,
            target_return=args.target_return,
            target_volatility=args.target_volatility,
        )

    universe = [str(c) for c in returns.columns]
    chosen = None if args.holdings is None else _chosen(built, universe, args)
    weights = built(universe) if chosen is None else chosen.weights
    limits = weight_limits(args, [str(name) for name in weights.index])
    returns = returns[weights.index]
    mu, cov = mu[weights.index], cov.loc[weights.index, weights.index]
    kept, broken = limits.checked(weights)
    performance = portfolio_performance(weights, mu, cov, risk_free_rate=args.risk_free_rate)
    expected, vol = performance.expected_return, performance.volatility
    sharpe = performance.sharpe_ratio
    start, end = iso_date(returns.index[0]), iso_date(returns.index[-1])
    record = PortfolioRecord(weights, args.method, start, end, expected, vol)
    portfolio_id = _portfolio_id(context, record)
    return {
        "portfolio_id": portfolio_id,
        "method": args.method,
        "weights": round_weights(weights),
        "expected_return": sig(expected),
        "volatility": sig(vol),
        "sharpe": sig(sharpe),
        "risk_free_rate": args.risk_free_rate,
        "date_range": {"start": start, "end": end, "days": len(returns)},
        "units": "expected_return and volatility annualised in-sample estimates (mean x 252, "
        "sample covariance x 252); weights are fractions summing to 1",
        **({"limits": kept} if kept else {}),
        **({"limits_broken": broken} if broken else {}),
        **_amounts(args.capital, {str(t): float(w) for t, w in weights.items()}),
        **({"left_out": left_out} if left_out else {}),
        **({} if chosen is None else {"holdings": _holdings_said(chosen, args, universe)}),
    }


def _chosen(
    built: Callable[[list[str]], pd.Series], universe: list[str], args: OptimizeArgs
) -> HoldingsChoice:
    """The holdings asked (`args.holdings`) chosen from `universe` (`quant.holdings`), after
    checking that `max_weight` can hold a fully invested portfolio of that many."""
    count = int(args.holdings or 0)
    if args.max_weight * count < 1.0 - 1e-12:
        fewest = math.ceil(1 / args.max_weight - 1e-9)
        raise ValueError(
            f"holdings: {count} stocks capped at {args.max_weight:.1%} each sum to at most "
            f"{args.max_weight * count:.1%}; hold at least {fewest}, or cap at "
            f"{math.ceil(1000 / count) / 10:.1f}% or more"
        )
    return with_holdings(built, universe, count)


def _holdings_said(
    chosen: HoldingsChoice, args: OptimizeArgs, universe: list[str]
) -> dict[str, Any]:
    """What the result says of the holdings asked: how many, how many held, chosen from how
    many, by which rule."""
    return {
        "asked": args.holdings,
        "held": held_count(chosen.weights),
        "chosen_from": len(universe),
        "builds": chosen.builds,
        "rule": "backward elimination: the method's portfolio of all, then again without the "
        "names it gives no weight and the smallest-weight half of the excess, until the count "
        "remains",
    }


SAME_WEIGHT = 1e-12
"""The largest difference of a weight (a fraction of the portfolio) between two builds of one
portfolio (the order of a universe may move the last bits of an optimizer's arithmetic; HRP's
clustering may give another order other weights, which are then another portfolio)."""


def _portfolio_id(context: ToolContext, record: PortfolioRecord) -> str:
    """The id of the portfolio the context already holds that `record` equals (the same method
    over the same window to the same weights, within `SAME_WEIGHT`: a build asked again is that
    portfolio, not a copy a chat would save twice), else of `record` stored as a new one."""
    for artifact_id in context.artifacts.ids("portfolio"):
        held = context.artifacts.get(artifact_id, "portfolio")
        if (held.method, held.start, held.end) != (record.method, record.start, record.end):
            continue
        if set(held.weights.index) == set(record.weights.index):
            gap = (held.weights - record.weights.reindex(held.weights.index)).abs().max()
            if gap <= SAME_WEIGHT:
                return artifact_id
    return context.artifacts.put("portfolio", record)


def efficient_frontier(context: ToolContext, args: FrontierArgs) -> dict[str, Any]:
    """The mean-variance efficient frontier of the universe (less what the owner's profile
    excludes: `left_out` says why); store it and return its points."""
    returns, mu, cov, left_out = _capped_estimates(context, args)
    frame = optimizers.efficient_frontier(
        mu,
        cov,
        points=args.points,
        bounds=(0.0, float(args.max_weight)),
        risk_free_rate=args.risk_free_rate,
    )
    frontier_id = context.artifacts.put("frontier", frame)
    sharpe = frame["sharpe"].to_numpy(dtype=float)
    best = int(np.nanargmax(sharpe)) if np.isfinite(sharpe).any() else None
    points = [
        {"return": sig(r), "volatility": sig(v), "sharpe": sig(s)}
        for r, v, s in zip(frame["return"], frame["volatility"], frame["sharpe"], strict=True)
    ]
    top = None
    if best is not None:
        row = frame.iloc[best].drop(["return", "volatility", "sharpe"])
        top = {
            "index": best,
            "largest_weights": round_weights(row.sort_values(ascending=False).head(5)),
        }
    return {
        "frontier_id": frontier_id,
        "points": points,
        "max_sharpe_point": top,
        "date_range": {
            "start": iso_date(returns.index[0]),
            "end": iso_date(returns.index[-1]),
            "days": len(returns),
        },
        "units": "annualised return and volatility; points go from the minimum-volatility "
        "portfolio to the maximum-return one; the weights of every point are in the artifact",
        **({"left_out": left_out} if left_out else {}),
    }


def _portfolio_weights(
    context: ToolContext, portfolio_id: str
) -> tuple[pd.Series, tuple[str | None, str | None]]:
    """The weights of a portfolio of this run, else of the owner's saved portfolio with that id,
    and the date range it was built on (None where unknown)."""
    try:
        record: PortfolioRecord = context.artifacts.get(portfolio_id, "portfolio")
    except ArtifactNotFoundError:
        if context.saved_portfolios is None:
            raise
        saved = context.saved_portfolios(portfolio_id)
        if saved is None:
            raise ArtifactNotFoundError(
                f"no portfolio {portfolio_id!r} in this conversation or among your saved "
                f"portfolios; this conversation's: {', '.join(context.artifacts.ids('portfolio')) or 'none yet'} "
                "(a saved portfolio's id, pf_ and 28 hex digits, works in any conversation)"
            ) from None
        return pd.Series(saved.weights, dtype=float), (saved.start, saved.end)
    return record.weights, (record.start, record.end)


def portfolio_risk_report(context: ToolContext, args: RiskReportArgs) -> dict[str, Any]:
    """VaR, CVaR, drawdown, volatility, Sharpe and risk contributions of a portfolio."""
    start, end = args.start, args.end
    portfolio_id = args.portfolio_id
    if portfolio_id is not None:
        weights, built_on = _portfolio_weights(context, portfolio_id)
        if args.start is None and args.end is None:
            start, end = built_on
        tickers = [str(t) for t in weights.index]
    else:
        assert args.weights is not None
        tickers = context.resolve_universe(list(args.weights))
        upper = {str(k).strip().upper(): float(v) for k, v in args.weights.items()}
        values = np.array([upper[t] for t in tickers], dtype=float)
        if not np.isfinite(values).all():
            raise ValueError("weights must be finite numbers")
        weights = pd.Series(values, index=tickers)
    returns = context.returns(tickers, start, end)
    report = risk_report(weights, returns, level=args.level, risk_free_rate=args.risk_free_rate)
    data = report.to_dict()
    contributions = data.pop("risk_contributions")
    horizon = None
    if args.horizon_days > 1:
        horizon = portfolio_horizon_risk(
            weights, returns, horizon=args.horizon_days, level=args.level
        )
    return {
        "portfolio_id": portfolio_id,
        "date_range": {
            "start": iso_date(returns.index[0]),
            "end": iso_date(returns.index[-1]),
            "days": len(returns),
        },
        "weights_sum": sig(float(weights.sum())),
        **{k: compact(v) for k, v in data.items() if k not in ("periods_per_year",)},
        "risk_contributions": compact(contributions),
        **({"horizon": compact(horizon)} if horizon is not None else {}),
        **thin_tail(returns.to_numpy() @ weights.reindex(returns.columns).to_numpy(), args.level),
        **_amounts(args.capital, _losses(data, horizon)),
        "units": "VaR and CVaR: one-day losses as positive fractions at `level` (`horizon`: "
        "over its `days`, by each method named); "
        "annualised_return, cagr, volatility, sharpe, sortino annualised; max_drawdown a "
        "positive fraction; drawdown_duration in trading days; risk_contributions sum to 1",
    }


def _losses(report: dict[str, Any], horizon: dict[str, Any] | None) -> dict[str, float]:
    """The report's VaR and CVaR (fractions), the horizon's keyed `<method>.var`/`.cvar`."""
    found = {k: float(report[k]) for k in ("var_historical", "cvar_historical", "var_gaussian",
                                           "cvar_gaussian") if report.get(k) is not None}  # fmt: skip
    for method, values in ((horizon or {}).get("methods") or {}).items():
        for key in ("var", "cvar"):
            if isinstance(values.get(key), int | float):
                found[f"{method}.{key}"] = float(values[key])
    return found


def _amounts(capital: float | None, fractions: dict[str, float]) -> dict[str, Any]:
    """`capital` and each fraction of it as money (to the cent), when a capital is given."""
    if capital is None:
        return {}
    return {"capital": capital, "amounts": {k: round(v * capital, 2) for k, v in fractions.items()}}


def portfolio_tools(context: ToolContext) -> list[BaseTool]:
    """The portfolio tools bound to `context`."""
    return [
        make_tool(
            name="optimize_portfolio",
            description=(
                "Build a long-only, fully invested portfolio of the universe from its history "
                "with one method (hrp, risk_parity, min_volatility, max_sharpe, efficient_return, "
                "efficient_risk), keeping every weight limit asked for: max_weight and "
                "min_weight on every asset, asset_limits on named ones, sector_limits on a "
                "sector's total. Returns a portfolio_id (for portfolio_risk_report), the weights, "
                "each limit as applied with what the weights hold against it (`limits`, checked "
                "on the weights returned; `limits_broken` lists any they break) and the "
                "in-sample annualised expected return, volatility and Sharpe ratio; a limit the "
                "method cannot keep is refused, saying why."
            ),
            args_schema=OptimizeArgs,
            run=lambda args: optimize_portfolio(context, args),
        ),
        make_tool(
            name="efficient_frontier",
            description=(
                "Compute the mean-variance efficient frontier of the universe (long-only, weights "
                "capped by max_weight): annualised return, volatility and Sharpe ratio of each "
                "point, from the minimum-volatility to the maximum-return portfolio, and the "
                "largest weights of the highest-Sharpe point. Returns a frontier_id."
            ),
            args_schema=FrontierArgs,
            run=lambda args: efficient_frontier(context, args),
        ),
        make_tool(
            name="portfolio_risk_report",
            description=(
                "Risk report of a portfolio (a portfolio_id from optimize_portfolio, or weights) "
                "held at constant weights over a date range: one-day VaR and CVaR (historical "
                "and gaussian) and, with horizon_days, over that many days (overlapping "
                "multi-day windows and square-root-of-time, each named), maximum drawdown and its duration, annualised volatility, "
                "return, Sharpe, Sortino and Calmar ratios, and each asset's share of the risk."
            ),
            args_schema=RiskReportArgs,
            run=lambda args: portfolio_risk_report(context, args),
        ),
    ]
