"""Dataset uploads read: a CSV or Parquet table of daily prices or returns, checked within its
limits, validated and normalised to Parquet, in a child process (`read_upload`) or here
(`parse_upload`).

Reading an untrusted table is heavy (pandas on up to `api.max_upload_bytes` of text, or a
Parquet file whose few compressed bytes stand for millions of values), so the API reads it in a
child process (`services.market_data.dataset_reader`, a `research.child_process.ChildPool`: at
most `documents.parse_workers` at once, each with `datasets.read_memory_bytes` of memory and
`datasets.read_seconds`): the server's event loop, interpreter lock and memory stay the other
requests'. The limits (`UploadLimits`, from
the settings' `datasets` group) are checked before the table is built: a CSV's rows and cells
by its lines and its header, a Parquet file's rows, cells and uncompressed size by its footer.
A file past one is a `DatasetTooLargeError` naming the setting (413); any other problem is an
`InputError` on ``file`` with the loader's message (422), an asset column's name holding text
the API refuses (`services.problems.text_problem`) too. A prices upload holding a one-day
move by exactly a split's ratio is refused (`services.market_data.adjustments`): closes must be
adjusted for splits and dividends.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from quant.data import validate_prices
from quant.errors import QuantError
from quant.validation import as_returns_frame
from research.child_process import (
    ChildMemoryExhausted,
    ChildPool,
    ChildStopped,
    shared_pool,
)
from services.errors import InputError
from services.market_data.adjustments import check_split_adjusted
from services.market_data.tables import check_dates
from services.problems import text_problem
from settings import Settings
from store.datasets import DatasetFormat

MAX_UPLOAD_ASSETS = 2000
"""Most asset columns an uploaded dataset may have."""

PARQUET_MAGIC = b"PAR1"
"""The first bytes of a Parquet file."""

READER = "services.market_data.dataset_reader"
"""The module of the child processes that read uploads."""

UploadKind = DatasetFormat
"""What an uploaded table holds: prices, or daily simple returns (a dataset's format)."""

FILE = "file"
"""The field an upload's problems are named on."""


class DatasetTooLargeError(InputError):
    """An upload past one of the limits (`datasets_max_rows`, `_max_cells`,
    `_max_expanded_bytes`, `_read_memory_bytes`), named in the problem: 413."""


@dataclass(frozen=True)
class UploadLimits:
    """What an uploaded table may be once read: its rows (dates), its cells (rows times the
    file's columns, the dates' column included) and a Parquet file's uncompressed size
    (bytes)."""

    max_rows: int
    max_cells: int
    max_expanded_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> UploadLimits:
        """The settings' `datasets` limits."""
        datasets = settings.datasets
        return cls(datasets.max_rows, datasets.max_cells, datasets.max_expanded_bytes)

    def check(self, rows: int, columns: int) -> None:
        """`DatasetTooLargeError` when `rows` rows of `columns` columns pass a limit."""
        if rows > self.max_rows:
            raise DatasetTooLargeError(
                FILE, f"{rows:,} rows; at most {self.max_rows:,} are accepted (datasets_max_rows)"
            )
        if rows * columns > self.max_cells:
            raise DatasetTooLargeError(
                FILE,
                f"{rows:,} rows of {columns:,} columns are {rows * columns:,} values; at most "
                f"{self.max_cells:,} are accepted (datasets_max_cells)",
            )


@dataclass(frozen=True)
class ParsedUpload:
    """An upload after validation: its Parquet bytes and the store metadata."""

    parquet: bytes
    meta: dict[str, Any]


def read_upload(
    settings: Settings,
    data: bytes,
    filename: str | None,
    kind: UploadKind,
    *,
    fill_gaps: bool = False,
) -> ParsedUpload:
    """`parse_upload` within the settings' limits, in a child process (see the module
    docstring); also a `DatasetTooLargeError` when the table needs more memory than the child
    has, and an `InputError` when it takes longer than `datasets.read_seconds`."""
    workers = settings.documents.parse_workers
    memory, seconds = settings.datasets.read_memory_bytes, settings.datasets.read_seconds
    pool = shared_pool(
        (READER, workers, memory, seconds), lambda: ChildPool(READER, workers, memory, seconds)
    )
    header = {
        "op": "read",
        "filename": filename,
        "kind": kind,
        "fill_gaps": fill_gaps,
        "limits": asdict(UploadLimits.of(settings)),
    }
    try:
        reply, parquet = pool.ask(header, data)
    except TimeoutError:
        raise InputError(
            FILE, f"takes longer than {seconds:g} s to read, the limit (datasets_read_seconds)"
        ) from None
    except ChildMemoryExhausted:
        raise DatasetTooLargeError(
            FILE,
            f"needs more than {memory // 2**20:,} MiB of memory to read, the limit "
            "(datasets_read_memory_bytes)",
        ) from None
    except ChildStopped as exc:
        raise InputError(FILE, f"could not be read: the reader stopped ({exc})") from None
    if "refused" in reply:
        refused = reply["refused"]
        error = DatasetTooLargeError if refused.get("too_large") else InputError
        raise error(FILE, str(refused["problem"]), str(refused["message"]))
    if "meta" not in reply:
        raise RuntimeError(f"the dataset reader failed: {reply.get('failed')}")
    return ParsedUpload(parquet, dict(reply["meta"]))


def parse_upload(
    data: bytes,
    filename: str | None,
    kind: UploadKind,
    *,
    limits: UploadLimits,
    fill_gaps: bool = False,
) -> ParsedUpload:
    """Validate an uploaded CSV or Parquet table of `kind` (prices by `quant.data`'s checks,
    returns by `validate_returns_table`) within `limits`, and normalise it to Parquet
    (DatetimeIndex ``date``, float64 columns)."""
    if not data:
        raise InputError(FILE, "the file is empty")
    raw = _read_upload(data, filename, limits)
    for number, column in enumerate(raw.columns, start=1):
        problem = text_problem(str(column))
        if problem is not None:  # the API's text rule: names are shown and stored
            raise InputError(FILE, f"the name of asset column {number} {problem}")
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
    return ParsedUpload(buffer.getvalue(), meta)


def _read_upload(data: bytes, filename: str | None, limits: UploadLimits) -> pd.DataFrame:
    """The uploaded bytes as a raw table: Parquet (by its magic bytes or its name), else CSV."""
    name = (filename or "").lower()
    if data[:4] == PARQUET_MAGIC or name.endswith((".parquet", ".pq")):
        return _read_parquet(data, limits)
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
    lines = text.count("\n") + (not text.endswith("\n"))  # a last line may lack its newline
    limits.check(max(lines - 1, 0), len(header))
    try:
        return pd.read_csv(io.StringIO(text), index_col=0)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(FILE, f"not a readable CSV: {exc}") from None


def _read_parquet(data: bytes, limits: UploadLimits) -> pd.DataFrame:
    """A Parquet upload as a raw table, once its footer shows it within `limits`."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    except Exception as exc:
        problem = f"not readable Parquet: {exc}"
        raise InputError(FILE, problem, f"the file is {problem}") from None
    if metadata.num_columns > MAX_UPLOAD_ASSETS + 1:
        raise InputError(
            FILE,
            f"{metadata.num_columns - 1} asset columns; at most {MAX_UPLOAD_ASSETS} are accepted",
        )
    limits.check(metadata.num_rows, metadata.num_columns)
    expanded = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if expanded > limits.max_expanded_bytes:
        raise DatasetTooLargeError(
            FILE,
            f"its columns take {expanded:,} bytes uncompressed; at most "
            f"{limits.max_expanded_bytes:,} are accepted (datasets_max_expanded_bytes)",
        )
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except MemoryError:  # Arrow's too: the reader's memory is the limit, not a broken file
        raise
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
