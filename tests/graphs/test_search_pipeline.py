"""One search pipeline, three engines: the five steps run here, on Ray, and from the SageMaker
definition executed step by step on this machine (its containers as processes, S3 on moto's
server) give the same trials and the same winner for the same request and seed; a step that
failed resumes from its checkpoint; the optimization graph's search is the pipeline's. A search
starts warm from its owner's strategy model on every engine as the graph does: the order
carries the warm start (the model version read, the configurations first), so the same
request, seed and model version give the same trials and winner, and a re-run from the order
is the same search after the model learnt more."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from graphs.optimization_run import run_optimization
from graphs.request import OptimizationRequest
from graphs.resources import bind_strategy_model, release
from graphs.search_pipeline import Engine, pipeline_workspace, run_search_pipeline
from graphs.search_steps import TRIALS, search_order
from jobs.pipeline.engines import StepOrderError, run_here, run_step, steps_to_run, write_order
from jobs.pipeline.local_execution import LocalExecution, StepFailedError
from jobs.pipeline.sagemaker_definition import CONTAINER_ENTRYPOINT, PipelineConfig
from jobs.pipeline.sagemaker_pipeline import SageMakerPipeline
from jobs.pipeline.warm_launcher import WarmLauncher
from services.strategy_model import owner_model, trials_to_reach
from settings import ComputeSettings, ModelSettings, RaySettings, Settings
from store.factory import open_store
from tests.support.aws import moto_with_bucket
from tests.support.ray_cluster import CPUS as RAY_CPUS
from tests.support.requests import SMALL_SPACE

REQUEST: dict[str, Any] = {
    "universe": ["AAPL", "KO", "XOM"],
    "start": "2010-01-01",
    "n_paths": 24,
    "horizon": 168,
    "search_space": SMALL_SPACE,
    "budget": {"max_trials": 16, "batch_size": 8},
    "seed": 11,
}
BUCKET = "stratigos-test-pipeline"
FAULTY = "tests.support.faulty_search_steps"

pytestmark = pytest.mark.xdist_group("ray")  # one local Ray cluster at a time, on one worker


def _settings(directory: Path, **changes: Any) -> Settings:
    return Settings(data_dir=directory, models=ModelSettings(provider="offline"), **changes)


def _trials(settings: Settings, run_id: str) -> list[dict[str, Any]]:
    path = pipeline_workspace(run_id, settings) / "optimization" / TRIALS
    trials: list[dict[str, Any]] = json.loads(path.read_text())["trials"]
    return trials


def _on_ray(settings: Settings) -> Settings:
    """`settings` with the Ray backend on a local cluster of RAY_CPUS CPUs (the group's
    cluster, `ray_cluster`, which the runs join)."""
    compute = ComputeSettings(backend="ray", ray=RaySettings(num_cpus=RAY_CPUS))
    return settings.model_copy(update={"compute": compute})


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """REQUEST's search run by the embedded engine: (result, trials)."""
    settings = _settings(tmp_path_factory.mktemp("here"))
    request = OptimizationRequest.model_validate(REQUEST)
    result = run_search_pipeline(request, run_id="here", settings=settings, train=False)
    return result, _trials(settings, "here")


def test_the_embedded_engine_runs_the_five_steps_of_the_list(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    result, trials = here
    assert result["status"] == "succeeded"
    assert len(trials) == result["n_trials"] == 16
    best = max((t for t in trials if t["feasible"]), key=lambda t: t["objective"])
    assert result["best"]["trial"] == best["trial"]
    assert result["best"]["objective"] == best["objective"]
    assert result["convergence"][-1] == best["objective"]


@pytest.mark.usefixtures("ray_cluster")
def test_ray_gives_the_same_trials_and_winner(
    here: tuple[dict[str, Any], list[dict[str, Any]]], tmp_path: Path
) -> None:
    settings = _on_ray(_settings(tmp_path))
    request = OptimizationRequest.model_validate(REQUEST)
    result = run_search_pipeline(
        request, engine="ray", run_id="ray", settings=settings, train=False
    )
    assert _trials(settings, "ray") == here[1]
    assert result["best"] == here[0]["best"]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_with_bucket(BUCKET) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def launcher() -> Iterator[WarmLauncher]:
    """The warm interpreter every local execution of the module forks its containers from
    (each container still its own process), having imported the container's and both steps
    modules' code once rather than once per execution."""
    preload = [CONTAINER_ENTRYPOINT[-1], "graphs.search_steps", FAULTY]
    with WarmLauncher(sys.executable, preload, os.environ) as started:
        yield started


def _deployed(
    endpoint: str, data_dir: Path, module: str, shards: int = 1
) -> tuple[SageMakerPipeline, Any]:
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    s3 = boto3.client("s3", **kwargs)
    config = PipelineConfig(
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/stratigos:test",
        role_arn="arn:aws:iam::123456789012:role/stratigos-pipeline",
        steps_module=module,
        environment={
            "STRATIGOS_DATA_DIR": str(data_dir),
            "STRATIGOS_MODEL_PROVIDER": "offline",
            # where a fleet's instances share the optimization step's batches (S3)
            "STRATIGOS_COMPUTE_AWS_ENDPOINT_URL": endpoint,
            "STRATIGOS_COMPUTE_AWS_REGION": "us-east-1",
            "STRATIGOS_COMPUTE_PIPELINE_SHARD_WAIT_S": "600",  # a lost slice fails, not hangs
        },
        shards=shards,
    )
    pipeline = SageMakerPipeline(
        name=f"search-{module.rsplit('.', 1)[-1].replace('_', '-')}",
        bucket=BUCKET,
        prefix="runs",
        config=config,
        sagemaker=boto3.client("sagemaker", **kwargs),
        s3=s3,
    )
    pipeline.deploy()
    return pipeline, s3


def _stored_definition(pipeline: SageMakerPipeline) -> dict[str, Any]:
    """The definition as the service holds it (what an execution runs)."""
    stored = pipeline.sagemaker.describe_pipeline(PipelineName=pipeline.name)
    definition: dict[str, Any] = json.loads(stored["PipelineDefinition"])
    return definition


def test_the_definitions_steps_executed_here_give_the_same_winner(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    s3_endpoint: str,
    launcher: WarmLauncher,
    tmp_path: Path,
) -> None:
    pipeline, s3 = _deployed(s3_endpoint, tmp_path / "data", "graphs.search_steps")
    request = OptimizationRequest.model_validate(REQUEST)
    pipeline.start(search_order(request, run_id="sm"), train=False)
    execution = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "containers", launcher=launcher
    )
    ran = execution.run(pipeline.parameters("sm", train=False))
    assert ran == ["data-validation", "scenario-generation", "optimization", "aggregation"]
    result = pipeline.result("sm")
    trials = s3.get_object(Bucket=BUCKET, Key="runs/sm/optimization/trials.json")
    assert json.loads(trials["Body"].read())["trials"] == here[1]
    assert result["best"] == here[0]["best"]


def test_a_failed_step_of_the_definition_resumes_from_its_checkpoint(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    s3_endpoint: str,
    launcher: WarmLauncher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "batches.log"
    monkeypatch.setenv("STRATIGOS_TEST_FAIL_ONCE", str(tmp_path / "failed-once"))
    monkeypatch.setenv("STRATIGOS_TEST_BATCH_LOG", str(log))
    pipeline, s3 = _deployed(s3_endpoint, tmp_path / "data", FAULTY)
    request = OptimizationRequest.model_validate(REQUEST)
    pipeline.start(search_order(request, run_id="resumed"), train=False)
    execution = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "first", launcher=launcher
    )
    parameters = pipeline.parameters("resumed", train=False)
    with pytest.raises(StepFailedError) as failed:
        execution.run(parameters)
    assert failed.value.step == "optimization"
    checkpoint = s3.get_object(Bucket=BUCKET, Key="runs/resumed/optimization/trials.json")
    assert len(json.loads(checkpoint["Body"].read())["trials"]) == 8  # the first batch
    retried = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "second", launcher=launcher
    )
    assert retried.run(parameters, resume=True) == ["optimization", "aggregation"]
    assert log.read_text().split() == ["8", "16"]  # the retry evaluated the second batch only
    final = s3.get_object(Bucket=BUCKET, Key="runs/resumed/optimization/trials.json")
    assert json.loads(final["Body"].read())["trials"] == here[1]
    assert pipeline.result("resumed")["best"] == here[0]["best"]


def test_a_failed_step_here_resumes_and_no_step_runs_before_what_it_needs(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "batches.log"
    monkeypatch.setenv("STRATIGOS_TEST_FAIL_ONCE", str(tmp_path / "failed-once"))
    monkeypatch.setenv("STRATIGOS_TEST_BATCH_LOG", str(log))
    settings = _settings(tmp_path / "data")
    request = OptimizationRequest.model_validate(REQUEST)
    root = tmp_path / "workspace"
    write_order(root, search_order(request, run_id="here-resumed"))
    with pytest.raises(StepOrderError, match="needs"):
        run_step("optimization", root, settings=settings)
    steps = steps_to_run(train=False)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_here(root, steps=steps, module=FAULTY, settings=settings)
    run_here(root, steps=steps, module=FAULTY, settings=settings)
    assert log.read_text().split() == ["8", "16"]
    assert json.loads((root / "optimization" / TRIALS).read_text())["trials"] == here[1]


# --------------------------------------------------------------------------------------------
# a fleet: the optimization step's batches shared by N instances give the one instance's trials
# --------------------------------------------------------------------------------------------
SHARDS = 4


def _slices(s3: Any, run_id: str) -> list[str]:
    """The slices the instances of run `run_id`'s optimization step published in S3."""
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{run_id}/optimization/shards/")
    return sorted(item["Key"].split("/shards/", 1)[1] for item in listed.get("Contents", []))


def test_four_shards_of_the_definition_give_the_one_instance_winner(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    s3_endpoint: str,
    launcher: WarmLauncher,
    tmp_path: Path,
) -> None:
    """The definition's default fleet (4 instances, as a stage sets it): the optimization
    step's processing job runs four containers at once, each evaluating its quarter of every
    batch and publishing it in S3; the trials, and so the winner, are the one instance's."""
    pipeline, s3 = _deployed(s3_endpoint, tmp_path / "data", "graphs.search_steps", SHARDS)
    definition = _stored_definition(pipeline)
    request = OptimizationRequest.model_validate(REQUEST)
    pipeline.start(search_order(request, run_id="fleet"), train=False)
    execution = LocalExecution(definition, s3, tmp_path / "containers", launcher=launcher)
    execution.run(pipeline.parameters("fleet", train=False))
    instances = sorted(p.name for p in (tmp_path / "containers" / "optimization").iterdir())
    assert instances == [f"algo-{i}" for i in range(1, SHARDS + 1)]
    trials = s3.get_object(Bucket=BUCKET, Key="runs/fleet/optimization/trials.json")
    assert json.loads(trials["Body"].read())["trials"] == here[1]
    assert pipeline.result("fleet")["best"] == here[0]["best"]
    batches = REQUEST["budget"]["max_trials"] // REQUEST["budget"]["batch_size"]
    assert _slices(s3, "fleet") == [
        f"batch-{b:06d}/shard-{i:02d}-of-{SHARDS:02d}.json"
        for b in range(batches)
        for i in range(SHARDS)
    ]
    # the same definition, asked for one instance by the run's parameter: no slices shared
    pipeline.start(search_order(request, run_id="alone"), train=False)
    alone = LocalExecution(definition, s3, tmp_path / "alone", launcher=launcher)
    alone.run(pipeline.parameters("alone", train=False, shards=1))
    assert _slices(s3, "alone") == [] and pipeline.result("alone")["best"] == here[0]["best"]


def test_a_failed_shard_resumes_from_the_slices_published(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    s3_endpoint: str,
    launcher: WarmLauncher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Shard 3 of 4 fails before its slice of the second batch: the others are stopped and the
    step fails (as a processing job does). Retried, no instance evaluates the first batch
    again (every slice of it was published), shard 3 evaluates its slice of the second, and
    the trials are the one instance's."""
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    monkeypatch.setenv("STRATIGOS_TEST_FAIL_ONCE", str(tmp_path / "failed-once"))
    monkeypatch.setenv("STRATIGOS_TEST_FAIL_SHARD", "2")
    monkeypatch.setenv("STRATIGOS_TEST_BATCH_LOG", str(first))
    pipeline, s3 = _deployed(s3_endpoint, tmp_path / "data", FAULTY, SHARDS)
    request = OptimizationRequest.model_validate(REQUEST)
    pipeline.start(search_order(request, run_id="shard-failed"), train=False)
    parameters = pipeline.parameters("shard-failed", train=False)
    execution = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "first", launcher=launcher
    )
    with pytest.raises(StepFailedError, match="injected failure of shard 2") as failed:
        execution.run(parameters)
    assert failed.value.step == "optimization"
    evaluated = first.read_text().split()
    assert sorted(line for line in evaluated if line.endswith(":0")) == [
        f"{i}:0" for i in range(SHARDS)
    ]
    assert "2:1" not in evaluated
    monkeypatch.setenv("STRATIGOS_TEST_BATCH_LOG", str(second))
    retried = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "second", launcher=launcher
    )
    assert retried.run(parameters, resume=True) == ["optimization", "aggregation"]
    again = second.read_text().split()
    assert "2:1" in again and all(line.endswith(":1") for line in again)
    assert len(again) == len(set(again))  # a slice is evaluated once per attempt
    assert {f"{i}:1" for i in range(SHARDS)} <= set(evaluated) | set(again)
    final = s3.get_object(Bucket=BUCKET, Key="runs/shard-failed/optimization/trials.json")
    assert json.loads(final["Body"].read())["trials"] == here[1]


@pytest.mark.parametrize("engine", ["here", "ray"])
def test_four_shards_here_and_on_ray_give_the_one_instance_trials(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    tmp_path: Path,
    engine: Engine,
    request: pytest.FixtureRequest,
) -> None:
    """Four threads here, four Ray tasks on a local cluster of two CPUs (every shard waits for
    the others' slices, reserving no CPU): the one instance's trials and winner."""
    settings = _settings(tmp_path)
    if engine == "ray":
        request.getfixturevalue("ray_cluster")
        settings = _on_ray(settings)
    search = OptimizationRequest.model_validate(REQUEST)
    result = run_search_pipeline(
        search, engine=engine, run_id=engine, settings=settings, train=False, shards=SHARDS
    )
    assert _trials(settings, engine) == here[1]
    assert result["best"] == here[0]["best"]
    slices = pipeline_workspace(engine, settings) / "optimization" / "shards"
    assert len(list(slices.rglob("*.json"))) == SHARDS * 2  # each shard's slice of each batch


def test_the_graphs_search_is_the_pipelines_given_the_agents_decisions(tmp_path: Path) -> None:
    """The optimization graph runs the same steps' code: with its agents' decisions (the market
    view's scenario weights and horizon, the optimizer's plan) as the order, the pipeline
    evaluates the same trials."""
    request = OptimizationRequest.model_validate(REQUEST)
    graph = run_optimization(request, settings=_settings(tmp_path / "graph"))
    result = graph.result
    assert result is not None and result["n_trials"] == 16  # the search ran its whole budget
    settings = _settings(tmp_path / "pipeline")
    root = pipeline_workspace("decided", settings)
    write_order(root, _graphs_order(request, result, "decided"))
    run_search_pipeline(request, run_id="decided", settings=settings, train=False)
    assert _trials(settings, "decided") == result["trials"]


# --------------------------------------------------------------------------------------------
# warm starts: the order carries the graph's warm start; every engine evaluates it first
# --------------------------------------------------------------------------------------------
OWNER = "alice"


def _params(trial: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {name: trial[name] for name in names}


@pytest.fixture(scope="module")
def taught(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data directory where OWNER's strategy model (version 1) learnt one search of REQUEST's
    universe and window (another seed), run through the pipeline with its training step."""
    settings = _settings(tmp_path_factory.mktemp("taught"))
    request = OptimizationRequest.model_validate({**REQUEST, "seed": 5})
    first = run_search_pipeline(request, run_id="first", owner=OWNER, settings=settings)
    assert first["warm_start"]["configs"] == [] and first["warm_start"]["model"] is None
    return settings


@pytest.fixture(scope="module")
def warm_here(taught: Settings) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """REQUEST's search by OWNER, warm from the taught model, on the embedded engine."""
    request = OptimizationRequest.model_validate(REQUEST)
    result = run_search_pipeline(
        request, run_id="warm-here", owner=OWNER, settings=taught, train=False
    )
    return result, _trials(taught, "warm-here")


def test_the_pipeline_starts_warm_from_the_owners_model_and_says_so(
    here: tuple[dict[str, Any], list[dict[str, Any]]],
    warm_here: tuple[dict[str, Any], list[dict[str, Any]]],
    taught: Settings,
) -> None:
    result, trials = warm_here
    start = result["warm_start"]
    assert start["model"]["version"] == 1 and start["model"]["searches"] == 1
    assert [run["run_id"] for run in start["runs"]] == ["first"]
    configs = start["configs"]
    assert 1 <= len(configs) <= REQUEST["budget"]["batch_size"]
    names = list(REQUEST["search_space"])
    assert [_params(t, names) for t in trials[: len(configs)]] == configs  # evaluated first
    assert trials != here[1]  # the cold search of the same request and seed evaluated others
    # the reference is the cold search of the same request (any seed: none of seed 11)
    reference = start["reference"]
    assert reference["run_id"] == "first" and reference["seed"] == 5
    reached = trials_to_reach(trials, reference["best_objective"])
    assert start["trials_to_reference"] == reached
    saved = None if reached is None else reference["trials_to_best"] - reached
    assert start["trials_saved"] == saved
    order = json.loads(
        (pipeline_workspace("warm-here", taught) / "order" / "order.json").read_text()
    )
    assert order["warm_start"]["model"] == start["model"]
    assert order["warm_start"]["configs"] == configs
    # a search asked to start cold carries no warm start, and says nothing of one
    cold = OptimizationRequest.model_validate({**REQUEST, "warm_start": False})
    asked = run_search_pipeline(
        cold, run_id="asked-cold", owner=OWNER, settings=taught, train=False
    )
    assert asked["warm_start"] is None and _trials(taught, "asked-cold") == here[1]


def test_a_rerun_from_the_order_is_the_same_search_after_the_model_moved_on(
    warm_here: tuple[dict[str, Any], list[dict[str, Any]]], taught: Settings, tmp_path: Path
) -> None:
    """The order holds the warm start: run again from it after the owner's model learnt another
    search (version 2; in a copy of the data directory), the run evaluates the same
    configurations."""
    settings = _settings(tmp_path / "data")
    shutil.copytree(taught.data_dir, settings.data_dir)
    request = OptimizationRequest.model_validate({**REQUEST, "seed": 7})
    run_search_pipeline(request, run_id="second", owner=OWNER, settings=settings)
    store = open_store(settings)
    latest = store.latest_strategy_model(OWNER)
    store.close()
    assert latest is not None and latest.version == 2
    order = json.loads(
        (pipeline_workspace("warm-here", settings) / "order" / "order.json").read_text()
    )
    write_order(pipeline_workspace("warm-rerun", settings), order | {"run_id": "warm-rerun"})
    again = run_search_pipeline(
        OptimizationRequest.model_validate(REQUEST),
        run_id="warm-rerun",
        owner=OWNER,
        settings=settings,
        train=False,
    )
    assert _trials(settings, "warm-rerun") == warm_here[1]
    assert again["warm_start"] == warm_here[0]["warm_start"]
    # a new run of the same request reads the newest version: another warm start
    moved = run_search_pipeline(
        OptimizationRequest.model_validate(REQUEST),
        run_id="warm-v2",
        owner=OWNER,
        settings=settings,
        train=False,
    )
    assert moved["warm_start"]["model"]["version"] == 2


@pytest.mark.usefixtures("ray_cluster")
def test_ray_starts_warm_the_same_way(
    warm_here: tuple[dict[str, Any], list[dict[str, Any]]], taught: Settings
) -> None:
    settings = _on_ray(taught)
    request = OptimizationRequest.model_validate(REQUEST)
    result = run_search_pipeline(
        request, engine="ray", run_id="warm-ray", owner=OWNER, settings=settings, train=False
    )
    assert _trials(settings, "warm-ray") == warm_here[1]
    assert result["best"] == warm_here[0]["best"]
    assert result["warm_start"] == warm_here[0]["warm_start"]


def test_the_definitions_steps_start_warm_the_same_way(
    warm_here: tuple[dict[str, Any], list[dict[str, Any]]],
    taught: Settings,
    s3_endpoint: str,
    launcher: WarmLauncher,
    tmp_path: Path,
) -> None:
    pipeline, s3 = _deployed(s3_endpoint, tmp_path / "data", "graphs.search_steps")
    request = OptimizationRequest.model_validate(REQUEST)
    store = open_store(taught)
    model = owner_model(store, OWNER, version=1)
    store.close()
    order = search_order(request, run_id="warm-sm", owner=OWNER, model=model, settings=taught)
    release("warm-sm")
    pipeline.start(order, train=False)
    execution = LocalExecution(
        _stored_definition(pipeline), s3, tmp_path / "containers", launcher=launcher
    )
    execution.run(pipeline.parameters("warm-sm", train=False))
    trials = s3.get_object(Bucket=BUCKET, Key="runs/warm-sm/optimization/trials.json")
    assert json.loads(trials["Body"].read())["trials"] == warm_here[1]
    result = pipeline.result("warm-sm")
    assert result["best"] == warm_here[0]["best"]
    assert result["warm_start"] == warm_here[0]["warm_start"]


def _graphs_order(
    request: OptimizationRequest, result: dict[str, Any], run_id: str, **warm: Any
) -> dict[str, Any]:
    """The search order of run `run_id` with the decisions the graph's agents took in `result`
    (the market view's horizon and scenario weights, the optimizer's search space and method);
    `warm`: `search_order`'s model and settings."""
    view, plan = result["market_view"], result["plan"]
    return search_order(
        request,
        run_id=run_id,
        horizon=view["horizon"],
        scenario_weights=view["scenario_weights"],
        search_space=plan["search_space"],
        method=plan["method"],
        **warm,
    )


def test_the_graphs_warm_start_is_the_orders(taught: Settings) -> None:
    """Given the same model version, the graph's `plan` node and the order decide the same warm
    start, and the pipeline then evaluates the graph's trials."""
    request = OptimizationRequest.model_validate(REQUEST)
    store = open_store(taught)
    model = owner_model(store, OWNER, version=1)
    store.close()
    bind_strategy_model("graph-warm", model)
    result = run_optimization(request, run_id="graph-warm", settings=taught).result
    assert result is not None and result["warm_start"]["configs"]
    order = _graphs_order(request, result, "graph-decided-warm", model=model, settings=taught)
    assert order["warm_start"]["configs"] == result["warm_start"]["configs"]
    write_order(pipeline_workspace("graph-decided-warm", taught), order)
    piped = run_search_pipeline(request, run_id="graph-decided-warm", settings=taught, train=False)
    assert _trials(taught, "graph-decided-warm") == result["trials"]
    assert piped["warm_start"] == result["warm_start"]
