"""`POST /v1/strategy-estimates`: how a strategy configuration would do in the scenarios of one
of the caller's searches, estimated by the caller's strategy model in milliseconds
(`services.estimates`; docs/strategy-model.md#instant-estimates). Every answer is labelled
"model estimate" and carries its prediction interval; nothing is simulated unless the body
asks for the full evaluation (below). A caller without a
model, or naming a search that is not theirs, gets 404; a bad configuration or scenario 422
naming the field. Where the settings name the strategy model's SageMaker endpoint
(`STRATIGOS_API_ESTIMATES_ENDPOINT_NAME`, a deployed stack's) the endpoint computes the answer
for the authenticated owner (`services.estimate_endpoint`); an endpoint that cannot answer is a
503 (`UNAVAILABLE`: try again) or a 502 (`BAD_GATEWAY`: it failed), never an estimate.
`"evaluate": true` adds the full evaluation the estimate offers, simulated in this process on
the search's own paths (`graphs.strategy_evaluation`). Each process computes at most
`STRATIGOS_API_MAX_ESTIMATES` estimates and `STRATIGOS_API_MAX_EVALUATIONS` full evaluations at
once; one more is refused at once with 429 and `Retry-After`, naming `body.config` or
`body.evaluate` (`services.work_bounds`)."""

from __future__ import annotations

from api.context import Caller, Ctx
from api.errors import ApiError, field_errors
from api.route_defaults import api_router
from api.schemas.strategy_estimates import StrategyEstimateIn, StrategyEstimateOut

router = api_router(prefix="/v1", tags=["strategy-model"])


@router.post(
    "/strategy-estimates",
    response_model=StrategyEstimateOut,
    summary="Estimate a configuration with your strategy model",
)
def estimate(body: StrategyEstimateIn, context: Ctx, caller: Caller) -> StrategyEstimateOut:
    """The strategy model's estimate of `config` in the scenarios of your search `run_id`
    (default: the newest it learnt): per scenario the path means of Sharpe, CAGR, volatility,
    maximum drawdown and 95% CVaR, each with an interval holding the true value with
    probability `coverage`, labelled "model estimate"; with `evaluate`, also the full
    evaluation: the configuration simulated on that search's paths, labelled "full
    evaluation"."""
    from services.estimate_endpoint import EstimateEndpointError, estimate

    try:
        with field_errors("body."):
            with context.estimates.held():
                answer = estimate(
                    context.store,
                    context.settings,
                    caller.owner,
                    body.config,
                    run_id=body.run_id,
                    scenarios=body.scenarios,
                )
            if body.evaluate:
                from graphs.strategy_evaluation import evaluate_strategy

                with context.evaluations.held():
                    answer["evaluation"] = evaluate_strategy(
                        context.store,
                        caller.owner,
                        body.config,
                        run_id=answer["search"]["run_id"],
                        scenarios=body.scenarios,
                        settings=context.settings,
                    )
    except EstimateEndpointError as exc:
        code = "UNAVAILABLE" if exc.status == 503 else "BAD_GATEWAY"
        raise ApiError(exc.status, code, f"no estimate: {exc.message}") from None
    return StrategyEstimateOut.model_validate(answer)
