"""The optimization form's Protection section in Chromium: an overlay search submitted with a
bear-scenario drawdown limit runs to the end and the results show the winner's overlay; bad
protection settings are caught beside their field before anything is sent, and the API's
errors are shown beside the field they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.support import Server, sign_in


def _small_run(page: Any) -> None:
    page.fill("#max-trials", "12")
    page.fill("#batch-size", "6")
    page.fill("#n-paths", "20")
    page.fill("#universe", "AAPL, KO, XOM")
    page.fill("#start", "2010-01-01")
    for scenario in ("bull", "high_vol", "low_vol"):
        page.uncheck(f"#scenario-{scenario}")


def test_an_overlay_search_with_a_bear_drawdown_limit_shows_the_winner_s_overlay(
    page: Any, server: Server, artifacts: Path
) -> None:
    sign_in(page, server)
    _small_run(page)
    page.uncheck("#overlay-kind-none")
    page.check("#overlay-kind-put")
    page.check("#overlay-kind-collar")
    page.fill("#overlay-strike-low", "85")
    page.fill("#overlay-strike-high", "95")
    page.fill("#overlay-call-strike", "112")
    page.check("#overlay-tenor-21")  # with 63, checked by default
    page.fill("#overlay-budget-low", "2")
    page.fill("#overlay-budget-high", "2")
    page.fill("#limit-max-drawdown", "50")
    page.check("#limit-scenario-bear")
    page.locator("#overlay-kind-none").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "protection-form.png"))
    page.click("#submit-optimization")

    page.wait_for_function("location.hash.startsWith('#/jobs/job_')")
    job_id = page.evaluate("location.hash").split("/")[-1]
    page.wait_for_selector(f"body[data-results-ready='{job_id}']", timeout=120_000)
    with server.client() as client:
        job = client.get(f"/v1/optimizations/{job_id}").json()
        results = client.get(f"/v1/optimizations/{job_id}/results").json()
    space = job["request"]["search_space"]
    assert space["overlay"] == {"choices": ["put", "collar"]}
    assert space["overlay_strike"] == {"low": 0.85, "high": 0.95}
    assert space["overlay_call_strike"] == 1.12
    assert space["overlay_tenor_days"] == {"choices": [21, 63]}
    assert space["overlay_roll"] == "expiry" and space["overlay_hedge_ratio"] == 1
    assert space["overlay_budget"] == 0.02
    limits = job["request"]["risk_limits"]
    assert limits["max_drawdown"] == 0.5 and limits["scenarios"] == ["bear"]

    config = results["config_summary"]["config"]
    assert config["overlay"] in ("put", "collar") and config["overlay_budget"] == 0.02
    shown = page.inner_text("#protection-winner")
    name = {"put": "protective put", "collar": "collar"}[config["overlay"]]
    assert f"Overlay\t{name}" in shown
    assert f"Bought put strike\t{config['overlay_strike'] * 100:.2f}%" in shown
    assert f"Tenor, trading days\t{config['overlay_tenor_days']}" in shown
    assert "Annual budget cap\t2% of wealth" in shown
    assert ("Sold call strike\t112%" in shown) == (config["overlay"] == "collar")
    assert "Roll band" not in shown  # the winner rolls at expiry: the band is not used
    assert "max_drawdown <= 0.5 in bear" in page.inner_text("#config-summary")
    page.locator("#protection").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "protection-results.png"))
    # the trials table has the overlay's columns
    header = page.inner_text("#trials-table thead")
    assert "overlay" in header and "overlay strike" in header
    assert page.problems == []


def test_protection_settings_are_checked_beside_their_field_before_sending(
    page: Any, server: Server
) -> None:
    sign_in(page, server)
    page.check("#overlay-kind-collar")
    page.fill("#overlay-strike-high", "98")
    page.fill("#overlay-call-strike", "95")  # a collar sells its call above the put's strike
    page.click("#submit-optimization")
    error = page.locator("#overlay-call-strike-error")
    error.wait_for(state="visible")
    assert "sold call strike must be above the bought put's highest strike" in error.inner_text()
    assert page.get_attribute("#overlay-call-strike", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "overlay-call-strike"
    assert page.url.endswith("#/optimize")  # nothing was sent

    page.fill("#overlay-call-strike", "110")
    page.fill("#overlay-budget-low", "1")  # one end of the budget range only
    page.click("#submit-optimization")
    page.locator("#overlay-budget-high-error").wait_for(state="visible")
    assert page.locator("#overlay-call-strike-error").count() == 0  # earlier marks are cleared
    assert page.url.endswith("#/optimize")

    page.uncheck("#overlay-kind-none")
    page.uncheck("#overlay-kind-collar")
    page.click("#submit-optimization")
    assert "Choose at least one overlay kind" in page.inner_text("#overlay-kind-none-error")
    assert page.problems == []


def test_the_api_s_errors_are_shown_beside_the_field_they_name(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.fill("#horizon", "63")  # lookback up to 126 days leaves too little of the horizon
    page.click("#submit-optimization")
    error = page.locator("#lookback-low-error")
    error.wait_for(state="visible")
    assert "lookback up to 126 days leaves too few of the 63-day horizon" in error.inner_text()
    assert "body.search_space.lookback" in page.inner_text("#alert")
    assert page.get_attribute("#lookback-low", "aria-invalid") == "true"
    # every overlay field the API can name has its control
    ids = page.evaluate(
        """async () => {
            const { inputOfField } = await import('./static/optimize.js');
            const names = ['overlay', 'overlay_strike', 'overlay_lower_strike',
              'overlay_call_strike', 'overlay_tenor_days', 'overlay_roll', 'overlay_roll_band',
              'overlay_hedge_ratio', 'overlay_budget'];
            return names.map((n) => {
              const id = inputOfField(`body.search_space.${n}`);
              return id && document.getElementById(id) ? id : `missing ${n}`;
            });
        }"""
    )
    assert not [i for i in ids if i.startswith("missing")], ids
    assert page.problems == []
