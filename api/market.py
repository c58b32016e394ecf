"""Market data for the API: the embedded S&P 500 table, uploaded datasets, and the one place
where a request's returns input (inline, a dataset, a portfolio, or the embedded default)
becomes a returns DataFrame.

Conventions: returns are daily simple returns; tables are DataFrames with a sorted, unique
DatetimeIndex named `date` and one float column per asset. Uploaded datasets are stored as
Parquet of such a table with `format` `prices` or `returns`. JSON tables are columnar:
`{"dates": ["YYYY-MM-DD", ...], "data": {asset: [value per date], ...}}`.

Every problem is an `ApiError` naming the request field (`body.returns.data.AAPL`,
`query.start`, `file`, ...): 422 for unusable input, 404 for a dataset or portfolio the caller
does not have.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from api.errors import ApiError, validation_error
from services.errors import QuantError
from services.market_data import (
    as_returns_frame,
    check_asset_names,
    sp500_prices,
    sp500_returns,
    to_returns,
    validate_prices,
)
from store import Dataset, NotFoundError, Store

EMBEDDED = "sp500"
MAX_ASSETS = 250
"""Most assets one optimization or simulation may use (covariance work grows with its square)."""
MAX_UPLOAD_ASSETS = 2000
"""Most asset columns an uploaded dataset may have."""
"""Name of the embedded dataset in responses (`source`)."""

PARQUET_MAGIC = b"PAR1"


def sp500_assets() -> list[str]:
    """The embedded dataset's asset names."""
    return [str(c) for c in sp500_prices().columns]


# --------------------------------------------------------------------------- JSON tables


class Table(BaseModel):
    """A columnar table of daily values: the dates and, per asset, one value per date."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "dates": ["2022-12-22", "2022-12-23", "2022-12-27"],
                "data": {"AAPL": [-0.0238, -0.0028, -0.0139], "MSFT": [-0.0255, 0.0023, -0.0074]},
            }
        }
    )

    dates: list[date] = Field(
        description="ISO dates (YYYY-MM-DD), strictly increasing.", min_length=1
    )
    data: dict[str, list[float | None]] = Field(
        description="Asset name -> values, one per date (null where missing, in price tables).",
        min_length=1,
    )


def frame_to_table(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as the columnar JSON table (NaN as null; the API never sends NaN)."""
    values = frame.to_numpy(dtype=float)
    data: dict[str, list[float | None]] = {}
    for j, column in enumerate(frame.columns):
        col = values[:, j]
        data[str(column)] = [float(v) if math.isfinite(v) else None for v in col]
    dates = [d.date().isoformat() for d in pd.DatetimeIndex(frame.index)]
    return {"dates": dates, "data": data}


def table_to_returns(table: Table, field_name: str = "body.returns") -> pd.DataFrame:
    """Inline returns as a validated DataFrame (daily simple returns; every value finite > -1)."""
    n = len(table.dates)
    for asset, column in table.data.items():
        if len(column) != n:
            raise validation_error(
                f"{field_name}.data.{asset}",
                f"has {len(column)} values but there are {n} dates",
            )
        for i, value in enumerate(column):
            if value is None or not math.isfinite(value):
                raise validation_error(
                    f"{field_name}.data.{asset}.{i}",
                    f"return on {table.dates[i]} is {value}: returns must be finite numbers",
                )
            if value <= -1.0:
                raise validation_error(
                    f"{field_name}.data.{asset}.{i}",
                    f"return on {table.dates[i]} is {value}: a daily return must be > -1",
                )
    index = pd.DatetimeIndex(pd.to_datetime(table.dates), name="date")
    _check_dates(index, f"{field_name}.dates")
    frame = pd.DataFrame(
        {asset: np.asarray(col, dtype=float) for asset, col in table.data.items()}, index=index
    )
    try:
        check_asset_names(frame.columns)
    except QuantError as exc:
        raise validation_error(f"{field_name}.data", str(exc)) from None
    return frame


def _check_dates(index: pd.DatetimeIndex, field_name: str) -> None:
    if len(index) and (index != index.normalize()).any():
        stamp = index[index != index.normalize()][0]
        raise validation_error(
            field_name, f"dates must be calendar dates without a time of day, got {stamp}"
        )
    if len(index) and index.min().year < 1900:
        raise validation_error(field_name, f"dates must be calendar dates, got {index.min()}")
    if index.has_duplicates:
        dup = index[index.duplicated()][0].date()
        raise validation_error(field_name, f"duplicate date {dup}")
    if not index.is_monotonic_increasing:
        position = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise validation_error(
            field_name,
            f"dates are not sorted: {index[position].date()} follows {index[position - 1].date()}",
        )


# --------------------------------------------------------------------------- uploads

UploadKind = Literal["prices", "returns"]


@dataclass(frozen=True)
class ParsedUpload:
    """An upload after validation: the table, its Parquet bytes and the store metadata."""

    frame: pd.DataFrame
    parquet: bytes
    meta: dict[str, Any]


def _read_upload(data: bytes, filename: str | None) -> tuple[pd.DataFrame, str]:
    name = (filename or "").lower()
    is_parquet = data[:4] == PARQUET_MAGIC or name.endswith((".parquet", ".pq"))
    if is_parquet:
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"the file is not readable Parquet: {exc}",
                [("file", f"not readable Parquet: {exc}")],
            ) from None
        if not isinstance(frame.index, pd.DatetimeIndex):
            if frame.shape[1] == 0:
                raise validation_error("file", "the Parquet file has no columns")
            frame = frame.set_index(frame.columns[0])
        return frame, "parquet"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise validation_error(
            "file", "not UTF-8 text: upload a CSV (UTF-8) or a Parquet file"
        ) from None
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise validation_error("file", f"not a readable CSV: {exc}") from None
    names = [name.strip() for name in header[1:]]
    if any(not name for name in names):
        raise validation_error("file", "an asset column has no name in the header row")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise validation_error("file", f"asset columns named twice: {repeated}")
    if len(names) > MAX_UPLOAD_ASSETS:
        raise validation_error(
            "file", f"{len(names)} asset columns; at most {MAX_UPLOAD_ASSETS} are accepted"
        )
    try:
        frame = pd.read_csv(io.StringIO(text), index_col=0)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise validation_error("file", f"not a readable CSV: {exc}") from None
    return frame, "csv"


def validate_returns_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A returns table from an upload: parseable sorted unique dates, numeric finite values,
    every return > -1, at least 2 rows, no duplicate or empty asset names. Raises `QuantError`
    subclasses (via quant's validation) or `ApiError`."""
    if frame.shape[1] == 0:
        raise validation_error("file", "the table has no asset columns")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (TypeError, ValueError) as exc:
        raise validation_error("file", f"dates could not be parsed: {exc}") from None
    if index.hasnans:
        raise validation_error("file", "the table has missing dates")
    index.name = "date"
    _check_dates(index, "file")
    try:
        numeric = frame.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise validation_error("file", f"returns must be numeric: {exc}") from None
    numeric.index = index
    empty = [str(c) for c in numeric.columns if numeric[c].isna().all()]
    if empty:
        raise validation_error("file", f"asset columns with no values: {', '.join(empty)}")
    returns = as_returns_frame(numeric, min_obs=2)  # NaN / inf / duplicate names, named
    low = returns.to_numpy() <= -1.0
    if low.any():
        row, col = (int(i) for i in np.argwhere(low)[0])
        asset = str(returns.columns[col])
        value = float(returns.to_numpy()[row, col])
        raise validation_error(
            "file",
            f"return of {asset} on {returns.index[row].date()} is {value}: "
            "daily simple returns must be > -1",
        )
    return returns


def parse_upload(
    data: bytes, filename: str | None, kind: UploadKind, *, fill_gaps: bool = False
) -> ParsedUpload:
    """Validate an uploaded CSV or Parquet table of `kind` (prices via `quant.data`'s checks,
    returns via `validate_returns_table`) and normalise it to Parquet (DatetimeIndex `date`,
    float64 columns). Problems are 422 on the field `file` with the loader's message."""
    if not data:
        raise validation_error("file", "the file is empty")
    raw, _ = _read_upload(data, filename)
    if raw.shape[1] > MAX_UPLOAD_ASSETS:
        raise validation_error(
            "file", f"{raw.shape[1]} asset columns; at most {MAX_UPLOAD_ASSETS} are accepted"
        )
    try:
        if kind == "prices":
            frame = validate_prices(raw, fill_gaps=fill_gaps)
        else:
            frame = validate_returns_table(raw)
    except QuantError as exc:
        raise validation_error("file", str(exc)) from None
    frame = frame.astype(float)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    _check_dates(frame.index, "file")
    frame.columns = [str(c) for c in frame.columns]
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow")
    meta = {
        "format": kind,
        "n_rows": int(frame.shape[0]),
        "n_columns": int(frame.shape[1]),
        "columns": list(frame.columns),
        "start": frame.index[0].date().isoformat(),
        "end": frame.index[-1].date().isoformat(),
    }
    return ParsedUpload(frame, buffer.getvalue(), meta)


# --------------------------------------------------------------------------- datasets


def get_dataset(store: Store, owner: str, dataset_id: str, field_name: str) -> Dataset:
    """The caller's dataset or 404 naming `field_name` (also for another owner's)."""
    try:
        return store.get_dataset(owner, dataset_id)
    except NotFoundError:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"dataset {dataset_id!r} not found",
            [(field_name, f"no dataset {dataset_id!r}")],
        ) from None


def load_dataset(
    store: Store, owner: str, dataset_id: str, field_name: str
) -> tuple[Dataset, pd.DataFrame]:
    """The dataset's metadata and its table (prices or returns, as stored)."""
    meta = get_dataset(store, owner, dataset_id, field_name)
    try:
        raw = store.dataset_bytes(owner, dataset_id)
    except NotFoundError:
        raise ApiError(404, "NOT_FOUND", f"dataset {dataset_id!r} not found") from None
    frame = pd.read_parquet(io.BytesIO(raw))
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    return meta, frame


def dataset_assets(store: Store, owner: str, dataset_id: str | None, field_name: str) -> list[str]:
    """Asset names of a dataset (the embedded one for None)."""
    if dataset_id is None:
        return sp500_assets()
    return list(get_dataset(store, owner, dataset_id, field_name).columns)


def dataset_returns(
    store: Store, owner: str, dataset_id: str | None, field_name: str
) -> pd.DataFrame:
    """Daily simple returns of a dataset (the embedded one for None); a prices dataset is turned
    into returns (first date dropped)."""
    if dataset_id is None:
        return sp500_returns()
    meta, frame = load_dataset(store, owner, dataset_id, field_name)
    return to_returns(frame) if meta.format == "prices" else frame


def dataset_prices(
    store: Store, owner: str, dataset_id: str | None, field_name: str
) -> pd.DataFrame:
    """Prices of a dataset (the embedded one for None); a returns dataset has none (422)."""
    if dataset_id is None:
        return sp500_prices()
    meta, frame = load_dataset(store, owner, dataset_id, field_name)
    if meta.format != "prices":
        raise validation_error(
            field_name, f"dataset {dataset_id!r} holds returns, not prices: use /returns"
        )
    return frame


# --------------------------------------------------------------------------- selection


def select(
    frame: pd.DataFrame,
    *,
    assets: Sequence[str] | None,
    start: date | None,
    end: date | None,
    prefix: str,
    min_rows: int = 1,
) -> pd.DataFrame:
    """Columns `assets` (all if None) and rows in [start, end], or 422 naming the bad field.

    Unknown assets are listed under `<prefix>assets`; a `start` after the last date or an `end`
    before the first (or start > end, or fewer than `min_rows` rows left) under `<prefix>start` /
    `<prefix>end`. `prefix` is `query.` or `body.`.
    """
    columns = [str(c) for c in frame.columns]
    if assets is not None:
        if len(assets) == 0:
            raise validation_error(f"{prefix}assets", "name at least one asset")
        seen: set[str] = set()
        duplicates = [a for a in assets if a in seen or seen.add(a)]  # type: ignore[func-returns-value]
        if duplicates:
            raise validation_error(f"{prefix}assets", f"duplicate assets: {', '.join(duplicates)}")
        unknown = [a for a in assets if a not in columns]
        if unknown:
            raise validation_error(
                f"{prefix}assets",
                f"unknown assets: {', '.join(unknown)} (known: {', '.join(columns)})",
            )
        frame = frame[list(assets)]
    if len(frame) == 0:
        raise validation_error(f"{prefix}start", "the data has no dates")
    first, last = frame.index[0].date(), frame.index[-1].date()
    if start is not None and end is not None and start > end:
        raise validation_error(f"{prefix}start", f"start {start} is after end {end}")
    if start is not None and start > last:
        raise validation_error(
            f"{prefix}start", f"start {start} is after the last date of the data ({last})"
        )
    if end is not None and end < first:
        raise validation_error(
            f"{prefix}end", f"end {end} is before the first date of the data ({first})"
        )
    if start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(start)]
    if end is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(end)]
    if len(frame) < min_rows:
        raise validation_error(
            f"{prefix}start" if start is not None else f"{prefix}end",
            f"{len(frame)} dates between {start or first} and {end or last}; "
            f"at least {min_rows} are needed",
        )
    return frame


# --------------------------------------------------------------------------- request input


class ReturnsSource(BaseModel):
    """Where the returns come from: exactly one of `returns` (inline), `dataset_id` (an
    uploaded dataset) or `portfolio_id` (a saved portfolio: its assets and its dataset); none of
    them means the embedded S&P 500 data. `assets`, `start` and `end` narrow the data (for a
    portfolio, `assets` defaults to its assets)."""

    returns: Table | None = Field(
        default=None,
        description="Inline daily simple returns, columnar: dates and one list per asset.",
    )
    dataset_id: str | None = Field(
        default=None, description="An uploaded dataset (prices or returns).", examples=["ds_..."]
    )
    portfolio_id: str | None = Field(
        default=None, description="A saved portfolio: its assets and dataset are used."
    )
    assets: list[str] | None = Field(
        default=None,
        description="Assets to use (default: all of the data, or the portfolio's).",
        examples=[["AAPL", "JNJ", "KO", "XOM"]],
    )
    start: date | None = Field(default=None, description="First date (inclusive).")
    end: date | None = Field(default=None, description="Last date (inclusive).")


@dataclass
class Resolved:
    """A request's returns after resolution, the portfolio's weights (if a portfolio was the
    source) and a description of the source for responses."""

    returns: pd.DataFrame
    weights: pd.Series | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 of the returns (dates, asset names and values): the cache key's data part."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.returns.columns).encode())
        h.update(np.ascontiguousarray(pd.DatetimeIndex(self.returns.index).asi8).tobytes())
        h.update(np.ascontiguousarray(self.returns.to_numpy(dtype=np.float64)).tobytes())
        return h.hexdigest()

    def data_info(self) -> dict[str, Any]:
        """Source, assets, first/last date and number of observations (for responses)."""
        index = pd.DatetimeIndex(self.returns.index)
        return {
            **self.source,
            "assets": [str(c) for c in self.returns.columns],
            "start": index[0].date().isoformat(),
            "end": index[-1].date().isoformat(),
            "n_observations": len(index),
        }


def resolve_returns(
    source: ReturnsSource, store: Store, owner: str, *, min_rows: int = 2, min_assets: int = 1
) -> Resolved:
    """The request's returns (see `ReturnsSource`), narrowed by assets/start/end."""
    given = [
        name
        for name, value in (
            ("returns", source.returns),
            ("dataset_id", source.dataset_id),
            ("portfolio_id", source.portfolio_id),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise validation_error(
            f"body.{given[1]}", f"give only one of returns, dataset_id, portfolio_id (got {given})"
        )
    weights: pd.Series | None = None
    assets = source.assets
    if source.returns is not None:
        frame = table_to_returns(source.returns)
        info: dict[str, Any] = {"source": "inline"}
    elif source.portfolio_id is not None:
        try:
            portfolio = store.get_portfolio(owner, source.portfolio_id)
        except NotFoundError:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"portfolio {source.portfolio_id!r} not found",
                [("body.portfolio_id", f"no portfolio {source.portfolio_id!r}")],
            ) from None
        stored = portfolio.weights
        if not stored:
            raise validation_error("body.portfolio_id", "the portfolio has no weights")
        dataset_id = portfolio.data.get("dataset_id")
        frame = dataset_returns(store, owner, dataset_id, "body.portfolio_id")
        if assets is None:
            assets = list(stored)
        else:
            missing = [a for a in stored if a not in assets]
            if missing:
                raise validation_error(
                    "body.assets", f"must include the portfolio's assets; missing {missing}"
                )
        weights = pd.Series({a: stored.get(a, 0.0) for a in assets}, dtype=float)
        info = {
            "source": "portfolio",
            "portfolio_id": portfolio.id,
            "dataset_id": dataset_id or EMBEDDED,
        }
    elif source.dataset_id is not None:
        frame = dataset_returns(store, owner, source.dataset_id, "body.dataset_id")
        info = {"source": "dataset", "dataset_id": source.dataset_id}
    else:
        frame = sp500_returns()
        info = {"source": EMBEDDED}
    frame = select(
        frame, assets=assets, start=source.start, end=source.end, prefix="body.", min_rows=min_rows
    )
    if frame.shape[1] < min_assets:
        raise validation_error(
            "body.assets", f"at least {min_assets} assets are needed, got {frame.shape[1]}"
        )
    if frame.shape[1] > MAX_ASSETS:
        raise validation_error(
            "body.assets",
            f"{frame.shape[1]} assets selected; at most {MAX_ASSETS} per request (narrow assets)",
        )
    if frame.isna().any().any():
        column = str(frame.columns[frame.isna().any()][0])
        raise validation_error(
            "body.assets", f"{column} has missing returns in the selected dates: narrow start/end"
        )
    return Resolved(frame, weights, info)
