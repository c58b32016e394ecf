"""Alpaca Market Data as the configured provider, read through alpaca-py's historical data client
from the local Alpaca stand-in (its bars and latest-trade endpoints, in Alpaca's shapes): the
first refresh reads each symbol's history, later ones append the sessions closed since as new
versions (never a session still under way), each written through the ingestion of price files;
a split re-reads the symbol's adjusted history, a failed refresh keeps the last good version
and says why, and the price at a time during a session comes from the latest trades."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import boto3
import pandas as pd
import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from quant.errors import DataError
from services.market_data import market_closes, market_data_provider
from services.market_data.alpaca import AlpacaMarketData
from services.market_data.refresh import market_data_status, refresh_now
from settings import Settings
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.market import alpaca_data, alpaca_data_settings, synthetic_closes

SYMBOLS = ["AAA", "BBB", "CCC"]
START = date(2025, 1, 2)
TUESDAY_EVENING = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)  # after the 03-10 close
WEDNESDAY_1545 = datetime(2026, 3, 11, 19, 45, tzinfo=UTC)  # 15:45 in New York


@pytest.fixture
def closes() -> pd.DataFrame:
    return synthetic_closes(SYMBOLS, START, date(2026, 3, 13), seed=7)


@pytest.fixture
def stand_in(closes: pd.DataFrame) -> Iterator[LocalAlpaca]:
    with alpaca_data(closes) as local:
        yield local


@pytest.fixture
def settings(stand_in: LocalAlpaca, tmp_path: Path) -> Settings:
    return alpaca_data_settings(stand_in, tmp_path, symbols=SYMBOLS[:2], start=START)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    clock = FakeClock()
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as opened:
        yield opened


def _provider(settings: Settings) -> AlpacaMarketData:
    provider = market_data_provider(settings)
    assert isinstance(provider, AlpacaMarketData)
    return provider


def test_a_refresh_reads_the_history_then_appends_each_closed_session_as_a_version(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore, closes: pd.DataFrame
) -> None:
    stand_in.advance(WEDNESDAY_1545)  # 03-11 is under way: Alpaca serves its bar in progress
    first = refresh_now(store, settings, WEDNESDAY_1545)
    assert first["updated"] and first["end"] == "2026-03-10"
    got = market_closes(settings)
    expected = closes.loc[:"2026-03-10", SYMBOLS[:2]]
    pd.testing.assert_frame_equal(got, expected, check_freq=False, check_names=False)
    paged = [p for m, p in stand_in.requests if p == "/v2/stocks/bars"]
    assert len(paged) == 3  # 2 x 298 bars in pages of 250: next_page_token followed
    # written through the ingestion, as any price file: its report and regime indicators
    status = market_data_status(settings, WEDNESDAY_1545)
    assert status["last_ingest"]["status"] == "ingested"
    assert status["last_ingest"]["version"] == first["version"]
    assert status["regimes"]["version"] == first["version"]
    assert status["last_refresh"]["status"] == "succeeded"
    assert refresh_now(store, settings, WEDNESDAY_1545)["updated"] is False  # nothing new

    thursday = datetime(2026, 3, 12, 21, 0, tzinfo=UTC)
    stand_in.advance(thursday)
    second = refresh_now(store, settings, thursday)
    assert second["previous"] == first["version"] and second["appended_sessions"] == 2
    assert _provider(settings).version() == second["version"]
    pd.testing.assert_frame_equal(
        market_closes(settings),
        closes.loc[:"2026-03-12", SYMBOLS[:2]],
        check_freq=False,
        check_names=False,
    )


def test_a_symbol_added_later_is_read_from_the_start_and_one_alpaca_lacks_is_left_out(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore, closes: pd.DataFrame
) -> None:
    stand_in.advance(TUESDAY_EVENING)
    refresh_now(store, settings, TUESDAY_EVENING)
    more = settings.model_copy(update={"market_data_symbols": [*SYMBOLS, "NOPE"]})
    report = refresh_now(store, more, TUESDAY_EVENING)
    assert report["added"] == ["CCC"] and report["missing"] == ["NOPE"]
    pd.testing.assert_series_equal(
        market_closes(more)["CCC"],
        closes.loc[:"2026-03-10", "CCC"],
        check_names=False,
        check_freq=False,
    )


def test_a_split_after_a_version_re_reads_the_symbol_s_adjusted_history(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore, closes: pd.DataFrame
) -> None:
    stand_in.advance(TUESDAY_EVENING)
    refresh_now(store, settings, TUESDAY_EVENING)
    assert stand_in.market is not None
    split = closes.copy()
    split["AAA"] /= 4  # a 4-for-1 split on 03-11: adjusted closes, the history re-priced
    stand_in.market.closes = split
    stand_in.market.splits = {"AAA": [(date(2026, 3, 11), 4.0)]}
    wednesday = datetime(2026, 3, 11, 21, 0, tzinfo=UTC)
    stand_in.advance(wednesday)
    report = refresh_now(store, settings, wednesday)
    assert report["readjusted"] == ["AAA"]
    got = market_closes(settings)
    pd.testing.assert_series_equal(
        got["AAA"], split.loc[:"2026-03-11", "AAA"], check_names=False, check_freq=False
    )
    assert got["BBB"].iloc[-1] == closes.loc["2026-03-11", "BBB"]
    queries = stand_in.market.queries
    assert queries and all(q.get("adjustment") == "all" for q in queries)


def test_a_failed_refresh_keeps_the_last_good_version_and_says_why(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore
) -> None:
    stand_in.advance(TUESDAY_EVENING)
    good = refresh_now(store, settings, TUESDAY_EVENING)
    thursday = datetime(2026, 3, 12, 21, 0, tzinfo=UTC)
    stand_in.advance(thursday)
    stand_in.fail_next(1, 503, request=("GET", "/v2/stocks/bars"))
    with pytest.raises(DataError, match=r"answered 503 \(read daily bars\): service unavailable"):
        refresh_now(store, settings, thursday)
    provider = _provider(settings)
    assert provider.version() == good["version"]
    assert market_closes(settings).index[-1] == pd.Timestamp("2026-03-10")
    last = provider.versions.last_refresh()
    assert last is not None and last["status"] == "failed" and "503" in last["reason"]


def test_closes_the_ingestion_refuses_fail_the_refresh_and_keep_the_last_good_version(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore, closes: pd.DataFrame
) -> None:
    """Alpaca's bars meet the checks every price file meets: a split they are not adjusted
    for fails the refresh with the ingestion's reason."""
    stand_in.advance(TUESDAY_EVENING)
    good = refresh_now(store, settings, TUESDAY_EVENING)
    assert stand_in.market is not None
    unadjusted = closes.copy()
    unadjusted.loc["2026-03-11":, "BBB"] /= 4  # 4-for-1 on 03-11, history not re-priced
    stand_in.market.closes = unadjusted
    wednesday = datetime(2026, 3, 11, 21, 0, tzinfo=UTC)
    stand_in.advance(wednesday)
    with pytest.raises(DataError, match=r"were refused: BBB closes at .* 4-for-1 split"):
        refresh_now(store, settings, wednesday)
    provider = _provider(settings)
    assert provider.version() == good["version"]
    last = provider.versions.last_refresh()
    assert last is not None and last["status"] == "failed" and "4-for-1" in last["reason"]
    assert provider.last_ingest()["status"] == "refused"


def test_keys_alpaca_refuses_fail_the_first_refresh_and_nothing_is_read(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore
) -> None:
    wrong = settings.model_copy(
        update={"alpaca": settings.alpaca.model_copy(update={"secret_key": SecretStr("nope")})}
    )
    stand_in.advance(TUESDAY_EVENING)
    with pytest.raises(DataError, match="answered 401"):
        refresh_now(store, wrong, TUESDAY_EVENING)
    with pytest.raises(DataError, match=r"has not been read yet .* the last refresh failed: .*401"):
        market_closes(wrong)


def test_the_price_at_a_time_of_a_session_is_the_latest_trade_made_in_it(
    stand_in: LocalAlpaca, settings: Settings
) -> None:
    provider = _provider(settings)
    assert stand_in.market is not None
    stand_in.advance(WEDNESDAY_1545)
    stand_in.market.trade("AAA", 101.5, WEDNESDAY_1545 - timedelta(seconds=20))
    stand_in.market.trade("BBB", 55.25, WEDNESDAY_1545 - timedelta(minutes=3))
    prices = provider.latest_prices(["AAA", "BBB"], WEDNESDAY_1545)
    assert prices is not None and prices.to_dict() == {"AAA": 101.5, "BBB": 55.25}
    assert prices.name == pd.Timestamp("2026-03-11")
    # a run starting 20 minutes after its fire: the trades are no longer the prices at it
    stand_in.market.trade("AAA", 102.0, WEDNESDAY_1545 + timedelta(minutes=20))
    assert provider.latest_prices(["AAA", "BBB"], WEDNESDAY_1545) is None
    # a symbol whose latest trade is of the day before
    stand_in.market.trade("AAA", 101.5, WEDNESDAY_1545)
    stand_in.market.trade("BBB", 55.0, WEDNESDAY_1545 - timedelta(days=1))
    assert provider.latest_prices(["AAA", "BBB"], WEDNESDAY_1545) is None
    # outside a session there is no price at a time of it
    assert provider.latest_prices(["AAA"], datetime(2026, 3, 14, 16, 0, tzinfo=UTC)) is None


def test_versions_kept_in_a_bucket_are_read_by_every_process_and_only_the_newest_stay(
    stand_in: LocalAlpaca, settings: Settings, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with moto_server() as url:
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket="market")
        in_bucket = settings.model_copy(
            update={"market_data_dir": "s3://market/alpaca", "market_data_s3_endpoint_url": url}
        )
        versions = []
        for day in (10, 11, 12, 13):
            now = datetime(2026, 3, day, 21, 30, tzinfo=UTC)
            stand_in.advance(now)
            versions.append(refresh_now(store, in_bucket, now)["version"])
        listed = boto3.client("s3", endpoint_url=url).list_objects_v2(Bucket="market")
        keys = sorted(item["Key"] for item in listed["Contents"])
        assert [k for k in keys if k.startswith("alpaca/")] == [
            *(f"alpaca/{v}.parquet" for v in versions[-3:]),  # ids sort by age
            "alpaca/current.json",
            "alpaca/ingest.json",  # each refresh went through the ingestion
            "alpaca/refresh.json",
            "alpaca/regimes.json",
        ]
        notes = [k for k in keys if k.startswith("review/")]  # its review notes beside
        assert len(notes) == 4 and len(keys) == 11
        elsewhere = in_bucket.model_copy(update={"data_dir": Path("/nonexistent")})
        assert _provider(elsewhere).version() == versions[-1]  # another machine reads it
        assert market_closes(elsewhere).index[-1] == pd.Timestamp("2026-03-13")
