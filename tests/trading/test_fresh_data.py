"""Fresh market data announced (`services.market_data.announcements`): each new version the
ingestion writes becomes one event in the store that the workers read (and, configured, one on
EventBridge), owners who asked for `data_refreshed` are emailed (aiosmtpd on loopback) and
others are not, and the market analysis agent's task carries the regimes stored with the latest
version, with their date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from agents.workflow import analyse_market
from jobs.job_runner import JobRunner
from jobs.worker import SYSTEM_OWNER
from quant.regimes import current_regime
from services.market_data.announcements import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    FRESH_DATA_KIND,
    stored_regimes,
)
from services.market_data.ingestion import ingest, ingested_market_data, review_folder
from settings import (
    JobSettings,
    ModelSettings,
    NotificationSettings,
    Settings,
    SmtpSettings,
    StoreSettings,
)
from store import Store
from tests.store.conftest import FakeClock
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.market import synthetic_closes
from tests.support.smtp import smtp_controller
from trading.execution_jobs import HANDLERS
from trading.tick_jobs import FIRE_DUE_KIND

SYMBOLS = ["AAA", "BBB", "CCC"]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    mailbox = _Inbox()
    with smtp_controller(mailbox) as controller:
        yield mailbox, controller.port


@pytest.fixture
def closes() -> pd.DataFrame:
    return synthetic_closes(SYMBOLS, date(2025, 1, 2), date(2026, 3, 13), seed=5)


def _ingest(settings: Settings, frame: pd.DataFrame, name: str, now: datetime) -> dict[str, Any]:
    provider = ingested_market_data(settings)
    review = review_folder(provider.versions)
    return ingest(frame.to_csv().encode(), name, provider.versions, review, now).to_json()


def _tick(store: Store, settings: Settings) -> dict[str, Any]:
    tick, _ = store.submit_job(SYSTEM_OWNER, FIRE_DUE_KIND, {"tick": store.clock().isoformat()})
    runner = JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))
    while runner.run_once() is not None:
        pass
    result: dict[str, Any] = runner.results(SYSTEM_OWNER, tick.id)
    return result


def _deployment(store: Store, owner: str, kinds: list[str]) -> None:
    spec = {
        "strategy": {"kind": "weights", "weights": {"AAA": 0.5, "BBB": 0.45}},
        "universe": ["AAA", "BBB"],
        "capital": 50_000.0,
        "schedule": {"every": "month", "at": "15:45", "calendar": "XNYS"},
        "limits": {"cash_buffer": 0.02},
        "notifications": {"destinations": [{"channel": "email", "address": f"{owner}@example.com", "kinds": kinds}]},
    }  # fmt: skip
    store.create_deployment(owner, f"{owner}'s", "draft", spec)


def test_each_new_version_is_announced_once_and_owners_who_asked_are_told(
    store: Store, clock: FakeClock, tmp_path: Path, closes: pd.DataFrame, inbox: tuple[_Inbox, int]
) -> None:
    mailbox, port = inbox
    settings = Settings(
        data_dir=tmp_path,
        market_data="ingested",
        market_data_dir=str(tmp_path / "versions"),
        jobs=JobSettings(ticks=[]),
        notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1", port=port)),
    )
    _deployment(store, "alice", ["data_refreshed"])
    _deployment(store, "bob", ["run_failed"])  # did not ask
    clock.now = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    first = _ingest(settings, closes.loc[:"2026-03-10"], "history.csv", clock.now)

    tick = _tick(store, settings)
    event = store.get_job(SYSTEM_OWNER, tick["fresh_data"])
    assert event.kind == FRESH_DATA_KIND and event.status == "succeeded"
    assert (event.request["version"], event.request["end"]) == (first["version"], "2026-03-10")
    stored = event.request["regimes"]
    assert stored["as_of"] == "2026-03-10" and stored["version"] == first["version"]
    # the indicators are the equal-weight market's, as the regimes module computes them
    market = closes.loc[:"2026-03-10"].pct_change().dropna().mean(axis=1)
    expected = current_regime(market, window=63)
    assert stored["regime"]["return_regime"] == expected["return_regime"]
    assert stored["regime"]["market_volatility"] == pytest.approx(expected["market_volatility"])
    assert _tick(store, settings)["fresh_data"] is None  # once per version

    [mail] = mailbox.messages
    assert (
        mail["To"] == "alice@example.com" and mail["X-Stratigos-Notification"] == "data_refreshed"
    )
    body = _text(mail)
    assert "2026-03-10" in mail["Subject"] and first["version"] in body
    assert f"{expected['return_regime']} return regime" in body

    clock.now = datetime(2026, 3, 11, 22, 0, tzinfo=UTC)
    second = _ingest(settings, closes.loc["2026-03-11":"2026-03-11"], "day.csv", clock.now)
    later = store.get_job(SYSTEM_OWNER, _tick(store, settings)["fresh_data"])
    assert (
        later.request["previous"] == first["version"]
        and later.request["version"] == second["version"]
    )
    assert len(mailbox.messages) == 2 and "2026-03-11" in mailbox.messages[1]["Subject"]
    assert all(m["To"] == "alice@example.com" for m in mailbox.messages)


def test_the_market_analysis_agent_reads_the_latest_stored_regimes_with_their_date(
    tmp_path: Path, closes: pd.DataFrame
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        market_data="ingested",
        market_data_dir=str(tmp_path / "versions"),
        models=ModelSettings(provider="offline"),
    )
    assert stored_regimes(settings) is None  # nothing ingested yet
    now = datetime(2026, 3, 12, 22, 0, tzinfo=UTC)
    written = _ingest(settings, closes.loc[:"2026-03-12"], "history.csv", now)
    regimes = stored_regimes(settings)
    assert regimes is not None and regimes["as_of"] == "2026-03-12"
    assert regimes["version"] == written["version"]
    request = {"universe": ["AAA", "BBB"], "start": "2025-01-02", "end": "2026-03-12", "scenarios": ["bear", "bull"], "horizon": 126}  # fmt: skip
    outcome = analyse_market(request, [], settings=settings, stored_regimes=regimes)
    [task] = [
        m for m in outcome.messages if m.type == "human" and "market_data_regimes" in str(m.content)
    ]
    seen = json.loads(str(task.content))["market_data_regimes"]
    assert (seen["as_of"], seen["version"]) == ("2026-03-12", written["version"])
    assert seen["regime"]["return_regime"] == regimes["regime"]["return_regime"]
    assert seen["regime"]["volatility_regime"] == regimes["regime"]["volatility_regime"]
    assert Settings(data_dir=tmp_path).market_data is None
    assert stored_regimes(Settings(data_dir=tmp_path)) is None  # the embedded data has none


def test_the_announcement_is_put_on_the_event_bus(
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    closes: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With `market_data_event_bus`, the announcement goes on EventBridge (moto's server on
    loopback): a rule on the bus delivers it to a queue, detail and all."""
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as url:
        events = boto3.client("events", endpoint_url=url, region_name="us-east-1")
        sqs = boto3.client("sqs", endpoint_url=url, region_name="us-east-1")
        queue = sqs.create_queue(QueueName="fresh")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        pattern = {"source": [EVENT_SOURCE], "detail-type": [EVENT_DETAIL_TYPE]}
        events.put_rule(Name="fresh-data", EventPattern=json.dumps(pattern))
        target = {"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}
        events.put_targets(Rule="fresh-data", Targets=[target])
        settings = Settings(
            data_dir=tmp_path,
            market_data="ingested",
            market_data_dir=str(tmp_path / "versions"),
            market_data_event_bus="default",
            store=StoreSettings(backend="sqlite", aws_endpoint_url=url),
            jobs=JobSettings(ticks=[]),
        )
        clock.now = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
        written = _ingest(settings, closes.loc[:"2026-03-10"], "history.csv", clock.now)
        announced = store.get_job(SYSTEM_OWNER, _tick(store, settings)["fresh_data"])
        result = store.get_result(SYSTEM_OWNER, announced.id).payload
        assert result["event_id"]
        [message] = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
        delivered = json.loads(message["Body"])
        assert delivered["source"] == EVENT_SOURCE
        assert delivered["detail-type"] == EVENT_DETAIL_TYPE
        assert delivered["detail"]["version"] == written["version"]
        assert delivered["detail"]["regimes"]["as_of"] == "2026-03-10"


def _text(message: Message) -> str:
    """A plain-text email's body."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()
