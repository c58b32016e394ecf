"""A live paper deployment's performance (`trading.performance`): run fire by fire through the
scheduler, the job worker, the paper broker and the ledger in a real SQLite store, then read
back against its backtest with the gap decomposed as a forward test's is, the searched backtest
beside it when its schedule is not the strategy's own, and the market data's end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store import Deployment, Store
from tests.store.conftest import FakeClock
from tests.trading.test_execution_jobs import _runner
from trading.performance import performance
from trading.scheduling import fire_due

RULE = {
    "kind": "rule",
    "config": {"target_vol": 0.15, "lookback": 63, "rebalance_every": 3},
    "safe_rate": 0.02,
}
FIRST = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 New York


def _spec(**schedule: Any) -> dict[str, Any]:
    return {
        "strategy": RULE,
        "universe": ["AAPL", "KO", "XOM", "JNJ"],
        "capital": 100_000.0,
        "schedule": {"at": "15:45", "calendar": "XNYS", **schedule},
        "limits": {},
        "fire_price": "session_close",  # a paper run decides on its session's close
    }


def _traded(store: Store, clock: FakeClock, tmp_path: Path, spec: dict[str, Any]) -> Deployment:
    """The deployment active from FIRST, its fires of June 2021 run as the scheduler runs them."""
    draft = store.create_deployment("alice", "rule", "draft", spec)
    deployment = store.update_deployment("alice", draft.id, expected_version=1, status="active")
    runner = _runner(store, tmp_path)
    day = FIRST
    while day < datetime(2021, 7, 1, tzinfo=UTC):
        clock.now = day + timedelta(minutes=1)
        fire_due(store, clock.now)
        clock.now = day + timedelta(hours=1)  # after the close: the orders fill
        while runner.run_once():
            pass
        day += timedelta(days=1)
    return store.get_deployment("alice", deployment.id)


def test_a_live_deployment_on_its_own_cadence_decomposes_its_gap(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    spec = _spec(every="session", interval=3, anchor="2021-06-01") | {"schedule_source": "strategy"}
    deployment = _traded(store, clock, tmp_path, spec)
    report = performance(store, deployment, datetime(2021, 6, 30, 23, tzinfo=UTC))
    statuses = {o.status for o in store.list_orders("alice", deployment_id=deployment.id)}
    assert statuses == {"filled"} and report["sessions"] == 22  # 2021-06-01 to 06-30
    decomposition = report["decomposition"]
    parts = {part["name"]: part["share"] for part in decomposition["parts"]}
    assert sum(parts.values()) == pytest.approx(decomposition["gap"], abs=1e-12)
    paper, backtest = report["values"]["paper"], report["values"]["backtest"]
    assert decomposition["amount"] == pytest.approx(paper[-1] - backtest[-1], abs=1e-6)
    # replayed with the paper account's own terms (5 bps slippage, fractional shares, cash at
    # the safe rate), every run filled: the account is its replay, nothing is left in "other"
    assert parts["other"] == pytest.approx(0.0, abs=1e-9)
    assert parts["costs"] < 0 and parts["sizing"] < 0  # slippage; the price reserve's cash
    assert parts["whole_shares"] == 0.0 and parts["interest"] == 0.0
    assert decomposition["words"].startswith("the account ends ")
    # its own cadence: no searched line (it is the strategy the backtest already simulates)
    assert report["values"]["searched"] == []
    assert [row["name"] for row in report["benchmarks"]["performance"]][:2] == [
        "paper",
        "backtest",
    ]
    assert report["data"]["data_end"] == "2022-12-28" and report["data"]["end"] == "2021-06-30"


def test_a_live_deployment_on_a_schedule_of_its_own_shows_the_searched_backtest_too(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    spec = _spec(every="week", on="first") | {"schedule_source": "given"}
    deployment = _traded(store, clock, tmp_path, spec)
    report = performance(store, deployment, datetime(2021, 6, 30, 23, tzinfo=UTC))
    values = report["values"]
    assert len(values["searched"]) == len(values["backtest"]) == report["sessions"]
    assert values["searched"] != pytest.approx(values["backtest"])  # every 3 sessions, not weekly
    rows = {row["name"]: row for row in report["benchmarks"]["performance"]}
    assert rows["searched"]["label"] == "the strategy as searched (backtest)"
    assert rows["searched"]["total_return"] == pytest.approx(
        values["searched"][-1] / values["searched"][0] - 1, rel=1e-12
    )
    assert report["decomposition"] is not None


def test_an_alpaca_account_is_replayed_without_commission_and_with_its_own_share_rounding(
    store: Store,
) -> None:
    """An Alpaca account's terms are not saved with it: no commission (Alpaca charges none on
    shares), fractional shares only when its fills hold some, and cash earning nothing here."""
    from execution.ledger import CashFlow, Fill
    from trading.performance import _account_terms

    spec = _spec(every="week", on="first") | {"broker": "alpaca", "account": "alpaca-PA1"}
    deployment = store.create_deployment("alice", "on Alpaca", "active", spec)
    when = datetime(2021, 6, 1, 20, tzinfo=UTC)
    capital = CashFlow("capital", 100_000.0, when, "capital")
    whole = Fill("f1", "o1", "KO", "buy", 10.0, 54.1, 0.0, when)
    part = Fill("f2", "o2", "XOM", "buy", 2.5, 60.2, 0.0, when)
    costs, fractional, cash_rate = _account_terms(store, deployment, [capital, whole])
    assert (costs.slippage_bps, costs.commission_bps, costs.commission_per_share) == (0, 0, 0)
    assert fractional is False and cash_rate == 0.0
    assert _account_terms(store, deployment, [capital, whole, part])[1] is True
