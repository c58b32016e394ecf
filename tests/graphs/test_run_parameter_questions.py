"""Questions about a parameter of a finished search ("and the lookback?", "what is the
lookback?", "why did it pick that vol target?") are answered about that parameter of the winner,
for an owner's search too (its answer names a job, "Run job_... succeeded", which the offline
model did not know as a finished search), and never read as a search ask: "and the lookback?"
drafted a new search of every stock, and a later "now with 2x leverage" took "what is the
lookback?" for the search it changed (20 stocks, the limit and budget lost)."""

from __future__ import annotations

import re
from pathlib import Path

from graphs.chat import ChatSession
from services.strategy_model import wait_for_learning
from settings import Settings
from store.sqlite import SQLiteStore

SEARCH = "find a vol-targeting strategy for KO, PG, PEP and WMT with 60 trials and max drawdown under 15%"


def test_questions_about_the_winner_s_parameters_are_answered_and_the_search_kept(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("parameters", settings=Settings(), owner="alice", store=store)
    drafted = session.send(SEARCH).pending
    assert drafted is not None
    done = session.decide("edit", changes={"n_paths": 30}).replies[-1]
    [job_id] = re.findall(r"^Run (job_\w+) succeeded\.", done)
    wait_for_learning("alice")
    facts = store.get_result("alice", job_id).payload["explanation"]["facts"]
    winner = facts["best_config"]
    for question, label in (
        ("and the lookback?", "lookback"),
        ("what is the lookback?", "lookback"),
        ("why did it pick that vol target?", "volatility target"),
        ("what about the rebalancing?", "rebalancing every"),
    ):
        turn = session.send(question)
        assert turn.pending is None, question  # no search drafted
        answer = turn.replies[-1]
        assert answer.startswith(f"The winner: {label} "), (question, answer)
        assert "of the variation of the objective across trials" in answer
    assert f"{winner['lookback']} trading days" in session.send("and the lookback?").replies[-1]
    held = session.send("why that weight rule?").replies[-1]  # the search held it
    assert held.startswith("The winner: weight rule inverse volatility, which the search did not")
    changed = session.send("now with 2x leverage").pending
    assert changed is not None
    request, first = changed["request"], drafted["request"]
    assert sorted(request["universe"]) == sorted(first["universe"]) == ["KO", "PEP", "PG", "WMT"]
    assert request["risk_limits"] == first["risk_limits"]
    assert request["budget"]["max_trials"] == 60
    store.close()
