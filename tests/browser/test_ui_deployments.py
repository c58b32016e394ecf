"""Deployments in Chromium: deploy a saved portfolio to paper, move it through its lifecycle
(its events streamed live, a change made elsewhere shown at once), forward-test it and read the paper-against-backtest chart, positions, orders and the ledger;
the API's refusal is shown as a message; an optimization's results link to deploying it; a
hedged deployment's forward test shows its option hedge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.factory import open_store
from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in, trace_lengths
from tests.support.hedged import hedged_spec

WEIGHTS = [
    {"asset": "JNJ", "weight": 0.3},
    {"asset": "KO", "weight": 0.3},
    {"asset": "PG", "weight": 0.4},
]


def _forward_test(page: Any, server: Server, deployment_id: str, name: str, end: str) -> None:
    """Open the deployment's page and forward-test it from 2022-01-03 to `end` in the UI, until
    its result shows."""
    sign_in(page, server, f"#/deployments/{deployment_id}")
    page.wait_for_selector(f"#deployment-title:has-text('{name}')")
    page.fill("#forward-test-start", "2022-01-03")
    page.fill("#forward-test-end", end)
    page.click("#forward-test-run")
    page.wait_for_selector("#forward-test-deployment", timeout=120_000)


def test_deploy_a_portfolio_forward_test_it_and_read_its_books(
    page: Any, server: Server, artifacts: Path
) -> None:
    with server.client() as client:
        portfolio = client.post(
            "/v1/portfolios", json={"name": "Staples", "weights": WEIGHTS}
        ).json()
    sign_in(page, server, "#/deployments")
    page.wait_for_selector("#deployments-status:has-text('No deployments yet.')")

    page.select_option("#deployment-source-kind", "portfolio")
    page.wait_for_selector(
        f"#deployment-source option[value='{portfolio['id']}']", state="attached"
    )
    page.fill("#deployment-name", "Staples weekly")
    page.fill("#deployment-capital", "250000")
    page.click("#deployment-create")
    page.wait_for_selector("#deployment-title:has-text('Staples weekly')")
    assert page.inner_text("#deployment-status") == "draft"
    with server.client() as client:
        (created,) = client.get("/v1/deployments").json()["items"]
    assert created["spec"]["capital"] == 250_000 and created["status"] == "draft"

    assert "Nothing traded yet" in page.inner_text("#books-empty")
    page.click("#deployment-activate")
    page.wait_for_selector("#deployment-status:has-text('active')")
    page.click("#deployment-pause")
    page.wait_for_selector("#deployment-status:has-text('paused')")
    page.click("#deployment-resume")
    page.wait_for_selector("#deployment-status:has-text('active')")
    page.wait_for_selector("#events-table tbody tr >> nth=3")  # streamed from its events (SSE)
    events = page.locator("#events-table tbody tr td:nth-child(4)").all_inner_texts()
    assert events[0] == "paused → active (by api)" and events[-1].startswith("draft, by api")
    with server.client() as client:  # a change made elsewhere shows without reloading
        client.post(f"/v1/deployments/{created['id']}/pause")
    page.wait_for_selector("#events-table tbody tr >> nth=4")
    page.wait_for_selector("#deployment-status:has-text('paused')")
    assert page.locator("#events-table tbody tr td:nth-child(4)").first.inner_text() == (
        "active → paused (by api)"
    )
    page.click("#deployment-resume")
    page.wait_for_selector("#deployment-status:has-text('active')")

    page.fill("#forward-test-start", "2022-01-03")
    page.fill("#forward-test-end", "2022-06-30")
    page.select_option("#forward-test-fire-price", "previous_close")
    page.fill("#forward-test-cash-rate", "0")
    page.click("#forward-test-run")
    page.wait_for_selector("#chart-forward-test", timeout=120_000)
    page.wait_for_function("() => document.getElementById('chart-forward-test').data !== undefined")
    with server.client() as client:
        (job,) = client.get(f"/v1/deployments/{created['id']}/forward-tests").json()
        result = client.get(job["links"]["self"]).json()["result"]
    sessions = len(result["values"]["dates"])
    benchmarks = {  # beside the account: its stocks held equal-weighted and the index
        row["label"]: sessions
        for row in result["benchmarks"]["performance"]
        if row["name"] in ("equal_weight_held", "equal_weight_rebalanced", "sp500")
    }
    assert len(benchmarks) == 3
    assert trace_lengths(page, "chart-forward-test") == {
        "paper": sessions,
        "backtest": sessions,
        "searched backtest": sessions,
        **benchmarks,
    }
    shown = page.locator("#forward-test-benchmarks tbody tr").all_inner_texts()
    assert [row.split("\t")[0] for row in shown] == [
        row["label"] for row in result["benchmarks"]["performance"]
    ]
    held = next(r for r in result["benchmarks"]["performance"] if r["name"] == "equal_weight_held")
    assert f"{held['total_return'] * 100:.2f}%" in shown[3]
    assert "equal-weighted" in page.inner_text("#forward-test-benchmarks-edge")
    assert f"{result['runs']} (" in page.inner_text("#forward-test-result")
    assert (result["fire_price"], result["cash_rate"]) == ("previous_close", 0.0)
    gap = page.inner_text("#forward-test-gap")  # the gap in parts, as the result gives them
    assert gap == result["decomposition"]["words"] and "fills one bar later" in gap
    for part in result["decomposition"]["parts"]:
        assert (part["words"] in gap) == (abs(part["share"]) >= 5e-5)
    shown = page.inner_text("#forward-test-result")
    returns = result["comparison"]["return_gap"]
    assert f"{abs(returns) * 100:.2f}% {'above' if returns >= 0 else 'below'}" in shown
    assert "\tGap\t" not in shown  # the one gap is the final values', in money and parts
    screenshot(page, artifacts / "deployment-forward-test.png", full_page=True)

    page.click("#forward-test-deployment")
    page.wait_for_selector("#positions-table")
    held = page.locator("#positions-table tbody tr td:first-child").all_inner_texts()
    assert sorted(held) == ["JNJ", "KO", "PG"]
    with server.client() as client:
        ledger = client.get(
            f"/v1/deployments/{result['forward_test_deployment_id']}/ledger"
        ).json()["entries"]
    assert page.locator("#ledger-table tbody tr").count() == min(len(ledger), 200)
    assert page.locator("#deployment-pause").count() == 0  # a forward test runs by itself
    with page.context.expect_page() as opened:
        page.click("#deployment-report")
    report = opened.value
    report.wait_for_url("**/static/report.html")
    report.wait_for_selector("#chart-performance .main-svg")  # plotly drew it, offline
    assert "Against the backtest" in report.inner_text("body")
    report.close()
    page.wait_for_function("() => document.getElementById('chart-performance').data !== undefined")
    assert trace_lengths(page, "chart-performance") == {
        "paper": sessions,
        "backtest": sessions,
        **benchmarks,
    }
    assert page.locator("#performance-benchmarks tbody tr").count() == 5
    # the performance card: the gap in parts (as GET .../performance gives them) and the data
    with server.client() as client:
        performance = client.get(
            f"/v1/deployments/{result['forward_test_deployment_id']}/performance"
        ).json()
    assert page.inner_text("#performance-gap") == performance["decomposition"]["words"]
    for where in ("#performance-data", "#deployment-data"):
        assert page.inner_text(where).endswith("the data ends on 2022-12-28"), where

    page.goto(f"{server.url}/#/deployments")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#kill-switch")
    page.wait_for_selector("#kill-status:has-text('Paused 1 deployment(s)')")
    with server.client() as client:
        assert client.get(f"/v1/deployments/{created['id']}").json()["status"] == "paused"
    assert page.problems == []


def test_a_deployment_on_a_schedule_of_its_own_shows_the_searched_backtest_too(
    page: Any, server: Server
) -> None:
    """A deployment whose schedule the user gave (monthly, not its portfolio's own weekly
    cadence): its forward test's performance card and chart show the strategy as searched beside
    the deployed backtest."""
    with server.client() as client:
        portfolio = client.post(
            "/v1/portfolios", json={"name": "Monthly staples", "weights": WEIGHTS}
        ).json()
        created = client.post(
            "/v1/deployments",
            json={
                "name": "Monthly staples",
                "source": {"kind": "portfolio", "id": portfolio["id"]},
                "capital": 100_000,
                "schedule": {"every": "month", "at": "15:45"},
            },
        ).json()
    assert created["spec"]["schedule_source"] == "given"
    _forward_test(page, server, created["id"], "Monthly staples", "2022-06-30")
    page.click("#forward-test-deployment")
    page.wait_for_selector("#positions-table")
    page.wait_for_function("() => document.getElementById('chart-performance').data !== undefined")
    with server.client() as client:
        (job,) = client.get(f"/v1/deployments/{created['id']}/forward-tests").json()
        result = client.get(job["links"]["self"]).json()["result"]
    sessions = len(result["values"]["dates"])
    lengths = trace_lengths(page, "chart-performance")
    assert lengths["searched backtest"] == lengths["backtest"] == sessions
    searched = result["values"]["searched"]
    shown = f"{(searched[-1] / searched[0] - 1) * 100:+.2f}%"  # a return: signed, 2 decimals
    assert f"Searched backtest\t{shown}" in page.inner_text("#deployment-books")
    assert page.problems == []


def test_an_optimization_s_results_link_to_deploying_its_winner(page: Any, server: Server) -> None:
    sign_in(page, server, "#/deployments/new/job_0123456789abcdef")
    page.wait_for_selector(
        "#deployment-source option[value='job_0123456789abcdef']", state="attached"
    )
    page.fill("#deployment-capital", "1000")
    page.click("#deployment-create")
    alert = page.locator("#alert")
    alert.wait_for(state="visible")  # the refusal once: beside the source, the banner says where
    assert "not created" in alert.inner_text()
    assert "job_0123456789abcdef" in page.inner_text("#deployment-source-error")
    assert "job_0123456789abcdef" not in alert.inner_text()
    assert page.problems == []


def test_a_hedged_deployment_s_forward_test_shows_its_option_hedge(
    page: Any, server: Server, artifacts: Path
) -> None:
    store = open_store(server.settings)  # a collar on AAPL, seeded as a draft
    try:
        deployment = store.create_deployment(server.owner, "Collared", "draft", hedged_spec())
    finally:
        store.close()
    _forward_test(page, server, deployment.id, "Collared", "2022-03-31")
    page.wait_for_selector("#forward-test-hedge")
    with server.client() as client:
        (job,) = client.get(f"/v1/deployments/{deployment.id}/forward-tests").json()
        hedge = client.get(job["links"]["self"]).json()["result"]["hedge"]
    shown = page.inner_text("#forward-test-hedge")
    for label, value in (("Premiums paid", "premiums_paid"), ("Premiums received",
                         "premiums_received"), ("Settlements", "settlements")):  # fmt: skip
        assert f"{label}\t${hedge[value]:,.2f}" in shown, (label, shown)
    assert f"{hedge['runs']} (" in shown and "whole contracts and a beta of 1" in shown
    assert f"Volatility\t{hedge['volatility']['words']}" in shown
    assert "null" not in page.inner_text("#forward-test-result")
    assert page.locator("#forward-test-runs").count() == 0  # every run filled or had nothing to do
    screenshot(page, artifacts / "deployment-forward-test-hedge.png", full_page=True)
