"""Datasets an owner uploads: CSV or Parquet tables of daily prices or returns, validated and
stored as Parquet (`services.market_data.uploads`), and read back as tables.

A stored dataset is the Parquet of a table (see `services.market_data.tables`) with `format`
``prices`` or ``returns`` (daily simple returns). A dataset the caller does not have is a
`NotFoundInputError` on the field the caller named it in. `None` as a dataset id means the
configured market data (the embedded S&P 500 data unless `STRATIGOS_MARKET_DATA` says
otherwise).
"""

from __future__ import annotations

import io

import pandas as pd

from quant.data import to_returns
from services.errors import InputError, NotFoundInputError
from services.market_data.providers import market_closes, market_returns
from store import Dataset, NotFoundError, Store


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
