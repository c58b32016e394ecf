"""`/v1/portfolios`: saved portfolios (weights over the assets of a dataset, and notes).

Weights are a list of `{"asset", "weight"}` objects (so a repeated asset is detectable) that
must be finite, sum to 1 within `WEIGHT_SUM_TOLERANCE`, name only assets of the referenced
dataset (default: the embedded S&P 500 data), and be non-negative unless `allow_short`; their
gross leverage (sum of |weight|) is at most `MAX_GROSS_LEVERAGE`.
Updates are full replacements guarded by the portfolio's `version` (`If-Match` header or
`version` in the body): a stale version is 409. Other owners' portfolios are 404.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from pydantic import BaseModel, ConfigDict, Field

from api.context import Caller, Ctx
from api.errors import ApiError, not_found, validation_error
from api.market import dataset_assets
from services.profiles import excluded_holdings, get_profile
from store import NotFoundError, Portfolio, Store

router = APIRouter(prefix="/v1", tags=["portfolios"])

WEIGHT_SUM_TOLERANCE = 1e-6
"""|sum of weights - 1| allowed."""
MAX_GROSS_LEVERAGE = 10.0
"""Most gross leverage (sum of |weight|) a portfolio may have: 10 means, for example, 550% long
and 450% short. Beyond it a day's loss of a few percent in the assets wipes the portfolio out
many times over, and the numbers stop meaning anything."""


class WeightItem(BaseModel):
    """One asset's weight (a fraction of the portfolio's value; 0.25 = 25%)."""

    asset: str = Field(min_length=1, max_length=100, description="Asset name.", examples=["AAPL"])
    weight: float = Field(description="Fraction of the portfolio's value.", examples=[0.25])


_EXAMPLE: dict[str, Any] = {
    "name": "Defensive four",
    "weights": [
        {"asset": "JNJ", "weight": 0.3},
        {"asset": "KO", "weight": 0.3},
        {"asset": "PG", "weight": 0.2},
        {"asset": "XOM", "weight": 0.2},
    ],
    "dataset_id": None,
    "notes": "staples and energy",
    "allow_short": False,
}


class PortfolioIn(BaseModel):
    """A portfolio to create (or to replace an existing one with)."""

    model_config = ConfigDict(json_schema_extra={"example": _EXAMPLE})

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    weights: list[WeightItem] = Field(
        min_length=1,
        max_length=2000,
        description="Weights per asset, each asset once; they must sum to 1 (within 1e-6).",
    )
    dataset_id: str | None = Field(
        default=None,
        description="The uploaded dataset whose assets these are (null: the embedded S&P 500).",
    )
    notes: str | None = Field(default=None, max_length=10_000, description="Free text.")
    allow_short: bool = Field(default=False, description="Allow negative weights.")


class PortfolioUpdate(PortfolioIn):
    """A full replacement; `version` (or the `If-Match` header) guards against lost updates."""

    model_config = ConfigDict(json_schema_extra={"example": {**_EXAMPLE, "version": 1}})

    version: int | None = Field(
        default=None, ge=1, description="The version being replaced (409 if it changed)."
    )


class PortfolioOut(BaseModel):
    """A saved portfolio."""

    id: str = Field(description="Portfolio id (`pf_...`).")
    name: str
    weights: list[WeightItem]
    dataset_id: str | None = Field(description="Dataset of the assets (null: embedded S&P 500).")
    notes: str | None
    allow_short: bool
    version: int = Field(description="Increases by one on every update.")
    created_at: datetime
    updated_at: datetime


class PortfolioList(BaseModel):
    """The caller's portfolios, oldest first."""

    items: list[PortfolioOut]


def portfolio_out(portfolio: Portfolio) -> PortfolioOut:
    """The API view of a stored portfolio."""
    data = portfolio.data
    weights = [WeightItem(asset=a, weight=w) for a, w in portfolio.weights.items()]
    return PortfolioOut(
        id=portfolio.id,
        name=portfolio.name,
        weights=weights,
        dataset_id=data.get("dataset_id"),
        notes=data.get("notes"),
        allow_short=bool(data.get("allow_short", False)),
        version=portfolio.version,
        created_at=portfolio.created_at,
        updated_at=portfolio.updated_at,
    )


def check_weights(
    weights: list[WeightItem], known: list[str], *, allow_short: bool, field: str = "body.weights"
) -> None:
    """422 naming the first bad weight: non-finite, repeated asset, unknown asset, negative
    (unless `allow_short`); then on `field` a sum off 1 by more than `WEIGHT_SUM_TOLERANCE` or a
    gross leverage above `MAX_GROSS_LEVERAGE`."""
    known_set = set(known)
    seen: dict[str, int] = {}
    for i, item in enumerate(weights):
        if not math.isfinite(item.weight):
            raise validation_error(f"{field}.{i}.weight", f"{item.weight} is not a finite number")
        if item.asset in seen:
            raise validation_error(
                f"{field}.{i}.asset", f"asset {item.asset!r} repeats entry {seen[item.asset]}"
            )
        seen[item.asset] = i
        if item.asset not in known_set:
            raise validation_error(
                f"{field}.{i}.asset", f"unknown asset {item.asset!r} (not in the dataset)"
            )
        if item.weight < 0 and not allow_short:
            raise validation_error(
                f"{field}.{i}.weight",
                f"{item.weight} is negative; set allow_short to allow short positions",
            )
    gross = math.fsum(abs(item.weight) for item in weights)
    if gross > MAX_GROSS_LEVERAGE:
        raise validation_error(
            field,
            f"gross leverage (sum of |weight|) is {gross:.6g}; at most {MAX_GROSS_LEVERAGE:g} "
            "is accepted",
        )
    total = math.fsum(item.weight for item in weights)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise validation_error(
            field, f"weights sum to {total:.10g}, not 1 (tolerance {WEIGHT_SUM_TOLERANCE:g})"
        )


def check_profile(
    store: Store, owner: str, weights: dict[str, float], field: str = "body.weights"
) -> None:
    """422 on `field` naming the held tickers that the owner's profile excludes, and why."""
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
    known = dataset_assets(store, owner, body.dataset_id, "body.dataset_id")
    check_weights(body.weights, known, allow_short=body.allow_short)
    check_profile(store, owner, {w.asset: w.weight for w in body.weights})
    return {
        "weights": [{"asset": w.asset, "weight": w.weight} for w in body.weights],
        "dataset_id": body.dataset_id,
        "notes": body.notes,
        "allow_short": body.allow_short,
    }


def _etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(value: str | None, *, lowest: int = 1) -> int | None:
    """The version an `If-Match` header names (`"3"`, `W/"3"`), None without one; 422 on
    `header.if-match` when it is not a version of at least `lowest`."""
    if value is None:
        return None
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    try:
        version = int(text)
    except ValueError:
        raise validation_error(
            "header.if-match", f'{value!r} is not a version (e.g. "3")'
        ) from None
    if version < lowest:
        raise validation_error("header.if-match", f"versions start at {lowest}")
    return version


def _get(store: Store, owner: str, portfolio_id: str) -> Portfolio:
    try:
        return store.get_portfolio(owner, portfolio_id)
    except NotFoundError:
        raise not_found("portfolio", portfolio_id) from None


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
    response.headers["ETag"] = _etag(portfolio.version)
    return portfolio_out(portfolio)


@router.get("/portfolios/{portfolio_id}", response_model=PortfolioOut, summary="Get a portfolio")
def get_portfolio(
    portfolio_id: str, context: Ctx, caller: Caller, response: Response
) -> PortfolioOut:
    """The portfolio (404 if it is not the caller's); `ETag` carries its version."""
    portfolio = _get(context.store, caller.owner, portfolio_id)
    response.headers["ETag"] = _etag(portfolio.version)
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
    if_match: Annotated[
        str | None,
        Header(description='The version being replaced, e.g. "3" (or `version` in the body).'),
    ] = None,
) -> PortfolioOut:
    """Replace name, weights, dataset and notes. With a version (`If-Match` or `version`), a
    portfolio changed meanwhile is 409 and nothing is written."""
    store = context.store
    _get(store, caller.owner, portfolio_id)  # 404 before validating against datasets
    header_version = if_match_version(if_match)
    if header_version is not None and body.version is not None and header_version != body.version:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"If-Match names version {header_version} but the body names {body.version}",
            [("header.if-match", f"differs from body.version {body.version}")],
        )
    expected = header_version if header_version is not None else body.version
    data = portfolio_data(body, store, caller.owner)
    portfolio = store.update_portfolio(
        caller.owner, portfolio_id, name=body.name, data=data, expected_version=expected
    )
    response.headers["ETag"] = _etag(portfolio.version)
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
    try:
        context.store.delete_portfolio(caller.owner, portfolio_id)
    except NotFoundError:
        raise not_found("portfolio", portfolio_id) from None
    return Response(status_code=204)
