"""The shared account's card in Chromium: two strategies sharing a paper account trade two
decision times through the job worker on the server's own store (an injected clock, no real
sleeps), the second with a conflict on KO; the account's dashboard shows its netted runs: the
conflict (who bought, who sold, what crossed inside the account, what went to the broker) and
every order with each strategy's part, by name, as the API lists them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobs.worker import Worker
from settings import JobSettings, Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.browser.conftest import screenshot
from tests.store.conftest import FakeClock
from tests.support.browser import Server, sign_in
from trading.execution_jobs import HANDLERS
from trading.scheduling import REBALANCE_KIND

SERVER_SETTINGS = {"api": {"job_workers": 0}}  # the test runs the jobs, on its clock
ACCOUNT = "paper-shared-main"
FIRES = (datetime(2021, 6, 1, 19, 45, tzinfo=UTC), datetime(2021, 6, 2, 19, 45, tzinfo=UTC))
WEIGHTS = {
    "growth": ({"AAPL": 0.5, "KO": 0.45}, {"AAPL": 0.25, "KO": 0.7}),
    "value": ({"KO": 0.2, "XOM": 0.75}, {"KO": 0.0, "XOM": 0.95}),
}
"""Each strategy's weights at each fire: at the second, growth buys the KO value sells."""


def _trade(store: Store, clock: FakeClock, settings: Settings) -> dict[str, str]:
    """The two strategies on the shared paper account, both fires run; their ids by name."""
    members = {}
    for name, (first, _) in WEIGHTS.items():
        spec = {
            "strategy": {"kind": "weights", "weights": first},
            "universe": sorted(first),
            "capital": 50_000.0,
            "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
            "limits": {"cash_buffer": 0.02, "max_turnover": 2.0},
            "account": ACCOUNT,
            "shared_account": True,
        }
        draft = store.create_deployment("local", name, "draft", spec)
        members[name] = store.update_deployment(
            "local", draft.id, expected_version=1, status="active"
        )
    worker = Worker(store, HANDLERS, lease_seconds=30.0, settings=settings)
    for index, fire in enumerate(FIRES):
        clock.now = fire + timedelta(hours=2)  # after the session's close: the orders fill
        for name, deployment in members.items():
            current = store.get_deployment("local", deployment.id)
            spec = {
                **current.spec,
                "strategy": {"kind": "weights", "weights": WEIGHTS[name][index]},
            }
            store.update_deployment(
                "local", current.id, expected_version=current.version, spec=spec
            )
            request = {"deployment_id": current.id, "fire": fire.isoformat()}
            store.submit_job("local", REBALANCE_KIND, request)
        for _ in members:
            outcome = worker.run_once()
            assert outcome is not None and outcome.status == "succeeded", outcome
    return {name: d.id for name, d in members.items()}


def _number(text: str) -> float:
    """A number as the UI writes it (thousands separated by commas)."""
    return float(text.replace(",", ""))


def _cells(page: Any, table: str) -> list[list[str]]:
    """The text of each cell of each body row of `table`, read in one step of the page."""
    rows: list[list[str]] = page.locator(f"#{table} tbody tr").evaluate_all(
        "rows => rows.map((row) => Array.from(row.cells, (cell) => cell.innerText))"
    )
    return rows


def test_the_shared_account_card_shows_the_conflicts_and_each_strategy_s_part(
    page: Any, server: Server, artifacts: Path
) -> None:
    clock = FakeClock()
    settings = server.settings.model_copy(update={"jobs": JobSettings(ticks=[])})
    with SQLiteStore(server.settings.data_dir / "store.sqlite", clock=clock) as store:
        ids = _trade(store, clock, settings)
    with server.client() as client:
        runs = client.get(f"/v1/accounts/{ACCOUNT}/runs").json()["items"]
    assert len(runs) == 2
    [conflict] = runs[1]["conflicts"]
    assert conflict["symbol"] == "KO" and set(conflict["sellers"]) == {ids["value"]}

    sign_in(page, server, "#/accounts")
    page.wait_for_selector("#accounts-table")
    page.click(f"#accounts-table a:has-text('{ACCOUNT}')")
    page.wait_for_selector("#account-conflicts")
    [row] = _cells(page, "account-conflicts")
    symbol, bought, sold, crossed, sent = row[1:]
    assert symbol == "KO"
    assert bought.startswith("growth ") and sold.startswith("value ")  # named, not ids
    assert _number(crossed) == pytest.approx(conflict["crossed"], abs=5e-5)  # 4 decimals
    side, quantity = sent.split(" ")
    assert side == conflict["net_side"]
    assert _number(quantity) == pytest.approx(conflict["net_quantity"], abs=5e-5)
    orders = _cells(page, "account-runs-table")
    listed = [o for run in reversed(runs) for o in run["orders"]]  # newest first
    assert [(r[1], r[2]) for r in orders] == [(o["symbol"], o["side"]) for o in listed]
    crossed_rows = [r for r in orders if r[4] == "crossed inside the account"]
    assert sorted((r[1], r[2]) for r in crossed_rows) == [("KO", "buy"), ("KO", "sell")]
    [first_ko] = [r for r in orders[-3:] if r[1] == "KO"]  # the first decision time's one order
    assert first_ko[5].startswith("growth ") and ", value " in first_ko[5]
    assert all(ids["growth"] not in r[5] and ids["value"] not in r[5] for r in orders)
    screenshot(page, artifacts / "shared-account.png", full_page=True)
    assert page.problems == []


def test_a_shared_account_forward_tested_from_the_command_line_shows_the_api_s_orders(
    page: Any, server: Server, artifacts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two strategies created on the account `summer` and forward-tested together from the
    command line: each test deployment's page lists its orders as the API does, each with the
    strategy's part and the account's whole order beside it."""
    from api.cli import main

    with SQLiteStore(server.settings.data_dir / "store.sqlite") as store:
        portfolios = [
            store.create_portfolio("local", name, {"weights": weights}).id
            for name, weights in (
                ("tech", {"AAPL": 0.6, "KO": 0.3}),
                ("energy", {"KO": 0.3, "XOM": 0.6}),
            )
        ]
    for portfolio in portfolios:
        argv = ["deploy", "create", "--portfolio", portfolio, "--capital", "50000", "--every",
                "session", "--account", "summer", "--json"]  # fmt: skip
        assert main(argv) == 0
    capsys.readouterr()
    argv = ["deploy", "forward-test", "--account", "summer", "--start", "2022-06-01", "--end",
            "2022-06-30", "--commission-per-order", "1", "--json"]  # fmt: skip
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["netting"]["orders_crossed"] > 0
    sign_in(page, server, "#/deployments")
    for member in result["members"]:
        test_id = member["forward_test_deployment_id"]
        with server.client() as client:
            orders = client.get(f"/v1/deployments/{test_id}/orders").json()
        # the page changes deployment without loading again: wait for the new one's table, not
        # the last one's (read while the page replaced it, its rows lost their layout)
        page.evaluate("document.querySelector('#orders-table')?.setAttribute('data-left', '')")
        page.goto(f"{server.url}/#/deployments/{test_id}")
        page.wait_for_selector("#orders-table:not([data-left]) tbody tr")
        heading = page.locator("#orders-table caption").inner_text()
        assert f"Orders ({len(orders)})" in heading and "part of the shared account's" in heading
        rows = _cells(page, "orders-table")
        assert [(int(r[0]), r[1], r[2]) for r in rows] == [
            (o["sequence"], o["symbol"], o["side"]) for o in orders[-200:]
        ]
        for row, order in zip(rows, orders[-200:], strict=True):
            shown = 5.0001e-5  # 4 decimals, a half rounded either way
            assert _number(row[3]) == pytest.approx(order["quantity"], abs=shown)  # its part
            assert _number(row[4]) == pytest.approx(order["order_quantity"], abs=shown)
        screenshot(page, artifacts / f"shared-forward-test-{test_id}.png", full_page=True)
    assert page.problems == []
