"""A portfolio manager's journey through every page, in Chromium, on a laptop (1366 px) and a
phone (390 px), with realistic data (`tests.support.ui_journey.seed`: a finished optimization,
its winner deployed and forward-tested, a document, an idea, a profile, portfolios, an account,
a chat with an answer). On every page at both widths:

- the page does not scroll sideways (the document's scrollWidth is its clientWidth: wide tables
  scroll inside their own box);
- no two labels of a chart overlap (the bounding boxes of its tick labels, axis titles and
  legend entries), no axis title or legend entry lies over a plotting area, and no chart is
  wider than its box;
- no code name (a strategy parameter, metric or scenario as the API spells it, e.g.
  `target_vol`, `high_vol`) and no raw JSON is in the visible text;
- the numbers of its tables are in the one format (percentages with 2 decimals, money as
  "$156,751.97");
- axe-core (the npm package, pinned in the Makefile, injected into the page) finds no serious
  or critical accessibility violation: on every page at the phone's width (where tables
  scroll in their boxes and the navigation collapses behind its button), and on the start
  page at the laptop's too (the navigation spread out); the plots' SVG drawings are left out
  (each chart is a labelled figure).

With `STRATIGOS_DOCS_IMAGES=docs/images` each page's full screenshot at both widths is written
there as `ui-<page>-<laptop|phone>.jpg` (docs/ui.md shows them); the run takes them only then,
to keep the suite short."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from store.factory import open_store
from tests.browser.conftest import TIMEOUT_MS, Server
from tests.support.browser import wait_for_job
from tests.support.live_server import TLS
from tests.support.ui_journey import Journey, seed

pytestmark = pytest.mark.slow  # the journey's data: an optimization and a forward test first

AXE = Path(__file__).resolve().parents[2] / ".cache/axe-core/node_modules/axe-core/axe.min.js"
"""axe-core's script, installed by `make axe-core` (npm, pinned)."""

WIDTHS = {"laptop": (1366, 800), "phone": (390, 844)}

PAGES: list[tuple[str, str, str]] = [
    # (name, route ({...} filled from the journey), what shows once the page is ready)
    ("start", "#/start", "#home-yours:not([hidden])"),
    ("optimize", "#/optimize", "#stale-data"),
    ("results", "#/jobs/{job}", "body[data-results-ready]"),
    ("jobs", "#/jobs", "#jobs-table tbody tr"),
    ("chat", "#/chat/{thread}", ".weights-card .main-svg"),
    ("portfolios", "#/portfolios", "#portfolios-table tbody tr"),
    ("documents", "#/documents", "#documents-table tbody tr"),
    ("document", "#/documents/{document}", "#document-summary table"),
    ("ideas", "#/ideas/{idea}", "#idea-detail:not([hidden])"),
    ("deployments", "#/deployments", "#deployments-table tbody tr"),
    ("deployment", "#/deployments/{deployment}", "#chart-forward-test .main-svg"),
    ("forward-test", "#/deployments/{forward_test_deployment}", "#chart-performance .main-svg"),
    ("accounts", "#/accounts", "#accounts-table tbody tr"),
    ("account", "#/accounts/{account}", "#account-title"),
    ("profile", "#/profile", "#profile-form"),
]

MEASURE = r"""() => {
  const doc = document.documentElement;
  const overflow = doc.scrollWidth - doc.clientWidth;
  // the elements sticking out on the right, to say what overflows
  const wide = overflow > 0
    ? [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1)
        .filter((el) => !el.closest(".table-scroll") && el.checkVisibility())
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)
    : [];
  const overlaps = [];
  const charts = [];
  for (const plot of document.querySelectorAll(".js-plotly-plot")) {
    if (!plot.checkVisibility()) continue;
    const box = plot.getBoundingClientRect();
    const svg = plot.querySelector(".main-svg");
    if (svg && svg.getBoundingClientRect().width > box.width + 1) charts.push(`${plot.id} is wider than its box`);
    const labels = [...plot.querySelectorAll(
      ".xtick text, .ytick text, .x2tick text, .y2tick text, .g-xtitle text, .g-ytitle text, .g-x2title text, .g-y2title text, .legendtext, .gtitle",
    )]
      .filter((t) => t.textContent.trim() && getComputedStyle(t).opacity !== "0" && getComputedStyle(t).display !== "none")
      .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0);
    // no axis title or legend entry over a plotting area (the next panel's, the legend's own)
    const layout = plot._fullLayout;
    const areas = Object.keys(layout)
      .filter((k) => /^xaxis\d*$/.test(k))
      .map((k) => {
        const x = layout[k];
        const y = layout[x.anchor.replace(/^y/, "yaxis")];
        const left = box.left + x._offset;
        const top = box.top + y._offset;
        return { left, right: left + x._length, top, bottom: top + y._length };
      });
    const titles = [...plot.querySelectorAll("[class^='g-'][class$='title'] text, .legendtext")]
      .filter((t) => t.textContent.trim())
      .map((t) => ({ text: t.textContent.trim(), r: t.getBoundingClientRect() }));
    for (const { text, r } of titles) {
      for (const a of areas) {
        const x = Math.min(r.right, a.right) - Math.max(r.left, a.left);
        const y = Math.min(r.bottom, a.bottom) - Math.max(r.top, a.top);
        if (x > 1 && y > 1) overlaps.push(`${plot.id}: "${text}" over a plotting area`);
      }
    }
    for (let i = 0; i < labels.length; i += 1) {
      for (let j = i + 1; j < labels.length; j += 1) {
        const a = labels[i].r;
        const b = labels[j].r;
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 1 && y > 1) overlaps.push(`${plot.id}: "${labels[i].text}" over "${labels[j].text}"`);
      }
    }
  }
  // the numbers the UI formats: table cells and lists of values, without the sentences the
  // API writes itself (marked .server-words: its own formatter's)
  const cells = [...document.querySelectorAll("td, dd, #results-limits li")]
    .filter((el) => el.checkVisibility({ contentVisibilityAuto: true }) && !el.closest(".server-words"))
    .map((el) => {
      const copy = el.cloneNode(true);
      copy.querySelectorAll(".server-words").forEach((s) => s.remove());
      return copy.textContent;
    });
  return { overflow, wide, overlaps, charts, text: document.body.innerText, cells };
}"""

CODE_NAMES = """() => [
  ...Object.keys(window.__vocabulary.parameters),
  ...Object.keys(window.__vocabulary.metrics),
  ...Object.keys(window.__vocabulary.scenarios),
].filter((k) => k.includes("_"))"""

RAW_JSON = re.compile(r'[{\[]\s*"[A-Za-z_]+"\s*:')
PERCENT = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?%")
MONEY = re.compile(r"\$[-\d,.]+")
LABEL_PERCENTS = {"5%", "90%", "95%", "99%", "100%"}
"""Percentages that are names, not numbers of the data ("VaR 95%", "in 95% of paths",
"100% in the risky sleeve")."""


@pytest.fixture(scope="module")
def journey(server: Server) -> Journey:
    """The PM's data, made once for the module through the API."""
    with server.client() as client:
        return seed(client)


@pytest.fixture(scope="module")
def tab(browser_context: Any, server: Server) -> Iterator[Any]:
    """One tab for the journey, signed in; its uncaught errors in `tab.problems`."""
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.problems = problems
    page.goto(f"{server.url}/#key={server.key}")
    page.wait_for_selector("#nav:not([hidden])")
    try:
        yield page
    finally:
        page.close()


def _number_problems(cells: list[str]) -> list[str]:
    """Numbers of the tables not in the one format: a percentage without exactly 2 decimals,
    an amount of money without cents or separators."""
    wrong = []
    for text in cells:
        for found in PERCENT.findall(text):
            if found not in LABEL_PERCENTS and not re.fullmatch(
                r"[-+]?\d{1,3}(,\d{3})*\.\d{2}%", found
            ):
                wrong.append(f"{found!r} in {text[:60]!r}")
        for found in MONEY.findall(text):
            amount = found.rstrip(".,")
            if not re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d{2}", amount):
                wrong.append(f"{amount!r} in {text[:60]!r}")
    return wrong


def _axe(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # evaluated by the browser's debugging protocol: a script tag would be inline script,
        # which the page's Content-Security-Policy refuses
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run({ exclude: [['.js-plotly-plot .main-svg']] }, { resultTypes: ['violations'] })).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def _assert_fits_in_words(tab: Any, where: str) -> None:
    """The page in `tab` does not scroll sideways, its charts fit and their labels do not
    overlap, it shows no code name (`window.__vocabulary`'s) and no raw JSON, and the numbers
    of its tables are in the one format."""
    code_names = tab.evaluate(CODE_NAMES)
    seen = tab.evaluate(MEASURE)
    assert seen["overflow"] <= 0, (
        f"{where} scrolls sideways by {seen['overflow']} px: {seen['wide']}"
    )
    assert not seen["overlaps"], f"{where}: chart labels overlap: {seen['overlaps'][:5]}"
    assert not seen["charts"], f"{where}: {seen['charts']}"
    text = seen["text"]
    named = [c for c in code_names if re.search(rf"\b{re.escape(c)}\b", text)]
    assert not named, f"{where} shows code names: {named}"
    assert not RAW_JSON.search(text), f"{where} shows raw JSON: {RAW_JSON.search(text)}"
    wrong = _number_problems(seen["cells"])
    assert not wrong, f"{where}: numbers not in the one format: {wrong[:8]}"


def _open(page: Any, server: Server, route: str, ready: str, size: tuple[int, int]) -> None:
    """Load `route` at `size` (a full load, so that charts are drawn for the width) and wait
    until it shows `ready` and every chart is drawn."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{server.url}/?width={size[0]}{route}")
    page.wait_for_selector(ready, timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')].every("
        "(el) => el.hidden || el.offsetParent === null || (el.querySelector('.main-svg')))"
    )
    page.wait_for_function("() => !document.querySelector('main').innerText.includes('Loading…')")


@pytest.mark.parametrize(("name", "route", "ready"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_fits_says_things_in_words_and_is_accessible(
    tab: Any, server: Server, journey: Journey, name: str, route: str, ready: str
) -> None:
    docs = os.environ.get("STRATIGOS_DOCS_IMAGES")
    route = route.format(**journey.__dict__)
    for width, size in WIDTHS.items():
        _open(tab, server, route, ready, size)
        tab.evaluate(
            "async () => { window.__vocabulary = await (await fetch('v1/vocabulary')).json(); }"
        )
        where = f"{name} at {size[0]} px"
        if docs:
            target = Path(docs) / f"ui-{name}-{width}.jpg"
            tab.screenshot(path=str(target), full_page=True, type="jpeg", quality=70)
        _assert_fits_in_words(tab, where)
        if AXE.exists() and (width == "phone" or name == "start"):
            violations = _axe(tab)
            assert not violations, f"{where}: accessibility: {violations}"
    assert tab.problems == []
    if not AXE.exists():
        pytest.skip(f"the accessibility checks did not run: {AXE} is missing (`make axe-core`)")


REPORTS = [
    ("optimization-report", "/v1/optimizations/{job}/report"),
    ("deployment-report", "/v1/deployments/{deployment}/report"),
]
"""The self-contained HTML reports (one file each, opened or saved by the PM)."""


@pytest.mark.parametrize(("name", "route"), REPORTS, ids=[r[0] for r in REPORTS])
def test_every_report_fits_and_says_things_in_words(
    tab: Any, server: Server, journey: Journey, name: str, route: str
) -> None:
    """A report, as the browser shows the file, at both widths: what every page promises
    (`_assert_fits_in_words`), its charts drawn for the width."""
    with server.client() as client:
        page = client.get(route.format(**journey.__dict__))
        vocabulary = client.get("/v1/vocabulary").json()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    docs = os.environ.get("STRATIGOS_DOCS_IMAGES")
    for width, size in WIDTHS.items():
        tab.set_viewport_size({"width": size[0], "height": size[1]})
        # written into the empty page the web UI opens a report in (served without the app's
        # Content-Security-Policy, which would stop the report's inline charts)
        tab.goto(f"{server.url}/static/report.html")
        tab.set_content(page.text, wait_until="load")
        tab.wait_for_function(
            "() => [...document.querySelectorAll('.chart')].every((el) => el.querySelector('.main-svg'))"
        )
        tab.evaluate("(v) => { window.__vocabulary = v; }", vocabulary)
        if docs:
            target = Path(docs) / f"ui-{name}-{width}.jpg"
            tab.screenshot(path=str(target), full_page=True, type="jpeg", quality=70)
        where = f"{name} at {size[0]} px"
        _assert_fits_in_words(tab, where)
        if AXE.exists() and width == "phone":
            violations = _axe(tab)
            assert not violations, f"{where}: accessibility: {violations}"
    assert tab.problems == []


BELOW = {
    "universe": ["AAPL", "MSFT", "JNJ", "KO"],
    "start": "2012-01-03",
    "end": "2021-12-31",
    "n_paths": 20,
    "scenarios": ["bull", "base"],
    "objective": {"cagr": 1.0},
    "search_space": {
        "target_vol": 0.03,
        "weight_function": "inverse_vol",
        "lookback": {"low": 42, "high": 84, "step": 21},
        "rebalance_every": 21,
        "max_leverage": 1.0,
    },
    "budget": {"max_trials": 3, "batch_size": 3},
}
"""A search whose winner cannot beat holding its stocks on its objective (CAGR): a 3%
volatility target in bull and base markets."""


def test_a_winner_below_its_benchmarks_is_said_first_and_deploys_only_when_confirmed(
    tab: Any, server: Server
) -> None:
    with server.client() as client:
        job = client.post("/v1/optimizations", json=BELOW).json()
        assert wait_for_job(client, job["id"])["status"] == "succeeded"
        results = client.get(f"/v1/optimizations/{job['id']}/results?limit=1").json()
    verdict = results["benchmark_verdict"]
    assert verdict["beats"] is False and verdict["below"]
    _open(tab, server, f"#/jobs/{job['id']}", "body[data-results-ready]", WIDTHS["laptop"])
    # said first: the page's first card after the progress is the verdict, in the API's words
    first = tab.evaluate("document.querySelector('#results-first > section').id")
    assert first == "verdict"
    said = tab.inner_text("#results-below-benchmarks")
    assert said.startswith("The winner does not beat its benchmarks.")
    assert verdict["words"].split(":")[0] in said and "asks for your confirmation" in said
    # Deploy is a secondary action with a confirmation step, not the primary button
    deploy = tab.locator("#deploy-to-paper")
    assert deploy.evaluate("el => el.tagName") == "BUTTON" and "secondary" in (
        deploy.get_attribute("class") or ""
    )
    deploy.click()
    tab.wait_for_selector("#deploy-confirm:not([hidden])")
    assert "Deploy it to paper anyway?" in tab.inner_text("#deploy-confirm")
    tab.click("#deploy-confirmed")
    tab.wait_for_selector("#deployment-below:not([hidden])")
    assert tab.is_checked("#deployment-confirm-below")  # confirmed on the results page
    tab.uncheck("#deployment-confirm-below")
    tab.click("#deployment-create")  # not confirmed: refused in the page, nothing sent
    tab.wait_for_selector("#deployment-confirm-below-error")
    with server.client() as client:
        before = client.get("/v1/deployments").json()["items"]
    assert not [d for d in before if d["spec"]["source"]["id"] == job["id"]]
    tab.check("#deployment-confirm-below")
    tab.fill("#deployment-name", "Below its benchmarks")
    tab.click("#deployment-create")
    tab.wait_for_selector("#deployment-title:has-text('Below its benchmarks')")
    with server.client() as client:
        (created,) = [
            d
            for d in client.get("/v1/deployments").json()["items"]
            if d["spec"]["source"]["id"] == job["id"]
        ]
    notes = " ".join(created["spec"]["strategy"]["notes"])
    assert "does not beat its benchmarks" in notes
    assert tab.problems == []


def test_the_winner_deploys_from_its_results_with_the_form_s_defaults(
    tab: Any, server: Server, journey: Journey
) -> None:
    """The journey's winner beats its benchmarks and is levered: Deploy to paper is the primary
    action, and the form, left as it opens, deploys it capped at 1.00x."""
    with server.client() as client:
        results = client.get(f"/v1/optimizations/{journey.job}/results?limit=1").json()
    config = results["best"]["config"]
    assert results["benchmark_verdict"]["beats"] is True and config["max_leverage"] > 1
    _open(tab, server, f"#/jobs/{journey.job}", "body[data-results-ready]", WIDTHS["laptop"])
    assert tab.locator("#results-beats-benchmarks").count() == 1
    deploy = tab.locator("#deploy-to-paper")
    assert deploy.evaluate("el => el.tagName") == "A" and "secondary" not in (
        deploy.get_attribute("class") or ""
    )
    deploy.click()
    tab.wait_for_selector("#deployment-leverage-note:has-text('deployed capped at 1.00x')")
    assert f"{config['max_leverage']:.2f}x" in tab.inner_text("#deployment-leverage-note")
    assert tab.is_checked("#deployment-cap-leverage") and tab.is_hidden("#deployment-below")
    tab.click("#deployment-create")
    tab.wait_for_selector("#deployment-status:has-text('draft')")
    assert tab.locator("#alert:not([hidden])").count() == 0
    with server.client() as client:
        deployment_id = tab.evaluate("location.hash").split("/")[-1]
        spec = client.get(f"/v1/deployments/{deployment_id}").json()["spec"]
    assert spec["strategy"]["config"]["max_leverage"] == 1.0
    assert tab.problems == []


def test_the_chat_shows_the_weights_its_answers_carry(
    tab: Any, server: Server, journey: Journey
) -> None:
    """A portfolio's weights, and a comparison's (each portfolio's largest weights side by side,
    in place of the portfolios built for it), as tables equal to the tools' answers and charts."""
    with server.client() as client:
        messages = client.get(f"/v1/threads/{journey.thread}").json()["messages"]
    answers = [json.loads(m["content"]) for m in messages if m["role"] == "tool"]
    portfolio = answers[0]["weights"]
    (comparison,) = [a for a in answers if "rows" in a]
    _open(tab, server, f"#/chat/{journey.thread}", ".weights-card .main-svg", WIDTHS["laptop"])
    cards = tab.locator(".weights-card")
    tab.wait_for_function(
        "() => document.querySelectorAll('.weights-card .js-plotly-plot').length === 2"
    )
    assert cards.count() == 2  # the portfolio's, then the comparison's alone
    first = [r.split("\t") for r in cards.nth(0).locator("tbody tr").all_inner_texts()]
    ranked = sorted(portfolio.items(), key=lambda kv: -kv[1])
    assert first == [[a, f"{w * 100:.2f}%"] for a, w in ranked]
    heads = cards.nth(1).locator("thead th").all_inner_texts()
    names = [str(r["portfolio"]).replace("_", " ") for r in comparison["rows"]]
    assert heads == ["Asset", *names]
    for row in cards.nth(1).locator("tbody tr").all():
        asset, *cells = row.locator("td").all_inner_texts()
        for r, cell in zip(comparison["rows"], cells, strict=True):
            weight = r["largest_weights"].get(asset)
            assert cell == ("" if weight is None else f"{weight * 100:.2f}%")
    chart = cards.nth(1).locator(".chart").get_attribute("id")
    assert sorted(tab.evaluate(f"document.getElementById('{chart}').data.map(t => t.name)")) == (
        sorted(names)
    )
    assert tab.problems == []


def test_a_deployment_opened_again_shows_its_forward_test_and_its_tearsheet(
    tab: Any, server: Server, journey: Journey
) -> None:
    """The forward test the journey ran stays on its deployment's page when the page is opened
    again (chart, numbers, the books saying where to look); the tearsheet and the account are
    one click away."""
    with server.client() as client:
        (job,) = client.get(f"/v1/deployments/{journey.deployment}/forward-tests").json()
        result = client.get(job["links"]["self"]).json()["result"]
    route = f"#/deployments/{journey.deployment}"
    _open(tab, server, route, "#chart-forward-test .main-svg", WIDTHS["laptop"])
    shown = tab.inner_text("#forward-test-result")
    final = f"${result['final_value']:,.2f}"
    assert f"{result['start']} to {result['end']}" in shown and final in shown
    drawn = tab.evaluate("document.getElementById('chart-forward-test').data[0].y.length")
    assert drawn == len(result["values"]["backtest"])
    limits = tab.locator("#forward-test-limits li").all_inner_texts()
    assert limits == [r["words"] for r in result["risk_limits"]] and limits
    books = tab.inner_text("#books-empty")
    assert "Its forward test above shows how it would have traded" in books
    assert "Nothing traded yet" not in books
    assert tab.is_visible("#deployment-report")  # the tearsheet (HTML report)
    assert tab.get_attribute("#deployment-account-link", "href") == f"#/accounts/{journey.account}"
    assert tab.problems == []


def test_a_new_user_is_told_where_to_start_and_what_to_do_on_each_empty_page(
    browser_context: Any, server: Server
) -> None:
    """Another owner, with nothing yet: the start page says where to start, each empty list says
    what to do, the Deployments page has no kill switch (nothing to stop), the stale market data
    is said with its way forward."""
    store = open_store(server.settings)
    try:
        key, _ = store.create_api_key("newcomer", "browser-tests")
    finally:
        store.close()
    page = browser_context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        page.goto(f"{server.url}/#key={key}")
        page.wait_for_selector(".start-grid")
        for card in ("#start-assistant", "#start-example", "#start-search"):
            assert page.is_visible(card)
        assert page.is_hidden("#home-yours")  # nothing to come back to yet
        with server.client() as client:
            market = client.get("/v1/market-data").json()
        notice = page.inner_text("#stale-data")
        assert f"{market['behind_sessions']:,} sessions before" in notice and "What to do" in notice
        assert page.get_attribute("#stale-data a", "href") == "#/portfolios"
        empty = {
            "#/jobs": ("#jobs-status", "start one from New optimization"),
            "#/portfolios": ("#portfolios-status", "write one in the form"),
            "#/documents": ("#documents-status", "Add your research"),
            "#/ideas": ("#ideas-status", "write one below"),
            "#/deployments": ("#deployments-status", "Choose above what to deploy"),
            "#/accounts": ("#accounts-empty", "an account opens when a deployment first trades"),
            "#/chat": (".intro", "Pick an example below"),
        }
        for route, (where, says) in empty.items():
            page.evaluate("route => { window.location.hash = route; }", route)
            page.wait_for_selector(f"{where}:has-text('{says}')")
            if route == "#/deployments":
                assert page.locator("#kill-switch").is_hidden()
                assert page.locator("#hedge-kill-switch").is_hidden()
        # the example search starts with one click and its page follows it (then it is cancelled)
        page.evaluate("() => { window.location.hash = '#/start'; }")
        page.click("#run-example")
        page.wait_for_function("() => location.hash.startsWith('#/jobs/job_')")
        job_id = page.evaluate("location.hash").split("/")[-1]
        page.wait_for_selector("#job-status")
        with httpx.Client(base_url=server.url, headers={"x-api-key": key}, verify=TLS) as client:
            request = client.get(f"/v1/optimizations/{job_id}").json()["request"]
            assert request["universe"] == ["AAPL", "MSFT", "JNJ", "KO"]
            assert request["budget"]["max_trials"] == 60
            assert client.delete(f"/v1/optimizations/{job_id}").status_code < 300
    finally:
        page.close()
    assert problems == []
