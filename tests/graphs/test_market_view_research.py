"""The workflow's market analysis reads its owner's research: with documents, the market view
cites a passage as (document, page) and the trace shows the search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devtools.document_files import pdf_bytes
from graphs.job_handlers import run_job_here
from graphs.request import OptimizationRequest
from services.documents import add_document
from services.research import research_index
from settings import Settings, get_settings
from store.sqlite import SQLiteStore
from tests.support.requests import SMALL_REQUEST
from traces.schema import TraceEvent

OUTLOOK = [
    ["Macro outlook: rates stay restrictive."],
    ["Our view on XOM and KO: steady dividends and a 4% yield support both through 2023."],
]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


def run(store: SQLiteStore, owner: str) -> tuple[dict[str, Any], list[TraceEvent]]:
    events: list[TraceEvent] = []
    request = OptimizationRequest.model_validate(SMALL_REQUEST)
    _, result = run_job_here(store, owner, request, sink=events.append, settings=Settings())
    return result, events


def tool_calls(events: list[TraceEvent]) -> list[str]:
    return [
        e.data["tool"] for e in events if e.type == "tool_call" and e.agent == "market_analysis"
    ]


def test_the_market_view_cites_the_owner_s_research(
    offline_data_dir: Path, store: SQLiteStore
) -> None:
    settings = get_settings()
    add_document(
        store, research_index(settings), settings, "alice", "views.pdf", pdf_bytes(OUTLOOK)
    )
    result, events = run(store, "alice")
    assert result["status"] == "succeeded", result
    summary = result["market_view"]["summary"]
    assert "(views.pdf, p. 2)" in summary and "4% yield" in summary
    assert tool_calls(events)[:2] == ["market_statistics", "search_research"]
    # Without documents the agent has no research tool: the recorded runs of tests/replay
    # (owners without documents) replay with the same tools and prompts.


def test_a_market_view_whose_citation_does_not_hold_is_reduced_to_the_regime() -> None:
    from langchain_core.messages import AIMessage, ToolMessage

    from graphs.optimization import ground_market_view

    found = '{"query": "KO", "passages": [{"citation": "(views.pdf, p. 2)", "text": "a 4% yield"}]}'
    messages = [
        AIMessage("", tool_calls=[{"name": "search_research", "args": {}, "id": "c1"}]),
        ToolMessage(found, name="search_research", tool_call_id="c1"),
    ]
    base = {"return_regime": "bull", "volatility_regime": "low"}
    kept = {**base, "summary": "Bull. Your research sees a 4% yield (views.pdf, p. 2)."}
    assert ground_market_view(kept, messages) == []
    assert kept["summary"].endswith("(views.pdf, p. 2).")
    for summary, problem in (
        ("Bull. Your research sees a 9% yield (views.pdf, p. 2).", "9% is not in"),
        ("Bull. Your research sees a 4% yield (views.pdf, p. 5).", "not a passage"),
    ):
        view = {**base, "summary": summary}
        (warning,) = ground_market_view(view, messages)
        assert problem in warning
        assert view["summary"] == "The market is in a bull return regime with low volatility."
