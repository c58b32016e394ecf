"""The optimization journey in Chromium: sign in from the address fragment, fill and submit the
form with the keyboard, watch the progress, see every chart with the API's number of points,
sort and page the trials table, download JSON and CSV, open the report, list the jobs."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from services.formatting import vocabulary
from tests.browser.conftest import screenshot
from tests.support.browser import (
    Server,
    sign_in,
    small_request,
    succeeded_job,
    trace_lengths,
    wait_for_job,
)


def _in_words(text: str) -> str:
    """An API sentence as the page writes it: snake_case names of the vocabulary in its words,
    other snake_case words with spaces, "<=" as "≤" (a plain re-statement of format.js's
    inWords)."""
    words = vocabulary()
    known = {
        **{k: v["label"] for k, v in words["parameters"].items()},
        **{k: v["label"] for k, v in words["metrics"].items()},
        **words["scenarios"],
    }
    text = text.replace("<=", "≤").replace(">=", "≥")
    return re.sub(
        r"\b[a-z]+(?:_(?:[a-z][a-z0-9]*|\d{2}))+\b",
        lambda m: known.get(m.group(0), m.group(0).replace("_", " ")),
        text,
    )


def _job(server: Server, job_id: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/v1/optimizations/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _results(server: Server, job_id: str, **params: Any) -> dict[str, Any]:
    with server.client() as client:
        response = client.get(f"/v1/optimizations/{job_id}/results", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def test_the_key_moves_from_the_address_bar_to_session_storage(page: Any, server: Server) -> None:
    sign_in(page, server)
    assert "key=" not in page.url and page.url.endswith("#/optimize")
    assert page.evaluate("sessionStorage.getItem('stratigos.apiKey')") == server.key
    # a page without a chart never loads plotly.js (4.8 MB); the charts below load it
    assert page.evaluate("typeof window.Plotly") == "undefined"
    assert page.problems == []


def test_form_progress_results_and_charts(page: Any, server: Server, artifacts: Path) -> None:
    sign_in(page, server)
    page.fill("#max-trials", "40")
    page.fill("#batch-size", "10")
    page.fill("#n-paths", "20")
    page.uncheck("input[name=scenario][value=high_vol]")
    page.uncheck("input[name=scenario][value=low_vol]")
    page.check("#start-cold")  # a cold search, to compare like for like
    screenshot(page, artifacts / "optimization-form.png", full_page=True)
    # keyboard only: from the last field, Tab reaches the submit button, Enter submits
    page.focus("#seed")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit-optimization"
    page.keyboard.press("Enter")

    page.wait_for_function("() => location.hash.startsWith('#/jobs/job_')")
    job_id = page.evaluate("location.hash").split("/")[-1]
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    screenshot(page, artifacts / "optimization-results.png", full_page=True)

    results = _results(server, job_id, limit=20)
    charts = results["charts"]
    assert len(charts["convergence"]) == 4  # 40 trials in batches of 10
    # the progress bar is full and the live chart grew one point per batch from the stream
    assert page.get_attribute("#job-progress", "value") == "40"
    assert page.get_attribute("#job-progress", "max") == "40"
    assert "40 of 40 trials" in page.inner_text("#job-progress-text")
    assert page.inner_text("#job-status") == "succeeded"
    convergence = page.get_attribute("#chart-convergence", "data-live-points")
    assert convergence == str(len(charts["convergence"]))
    assert trace_lengths(page, "chart-convergence") == {"best objective": 4}
    drawn_best = page.evaluate("document.getElementById('chart-convergence').data[0].y")
    # the first chart loaded plotly.js once, from the API (no CDN)
    scripts = page.evaluate(
        "[...document.scripts].map((s) => s.src).filter((s) => s.includes('plotly'))"
    )
    assert scripts == [f"{server.url}/static/vendor/plotly.min.js?v={version('plotly')}"]
    assert drawn_best == pytest.approx([p["best_objective"] for p in charts["convergence"]])

    # risk-return: one trace per scenario, one point per trial
    assert trace_lengths(page, "chart-risk-return") == {
        name: len(rows) for name, rows in charts["risk_return"].items()
    }
    assert sorted(charts["risk_return"]) == ["base", "bear", "bull"]
    assert all(len(rows) == 40 for rows in charts["risk_return"].values())
    # scenario bars and risk: one bar per scenario in every metric's trace
    bars = trace_lengths(page, "chart-scenarios")
    assert set(bars) == {"Sharpe ratio", "CAGR", "volatility"}
    # a Sharpe ratio and percentages never share an axis: separate panels, each from zero
    axes = page.evaluate(
        "Object.fromEntries(document.getElementById('chart-scenarios').data"
        ".map(t => [t.name, t.yaxis]))"
    )
    assert axes == {"Sharpe ratio": "y", "CAGR": "y2", "volatility": "y2"}
    assert set(bars.values()) == {len(charts["scenario_bars"])}
    risk = trace_lengths(page, "chart-risk")
    assert set(risk.values()) == {len(charts["risk"])} and len(risk) == 3
    assert page.locator("#risk-table tbody tr").count() == len(charts["risk"])
    first_risk = charts["risk"][0]
    row = page.locator("#risk-table tbody tr").first.inner_text()
    assert first_risk["scenario"] in row and f"{first_risk['var_95'] * 100:.2f}%" in row

    # summary panel and explanation (in words), manifest (in words, not JSON)
    assert page.inner_text("#explanation") == _in_words(results["explanation"]["text"])
    summary = page.inner_text("#config-summary")
    assert "Objective\t" in summary and "Sharpe ratio (scenario-weighted mean)" in summary
    config = results["config_summary"]["config"]
    assert f"Volatility target\t{config['target_vol'] * 100:.2f}%" in summary
    assert "target_vol" not in summary and "overlay" not in summary.lower()
    # asked to start cold: the request says so, and the page as the report does
    assert _job(server, job_id)["request"]["warm_start"] is False
    assert results["config_summary"]["start"] == "cold (asked for)"
    assert page.inner_text("#results-start") == "Cold (asked for)"
    manifest = results["manifest"]
    assert page.get_attribute("#manifest-table", "data-request-hash") == manifest["request_hash"]
    assert manifest["request_hash"][:12] in page.text_content("#manifest-table")
    assert page.problems == []


def test_results_say_what_feasible_means_why_the_run_stopped_and_what_to_doubt(
    page: Any, server: Server
) -> None:
    """A run with a drawdown limit (its first round may use 70% of the trials) and a lookback
    range of two values (the winner sits at an edge): "In short" says first whether the winner
    beats its benchmarks, each limit in words with its statistic and the value found, and why
    it stopped at 28 of 40 trials; the summary panel the risk check and the warnings."""
    request = {
        **small_request(),
        "risk_limits": {"max_drawdown": {"limit": 0.5, "statistic": "p95"}},
        "search_space": {
            "target_vol": {"low": 0.05, "high": 0.25},
            "weight_function": "inverse_vol",
            "lookback": {"low": 21, "high": 42, "step": 21},
            "rebalance_every": 21,
        },
    }
    with server.client() as client:
        job = client.post("/v1/optimizations", json=request).json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
    results = _results(server, job["id"])
    summary = results["config_summary"]
    assert summary["n_trials"] == 28 and summary["max_trials"] == 40
    assert summary["stop_reason"].startswith("28 of 40 trials")
    edge = [w for w in results["warnings"] if "search range" in w]
    assert edge

    sign_in(page, server, f"#/jobs/{job['id']}")
    page.wait_for_selector(f"body[data-results-ready='{job['id']}']")
    panel = page.inner_text("#config-summary")
    assert f"Risk check\t{_in_words(summary['risk_verdict'])}" in panel
    assert summary["risk_verdict"].startswith("approved by the risk manager")
    assert "Trials\t28 of 40" in panel
    # how it started, in the report's words (warm or cold, whatever the module's earlier runs
    # taught this owner's model), the early stop said once, below
    start = summary["start"]
    assert start and "stopped early" not in start
    assert f"Start\t{start[0].upper()}{_in_words(start)[1:]}" in panel
    # each earlier job it names (the runs learnt from, the cold run compared with) is a link
    hrefs = page.eval_on_selector_all("#results-start a", "els => els.map(a => a.hash)")
    assert hrefs == [f"#/jobs/{job_id}" for job_id in re.findall(r"\bjob_\w+", start)]
    # the same rule on a warm start's words, whatever this one's start was (a cold start names
    # no job): each job id a link, a run id text
    linked = page.evaluate(
        """async (text) => {
            const { withJobLinks } = await import('./static/results.js');
            const span = document.createElement('span');
            span.append(...withJobLinks(text));
            return [[...span.querySelectorAll('a')].map((a) => a.hash), span.textContent];
        }""",
        "warm from the model of job_01ab and job_02cd (run_03ef); saved 12 trials",
    )
    assert linked == [
        ["#/jobs/job_01ab", "#/jobs/job_02cd"],
        "warm from the model of job_01ab and job_02cd (run_03ef); saved 12 trials",
    ]
    stopped = page.inner_text("#results-stopped")
    assert stopped == "Stopped at 28 of 40 trials: " + _in_words(
        summary["stop_reason"].removeprefix("28 of 40 trials: ")
    )
    (limit,) = results["best"]["limits"]
    worst = limit["worst_scenario"]
    statistic = {"p95": "in 95% of", "mean": "on the mean of the"}[limit.get("statistic", "mean")]
    assert page.inner_text("#results-limits") == (
        f"Met: max drawdown ≤ 50.00% {statistic} {worst} paths: "
        f"{limit['values'][worst] * 100:.2f}% (its worst scenario)."
    )
    verdict = page.inner_text("#results-first")
    assert verdict.split("\n", 1)[1].strip().startswith("The winner")  # the benchmarks first
    beaten = results["edge"]["winner"] > max(results["edge"]["scores"].values())
    assert ("does not beat its benchmarks" in verdict) == (not beaten)
    assert _in_words(edge[0]) in page.inner_text("#config-summary .warnings")
    # the benchmarks: four strategies per scenario, as the API computed them, and the edge (the
    # winner's single sleeve at 100% is the equal-weight row, not listed twice)
    rows = page.locator("#benchmark-table tbody tr")
    assert rows.count() == len(results["benchmarks"]) == 4 * 3
    assert [rows.nth(i).get_attribute("data-strategy") for i in range(4)] == [
        "winner",
        "buy_and_hold",
        "equal_weight",
        "market",
    ]
    assert page.inner_text("#benchmark-edge") == _in_words(results["edge"]["words"])
    assert page.inner_text("#results-sharpe") == "in excess of the request's 2.00% safe rate"
    caption = page.inner_text("#benchmark-table caption")
    assert caption == f"{_in_words(results['benchmark_note'])} Metrics are means over paths."
    assert "the market index (the S&P 500 of the embedded data)" in caption
    assert "the same rebalanced daily (the winner's risky sleeve at 100% of wealth)" in caption
    # the data it used, where it ends, outside the raw manifest
    dataset = results["dataset"]
    assert page.inner_text("#results-data") == (
        f"{len(dataset['assets'])} assets, daily returns {dataset['start']} to "
        f"{dataset['end']}; market data sp500 (version {dataset['version']}), which ends on "
        "2022-12-28"
    )
    first = results["benchmarks"][1]
    assert f"{first['max_drawdown'] * 100:.2f}%" in rows.nth(1).inner_text()
    assert page.problems == []


def test_trials_table_sorts_with_the_keyboard_and_pages(page: Any, server: Server) -> None:
    job_id = succeeded_job(server)
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    rows = page.locator("#trials-table tbody tr")
    assert rows.count() == 20
    assert page.inner_text("#trials-status") == "Trials 1–20 of 40"

    page.click("#trials-next")
    page.wait_for_selector("#trials-status:has-text('Trials 21–40 of 40')")
    assert page.is_disabled("#trials-next")
    assert [int(r) for r in rows.evaluate_all("rs => rs.map(r => r.dataset.trial)")] == list(
        range(20, 40)
    )

    best_first = _results(server, job_id, sort="objective", order="desc", limit=1)
    worst_first = _results(server, job_id, sort="objective", order="asc", limit=1)
    sort_button = page.locator("#trials-table button[data-sort='objective']")
    sort_button.focus()
    page.keyboard.press("Enter")
    header = page.locator("#trials-table th:has(button[data-sort='objective'])")
    page.wait_for_function(
        "() => document.querySelector('#trials-table th[aria-sort=descending] "
        "button[data-sort=objective]')"
    )
    page.wait_for_selector("#trials-status:has-text('Trials 1–20 of 40')")
    assert rows.first.get_attribute("data-trial") == str(best_first["trials"]["items"][0]["trial"])
    assert page.evaluate("document.activeElement.dataset.sort") == "objective"  # focus kept
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#trials-table th[aria-sort=ascending] "
        "button[data-sort=objective]')"
    )
    assert header.get_attribute("aria-sort") == "ascending"
    page.wait_for_function(
        "t => document.querySelector('#trials-table tbody tr').dataset.trial === t",
        arg=str(worst_first["trials"]["items"][0]["trial"]),
    )
    assert page.problems == []


def test_json_and_csv_downloads_hold_every_trial(page: Any, server: Server) -> None:
    job_id = succeeded_job(server)
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    with page.expect_download() as csv_download:
        page.click("#download-csv")
    text = Path(csv_download.value.path()).read_text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert csv_download.value.suggested_filename == f"{job_id}-trials.csv"
    assert len(table) == 40 and [int(r["trial"]) for r in table] == list(range(40))
    assert {"objective", "target_vol", "bull.sharpe"} <= set(table[0])

    with page.expect_download() as json_download:
        page.click("#download-json")
    body = json.loads(Path(json_download.value.path()).read_text())
    api = _results(server, job_id, limit=500)
    assert body["job_id"] == job_id and body["trials"]["total"] == 40
    assert body["trials"]["items"] == api["trials"]["items"]
    assert body["charts"] == api["charts"]
    assert page.problems == []


def test_the_html_report_opens_in_a_new_tab(
    page: Any, server: Server, browser_context: Any, artifacts: Path
) -> None:
    job_id = succeeded_job(server)
    with server.client() as client:
        assert client.get(f"/v1/optimizations/{job_id}/report").status_code == 200
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    with browser_context.expect_page() as opened:
        page.click("#open-report")
    report = opened.value  # opened blank at the click, then sent to the fetched report
    report.wait_for_url("**/static/report.html")
    # the empty page loads first; the fetched report is written into it after
    report.wait_for_function("(id) => document.title.includes(id)", arg=job_id)
    assert report.title() == f"Optimization {job_id}"
    report.wait_for_selector("#chart-convergence .main-svg")  # its charts are drawn
    screenshot(report, artifacts / "report.png", full_page=True)
    report.close()


def test_jobs_list_links_to_the_job_and_filters(page: Any, server: Server) -> None:
    job_id = succeeded_job(server)
    sign_in(page, server, "#/jobs")
    row = page.locator(f"#jobs-table tr[data-job='{job_id}']")
    row.wait_for()
    assert "succeeded" in row.inner_text()
    page.select_option("#jobs-filter", "failed")
    row.wait_for(state="detached")
    page.select_option("#jobs-filter", "succeeded")
    row.wait_for()
    row.locator("a").click()
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    assert page.problems == []


def test_an_invalid_request_shows_the_api_error(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.fill("#universe", "AAPL, NOPE")
    page.click("#submit-optimization")  # at the bottom of the form: the page is scrolled down
    alert = page.locator("#alert")
    alert.wait_for(state="visible")
    assert "body.universe.NOPE: unknown ticker" in alert.inner_text()
    # the error banner is scrolled into view, not left above the visible part of the page
    box = page.evaluate(
        "(() => { const r = document.getElementById('alert').getBoundingClientRect();"
        " return [r.top, r.bottom]; })()"
    )
    assert box[0] >= 0 and box[1] <= page.viewport_size["height"]
    assert page.url.endswith("#/optimize")  # nothing was submitted


def test_results_screenshot_for_the_docs(page: Any, server: Server, artifacts: Path) -> None:
    """A 1280x800 screenshot of the results page; also written to the path in
    $STRATIGOS_DOCS_SCREENSHOT when set (docs/images/results.png is made that way)."""
    job_id = succeeded_job(server)
    sign_in(page, server, f"#/jobs/{job_id}")
    page.wait_for_selector(f"body[data-results-ready='{job_id}']")
    page.evaluate("window.scrollTo(0, document.getElementById('charts').offsetTop - 12)")
    page.wait_for_function("() => document.getElementById('chart-risk').data !== undefined")
    targets = [artifacts / "results-1280x800.png"]
    if os.environ.get("STRATIGOS_DOCS_SCREENSHOT"):
        targets.append(Path(os.environ["STRATIGOS_DOCS_SCREENSHOT"]))
    for target in targets:
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000


def test_the_universe_picker_offers_the_market_data_s_tickers(page: Any, server: Server) -> None:
    sign_in(page, server)
    page.wait_for_selector("#universe-pick")
    options = page.eval_on_selector_all("#universe-tickers option", "els => els.map(e => e.value)")
    assert len(options) == 20 and "KO" in options  # the configured (embedded) data's tickers
    hint = page.text_content("#universe-hint") or ""
    assert "sp500" in hint and "to 2022-12-28" in hint
    page.fill("#universe", "AAPL")
    page.fill("#universe-pick", "ko")
    page.click("#universe-add")
    page.fill("#universe-pick", "AAPL")  # already held: not added twice
    page.click("#universe-add")
    assert page.input_value("#universe") == "AAPL, KO"
    assert page.input_value("#end") == "2022-12-28"
    assert page.problems == []


def test_the_start_line_links_each_job_it_names_and_leaves_other_runs_as_text(
    page: Any, server: Server
) -> None:
    """How a warm search started names the runs its strategy model learnt from and the cold run
    it is compared with: each job among them is a link to that job's page, a command line's run
    id (no page) stays text, and the words are unchanged."""
    sign_in(page, server, "#/jobs")
    said = (
        "4 configurations first from strategy model version 3 (learnt from runs job_01JAB12, "
        "run_5f2e0a9b7c1d) and 1 random probes; it came within 1% of cold run job_01JCD34 "
        "(seed 0)'s best objective 1.02 in 3 trials"
    )
    text, links = page.evaluate(
        """async (said) => {
            const { withJobLinks } = await import('./static/results.js');
            const line = document.createElement('span');
            line.append(...withJobLinks(said));
            return [line.textContent,
                    [...line.querySelectorAll('a')].map(a => [a.hash, a.textContent])];
        }""",
        said,
    )
    assert text == said
    assert links == [["#/jobs/job_01JAB12", "job_01JAB12"], ["#/jobs/job_01JCD34", "job_01JCD34"]]


def test_the_convergence_words_say_by_how_much_the_last_batch_improved(
    page: Any, server: Server
) -> None:
    """A search that stopped early because its last batch improved the best objective by 0.5 %
    or less ("In short" says so) reads, beside its chart, by how much that batch raised it, not
    that it "was still improving"; one that stopped improving earlier says since when."""
    sign_in(page, server, "#/jobs")
    summary = {"n_trials": 75, "max_trials": 200}
    rising = [{"best_objective": v} for v in (1.25, 1.30, 1.304)]
    stalled = [{"best_objective": v} for v in (1.25, 1.30, 1.30)]
    said = page.evaluate(
        """async ([rising, stalled, summary]) => {
            const { convergenceWords } = await import('./static/job.js');
            return [convergenceWords(rising, summary), convergenceWords(stalled, summary)];
        }""",
        [rising, stalled, summary],
    )
    stop = ' The run stopped at 75 of 200 trials (why: see "In short").'
    assert said == [
        "The best objective rose from 1.25 after the first batch to 1.30 after 3 batches. "
        "Its last batch raised it by 0.31%." + stop,
        "The best objective rose from 1.25 after the first batch to 1.30 after 3 batches. "
        "It has not improved since batch 2." + stop,
    ]
    assert page.problems == []
