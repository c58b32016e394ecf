"""Forward-testing a deployment over the embedded closes, through the schedule, the execution
queue, the paper broker and the ledger in a real SQLite store; checked against exchange
calendars' sessions and a plain recomputation from the stored ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from execution.brokers.paper import PaperBroker
from services.errors import InputError
from services.market_data import sp500_prices
from store import Store, StoreUnavailableError
from store.sqlite import SQLiteStore
from trading.forward_tests.paper import ForwardTestRequest, forward_test

SYMBOLS = ["AAPL", "KO", "XOM", "JNJ", "PG"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


def _deployment(store: Store, strategy: dict[str, object], every: str = "week") -> str:
    spec = {
        "strategy": strategy,
        "universe": SYMBOLS,
        "capital": 250_000.0,
        "schedule": {"every": every, "on": "first", "at": "15:45", "calendar": "XNYS"},
        "limits": {"cash_buffer": 0.02},
    }
    return store.create_deployment("alice", "core", "active", spec).id


def test_a_weekly_rule_strategy_is_paper_traded_over_a_year(store: Store) -> None:
    rule = {
        "kind": "rule",
        "config": {"target_vol": 0.12, "lookback": 63, "rebalance_every": 5},
        "safe_rate": 0.02,
    }
    source = _deployment(store, rule)
    prices = sp500_prices()
    result = forward_test(
        store, "alice", ForwardTestRequest(source, date(2021, 1, 4)), prices, run_id="job_ft"
    )
    import exchange_calendars  # imported here, not when the module is collected

    calendar = exchange_calendars.get_calendar("XNYS")
    sessions = calendar.sessions_in_range("2021-01-04", "2022-12-28")
    sessions = sessions[sessions.isin(prices.index)]
    first_of_week = pd.Series(sessions, index=sessions).groupby(sessions.to_period("W-SUN")).first()
    assert result["sessions"] == len(sessions)
    assert result["runs"] == len(first_of_week)
    assert result["run_statuses"].get("filled", 0) >= len(first_of_week) - 2
    # the stored ledger adds up to the reported account, recomputed from scratch
    entries = store.ledger("alice", result["forward_test_deployment_id"])
    cash = sum(e.amount or 0.0 for e in entries)
    shares: dict[str, float] = {}
    for e in entries:
        if e.kind == "fill":
            signed = e.quantity if e.side == "buy" else -e.quantity
            cash -= signed * e.price + e.fee
            shares[e.symbol] = shares.get(e.symbol, 0.0) + signed
    last = prices.loc[pd.Timestamp(result["end"])]
    value = cash + sum(q * last[s] for s, q in shares.items())
    assert value == pytest.approx(result["final_value"], rel=1e-9)
    assert result["values"]["paper"][-1] == pytest.approx(result["final_value"], rel=1e-12)
    assert sum(e.kind == "fill" for e in entries) == result["fills"]
    earned = [e.amount for e in entries if e.note == "interest"]  # 2 % a year on the cash
    assert len(earned) == result["sessions"] and sum(earned) == pytest.approx(result["interest"])
    # its own deployment and account: the original is untouched
    test = store.get_deployment("alice", result["forward_test_deployment_id"])
    assert test.status == "retired" and test.spec["forward_test_of"] == source
    assert store.get_deployment("alice", source).status == "active"
    assert store.list_orders("alice", deployment_id=source) == []
    saved = store.get_broker_account("alice", f"paper-{test.id}")
    broker = PaperBroker.restore(prices[SYMBOLS].dropna(), saved.state)
    assert broker.account().positions == pytest.approx(
        {s: q for s, q in shares.items() if abs(q) > 1e-9}
    )
    # against the backtest of the same rule on its weekly fires: close, not equal (costs, sizing)
    assert abs(result["comparison"]["return_gap"]) < 0.1
    assert 0 < result["comparison"]["tracking_error"] < 0.05


def test_fixed_weights_track_their_daily_rebalanced_backtest(store: Store) -> None:
    weights = {"kind": "weights", "weights": dict.fromkeys(SYMBOLS, 0.19)}
    source = _deployment(store, weights, every="session")
    result = forward_test(
        store,
        "alice",
        ForwardTestRequest(source, date(2022, 1, 3), end=date(2022, 6, 30)),
        sp500_prices(),
        run_id="job_ft",
    )
    assert result["end"] == "2022-06-30" and result["run_statuses"] == {"filled": result["runs"]}
    assert result["comparison"]["tracking_error"] < 0.03


def test_a_start_without_enough_history_or_a_test_of_a_test_is_refused(store: Store) -> None:
    rule = {"kind": "rule", "config": {"lookback": 63}, "safe_rate": 0.0}
    source = _deployment(store, rule)
    with pytest.raises(InputError) as raised:
        forward_test(
            store, "alice", ForwardTestRequest(source, date(1990, 2, 1)), sp500_prices(),
            run_id="job_1",
        )  # fmt: skip
    assert raised.value.field == "start" and "needs 64 sessions" in raised.value.problem
    result = forward_test(
        store, "alice", ForwardTestRequest(source, date(2022, 11, 1)), sp500_prices(),
        run_id="job_2",
    )  # fmt: skip
    with pytest.raises(InputError) as raised:
        forward_test(
            store, "alice", ForwardTestRequest(result["forward_test_deployment_id"],
            date(2022, 11, 1)), sp500_prices(), run_id="job_3",
        )  # fmt: skip
    assert raised.value.field == "deployment_id"


def test_the_performance_of_a_deployment_read_from_its_ledger_is_its_forward_test(
    store: Store,
) -> None:
    from datetime import UTC, datetime

    from trading.performance import performance

    weights = {"kind": "weights", "weights": dict.fromkeys(SYMBOLS, 0.19)}
    source = _deployment(store, weights, every="week")
    result = forward_test(
        store,
        "alice",
        ForwardTestRequest(source, date(2022, 3, 1), end=date(2022, 9, 30)),
        sp500_prices(),
        run_id="job_ft",
    )
    test = store.get_deployment("alice", result["forward_test_deployment_id"])
    report = performance(store, test, datetime(2026, 1, 1, tzinfo=UTC))
    assert report["values"]["dates"] == result["values"]["dates"]
    assert report["values"]["paper"] == pytest.approx(result["values"]["paper"], rel=1e-12)
    assert report["values"]["backtest"] == pytest.approx(result["values"]["backtest"], rel=1e-12)
    assert report["comparison"] == pytest.approx(result["comparison"], rel=1e-9)
    # the gap in the same parts: the performance replays the account with its saved costs, the
    # test knew every run filled and took the account itself (so "other" is 0 up to rounding)
    ours, its = report["decomposition"], result["decomposition"]
    assert [p["share"] for p in ours["parts"]] == pytest.approx(
        [p["share"] for p in its["parts"]], abs=1e-12
    )
    assert ours["words"] == its["words"] and ours["amount"] == pytest.approx(its["amount"])
    # a schedule given by the user (not the strategy's own): the searched backtest beside it
    assert report["values"]["searched"] == pytest.approx(result["values"]["searched"], rel=1e-12)
    # weights drift between weekly rebalances, never beyond the buffer and a week's moves
    assert 0 < report["weight_drift"] < 0.05
    assert report["data"]["data_end"] == "2022-12-28" and report["data"]["end"] == "2022-09-30"
    untraded = performance(store, store.get_deployment("alice", source), datetime.now(UTC))
    assert untraded == {"deployment_id": source, "sessions": 0, "data": untraded["data"]}
    assert untraded["data"]["data_end"] == "2022-12-28" and untraded["data"]["symbols"] == 5


def test_a_deployment_without_a_hedge_is_compared_with_a_backtest_without_options(
    store: Store,
) -> None:
    """A deployment trades options only through its `hedge` (which `create_deployment` requires
    of a strategy with an overlay): one made without it trades the shares only, and its
    backtest leaves the overlay out too, the same curve as the rule's without it. Forward tests
    of hedged deployments: tests/trading/forward_tests/test_hedge.py."""
    config = {"target_vol": 0.12, "lookback": 63, "rebalance_every": 5}
    prices = sp500_prices()
    results = {}
    for name, overlay in (("plain", {}), ("overlay", {"overlay": "put", "overlay_strike": 0.9})):
        rule = {"kind": "rule", "config": {**config, **overlay}, "safe_rate": 0.02}
        source = _deployment(store, rule)
        request = ForwardTestRequest(source, date(2022, 1, 3), end=date(2022, 6, 30))
        results[name] = forward_test(store, "alice", request, prices, run_id=f"job_{name}")
    assert results["plain"]["hedge"] is None and results["overlay"]["hedge"] is None
    assert results["overlay"]["values"]["backtest"] == results["plain"]["values"]["backtest"]
    assert results["overlay"]["values"]["paper"] == results["plain"]["values"]["paper"]
    test_id = results["overlay"]["forward_test_deployment_id"]
    assert store.ledger("alice", f"hedge-{test_id}") == []
    # the deployment's performance report compares the same way
    from datetime import UTC, datetime

    from trading.performance import performance

    report = performance(
        store, store.get_deployment("alice", test_id), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert report["hedge"] is None
    # (the report's backtest starts at the account's first value, the test's at its capital)
    ours, plain = report["values"]["backtest"], results["plain"]["values"]["backtest"]
    assert [v / ours[0] for v in ours] == pytest.approx([v / plain[0] for v in plain], rel=1e-12)


def test_a_forward_test_that_fails_retires_its_test_deployment_and_says_why(
    tmp_path: Path,
) -> None:
    """A real full disk (SQLite's page limit) partway through: the store's own error reaches
    the caller (the job records it), and the test deployment is retired, not left active."""
    path = tmp_path / "store.sqlite"
    with SQLiteStore(path) as store:
        source = _deployment(store, {"kind": "weights", "weights": dict.fromkeys(SYMBOLS, 0.19)})
    with sqlite3.connect(path) as conn:  # the bytes in use (a migration may leave pages free)
        (used,) = conn.execute(
            "SELECT (page_count - freelist_count) * page_size "
            "FROM pragma_page_count, pragma_freelist_count, pragma_page_size"
        ).fetchone()
    room = 64 * 4096  # a few weeks of daily runs' orders and fills
    with SQLiteStore(path, max_db_bytes=used + room) as full:
        with pytest.raises(StoreUnavailableError, match="database or disk is full"):
            forward_test(
                full, "alice", ForwardTestRequest(source, date(2021, 1, 4)), sp500_prices(),
                run_id="job_full",
            )  # fmt: skip
        statuses = {d.name: d.status for d in full.list_deployments("alice")}
    assert statuses == {"core": "active", "core (forward test from 2021-01-04)": "retired"}
