"""Rebalance jobs through the real job worker on SQLite: a schedule fire becomes a job, the job
trades the deployment's paper account once, waits (retries) while its orders cannot fill yet,
and fails with the reason when the market data cannot price the fire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobs.job_runner import JobRunner
from settings import NotificationSettings, Settings, SmtpSettings
from store import Deployment, Store
from tests.store.conftest import FakeClock
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND, fire_due

SPEC = {
    "strategy": {"kind": "weights", "weights": {"AAPL": 0.5, "KO": 0.45}},
    "universe": ["AAPL", "KO"],
    "capital": 50_000.0,
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
    "limits": {"cash_buffer": 0.02},
}
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)


def _runner(store: Store, tmp_path: Path) -> JobRunner:
    settings = Settings(
        data_dir=tmp_path, notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1"))
    )
    return JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,))


def _active(store: Store) -> Deployment:
    draft = store.create_deployment("alice", "pair", "draft", SPEC)
    return store.update_deployment("alice", draft.id, expected_version=1, status="active")


def test_a_fire_becomes_a_job_that_trades_the_paper_account_once(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    deployment = _active(store)
    clock.now = FIRE + timedelta(minutes=1)
    [job_id] = fire_due(store, clock.now).submitted
    clock.now = FIRE + timedelta(hours=1)  # after the session's close: the orders can fill
    runner = _runner(store, tmp_path)
    runner.run_once()
    job = store.get_job("alice", job_id)
    assert (job.kind, job.status) == (REBALANCE_KIND, "succeeded")
    result = runner.results("alice", job_id)
    assert result["outcome"] == "filled" and len(result["orders"]) == 2
    assert result["reconciliation"]["matches"] is True
    ledger = store.ledger("alice", deployment.id)
    assert ledger[0].entry_id == "capital" and ledger[0].amount == 50_000.0
    assert sorted(e.symbol for e in ledger[1:]) == ["AAPL", "KO"]
    account = store.get_broker_account("alice", f"paper-{deployment.id}")
    assert {f["symbol"] for f in account.state["fills"]} == {"AAPL", "KO"}


def test_orders_the_market_data_cannot_fill_yet_fail_the_job_after_its_retries_sent_once(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    deployment = _active(store)
    last_session = datetime(2022, 12, 28, 21, 30, tzinfo=UTC)  # after the data's last close
    job, _ = store.submit_job(
        "alice",
        REBALANCE_KIND,
        {"deployment_id": deployment.id, "fire": last_session.isoformat()},
    )
    clock.now = last_session + timedelta(hours=1)
    _runner(store, tmp_path).run_once()
    failed = store.get_job("alice", job.id)
    assert failed.status == "failed" and failed.attempts == 3
    assert "2 of 2 orders are still working at the broker (gave up after 3 attempts)" in (
        failed.error or ""
    )
    orders = store.list_orders("alice", deployment_id=deployment.id)
    assert [o.status for o in orders] == ["submitted", "submitted"]
    account = store.get_broker_account("alice", f"paper-{deployment.id}")
    assert len(account.state["orders"]) == 2 and account.state["fills"] == []


def test_a_fire_after_the_market_data_ends_fails_with_the_reason(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    _active(store)
    late = datetime(2024, 7, 1, 19, 45, tzinfo=UTC)
    job, _ = store.submit_job(
        "alice",
        REBALANCE_KIND,
        {"deployment_id": store.list_deployments("alice")[0].id, "fire": late.isoformat()},
    )
    clock.now = late + timedelta(hours=1)
    _runner(store, tmp_path).run_once()
    failed = store.get_job("alice", job.id)
    assert failed.status == "failed"
    assert "the market data ends on 2022-12-28" in (failed.error or "")
    assert "forward-test the deployment" in (failed.error or "")


def test_the_kill_switch_stops_runs_and_cancels_orders_of_one_owner_at_once(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    from store import NewOrder
    from trading.kill_switch import kill_switch

    deployment = _active(store)
    bystander = _active(store)
    other_owner = store.create_deployment("bob", "bob's", "active", SPEC)
    after_last_close = datetime(2022, 12, 28, 21, 30, tzinfo=UTC)
    sent, _ = store.submit_job(
        "alice",
        REBALANCE_KIND,
        {"deployment_id": deployment.id, "fire": after_last_close.isoformat()},
    )
    clock.now = after_last_close + timedelta(hours=1)
    _runner(store, tmp_path).run_once()  # its two orders are at the broker, unfilled
    pending, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    account = f"paper-{deployment.id}"
    store.enqueue_orders(
        "alice", account, deployment.id, "job_x", [NewOrder("queued-1", "KO", "buy", 1.0)]
    )

    report = kill_switch(store, "alice", account=account)
    assert report.paused == [deployment.id] and report.failures == []
    assert report.cancelled_jobs == [pending.id]
    assert store.get_job("alice", pending.id).status == "cancelled"
    assert report.canceled_orders[0] == "queued-1" and len(report.canceled_orders) == 3
    assert store.open_orders("alice", account) == []
    broker_orders = store.get_broker_account("alice", account).state["orders"]
    assert [o["status"] for o in broker_orders] == ["canceled", "canceled"]
    assert store.get_deployment("alice", bystander.id).status == "active"  # another account
    assert store.get_deployment("bob", other_owner.id).status == "active"
    again = kill_switch(store, "alice", account=account)
    assert (again.paused, again.cancelled_jobs, again.canceled_orders) == ([], [], [])
    everything = kill_switch(store, "alice")
    assert everything.paused == [bystander.id]
    assert store.get_job("alice", sent.id).status == "failed"


def test_local_workers_fire_the_due_schedules_once_a_minute_between_them(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    from jobs.worker import SYSTEM_OWNER

    deployment = _active(store)
    clock.now = FIRE + timedelta(minutes=1)
    first, second = _runner(store, tmp_path), _runner(store, tmp_path)
    assert first.worker.ticks == ("fire_due_schedules",)
    first.run_once()  # starts this minute's tick and runs the oldest job: the tick
    second.run_once()  # the same minute: no second tick; runs the rebalance it submitted
    ticks = [j for j in store.list_jobs(SYSTEM_OWNER) if j.kind == "fire_due_schedules"]
    assert len(ticks) == 1 and ticks[0].status == "succeeded"
    (run,) = [j for j in store.list_jobs("alice") if j.kind == REBALANCE_KIND]
    assert run.request == {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    clock.advance(60)
    first.run_once()  # a new minute: one more tick, nothing more due
    ticks = [j for j in store.list_jobs(SYSTEM_OWNER) if j.kind == "fire_due_schedules"]
    assert len(ticks) == 2
    assert [j.kind for j in store.list_jobs("alice")] == [REBALANCE_KIND]
