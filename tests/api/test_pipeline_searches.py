"""A search run as the search pipeline (`"pipeline": true`) through `POST /v1/optimizations`.

- Engine `sagemaker`, on moto's server: the worker writes the order to S3, starts an execution
  of the deployed pipeline (moto records it) and hands the job to it (running, the execution
  named on the job); the definition's steps then run here (`LocalExecution`), and the
  EventBridge status-change event, delivered to the worker function's entry point, completes
  the job with the winner `run_search_pipeline(engine="here")` finds for the same request and
  seed. A `Failed` or `Stopped` execution fails its job with the reason; an event of an
  execution no job holds changes nothing (any event: hypothesis); another owner never sees
  the job. Without a pipeline configured the request is refused at submission.
- Engine `here` (and `ray`: tests/api/test_pipeline_searches_on_ray.py): the worker runs the
  pipeline to its end, the same winner. A job cancelled while its execution runs stays
  cancelled when the execution ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.request import OptimizationRequest
from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import TRIALS
from jobs import lambda_handlers
from jobs.pipeline.completion import DETAIL_TYPE, complete_execution
from jobs.pipeline.local_execution import LocalExecution
from jobs.pipeline.runs import PIPELINE_NOTE
from jobs.pipeline.sagemaker_definition import SHARDS_PARAMETER, PipelineConfig
from jobs.pipeline.sagemaker_pipeline import SageMakerPipeline
from settings import ModelSettings, Settings, get_settings
from store import ConflictError
from tests.api.conftest import Api, assert_error, make_settings
from tests.graphs.test_search_pipeline import REQUEST as SEARCH_REQUEST
from tests.support.aws import FAKE_AWS_ENV, moto_server

REQUEST: dict[str, Any] = {**SEARCH_REQUEST, "warm_start": False, "pipeline": True}
BUCKET = "stratigos-test-results"
NAME = "stratigos-test-search"
PREFIX = "pipelines/search"
PATH = "/v1/optimizations"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """REQUEST's search run by the embedded engine outside any job: the aggregation's result."""
    data = Settings(
        data_dir=tmp_path_factory.mktemp("here"), models=ModelSettings(provider="offline")
    )
    request = OptimizationRequest.model_validate(REQUEST)
    return run_search_pipeline(request, run_id="reference", settings=data, train=False)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch, moto_server() as url:
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield url


def _app(data_dir: Path, pipeline: dict[str, Any], endpoint: str | None = None) -> Api:
    """The app on `data_dir` with the pipeline settings `pipeline`; no worker threads (the
    tests run the worker)."""
    from api.app import create_app

    compute: dict[str, Any] = {"pipeline": pipeline, "ray": {"num_cpus": 2}}
    if endpoint is not None:
        compute |= {"aws_endpoint_url": endpoint, "aws_region": "us-east-1"}
    app_settings = make_settings(data_dir, api={"job_workers": 0}, compute=compute)
    client = TestClient(create_app(app_settings), raise_server_exceptions=False)
    store = client.app.state.context.store  # type: ignore[attr-defined]
    alice, _ = store.create_api_key("alice", "tests")
    bob, _ = store.create_api_key("bob", "tests")
    return Api(client, app_settings, {"x-api-key": alice}, {"x-api-key": bob})


@pytest.fixture(scope="module")
def sagemaker_app(
    endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, SageMakerPipeline]]:
    """The app configured with the SageMaker engine, and the pipeline deployed on moto (its
    steps' store: the app's)."""
    data_dir = tmp_path_factory.mktemp("sagemaker") / "data"
    pipeline_settings = {
        "engine": "sagemaker",
        "name": NAME,
        "bucket": BUCKET,
        "prefix": PREFIX,
        "shards": 2,  # the worker starts each execution on a fleet of two
    }
    api = _app(data_dir, pipeline_settings, endpoint)
    clients = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    pipeline = SageMakerPipeline(
        name=NAME,
        bucket=BUCKET,
        prefix=PREFIX,
        config=PipelineConfig(
            image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/stratigos:test",
            role_arn="arn:aws:iam::123456789012:role/stratigos-test-pipeline",
            environment={
                "STRATIGOS_DATA_DIR": str(data_dir),
                "STRATIGOS_MODEL_PROVIDER": "offline",
                "STRATIGOS_COMPUTE_AWS_ENDPOINT_URL": endpoint,
                "STRATIGOS_COMPUTE_AWS_REGION": "us-east-1",
            },
        ),
        sagemaker=boto3.client("sagemaker", **clients),
        s3=boto3.client("s3", **clients),
    )
    pipeline.deploy()
    with api.client:
        yield api, pipeline


def _run(api: Api, job_id: str) -> Any:
    """Alice's job `job_id` claimed and run by the app's worker, as a worker process would."""
    worker = api.client.app.state.context.runner.worker  # type: ignore[attr-defined]
    return worker.run_claimed(api.store.claim("alice", job_id, worker.worker_id, 30))


def _submit_and_hand_over(api: Api) -> tuple[str, str]:
    """Submit REQUEST as alice and run the worker once: (job id, the execution's ARN)."""
    submitted = api.client.post(PATH, json=REQUEST, headers=api.alice)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    outcome = _run(api, job_id)
    assert outcome.status == "handed_over", outcome
    job = api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()
    assert job["status"] == "running" and job["pipeline_execution"], job
    return job_id, str(job["pipeline_execution"])


def _event(arn: str, status: str) -> dict[str, Any]:
    """EventBridge's event of the execution `arn` reaching `status` (its documented shape)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pipeline_arn = arn.split("/execution/")[0]
    return {
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": DETAIL_TYPE,
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": now,
        "region": "us-east-1",
        "resources": [pipeline_arn, arn],
        "detail": {
            "pipelineExecutionDisplayName": arn.rsplit("/", 1)[-1],
            "currentPipelineExecutionStatus": status,
            "previousPipelineExecutionStatus": "Executing",
            "executionStartTime": now,
            "executionEndTime": now,
            "pipelineArn": pipeline_arn,
            "pipelineExecutionArn": arn,
        },
    }


def _deliver(api: Api, endpoint: str, event: dict[str, Any], patch: pytest.MonkeyPatch) -> Any:
    """`event` to the worker function's entry point, configured as the CDK app configures it
    (the pipeline settings, the store on the app's data directory)."""
    environment = {
        "STRATIGOS_DATA_DIR": str(api.settings.data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_COMPUTE_PIPELINE_ENGINE": "sagemaker",
        "STRATIGOS_COMPUTE_PIPELINE_NAME": NAME,
        "STRATIGOS_COMPUTE_PIPELINE_BUCKET": BUCKET,
        "STRATIGOS_COMPUTE_AWS_ENDPOINT_URL": endpoint,
        "STRATIGOS_COMPUTE_AWS_REGION": "us-east-1",
    }
    for name, value in environment.items():
        patch.setenv(name, value)
    patch.setattr(lambda_handlers, "_store", None)
    get_settings.cache_clear()
    try:
        return lambda_handlers.sqs_worker(event)
    finally:
        store = lambda_handlers._store
        if store is not None:
            store.close()
        get_settings.cache_clear()


def test_a_pipeline_search_on_sagemaker_is_started_by_the_worker_and_completed_by_its_event(
    sagemaker_app: tuple[Api, SageMakerPipeline],
    endpoint: str,
    reference: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, pipeline = sagemaker_app
    job_id, arn = _submit_and_hand_over(api)
    executions = pipeline.sagemaker.list_pipeline_executions(PipelineName=NAME)
    assert arn in [e["PipelineExecutionArn"] for e in executions["PipelineExecutionSummaries"]]
    order_key = f"{PREFIX}/{job_id}/order/order.json"
    order = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=order_key)["Body"].read())
    assert order["owner"] == "alice" and order["run_id"] == job_id
    assert order["warm_start"] is None and order["request"]["pipeline"] is True
    # another owner sees no such job, not even that it exists
    for path in (f"{PATH}/{job_id}", f"{PATH}/{job_id}/results", f"{PATH}/{job_id}/events"):
        assert_error(api.client.get(path, headers=api.bob), 404, "NOT_FOUND")
    # the execution's steps, as SageMaker would run them with the parameters it was started with
    definition = json.loads(
        pipeline.sagemaker.describe_pipeline(PipelineName=NAME)["PipelineDefinition"]
    )
    started = pipeline.sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    parameters = {p["Name"]: p["Value"] for p in started["PipelineParameters"]}
    assert parameters[SHARDS_PARAMETER] == "2"  # the worker's settings: a fleet of two
    ran = LocalExecution(definition, pipeline.s3, tmp_path / "containers").run(parameters)
    assert ran[-1] == "aggregation" and "training" in ran
    assert len(list((tmp_path / "containers" / "optimization").iterdir())) == 2
    # still running until the execution's end is reported
    assert api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()["status"] == "running"
    answer = _deliver(api, endpoint, _event(arn, "Succeeded"), monkeypatch)
    assert answer == {"pipeline_job": "succeeded"}
    job = api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()
    assert job["status"] == "succeeded" and job["pipeline_execution"] is None
    results = api.client.get(f"{PATH}/{job_id}/results", headers=api.alice).json()
    assert results["best"] == reference["best"]
    assert results["trials"]["total"] == reference["n_trials"] == 16
    assert results["pipeline"]["engine"] == "sagemaker"
    assert results["pipeline"]["execution_arn"] == arn and results["pipeline"]["agents"] is False
    assert results["explanation"] is None and PIPELINE_NOTE in results["warnings"][0]
    events = api.client.get(f"{PATH}/{job_id}/events", headers=api.alice)
    assert arn in events.text and '"run_finished"' in events.text
    # the same event again (EventBridge delivers at least once) changes nothing
    assert _deliver(api, endpoint, _event(arn, "Succeeded"), monkeypatch) == {
        "pipeline_job": "ignored"
    }
    assert api.client.get(f"{PATH}/{job_id}/results", headers=api.alice).json() == results


def test_what_the_owners_profile_leaves_out_stays_out_and_the_result_says_so(
    sagemaker_app: tuple[Api, SageMakerPipeline],
    endpoint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, pipeline = sagemaker_app
    saved = api.client.put("/v1/profile", json={"exclusions": ["KO"]}, headers=api.bob)
    assert saved.status_code == 200, saved.text
    job_id = api.client.post(PATH, json=REQUEST, headers=api.bob).json()["id"]
    worker = api.client.app.state.context.runner.worker  # type: ignore[attr-defined]
    assert worker.run_claimed(api.store.claim("bob", job_id, worker.worker_id, 30)).status == (
        "handed_over"
    )
    arn = api.client.get(f"{PATH}/{job_id}", headers=api.bob).json()["pipeline_execution"]
    order_key = f"{PREFIX}/{job_id}/order/order.json"
    order = json.loads(pipeline.s3.get_object(Bucket=BUCKET, Key=order_key)["Body"].read())
    reason = "KO left out: your profile excludes KO"
    assert order["request"]["universe"] == ["AAPL", "XOM"] and order["left_out"] == [reason]
    definition = json.loads(
        pipeline.sagemaker.describe_pipeline(PipelineName=NAME)["PipelineDefinition"]
    )
    LocalExecution(definition, pipeline.s3, tmp_path / "containers").run(
        pipeline.parameters(job_id, train=False)
    )
    assert _deliver(api, endpoint, _event(arn, "Succeeded"), monkeypatch) == {
        "pipeline_job": "succeeded"
    }
    results = api.client.get(f"{PATH}/{job_id}/results", headers=api.bob).json()
    assert results["warnings"][1:] == [reason]
    assert results["best"]["config"] and results["pipeline"]["execution_arn"] == arn


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_an_execution_that_failed_or_stopped_fails_its_job_with_the_reason(
    sagemaker_app: tuple[Api, SageMakerPipeline],
    endpoint: str,
    status: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, _ = sagemaker_app
    job_id, arn = _submit_and_hand_over(api)
    assert _deliver(api, endpoint, _event(arn, "Executing"), monkeypatch) == {
        "pipeline_job": "ignored"
    }
    assert _deliver(api, endpoint, _event(arn, status), monkeypatch) == {"pipeline_job": "failed"}
    job = api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()
    assert job["status"] == "failed", job
    assert f"SageMaker pipeline execution {arn} {status}" in job["error"]
    assert_error(api.client.get(f"{PATH}/{job_id}/results", headers=api.alice), 409, "CONFLICT")
    events = api.client.get(f"{PATH}/{job_id}/events", headers=api.alice).text
    assert '"status":"failed"' in events.replace(" ", "")


def test_a_job_whose_execution_never_reports_its_end_fails_once_its_wait_is_over(
    sagemaker_app: tuple[Api, SageMakerPipeline],
    endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The execution holds the job for `wait_hours` (48); then a worker takes the job over and
    fails it naming the execution, without starting another; a late end changes nothing."""
    api, pipeline = sagemaker_app
    job_id, arn = _submit_and_hand_over(api)
    started = len(
        pipeline.sagemaker.list_pipeline_executions(PipelineName=NAME)["PipelineExecutionSummaries"]
    )
    worker = api.client.app.state.context.runner.worker  # type: ignore[attr-defined]
    later = api.store.clock() + timedelta(hours=47)
    monkeypatch.setattr(api.store, "clock", lambda: later)
    with pytest.raises(ConflictError):  # still the execution's
        api.store.claim("alice", job_id, worker.worker_id, 30)
    later += timedelta(hours=2)
    outcome = _run(api, job_id)
    assert outcome.status == "failed" and "no end reported within 48 hours" in outcome.error
    assert arn in outcome.error
    executions = pipeline.sagemaker.list_pipeline_executions(PipelineName=NAME)
    assert len(executions["PipelineExecutionSummaries"]) == started
    assert _deliver(api, endpoint, _event(arn, "Succeeded"), monkeypatch) == {
        "pipeline_job": "ignored"
    }
    assert api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()["status"] == "failed"


def test_a_cancelled_job_stays_cancelled_when_its_execution_ends(
    sagemaker_app: tuple[Api, SageMakerPipeline],
    endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, _ = sagemaker_app
    job_id, arn = _submit_and_hand_over(api)
    cancelled = api.client.delete(f"{PATH}/{job_id}", headers=api.alice).json()
    assert cancelled["status"] == "cancelled" and cancelled["pipeline_execution"] is None
    assert _deliver(api, endpoint, _event(arn, "Succeeded"), monkeypatch) == {
        "pipeline_job": "ignored"
    }
    assert api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()["status"] == "cancelled"


EVENTS = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["aws.sagemaker"]),
        "detail-type": st.sampled_from([DETAIL_TYPE]),
        "detail": st.fixed_dictionaries(
            {},
            optional={
                "pipelineExecutionArn": st.sampled_from(
                    [
                        "",
                        f"arn:aws:sagemaker:us-east-1:123456789012:pipeline/{NAME}/execution/nope",
                        "arn:aws:sagemaker:us-east-1:123456789012:pipeline/other/execution/x1",
                    ]
                )
                | st.text(max_size=30),
                "currentPipelineExecutionStatus": st.sampled_from(
                    ["Succeeded", "Failed", "Stopped", "Executing", ""]
                ),
            },
        ),
    }
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=EVENTS)
def test_an_event_of_an_execution_no_job_holds_changes_nothing(
    sagemaker_app: tuple[Api, SageMakerPipeline], event: dict[str, Any]
) -> None:
    api, pipeline = sagemaker_app
    store = api.store
    before = store.list_jobs("alice", limit=1000)
    outcome = complete_execution(
        store, event, sagemaker=pipeline.sagemaker, s3=pipeline.s3, bucket=BUCKET, prefix=PREFIX
    )
    assert outcome == "ignored"
    assert store.list_jobs("alice", limit=1000) == before


def test_another_owners_execution_event_cannot_end_a_job_it_does_not_hold(
    sagemaker_app: tuple[Api, SageMakerPipeline],
) -> None:
    """An execution whose order names a job that another execution holds is ignored."""
    api, pipeline = sagemaker_app
    job_id, arn = _submit_and_hand_over(api)
    order = json.loads(
        pipeline.s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{job_id}/order/order.json")[
            "Body"
        ].read()
    )
    impostor = pipeline.start({**order, "run_id": job_id})  # a second execution, same order
    assert impostor != arn
    outcome = complete_execution(
        api.store,
        _event(impostor, "Failed"),
        sagemaker=pipeline.sagemaker,
        s3=pipeline.s3,
        bucket=BUCKET,
        prefix=PREFIX,
    )
    assert outcome == "ignored"
    assert api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()["status"] == "running"


def test_a_sagemaker_pipeline_search_is_refused_at_submission_without_a_pipeline(
    tmp_path: Path,
) -> None:
    api = _app(tmp_path / "data", {"engine": "sagemaker"})
    with api.client:
        response = api.client.post(PATH, json=REQUEST, headers=api.alice)
        error = assert_error(response, 422, "VALIDATION_ERROR", "body.pipeline")
        assert "STRATIGOS_COMPUTE_PIPELINE_NAME" in json.dumps(error)
        assert api.store.list_jobs("alice") == []
        agents_run = {k: v for k, v in REQUEST.items() if k != "pipeline"}
        accepted = api.client.post(PATH, json=agents_run, headers=api.alice)
        assert accepted.status_code == 202, accepted.text


def test_the_worker_runs_the_pipeline_search_here_to_the_same_winner(
    tmp_path: Path, reference: dict[str, Any]
) -> None:
    check_the_engine_s_winner(tmp_path, reference, "here")


def check_the_engine_s_winner(
    tmp_path: Path, reference: dict[str, Any], engine: str, shards: int | None = None
) -> None:
    """Through the API and the worker on `engine` (`shards`: the optimization step's
    instances, `STRATIGOS_COMPUTE_PIPELINE_SHARDS`): the reference's winner, said to be a
    pipeline run on that engine; another owner sees nothing."""
    api = _app(tmp_path / "data", {"engine": engine, "shards": shards})
    with api.client:
        job_id = api.client.post(PATH, json=REQUEST, headers=api.alice).json()["id"]
        outcome = _run(api, job_id)
        assert outcome.status == "succeeded", outcome
        results = api.client.get(f"{PATH}/{job_id}/results", headers=api.alice).json()
        assert results["best"] == reference["best"]
        assert results["pipeline"]["engine"] == engine and results["pipeline"]["agents"] is False
        assert results["explanation"] is None and results["trials"]["total"] == 16
        assert_error(api.client.get(f"{PATH}/{job_id}/results", headers=api.bob), 404, "NOT_FOUND")


def test_the_agents_workflow_never_runs_a_request_asking_for_the_pipeline(tmp_path: Path) -> None:
    """A bare run (the chat's search without an owner) refuses it rather than ignore the ask."""
    from graphs.optimization_run import run_directory, run_optimization

    data = Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))
    with pytest.raises(ValueError, match="pipeline"):
        run_optimization(OptimizationRequest.model_validate(REQUEST), run_id="r", settings=data)
    assert not run_directory("r", data).exists()


def test_a_job_cancelled_while_its_search_runs_here_stops_after_the_batch_it_is_in(
    tmp_path: Path,
) -> None:
    """On the `here` engine the worker's pipeline search reports each batch and stops at the
    first batch after a cancellation: the job stays cancelled, its workspace holds that one
    batch of the 80 trials asked for, and no result is stored."""
    api = _app(tmp_path / "data", {"engine": "here"})
    request = {**REQUEST, "budget": {"max_trials": 80, "batch_size": 8}}
    with api.client:
        job_id = api.client.post(PATH, json=request, headers=api.alice).json()["id"]
        worker = api.client.app.state.context.runner.worker  # type: ignore[attr-defined]
        claimed = api.store.claim("alice", job_id, worker.worker_id, 30)
        cancelled = api.client.delete(f"{PATH}/{job_id}", headers=api.alice)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        outcome = worker.run_claimed(claimed)
        assert outcome.status == "cancelled", outcome
        workspace = pipeline_workspace(job_id, api.settings)
        trials = json.loads((workspace / "optimization" / TRIALS).read_text())["trials"]
        assert len(trials) == 8
        assert not (workspace / "aggregation").exists()
        job = api.client.get(f"{PATH}/{job_id}", headers=api.alice).json()
        assert job["status"] == "cancelled"
        results = api.client.get(f"{PATH}/{job_id}/results", headers=api.alice)
        assert results.status_code in (404, 409), results.text
