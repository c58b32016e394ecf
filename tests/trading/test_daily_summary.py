"""The daily summary: after a deployment traded, its owner's summary of the day reaches the
destinations that asked for it (a Slack-compatible webhook on loopback), with the figures of
the deployment's ledger; an owner whose deployments did not trade that day hears nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from notifications.notifier import Notifier
from notifications.preferences import Destination
from settings import Settings
from store import Store
from tests.notifications.conftest import WebhookReceiver, webhook  # noqa: F401 (a fixture)
from tests.store.conftest import FakeClock
from tests.trading.test_execution_jobs import FIRE, SPEC, _runner
from trading.daily_summary import deployment_day, send_daily_summaries
from trading.performance import performance
from trading.scheduling import REBALANCE_KIND


def test_the_owner_hears_of_the_day_of_the_deployments_that_traded(
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    webhook: WebhookReceiver,  # noqa: F811
) -> None:
    summary_to = Destination.with_opt_ins("webhook", webhook.url(), daily_summary=True)
    alerts_only = Destination.with_opt_ins("webhook", webhook.url("/hooks/alerts-only"))
    spec = {
        **SPEC,
        "notifications": {
            "destinations": [summary_to.model_dump(mode="json"),
                             alerts_only.model_dump(mode="json")]
        },
    }  # fmt: skip
    draft = store.create_deployment("alice", "pair", "draft", spec)
    deployment = store.update_deployment("alice", draft.id, expected_version=1, status="active")
    idle = store.create_deployment("bob", "idle", "active", SPEC)
    store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    clock.now = FIRE + timedelta(hours=1)
    _runner(store, tmp_path).run_once()

    day = date(2021, 6, 1)
    expected = deployment_day(store, store.get_deployment("alice", deployment.id), day)
    assert expected is not None and expected.fills == 2
    report = performance(store, deployment, datetime(2021, 6, 1, 23, tzinfo=UTC))
    assert expected.equity == report["values"]["paper"][-1]
    assert deployment_day(store, idle, day) is None

    notifier = Notifier.from_settings(Settings(data_dir=tmp_path))
    owners = send_daily_summaries(store, day, notifier.send, now=clock.now)
    assert owners == ["alice"]
    (request,) = webhook.requests  # the alerts-only destination did not get it
    assert request.path == "/services/T0001/B0002/abcdefghijklmnopqrstuvwx"
    text = request.json()["text"]
    assert "pair" in text and f"{expected.equity:,.2f}" in text
