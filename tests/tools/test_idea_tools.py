"""`save_idea` and `propose_ideas` on a real SQLite store: evidence checked and attached, the
numbers from the numeric core, styles ranking by the statistics, errors as tool errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from research.chunking import chunk_blocks
from research.parsing import parse_document
from services.ideas import basket_metrics
from store.sqlite import SQLiteStore
from tools import ToolContext, build_tools
from tools.context import OwnerRecords
from tools.market import MarketStatisticsArgs, market_statistics


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "ideas.sqlite")


def tool(context: ToolContext, name: str) -> Any:
    return {t.name: t for t in build_tools(context)}[name]


def test_save_idea_checks_and_attaches_evidence(store: SQLiteStore) -> None:
    text = b"# Staples\n\nStaples held up when rates rose.\n"
    parsed = parse_document(text, "note.md", max_bytes=10_000, max_pages=10)
    doc = store.add_document(
        "alice", "note.md", parsed.media_type, text, chunk_blocks(parsed.blocks)
    )
    context = ToolContext(records=OwnerRecords("alice", store))
    save = tool(context, "save_idea")
    passage = {"kind": "document_passage", "document_id": doc.id, "chunk": 0}
    out = save.invoke(
        {"title": "Staples", "thesis": "They hold up", "tickers": ["KO", "PG"],
         "evidence": [{**passage, "quote": "held up when rates rose"}]}
    )  # fmt: skip
    idea = store.get_idea("alice", out["idea_id"])
    assert idea.evidence[0]["reference"] == {"section": "Staples"} and out["evidence"] == 1
    assert out["volatility"] == pytest.approx(
        basket_metrics(["KO", "PG"], None, "long")["volatility"], rel=1e-3
    )
    refused = save.invoke(
        {
            "title": "x",
            "thesis": "y",
            "tickers": ["KO"],
            "evidence": [{**passage, "quote": "fell"}],
        }
    )
    assert isinstance(refused, str) and "does not appear in chunk 0" in refused
    anonymous = tool(ToolContext(), "save_idea")
    assert "signed-in owner" in anonymous.invoke({"title": "x", "thesis": "y", "tickers": ["KO"]})
    assert [i.id for i in store.list_ideas("alice").items] == [idea.id]


def test_propose_ideas_ranks_by_style_and_attaches_evidence(store: SQLiteStore) -> None:
    context = ToolContext(records=OwnerRecords("alice", store))
    run = store.submit_job("alice", "optimization", {"universe": ["AAPL"]})[0]
    out = tool(context, "propose_ideas").invoke(
        {"count": 2, "style": "growth", "basket_size": 3,
         "evidence": [{"kind": "optimization_run", "run_id": run.id}]}
    )  # fmt: skip
    stats = market_statistics(context, MarketStatisticsArgs())["per_asset"]
    highest = sorted(stats, key=lambda t: (-stats[t]["ret"], t))[:3]
    assert out["ideas"][0]["tickers"] == highest
    assert out["regime"]["return_regime"] in ("bull", "bear", "neutral")
    for summary in out["ideas"]:
        idea = store.get_idea("alice", summary["idea_id"])
        assert idea.evidence == [
            {"kind": "optimization_run", "run_id": run.id, "status_when_attached": "pending"}
        ]
        assert idea.history[0]["reason"].startswith("proposed by the assistant")
    small = tool(context, "propose_ideas").invoke({"universe": ["KO", "PG"], "basket_size": 3})
    assert "a basket needs 3" in small
