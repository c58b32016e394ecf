"""`/v1/market-data/*`: prices and returns (embedded S&P 500 or uploaded), and dataset uploads.

- `GET /v1/market-data/prices`, `GET /v1/market-data/returns`: columnar JSON tables
  (`{"dates": [...], "data": {asset: [...]}}`) of the embedded data (20 S&P 500 stocks,
  1990-2022) or of an uploaded dataset (`dataset_id`), narrowed by `assets`, `start`, `end`.
  Returns are daily simple returns (a prices table loses its first date).
- `POST /v1/market-data/datasets`: upload a CSV or Parquet table of prices or returns (dates in
  the first column, one column per asset). It is validated (quant.data's price checks; for
  returns: dates, numeric finite values > -1), normalised to Parquet and stored; 201 with its
  metadata. Bodies above `api_max_upload_bytes` are 413.
- `GET /v1/market-data/datasets`, `GET/DELETE /v1/market-data/datasets/{id}`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.context import Caller, Ctx
from api.errors import ApiError, not_found
from api.market import (
    EMBEDDED,
    UploadKind,
    dataset_prices,
    dataset_returns,
    frame_to_table,
    get_dataset,
    parse_upload,
    select,
)
from store import Dataset, NotFoundError

router = APIRouter(prefix="/v1", tags=["market-data"])


class TableOut(BaseModel):
    """A columnar table: dates and one list of values per asset."""

    source: str = Field(description='"sp500" (embedded) or the dataset id.')
    kind: str = Field(description="prices or returns (daily simple).")
    dates: list[str] = Field(description="ISO dates.")
    data: dict[str, list[float | None]] = Field(description="Asset -> one value per date.")


class DatasetOut(BaseModel):
    """An uploaded dataset's metadata."""

    id: str = Field(description="Dataset id (`ds_...`).")
    name: str
    format: str = Field(description="prices or returns.")
    n_rows: int = Field(description="Dates.")
    n_columns: int = Field(description="Assets.")
    columns: list[str] = Field(description="Asset names.")
    start: str = Field(description="First date.")
    end: str = Field(description="Last date.")
    sha256: str = Field(description="SHA-256 of the stored Parquet bytes.")
    size_bytes: int = Field(description="Size of the stored Parquet bytes.")
    created_at: datetime


class DatasetList(BaseModel):
    """The caller's datasets, oldest first."""

    items: list[DatasetOut]


def dataset_out(dataset: Dataset) -> DatasetOut:
    """The API view of a dataset record."""
    return DatasetOut(
        id=dataset.id,
        name=dataset.name,
        format=dataset.format,
        n_rows=dataset.n_rows,
        n_columns=dataset.n_columns,
        columns=dataset.columns,
        start=dataset.start,
        end=dataset.end,
        sha256=dataset.sha256,
        size_bytes=dataset.size_bytes,
        created_at=dataset.created_at,
    )


AssetsQuery = Annotated[
    list[str] | None,
    Query(
        description="Assets (repeat the parameter or separate by commas); default all.",
        examples=["AAPL,MSFT"],
    ),
]
StartQuery = Annotated[date | None, Query(description="First date (inclusive), YYYY-MM-DD.")]
EndQuery = Annotated[date | None, Query(description="Last date (inclusive), YYYY-MM-DD.")]
DatasetQuery = Annotated[
    str | None, Query(description="An uploaded dataset; default the embedded S&P 500 data.")
]


def _assets(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _table(kind: str, source: str, frame: Any) -> TableOut:
    table = frame_to_table(frame)
    return TableOut(source=source, kind=kind, dates=table["dates"], data=table["data"])


@router.get("/market-data/prices", response_model=TableOut, summary="Prices")
def prices(
    context: Ctx,
    caller: Caller,
    assets: AssetsQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
    dataset_id: DatasetQuery = None,
) -> TableOut:
    """Prices of the embedded data or of an uploaded prices dataset. Unknown assets or dates
    outside the data are 422 naming them."""
    frame = dataset_prices(context.store, caller.owner, dataset_id, "query.dataset_id")
    frame = select(frame, assets=_assets(assets), start=start, end=end, prefix="query.")
    return _table("prices", dataset_id or EMBEDDED, frame)


@router.get("/market-data/returns", response_model=TableOut, summary="Daily returns")
def returns(
    context: Ctx,
    caller: Caller,
    assets: AssetsQuery = None,
    start: StartQuery = None,
    end: EndQuery = None,
    dataset_id: DatasetQuery = None,
) -> TableOut:
    """Daily simple returns of the embedded data or of an uploaded dataset (from its prices,
    or as uploaded)."""
    frame = dataset_returns(context.store, caller.owner, dataset_id, "query.dataset_id")
    frame = select(frame, assets=_assets(assets), start=start, end=end, prefix="query.")
    return _table("returns", dataset_id or EMBEDDED, frame)


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
        UploadKind, Form(description="What the table holds: prices or daily simple returns.")
    ] = "prices",
    name: Annotated[
        str | None, Form(max_length=200, description="Display name (default: the file name).")
    ] = None,
    fill_gaps: Annotated[
        bool, Form(description="Prices only: forward-fill missing prices inside the history.")
    ] = False,
) -> DatasetOut:
    """Validate the table and store it as Parquet. 422 (field `file`) with the loader's message
    for an unreadable or invalid table; 413 above the upload limit."""
    limit = context.settings.api_max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413,
            "PAYLOAD_TOO_LARGE",
            f"the file is larger than the upload limit of {limit} bytes",
            [("file", f"more than {limit} bytes")],
        )
    parsed = parse_upload(data, file.filename, kind, fill_gaps=fill_gaps)
    label = (name or file.filename or "dataset").strip() or "dataset"
    dataset = context.store.put_dataset(caller.owner, label, parsed.parquet, parsed.meta)
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
    return dataset_out(get_dataset(context.store, caller.owner, dataset_id, "path.dataset_id"))


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
    try:
        context.store.delete_dataset(caller.owner, dataset_id)
    except NotFoundError:
        raise not_found("dataset", dataset_id) from None
    return Response(status_code=204)
