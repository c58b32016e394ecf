"""The profile page in Chromium (view, edit, exclusions checked by the API, a stale version
refused) and the optimization form pre-filled from the profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in


@pytest.mark.usefixtures("module_classification_file")  # classifies tobacco (MO, PM)
def test_edit_the_profile_and_see_it_prefill_the_form(
    page: Any, server: Server, artifacts: Path
) -> None:
    sign_in(page, server, "#/profile")
    page.wait_for_selector("#profile-status:has-text('No profile saved yet')")
    page.select_option("#profile-tolerance", "conservative")
    page.fill("#profile-max-drawdown", "25")
    page.select_option("#profile-max-drawdown-statistic", "p99")  # in 99% of paths
    page.fill("#profile-universe", "aapl, KO, JNJ")
    page.fill("#profile-exclude", "crypto")
    page.click("#profile-exclude-add")
    page.click("#profile-save")
    alert = page.locator("#alert")
    alert.wait_for(state="visible")
    assert "'crypto' matches no known ticker, sector or industry" in alert.inner_text()
    with server.client() as client:
        assert client.get("/v1/profile").json()["version"] == 0  # nothing saved

    page.get_by_role("button", name="Include crypto again").click()
    for term in ("tobacco", "AMD"):
        page.fill("#profile-exclude", term)
        page.click("#profile-exclude-add")
    page.click("#profile-save")
    page.wait_for_selector("#profile-status:has-text('Version 1')")
    with server.client() as client:
        saved = client.get("/v1/profile").json()
    assert saved["risk_tolerance"] == "conservative"
    assert saved["risk_limits"]["max_drawdown"] == {"limit": 0.25, "statistic": "p99"}
    assert saved["universe"] == ["AAPL", "KO", "JNJ"]
    assert saved["exclusions"] == ["tobacco", "AMD"]
    screenshot(page, artifacts / "profile.png", full_page=True)

    # changed elsewhere meanwhile: the page's save is refused, not applied over it
    with server.client() as client:
        assert client.patch("/v1/profile", json={"benchmark": "SP500"}).status_code == 200
    page.fill("#profile-max-drawdown", "30")
    page.click("#profile-save")
    page.wait_for_selector("#alert:has-text('changed elsewhere')")
    with server.client() as client:
        now = client.get("/v1/profile").json()
    assert now["version"] == 2 and now["risk_limits"]["max_drawdown"]["limit"] == 0.25

    # reloaded, the page edits version 2: a notification destination is added and saved
    page.evaluate("() => { window.location.hash = '#/jobs'; }")
    page.evaluate("() => { window.location.hash = '#/profile'; }")
    page.wait_for_selector("#profile-status:has-text('Version 2')")
    page.click("#profile-destination-add")
    page.fill("#dest-address-0", "pm@example.com")
    page.locator(".destination .dest-kind[value='daily_summary']").check()
    page.click("#profile-save")
    page.wait_for_selector("#profile-status:has-text('Version 3')")
    with server.client() as client:
        [destination] = client.get("/v1/profile").json()["notifications"]["destinations"]
    assert destination["channel"] == "email" and destination["address"] == "pm@example.com"
    assert "daily_summary" in destination["kinds"] and "limit_breach" in destination["kinds"]

    page.evaluate("() => { window.location.hash = '#/optimize'; }")
    page.wait_for_selector("#profile-note")
    assert page.input_value("#universe") == "AAPL, KO, JNJ"
    assert page.input_value("#limit-max-drawdown") == "25"  # with its statistic
    assert page.input_value("#limit-max-drawdown-statistic") == "p99"
    note = page.inner_text("#profile-note")
    assert "From your profile (editable): universe, max drawdown." in note
    assert "Your profile excludes tobacco, AMD" in note
    assert page.problems == []
