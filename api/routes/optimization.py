"""`/v1/optimization/*`: synchronous portfolio construction on the numeric core.

- `POST /v1/optimization/hrp`: Hierarchical Risk Parity (`quant.optimizers.hrp`).
- `POST /v1/optimization/risk-parity`: equal or budgeted risk contributions
  (`quant.optimizers.risk_budgeting`) on the chosen covariance estimate.
- `POST /v1/optimization/inverse-volatility`: weights in proportion to 1 / volatility
  (`quant.optimizers.naive_parity`) of the chosen covariance estimate.
- `POST /v1/optimization/efficient-frontier`: long-only (or bounded) mean-variance frontier
  (`quant.optimizers.mean_variance`), plus its maximum-Sharpe portfolio.

Input returns come from `services.market_data.sources.resolve_returns` (inline, dataset, portfolio or the embedded
S&P 500). Every answer carries the weights, annualised expected return (arithmetic mean x 252),
volatility (sqrt(w'Σw) of the chosen annualised covariance), Sharpe ratio against
`risk_free_rate` (annual), relative risk contributions and a historical risk report (daily
VaR/CVaR at `level`, max drawdown, ...; positive numbers are losses). Results are cached per
owner for `CACHE_TTL_SECONDS`, keyed by a hash of the resolved returns and the options
(`cached: true` on a hit). Every answer is also stored as a record (`id`: `opt_…`, listed and
fetched at `/v1/optimization/results`, `api.routes.analyses`). `save_as` saves the weights as a new portfolio. Assets the caller's
profile excludes are left out before anything is estimated (`left_out` says why; 422 on
`body.assets` when fewer than two are left).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from api.context import Caller, Ctx
from api.errors import field_errors, validation_error
from api.route_defaults import api_router
from api.routes.analyses import reorder_assets
from api.schemas.optimization import (
    FrontierRequest,
    HRPRequest,
    InverseVolatilityRequest,
    OptimizationRequest,
    OptimizationResult,
    RiskParityRequest,
)
from services.errors import ConstraintError
from store import Store

if TYPE_CHECKING:
    import pandas as pd

    from services.market_data.sources import Resolved

router = api_router(prefix="/v1", tags=["optimization"])

CACHE_TTL_SECONDS = 3600.0
"""How long an optimization result stays cached (per owner), seconds."""


def _analytics(
    weights: pd.Series,
    resolved: Resolved,
    request: OptimizationRequest,
    mu: pd.Series,
    cov: pd.DataFrame,
) -> dict[str, Any]:
    from services.portfolios import analyse_portfolio, finite_or_none

    described = analyse_portfolio(
        weights,
        resolved.returns,
        mu=mu,
        cov=cov,
        risk_free_rate=request.risk_free_rate,
        level=request.level,
    )
    return {
        "weights": {str(k): float(v) for k, v in described.weights.items()},
        "expected_return": described.performance.expected_return,
        "volatility": described.performance.volatility,
        "sharpe_ratio": finite_or_none(described.performance.sharpe_ratio),
        "risk_contributions": {str(k): float(v) for k, v in described.risk_contributions.items()},
        "risk_report": described.risk_report,
    }


def _options(request: OptimizationRequest) -> dict[str, Any]:
    exclude = {"returns", "dataset_id", "portfolio_id", "assets", "start", "end", "save_as"}
    return request.model_dump(mode="json", exclude=exclude)


def _cache_key(method: str, resolved: Resolved, options: dict[str, Any]) -> str:
    text = json.dumps(
        {"method": method, "data": resolved.digest(), "options": options}, sort_keys=True
    )
    return f"optimization:{method}:{hashlib.sha256(text.encode()).hexdigest()}"


def _save(
    store: Store, owner: str, name: str, resolved: Resolved, weights: dict[str, float]
) -> str:
    from services.market_data.providers import EMBEDDED, market_closes

    dataset_id = resolved.source.get("dataset_id")
    if dataset_id == EMBEDDED:
        dataset_id = None
    if resolved.source.get("source") == "inline":
        known = set(market_closes().columns)
        unknown = [a for a in weights if a not in known]
        if unknown:
            raise validation_error(
                "body.save_as",
                f"inline assets {unknown} are not in the market data: upload the returns as "
                "a dataset to save a portfolio over them",
            )
    data = {
        "weights": [{"asset": a, "weight": w} for a, w in weights.items()],
        "dataset_id": dataset_id,
        "notes": None,
        "allow_short": any(w < 0 for w in weights.values()),
    }
    return store.create_portfolio(owner, name, data).id


def _run(
    method: str,
    request: OptimizationRequest,
    context: Ctx,
    caller: Caller,
    compute: Any,
    portfolio_label: str | None = None,
) -> OptimizationResult:
    """The optimization `compute` does, on the request's returns, answered (from the cache
    when the same data and options ran within `CACHE_TTL_SECONDS`) and stored as a record
    (`opt_…`) for the portfolio the caller named (`portfolio_label`, default `portfolio_id`)."""
    from services.market_data.sources import resolve_returns
    from services.portfolios import estimates

    store = context.store
    with field_errors("body."):
        resolved = resolve_returns(request, store, caller.owner, min_rows=2, min_assets=2)
    resolved, left_out = _screened(resolved, store, caller.owner)
    options = _options(request)
    key = _cache_key(method, resolved, options)
    payload = store.cache_get(caller.owner, key)
    cached = payload is not None
    if payload is not None:  # the store keeps JSON key-sorted: restore the assets' order
        reorder_assets(payload, [str(c) for c in resolved.returns.columns])
        payload["data"] = resolved.data_info()  # same numbers; this request's source
    if payload is None:
        mu, cov = estimates(
            resolved.returns,
            covariance_method=request.covariance.method,
            halflife=request.covariance.halflife,
            expected_returns=request.mean_method(),
        )
        payload = compute(resolved, mu, cov)
        payload.update(method=method, data=resolved.data_info(), options=options, cache_key=key)
        store.cache_put(caller.owner, key, payload, CACHE_TTL_SECONDS)
    portfolio_id = None
    if request.save_as is not None:
        portfolio_id = _save(store, caller.owner, request.save_as, resolved, payload["weights"])
    answer = {**payload, "cached": cached, "portfolio_id": portfolio_id, "left_out": left_out}
    label = portfolio_label if portfolio_label is not None else request.portfolio_id
    record = store.put_analysis(caller.owner, "optimization", label, answer)
    return OptimizationResult(**answer, id=record.id, created_at=record.created_at)


def _screened(resolved: Resolved, store: Store, owner: str) -> tuple[Resolved, list[str]]:
    """`resolved` without the assets the owner's profile excludes, and why each is left out;
    422 on `body.assets` when fewer than two assets are left."""
    from services.profiles import get_profile, screen

    names = [str(c) for c in resolved.returns.columns]
    checked = screen(get_profile(store, owner), names)
    if not checked.left_out:
        return resolved, []
    if len(checked.allowed) < 2:
        raise validation_error(
            "body.assets",
            f"your profile's exclusions leave {len(checked.allowed)} of the {len(names)} assets "
            "(at least 2 needed): " + "; ".join(checked.reasons),
        )
    kept = [n for n in names if n.strip().upper() in set(checked.allowed)]
    return replace(resolved, returns=resolved.returns[kept]), checked.reasons


@router.post(
    "/optimization/hrp", response_model=OptimizationResult, summary="Hierarchical Risk Parity"
)
def optimize_hrp(request: HRPRequest, context: Ctx, caller: Caller) -> OptimizationResult:
    """HRP weights (Lopez de Prado 2016) from the returns' sample correlation tree; the
    covariance option only affects the reported volatility and risk contributions."""
    return run_hrp(request, context, caller)


def run_hrp(
    request: HRPRequest, context: Ctx, caller: Caller, portfolio_label: str | None = None
) -> OptimizationResult:
    """`POST /v1/optimization/hrp`'s answer (stored for `portfolio_label`, see `_run`)."""

    from services.portfolios import build_portfolio

    def compute(resolved: Resolved, mu: pd.Series, cov: pd.DataFrame) -> dict[str, Any]:
        weights = build_portfolio(
            "hrp",
            resolved.returns,
            mu=mu,
            cov=cov,
            linkage=request.linkage,
            optimal_ordering=request.optimal_ordering,
        )
        return _analytics(weights, resolved, request, mu, cov)

    return _run("hrp", request, context, caller, compute, portfolio_label)


@router.post("/optimization/risk-parity", response_model=OptimizationResult, summary="Risk parity")
def optimize_risk_parity(
    request: RiskParityRequest, context: Ctx, caller: Caller
) -> OptimizationResult:
    """Long-only weights whose risk contributions equal the budgets (equal by default)."""
    return run_risk_parity(request, context, caller)


def run_risk_parity(
    request: RiskParityRequest, context: Ctx, caller: Caller, portfolio_label: str | None = None
) -> OptimizationResult:
    """`POST /v1/optimization/risk-parity`'s answer (stored for `portfolio_label`, see `_run`)."""
    import pandas as pd

    from services.portfolios import build_portfolio

    def compute(resolved: Resolved, mu: pd.Series, cov: pd.DataFrame) -> dict[str, Any]:
        budgets = None
        if request.budgets is not None:
            names = [str(c) for c in resolved.returns.columns]
            unknown = [a for a in request.budgets if a not in names]
            if unknown:
                raise validation_error(
                    "body.budgets", f"budgets for assets not in the data: {', '.join(unknown)}"
                )
            missing = [a for a in names if a not in request.budgets]
            if missing:
                raise validation_error(
                    "body.budgets", f"no budget for assets: {', '.join(missing)}"
                )
            budgets = pd.Series(request.budgets, dtype=float).reindex(names)
        weights = build_portfolio("risk_parity", resolved.returns, mu=mu, cov=cov, budgets=budgets)
        return _analytics(weights, resolved, request, mu, cov)

    return _run("risk_parity", request, context, caller, compute, portfolio_label)


@router.post(
    "/optimization/inverse-volatility",
    response_model=OptimizationResult,
    summary="Inverse volatility",
)
def optimize_inverse_volatility(
    request: InverseVolatilityRequest, context: Ctx, caller: Caller
) -> OptimizationResult:
    """Long-only weights in proportion to 1 / each asset's volatility (from the covariance
    estimator's diagonal), summing to 1: risk parity that ignores correlations."""

    from services.portfolios import build_portfolio

    def compute(resolved: Resolved, mu: pd.Series, cov: pd.DataFrame) -> dict[str, Any]:
        weights = build_portfolio("inverse_volatility", resolved.returns, mu=mu, cov=cov)
        return _analytics(weights, resolved, request, mu, cov)

    return _run("inverse_volatility", request, context, caller, compute)


def _bound(value: float | dict[str, float], names: list[str], field: str) -> Any:
    import numpy as np

    if isinstance(value, dict):
        unknown = [a for a in value if a not in names]
        missing = [a for a in names if a not in value]
        if unknown or missing:
            raise validation_error(
                field,
                f"per-asset bounds must cover exactly the assets: unknown {unknown or 'none'}, "
                f"missing {missing or 'none'}",
            )
        vector = np.array([value[a] for a in names], dtype=float)
    else:
        vector = np.full(len(names), float(value))
    if not np.isfinite(vector).all():
        raise validation_error(field, "bounds must be finite numbers")
    return vector


@router.post(
    "/optimization/efficient-frontier",
    response_model=OptimizationResult,
    summary="Efficient frontier",
)
def optimize_frontier(request: FrontierRequest, context: Ctx, caller: Caller) -> OptimizationResult:
    """`n_points` efficient portfolios with returns evenly spaced from the minimum-volatility to
    the maximum-return portfolio within the bounds; `weights` is the maximum-Sharpe portfolio."""
    return run_frontier(request, context, caller)


def run_frontier(
    request: FrontierRequest, context: Ctx, caller: Caller, portfolio_label: str | None = None
) -> OptimizationResult:
    """`POST /v1/optimization/efficient-frontier`'s answer (stored for `portfolio_label`, see
    `_run`)."""

    from services.portfolios import finite_or_none, frontier

    def compute(resolved: Resolved, mu: pd.Series, cov: pd.DataFrame) -> dict[str, Any]:
        names = [str(c) for c in resolved.returns.columns]
        lower = _bound(request.bounds.lower, names, "body.bounds.lower")
        upper = _bound(request.bounds.upper, names, "body.bounds.upper")
        try:
            found = frontier(
                mu,
                cov,
                n_points=request.n_points,
                bounds=(lower, upper),
                risk_free_rate=request.risk_free_rate,
            )
        except ConstraintError as exc:
            raise validation_error("body.bounds", str(exc)) from None
        points = [
            {
                "expected_return": float(row["return"]),
                "volatility": float(row["volatility"]),
                "sharpe_ratio": finite_or_none(row["sharpe"]),
                "weights": {a: float(row[a]) for a in names},
            }
            for _, row in found.points.iterrows()
        ]
        out = _analytics(found.weights, resolved, request, mu, cov)
        out["frontier"] = points
        out["selected"] = found.selected
        return out

    return _run("efficient_frontier", request, context, caller, compute, portfolio_label)
