"""tracing=langsmith: a chat turn's runs reach a LangSmith stand-in; the key stays out of logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from devtools.langsmith_standin import LangSmithStandIn
from settings import get_settings
from settings.tracing import tracing_installed
from tests.telemetry.test_tracing import VAR_QUESTION

API_KEY = "lsv2_pt_fake-key-for-tests-0123456789"


@pytest.fixture
def langsmith(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LangSmithStandIn]:
    with LangSmithStandIn() as stand_in:
        monkeypatch.setenv("STRATIGOS_TRACING", "langsmith")
        monkeypatch.setenv("STRATIGOS_LANGSMITH_ENDPOINT", stand_in.url)
        monkeypatch.setenv("STRATIGOS_LANGSMITH_API_KEY", API_KEY)
        monkeypatch.setenv("STRATIGOS_LANGSMITH_PROJECT", "risk-desk")
        get_settings.cache_clear()
        yield stand_in


def _bodies(stand_in: LangSmithStandIn) -> bytes:
    return b"".join(r.body for r in stand_in.requests)


def test_a_chat_turn_s_runs_reach_langsmith_without_content_or_a_logged_key(
    langsmith: LangSmithStandIn,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    assert main(["chat", "--thread", "t", "-m", VAR_QUESTION, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "one-day VaR" in out
    assert not tracing_installed()  # LangSmith replaces OpenTelemetry, it is not added to it

    runs = langsmith.runs()
    names = {run["name"] for run in runs}
    assert {"LangGraph", "supervisor", "OfflineChatModel", "portfolio_risk_report"} <= names
    assert {run["session_name"] for run in runs} == {"risk-desk"}
    assert len({run["trace_id"] for run in runs}) == 1
    posts = [r for r in langsmith.requests if r.method == "POST"]
    assert posts and all(r.headers["x-api-key"] == API_KEY for r in posts)
    # inputs and outputs hidden: neither the question nor the reply leaves the process
    assert VAR_QUESTION.encode() not in _bodies(langsmith)
    payloads = [
        body
        for request in langsmith.requests
        for name, body in request.parts().items()
        if name.endswith((".inputs", ".outputs"))
    ]
    assert payloads and set(payloads) == {b"{}"}
    assert API_KEY not in caplog.text + out + err


def test_with_trace_content_the_question_is_sent(
    langsmith: LangSmithStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRATIGOS_TRACE_CONTENT", "true")
    get_settings.cache_clear()
    assert main(["chat", "--thread", "t", "-m", VAR_QUESTION, "--quiet"]) == 0
    capsys.readouterr()
    assert VAR_QUESTION.encode() in _bodies(langsmith)
    outputs = [
        body
        for request in langsmith.requests
        for name, body in request.parts().items()
        if name.endswith(".outputs")
    ]
    assert any(body != b"{}" for body in outputs)
