"""Investment ideas in the chat with the offline model: "give me three defensive ideas" proposes
and saves them from the regime and per-asset statistics, "save that as an idea" saves the
portfolio the conversation built; the numbers are the numeric core's; nobody's ideas without an
owner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import ToolMessage

from devtools.document_files import pdf_bytes
from graphs.chat import ChatSession
from quant.data import sp500_prices
from services.documents import add_document
from services.ideas import basket_metrics
from services.research import research_index
from settings import Settings, get_settings
from store.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "ideas.sqlite")


def test_three_defensive_ideas_from_the_regime_and_statistics(
    offline_data_dir: Path, store: SQLiteStore
) -> None:
    session = ChatSession("ideas-thread", settings=Settings(), owner="alice", store=store)
    turn = session.send("give me three defensive ideas given my research and the current regime")
    ideas = store.list_ideas("alice").items[::-1]  # oldest (first proposed) first
    assert len(ideas) == 3 and {i.status for i in ideas} == {"proposed"}
    assert all(i.history[0]["by"] == "chat" for i in ideas)
    # the first is the four lowest-volatility stocks of the default range (2018 on)
    closes = sp500_prices().loc["2018":]
    vols = (closes.pct_change().dropna()).std(ddof=1) * np.sqrt(252)
    assert sorted(ideas[0].tickers) == sorted(vols.nsmallest(4).index)
    assert len({frozenset(i.tickers) for i in ideas}) == 3
    for idea in ideas:
        again = basket_metrics(idea.tickers, None, "long")
        assert idea.metrics["expected_return"] == pytest.approx(again["expected_return"])
        assert idea.metrics["volatility"] == pytest.approx(again["volatility"])
    text = turn.replies[-1]
    assert all(i.id in text for i in ideas)
    assert f"volatility {ideas[0].metrics['volatility']:.1%}" in text
    assert "regime" in text and "No research passages were attached" in text
    assert store.list_ideas("bob").items == []


def test_save_that_as_an_idea_saves_the_portfolio_built(
    offline_data_dir: Path, store: SQLiteStore
) -> None:
    session = ChatSession("save-thread", settings=Settings(), owner="alice", store=store)
    session.send("build me a min volatility portfolio of AAPL, JNJ and KO since 2018")
    built = next(
        m
        for m in session.history()
        if isinstance(m, ToolMessage) and m.name == "optimize_portfolio"
    )
    turn = session.send("save that as an idea")
    (idea,) = store.list_ideas("alice").items
    weights = {t: w for t, w in json.loads(built.text)["weights"].items() if w > 1e-4}
    assert set(idea.tickers) == set(weights)
    total = sum(weights.values())
    assert idea.weights == pytest.approx({t: w / total for t, w in weights.items()})
    assert idea.id in turn.replies[-1] and "status proposed" in turn.replies[-1]
    assert f"trailing return {idea.metrics['expected_return']:.1%} a year" in turn.replies[-1]
    assert "not forecasts" in turn.replies[-1]


def test_without_an_owner_nothing_is_saved(offline_data_dir: Path) -> None:
    session = ChatSession("anonymous-thread", settings=Settings())
    turn = session.send("save KO and PG as an idea")
    assert "signed-in owner" in turn.replies[-1] and "Nothing was saved" in turn.replies[-1]


def test_an_idea_saved_from_a_research_answer_keeps_its_passages_as_evidence(
    offline_data_dir: Path, store: SQLiteStore
) -> None:
    settings = get_settings()
    note = pdf_bytes(
        [["Rates outlook."], ["We are overweight XOM and CVX: OPEC cuts support crude at 90."]]
    )
    document = add_document(store, research_index(settings), settings, "alice", "energy.pdf", note)
    session = ChatSession("research-idea", settings=Settings(), owner="alice", store=store)
    answer = session.send("What does my research say about XOM and CVX?").replies[-1]
    assert "(energy.pdf, p. 2)" in answer
    saved = session.send("save that as an idea").replies[-1]
    assert "research passage(s) attached as evidence" in saved
    (idea,) = store.list_ideas("alice").items
    assert sorted(idea.tickers) == ["CVX", "XOM"]
    (passage,) = [e for e in idea.evidence if e["kind"] == "document_passage"]
    assert passage["document_id"] == document.id and passage["chunk"] == 1
    assert passage["quote"] in "We are overweight XOM and CVX: OPEC cuts support crude at 90."


def test_save_that_after_an_answer_about_named_stocks(
    offline_data_dir: Path, store: SQLiteStore
) -> None:
    session = ChatSession("answer-thread", settings=Settings(), owner="alice", store=store)
    answer = session.send("how is the market for XOM and CVX since 2019?").replies[-1]
    turn = session.send("save that as an idea")
    (idea,) = store.list_ideas("alice").items
    assert idea.tickers == ["XOM", "CVX"] and idea.weights is None
    assert idea.thesis == f"Saved from the chat: {answer}"
    assert idea.id in turn.replies[-1]
