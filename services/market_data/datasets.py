"""Datasets an owner uploads: CSV or Parquet tables of daily prices or returns, validated and
stored as Parquet, and read back as tables.

A stored dataset is the Parquet of a table (see `services.market_data.tables`) with `format`
``prices`` or ``returns`` (daily simple returns). A problem with an upload is an `InputError` on
``file`` with the loader's message; a dataset the caller does not have is a
`NotFoundInputError` on the field the caller named it in. `None` as a dataset id means the
configured market data (the embedded S&P 500 data unless `STRATIGOS_MARKET_DATA` says
otherwise). A prices upload holding a one-day move by exactly a split's ratio is refused
(`services.market_data.adjustments`): closes must be adjusted for splits and dividends.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from quant.data import to_returns, validate_prices
from quant.errors import QuantError
from quant.validation import as_returns_frame
from services.errors import InputError, NotFoundInputError
from services.market_data.adjustments import check_split_adjusted
from services.market_data.providers import market_closes, market_returns
from services.market_data.tables import check_dates
from store import Dataset, NotFoundError, Store

MAX_UPLOAD_ASSETS = 2000
"""Most asset columns an uploaded dataset may have."""

PARQUET_MAGIC = b"PAR1"
"""The first bytes of a Parquet file."""

UploadKind = Literal["prices", "returns"]
"""What an uploaded table holds: prices, or daily simple returns."""

FILE = "file"
"""The field an upload's problems are named on."""


@dataclass(frozen=True)
class ParsedUpload:
    """An upload after validation: the table, its Parquet bytes and the store metadata."""

    frame: pd.DataFrame
    parquet: bytes
    meta: dict[str, Any]


def parse_upload(
    data: bytes, filename: str | None, kind: UploadKind, *, fill_gaps: bool = False
) -> ParsedUpload:
    """Validate an uploaded CSV or Parquet table of `kind` (prices by `quant.data`'s checks,
    returns by `validate_returns_table`) and normalise it to Parquet (DatetimeIndex ``date``,
    float64 columns)."""
    if not data:
        raise InputError(FILE, "the file is empty")
    raw = _read_upload(data, filename)
    if raw.shape[1] > MAX_UPLOAD_ASSETS:
        raise InputError(
            FILE, f"{raw.shape[1]} asset columns; at most {MAX_UPLOAD_ASSETS} are accepted"
        )
    if kind == "prices":
        try:
            frame = validate_prices(raw, fill_gaps=fill_gaps)
        except QuantError as exc:
            raise InputError(FILE, str(exc)) from None
    else:
        frame = validate_returns_table(raw)
    frame = frame.astype(float)
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    check_dates(frame.index, FILE)
    if kind == "prices":
        try:
            check_split_adjusted(frame)
        except QuantError as exc:
            raise InputError(FILE, str(exc)) from None
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


def _read_upload(data: bytes, filename: str | None) -> pd.DataFrame:
    """The uploaded bytes as a raw table: Parquet (by its magic bytes or its name), else CSV."""
    name = (filename or "").lower()
    if data[:4] == PARQUET_MAGIC or name.endswith((".parquet", ".pq")):
        return _read_parquet(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(FILE, "not UTF-8 text: upload a CSV (UTF-8) or a Parquet file") from None
    try:
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise InputError(FILE, f"not a readable CSV: {exc}") from None
    names = [name.strip() for name in header[1:]]
    if any(not name for name in names):
        raise InputError(FILE, "an asset column has no name in the header row")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(FILE, f"asset columns named twice: {repeated}")
    if len(names) > MAX_UPLOAD_ASSETS:
        raise InputError(
            FILE, f"{len(names)} asset columns; at most {MAX_UPLOAD_ASSETS} are accepted"
        )
    try:
        return pd.read_csv(io.StringIO(text), index_col=0)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(FILE, f"not a readable CSV: {exc}") from None


def _read_parquet(data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:
        problem = f"not readable Parquet: {exc}"
        raise InputError(FILE, problem, f"the file is {problem}") from None
    if not isinstance(frame.index, pd.DatetimeIndex):
        if frame.shape[1] == 0:
            raise InputError(FILE, "the Parquet file has no columns")
        frame = frame.set_index(frame.columns[0])
    return frame


def validate_returns_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A returns table from an upload: parseable sorted unique dates, numeric finite values,
    every return > -1, at least 2 rows, no duplicate or empty asset names (`InputError` on
    ``file`` naming the first problem)."""
    if frame.shape[1] == 0:
        raise InputError(FILE, "the table has no asset columns")
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (TypeError, ValueError) as exc:
        raise InputError(FILE, f"dates could not be parsed: {exc}") from None
    if index.hasnans:
        raise InputError(FILE, "the table has missing dates")
    index.name = "date"
    check_dates(index, FILE)
    try:
        numeric = frame.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(FILE, f"returns must be numeric: {exc}") from None
    numeric.index = index
    empty = [str(c) for c in numeric.columns if numeric[c].isna().all()]
    if empty:
        raise InputError(FILE, f"asset columns with no values: {', '.join(empty)}")
    try:
        returns = as_returns_frame(numeric, min_obs=2)  # NaN / inf / duplicate names, named
    except QuantError as exc:
        raise InputError(FILE, str(exc)) from None
    low = returns.to_numpy() <= -1.0
    if low.any():
        row, col = (int(i) for i in np.argwhere(low)[0])
        asset = str(returns.columns[col])
        value = float(returns.to_numpy()[row, col])
        raise InputError(
            FILE,
            f"return of {asset} on {returns.index[row].date()} is {value}: "
            "daily simple returns must be > -1",
        )
    return returns


def get_dataset(store: Store, owner: str, dataset_id: str, field: str) -> Dataset:
    """The caller's dataset (`NotFoundInputError` on `field` also for another owner's)."""
    try:
        return store.get_dataset(owner, dataset_id)
    except NotFoundError:
        raise NotFoundInputError(
            field, f"no dataset {dataset_id!r}", f"dataset {dataset_id!r} not found"
        ) from None


def load_dataset(
    store: Store, owner: str, dataset_id: str, field: str
) -> tuple[Dataset, pd.DataFrame]:
    """The dataset's metadata and its table (prices or returns, as stored)."""
    meta = get_dataset(store, owner, dataset_id, field)
    try:
        raw = store.dataset_bytes(owner, dataset_id)
    except NotFoundError:
        raise NotFoundError(f"dataset {dataset_id!r} not found") from None
    frame = pd.read_parquet(io.BytesIO(raw))
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    return meta, frame


def dataset_assets(store: Store, owner: str, dataset_id: str | None, field: str) -> list[str]:
    """Asset names of a dataset (the configured market data's for None)."""
    if dataset_id is None:
        return [str(c) for c in market_closes().columns]
    return list(get_dataset(store, owner, dataset_id, field).columns)


def dataset_returns(store: Store, owner: str, dataset_id: str | None, field: str) -> pd.DataFrame:
    """Daily simple returns of a dataset (the configured market data's for None); a prices
    dataset is turned into returns (first date dropped)."""
    if dataset_id is None:
        return market_returns()[1]
    meta, frame = load_dataset(store, owner, dataset_id, field)
    return to_returns(frame) if meta.format == "prices" else frame


def dataset_prices(store: Store, owner: str, dataset_id: str | None, field: str) -> pd.DataFrame:
    """Prices of a dataset (the configured market data's closes for None); `InputError` on
    `field` for a returns dataset, which has none."""
    if dataset_id is None:
        return market_closes()
    meta, frame = load_dataset(store, owner, dataset_id, field)
    if meta.format != "prices":
        raise InputError(field, f"dataset {dataset_id!r} holds returns, not prices: use /returns")
    return frame
