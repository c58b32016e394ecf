"""Chat in Chromium: a message's agent trace streams in as steps in sentences (agents working,
tool calls with their results in words), the weights an answer carries as a table and a chart
(also after a reload), the portfolio it builds is saved to the owner's portfolios (linked from
the turn), an approval prompt appears when the assistant drafts a run, a question
asked while it waits is answered and the prompt comes back, approving
runs it (its progress shows), and the thread's history comes back after a reload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import graphs.assistant as assistant
from agents.errors import ModelCallError
from tests.browser.conftest import screenshot
from tests.support.browser import Server, sign_in, trace_lengths

PORTFOLIO = "Build me a max Sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018"
SEARCH = (
    "find the target-vol setting that holds up in a bear market with 20 trials "
    "for AAPL, JNJ, KO and XOM since 2010"
)
QUESTION = "how many trials is that?"
FAILING = "how long will that take?"


def _unreachable(*args: object, **kwargs: object) -> None:
    raise ModelCallError("supervisor", "ServiceUnavailableException", "unreachable")


def _messages(server: Server, page: Any) -> list[dict[str, Any]]:
    """The messages of the thread the page shows."""
    thread_id = page.evaluate("location.hash").split("/")[-1]
    with server.client() as client:
        messages: list[dict[str, Any]] = client.get(f"/v1/threads/{thread_id}").json()["messages"]
    return messages


def _turns_done(page: Any, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('.turn[data-done=true]').length >= n", arg=count
    )


def test_chat_trace_approval_and_history(
    page: Any, server: Server, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(page, server, "#/chat")
    page.fill("#chat-input", PORTFOLIO)
    page.press("#chat-input", "Enter")  # Enter sends
    _turns_done(page, 1)
    turn = page.locator(".turn").nth(0)
    turn.locator("details.trace-box > summary").click()  # the trace folds when the turn ends
    # which agent worked, as steps
    agents = turn.locator(".step-agent").all_inner_texts()
    assert any("Supervisor" in a for a in agents) and any("Optimizer" in a for a in agents)
    # the supervisor's routing decision and the optimizer's tool call with its result, in
    # sentences and words (no tool names as code, no JSON)
    decision = turn.locator(".step-decision").first.inner_text()
    assert "sent the message to the optimizer" in decision and "Route" not in decision
    call = turn.locator(".step-tool-call details", has_text="optimize portfolio").first
    assert call.locator(".tool-result").count() == 1
    call.locator("summary").click()  # a collapsed step opens
    assert call.locator(".tool-result dl").is_visible()
    answer = call.locator(".tool-result").inner_text()
    assert "AAPL" in answer and "{" not in answer
    # the weights the tool answered with: a table and a chart under the reply
    weights = turn.locator(".weights-card")
    weights.wait_for()
    tool = next(
        json.loads(m["content"])
        for m in _messages(server, page)
        if m["role"] == "tool" and m["name"] == "optimize_portfolio"
    )
    rows = weights.locator("tbody tr").all_inner_texts()
    expected = sorted(tool["weights"].items(), key=lambda kv: -kv[1])
    assert [r.split("\t") for r in rows] == [[a, f"{w * 100:.2f}%"] for a, w in expected]
    assert sorted(trace_lengths(page, weights.locator(".chart").get_attribute("id"))) == ["weight"]
    reply = turn.locator(".msg-assistant").inner_text()
    assert "Max-Sharpe portfolio" in reply and "AAPL" in reply
    thread_id = page.evaluate("location.hash").split("/")[-1]
    assert thread_id.startswith("th_")
    # the portfolio is saved to the signed-in owner's portfolios, linked from the turn
    note = turn.locator(".saved-portfolio")
    assert "saved to your portfolios" in note.inner_text()
    with server.client() as client:
        saved = client.get("/v1/portfolios").json()["items"]
    assert [p["name"] for p in saved if p["name"] in note.inner_text()]
    assert note.locator("a").get_attribute("href") == "#/portfolios"

    page.fill("#chat-input", SEARCH)
    page.click("#chat-send")
    approval = page.locator(".approval")
    approval.wait_for()
    _turns_done(page, 2)
    assert "Approval needed" in approval.inner_text()
    said = approval.inner_text()
    assert "Strategy search on AAPL, JNJ, KO and XOM" in said and "20 trials" in said
    with server.client() as client:
        pending = client.get(f"/v1/threads/{thread_id}").json()["pending"]
    assert pending is not None and pending["request"]["budget"]["max_trials"] == 20
    screenshot(page, artifacts / "chat-approval.png", full_page=True)

    # a question while it waits: answered from the proposal, which comes back in a new card
    page.fill("#chat-input", QUESTION)
    page.press("#chat-input", "Enter")
    _turns_done(page, 3)
    asked = page.locator(".turn").nth(2).locator(".msg-assistant").inner_text()
    assert "has not run" in asked and "Each of its 20 trials" in asked
    assert page.locator(".approval:not(.decided)").count() == 1
    assert "if the proposal still waits" in approval.first.inner_text()
    assert page.locator("#approval-approve").count() == 1  # one live card, its ids its own
    screenshot(page, artifacts / "chat-question-while-waiting.png", full_page=True)

    # the model fails while the next question is read (a fault injected at the model call):
    # the failure is said, and the proposal, still waiting, comes back in a card
    with monkeypatch.context() as patched:
        patched.setattr(assistant, "route_message", _unreachable)
        page.fill("#chat-input", FAILING)
        page.press("#chat-input", "Enter")
        _turns_done(page, 4)
    failed = page.locator(".turn").nth(3)
    said = failed.locator(".error-text").inner_text()
    assert "The assistant failed: the model service failed a call" in said
    assert "(ServiceUnavailableException)" in said and "internal error" not in said
    assert failed.locator(".approval:not(.decided)").count() == 1
    assert page.locator("#approval-approve").count() == 1
    screenshot(page, artifacts / "chat-failed-while-waiting.png", full_page=True)

    page.locator("#approval-approve").focus()
    page.keyboard.press("Enter")  # approve with the keyboard
    _turns_done(page, 5)
    run = page.locator(".turn").nth(4)
    assert run.get_attribute("data-status") == "succeeded"
    run.locator("details.trace-box > summary").click()
    progress = run.locator(".step-progress", has_text="trials")
    assert progress.count() >= 1 and "20 of 20 trials" in progress.last.inner_text()
    assert "succeeded" in run.locator(".msg-assistant").inner_text()
    # the run is one of the owner's jobs, linked from the reply
    link = run.locator(".msg-assistant a.job-link")
    job_id = link.inner_text()
    assert job_id.startswith("job_") and link.get_attribute("href") == f"#/jobs/{job_id}"
    with server.client() as client:
        assert client.get(f"/v1/optimizations/{job_id}").json()["status"] == "succeeded"
    assert approval.locator("button:not([disabled])").count() == 0  # decided
    with server.client() as client:
        assert client.get(f"/v1/threads/{thread_id}").json()["pending"] is None
    screenshot(page, artifacts / "chat-approved.png", full_page=True)

    page.reload()
    page.wait_for_selector(".msg-user")
    users = page.locator(".msg-user").all_inner_texts()
    assert [u.split("\n", 1)[-1].strip() for u in users] == [PORTFOLIO, SEARCH, QUESTION, FAILING]
    assert (
        page.locator(f"#thread-list a[href='#/chat/{thread_id}']").get_attribute("aria-current")
        == "page"
    )
    assert page.locator(".approval").count() == 0
    assert page.locator(".weights-card tbody tr").count() == len(expected)  # from the history
    assert page.problems == []
