"""The local Alpaca stand-in serving synthetic daily closes (`benchmarks.synthetic_market`:
seeded random walks, never copied data) as Alpaca Market Data, with settings that read it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import pytest
from pydantic import SecretStr

from benchmarks.synthetic_market import synthetic_closes
from devtools.local_alpaca import LocalAlpaca, MarketTape
from execution.brokers.paper import PaperBroker
from settings import AlpacaSettings, JobSettings, Settings, get_settings


@contextmanager
def alpaca_data(
    closes: pd.DataFrame, *, max_page: int = 250, cash: float = 0.0
) -> Iterator[LocalAlpaca]:
    """The local Alpaca stand-in serving `closes` as its market data and trading on them (an
    account holding `cash` from the first session), in pages of at most `max_page` bars."""
    broker = PaperBroker(closes, fractional=True)
    if cash:
        first = pd.Timestamp(closes.index[0]).date()
        broker.deposit(cash, datetime.combine(first, time(9), tzinfo=UTC))
    with LocalAlpaca(broker, market=MarketTape(closes, max_page=max_page)) as stand_in:
        yield stand_in


def use_alpaca_data(
    monkeypatch: pytest.MonkeyPatch,
    stand_in: LocalAlpaca,
    data_dir: Path,
    *,
    symbols: Sequence[str],
    start: date,
    **environment: str,
) -> Settings:
    """The process's settings (`get_settings()`, read from the environment this test sets) with
    market data from Alpaca through `stand_in` and its account as `alice`'s, keeping `symbols`
    from `start`, and `environment` (more STRATIGOS_* variables); every caller that reads the
    process's settings sees the same market data as the test."""
    values = {
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MARKET_DATA": "alpaca",
        "STRATIGOS_MARKET_DATA_SYMBOLS": json.dumps(list(symbols)),
        "STRATIGOS_MARKET_DATA_START": start.isoformat(),
        "STRATIGOS_JOBS_TICKS": "[]",
        "STRATIGOS_ALPACA_KEY_ID": stand_in.key_id,
        "STRATIGOS_ALPACA_SECRET_KEY": stand_in.secret_key,
        "STRATIGOS_ALPACA_OWNER": "alice",
        "STRATIGOS_ALPACA_BASE_URL": stand_in.url,
        "STRATIGOS_ALPACA_DATA_URL": stand_in.url,
        "STRATIGOS_EXECUTION_RETRY_SECONDS": "0",
        **environment,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return get_settings()


def alpaca_data_settings(
    stand_in: LocalAlpaca, data_dir: Path, *, symbols: Sequence[str], start: date
) -> Settings:
    """Settings whose market data is Alpaca's, read from `stand_in` with its keys, keeping
    `symbols` from `start`."""
    return Settings(
        data_dir=data_dir,
        market_data="alpaca",
        market_data_symbols=list(symbols),
        market_data_start=start,
        jobs=JobSettings(ticks=[]),
        alpaca=AlpacaSettings(
            key_id=SecretStr(stand_in.key_id),
            secret_key=SecretStr(stand_in.secret_key),
            base_url=stand_in.url,
            data_url=stand_in.url,
        ),
    )


__all__ = ["alpaca_data", "alpaca_data_settings", "synthetic_closes", "use_alpaca_data"]
