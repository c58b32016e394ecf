"""`/v1/portfolios`: saved portfolios (weights over the assets of a dataset, and notes).

Weights are a list of `{"asset", "weight"}` objects (so a repeated asset is detectable) that
must be finite, sum to 1, name only assets of the referenced dataset (default: the embedded S&P
500 data), be non-negative unless `allow_short`, and hold a gross leverage (sum of |weight|)
within bounds (`services.portfolios.check_weights`).
Updates are full replacements guarded by the portfolio's `version` (`If-Match` header or
`version` in the body): a stale version is 409. Other owners' portfolios are 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.concurrency import etag, expected_version
from api.context import Caller, Ctx
from api.errors import ApiError, field_errors, found_or_404
from api.params import IfMatch
from api.route_defaults import api_router
from api.schemas.portfolios import (
    PortfolioIn,
    PortfolioList,
    PortfolioOut,
    PortfolioUpdate,
    portfolio_out,
)
from store import Portfolio, Store

router = api_router(prefix="/v1", tags=["portfolios"])


def check_profile(
    store: Store, owner: str, weights: dict[str, float], field: str = "body.weights"
) -> None:
    """422 on `field` naming the held tickers that the owner's profile excludes, and why."""
    from services.profiles import excluded_holdings, get_profile

    held = excluded_holdings(get_profile(store, owner), weights)
    if held:
        positions = [asset.strip().upper() for asset in weights]
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            "a portfolio never holds what your profile excludes: "
            + "; ".join(hit.reason for hit in held),
            [(f"{field}.{positions.index(hit.ticker)}.asset", hit.reason) for hit in held],
        )


def portfolio_data(body: PortfolioIn, store: Store, owner: str) -> dict[str, Any]:
    """Validated portfolio data as stored."""
    from services.market_data.datasets import dataset_assets
    from services.portfolios import check_weights

    weights = [(w.asset, w.weight) for w in body.weights]
    with field_errors("body."):
        known = dataset_assets(store, owner, body.dataset_id, "dataset_id")
        source = None if body.dataset_id is None else {"dataset_id": body.dataset_id}
        check_weights(weights, known, allow_short=body.allow_short, source=source)
    check_profile(store, owner, {w.asset: w.weight for w in body.weights})
    return {
        "weights": [{"asset": w.asset, "weight": w.weight} for w in body.weights],
        "dataset_id": body.dataset_id,
        "notes": body.notes,
        "allow_short": body.allow_short,
    }


def _get(store: Store, owner: str, portfolio_id: str) -> Portfolio:
    with found_or_404("portfolio", portfolio_id):
        return store.get_portfolio(owner, portfolio_id)


@router.get("/portfolios", response_model=PortfolioList, summary="List portfolios")
def list_portfolios(context: Ctx, caller: Caller) -> PortfolioList:
    """The caller's portfolios, oldest first."""
    items = context.store.list_portfolios(caller.owner)
    return PortfolioList(items=[portfolio_out(p) for p in items])


@router.post(
    "/portfolios",
    response_model=PortfolioOut,
    status_code=201,
    summary="Create a portfolio",
    responses={201: {"description": "Created; `Location` names the new portfolio."}},
)
def create_portfolio(
    body: PortfolioIn, context: Ctx, caller: Caller, response: Response
) -> PortfolioOut:
    """Validate the weights against the dataset's assets and save the portfolio (version 1)."""
    data = portfolio_data(body, context.store, caller.owner)
    portfolio = context.store.create_portfolio(caller.owner, body.name, data)
    response.headers["Location"] = f"/v1/portfolios/{portfolio.id}"
    response.headers["ETag"] = etag(portfolio.version)
    return portfolio_out(portfolio)


@router.get("/portfolios/{portfolio_id}", response_model=PortfolioOut, summary="Get a portfolio")
def get_portfolio(
    portfolio_id: str, context: Ctx, caller: Caller, response: Response
) -> PortfolioOut:
    """The portfolio (404 if it is not the caller's); `ETag` carries its version."""
    portfolio = _get(context.store, caller.owner, portfolio_id)
    response.headers["ETag"] = etag(portfolio.version)
    return portfolio_out(portfolio)


@router.put(
    "/portfolios/{portfolio_id}", response_model=PortfolioOut, summary="Replace a portfolio"
)
def replace_portfolio(
    portfolio_id: str,
    body: PortfolioUpdate,
    context: Ctx,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> PortfolioOut:
    """Replace name, weights, dataset and notes. With a version (`If-Match` or `version`), a
    portfolio changed meanwhile is 409 and nothing is written."""
    store = context.store
    _get(store, caller.owner, portfolio_id)  # 404 before validating against datasets
    expected = expected_version(if_match, body.version)
    data = portfolio_data(body, store, caller.owner)
    portfolio = store.update_portfolio(
        caller.owner, portfolio_id, name=body.name, data=data, expected_version=expected
    )
    response.headers["ETag"] = etag(portfolio.version)
    return portfolio_out(portfolio)


@router.delete(
    "/portfolios/{portfolio_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a portfolio",
    responses={204: {"description": "Deleted."}},
)
def delete_portfolio(portfolio_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the portfolio (404 if it is not the caller's)."""
    with found_or_404("portfolio", portfolio_id):
        context.store.delete_portfolio(caller.owner, portfolio_id)
    return Response(status_code=204)
