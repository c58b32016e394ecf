"""Market data ingested from the market-data bucket, as a deployed stack has it: S3 is a moto
server on loopback, the ingestion is its Lambda handler (`api.market_data_ingest.handler`) fed
EventBridge's ``Object Created`` event, and the deployment runs through the job handlers the
worker runs, on an injected clock in 2026. A price file put under `incoming/` makes the next run
trade on the new version; a bad file is refused with its reason recorded, and the version
before it stays current. The daily refresh from Alpaca (the loopback stand-in) puts what it
pulled under `incoming/` too, where the same ingestion checks it and makes it a version."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from api.market_data_ingest import handler
from devtools.local_alpaca import LocalAlpaca
from jobs.job_runner import JobRunner
from jobs.worker import SYSTEM_OWNER
from services.market_data import market_data_provider
from services.market_data.refresh import REFRESH_KIND, market_data_status
from settings import Settings, get_settings
from store import Store, utc_now
from tests.store.conftest import FakeClock
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.emf import emf_values
from tests.support.market import alpaca_data, synthetic_closes
from trading.execution_jobs import HANDLERS
from trading.tick_jobs import FIRE_DUE_KIND

BUCKET = "stratigos-test-market-data"
SYMBOLS = ["AAA", "BBB"]
SPEC = {
    "strategy": {"kind": "weights", "weights": {"AAA": 0.5, "BBB": 0.45}},
    "universe": SYMBOLS,
    "capital": 50_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
}
TUESDAY_EVENING = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
AFTER_WEDNESDAY_CLOSE = datetime(2026, 3, 11, 20, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def settings(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A deployed stack's market-data settings (`infra.stacks.common.market_data_environment`)
    against the moto server, with EMF metrics on."""
    for name, value in {
        **FAKE_AWS_ENV,
        "STRATIGOS_DATA_DIR": str(tmp_path),
        "STRATIGOS_MARKET_DATA": "ingested",
        "STRATIGOS_MARKET_DATA_DIR": f"s3://{BUCKET}/versions",
        "STRATIGOS_MARKET_DATA_S3_ENDPOINT_URL": moto_url,
        "STRATIGOS_JOBS_TICKS": "[]",
        "STRATIGOS_METRICS": "emf",
        "STRATIGOS_METRICS_NAMESPACE": "Stratigos/test",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket=BUCKET)
    get_settings.cache_clear()
    yield get_settings()
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The handler configures logging as a Lambda instance does: put the root handlers back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def closes() -> pd.DataFrame:
    return synthetic_closes(SYMBOLS, date(2025, 1, 2), date(2026, 3, 13), seed=11)


def put(settings: Settings, key: str, frame: pd.DataFrame) -> dict[str, Any]:
    """Put `frame` as a CSV object under `key` and deliver EventBridge's event for it to the
    ingestion handler, as the stack's rule does; the handler's report."""
    s3 = boto3.client("s3", endpoint_url=settings.market_data_s3_endpoint_url)
    s3.put_object(Bucket=BUCKET, Key=key, Body=frame.to_csv().encode())
    event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": BUCKET}, "object": {"key": key}},
    }
    return handler(event)


def read_json(settings: Settings, key: str) -> dict[str, Any]:
    s3 = boto3.client("s3", endpoint_url=settings.market_data_s3_endpoint_url)
    return dict(json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))


def tick(store: Store, settings: Settings) -> dict[str, Any]:
    """The scheduler's tick at the clock's time, every job it submitted run; its result."""
    job, _ = store.submit_job(SYSTEM_OWNER, FIRE_DUE_KIND, {"tick": store.clock().isoformat()})
    runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))
    while runner.run_once() is not None:
        pass
    return runner.results(SYSTEM_OWNER, job.id)


def test_a_price_file_put_in_the_bucket_is_what_the_next_run_trades_on(
    store: Store,
    clock: FakeClock,
    settings: Settings,
    closes: pd.DataFrame,
    capsys: pytest.CaptureFixture,
) -> None:
    first = put(settings, "incoming/history.csv", closes.loc[:"2026-03-10"])
    assert first["status"] == "ingested" and first["end"] == "2026-03-10"
    assert first["markers"] == [] and first["previous"] is None
    provider = market_data_provider(settings)
    assert (provider.name, provider.version()) == ("ingested", first["version"])
    pd.testing.assert_frame_equal(
        provider.closes(), closes.loc[:"2026-03-10"], check_freq=False, check_names=False
    )
    # the regime indicators of the new version, which the status shows
    clock.now = TUESDAY_EVENING
    status = market_data_status(settings, clock.now)
    assert status["behind_sessions"] == 0 and status["version"] == first["version"]
    assert status["regimes"]["version"] == first["version"]
    assert status["regimes"]["regime"]["return_regime"] in ("bull", "bear", "neutral")

    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    store.update_deployment("alice", draft.id, expected_version=1, status="active")
    # Wednesday's close arrives as a file of that one day: a new version holding both
    second = put(settings, "incoming/2026-03-11.csv", closes.loc["2026-03-11":"2026-03-11"])
    assert second["status"] == "ingested" and second["previous"] == first["version"]
    assert second["end"] == "2026-03-11" and second["version"] != first["version"]
    clock.now = AFTER_WEDNESDAY_CLOSE
    [job_id] = tick(store, settings)["submitted"]
    result = JobRunner(store, handlers=HANDLERS, settings=settings).results("alice", job_id)
    assert result["outcome"] == "filled"
    assert result["data"]["provider"] == "ingested"
    assert result["data"]["version"] == second["version"]  # it trades on the new version
    assert result["data"]["data_end"] == "2026-03-11"
    for entry in store.ledger("alice", draft.id)[1:]:  # at Wednesday's close from the file
        assert entry.price == pytest.approx(closes.loc["2026-03-11", entry.symbol], rel=1e-3)
    published = emf_values(capsys.readouterr().out, "Stratigos/test")
    assert published["MarketDataIngested"] == 2 and published["MarketDataRefused"] == 0


def test_a_bad_file_is_refused_with_its_reason_and_the_last_version_stays(
    settings: Settings, closes: pd.DataFrame, capsys: pytest.CaptureFixture
) -> None:
    good = put(settings, "incoming/history.csv", closes.loc[:"2026-03-06"])
    unadjusted = closes.loc["2026-03-09":"2026-03-10"].copy()
    unadjusted.loc["2026-03-10", "BBB"] = unadjusted.loc["2026-03-09", "BBB"] / 4  # a 4:1 split
    refused = put(settings, "incoming/split.csv", unadjusted)
    assert refused["status"] == "refused" and refused["version"] is None
    assert "BBB" in refused["reason"] and "4-for-1" in refused["reason"]
    assert market_data_provider(settings).version() == good["version"]
    # the refusal is kept for review beside the versions and in the review folder
    assert read_json(settings, "versions/ingest.json")["reason"] == refused["reason"]
    s3 = boto3.client("s3", endpoint_url=settings.market_data_s3_endpoint_url)
    notes = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="review/")["Contents"]]
    assert any(key.endswith("split.csv.json") for key in notes)
    # closes dated after the ingestion's day (the handler's clock is the real one) are refused
    future = closes.loc["2026-03-09":"2026-03-10"].copy()
    today = pd.Timestamp(utc_now().date())
    future.index = pd.DatetimeIndex([today + pd.Timedelta(days=7), today + pd.Timedelta(days=8)])
    late = put(settings, "incoming/future.csv", future)
    assert late["status"] == "refused" and "is to come" in late["reason"]
    assert market_data_provider(settings).version() == good["version"]
    published = emf_values(capsys.readouterr().out, "Stratigos/test")
    assert published["MarketDataRefused"] == 2 and published["MarketDataIngested"] == 1


def test_gaps_and_days_off_are_kept_as_bad_data_markers(
    settings: Settings, closes: pd.DataFrame
) -> None:
    frame = closes.loc[:"2026-03-06"].copy()
    frame.loc["2026-02-11", "AAA"] = float("nan")  # a missing close
    frame = frame.drop(pd.Timestamp("2026-02-12"))  # a missing session
    saturday = pd.DataFrame(frame.iloc[[-1]].to_numpy(), [pd.Timestamp("2026-03-07")], SYMBOLS)
    frame = pd.concat([frame, saturday])  # a row on a day off
    report = put(settings, "incoming/gappy.csv", frame)
    assert report["status"] == "ingested" and report["marker_count"] == 3
    problems = {(m["date"], m["symbol"]): m["problem"] for m in report["markers"]}
    assert problems[("2026-02-11", "AAA")] == "close missing: carried forward"
    assert "no row for this session" in problems[("2026-02-12", "")]
    assert "not a XNYS session" in problems[("2026-03-07", "")]
    stored = market_data_provider(settings).closes()
    assert stored.loc["2026-02-11", "AAA"] == closes.loc["2026-02-10", "AAA"]  # carried forward
    assert stored.loc["2026-02-12", "BBB"] == closes.loc["2026-02-11", "BBB"]
    assert pd.Timestamp("2026-03-07") not in stored.index


def test_a_symbol_listed_later_than_the_others_has_no_close_before_its_first(
    settings: Settings, closes: pd.DataFrame
) -> None:
    frame = closes.loc[:"2026-03-06"].copy()
    frame.loc[:"2026-01-30", "BBB"] = float("nan")  # BBB's first close is on 2026-02-02
    report = put(settings, "incoming/listing.csv", frame)
    assert report["status"] == "ingested" and report["markers"] == []  # not a gap
    stored = market_data_provider(settings).closes()
    assert stored.loc[:"2026-01-30", "BBB"].isna().all()
    pd.testing.assert_series_equal(
        stored.loc["2026-02-02":, "BBB"], closes.loc["2026-02-02":"2026-03-06", "BBB"],
        check_names=False, check_freq=False,
    )  # fmt: skip
    # a gap after its first close is still one: carried forward and marked
    frame.loc["2026-02-10", "BBB"] = float("nan")
    again = put(settings, "incoming/gap.csv", frame)
    assert [(m["date"], m["symbol"]) for m in again["markers"]] == [("2026-02-10", "BBB")]


def test_before_any_file_the_market_data_says_how_to_add_one(settings: Settings) -> None:
    with pytest.raises(Exception, match="no price file has been ingested"):
        market_data_provider(settings).closes()


# -- the daily refresh, through the same ingestion ------------------------------------------


@pytest.fixture
def alpaca(closes: pd.DataFrame) -> Iterator[LocalAlpaca]:
    """The loopback Alpaca stand-in serving `closes` as Alpaca Market Data."""
    with alpaca_data(closes) as stand_in:
        yield stand_in


@pytest.fixture
def refreshed(
    settings: Settings, alpaca: LocalAlpaca, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """A deployed stack's worker settings with the refresh from Alpaca on
    (`infra.stacks.compute`: `STRATIGOS_MARKET_DATA_REFRESH`, `_INCOMING`, the owner's keys)."""
    for name, value in {
        "STRATIGOS_MARKET_DATA_REFRESH": "alpaca",
        "STRATIGOS_MARKET_DATA_INCOMING": f"s3://{BUCKET}/incoming",
        "STRATIGOS_MARKET_DATA_SYMBOLS": json.dumps(SYMBOLS),
        "STRATIGOS_MARKET_DATA_START": "2025-01-02",
        "STRATIGOS_ALPACA_KEY_ID": alpaca.key_id,
        "STRATIGOS_ALPACA_SECRET_KEY": alpaca.secret_key,
        "STRATIGOS_ALPACA_OWNER": "alice",
        "STRATIGOS_ALPACA_DATA_URL": alpaca.url,
        "STRATIGOS_ALPACA_BASE_URL": alpaca.url,
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def run_refresh(store: Store, settings: Settings) -> dict[str, Any]:
    """The refresh job (what the schedule's tick starts), run as the worker runs it."""
    job, _ = store.submit_job(SYSTEM_OWNER, REFRESH_KIND, {"session": "scheduled"})
    runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))
    while runner.run_once() is not None:
        pass
    return runner.results(SYSTEM_OWNER, job.id)


def ingest_event(settings: Settings, key: str) -> dict[str, Any]:
    """EventBridge's ``Object Created`` event for `key`, delivered to the ingestion handler."""
    detail = {"bucket": {"name": BUCKET}, "object": {"key": key}}
    return handler({"source": "aws.s3", "detail-type": "Object Created", "detail": detail})


def test_the_refresh_puts_alpaca_s_closes_under_incoming_and_the_ingestion_makes_them_a_version(
    store: Store,
    clock: FakeClock,
    refreshed: Settings,
    alpaca: LocalAlpaca,
    closes: pd.DataFrame,
) -> None:
    first = put(refreshed, "incoming/history.csv", closes.loc[:"2026-03-10"])  # a vendor's file
    clock.now = AFTER_WEDNESDAY_CLOSE
    alpaca.advance(AFTER_WEDNESDAY_CLOSE)
    report = run_refresh(store, refreshed)
    assert report["provider"] == "ingested" and report["source"] == "alpaca"
    assert report["updated"] is False and report["end"] == "2026-03-11"
    assert report["appended_sessions"] == 1
    prefix = f"s3://{BUCKET}/incoming/refresh-2026-03-11-"
    assert report["submitted"].startswith(prefix) and report["submitted"].endswith(".parquet")
    provider = market_data_provider(refreshed)
    assert provider.version() == first["version"]  # nothing current changes until ingested
    assert read_json(refreshed, "versions/refresh.json")["status"] == "submitted"
    # the bucket's event runs the same ingestion as for any file
    key = report["submitted"].removeprefix(f"s3://{BUCKET}/")
    ingested = ingest_event(refreshed, key)
    assert ingested["status"] == "ingested" and ingested["previous"] == first["version"]
    assert ingested["end"] == "2026-03-11" and ingested["markers"] == []
    assert provider.version() == ingested["version"]
    pd.testing.assert_frame_equal(
        provider.closes(), closes.loc[:"2026-03-11"], check_freq=False, check_names=False
    )
    status = market_data_status(refreshed, clock.now)
    assert status["regimes"]["version"] == ingested["version"]
    assert status["last_ingest"]["source"] == key
    assert status["last_refresh"]["file"] == report["submitted"]


def test_closes_the_refresh_pulls_meet_the_ingestion_s_checks(
    store: Store,
    clock: FakeClock,
    refreshed: Settings,
    alpaca: LocalAlpaca,
    closes: pd.DataFrame,
) -> None:
    """Alpaca's closes get no pass: a split they are not adjusted for is refused with its
    reason, as a file's would be, and the version before stays."""
    good = put(refreshed, "incoming/history.csv", closes.loc[:"2026-03-10"])
    unadjusted = closes.copy()
    unadjusted.loc["2026-03-11":, "BBB"] /= 4  # a 4-for-1 split, history not re-priced
    assert alpaca.market is not None
    alpaca.market.closes = unadjusted
    clock.now = AFTER_WEDNESDAY_CLOSE
    alpaca.advance(AFTER_WEDNESDAY_CLOSE)
    report = run_refresh(store, refreshed)
    refused = ingest_event(refreshed, report["submitted"].removeprefix(f"s3://{BUCKET}/"))
    assert refused["status"] == "refused" and "4-for-1" in refused["reason"]
    assert market_data_provider(refreshed).version() == good["version"]
    assert read_json(refreshed, "versions/ingest.json")["reason"] == refused["reason"]


def test_without_a_refresh_source_the_schedule_submits_nothing_and_says_why(
    store: Store, clock: FakeClock, settings: Settings, closes: pd.DataFrame
) -> None:
    put(settings, "incoming/history.csv", closes.loc[:"2026-03-10"])
    clock.now = AFTER_WEDNESDAY_CLOSE  # the data is a session behind
    assert tick(store, settings)["market_data"] == {"provider": "ingested", "refresh": None}
    report = run_refresh(store, settings)
    assert report["updated"] is False and "STRATIGOS_MARKET_DATA_REFRESH" in report["reason"]
