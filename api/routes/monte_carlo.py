"""`/v1/monte-carlo/*`: a portfolio's value under simulated market scenarios.

Paths come from `quant.scenarios.generate_scenarios` (see docs/scenarios.md): for each scenario
(bull, bear, high_vol, low_vol, base: days of history in that regime; the market for the regimes
is the equal-weighted average of the data's assets) and each method (`block_bootstrap` replays
blocks of historical days, `gbm` draws correlated log-normal returns with the regime's moments),
`n_paths` paths of `horizon_days` daily simple returns per asset. The portfolio is rebalanced
daily to its weights (`ScenarioSet.risky`), so its wealth is W_t = W_0 prod_{s<=t}(1 + r_s).
The same data, options and `seed` always give the same numbers.

- `POST /v1/monte-carlo/simulate`: percentile bands of wealth over time (fan chart data) and
  terminal wealth statistics per scenario and method.
- `POST /v1/monte-carlo/analyze`: risk over the horizon per scenario and method: VaR and CVaR
  (expected shortfall) of the horizon return, the distribution of the maximum drawdown, the
  probability of losing more than `loss_threshold`, and the mean loss when that happens.
  Losses are positive numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.context import Caller, Ctx
from api.errors import field_errors, input_errors, validation_error
from api.route_defaults import api_router
from api.routes.analyses import (
    check_reproduced,
    get_record,
    simulation_record,
    stored_request,
)
from api.schemas.monte_carlo import (
    AnalyzeRequest,
    AnalyzeResult,
    Distribution,
    MonteCarloRequest,
    ScenarioPaths,
    ScenarioRisk,
    SimulateRequest,
    SimulateResult,
    TerminalStats,
)

if TYPE_CHECKING:
    import pandas as pd

    from services.market_data.sources import Resolved
    from services.monte_carlo import ScenarioPaths as SimulatedPaths

router = api_router(prefix="/v1", tags=["monte-carlo"])

MAX_CELLS = 60_000_000
"""Largest n_paths x horizon_days x assets x scenarios x methods simulated per request."""


def _resolve(
    request: MonteCarloRequest, context: Ctx, caller: Caller
) -> tuple[Resolved, pd.Series]:
    import pandas as pd

    from services.market_data.sources import resolve_returns
    from services.portfolios import check_weights

    source = request
    if request.weights is not None and request.assets is None and request.portfolio_id is None:
        source = request.model_copy(update={"assets": list(request.weights)})
    with field_errors("body."):
        resolved = resolve_returns(source, context.store, caller.owner, min_rows=2)
    names = [str(c) for c in resolved.returns.columns]
    if request.weights is not None:
        with field_errors("body."):
            check_weights(
                list(request.weights.items()), names, allow_short=True, source=resolved.source
            )
        weights = pd.Series({a: request.weights.get(a, 0.0) for a in names}, dtype=float)
    elif resolved.weights is not None:
        weights = resolved.weights.reindex(names).fillna(0.0)
    else:
        weights = pd.Series(1.0 / len(names), index=names)
    cells = (
        request.n_paths
        * request.horizon_days
        * len(names)
        * len(request.scenarios)
        * len(request.methods)
    )
    if cells > MAX_CELLS:
        raise validation_error(
            "body.n_paths",
            f"n_paths x horizon_days x assets x scenarios x methods = {cells:,} exceeds "
            f"{MAX_CELLS:,}: reduce n_paths or horizon_days",
        )
    return resolved, weights


def _portfolio_paths(
    request: MonteCarloRequest, resolved: Resolved, weights: pd.Series
) -> list[SimulatedPaths]:
    """The portfolio's paths per method and scenario (`services.monte_carlo`)."""
    from services.monte_carlo import portfolio_paths

    with input_errors():
        return portfolio_paths(
            resolved.returns,
            weights,
            scenarios=request.scenarios,
            methods=request.methods,
            n_paths=request.n_paths,
            horizon_days=request.horizon_days,
            seed=request.seed,
            block_size=request.block_size,
            weights_field=_weights_field(request),
        )


def _weights_field(request: MonteCarloRequest) -> str:
    """The request field the portfolio's weights come from."""
    if request.weights is None and request.portfolio_id is not None:
        return "portfolio_id"
    return "weights"


def _simulated(
    request: MonteCarloRequest, resolved: Resolved, weights: pd.Series
) -> dict[str, Any]:
    """What every answer says of its simulation: the weights, paths, horizon, seed and data."""
    return {
        "weights": {str(k): float(v) for k, v in weights.items()},
        "n_paths": request.n_paths,
        "horizon_days": request.horizon_days,
        "seed": request.seed,
        "data": resolved.data_info(),
    }


def _scenario(paths: SimulatedPaths) -> dict[str, Any]:
    """Which scenario and method simulated `paths`, and the days of history in that regime."""
    return {"scenario": paths.scenario, "method": paths.method, "regime_days": paths.regime_days}


def _label(pct: float) -> str:
    return f"p{pct:g}"


@router.post(
    "/monte-carlo/simulate", response_model=SimulateResult, summary="Simulate wealth paths"
)
def simulate(request: SimulateRequest, context: Ctx, caller: Caller) -> SimulateResult:
    """Wealth of the portfolio (rebalanced daily) along simulated paths: per scenario and
    method, percentiles of wealth at up to `max_points` days from 0 to the horizon and the
    distribution of terminal wealth. The simulation is stored (`id`: analyse it by id)."""
    return run_simulation(request, context, caller)


def run_simulation(
    request: SimulateRequest, context: Ctx, caller: Caller, portfolio_label: str | None = None
) -> SimulateResult:
    """`POST /v1/monte-carlo/simulate`'s answer, stored for the portfolio the caller named
    (`portfolio_label`, default `portfolio_id`; `api.routes.analyses`)."""
    from services.monte_carlo import wealth_fan

    for i, pct in enumerate(request.percentiles):
        if not 0.0 <= pct <= 100.0:
            raise validation_error(f"body.percentiles.{i}", f"{pct} is not within 0-100")
    resolved, weights = _resolve(request, context, caller)
    results = []
    simulated = _portfolio_paths(request, resolved, weights)
    days: list[int] = []
    for paths in simulated:
        with input_errors():
            fan = wealth_fan(
                paths,
                initial_value=request.initial_value,
                percentiles=request.percentiles,
                max_points=request.max_points,
            )
        results.append(
            ScenarioPaths(
                **_scenario(paths),
                days=fan.days,
                bands={_label(p): band for p, band in fan.bands.items()},
                mean=fan.mean,
                terminal=TerminalStats(
                    mean=fan.terminal_mean,
                    std=fan.terminal_std,
                    min=fan.terminal_min,
                    max=fan.terminal_max,
                    percentiles={_label(p): v for p, v in fan.terminal_percentiles.items()},
                    prob_loss=fan.prob_loss,
                ),
            )
        )
        days = fan.days
    answer = {
        **_simulated(request, resolved, weights),
        "initial_value": request.initial_value,
        "results": [r.model_dump(mode="json") for r in results],
    }
    kept = simulation_record(request, resolved, answer["weights"], simulated, days)
    record = context.store.put_analysis(
        caller.owner,
        "simulation",
        portfolio_label or request.portfolio_id,
        {"answer": answer, **kept},
    )
    return SimulateResult(**answer, id=record.id, created_at=record.created_at)


@router.post("/monte-carlo/analyze", response_model=AnalyzeResult, summary="Scenario risk analysis")
def analyze(request: AnalyzeRequest, context: Ctx, caller: Caller) -> AnalyzeResult:
    """Risk of the portfolio over the horizon in each scenario and method: VaR/CVaR of the
    horizon return, maximum drawdown distribution, probability and size of large losses. With
    `simulation_id`, of the stored simulation's own paths (regenerated, checked by digest)."""
    from services.monte_carlo import horizon_risk

    record = None
    if request.simulation_id is not None:
        record = get_record(context.store, caller.owner, "simulation", request.simulation_id)
        request = stored_request(request, record)
    resolved, weights = _resolve(request, context, caller)
    simulated = _portfolio_paths(request, resolved, weights)
    if record is not None:
        check_reproduced(record, simulated)
    results = []
    for paths in simulated:
        risk = horizon_risk(paths, level=request.level, loss_threshold=request.loss_threshold)
        results.append(
            ScenarioRisk(
                **_scenario(paths),
                mean_return=risk.mean_return,
                volatility=risk.volatility,
                median_horizon_return=risk.median_horizon_return,
                mean_horizon_return=risk.mean_horizon_return,
                var=risk.var,
                cvar=risk.cvar,
                prob_loss=risk.prob_loss,
                prob_loss_beyond_threshold=risk.prob_loss_beyond_threshold,
                expected_loss_given_breach=risk.expected_loss_given_breach,
                max_drawdown=Distribution(
                    mean=risk.drawdown_mean,
                    median=risk.drawdown_median,
                    p75=risk.drawdown_p75,
                    p95=risk.drawdown_p95,
                    worst=risk.drawdown_worst,
                ),
            )
        )
    return AnalyzeResult(
        **_simulated(request, resolved, weights),
        simulation_id=request.simulation_id,
        level=request.level,
        loss_threshold=request.loss_threshold,
        results=results,
    )
