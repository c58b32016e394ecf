"""The account dashboard in Chromium: after simulated trading days (the scheduler driven by an
injected clock on the server's own store, every job run, no real sleeps), the account's page
draws its equity from its snapshots, one point each at the equity the API lists, shows the last
snapshot's positions and lists the post-market reports, whose tearsheet opens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.sqlite import SQLiteStore
from tests.browser.conftest import screenshot
from tests.store.conftest import FakeClock
from tests.support.browser import Server, sign_in, trace_lengths
from tests.support.trading_day import SPEC, day_runner, simulate

SERVER_SETTINGS = {
    "api": {"job_workers": 0},  # the test runs the jobs, on its clock
    # snapshots of December 2022 (the embedded data's last sessions) are kept to the server's time
    "trading_day": {"snapshot_retention_days": 3650},
}
START = datetime(2022, 12, 20, 13, 0, tzinfo=UTC)  # Tuesday 08:00 in New York
END = datetime(2022, 12, 22, 10, 0, tzinfo=UTC)  # Thursday 05:00


def test_the_dashboard_draws_the_account_s_equity_from_its_snapshots(
    page: Any, server: Server, artifacts: Path
) -> None:
    clock = FakeClock()
    clock.now = START
    with SQLiteStore(server.settings.data_dir / "store.sqlite", clock=clock) as store:
        draft = store.create_deployment("local", "pair", "draft", SPEC)
        store.update_deployment("local", draft.id, expected_version=1, status="active")
        simulate(day_runner(store, server.settings), clock, START, END)
    account = f"paper-{draft.id}"
    with server.client() as client:
        snapshots = client.get(f"/v1/accounts/{account}/snapshots").json()["items"]
        reports = client.get(f"/v1/accounts/{account}/reports").json()["items"]
    assert len(snapshots) == 7 and len(reports) == 6  # 2 sessions: analytics, 2 tearsheets

    sign_in(page, server, "#/accounts")
    page.wait_for_selector("#accounts-table")
    page.click(f"#accounts-table a:has-text('{account}')")
    page.wait_for_function(
        "() => { const el = document.getElementById('chart-account-equity');"
        " return el && el.data && el.data.length > 0; }"
    )
    assert trace_lengths(page, "chart-account-equity") == {"equity": 7}
    drawn = page.evaluate("() => document.getElementById('chart-account-equity').data[0].y")
    assert drawn == [s["equity"] for s in snapshots]
    rows = page.locator("#account-positions tbody tr").all_inner_texts()
    assert sorted(r.split("\t")[0] for r in rows) == sorted(
        p["symbol"] for p in snapshots[-1]["positions"]
    )
    assert page.locator("#account-reports-table tbody tr").count() == 6
    with page.context.expect_page() as opened:
        page.locator(".tearsheet-open").first.click()
    tearsheet = opened.value
    tearsheet.wait_for_selector("h1")
    assert "Tearsheet of" in tearsheet.inner_text("h1")
    tearsheet.close()
    screenshot(page, artifacts / "account-dashboard.png", full_page=True)
    assert page.problems == []
