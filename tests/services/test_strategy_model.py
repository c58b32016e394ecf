"""The strategy model learns every search of its owner and nothing of anyone else's: the
search pipeline's training step and the optimization job both store a new version, whose
searches, rows and held-out accuracy say what it learnt; a run learnt again replaces its own
rows; learners racing for the same owner both land."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphs.learn_job as learn_job_module
import graphs.search_steps as search_steps_module
from graphs.job_handlers import run_job_here
from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import MODEL
from quant.strategy_model import METRICS
from services.strategy_model import (
    Search,
    held_out_rows,
    learn,
    owner_model,
    search_rows,
    trials_to_reach,
    wait_for_learning,
)
from settings import ModelSettings, Settings
from store.factory import open_store
from tests.support.pipeline_search import seeded_request, workspace_search


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))


def test_each_search_teaches_its_owner_s_model_and_no_one_else_s(settings: Settings) -> None:
    for owner, run_id, seed in (("alice", "a1", 1), ("bob", "b1", 2), ("alice", "a2", 3)):
        run_search_pipeline(seeded_request(seed), run_id=run_id, owner=owner, settings=settings)
        written = json.loads(
            (pipeline_workspace(run_id, settings) / "training" / MODEL).read_text()
        )
        assert written["summary"]["searches"][-1] == run_id
    store = open_store(settings)
    alice, bob = store.list_strategy_models("alice"), store.list_strategy_models("bob")
    assert [m.version for m in alice] == [1, 2] and [m.version for m in bob] == [1]
    assert alice[-1].summary["searches"] == ["a1", "a2"]
    assert bob[-1].summary["searches"] == ["b1"]  # never alice's trials
    model = owner_model(store, "alice")
    assert model is not None and model.version == alice[-1]
    rows = sum(len(search_rows(workspace_search(settings, r))[0]) for r in ("a1", "a2"))
    assert len(model.X) == rows == 2 * 24 * 5
    assert {s["run_id"] for s in model.searches} == {"a1", "a2"}
    summary = alice[-1].summary
    assert summary["n_train"] + summary["n_held_out"] == rows
    assert set(summary["accuracy"]) == set(METRICS)
    assert all(set(v) == {"r2", "rank_correlation"} for v in summary["accuracy"].values())
    objects = settings.data_dir / "store-objects" / "strategy-models"
    assert len(list(objects.rglob("*.npz"))) == 3  # versioned files in the data directory
    store.close()


def test_a_run_learnt_again_replaces_its_own_rows(settings: Settings) -> None:
    run_search_pipeline(seeded_request(5), run_id="r1", owner="carol", settings=settings)
    store = open_store(settings)
    first = owner_model(store, "carol")
    again = learn(store, "carol", workspace_search(settings, "r1"))
    assert again.version == 2 and again.summary["searches"] == ["r1"]
    second = owner_model(store, "carol")
    assert first is not None and second is not None
    assert np.array_equal(first.X, second.X) and np.array_equal(first.Y, second.Y)
    store.close()


def test_the_same_search_under_another_run_id_teaches_the_same_model(settings: Settings) -> None:
    run_search_pipeline(seeded_request(5), run_id="r1", owner="carol", settings=settings)
    search = workspace_search(settings, "r1")
    store = open_store(settings)
    learn(store, "dave", replace(search, run_id="another-run"))
    carol, dave = owner_model(store, "carol"), owner_model(store, "dave")
    assert carol is not None and dave is not None
    assert np.array_equal(carol.group, dave.group)  # the held-out split ignores the run id
    assert carol.model.accuracy == dave.model.accuracy
    assert np.array_equal(carol.model.predict(carol.X).value, dave.model.predict(carol.X).value)
    other_seed = search_rows(replace(search, request={**search.request, "seed": 6}))[2]
    assert not np.array_equal(other_seed, carol.group)  # another search's split is its own
    store.close()


def test_learners_racing_for_one_owner_both_land(settings: Settings) -> None:
    for run_id, seed in (("p1", 6), ("p2", 7)):
        run_search_pipeline(seeded_request(seed), run_id=run_id, settings=settings, train=False)
    store = open_store(settings)
    searches = [workspace_search(settings, r) for r in ("p1", "p2")]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def go(search: Search) -> None:
        barrier.wait()
        try:
            learn(store, "dave", search)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s,)) for s in searches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    latest = store.latest_strategy_model("dave")
    assert latest is not None and latest.version == 2
    assert sorted(latest.summary["searches"]) == ["p1", "p2"]  # the later built on the earlier
    store.close()


@pytest.mark.parametrize("learning", ["worker", "thread"])
def test_an_optimization_job_teaches_its_owner_s_model(settings: Settings, learning: Any) -> None:
    store = open_store(settings)
    job_id, result = run_job_here(
        store, "erin", seeded_request(9), settings=settings, learning=learning
    )
    wait_for_learning("erin")
    assert result["status"] == "succeeded"
    latest = store.latest_strategy_model("erin")
    assert latest is not None and latest.summary["searches"] == [job_id]
    model = owner_model(store, "erin")
    assert model is not None
    assert len(model.X) == len(result["trials"]) * len(result["search_context"]["scenarios"])
    # the winner is the risk manager's pick: at most the best feasible objective
    assert model.searches[0]["best_objective"] >= result["best"]["objective"]
    store.close()


@pytest.mark.parametrize("pipeline", [False, True])
def test_the_job_succeeds_before_its_owner_s_model_learns_and_whatever_learning_does(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, pipeline: bool
) -> None:
    """The worker completes the job, then the model learns (`JobContext.after_success`): the
    learner sees the job succeeded with its result stored; a learner that fails leaves the job
    succeeded, and the next search still learns."""
    store = open_store(settings)
    seen: list[str] = []
    real = learn_job_module.learn

    def first_fails_then_learns(store_: Any, owner: str, search: Search) -> Any:
        job = store_.get_job(owner, search.run_id)
        seen.append(job.status)
        assert store_.get_result(owner, search.run_id).payload["status"] == "succeeded"
        if len(seen) == 1:
            raise RuntimeError("the learner broke")
        return real(store_, owner, search)

    monkeypatch.setattr(learn_job_module, "learn", first_fails_then_learns)
    monkeypatch.setattr(search_steps_module, "learn", first_fails_then_learns)
    request = seeded_request(9).model_copy(update={"pipeline": pipeline})
    first, result = run_job_here(store, "frank", request, settings=settings, learning="worker")
    assert result["status"] == "succeeded" and seen == ["succeeded"]
    assert store.get_job("frank", first).status == "succeeded"
    assert store.latest_strategy_model("frank") is None  # the learner failed; the job stands
    second, _ = run_job_here(
        store, "frank", seeded_request(10), settings=settings, learning="worker"
    )
    latest = store.latest_strategy_model("frank")
    assert seen == ["succeeded", "succeeded"]
    assert latest is not None and latest.summary["searches"] == [second]
    store.close()


def test_trials_to_reach_counts_until_within_one_percent() -> None:
    rows = [
        {"objective": 0.5, "feasible": True},
        {"objective": 2.0, "feasible": False},
        {"objective": 0.985, "feasible": True},
        {"objective": 0.995, "feasible": True},
        {"objective": 1.0, "feasible": True},
    ]
    assert trials_to_reach(rows, 1.0) == 4  # 0.985 is not within 1% of 1.0; 0.995 is
    assert trials_to_reach(rows, 0.99) == 3
    assert trials_to_reach(rows, -1.0) == 1
    assert trials_to_reach(rows, 1.5) is None  # the infeasible 2.0 does not count


def test_the_held_out_rows_are_a_fifth_of_the_configurations_never_all_or_none() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(rng.integers(0, 2**40, size=2000), 5)
    held = held_out_rows(groups)
    assert abs(held.mean() - 0.2) < 0.03
    assert all(len(set(held[i : i + 5])) == 1 for i in range(0, len(groups), 5))
    for few in (np.array([7, 7, 9, 9]), np.array([101, 101, 102, 102])):
        chosen = held_out_rows(few)
        assert chosen.any() and not chosen.all()
