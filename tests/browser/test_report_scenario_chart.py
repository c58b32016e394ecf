"""The HTML report's chart of the best configuration by scenario, in Chromium at a laptop's and a
phone's width, over generated results (which scenarios, in which order, Sharpe ratios, CAGRs
and drawdowns of either sign and any size): no two of its labels overlap and none lies over a
plotting area (the measure of tests/browser/test_ui_journey.py). A report's labels once
depended on its numbers: with the right-hand panel's last bars narrow, "high-volatility" ran
under that panel's axis ("0")."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.reports.html import render_html_report
from tests.browser.conftest import Server
from tests.browser.test_ui_journey import MEASURE, WIDTHS

SCENARIOS = ("bull", "bear", "high_vol", "low_vol", "base")


@st.composite
def results(draw: st.DrawFn) -> dict[str, Any]:
    """A finished optimization's result with only what the chart reads: the best configuration's
    path means per scenario."""
    names = draw(st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=5, unique=True))
    return {
        "status": "succeeded",
        "best": {
            "trial": 1,
            "objective": 1.0,
            "scenarios": {
                name: {
                    "sharpe": draw(st.floats(-3, 5)),
                    "cagr": draw(st.floats(-0.6, 1.5)),
                    "max_drawdown": draw(st.floats(0, 0.9)),
                    "volatility": draw(st.floats(0.01, 0.6)),
                }
                for name in names
            },
        },
    }


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(result=results())
def test_the_scenario_chart_s_labels_never_overlap(
    page: Any, server: Server, result: dict[str, Any]
) -> None:
    report = render_html_report(result)
    for width, size in WIDTHS.items():
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.goto(f"{server.url}/static/report.html")  # the page the web UI opens a report in
        page.set_content(report, wait_until="load")
        page.wait_for_selector("#chart-scenarios .main-svg")
        seen = page.evaluate(MEASURE)
        overlaps = [o for o in seen["overlaps"] if o.startswith("chart-scenarios")]
        assert not overlaps, f"{width}: {overlaps} for {result['best']['scenarios']}"
    assert page.problems == []
