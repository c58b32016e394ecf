"""Warm starts through the optimization job: an owner's first search starts cold and says why;
the next search of the same request starts from the configurations the model learnt (the
first trials), says which runs it learnt from and how many trials it saved against the cold
search, and records its inputs in the run manifest; another owner never starts from them;
`warm_start: false` (`--cold`) starts cold; the same request, seed and model version give the
same trials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphs.job_handlers import run_job_here
from graphs.optimization_run import run_optimization
from graphs.request import OptimizationRequest
from graphs.resources import bind_strategy_model
from quant.tuning.warm_stop import warm_stop_reason
from services.strategy_model import owner_model, trials_to_reach, wait_for_learning
from services.warm_starts import WARM_NOTE, describe_result_start, describe_warm_start
from settings import ModelSettings, Settings
from store.factory import open_store
from tests.support.pipeline_search import REQUEST


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))


def _request(seed: int, **extra: Any) -> OptimizationRequest:
    return OptimizationRequest.model_validate({**REQUEST, "seed": seed, **extra})


def _params(trial: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {n: trial[n] for n in names}


def test_the_second_search_starts_from_what_the_first_taught(settings: Settings) -> None:
    store = open_store(settings)
    cold_id, cold = run_job_here(store, "alice", _request(1), settings=settings)
    wait_for_learning("alice")  # the job answered first; its owner's model learns it after
    assert cold["warm_start"]["configs"] == [] and "first search" in cold["warm_start"]["note"]
    assert cold["warm_start"]["model"] is None
    assert cold["manifest"]["warm_start"]["model"] is None

    warm_id, warm = run_job_here(store, "alice", _request(2), settings=settings)
    wait_for_learning("alice")
    start = warm["warm_start"]
    assert start["note"] == WARM_NOTE and "start it cold" in start["note"]
    line = describe_warm_start(start)  # the `start:` line
    assert line.endswith("start this seed cold to compare like for like")
    assert start["model"]["version"] == 1 and [r["run_id"] for r in start["runs"]] == [cold_id]
    names = list(warm["plan"]["search_space"])
    configs = start["configs"]
    batch = REQUEST["budget"]["batch_size"]
    # a third of the batch the model's picks, the rest random probes of the whole space
    assert start["probes"] == batch - batch // 3 == len(configs) - batch // 3
    assert f"{batch // 3} configurations first" in line and f"{start['probes']} random" in line
    assert len(start["predicted"]) == len(configs)
    assert [_params(t, names) for t in warm["trials"][: len(configs)]] == configs
    cold_winner = max(cold["trials"], key=lambda t: (t["objective"], -t["trial"]))
    assert configs[0] == _params(cold_winner, names)  # the earlier search's winner first
    # a starting point in every family of the space, not only the earlier winner's
    assert {c["weight_function"] for c in configs[: batch // 3]} == {"inverse_vol", "sigmoid"}
    cold_best = max(t["objective"] for t in cold["trials"] if t["feasible"])
    # another seed's cold search (other paths): compared, with the noise between seeds unknown
    noise = start["reference"].pop("seed_noise")
    assert noise["seeds"] == 1 and noise["spread"] is None and "not measured" in noise["words"]
    assert start["reference"] == {
        "run_id": cold_id,
        "seed": 1,
        "best_objective": cold_best,
        "trials_to_best": trials_to_reach(cold["trials"], cold_best),
        "same_seed": False,
    }
    assert start["trials_to_reference"] == trials_to_reach(warm["trials"], cold_best)
    assert start["trials_saved"] is None  # no saving claimed across seeds
    assert warm["manifest"]["warm_start"] == {
        "model": start["model"],
        "runs": start["runs"],
        "configs": configs,
    }
    latest = store.latest_strategy_model("alice")
    assert latest is not None and latest.summary["searches"] == [cold_id, warm_id]
    model = owner_model(store, "alice")
    assert model is not None and [s["warm"] for s in model.searches] == [False, True]

    _, other = run_job_here(store, "bob", _request(2), settings=settings)
    assert other["warm_start"]["configs"] == [] and other["warm_start"]["runs"] == []

    _, asked_cold = run_job_here(store, "alice", _request(3, warm_start=False), settings=settings)
    assert asked_cold["warm_start"] is None and asked_cold["manifest"]["warm_start"] is None
    wait_for_learning("alice")

    # the same seed's cold search exists: compared like for like, the trials saved claimed
    _, same = run_job_here(store, "alice", _request(3), settings=settings)
    reference = same["warm_start"]["reference"]
    third_best = max(t["objective"] for t in asked_cold["trials"] if t["feasible"])
    assert reference["seed"] == 3 and reference["same_seed"] and reference["seed_noise"] is None
    reached = trials_to_reach(same["trials"], third_best)
    assert same["warm_start"]["trials_to_reference"] == reached
    assert same["warm_start"]["trials_saved"] == (
        None if reached is None else trials_to_reach(asked_cold["trials"], third_best) - reached
    )
    line = describe_warm_start(same["warm_start"])
    assert line.endswith("like for like: that run searched the same request on the same paths")
    theirs = same["warm_start"]["reference"]["trials_to_best"]
    saved = same["warm_start"]["trials_saved"]
    if saved is not None:  # how much sooner it came within 1%, never "saved" trials it ran
        said = {1: "sooner than", 0: "as soon as", -1: "later than"}[(saved > 0) - (saved < 0)]
        assert f"{said} that run" in line and f"{theirs}" in line and "saved" not in line
    # a seed without a cold search: the latest cold one's, and the spread of the two seeds' bests
    wait_for_learning("alice")
    _, fourth = run_job_here(store, "alice", _request(4), settings=settings)
    noise = fourth["warm_start"]["reference"]["seed_noise"]
    high, low = max(cold_best, third_best), min(cold_best, third_best)
    assert noise["seeds"] == 2 and noise["spread"] == round((high - low) / abs(high), 4)
    assert f"{(high - low) / abs(high):.1%} apart" in noise["words"]
    wait_for_learning("alice")
    store.close()


def test_the_same_request_seed_and_model_version_give_the_same_trials(settings: Settings) -> None:
    store = open_store(settings)
    run_job_here(store, "carol", _request(4), settings=settings, learning="worker")
    model = owner_model(store, "carol", version=1)
    trials = []
    for run_id in ("again-1", "again-2"):
        bind_strategy_model(run_id, model)
        outcome = run_optimization(_request(5), run_id=run_id, settings=settings)
        assert outcome.result is not None and outcome.result["warm_start"]["configs"]
        trials.append([t["config_id"] for t in outcome.result["trials"]])
    assert trials[0] == trials[1]
    store.close()


@pytest.mark.parametrize("pipeline", [False, True])
def test_a_warm_search_stops_at_the_first_batch_its_rule_says_and_says_why(
    settings: Settings, pipeline: bool
) -> None:
    store = open_store(settings)
    run_job_here(store, "dora", _request(6), settings=settings, learning="worker")
    budget = {"max_trials": 60, "batch_size": 12}
    _, warm = run_job_here(
        store, "dora", _request(6, budget=budget, pipeline=pipeline), settings=settings
    )
    wait_for_learning("dora")
    start, trials = warm["warm_start"], warm["trials"]
    first, probes = len(start["configs"]), start["probes"]
    assert probes == 8 and len(start["predicted"]) == first
    # the rule after each batch: the search ran on while it said nothing, and stopped where it spoke
    said = [warm_stop_reason(trials[:n], start["predicted"], probes) for n in range(12, 61, 12)]
    ends = len(trials) // 12 - 1  # the index of its last batch
    assert len(trials) % 12 == 0 and all(reason is None for reason in said[:ends])
    if start["stopped"] is not None:  # the rule stopped it
        assert len(trials) < 60 and start["stopped"] == said[ends]
        if not pipeline:  # the graph's result says why it used fewer trials than its budget
            assert warm["reason"] == f"{len(trials)} of 60 trials: {start['stopped']}"
    else:  # the budget, or (the graph) its optimizer agent did, before the rule spoke
        assert len(trials) == 60 or said[ends] is None
    # the report's `Start:` line says the stop unless the result's reason says it already
    line = describe_result_start(warm)
    assert line is not None and line.startswith(f"{first - probes} configurations first")
    stop_said = start["stopped"] is not None and f"stopped early: {start['stopped']}" in line
    assert stop_said == (start["stopped"] is not None and not warm.get("reason"))
    assert describe_result_start({k: v for k, v in warm.items() if k != "warm_start"}) is None
    store.close()
