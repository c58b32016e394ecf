"""Investment ideas in Chromium: create one (the API's validation shown), its computed numbers
with their definition, evidence and history; move it through its statuses (a refused move is
impossible from the buttons, which offer only the allowed ones), optimize it once accepted;
filter the list; delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in


def test_create_review_accept_optimize_filter_delete(
    page: Any, server: Server, artifacts: Path
) -> None:
    sign_in(page, server, "#/ideas")
    page.wait_for_selector("#ideas-status:has-text('No ideas yet')")

    page.fill("#idea-title", "Staples")
    page.fill("#idea-thesis", "Staples hold up when the market is volatile.")
    page.fill("#idea-tickers", "jnj, ko NOPE")
    page.click("#idea-save")
    alert = page.locator("#alert")
    alert.wait_for(state="visible")
    assert "NOPE" in alert.inner_text()

    page.fill("#idea-tickers", "jnj, ko pg")
    page.click("#idea-save")
    page.wait_for_selector("#idea-detail:not([hidden]) #idea-status:has-text('Proposed')")
    with server.client() as client:
        (idea,) = client.get("/v1/ideas").json()["items"]
    assert idea["tickers"] == ["JNJ", "KO", "PG"]
    metrics = page.inner_text("#idea-metrics")
    assert f"{idea['metrics']['volatility']:.2%}" in metrics
    assert f"Last 252 daily returns, {idea['metrics']['definition']['data_start']}" in metrics
    assert page.inner_text("#idea-evidence") == "No evidence attached."
    assert not page.locator("#idea-optimize").count()

    moves = page.locator("#idea-moves button")
    assert moves.all_inner_texts() == ["Move to Under review", "Move to Retired", "Delete idea"]
    page.fill("#idea-reason", "worth a look")
    page.get_by_role("button", name="Move to Under review").click()
    page.wait_for_selector("#idea-status:has-text('Under review')")
    page.get_by_role("button", name="Move to Accepted").click()
    page.wait_for_selector("#idea-status:has-text('Accepted')")
    history = page.locator("#idea-history li").all_inner_texts()
    assert len(history) == 3 and "Proposed → Under review by api (worth a look)" in history[1]

    page.click("#idea-optimize")
    link = page.locator("#idea-job-link")
    link.wait_for()
    job_id = link.inner_text().split()[-1]
    assert page.locator("#idea-evidence li", has_text=job_id).count() == 1
    screenshot(page, artifacts / "idea-optimized.png", full_page=True)
    with server.client() as client:
        job = client.get(f"/v1/optimizations/{job_id}").json()
        assert job["request"]["universe"] == ["JNJ", "KO", "PG"]
        client.delete(f"/v1/optimizations/{job_id}")  # the run itself is not under test
        client.post("/v1/ideas", json={"title": "Oil", "thesis": "t", "tickers": ["XOM"]})

    page.evaluate("() => { window.location.hash = '#/ideas'; }")
    page.wait_for_selector("#ideas-table tbody tr >> nth=1")
    page.select_option("#filter-status", "accepted")
    page.click("#filter-apply")
    page.wait_for_selector("#ideas-status:has-text('1 idea shown.')")
    assert page.locator("#ideas-table tbody tr").all_inner_texts()[0].startswith("Staples")
    page.select_option("#filter-status", "")
    page.fill("#filter-ticker", "xom")
    page.click("#filter-apply")
    page.wait_for_selector("#ideas-table tbody tr:has-text('Oil')")
    assert page.locator("#ideas-table tbody tr").count() == 1

    page.get_by_role("button", name="Open Oil").click()
    page.wait_for_selector("#idea-detail-title:has-text('Oil')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#idea-delete")
    page.wait_for_selector("#idea-detail", state="hidden")
    with server.client() as client:
        assert [i["title"] for i in client.get("/v1/ideas").json()["items"]] == ["Staples"]
    assert page.problems == []
