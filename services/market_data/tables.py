"""Tables of daily values as the interfaces exchange them, and their checks.

A table is a DataFrame with a sorted, unique DatetimeIndex named ``date`` (calendar dates) and one
float column per asset. Its JSON form is columnar: ``{"dates": ["YYYY-MM-DD", ...], "data":
{asset: [value per date], ...}}``. Every problem is an `InputError` naming the input's field
relative to the caller's (``returns.data.AAPL.3``, ``assets``, ``start``); the interface adds
its own prefix (``body.``, ``query.``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from quant.errors import QuantError
from quant.validation import check_asset_names
from services.errors import InputError
from services.market_data.tickers import unknown_tickers


def frame_to_table(frame: pd.DataFrame) -> dict[str, Any]:
    """A DataFrame as the columnar JSON table (NaN as null: answers never hold NaN)."""
    values = frame.to_numpy(dtype=float)
    data: dict[str, list[float | None]] = {}
    for j, column in enumerate(frame.columns):
        col = values[:, j]
        data[str(column)] = [float(v) if math.isfinite(v) else None for v in col]
    dates = [d.date().isoformat() for d in pd.DatetimeIndex(frame.index)]
    return {"dates": dates, "data": data}


UNDATED_FIRST_DAY = "1970-01-01"
"""Inline returns given without dates are indexed by consecutive days from this one (an index
only: answers about them give no dates, `services.market_data.sources.Resolved.data_info`)."""


def inline_returns(
    dates: Sequence[date] | None,
    data: Mapping[str, Sequence[float | None]],
    field: str = "returns",
) -> pd.DataFrame:
    """Inline daily simple returns (the columnar table of `field`) as a validated DataFrame:
    one value per date, every value finite and > -1, calendar dates sorted and unique. Without
    `dates` the observations are numbered: every asset needs as many values as the first, and
    the index is consecutive days from `UNDATED_FIRST_DAY`."""
    first = len(next(iter(data.values()), []))
    n = first if dates is None else len(dates)
    counted = "the first asset has" if dates is None else "there are"
    for asset, column in data.items():
        if len(column) != n:
            raise InputError(f"{field}.data.{asset}", f"has {len(column)} values but {counted} {n}")
        for i, value in enumerate(column):
            when = f"observation {i}" if dates is None else f"return on {dates[i]}"
            if value is None or not math.isfinite(value):
                raise InputError(
                    f"{field}.data.{asset}.{i}",
                    f"{when} is {value}: returns must be finite numbers",
                )
            if value <= -1.0:
                raise InputError(
                    f"{field}.data.{asset}.{i}",
                    f"{when} is {value}: a daily return must be > -1",
                )
    if dates is None:
        index = pd.date_range(UNDATED_FIRST_DAY, periods=n, freq="D", name="date")
    else:
        index = pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")
    check_dates(index, f"{field}.dates")
    frame = pd.DataFrame(
        {asset: np.asarray(col, dtype=float) for asset, col in data.items()}, index=index
    )
    try:
        check_asset_names(frame.columns)
    except QuantError as exc:
        raise InputError(f"{field}.data", str(exc)) from None
    return frame


def check_dates(index: pd.DatetimeIndex, field: str) -> None:
    """`InputError` on `field` unless the dates are calendar dates (no time of day, year 1900
    or later), unique and sorted."""
    if len(index) and (index != index.normalize()).any():
        stamp = index[index != index.normalize()][0]
        raise InputError(field, f"dates must be calendar dates without a time of day, got {stamp}")
    if len(index) and index.min().year < 1900:
        raise InputError(field, f"dates must be calendar dates, got {index.min()}")
    if index.has_duplicates:
        dup = index[index.duplicated()][0].date()
        raise InputError(field, f"duplicate date {dup}")
    if not index.is_monotonic_increasing:
        position = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise InputError(
            field,
            f"dates are not sorted: {index[position].date()} follows {index[position - 1].date()}",
        )


def select(
    frame: pd.DataFrame,
    *,
    assets: Sequence[str] | None,
    start: date | None,
    end: date | None,
    min_rows: int = 1,
    source: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Columns `assets` (all if None) and rows in [start, end].

    `InputError` on ``assets`` for no, repeated or unknown assets (naming the known ones and,
    for the configured market data, where more come from: `tickers.unknown_tickers` of the
    data `source` describes); on
    ``start`` or ``end`` for a start after the last date or an end before the first (or start
    > end, or fewer than `min_rows` rows left).
    """
    columns = [str(c) for c in frame.columns]
    if assets is not None:
        frame = frame[_known_assets(assets, columns, source)]
    if len(frame) == 0:
        raise InputError("start", "the data has no dates")
    first, last = frame.index[0].date(), frame.index[-1].date()
    if start is not None and end is not None and start > end:
        raise InputError("start", f"start {start} is after end {end}")
    if start is not None and start > last:
        raise InputError("start", f"start {start} is after the last date of the data ({last})")
    if end is not None and end < first:
        raise InputError("end", f"end {end} is before the first date of the data ({first})")
    if start is not None:
        frame = frame.loc[frame.index >= pd.Timestamp(start)]
    if end is not None:
        frame = frame.loc[frame.index <= pd.Timestamp(end)]
    if len(frame) < min_rows:
        raise InputError(
            "start" if start is not None else "end",
            f"{len(frame)} dates between {start or first} and {end or last}; "
            f"at least {min_rows} are needed",
        )
    return frame


def _known_assets(
    assets: Sequence[str], columns: list[str], source: Mapping[str, Any] | None
) -> list[str]:
    """`assets` as a list, after checking each is named once and is one of `columns` (of the
    data `source` describes)."""
    if len(assets) == 0:
        raise InputError("assets", "name at least one asset")
    seen: set[str] = set()
    duplicates = [a for a in assets if a in seen or seen.add(a)]  # type: ignore[func-returns-value]
    if duplicates:
        raise InputError("assets", f"duplicate assets: {', '.join(duplicates)}")
    unknown = [a for a in assets if a not in columns]
    if unknown:
        raise InputError("assets", unknown_tickers(unknown, columns, source))
    return list(assets)
