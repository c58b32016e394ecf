"""The configured market data deployments trade on: a CSV or Parquet file, local or on S3 (moto's
server on loopback), read again when it changes, so a paper deployment whose prices are updated
after each close fires once the close it fills at arrives and trades day by day; stale data holds
nothing back and the run says where it ends; a file that cannot be used is a clear error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pandas as pd
import pytest

from jobs.job_runner import JobRunner
from quant.data import sp500_prices
from quant.errors import DataError
from services.market_data import market_closes
from settings import JobSettings, NotificationSettings, Settings, SmtpSettings
from store import Deployment
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.aws import FAKE_AWS_ENV, moto_server
from trading.execution_jobs import HANDLERS
from trading.scheduling import fire_due

SYMBOLS = ["AAPL", "KO"]
SPEC = {
    "strategy": {"kind": "weights", "weights": {"AAPL": 0.5, "KO": 0.45}},
    "universe": SYMBOLS,
    "capital": 50_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
}


def _closes(through: str) -> pd.DataFrame:
    return sp500_prices().loc["2021-01-04":through, SYMBOLS]


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.rename_axis("date").to_csv(path, float_format="%.17g")


def test_a_local_file_is_read_exactly_and_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "closes.csv"
    _write_csv(path, _closes("2021-06-01"))
    settings = Settings(data_dir=tmp_path, market_data=str(path))
    first = market_closes(settings)
    pd.testing.assert_frame_equal(first, _closes("2021-06-01"), check_freq=False, check_names=False)
    assert market_closes(settings) is first  # unchanged: the same table, not read again
    _write_csv(path, _closes("2021-06-02"))
    assert market_closes(settings).index[-1] == pd.Timestamp("2021-06-02")
    parquet = tmp_path / "closes.parquet"
    _closes("2021-06-03").to_parquet(parquet)
    from_parquet = market_closes(Settings(data_dir=tmp_path, market_data=str(parquet)))
    assert from_parquet.index[-1] == pd.Timestamp("2021-06-03")
    assert market_closes(Settings(data_dir=tmp_path)) is sp500_prices()  # nothing configured


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "No such file"),
        ("date,AAPL\n2021-06-01,-3\n2021-06-02,4\n", "positive"),
        ("date,AAPL\n", "at least 2 dates"),
    ],
)
def test_a_file_that_cannot_be_used_is_an_error_naming_it(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "closes.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError, match=problem) as raised:
        market_closes(Settings(data_dir=tmp_path, market_data=str(path)))
    assert str(path) in str(raised.value)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with moto_server() as url:
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket="prices")
        yield url


def test_an_s3_object_is_read_and_read_again_when_its_etag_changes(tmp_path: Path, s3: str) -> None:
    client = boto3.client("s3", endpoint_url=s3)
    local = tmp_path / "closes.parquet"
    _closes("2021-06-01").to_parquet(local)
    client.upload_file(str(local), "prices", "daily/closes.parquet")
    settings = Settings(
        data_dir=tmp_path,
        market_data="s3://prices/daily/closes.parquet",
        market_data_s3_endpoint_url=s3,
    )
    first = market_closes(settings)
    pd.testing.assert_frame_equal(first, _closes("2021-06-01"), check_freq=False, check_names=False)
    assert market_closes(settings) is first
    _closes("2021-06-02").to_parquet(local)
    client.upload_file(str(local), "prices", "daily/closes.parquet")
    assert market_closes(settings).index[-1] == pd.Timestamp("2021-06-02")
    missing = settings.model_copy(update={"market_data": "s3://prices/nothing.csv"})
    with pytest.raises(DataError, match=r"s3://prices/nothing\.csv cannot be read"):
        market_closes(missing)


def _paper_clock_and_settings(tmp_path: Path, market_data: Path) -> tuple[FakeClock, Settings]:
    """A clock after the 06-01 close, when the deployment is activated, and settings reading
    `market_data`."""
    clock = FakeClock()
    clock.now = datetime(2021, 6, 1, 21, 0, tzinfo=UTC)
    settings = Settings(
        data_dir=tmp_path,
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1")),
        market_data=str(market_data),
        jobs=JobSettings(ticks=[]),
    )
    return clock, settings


def _activated(store: SQLiteStore) -> Deployment:
    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    return store.update_deployment("alice", draft.id, expected_version=1, status="active")


def test_a_paper_deployment_fires_once_the_day_s_close_arrives_and_trades_at_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "closes.csv"
    _write_csv(path, _closes("2021-06-01"))
    fire = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)  # 15:45 in New York
    clock, settings = _paper_clock_and_settings(tmp_path, path)
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as store:
        deployment = _activated(store)
        clock.now = fire + timedelta(minutes=1)
        # the fire fills at the 06-02 close, which the file does not hold yet: it waits
        assert fire_due(store, clock.now, settings=settings).submitted == []
        clock.now = fire + timedelta(hours=3)
        assert fire_due(store, clock.now, settings=settings).submitted == []
        _write_csv(path, _closes("2021-06-02"))  # the day's closes arrive
        [job_id] = fire_due(store, clock.now, settings=settings).submitted
        assert store.get_job("alice", job_id).request["fire"] == fire.isoformat()
        assert fire_due(store, clock.now, settings=settings).submitted == []  # once
        runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))
        runner.run_once()
        assert store.get_job("alice", job_id).status == "succeeded"
        result = runner.results("alice", job_id)
        assert result["outcome"] == "filled" and len(result["orders"]) == 2
        closes = _closes("2021-06-02")
        for entry in store.ledger("alice", deployment.id)[1:]:  # filled at the 06-02 close
            assert entry.price == pytest.approx(closes.loc["2021-06-02", entry.symbol], rel=1e-3)


def _error_of_the_06_02_fire(tmp_path: Path, market_data: Path) -> str:
    """The error of the failed job the scheduler submits (on the clock, at once) for the 15:45
    fire of 2021-06-02 of a paper deployment reading `market_data`."""
    fire = datetime(2021, 6, 2, 19, 45, tzinfo=UTC)
    clock, settings = _paper_clock_and_settings(tmp_path, market_data)
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as store:
        _activated(store)
        clock.now = fire + timedelta(minutes=1)
        [job_id] = fire_due(store, clock.now, settings=settings).submitted
        JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,)).run_once()
        failed = store.get_job("alice", job_id)
        assert failed.status == "failed"
        return failed.error or ""


def test_stale_market_data_holds_nothing_back_and_the_run_says_where_it_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "closes.csv"
    _write_csv(path, _closes("2021-05-27"))  # three sessions behind the 06-02 fire
    error = _error_of_the_06_02_fire(tmp_path, path)
    assert "the market data ends on 2021-05-27" in error


def test_unreadable_market_data_fires_on_the_clock_and_the_run_says_what_is_wrong(
    tmp_path: Path,
) -> None:
    path = tmp_path / "closes.csv"
    path.write_text("date,AAPL,KO\n2021-06-01,-1,2\n2021-06-02,3,4\n")
    error = _error_of_the_06_02_fire(tmp_path, path)
    assert f"market data {path}" in error and "positive" in error
