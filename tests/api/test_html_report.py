"""The self-contained HTML report: its embedded chart data, its escaping, no network needed."""

from __future__ import annotations

import copy
import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from api.reports import write_reports
from api.reports.html import render_html_report
from graphs.optimization_run import RunOutcome, run_optimization
from graphs.request import OptimizationRequest

REQUEST = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2010-01-01",
    "n_paths": 20,
    "horizon": 168,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.2},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 84, "step": 21},
        "rebalance_every": 21,
    },
    "budget": {"max_trials": 24, "batch_size": 8},
}

DATA = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunOutcome]:
    """One small offline optimization (24 trials in 3 batches) in a temporary data directory."""
    from settings import get_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRATIGOS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        patch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        try:
            outcome = run_optimization(OptimizationRequest.model_validate(REQUEST))
        finally:
            get_settings.cache_clear()
        yield outcome


@pytest.fixture(scope="module")
def result(run: RunOutcome) -> dict[str, Any]:
    """The result as stored in result.json (what the API and the CLI read back)."""
    return json.loads((run.directory / "result.json").read_text())


def embedded(page: str) -> dict[str, Any]:
    return {name: json.loads(text) for name, text in DATA.findall(page)}


def test_a_failed_run_gets_no_reports(run: RunOutcome, tmp_path: Path) -> None:
    (tmp_path / "request.json").write_text((run.directory / "request.json").read_text())
    (tmp_path / "result.json").write_text(json.dumps({"status": "failed", "reason": "boom"}))
    assert write_reports(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["request.json", "result.json"]


def test_write_reports_puts_report_html_next_to_report_md(run: RunOutcome) -> None:
    assert not (run.directory / "report.md").exists()  # the graph's run writes no reports
    write_reports(run.directory)
    assert (run.directory / "report.md").is_file()
    page = (run.directory / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    stored = json.loads((run.directory / "result.json").read_text())
    assert embedded(page)["data-convergence"]["best_objective"] == stored["convergence"]


def test_embedded_chart_data_has_one_point_per_trial_batch_and_scenario(
    result: dict[str, Any],
) -> None:
    page = render_html_report(result)
    data = embedded(page)
    assert set(data) == {"data-convergence", "data-risk-return", "data-scenarios"}
    trials = result["trials"]
    assert len(trials) == result["n_trials"] == 24
    scenarios = list(result["best"]["scenarios"])
    assert len(scenarios) >= 2

    convergence = data["data-convergence"]
    assert len(result["convergence"]) == 3  # 24 trials in batches of 8
    assert convergence["best_objective"] == result["convergence"]
    assert convergence["batch"] == [1, 2, 3]

    scatter = data["data-risk-return"]
    assert [s["scenario"] for s in scatter["series"]] == scenarios
    for series in scatter["series"]:
        name = series["scenario"]
        assert len(series["x"]) == len(series["y"]) == len(series["trial"]) == len(trials)
        # x: annualised volatility in %, y: CAGR in %
        assert series["x"] == pytest.approx([100 * t[f"{name}.volatility"] for t in trials])
        assert series["y"] == pytest.approx([100 * t[f"{name}.cagr"] for t in trials])
    assert scatter["best"]["trial"] == result["best"]["trial"]

    bars = data["data-scenarios"]
    assert bars["scenario"] == scenarios
    best = result["best"]["scenarios"]
    assert bars["sharpe"] == pytest.approx([best[s]["sharpe"] for s in scenarios])
    assert bars["cagr"] == pytest.approx([100 * best[s]["cagr"] for s in scenarios])
    assert bars["max_drawdown"] == pytest.approx([100 * best[s]["max_drawdown"] for s in scenarios])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_with_plotly_inlined(result: dict[str, Any]) -> None:
    from plotly.offline import get_plotlyjs

    page = render_html_report(result)
    assert get_plotlyjs() in page  # plotly.js inline, not from a CDN
    assert "Plotly.newPlot" in page
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert not (tag == "script" and attrs.get("src")), "external script"
        assert tag != "link", "external stylesheet or font"
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, value)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page.split("<script")[0])


def test_sections_trials_table_and_manifest(result: dict[str, Any]) -> None:
    page = render_html_report(result)
    for heading in (
        "Convergence",
        "Risk and return of every trial",
        "Best configuration by scenario",
        "Configuration and explanation",
        "Risk report",
        "Trials",
        "Run manifest",
    ):
        assert f"<h2>{heading}</h2>" in page
    # one table row per trial; the sortable headers are buttons (keyboard accessible)
    trials_html = page.split('id="trials-table"')[1].split("</table>")[0]
    assert trials_html.count("<tr>") == len(result["trials"]) + 1  # + the header row
    assert trials_html.count('<button type="button" data-col=') >= 10
    manifest = result["manifest"]
    assert manifest["dataset"]["sha256"] in page
    for role, digest in manifest["prompt_hashes"].items():
        assert digest in page and role in page
    assert f"<th scope='row'>seed</th><td>{manifest['seed']}</td>" in page
    # the risk report shows VaR/CVaR/drawdown of each scenario as percentages
    var = next(iter(result["best"]["scenarios"].values()))["var_95"]
    assert f"{var * 100:.2f}%" in page
    # the Sharpe ratio and the percentages are drawn in separate panels, never on one axis
    drawing = page.split("Plotly.newPlot('chart-scenarios'")[1].split("cfg);")[0]
    assert "overlaying" not in drawing and "xaxis:'x2',yaxis:'y2'" in drawing
    # the benchmark table: per scenario the winner and each benchmark the result holds for it
    # (the universe held, rebalanced, an optimizer's sleeve at 100%, the index; a single sleeve
    # is the equal-weight row, listed once), and the winner's edge over them
    table = page.split('id="benchmarks"')[1].split("</table>")[0]
    scenarios = result["best"]["scenarios"]
    per_scenario = [1 + sum(s in b for b in result["benchmarks"].values()) for s in scenarios]
    assert min(per_scenario) >= 3
    assert table.count("<tr>") == 1 + sum(per_scenario)
    assert html.escape(result["edge"]["words"]) in page
    assert "equal-weight buy-and-hold" in table
    # every Sharpe ratio on the page says what rate it is in excess of
    rate = f"the request&#x27;s {result['edge']['safe_rate']:.2%} safe rate"
    assert f"Sharpe ratio in excess of {rate} (first panel)" in page
    assert f"Sharpe: in excess of {rate}." in page
    assert f"Sharpe ratios are in excess of {rate}." in page
    assert result["feasibility"].capitalize() in page


def test_strings_from_the_result_are_escaped(result: dict[str, Any]) -> None:
    evil = copy.deepcopy(result)
    evil["explanation"]["text"] = "Because <script>alert(1)</script> & more."
    evil["warnings"] = ['"><img src=x onerror=alert(2)>']
    name = "bear</script><script>alert(3)</script>"
    evil["best"]["scenarios"][name] = evil["best"]["scenarios"].pop("bear")
    for trial in evil["trials"]:
        trial["weight_function"] = "<b>sigmoid</b>"
    page = render_html_report(evil, title="<i>title</i>")
    assert "<script>alert(1)</script>" not in page
    assert "Because &lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in page
    assert "<img src=x" not in page and "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script>alert(3)</script>" not in page
    assert "<b>sigmoid</b>" not in page and "&lt;b&gt;sigmoid&lt;/b&gt;" in page
    assert "<title>&lt;i&gt;title&lt;/i&gt;</title>" in page
    # the JSON data still parses, and carries the raw name
    data = embedded(page)
    assert name in data["data-scenarios"]["scenario"]
    assert page.count('<script type="application/json"') == 3


def test_trials_given_apart_replace_the_documents_and_a_failed_result_renders(
    result: dict[str, Any],
) -> None:
    without = {k: v for k, v in result.items() if k != "trials"}
    page = render_html_report(without, trials=result["trials"][:5])
    scatter = embedded(page)["data-risk-return"]
    assert all(len(s["x"]) == 5 for s in scatter["series"])

    failed = render_html_report({"status": "failed", "reason": "ValueError: <bad> input"})
    assert "status-failed" in failed and "ValueError: &lt;bad&gt; input" in failed
    data = embedded(failed)
    assert data["data-convergence"]["best_objective"] == []
    assert data["data-scenarios"]["scenario"] == []


def test_write_a_report_for_the_browser_check(result: dict[str, Any], tmp_path: Path) -> None:
    """The page is one file: written alone into an empty directory it holds everything."""
    target = tmp_path / "report.html"
    target.write_text(render_html_report(result), encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert target.stat().st_size > 3_000_000  # plotly.js (several MB) is inside
