"""The `clock` and `store` fixtures of the trading and services tests: an injected clock, at
13:00 UTC on 2021-06-01 (a session's morning in New York, within the embedded market data), and
a SQLite store on it. A directory's conftest imports them; test modules that need another store
define their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import Store
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    fake = FakeClock()
    fake.now = datetime(2021, 6, 1, 13, 0, tzinfo=UTC)
    return fake


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as opened:
        yield opened
