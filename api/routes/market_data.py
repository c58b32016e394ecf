"""`/v1/market-data/*`: prices and returns (embedded S&P 500 or uploaded), and dataset uploads.

- `GET /v1/market-data`: the configured market data (provider, version, sessions, tickers, how
  current it is, the last refresh): what the UI's universe picker offers.
- `GET /v1/market-data/prices`, `GET /v1/market-data/returns`: columnar JSON tables
  (`{"dates": [...], "data": {asset: [...]}}`) of the configured market data (by default the
  embedded data: 20 S&P 500 stocks, 1990-2022) or of an uploaded dataset (`dataset_id`),
  narrowed by `assets`, `start`, `end`.
  Returns are daily simple returns (a prices table loses its first date).
- `POST /v1/market-data/datasets`: upload a CSV or Parquet table of prices or returns (dates in
  the first column, one column per asset). It is read in a child process
  (`services.market_data.uploads`), validated (quant.data's price checks; for returns: dates,
  numeric finite values > -1), normalised to Parquet and stored; 201 with its metadata. 413
  naming the limit passed: `api_max_upload_bytes`, `datasets_max_rows`, `datasets_max_cells`,
  `datasets_max_expanded_bytes` (Parquet) or the reader's memory.
- `GET /v1/market-data/datasets`, `GET/DELETE /v1/market-data/datasets/{id}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, File, Form, Query, Response, UploadFile

from api.context import Caller, Ctx
from api.errors import ApiError, field_errors, found_or_404, validation_error
from api.params import Day
from api.route_defaults import api_router
from api.schemas.market_data import (
    DatasetList,
    DatasetOut,
    MarketDataOut,
    TableOut,
    dataset_out,
)
from services.errors import DataError
from services.problems import strip_controls, text_problem
from store import Dataset, Store, utc_now
from store.datasets import DatasetFormat

if TYPE_CHECKING:
    import pandas as pd

router = api_router(prefix="/v1", tags=["market-data"])


AssetsQuery = Annotated[
    list[str] | None,
    Query(
        description="Assets (repeat the parameter or separate by commas); default all.",
        examples=["AAPL,MSFT"],
    ),
]
StartQuery = Annotated[Day | None, Query(description="First date (inclusive), YYYY-MM-DD.")]
EndQuery = Annotated[Day | None, Query(description="Last date (inclusive), YYYY-MM-DD.")]
DatasetQuery = Annotated[
    str | None, Query(description="An uploaded dataset; default the embedded S&P 500 data.")
]

DatasetTable = Callable[[Store, str, str | None, str], "pd.DataFrame"]
"""Reads a dataset's table: (store, owner, dataset id or None for the embedded data, field)."""


def _assets(values: list[str] | None) -> list[str] | None:
    """The query's assets: the parameter repeated, or comma-separated."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class TableQuery:
    """The query of a prices or returns table: the dataset (default: the embedded data), the
    assets (repeated or comma-separated; default all) and the dates."""

    assets: AssetsQuery = None
    start: StartQuery = None
    end: EndQuery = None
    dataset_id: DatasetQuery = None

    def table(self, kind: str, read: DatasetTable, store: Store, owner: str) -> TableOut:
        """The `kind` table `read` gives of the dataset, narrowed by the query."""
        from services.market_data import market_data_provider
        from services.market_data.tables import frame_to_table, select

        with field_errors("query."):
            frame = read(store, owner, self.dataset_id, "dataset_id")
            frame = select(frame, assets=_assets(self.assets), start=self.start, end=self.end)
        source = self.dataset_id or market_data_provider().name
        return TableOut(source=source, kind=kind, **frame_to_table(frame))


@router.get("/market-data", response_model=MarketDataOut, summary="The configured market data")
def configured(context: Ctx, caller: Caller) -> MarketDataOut:
    """What the configured market data holds: provider, version, first and last session, its
    tickers (any of which a universe may hold), how many sessions it is behind the last one
    closed and, for refreshed data, the last refresh. 503 when it cannot be read."""
    from services.market_data import market_closes
    from services.market_data.refresh import market_data_status

    try:
        status = market_data_status(context.settings, utc_now())
        tickers = [str(c) for c in market_closes(context.settings).columns]
    except DataError as exc:
        raise ApiError(503, "UNAVAILABLE", f"the market data cannot be read: {exc}") from None
    return MarketDataOut(**status, tickers=tickers)


@router.get("/market-data/prices", response_model=TableOut, summary="Prices")
def prices(context: Ctx, caller: Caller, query: Annotated[TableQuery, Depends()]) -> TableOut:
    """Prices of the embedded data or of an uploaded prices dataset. Unknown assets or dates
    outside the data are 422 naming them."""
    from services.market_data.datasets import dataset_prices

    return query.table("prices", dataset_prices, context.store, caller.owner)


@router.get("/market-data/returns", response_model=TableOut, summary="Daily returns")
def returns(context: Ctx, caller: Caller, query: Annotated[TableQuery, Depends()]) -> TableOut:
    """Daily simple returns of the embedded data or of an uploaded dataset (from its prices,
    or as uploaded)."""
    from services.market_data.datasets import dataset_returns

    return query.table("returns", dataset_returns, context.store, caller.owner)


@router.post(
    "/market-data/datasets",
    response_model=DatasetOut,
    status_code=201,
    summary="Upload a dataset",
    responses={201: {"description": "Stored; `Location` names the dataset."}},
)
async def upload_dataset(
    context: Ctx,
    caller: Caller,
    response: Response,
    file: Annotated[
        UploadFile,
        File(description="CSV or Parquet: dates in the first column, one column per asset."),
    ],
    kind: Annotated[
        DatasetFormat, Form(description="What the table holds: prices or daily simple returns.")
    ] = "prices",
    name: Annotated[
        str | None, Form(max_length=200, description="Display name (default: the file name).")
    ] = None,
    fill_gaps: Annotated[
        bool, Form(description="Prices only: forward-fill missing prices inside the history.")
    ] = False,
) -> DatasetOut:
    """Validate the table and store it as Parquet. 422 (field `file`) with the loader's message
    for an unreadable or invalid table; 413 naming the limit passed. The table is read in a
    child process, from a worker thread that stores it: the event loop serves other requests
    meanwhile."""
    await context.load("services.market_data.uploads")  # off the event loop
    from services.market_data.uploads import FILE, DatasetTooLargeError, read_upload

    if name is not None and (problem := text_problem(name)) is not None:
        raise validation_error("name", problem)
    label = (name or strip_controls(file.filename or "")).strip() or "dataset"
    limit = context.settings.api.max_upload_bytes

    def add(data: bytes) -> Dataset:
        if len(data) > limit:
            message = f"the file is larger than the upload limit of {limit} bytes"
            raise DatasetTooLargeError(FILE, f"more than {limit} bytes", message)
        parsed = read_upload(context.settings, data, file.filename, kind, fill_gaps=fill_gaps)
        return context.store.put_dataset(caller.owner, label, parsed.parquet, parsed.meta)

    with field_errors(""):
        try:
            dataset = await context.read_upload(file, limit, add)
        except DatasetTooLargeError as exc:
            raise ApiError(413, "PAYLOAD_TOO_LARGE", exc.message, [(FILE, exc.problem)]) from None
    response.headers["Location"] = f"/v1/market-data/datasets/{dataset.id}"
    return dataset_out(dataset)


@router.get("/market-data/datasets", response_model=DatasetList, summary="List datasets")
def list_datasets(context: Ctx, caller: Caller) -> DatasetList:
    """The caller's uploaded datasets, oldest first."""
    return DatasetList(items=[dataset_out(d) for d in context.store.list_datasets(caller.owner)])


@router.get(
    "/market-data/datasets/{dataset_id}", response_model=DatasetOut, summary="Get a dataset"
)
def read_dataset(dataset_id: str, context: Ctx, caller: Caller) -> DatasetOut:
    """A dataset's metadata (404 if it is not the caller's)."""
    from services.market_data.datasets import get_dataset

    with field_errors("path."):
        return dataset_out(get_dataset(context.store, caller.owner, dataset_id, "dataset_id"))


@router.delete(
    "/market-data/datasets/{dataset_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a dataset",
    responses={204: {"description": "Deleted."}},
)
def delete_dataset(dataset_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the dataset and its bytes (404 if it is not the caller's). Portfolios that
    reference it remain but can no longer be analysed."""
    with found_or_404("dataset", dataset_id):
        context.store.delete_dataset(caller.owner, dataset_id)
    return Response(status_code=204)
