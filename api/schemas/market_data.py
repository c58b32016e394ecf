"""Request and response models of the market data: the tables `/v1/market-data/*` answers, the
datasets it stores (`api.routes.market_data`), and where an analysis request's returns come from
(`ReturnsSource`, the base of the `/v1/optimization/*` and `/v1/monte-carlo/*` requests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.bounds import PeriodReturn
from store import Dataset


class Table(BaseModel):
    """A columnar table of daily values: the dates and, per asset, one value per date."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "dates": ["2022-12-22", "2022-12-23", "2022-12-27"],
                "data": {"AAPL": [-0.0238, -0.0028, -0.0139], "MSFT": [-0.0255, 0.0023, -0.0074]},
            }
        },
    )

    dates: list[date] | None = Field(
        default=None,
        description="ISO dates (YYYY-MM-DD), strictly increasing. Omitted (inline returns only): "
        "the observations are numbered, and answers give no start or end date.",
        min_length=1,
    )
    data: dict[str, list[PeriodReturn]] = Field(
        description="Asset name -> daily simple returns (each above -1 and at most 10), one per "
        "date.",
        min_length=1,
    )


class ReturnsSource(BaseModel):
    """Where the returns come from: exactly one of `returns` (inline), `dataset_id` (an
    uploaded dataset) or `portfolio_id` (a saved portfolio: its assets and its dataset); none of
    them means the embedded S&P 500 data. `assets`, `start` and `end` narrow the data (for a
    portfolio, `assets` defaults to its assets)."""

    model_config = ConfigDict(extra="forbid")

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


class MarketDataOut(BaseModel):
    """The configured market data (`GET /v1/market-data`)."""

    provider: str = Field(description="sp500 (embedded), file or alpaca.")
    version: str = Field(description="The data version read (changes whenever the data does).")
    start: str | None = Field(description="First session (ISO date).")
    end: str | None = Field(description="Last session (ISO date).")
    data_end: str = Field(description="Last session the data holds (ISO date).")
    symbols: int = Field(description="How many tickers it holds.")
    tickers: list[str] = Field(description="Every ticker: a universe may hold any of them.")
    last_closed_session: str | None = Field(description="The last NYSE session closed now.")
    behind_sessions: int = Field(description="Sessions closed since the data's last one.")
    last_refresh: dict[str, Any] | None = Field(
        default=None, description="Refreshed data only: when, whether it succeeded, why not."
    )


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
    return DatasetOut.model_validate(dataset, from_attributes=True)
