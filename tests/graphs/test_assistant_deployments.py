"""Deploying from the chat with the offline model: "deploy that to paper" proposes the last
search's winner (or a named portfolio) and waits for approval; approved, the deployment exists
and is active for the thread's owner; rejected or impossible, nothing is deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs.chat import ChatSession
from settings import Settings
from store import Store
from store.sqlite import SQLiteStore
from tests.graphs.test_assistant import SEARCH


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def _session(store: Store, thread: str, owner: str | None = "alice") -> ChatSession:
    return ChatSession(thread, settings=Settings(), owner=owner, store=store)


def test_the_winner_of_a_search_is_deployed_once_approved(
    offline_data_dir: Path, store: Store
) -> None:
    session = _session(store, "deploy-1")
    session.send(SEARCH)
    run = session.decide("approve")
    job_id = run.replies[-1].split()[1]
    assert job_id.startswith("job_")
    turn = session.send("deploy that to paper with monthly rebalancing and $250k")
    assert turn.pending is not None and turn.pending["kind"] == "deployment"
    proposal = turn.pending["request"]
    assert proposal["source"] == {"kind": "optimization", "id": job_id}
    assert proposal["capital"] == 250_000
    assert proposal["schedule"] == {"every": "month", "on": "first", "at": "15:45"}
    assert "$250,000.00 of capital" in turn.pending["summary"]
    verdict = store.get_result("alice", job_id).payload["benchmark_verdict"]
    below = verdict["beats"] is False  # the approval says so first, and approving confirms it
    assert turn.pending["summary"].startswith(verdict["words"]) == below
    assert proposal["confirm_below_benchmarks"] == below
    assert store.list_deployments("alice") == []  # nothing before approval
    done = session.decide("approve")
    (deployment,) = store.list_deployments("alice")
    assert deployment.status == "active" and deployment.spec["capital"] == 250_000
    assert deployment.spec["source"] == {"kind": "optimization", "id": job_id}
    assert deployment.id in done.replies[-1]
    best = store.get_result("alice", job_id).payload["best"]["config"]
    deployed = deployment.spec["strategy"]["config"]
    assert deployed["max_leverage"] == min(best["max_leverage"], 1.0)
    assert {k: v for k, v in deployed.items() if k != "max_leverage"} == {
        k: v for k, v in best.items() if k != "max_leverage"
    }


def test_a_rejected_deployment_deploys_nothing_and_a_portfolio_can_be_named(
    offline_data_dir: Path, store: Store
) -> None:
    session = _session(store, "deploy-2")
    built = session.send("build me an HRP portfolio of AAPL, JNJ, KO and XOM")
    (saved,) = built.saved
    turn = session.send(f"deploy {saved.chat_id} to paper weekly")
    assert turn.pending is not None
    assert turn.pending["request"]["source"] == {"kind": "portfolio", "id": saved.portfolio_id}
    rejected = session.decide("reject")
    assert rejected.replies[-1] == "Cancelled: nothing was deployed."
    assert store.list_deployments("alice") == []
    again = session.send(f"deploy {saved.portfolio_id} to paper daily")
    assert again.pending is not None
    assert again.pending["request"]["schedule"]["every"] == "session"
    session.decide("approve")
    (deployment,) = store.list_deployments("alice")
    weights = store.get_portfolio("alice", saved.portfolio_id).weights
    assert deployment.spec["strategy"] == {"kind": "weights", "weights": weights}


def test_without_a_winner_or_an_owner_the_chat_says_what_is_missing(
    offline_data_dir: Path, store: Store
) -> None:
    turn = _session(store, "deploy-3").send("deploy that to paper weekly")
    assert turn.pending is None and "no search winner" in turn.replies[-1]
    anonymous = _session(store, "deploy-4", owner=None).send("deploy that to paper weekly")
    assert anonymous.pending is None and "signed-in owner" in anonymous.replies[-1]
    assert store.list_deployments("alice") == []
