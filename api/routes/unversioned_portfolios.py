"""The serverless plan's portfolio and market data paths, unversioned (001 §4.1): thin adapters
over `/v1`'s routes (`api.routes.portfolios`, `api.routes.market_data`), same authentication,
owners, rate limit and checks.

- `GET /portfolios`, `POST /portfolios`, `GET/PUT/DELETE /portfolios/{id}`: the body is 001
  §4.2's `{"portfolio": {"name", "description", "assets": {asset: weight}}}`; the answer holds
  001 §5.1's fields and §4.2's `portfolio` envelope. A portfolio is the `/v1` portfolio of the
  same id (its `description` is `/v1`'s `notes`; the configured market data's assets; long
  only). `PUT` replaces it (`If-Match` with the `ETag` guards against lost updates, 409).
- `GET /market-data/prices`, `GET /market-data/returns`: `/v1`'s tables, same query.

A repeated key in `assets` is refused (`api.contract`); errors name this shape's fields
(`body.portfolio.assets.AAPL`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response

from api.context import Caller, Ctx
from api.errors import renamed_fields
from api.params import IfMatch
from api.route_defaults import api_router
from api.routes import portfolios as v1
from api.routes.market_data import TableQuery, prices, returns
from api.schemas.market_data import TableOut
from api.schemas.portfolios import PortfolioIn, PortfolioOut, PortfolioUpdate, WeightItem
from api.schemas.unversioned import (
    PortfolioDocument,
    PortfolioDocuments,
    PortfolioFields,
    PortfolioRequest,
)

router = api_router(tags=["unversioned (001)"])

_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created; `Location` names the new portfolio."}
}


def _document(portfolio: PortfolioOut) -> PortfolioDocument:
    """A `/v1` portfolio as 001 shows it."""
    fields = PortfolioFields(
        name=portfolio.name,
        description=portfolio.notes,
        assets={w.asset: w.weight for w in portfolio.weights},
    )
    return PortfolioDocument(
        **fields.model_dump(),
        id=portfolio.id,
        portfolio=fields,
        created_at=portfolio.created_at,
        updated_at=portfolio.updated_at,
    )


def _v1_fields(body: PortfolioRequest) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The `/v1` portfolio fields of the body, and how `/v1`'s field names read in its shape."""
    assets = list(body.portfolio.assets)
    renames = [
        (f"body.weights.{i}.{part}", f"body.portfolio.assets.{asset}")
        for i, asset in enumerate(assets)
        for part in ("asset", "weight")
    ]
    renames += [
        ("body.weights", "body.portfolio.assets"),
        ("body.name", "body.portfolio.name"),
        ("body.notes", "body.portfolio.description"),
    ]
    weights = [WeightItem(asset=a, weight=w) for a, w in body.portfolio.assets.items()]
    fields = {"name": body.portfolio.name, "weights": weights, "notes": body.portfolio.description}
    return fields, renames


@router.get("/portfolios", response_model=PortfolioDocuments, summary="List portfolios (001)")
def list_portfolios(context: Ctx, caller: Caller) -> Any:
    """The caller's portfolios, oldest first."""
    items = v1.list_portfolios(context, caller).items
    return PortfolioDocuments(items=[_document(p) for p in items])


@router.post(
    "/portfolios",
    response_model=PortfolioDocument,
    status_code=201,
    summary="Create a portfolio (001)",
    responses=_CREATED,
)
def create_portfolio(
    body: PortfolioRequest, context: Ctx, caller: Caller, response: Response
) -> Any:
    """`POST /v1/portfolios` on 001's body."""
    fields, renames = _v1_fields(body)
    with renamed_fields(renames):
        created = v1.create_portfolio(PortfolioIn(**fields), context, caller, response)
    response.headers["Location"] = f"/portfolios/{created.id}"
    return _document(created)


@router.get(
    "/portfolios/{portfolio_id}", response_model=PortfolioDocument, summary="Get a portfolio (001)"
)
def get_portfolio(portfolio_id: str, context: Ctx, caller: Caller, response: Response) -> Any:
    """The portfolio (404 if it is not the caller's); `ETag` carries its version."""
    return _document(v1.get_portfolio(portfolio_id, context, caller, response))


@router.put(
    "/portfolios/{portfolio_id}",
    response_model=PortfolioDocument,
    summary="Replace a portfolio (001)",
)
def replace_portfolio(
    portfolio_id: str,
    body: PortfolioRequest,
    context: Ctx,
    caller: Caller,
    response: Response,
    if_match: IfMatch = None,
) -> Any:
    """`PUT /v1/portfolios/{id}` on 001's body (`If-Match`: 409 if it changed meanwhile)."""
    fields, renames = _v1_fields(body)
    with renamed_fields(renames):
        update = PortfolioUpdate(**fields)
        replaced = v1.replace_portfolio(portfolio_id, update, context, caller, response, if_match)
    return _document(replaced)


@router.delete(
    "/portfolios/{portfolio_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a portfolio (001)",
    responses={204: {"description": "Deleted."}},
)
def delete_portfolio(portfolio_id: str, context: Ctx, caller: Caller) -> Response:
    """`DELETE /v1/portfolios/{id}`."""
    return v1.delete_portfolio(portfolio_id, context, caller)


@router.get("/market-data/prices", response_model=TableOut, summary="Prices (001)")
def market_prices(
    context: Ctx, caller: Caller, query: Annotated[TableQuery, Depends()]
) -> TableOut:
    """`GET /v1/market-data/prices`."""
    return prices(context, caller, query)


@router.get("/market-data/returns", response_model=TableOut, summary="Daily returns (001)")
def market_returns(
    context: Ctx, caller: Caller, query: Annotated[TableQuery, Depends()]
) -> TableOut:
    """`GET /v1/market-data/returns`."""
    return returns(context, caller, query)
