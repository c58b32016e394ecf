"""`compare_portfolios`: several portfolios in one table over the same window: portfolios built
by methods (through `optimize_portfolio`, so each is kept like any other built in the
conversation), weights the user gives, and portfolios by id; measured by
`services.comparisons` with the best on each measure named. The answer names its window and
where the market data ends.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from langchain_core.tools import BaseTool
from pydantic import Field, model_validator

from quant.errors import QuantError
from services.comparisons import BEST_IS, best_rows, compare_weights
from tools.artifacts import ArtifactNotFoundError
from tools.context import ToolContext
from tools.portfolio import (
    MAX_WEIGHT_DESCRIPTION,
    MIN_WEIGHT_DESCRIPTION,
    Method,
    OptimizeArgs,
    PortfolioRecord,
    _portfolio_weights,
    optimize_portfolio,
)
from tools.summaries import round_weights, sig
from tools.tool_factory import make_tool
from tools.windows import WindowArgs, window_bounds, window_info, window_returns

__all__ = ["CompareArgs", "compare_portfolios", "comparison_tools"]

MAX_COMPARED = 8
"""Most portfolios in one comparison."""


class CompareArgs(WindowArgs):
    """Arguments of `compare_portfolios` (at least two portfolios in all)."""

    methods: list[Method] | None = Field(
        default=None,
        max_length=6,
        description="Methods to build a portfolio of the universe with, each compared: hrp, "
        "risk_parity, inverse_volatility, min_volatility, max_sharpe (efficient_return and efficient_risk need a "
        "target: use optimize_portfolio).",
    )
    portfolios: dict[str, dict[str, float]] | None = Field(
        default=None,
        max_length=MAX_COMPARED,
        description="Portfolios given as weights, by name: {'60/40': {'AAPL': 0.6, 'KO': 0.4}}.",
    )
    portfolio_ids: list[str] | None = Field(
        default=None,
        max_length=MAX_COMPARED,
        description="Portfolios built in this conversation or saved ('pf_...').",
    )
    equal_weight: bool = Field(
        default=False, description="Also compare the equal-weight portfolio of the universe."
    )
    max_weight: float = Field(default=1.0, gt=0.0, le=1.0, description=MAX_WEIGHT_DESCRIPTION)
    min_weight: float = Field(default=0.0, ge=0.0, lt=1.0, description=MIN_WEIGHT_DESCRIPTION)
    level: float = Field(
        default=0.95, ge=0.5, le=0.999, description="Confidence level of VaR and CVaR."
    )
    risk_free_rate: float = Field(
        default=0.0, ge=-0.1, le=0.5, description="Annual rate of the Sharpe ratio. Default 0."
    )

    @model_validator(mode="after")
    def _several(self) -> CompareArgs:
        count = (
            len(self.methods or [])
            + len(self.portfolios or {})
            + len(self.portfolio_ids or [])
            + int(self.equal_weight)
        )
        if count < 2:
            raise ValueError("compare at least two portfolios (methods, portfolios, ids)")
        if count > MAX_COMPARED:
            raise ValueError(f"compare at most {MAX_COMPARED} portfolios at once, got {count}")
        if self.methods and any(m in ("efficient_return", "efficient_risk") for m in self.methods):
            raise ValueError(
                "efficient_return and efficient_risk need a target: build them "
                "with optimize_portfolio and compare them by portfolio_ids"
            )
        return self


def _label(context: ToolContext, portfolio_id: str) -> str:
    """How a row names a portfolio: one of this conversation by its method, one the owner
    saved by its name (else its id)."""
    try:
        record: PortfolioRecord = context.artifacts.get(portfolio_id, "portfolio")
    except ArtifactNotFoundError:
        saved = context.saved_portfolios and context.saved_portfolios(portfolio_id)
        return saved.name if saved and saved.name.strip() else portfolio_id
    return record.method


def _candidates(
    context: ToolContext, args: CompareArgs
) -> tuple[dict[str, pd.Series], dict[str, str], dict[str, str]]:
    """The portfolios to compare by label, the id of each built or named one, and the methods
    that could not be built (with why)."""
    found: dict[str, pd.Series] = {}
    ids: dict[str, str] = {}
    failed: dict[str, str] = {}
    start, end = window_bounds(context, args.start, args.end, args.last_sessions)
    for method in dict.fromkeys(args.methods or []):
        try:
            built = optimize_portfolio(
                context,
                OptimizeArgs(
                    method=method,
                    universe=args.universe,
                    start=start,
                    end=end,
                    max_weight=args.max_weight,
                    min_weight=args.min_weight,
                ),
            )
        except (ValueError, QuantError) as exc:  # a method that cannot keep the limits
            failed[method] = str(exc)
            continue
        ids[method] = built["portfolio_id"]
        found[method], _ = _portfolio_weights(context, ids[method])
    for portfolio_id in dict.fromkeys(args.portfolio_ids or []):
        weights, _ = _portfolio_weights(context, portfolio_id)
        label = _label(context, portfolio_id)
        label = portfolio_id if label in found else label
        found[label], ids[label] = weights.astype(float), portfolio_id
    for name, given in (args.portfolios or {}).items():
        upper = {str(k).strip().upper(): float(v) for k, v in given.items()}
        context.resolve_universe(list(upper))  # unknown tickers are named
        found[name] = pd.Series(upper, dtype=float)
    if args.equal_weight:
        tickers, _ = context.portfolio_universe(args.universe)
        found["equal_weight"] = pd.Series(1.0 / len(tickers), index=tickers)
    return found, ids, failed


def compare_portfolios(context: ToolContext, args: CompareArgs) -> dict[str, Any]:
    """The portfolios' measures side by side over one window, and the best on each."""
    found, ids, failed = _candidates(context, args)
    if len(found) < 2:
        problems = "; ".join(f"{k}: {v}" for k, v in failed.items())
        raise ValueError(f"fewer than two portfolios to compare ({problems or 'none built'})")
    tickers = list(dict.fromkeys(str(t) for w in found.values() for t in w.index))
    returns = window_returns(context, tickers, args.start, args.end, args.last_sessions)
    rows = compare_weights(returns, found, level=args.level, risk_free_rate=args.risk_free_rate)
    table = []
    for row in rows:
        top = row.weights[row.weights != 0].sort_values(ascending=False).head(6)
        table.append(
            {
                "portfolio": row.label,
                **({"portfolio_id": ids[row.label]} if row.label in ids else {}),
                "cumulative_return": sig(row.cumulative_return),
                "annualised_return": sig(row.annualised_return),
                "cagr": sig(row.cagr),
                "volatility": sig(row.volatility),
                "sharpe_ratio": sig(row.sharpe_ratio),
                "max_drawdown": sig(row.max_drawdown),
                "var": sig(row.var),
                "cvar": sig(row.cvar),
                "largest_weights": round_weights(top),
            }
        )
    return {
        **window_info(context, returns),
        "level": args.level,
        "risk_free_rate": args.risk_free_rate,
        "rows": table,
        "best": {f"{BEST_IS[m]}_{m}": label for m, label in best_rows(rows).items()},
        **({"not_built": failed} if failed else {}),
        "units": "fractions (0.12 = 12%); held at constant weights, rebalanced daily, over the "
        "window (portfolios built by a method are estimated on the same window: in-sample); "
        "annualised_return: mean x 252; volatility annualised; var and cvar one-day historical "
        "at `level`, positive = loss; max_drawdown positive = loss",
    }


def comparison_tools(context: ToolContext) -> list[BaseTool]:
    """The comparison tool bound to `context`."""
    return [
        make_tool(
            name="compare_portfolios",
            description=(
                "Compare several portfolios in one table over the same window: portfolios built "
                "by methods of the universe (hrp, risk_parity, min_volatility, max_sharpe), "
                "weights given by name, portfolio ids, and the equal-weight portfolio. Each row: "
                "cumulative and annualised return, CAGR, volatility, Sharpe ratio, maximum "
                "drawdown, one-day VaR and CVaR; `best` names the best portfolio on each measure. "
                "Use it for 'compare HRP, risk parity and min-vol for AAPL MSFT JPM XOM' or "
                "'compare the 95% CVaR of a min-vol and an HRP portfolio'."
            ),
            args_schema=CompareArgs,
            run=lambda args: compare_portfolios(context, args),
        )
    ]
