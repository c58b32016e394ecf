"""agent-chat-ui (langchain-ai's LangGraph chat app, built by `make agent-chat-ui` from the npm
registry) in Debian's Chromium against a real `stratigos serve` (one app process, the offline
model; the same conversation served by two processes is `tests/api/test_chat_serve.py`'s): the
page on its own origin, allowed by `STRATIGOS_API_CORS_ORIGINS`, talks to `/agent` with the
sign-in key; a message asks for a strategy search, the approval shows in the app's inbox, Accept
runs it, and the thread ends with the search's result. The search is asked for in 40 trials: the
page's part is the same at any budget, and a smaller one keeps the run short on a busy machine.
The server's output (its log and access log) is read as it comes, so that its pipe never fills, and
shown with the thread's runs when the page does not reach the answer."""

from __future__ import annotations

import collections
import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from api.server import SIGN_IN_FILE
from tests.api.test_serve_workers import STARTUP_SECONDS, read_banner, start_serve
from tests.browser.conftest import CHROMIUM, screenshot
from tests.support.live_server import TLS

DIST = Path(__file__).resolve().parents[2] / ".cache" / "agent-chat-ui" / "dist"
ASK = "find the target-vol setting that holds up in a bear market, in 40 trials"
ANSWER_SECONDS = 180
"""How long the page may take from Accept to the search's answer (15-25 s on a busy 2-core
machine)."""


class _App(http.server.SimpleHTTPRequestHandler):
    """The built app; any path that is not a file is the app's page (a single-page app)."""

    def send_head(self) -> Any:
        if not (DIST / self.path.split("?")[0].lstrip("/")).is_file():
            self.path = "/index.html"
        return super().send_head()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (the Makefile does)")
    if not DIST.joinpath("index.html").is_file():
        if shutil.which("npm") is None:
            pytest.skip("no npm: `make agent-chat-ui` builds the app from the npm registry")
        pytest.fail(f"{DIST} is missing: run `make agent-chat-ui`")
    handler = functools.partial(_App, directory=str(DIST))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@dataclass
class Served:
    """A running `stratigos serve`: its URL, sign-in key and the last lines of its output."""

    base: str
    key: str
    output: collections.deque[str]

    def account(self, thread_id: str) -> str:
        """The thread's runs as the server keeps them and its last output, for a failure."""
        with httpx.Client(headers={"x-api-key": self.key}, timeout=30, verify=TLS) as api:
            runs = api.get(f"{self.base}/agent/threads/{thread_id}/runs").text
        return f"runs: {runs}\nserver output:\n{''.join(self.output)}"


@pytest.fixture(scope="module")
def stratigos(app_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`stratigos serve` (one app process) allowing the app's origin."""
    data_dir = tmp_path_factory.mktemp("agent-chat-ui") / "data"
    variables = {
        "STRATIGOS_API_PROCESSES": "1",
        "STRATIGOS_API_JOB_WORKERS": "1",
        "STRATIGOS_COMPUTE_WORKERS": "1",
        "STRATIGOS_API_CORS_ORIGINS": json.dumps([app_origin]),
    }
    server = start_serve(data_dir, variables=variables, stderr=subprocess.STDOUT)
    try:
        banner, output = read_banner(server)
        base = banner.split("Stratigos API on ")[1].split()[0]
        key = (data_dir / SIGN_IN_FILE).read_text().strip().split("#key=")[1]
        httpx.get(f"{base}/v1/health", timeout=STARTUP_SECONDS, verify=TLS)
        yield Served(base, key, output)
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_a_chat_with_an_approval_in_agent_chat_ui(
    app_origin: str, stratigos: Served, browser_context: Any, artifacts: Path
) -> None:
    base, key = stratigos.base, stratigos.key
    problems: list[str] = []
    page = browser_context.new_page()  # the app's origin is new: its local storage is empty
    try:
        page.on("pageerror", lambda exc: problems.append(f"{exc}: {exc.stack}"))
        # the app keeps its API key in local storage ("LangSmith API key" on its form)
        page.add_init_script(f"window.localStorage.setItem('lg:chat:apiKey', '{key}')")
        page.goto(f"{app_origin}/?apiUrl={base}/agent&assistantId=assistant")
        box = page.get_by_placeholder("Type your message...")
        box.fill(ASK)
        box.press("Enter")
        # the approval, in the app's inbox: the proposed search and its buttons
        accept = page.get_by_role("button", name="Accept")
        accept.wait_for()
        assert "run_strategy_search" in page.content()
        screenshot(page, artifacts / "agent-chat-ui-approval.png")
        thread_id = page.evaluate("new URLSearchParams(location.search).get('threadId')")
        assert thread_id
        accept.click()
        try:
            answer = page.get_by_text("succeeded", exact=False).first
            answer.wait_for(timeout=ANSWER_SECONDS * 1000)
        except PlaywrightTimeoutError:
            pytest.fail(f"no answer on the page: {stratigos.account(thread_id)}")
        screenshot(page, artifacts / "agent-chat-ui-answer.png")
    finally:
        page.close()
    assert problems == []
    # what the app showed is the thread as the server keeps it
    with httpx.Client(
        base_url=f"{base}/agent", headers={"x-api-key": key}, timeout=60, verify=TLS
    ) as api:
        # the page shows the answer's words as they stream, before the run ends: join its runs
        # (an Agent Protocol client's wait) before reading what the thread kept
        for run in api.get(f"/threads/{thread_id}/runs").json():
            api.get(f"/threads/{thread_id}/runs/{run['run_id']}/join").raise_for_status()
        thread = api.get(f"/threads/{thread_id}").json()
        assert thread["status"] == "idle" and thread["interrupts"] == {}
        messages = thread["values"]["messages"]
        assert messages[0]["content"] == ASK
        assert "succeeded" in messages[-1]["content"]
        runs = api.get(f"/threads/{thread_id}/runs").json()
        assert [r["status"] for r in runs] == ["success", "interrupted"]
