"""Portfolios in Chromium (create, edit, optimise, delete; API errors shown as messages) and
signing in: a bad key brings the sign-in form back with the API's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in, trace_lengths


def test_create_edit_optimise_delete(page: Any, server: Server, artifacts: Path) -> None:
    sign_in(page, server, "#/portfolios")
    page.wait_for_selector("#portfolios-status:has-text('No portfolios yet')")

    # weights that do not sum to 1: the API's validation message is shown, nothing is saved
    page.fill("#portfolio-name", "Defensive four")
    page.fill("#portfolio-weights", "JNJ 0.3\nKO 0.3\nPG 0.2\nXOM 0.1")
    page.click("#portfolio-save")
    alert = page.locator("#alert")
    alert.wait_for(state="visible")
    assert "sum to 0.9" in alert.inner_text()

    page.fill("#portfolio-weights", "JNJ 30%\nKO 0.3\nPG 0.2\nXOM 0.2")
    page.click("#portfolio-save")
    row = page.locator("#portfolios-table tbody tr", has_text="Defensive four")
    row.wait_for()
    with server.client() as client:
        (saved,) = client.get("/v1/portfolios").json()["items"]
    assert {w["asset"]: w["weight"] for w in saved["weights"]} == {
        "JNJ": 0.3,
        "KO": 0.3,
        "PG": 0.2,
        "XOM": 0.2,
    }

    row.get_by_role("button", name="Edit Defensive four").click()
    assert page.input_value("#portfolio-weights").startswith("JNJ 0.3")
    page.fill("#portfolio-name", "Defensive five")
    page.fill("#portfolio-weights", "JNJ 0.2\nKO 0.2\nPG 0.2\nXOM 0.2\nWMT 0.2")
    page.click("#portfolio-save")
    row = page.locator("#portfolios-table tbody tr", has_text="Defensive five")
    row.wait_for()
    assert row.locator("td").nth(1).inner_text() == "2"  # version

    row.get_by_role("button", name="Optimise Defensive five").click()
    page.select_option("#optimise-method", "efficient-frontier")
    with page.expect_response(lambda r: "/v1/optimization/efficient-frontier" in r.url) as answer:
        page.click("#optimise-run")
    result = answer.value.json()
    page.wait_for_selector("#chart-frontier")
    page.wait_for_function("() => document.getElementById('chart-frontier').data !== undefined")
    assert trace_lengths(page, "chart-weights") == {"current": 5, "optimised": 5}
    frontier = trace_lengths(page, "chart-frontier")
    assert frontier == {"efficient frontier": len(result["frontier"]), "selected": 1}
    for axis in ("xtick", "ytick"):  # a narrow range's ticks never read alike ("11%, 11%")
        labels = page.locator(f"#chart-frontier .{axis} text").all_text_contents()
        assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    assert f"{result['volatility']:.2%}" in page.inner_text("#optimise-result")
    # the Sharpe ratio names the risk-free rate it is measured against (the request's)
    assert result["options"]["risk_free_rate"] == 0.0
    assert "Sharpe ratio (against a 0.00% risk-free rate)\t" in page.inner_text("#optimise-result")
    assert page.inner_text("#optimised-sharpe") == f"{result['sharpe_ratio']:.2f}"
    level = f"{100 * result['risk_report']['level']:g}%"  # "95%", as the chat writes it
    shown = page.inner_text("#optimise-result")
    assert (
        f"Daily VaR ({level} confidence)\t" in shown and f"Daily CVaR ({level} confidence)" in shown
    )
    assert result["data"]["data_end"] == "2022-12-28"
    assert page.inner_text("#optimised-data").endswith("; the market data ends on 2022-12-28")
    screenshot(page, artifacts / "portfolio-optimised.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete Defensive five").click()
    row.wait_for(state="detached")
    with server.client() as client:
        assert client.get("/v1/portfolios").json()["items"] == []
    assert page.problems == []


def test_upload_data_and_optimise_a_portfolio_on_it(
    page: Any, server: Server, tmp_path: Path
) -> None:
    # two years of seeded prices of three made-up assets
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2020-01-01", periods=504)
    daily = rng.normal(0.0004, [0.01, 0.015, 0.02], size=(len(dates), 3))
    prices = pd.DataFrame(
        100 * np.cumprod(1 + daily, axis=0), index=dates, columns=["AAA", "BBB", "CCC"]
    )
    path = tmp_path / "three.csv"
    prices.to_csv(path, index_label="date")

    sign_in(page, server, "#/portfolios")
    page.set_input_files("#dataset-file", str(path))
    page.fill("#dataset-name", "Three assets")
    page.click("#dataset-upload")
    page.wait_for_selector("#dataset-status:has-text('Uploaded Three assets')")
    with server.client() as client:
        (uploaded,) = [
            d
            for d in client.get("/v1/market-data/datasets").json()["items"]
            if d["name"] == "Three assets"
        ]
    assert uploaded["columns"] == ["AAA", "BBB", "CCC"] and uploaded["n_rows"] == 504
    assert page.input_value("#portfolio-dataset") == uploaded["id"]  # the new data is selected

    page.fill("#portfolio-name", "Made-up three")
    page.fill("#portfolio-weights", "AAA 0.5\nBBB 0.3\nCCC 0.2")
    page.click("#portfolio-save")
    row = page.locator("#portfolios-table tbody tr", has_text="Made-up three")
    row.wait_for()
    with server.client() as client:
        saved = next(
            p for p in client.get("/v1/portfolios").json()["items"] if p["name"] == "Made-up three"
        )
    assert saved["dataset_id"] == uploaded["id"]

    row.get_by_role("button", name="Optimise Made-up three").click()
    page.select_option("#optimise-method", "hrp")
    with page.expect_response(lambda r: "/v1/optimization/hrp" in r.url) as answer:
        page.click("#optimise-run")
    result = answer.value.json()
    assert answer.value.status == 200, result
    assert sorted(result["weights"]) == ["AAA", "BBB", "CCC"]
    assert trace_lengths(page, "chart-weights") == {"current": 3, "optimised": 3}
    # HRP on the uploaded prices gives more weight to the calmer asset
    assert result["weights"]["AAA"] > result["weights"]["CCC"]

    page.select_option("#optimise-method", "inverse-volatility")
    with page.expect_response(lambda r: "/v1/optimization/inverse-volatility" in r.url) as answer:
        page.click("#optimise-run")
    result = answer.value.json()
    assert answer.value.status == 200, result
    inverse = 1.0 / prices.pct_change().dropna().std()
    expected = inverse / inverse.sum()  # weights in proportion to 1 / volatility
    for asset, weight in expected.items():
        assert abs(result["weights"][asset] - weight) < 1e-9, (asset, result["weights"])
    page.wait_for_selector("#optimise-result:has-text('inverse volatility')")
    assert page.problems == []


def test_a_bad_key_brings_back_the_sign_in_form(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/#key=stg_not-a-real-key")  # the start page asks the API: 401
    page.wait_for_selector("#signin")
    assert "unknown or revoked API key" in page.inner_text("#signin-message")
    assert page.evaluate("sessionStorage.getItem('stratigos.apiKey')") is None

    page.fill("#api-key", server.key)
    page.keyboard.press("Enter")
    page.wait_for_selector(".start-grid")
    assert page.evaluate("sessionStorage.getItem('stratigos.apiKey')") == server.key


def test_a_chart_whose_plotly_did_not_load_is_drawn_by_the_next_attempt(
    page: Any, server: Server
) -> None:
    """plotly.js is loaded by the first chart a page draws; a load that fails (a dropped
    connection) is tried again by the next chart, not left failed until the page is reloaded."""
    dropped: list[str] = []

    def drop_the_first(route: Any) -> None:
        if dropped:
            route.continue_()
        else:
            dropped.append(route.request.url)
            route.abort()

    page.route("**/static/vendor/plotly.min.js*", drop_the_first)
    sign_in(page, server, "#/portfolios")
    page.fill("#portfolio-name", "Calm pair")
    page.fill("#portfolio-weights", "KO 0.5\nPG 0.5")
    page.click("#portfolio-save")
    row = page.locator("#portfolios-table tbody tr", has_text="Calm pair")
    row.wait_for()
    row.get_by_role("button", name="Optimise Calm pair").click()
    page.select_option("#optimise-method", "hrp")
    assert page.evaluate("typeof window.Plotly") == "undefined"  # no chart yet, no plotly.js
    with page.expect_response(lambda r: "/v1/optimization/hrp" in r.url) as answer:
        page.click("#optimise-run")
    assert answer.value.status == 200
    failed = page.locator("#chart-weights[data-chart-error] .chart-error")
    failed.wait_for()
    assert "could not be drawn" in failed.inner_text()
    with page.expect_response(lambda r: "/v1/optimization/hrp" in r.url) as answer:
        page.click("#optimise-run")
    assert trace_lengths(page, "chart-weights") == {"current": 2, "optimised": 2}
    assert page.locator(".chart-error").count() == 0
    assert len(dropped) == 1
    # the browser's own line on the dropped request; no uncaught error
    assert all("ERR_FAILED" in p for p in page.problems), page.problems
