"""Price tables: read and validate them, and turn them into returns.

A price table is a DataFrame with a date index (sorted, unique) and one column of positive prices
per asset, read from a CSV or Parquet file (`load_prices`) or from the embedded dataset: the daily
S&P 500 data shipped inside the installed `skfolio` wheel (20 large US stocks, adjusted closes,
1990-01-02 to 2022-12-28, and the index), read once per process. Which table a request or a
deployment uses is decided above the numeric core, in `services.market_data`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import DataError, InsufficientDataError
from quant.sp500_files import INDEX_FILE, PRICES_FILE, skfolio_data_file
from quant.validation import check_asset_names

ReturnKind = Literal["simple", "log"]


def load_prices(
    source: str | Path | pd.DataFrame, *, fill_gaps: bool = False, date_column: str | None = None
) -> pd.DataFrame:
    """Load and validate a price table from a CSV or Parquet file, or a DataFrame.

    Files must have the dates in the first column (or in `date_column`) and one column per asset.
    Validation: at least two dates, dates parseable, sorted and unique, no duplicate or empty asset
    columns, prices finite and strictly positive. Missing prices are an error unless
    `fill_gaps=True`, which forward-fills them (leading gaps, before an asset's first price, are
    still an error because nothing precedes them).
    """
    frame = (
        read_price_file(source, date_column)
        if not isinstance(source, pd.DataFrame)
        else source.copy()
    )
    return validate_prices(frame, fill_gaps=fill_gaps)


def read_price_file(path: str | Path, date_column: str | None = None) -> pd.DataFrame:
    """A CSV or Parquet price file as read, before any check (dates in the first column or in
    `date_column`, one column per asset); `DataError` for a missing file or another type."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"price file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
        if date_column is not None:
            frame = frame.set_index(date_column)
        elif not isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.set_index(frame.columns[0])
    elif suffix in {".csv", ".txt"}:
        frame = pd.read_csv(path, index_col=date_column if date_column is not None else 0)
    else:
        raise DataError(f"unsupported price file type {suffix!r}: use .csv or .parquet")
    return frame


def validate_prices(frame: pd.DataFrame, *, fill_gaps: bool = False) -> pd.DataFrame:
    """Validate a price DataFrame (see `load_prices`) and return a float copy with a DatetimeIndex."""
    if frame.shape[1] == 0:
        raise DataError("price table has no asset columns")
    check_asset_names(frame.columns)
    try:
        index = pd.DatetimeIndex(pd.to_datetime(frame.index))
    except (TypeError, ValueError) as exc:
        raise DataError(f"price dates could not be parsed: {exc}") from exc
    if index.hasnans:
        raise DataError("price table has missing dates")
    if index.has_duplicates:
        raise DataError(f"duplicate date in prices: {index[index.duplicated()][0].date()}")
    if not index.is_monotonic_increasing:
        position = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise DataError(
            f"dates are not sorted: {index[position].date()} follows {index[position - 1].date()}"
        )
    try:
        prices = frame.apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"prices must be numeric: {exc}") from exc
    prices.index = index
    prices.index.name = "date"
    prices.columns = [str(c) for c in prices.columns]
    if len(prices) < 2:
        raise InsufficientDataError(f"need at least 2 dates of prices, got {len(prices)}")
    empty = [c for c in prices.columns if prices[c].isna().all()]
    if empty:
        raise DataError(f"asset columns with no prices: {', '.join(empty)}")
    values = prices.to_numpy()
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise DataError(f"infinite price for {prices.columns[col]} on {prices.index[row].date()}")
    nonpositive = np.nan_to_num(values, nan=1.0) <= 0
    if nonpositive.any():
        row, col = np.argwhere(nonpositive)[0]
        raise DataError(
            f"price of {prices.columns[col]} on {prices.index[row].date()} is {values[row, col]}: "
            "prices must be positive"
        )
    if prices.isna().any().any():
        if not fill_gaps:
            column = prices.columns[prices.isna().any()][0]
            date = prices.index[prices[column].isna()][0]
            raise DataError(
                f"missing price for {column} on {date.date()}; pass fill_gaps=True to forward-fill"
            )
        prices = prices.ffill()
        if prices.isna().any().any():
            column = prices.columns[prices.isna().any()][0]
            raise DataError(
                f"{column} has no price before {prices[column].first_valid_index()}: "
                "leading gaps cannot be forward-filled"
            )
    _check_returns_finite(prices)
    return prices


def _check_returns_finite(prices: pd.DataFrame) -> None:
    """Raise `DataError` naming the asset and date when two consecutive prices are so far apart
    that their ratio overflows to inf or underflows to 0 (a return of -1 from positive prices)."""
    values = prices.to_numpy()
    with np.errstate(over="ignore", under="ignore"):
        ratio = values[1:] / values[:-1]
    bad = ~np.isfinite(ratio) | (ratio <= 0)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"return of {prices.columns[col]} on {prices.index[row + 1].date()} is "
            f"{ratio[row, col] - 1.0} (price {values[row + 1, col]:g} after "
            f"{values[row, col]:g}): prices must give finite daily returns > -1"
        )


def to_returns(prices: pd.DataFrame | pd.Series, kind: ReturnKind = "simple") -> pd.DataFrame:
    """Period returns from validated prices: simple p_t/p_{t-1} - 1 or log ln(p_t/p_{t-1}).

    The first date has no return and is dropped.
    """
    frame = prices.to_frame() if isinstance(prices, pd.Series) else prices
    values = frame.to_numpy(dtype=float)
    ratio = values[1:] / values[:-1]
    if kind == "simple":
        result = ratio - 1.0
    elif kind == "log":
        result = np.log(ratio)
    else:
        raise DataError(f"unknown return kind {kind!r}: use 'simple' or 'log'")
    return pd.DataFrame(result, index=frame.index[1:], columns=frame.columns)


def _skfolio_dataset(filename: str) -> pd.DataFrame:
    """A gzip CSV data file of skfolio's wheel (`quant.sp500_files`), read directly: the
    ``skfolio`` package itself (and scikit-learn behind it, about a second) is not imported."""
    frame = pd.read_csv(skfolio_data_file(filename), sep=",", index_col=0, compression="gzip")
    frame.index = pd.to_datetime(frame.index, format="%Y-%m-%d")
    return frame


@functools.lru_cache(maxsize=2)
def _sp500_table(filename: str) -> pd.DataFrame:
    """The validated table of the embedded data file `filename`, read once per process (~40 ms
    a read): `load_sp500_prices` and `load_sp500_index` hand out copies of it."""
    return validate_prices(_skfolio_dataset(filename))


def load_sp500_prices() -> pd.DataFrame:
    """Daily adjusted closes of 20 S&P 500 stocks, 1990-01-02 to 2022-12-28 (from skfolio's
    wheel): a new copy at each call, the caller's to change."""
    return _sp500_table(PRICES_FILE).copy()


def load_sp500_index() -> pd.Series:
    """Daily S&P 500 index level over the same dates as `load_sp500_prices` (from skfolio's
    wheel): a new copy at each call."""
    frame = _sp500_table(INDEX_FILE).copy()
    return frame.iloc[:, 0].rename("SP500")


@functools.lru_cache(maxsize=1)
def sp500_prices() -> pd.DataFrame:
    """`load_sp500_prices`, loaded once per process and shared by every caller: treat it as
    read-only (copy before changing it)."""
    return load_sp500_prices()


@functools.lru_cache(maxsize=1)
def sp500_returns() -> pd.DataFrame:
    """Daily simple returns of `sp500_prices` (first date dropped), computed once per process
    and shared: treat it as read-only."""
    return to_returns(sp500_prices())


@functools.lru_cache(maxsize=1)
def sp500_index_returns() -> pd.Series:
    """Daily simple returns of `load_sp500_index` (first date dropped, named ``SP500``), computed
    once per process and shared: treat it as read-only."""
    return to_returns(load_sp500_index()).iloc[:, 0].rename("SP500")
