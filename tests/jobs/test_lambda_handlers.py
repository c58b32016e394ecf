"""The AWS side of jobs: SQS announcements (`jobs.queue`), the SQS worker and scheduled cleanup
Lambda handlers (`jobs.lambda_handlers`), the API key pepper from Secrets Manager
(`store.factory`) and JSON logs (`settings.logs`).

AWS services are a moto server on 127.0.0.1; the store is the real SQLite store of a temp data
dir, which the handlers open from the process settings as a Lambda instance would. Jobs older
than now are made by writing them through a store whose clock is set in the past.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

import jobs.lambda_handlers as lh
from jobs.queue import JobQueue, parse_announcement
from settings import ComputeSettings, JobSettings, Settings, StoreSettings, get_settings
from settings.logs import JsonFormatter, configure_logging
from store import Job, NotFoundError, StoreUnavailableError, utc_now
from store.factory import open_store
from store.sqlite import SQLiteStore
from tests.support import lambda_sample_handlers
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.emf import emf_values

HANDLERS_MODULE = "tests.support.lambda_sample_handlers"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fake credentials for this test; the moto endpoint."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    return moto_url


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The handlers call `configure_logging`, which replaces the root handlers: put them back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def make_queue(endpoint: str, fifo: bool = False) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    name = f"jobs-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def receive_all(endpoint: str, url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not got:
            return messages
        messages.extend(got)
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def a_job(owner: str = "olga", job_id: str = "job_0123") -> Job:
    now = utc_now()
    return Job(job_id, owner, "sample", {}, "pending", (0, None), 0, now, now)


# --------------------------------------------------------------------------- queue


@pytest.mark.parametrize("fifo", [False, True])
def test_announce_and_parse_round_trip(aws: str, fifo: bool) -> None:
    url = make_queue(aws, fifo)
    queue = JobQueue(url, region="us-east-1", endpoint_url=aws)
    job = a_job()
    queue.announce(job)
    queue.announce(job)  # FIFO deduplicates by job id; a standard queue delivers both
    messages = receive_all(aws, url)
    assert len(messages) == (1 if fifo else 2)
    for message in messages:
        assert parse_announcement(message["Body"]) == ("olga", "job_0123")
    if fifo:
        assert messages[0]["Attributes"]["MessageGroupId"] == "job_0123"


def test_queue_from_settings(tmp_path: Path, aws: str) -> None:
    assert JobQueue.from_settings(Settings(data_dir=tmp_path)) is None
    url = make_queue(aws)
    settings = Settings(
        data_dir=tmp_path,
        jobs=JobSettings(queue_url=url),
        compute=ComputeSettings(aws_endpoint_url=aws),
    )
    queue = JobQueue.from_settings(settings)
    assert queue is not None and queue.url == url
    queue.announce(a_job("pia", "job_9"))
    assert [parse_announcement(m["Body"]) for m in receive_all(aws, url)] == [("pia", "job_9")]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        "null",
        "{}",
        json.dumps({"owner": "olga"}),
        json.dumps({"job_id": "job_1"}),
        json.dumps({"owner": 7, "job_id": "job_1"}),
        json.dumps({"owner": "olga", "job_id": ""}),
        json.dumps({"owner": "olga", "job_id": None}),
    ],
)
def test_malformed_announcements_are_value_errors(body: str) -> None:
    with pytest.raises(ValueError, match="malformed job announcement"):
        parse_announcement(body)


# --------------------------------------------------------------------------- SQS worker


@pytest.fixture
def lambda_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> Iterator[Path]:
    """A fresh data dir as the process settings, the sample handlers, no warm store."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
    monkeypatch.setenv("STRATIGOS_JOBS_HANDLERS", json.dumps([HANDLERS_MODULE]))
    get_settings.cache_clear()
    monkeypatch.setattr(lh, "_store", None)
    yield data_dir
    if lh._store is not None:
        lh._store.close()
    get_settings.cache_clear()


def sqs_event(*bodies: str) -> dict[str, Any]:
    """An SQS trigger event with one record per body (as Lambda delivers it)."""
    records = []
    for i, body in enumerate(bodies):
        records.append(
            {
                "messageId": f"059f36b4-87a3-44ab-83d2-66197{i:07d}",
                "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795253400000",
                    "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                    "ApproximateFirstReceiveTimestamp": "1795253400001",
                },
                "messageAttributes": {},
                "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:stratigos-jobs",
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def announcement(job: Job) -> str:
    return json.dumps({"owner": job.owner, "job_id": job.id})


def test_sqs_worker_runs_a_pending_job_to_succeeded(lambda_env: Path) -> None:
    store = lh._open_store()
    job, _ = store.submit_job("olga", "sample", {"value": 42})
    assert lh.sqs_worker(sqs_event(announcement(job))) == {"batchItemFailures": []}
    done = store.get_job("olga", job.id)
    assert done.status == "succeeded" and done.attempts == 1 and done.progress == (1, 1)
    assert store.get_result("olga", job.id).payload == {"echo": 42, "attempt": 1}
    assert [json.loads(e.payload)["type"] for e in store.events("olga", job.id)] == ["sample_done"]
    # the same message delivered again is acknowledged without running the job again
    runs = lambda_sample_handlers.CALLS.count(job.id)
    assert lh.sqs_worker(sqs_event(announcement(job))) == {"batchItemFailures": []}
    assert lambda_sample_handlers.CALLS.count(job.id) == runs == 1


def test_sqs_worker_acknowledges_unknown_malformed_and_failed_jobs(lambda_env: Path) -> None:
    store = lh._open_store()
    broken, _ = store.submit_job("olga", "sample_broken", {"value": "x"})
    event = sqs_event(
        json.dumps({"owner": "olga", "job_id": "job_does_not_exist"}),
        "garbage",
        announcement(broken),
    )
    assert lh.sqs_worker(event) == {"batchItemFailures": []}
    failed = store.get_job("olga", broken.id)
    assert failed.status == "failed" and "bad input value" in (failed.error or "")


def test_a_job_leased_by_another_worker_is_a_batch_item_failure(lambda_env: Path) -> None:
    store = lh._open_store()
    busy, _ = store.submit_job("olga", "sample", {"value": 1})
    free, _ = store.submit_job("olga", "sample", {"value": 2})
    store.claim("olga", busy.id, "other-worker", 300.0)
    event = sqs_event(announcement(busy), announcement(free))
    result = lh.sqs_worker(event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert store.get_job("olga", busy.id).status == "running"
    assert store.get_job("olga", busy.id).lease_owner == "other-worker"
    assert store.get_job("olga", free.id).status == "succeeded"


def test_a_finished_job_is_acknowledged_without_running_it(lambda_env: Path) -> None:
    store = lh._open_store()
    job, _ = store.submit_job("olga", "sample", {"value": 3})
    store.transition("olga", job.id, ["pending"], "cancelled")
    assert lh.sqs_worker(sqs_event(announcement(job))) == {"batchItemFailures": []}
    assert job.id not in lambda_sample_handlers.CALLS
    assert store.get_job("olga", job.id).status == "cancelled"


# --------------------------------------------------------------------------- cleanup


def test_cleanup_archives_old_jobs_and_reannounces_stale_pending_ones(
    lambda_env: Path, aws: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    url = make_queue(aws)
    monkeypatch.setenv("STRATIGOS_JOBS_QUEUE_URL", url)
    monkeypatch.setenv("STRATIGOS_COMPUTE_AWS_ENDPOINT_URL", aws)
    get_settings.cache_clear()
    path = lambda_env / "store.sqlite"
    lambda_env.mkdir(parents=True)
    # jobs written in the past through a store whose clock says so
    long_ago = utc_now() - timedelta(days=40)
    past = SQLiteStore(path, api_key_pepper="p", clock=lambda: long_ago)
    old, _ = past.submit_job("olga", "sample", {"value": "old"})
    past.claim("olga", old.id, "w", 30.0)
    past.complete_job("olga", old.id, {"echo": "old"}, worker="w")
    minutes_ago = utc_now() - timedelta(minutes=10)
    past.clock = lambda: minutes_ago
    stale, _ = past.submit_job("olga", "sample", {"value": "stale"})
    lost, _ = past.submit_job("olga", "sample", {"value": "lost"})
    past.claim("olga", lost.id, "w", 30.0)  # its worker's lease ran out minutes ago
    past.close()
    store = lh._open_store()
    recent, _ = store.submit_job("olga", "sample", {"value": "recent"})
    fresh_done, _ = store.submit_job("olga", "sample", {"value": "fresh"})
    store.claim("olga", fresh_done.id, "w", 30.0)
    store.complete_job("olga", fresh_done.id, {"echo": "fresh"}, worker="w")

    monkeypatch.setenv("STRATIGOS_METRICS", "emf")
    monkeypatch.setenv("STRATIGOS_METRICS_NAMESPACE", "Stratigos/test")
    get_settings.cache_clear()
    capsys.readouterr()

    report = lh.cleanup({"archive_after_days": 30})
    assert report["archived_jobs"] == [old.id]
    assert report["reannounced_jobs"] == [stale.id]
    assert report["stuck_runs"] == 2  # the stale pending job and the lost running one
    # what it did is published as CloudWatch metrics (EMF lines on standard output)
    published = emf_values(capsys.readouterr().out, "Stratigos/test")
    assert published["ArchivedJobs"] == 1 and published["ReannouncedJobs"] == 1
    assert published["StuckRuns"] == 2 and published["ExpiredCacheEntries"] == 0
    assert published["DeploymentsActive"] == 0
    assert store.get_job("olga", old.id).archived_at is not None
    assert store.get_archive("olga", old.id)["result"] == {"echo": "old"}
    assert store.get_job("olga", fresh_done.id).archived_at is None
    assert [parse_announcement(m["Body"]) for m in receive_all(aws, url)] == [("olga", stale.id)]
    assert store.get_job("olga", recent.id).status == "pending"
    # running it again is harmless and announces the still-pending job again
    again = lh.cleanup(None)
    assert again["archived_jobs"] == [] and again["reannounced_jobs"] == [stale.id]


def test_cleanup_without_a_queue_announces_nothing(lambda_env: Path) -> None:
    report = lh.cleanup({})
    assert report == {
        "archived_jobs": [],
        "expired_cache_entries": 0,
        "expired_snapshots": 0,
        "purged_deletions": 0,
        "purged_erasures": 0,
        "research_index_tables_cleaned": 0,
        "reannounced_jobs": [],
        "stuck_runs": 0,
    }


def test_every_cleanup_run_purges_what_owners_deleted_on_the_aws_store(
    lambda_env: Path, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quarter-hourly run (no retention) too: a deleted dataset's object and tombstone go."""
    from store.aws import create_tables

    suffix = uuid.uuid4().hex[:8]
    table_prefix, bucket = f"purge-{suffix}-", f"purge-{suffix}-data"
    for name, value in {
        "STRATIGOS_STORE_BACKEND": "aws",
        "STRATIGOS_STORE_TABLE_PREFIX": table_prefix,
        "STRATIGOS_STORE_S3_BUCKET": bucket,
        "STRATIGOS_STORE_AWS_ENDPOINT_URL": aws,
        "STRATIGOS_STORE_API_KEY_PEPPER": "a-pepper-as-long-and-random-as-production-s-0123456789",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    create_tables(f"{table_prefix}store", bucket, endpoint_url=aws)
    store = lh._open_store()
    meta = {"format": "prices", "n_rows": 1, "n_columns": 1, "columns": ["A"],
            "start": "2024-01-02", "end": "2024-01-02"}  # fmt: skip
    kept = store.put_dataset("olga", "kept", b"PAR1", meta)
    gone = store.put_dataset("olga", "gone", b"PAR1", meta)
    store.delete_dataset("olga", gone.id)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=aws)

    def objects() -> list[str]:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    assert len(objects()) == 2  # hidden at once, its object kept until the purge
    assert lh.cleanup({"retention": False})["purged_deletions"] == 1
    assert objects() == [f"datasets/olga/{kept.id}.parquet"]
    assert lh.cleanup({"retention": False})["purged_deletions"] == 0


def test_the_daily_cleanup_goes_through_every_table_of_the_research_index_on_s3(
    lambda_env: Path, aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily run cleans the old versions of each owner's table (`store.lance_versions`;
    what it deletes: tests/research/test_index_versions.py); the quarter-hourly run does not."""
    from research.embeddings import HashingEmbedder
    from research.index import ResearchIndex
    from tests.research.test_index import ENERGY, JAN, chunks

    bucket = f"index-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=aws).create_bucket(Bucket=bucket)
    monkeypatch.setenv("STRATIGOS_RESEARCH_INDEX_URI", f"s3://{bucket}/index")
    monkeypatch.setenv("STRATIGOS_STORE_AWS_ENDPOINT_URL", aws)
    get_settings.cache_clear()
    settings = get_settings()
    index = ResearchIndex(
        settings.resolved_research_index_uri(),
        HashingEmbedder(),
        settings.research_index_storage_options(),
    )
    for owner in ("olga", "piet", "quinn"):
        index.add(owner, chunks(f"doc_{owner}", "energy.pdf", ENERGY, JAN))
    assert lh.cleanup({})["research_index_tables_cleaned"] == 3
    assert lh.cleanup({"retention": False})["research_index_tables_cleaned"] == 0
    assert [h.document_id for h in index.search("piet", "energy stocks", k=1)] == ["doc_piet"]


# --------------------------------------------------------------------------- pepper secret


def test_the_api_key_pepper_is_read_from_secrets_manager(tmp_path: Path, aws: str) -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws)
    name = f"stratigos/pepper-{uuid.uuid4().hex[:6]}"
    secrets.create_secret(Name=name, SecretString="pepper-from-the-secret")
    path = tmp_path / "store.sqlite"
    config = StoreSettings(
        sqlite_path=path, api_key_pepper_secret_id=name, aws_endpoint_url=aws, max_attempts=1
    )
    with open_store(config=config) as store:
        raw, key = store.create_api_key("quinn", "k")
        assert store.verify_api_key(raw).id == key.id
    # the hash was keyed with the secret's value, not the configured default
    with SQLiteStore(path, api_key_pepper="pepper-from-the-secret") as same:
        assert same.verify_api_key(raw).owner == "quinn"
    default_pepper = config.api_key_pepper.get_secret_value()
    with SQLiteStore(path, api_key_pepper=default_pepper) as other, pytest.raises(NotFoundError):
        other.verify_api_key(raw)


def test_a_missing_pepper_secret_is_store_unavailable_naming_it(tmp_path: Path, aws: str) -> None:
    name = "stratigos/no-such-secret"
    config = StoreSettings(
        sqlite_path=tmp_path / "s.sqlite",
        api_key_pepper_secret_id=name,
        aws_endpoint_url=aws,
        max_attempts=1,
    )
    with pytest.raises(StoreUnavailableError, match=name):
        open_store(config=config)
    assert not (tmp_path / "s.sqlite").exists()


# --------------------------------------------------------------------------- JSON logs


def test_json_logs_are_one_object_per_line_with_extra_fields(
    tmp_path: Path, restore_logging: None
) -> None:
    configure_logging(Settings(data_dir=tmp_path, log_format="json", log_level="INFO"))
    root = logging.getLogger()
    assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, JsonFormatter)
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    log = logging.getLogger("jobs.lambda.test")
    log.info("job finished", extra={"job_id": "job_1", "status": "succeeded", "attempts": 2})
    log.debug("not at INFO")
    try:
        raise RuntimeError("kaput\nsecond line")
    except RuntimeError:
        log.exception("it broke", extra={"job_id": "job_2"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "job finished" and first["level"] == "INFO"
    assert first["logger"] == "jobs.lambda.test"
    assert (first["job_id"], first["status"], first["attempts"]) == ("job_1", "succeeded", 2)
    assert first["time"].endswith("+00:00")
    assert "exception" not in first
    assert second["level"] == "ERROR" and second["job_id"] == "job_2"
    assert "RuntimeError: kaput" in second["exception"] and "Traceback" in second["exception"]


def test_text_logs_by_default(tmp_path: Path, restore_logging: None) -> None:
    configure_logging(Settings(data_dir=tmp_path, log_level="warning"))  # type: ignore[arg-type]
    root = logging.getLogger()
    assert root.level == logging.WARNING
    assert not isinstance(root.handlers[0].formatter, JsonFormatter)


def test_a_schedule_tick_fires_the_due_deployments_once_per_minute(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from jobs.worker import SYSTEM_OWNER

    monkeypatch.setenv(
        "STRATIGOS_JOBS_HANDLERS", json.dumps([HANDLERS_MODULE, "trading.execution_jobs"])
    )
    get_settings.cache_clear()
    store = lh._open_store()
    spec = {
        "strategy": {"kind": "weights", "weights": {"KO": 0.5}},
        "universe": ["KO"],
        "capital": 1_000.0,
        "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
        "limits": {},
    }
    draft = store.create_deployment("olga", "ko", "draft", spec)
    store.update_deployment("olga", draft.id, expected_version=1, status="active")
    # the first session after activation at 15:45 New York has passed when the tick arrives
    monkeypatch.setattr(store, "clock", lambda: datetime(2099, 1, 1, tzinfo=UTC))
    tick = json.dumps({"kind": "fire_due_schedules"})
    assert lh.sqs_worker(sqs_event(tick, tick)) == {"batchItemFailures": []}
    (ticked,) = [j for j in store.list_jobs(SYSTEM_OWNER) if j.kind == "fire_due_schedules"]
    assert ticked.status == "succeeded"
    fired = store.get_result(SYSTEM_OWNER, ticked.id).payload
    assert len(fired["submitted"]) == 1
    (rebalance,) = [j for j in store.list_jobs("olga") if j.kind == "rebalance"]
    assert rebalance.id == fired["submitted"][0] and rebalance.request["deployment_id"] == draft.id
    unknown = json.dumps({"kind": "no_such_kind"})
    assert lh.sqs_worker(sqs_event(unknown)) == {"batchItemFailures": []}
    # and the day's summary job, once
    kinds = sorted(j.kind for j in store.list_jobs(SYSTEM_OWNER))
    assert kinds == ["daily_summary_day", "fire_due_schedules"]
    assert fired["daily_summary"]["created"] is True
