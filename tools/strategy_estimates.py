"""`estimate_strategy`: the owner's strategy model's estimate of how a configuration would do in
the scenarios of one of their searches (`services.estimates`), in milliseconds, labelled
"model estimate" with prediction intervals; the answer says how to get the full evaluation.
Bound to the chat's signed-in owner (`ToolContext.records`). Answered as
`POST /v1/strategy-estimates` answers (`services.estimate_endpoint.estimate`): by the SageMaker
endpoint the settings name (`STRATIGOS_API_ESTIMATES_ENDPOINT_NAME`), else in this process; an
endpoint that cannot answer is a tool error, never an estimate."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from quant.regime_names import RegimeName
from settings import get_settings
from tools.context import ToolContext
from tools.summaries import compact
from tools.tool_factory import make_tool

__all__ = ["EstimateArgs", "strategy_estimate_tools"]


class EstimateArgs(BaseModel):
    """Arguments of `estimate_strategy`."""

    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] = Field(
        default_factory=dict,
        max_length=64,
        description="StrategyConfig fields, e.g. {'target_vol': 0.1, 'lookback': 63, "
        "'weight_function': 'sigmoid'}; the others at their defaults.",
    )
    run_id: str | None = Field(
        default=None,
        max_length=100,
        description="The user's search whose scenarios to estimate in (default: the newest "
        "the strategy model learnt).",
    )
    scenarios: list[RegimeName] | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="Some of its scenarios (default: all).",
    )


def _estimate(context: ToolContext, args: EstimateArgs) -> dict[str, Any]:
    # the strategy model (scipy.stats: a second of imports) loads on the first estimate, not
    # when the tools are built (every chat turn and `stratigos mcp` build them)
    from services.estimate_endpoint import EstimateEndpointError, estimate

    if context.records is None:
        raise ValueError(
            "estimates come from the signed-in user's strategy model: use `stratigos chat` or "
            "the web UI's chat"
        )
    records = context.records
    settings = records.settings if records.settings is not None else get_settings()
    try:
        answer = estimate(
            records.store,
            settings,
            records.owner,
            args.config,
            run_id=args.run_id,
            scenarios=args.scenarios,
        )
    except EstimateEndpointError as exc:
        raise ValueError(f"no estimate: {exc.message}") from None
    return dict(compact(answer))


def strategy_estimate_tools(context: ToolContext) -> list[BaseTool]:
    """The estimate tool bound to `context`."""
    return [
        make_tool(
            name="estimate_strategy",
            description=(
                "Estimate in milliseconds how a volatility-targeting configuration would do in "
                "the scenarios of one of the user's searches, from the strategy model their "
                "searches taught: per scenario the path means of Sharpe, CAGR, volatility, max "
                "drawdown and 95% CVaR, each with a 90% prediction interval. Always call the "
                "numbers a model estimate, give the interval, and offer the full evaluation "
                "(backtest_strategy, or a search with the configuration fixed)."
            ),
            args_schema=EstimateArgs,
            run=lambda args: _estimate(context, args),
        )
    ]
