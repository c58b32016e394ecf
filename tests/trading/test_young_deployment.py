"""A young deployment's post-market jobs report what its history allows: a rule deployment on a
weekly schedule of its own (so its performance simulates the strategy as searched, which the
engine evaluates on two days after the lookback at least) trades its first fire through the
scheduler, the job worker, the paper broker and the ledger on SQLite; on its first, second and
third sessions the post-market run (through its job handler) stores analytics whose statistics
each say what they still need, and the daily summary reports the day. No job fails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from store import Store
from tests.store.conftest import FakeClock
from tests.trading.test_execution_jobs import _runner
from tests.trading.test_performance import _spec
from trading.daily_summary import deployment_day
from trading.day.accounts import owner_accounts
from trading.day.analytics import StrategyAnalytics
from trading.day.schedule import POST_MARKET_KIND
from trading.scheduling import fire_due

FIRST = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 New York, a Tuesday
DAYS = [date(2021, 6, 1), date(2021, 6, 2), date(2021, 6, 3)]


def test_the_first_sessions_post_market_jobs_succeed_with_what_the_history_allows(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    spec = _spec(every="week", on="first") | {"schedule_source": "given"}
    draft = store.create_deployment("alice", "young", "draft", spec)
    deployment = store.update_deployment("alice", draft.id, expected_version=1, status="active")
    runner = _runner(store, tmp_path)
    clock.now = FIRST + timedelta(minutes=1)
    fire_due(store, clock.now)
    clock.now = FIRST + timedelta(hours=1)  # after the close: the orders fill
    while runner.run_once():
        pass
    [account] = owner_accounts(store, "alice")
    for n, day in enumerate(DAYS):
        clock.now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23)
        request = {"account": account.account, "day": day.isoformat()}
        job, _ = store.submit_job("alice", POST_MARKET_KIND, request)
        while runner.run_once():
            pass
        assert store.get_job("alice", job.id).status == "succeeded"
        result = runner.results("alice", job.id)
        [stored] = result["analytics"]
        assert result["left_out"] == {}
        analytics = StrategyAnalytics.from_parquet(store.report_bytes("alice", stored["id"]))
        statistics = analytics.summary["statistics"]
        assert statistics["returns"] == n
        if n < 2:
            why = f"not yet available: needs at least 2 daily returns (3 sessions), has {n}"
            assert statistics["sharpe"]["why"] == why
            assert statistics["series"]["rolling_why"] == why
        else:
            assert statistics["sharpe"]["value"] is not None
            assert statistics["series"]["rolling_why"] == (
                f"not yet available: needs 63 daily returns, has {n}"
            )
        values = analytics.summary["performance"]["values"]
        assert len(values["searched"]) == len(values["backtest"]) == n + 1
        summary = deployment_day(store, deployment, day)
        assert summary is not None and summary.equity == values["paper"][-1]
    failed = [j for j in store.list_jobs("alice", limit=100) if j.status == "failed"]
    assert failed == []
