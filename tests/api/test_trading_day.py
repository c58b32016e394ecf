"""Simulated trading days, end to end with no mocks: two paper deployments on the embedded market
data, the scheduler driven by an injected clock every 15 minutes from a Tuesday morning to the
Thursday morning (every job run before the clock moves on), SQLite store, the API on it.

Afterwards each account has its snapshots (every six hours once it opened, valued at the last
close), each strategy its Parquet analytics of each session (read back with pyarrow and checked
against the ledger and the closes with pandas) and a tearsheet, each account a tearsheet; the
owner's webhook heard of them with their links; the API serves all of it to the owner only."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from notifications.preferences import Destination
from quant.data import sp500_prices
from store import Deployment, Store
from store.sqlite import SQLiteStore
from tests.api.conftest import assert_error, make_settings
from tests.notifications.conftest import WebhookReceiver, webhook  # noqa: F401 (a fixture)
from tests.store.conftest import FakeClock
from tests.support.trading_day import SPEC, day_runner, simulate
from trading.day.analytics import ANALYTICS_COLUMNS, ANALYTICS_METADATA_KEY
from trading.performance import performance

START = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)  # Tuesday 08:00 in New York
END = datetime(2021, 6, 3, 9, 0, tzinfo=UTC)  # Thursday 05:00 in New York
SESSIONS = [date(2021, 6, 1), date(2021, 6, 2)]
CLOSES = sp500_prices()


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The simulated days, run once for the module: the store, the clock, the deployments, the
    webhook's requests and an API client of alice and of bob."""
    from api.app import create_app
    from tests.notifications.conftest import webhook_receiver

    data_dir = tmp_path_factory.mktemp("trading-day")
    clock = FakeClock()
    clock.now = START
    settings = make_settings(data_dir, api={"job_workers": 0})
    with SQLiteStore(data_dir / "store.sqlite", clock=clock) as store, webhook_receiver() as hook:
        destination = Destination.with_opt_ins("webhook", hook.url(), tearsheets=True)
        notified = {
            **SPEC,
            "notifications": {"destinations": [destination.model_dump(mode="json")]},
        }
        deployments = [_active(store, "pair", notified), _active(store, "pair again", SPEC)]
        ticks = simulate(day_runner(store, settings), clock, START, END)
        with TestClient(create_app(settings, store)) as client:
            alice, _ = store.create_api_key("alice", "tests")
            bob, _ = store.create_api_key("bob", "tests")
            yield {
                "store": store,
                "clock": clock,
                "deployments": deployments,
                "webhook": hook,
                "ticks": ticks,
                "client": client,
                "alice": {"x-api-key": alice},
                "bob": {"x-api-key": bob},
            }


def _active(store: Store, name: str, spec: dict[str, Any]) -> Deployment:
    draft = store.create_deployment("alice", name, "draft", spec)
    return store.update_deployment("alice", draft.id, expected_version=1, status="active")


def _account(deployment: Deployment) -> str:
    return f"paper-{deployment.id}"


def test_each_account_is_snapshotted_every_six_hours_once_opened(day: Any) -> None:
    store: Store = day["store"]
    assert day["ticks"] == 181
    new_york = [time(16), time(22), time(4), time(10), time(16), time(22), time(4)]
    for deployment in day["deployments"]:
        snapshots = store.list_snapshots("alice", _account(deployment))
        # from the first slot after the account opened (its 15:45 run on Tuesday): none before
        taken = [s.taken_at.astimezone(_NEW_YORK).time() for s in snapshots]
        assert taken == new_york
        account = store.get_broker_account("alice", _account(deployment)).state
        for snapshot in snapshots:
            session = pd.Timestamp(snapshot.priced_on)
            assert snapshot.priced_on == _last_close(snapshot.taken_at)
            shares = {p.symbol: p.quantity for p in snapshot.positions}
            prices = {s: float(CLOSES.loc[session, s]) for s in shares}
            assert all(p.price == prices[p.symbol] for p in snapshot.positions)
            # cash and shares as the paper broker holds them, valued at that close
            expected = snapshot.cash + sum(q * prices[s] for s, q in shares.items())
            assert snapshot.equity == pytest.approx(expected, rel=1e-12)
            assert snapshot.buying_power == snapshot.cash  # a cash account
            assert snapshot.expires_at == snapshot.taken_at + timedelta(days=90)
        assert {s for s, q in _holdings(account).items() if q} == set(shares)
        # the ledger's value at Wednesday's close is the snapshot's of 22:00 that day
        report = performance(store, deployment, datetime(2021, 6, 2, 23, tzinfo=UTC))
        assert snapshots[-2].equity == pytest.approx(report["values"]["paper"][-1], rel=1e-12)


_NEW_YORK = __import__("zoneinfo").ZoneInfo("America/New_York")


def _last_close(when: datetime) -> date:
    local = when.astimezone(_NEW_YORK)
    day_ = local.date() if local.time() >= time(16) else local.date() - timedelta(days=1)
    while day_ not in SESSIONS:
        day_ -= timedelta(days=1)
    return day_


def _holdings(state: dict[str, Any]) -> dict[str, float]:
    held: dict[str, float] = {}
    for fill in state["fills"]:
        sign = 1.0 if fill["side"] == "buy" else -1.0
        held[fill["symbol"]] = held.get(fill["symbol"], 0.0) + sign * fill["quantity"]
    return held


def test_each_strategy_has_its_parquet_analytics_of_each_session(day: Any) -> None:
    store: Store = day["store"]
    for deployment in day["deployments"]:
        reports = store.list_reports("alice", _account(deployment))
        analytics = [r for r in reports if r.kind == "analytics"]
        assert [(r.day, r.deployment_id, r.format) for r in analytics] == [
            (d, deployment.id, "parquet") for d in SESSIONS
        ]
        table = pq.read_table(io.BytesIO(store.report_bytes("alice", analytics[-1].id)))
        frame = table.to_pandas()
        assert list(frame.columns[: len(ANALYTICS_COLUMNS)]) == list(ANALYTICS_COLUMNS)
        summary = json.loads(table.schema.metadata[ANALYTICS_METADATA_KEY])
        assert summary["deployment_id"] == deployment.id and summary["day"] == "2021-06-02"
        totals = summary["totals"]
        assert totals["initial_turnover"] == frame["turnover"].iloc[0]  # the capital invested
        assert totals["turnover"] == pytest.approx(frame["turnover"].iloc[1:].sum())
        assert totals["annualised_turnover"] == pytest.approx(frame["turnover"].iloc[1] * 252)
        assert totals["costs_fraction"] == pytest.approx(
            frame["costs"].sum() / frame["equity"].mean()
        )
        assert totals["slippage"] > 0 and totals["costs"] == pytest.approx(
            totals["fees"] + totals["slippage"]
        )
        # two sessions, one daily return: the statistics say what they still need
        statistics = summary["statistics"]
        assert statistics["returns"] == 1
        assert statistics["sortino"] == {
            "value": None,
            "on": None,
            "why": "not yet available: needs at least 2 daily returns (3 sessions), has 1",
        }
        _check_against_the_ledger(store, deployment, frame)


def _check_against_the_ledger(store: Store, deployment: Deployment, frame: pd.DataFrame) -> None:
    """Every column recomputed here from the ledger and the closes."""
    assert [d.isoformat() for d in frame["date"]] == [d.isoformat() for d in SESSIONS]
    report = performance(store, deployment, datetime(2021, 6, 2, 23, tzinfo=UTC))
    np.testing.assert_allclose(frame["equity"], report["values"]["paper"], rtol=1e-12)
    np.testing.assert_allclose(frame["backtest"], report["values"]["backtest"], rtol=1e-12)
    fills = [e for e in store.ledger("alice", deployment.id) if e.kind == "fill"]
    by_day = {d: [f for f in fills if f.time.date() == d] for d in SESSIONS}
    assert by_day[SESSIONS[0]] and len(fills) == sum(map(len, by_day.values()))
    equity = frame["equity"].to_numpy()
    held: dict[str, float] = {}
    for row, session in enumerate(SESSIONS):
        traded = sum(abs(f.quantity or 0.0) * (f.price or 0.0) for f in by_day[session])
        assert frame["traded_notional"].iloc[row] == pytest.approx(traded, rel=1e-12)
        assert frame["turnover"].iloc[row] == pytest.approx(traded / equity[row], rel=1e-12)
        fees = sum(f.fee or 0.0 for f in by_day[session])
        assert frame["fees"].iloc[row] == pytest.approx(fees)
        # the paper broker fills 5 bps beyond the close: the slippage against the close
        at_close = sum(
            (f.quantity or 0.0) * float(CLOSES.loc[pd.Timestamp(session), f.symbol])
            for f in by_day[session]
        )
        assert frame["slippage"].iloc[row] == pytest.approx(5e-4 * at_close, rel=1e-9)
        assert frame["costs"].iloc[row] == pytest.approx(fees + 5e-4 * at_close, rel=1e-9)
        for f in by_day[session]:
            held[f.symbol or ""] = held.get(f.symbol or "", 0.0) + (
                f.quantity or 0.0) * (1 if f.side == "buy" else -1)  # fmt: skip
        prices = {s: float(CLOSES.loc[pd.Timestamp(session), s]) for s in held}
        for symbol, quantity in held.items():
            weight = quantity * prices[symbol] / equity[row]
            assert frame[f"weight.{symbol}"].iloc[row] == pytest.approx(weight, rel=1e-12)
        invested = sum(q * prices[s] for s, q in held.items())
        assert frame["gross_exposure"].iloc[row] == pytest.approx(invested / equity[row])
    assert frame["cumulative_costs"].iloc[-1] == pytest.approx(frame["costs"].sum())
    assert np.isnan(frame["return"].iloc[0])
    assert frame["return"].iloc[1] == pytest.approx(equity[1] / equity[0] - 1, rel=1e-12)
    backtest = frame["backtest"].to_numpy()
    assert frame["tracking_difference"].iloc[1] == pytest.approx(
        (equity[1] / equity[0]) - (backtest[1] / backtest[0]), abs=1e-14
    )
    for name in ("equal_weight_held", "equal_weight_rebalanced"):
        line = frame[f"benchmark.{name}"].to_numpy()
        assert frame[f"excess.{name}"].iloc[1] == pytest.approx(
            equity[1] / equity[0] - line[1] / line[0], abs=1e-14
        )


def test_each_strategy_and_account_has_a_tearsheet_and_the_owner_heard_of_them(day: Any) -> None:
    store: Store = day["store"]
    for deployment in day["deployments"]:
        sheets = [
            r for r in store.list_reports("alice", _account(deployment)) if r.kind == "tearsheet"
        ]
        assert [(r.day, r.deployment_id) for r in sheets] == [
            (d, subject) for d in SESSIONS for subject in (None, deployment.id)
        ]
        strategy = store.report_bytes("alice", sheets[-1].id).decode()
        assert f"Tearsheet of {deployment.name} on 2021-06-02" in strategy
        assert "Analytics" in strategy and 'id="data-weights"' in strategy
        assert "Returns and risk" in strategy and 'id="data-statistics"' in strategy
        assert "not yet available: needs at least 2 daily returns (3 sessions), has 1" in strategy
        assert "-0.00" not in strategy
        account = store.report_bytes("alice", sheets[-2].id).decode()
        assert sheets[-1].id in account  # it names the strategy's tearsheet
        # its chart: every snapshot taken by the time it was rendered (21:15 in New York)
        rendered = datetime(2021, 6, 3, 1, 15, tzinfo=UTC)
        snapshots = store.list_snapshots("alice", _account(deployment), until=rendered)
        chart = json.loads(_script(account, "data-account-equity"))
        assert chart["times"] == [s.taken_at.isoformat() for s in snapshots]
        assert chart["equity"] == [s.equity for s in snapshots] and len(snapshots) == 5
    hook: WebhookReceiver = day["webhook"]
    texts = [r.json()["text"] for r in hook.requests]
    # only the first deployment's destination asked for the tearsheets: one message a session
    assert [t.split("\n")[0] for t in texts] == [
        f"[Stratigos] Tearsheets {d}: account {_account(day['deployments'][0])}" for d in SESSIONS
    ]
    first = day["deployments"][0]
    ids = [
        r.id
        for r in store.list_reports("alice", _account(first), day=SESSIONS[-1])
        if r.kind == "tearsheet"
    ]
    assert all(f"/v1/reports/{i}" in texts[-1] for i in ids)
    assert f"/#/accounts/{_account(first)}" in texts[-1]


def _script(page: str, element_id: str) -> str:
    """The JSON text of the page's `<script type="application/json" id=...>` element."""
    start = page.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return page[start : page.index("</script>", start)]


def test_the_api_serves_them_to_their_owner_only(day: Any) -> None:
    client: TestClient = day["client"]
    alice, bob = day["alice"], day["bob"]
    first = day["deployments"][0]
    account = _account(first)
    listed = client.get("/v1/accounts", headers=alice).json()["items"]
    assert {a["account"] for a in listed} == {_account(d) for d in day["deployments"]}
    mine = next(a for a in listed if a["account"] == account)
    assert (
        mine["opened"] is True and mine["last_snapshot"]["taken_at"] == "2021-06-03T08:00:00+00:00"
    )
    snapshots = client.get(f"/v1/accounts/{account}/snapshots", headers=alice).json()["items"]
    assert len(snapshots) == 7
    window = client.get(
        f"/v1/accounts/{account}/snapshots",
        params={"since": "2021-06-02T00:00:00Z", "until": "2021-06-02T23:59:59Z"},
        headers=alice,
    ).json()["items"]
    assert [s["taken_at"][11:16] for s in window] == ["02:00", "08:00", "14:00", "20:00"]
    reports = client.get(
        f"/v1/accounts/{account}/reports", params={"day": "2021-06-02"}, headers=alice
    ).json()["items"]
    assert [(r["kind"], r["deployment_id"]) for r in reports] == [
        ("analytics", first.id), ("tearsheet", None), ("tearsheet", first.id),
    ]  # fmt: skip
    page = client.get(reports[2]["links"]["file"], headers=alice)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["etag"] == f'"{reports[2]["sha256"]}"'
    parquet = client.get(reports[0]["links"]["file"], headers=alice)
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert "attachment" in parquet.headers["content-disposition"]
    assert len(pq.read_table(io.BytesIO(parquet.content))) == 2
    # bob sees none of it
    assert client.get("/v1/accounts", headers=bob).json() == {"items": []}
    assert_error(client.get(f"/v1/accounts/{account}/snapshots", headers=bob), 404, "NOT_FOUND")
    assert_error(client.get(f"/v1/accounts/{account}/reports", headers=bob), 404, "NOT_FOUND")
    assert_error(client.get(reports[2]["links"]["file"], headers=bob), 404, "NOT_FOUND")
    history = client.get("/v1/iv-history/AAPL", headers=alice).json()
    assert history["items"] == []  # paper: none, and it says why
    assert history["reason"].startswith("no active or paused deployment of yours hedges AAPL")
    assert_error(
        client.get(f"/v1/accounts/{account}/snapshots", params={"since": "2021-06-02T00:00"}, headers=alice),
        422, "VALIDATION_ERROR", "query.since",
    )  # fmt: skip
    assert_error(
        client.get("/v1/iv-history/A B", headers=alice), 422, "VALIDATION_ERROR", "underlying"
    )


def test_a_second_look_at_the_same_times_submits_nothing_new(day: Any, tmp_path: Path) -> None:
    from trading.day.schedule import submit_day_jobs

    store: Store = day["store"]
    settings = make_settings(tmp_path)
    again = submit_day_jobs(store, day["clock"].now - timedelta(minutes=15), settings)
    assert again.jobs == [] and again.already_claimed >= 4


def test_a_session_without_analytics_renders_no_tearsheet_and_says_why(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.now = START
    settings = make_settings(tmp_path, api={"job_workers": 0})
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as store:
        deployment = _active(store, "idle", SPEC)
        job, _ = store.submit_job(
            "alice", "tearsheet", {"account": _account(deployment), "day": "2021-06-01"}
        )
        runner = day_runner(store, settings)
        assert runner.run_once() is not None
        assert store.get_job("alice", job.id).status == "succeeded"
        result = runner.results("alice", job.id)
        assert result["tearsheets"] == []
        assert (
            result["reason"]
            == "the post-market run of 2021-06-01 stored no analytics (nothing valued)"
        )
        assert store.list_reports("alice", _account(deployment)) == []
