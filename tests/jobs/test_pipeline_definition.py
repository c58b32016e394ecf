"""The search pipeline's SageMaker definition: generated from the one step list, valid for the
Pipeline Definition Language (`tests.support.pipeline_schema`) and for botocore's model of
`CreateProcessingJob`, and accepted by moto's SageMaker server (create, update, start)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.pipeline.sagemaker_definition import (
    ORDER_PARAMETER,
    SHARDS_PARAMETER,
    TRAIN_PARAMETER,
    InvalidDefinitionError,
    PipelineConfig,
    output_parameter,
    pipeline_definition,
    problems,
    processing_steps,
    run_parameters,
    validate_definition,
)
from jobs.pipeline.sagemaker_pipeline import SageMakerPipeline, display_name
from jobs.pipeline.steps import SEARCH_PIPELINE
from tests.support.aws import FAKE_AWS_ENV, moto_server
from tests.support.pipeline_schema import PIPELINE_DEFINITION

ROLE = "arn:aws:iam::123456789012:role/stratigos-pipeline"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/stratigos-processing:1.0"
BUCKET = "stratigos-test-results"
SCHEMA = jsonschema.Draft7Validator(PIPELINE_DEFINITION)


def _config(**changes: Any) -> PipelineConfig:
    return PipelineConfig(image_uri=IMAGE, role_arn=ROLE, **changes)


def test_every_step_of_the_list_is_a_step_of_the_definition_in_its_order() -> None:
    definition = pipeline_definition(_config())
    names = [s["Name"] for s in processing_steps(definition)]
    assert names == [s.name for s in SEARCH_PIPELINE]
    for step, processing in zip(SEARCH_PIPELINE, processing_steps(definition), strict=True):
        arguments = processing["Arguments"]
        inputs = [i["InputName"] for i in arguments["ProcessingInputs"]]
        assert inputs[: 1 + len(step.needs)] == ["order", *step.needs]
        assert arguments["AppSpecification"]["ContainerArguments"][:2] == ["--step", step.name]
        (output,) = arguments["ProcessingOutputConfig"]["Outputs"]
        assert output["S3Output"]["S3Uri"] == {"Get": f"Parameters.{output_parameter(step)}"}
        # the checkpointed step reads its own output prefix back and uploads as it goes
        assert ("checkpoint" in inputs) == step.checkpointed
        expected = "Continuous" if step.checkpointed else "EndOfJob"
        assert output["S3Output"]["S3UploadMode"] == expected
    (condition,) = [s for s in definition["Steps"] if s["Type"] == "Condition"]
    assert condition["Arguments"]["Conditions"][0]["LeftValue"] == {
        "Get": f"Parameters.{TRAIN_PARAMETER}"
    }
    assert [s["Name"] for s in condition["Arguments"]["IfSteps"]] == ["training"]


def test_the_optimization_step_runs_on_the_fleet_its_parameter_asks_for() -> None:
    """Its instances come from the Integer parameter (default: the configuration's fleet) and
    share its batches through its own output prefix; every other step runs on one instance."""
    definition = pipeline_definition(_config(shards=4))
    (parameter,) = [p for p in definition["Parameters"] if p["Name"] == SHARDS_PARAMETER]
    assert parameter["Type"] == "Integer" and parameter["DefaultValue"] == 4
    for step in processing_steps(definition):
        arguments = step["Arguments"]
        count = arguments["ProcessingResources"]["ClusterConfig"]["InstanceCount"]
        container = arguments["AppSpecification"]["ContainerArguments"]
        if step["Name"] == "optimization":
            assert count == {"Get": f"Parameters.{SHARDS_PARAMETER}"}
            (output,) = arguments["ProcessingOutputConfig"]["Outputs"]
            assert container[container.index("--shards-uri") + 1] == output["S3Output"]["S3Uri"]
        else:
            assert count == 1 and "--shards-uri" not in container


@pytest.mark.parametrize("shards", [0, 21, -1])
def test_a_fleet_outside_one_to_twenty_instances_is_refused(shards: int) -> None:
    with pytest.raises(ValueError, match=r"shards=-?\d+ must be in 1\.\.20"):
        _config(shards=shards)
    with pytest.raises(ValueError, match=f"{SHARDS_PARAMETER}={shards} must be in"):
        run_parameters(BUCKET, "p", "r", shards=shards)


def test_instances_from_a_parameter_of_another_type_are_refused() -> None:
    definition = pipeline_definition(_config())
    (optimization,) = [s for s in processing_steps(definition) if s["Name"] == "optimization"]
    cluster = optimization["Arguments"]["ProcessingResources"]["ClusterConfig"]
    cluster["InstanceCount"] = {"Get": f"Parameters.{ORDER_PARAMETER}"}  # a String
    assert any("InstanceCount" in problem for problem in problems(definition))


environments = st.dictionaries(
    st.from_regex(r"STRATIGOS_[A-Z_]{1,20}", fullmatch=True),
    st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), max_size=40),
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(
    instance_type=st.sampled_from(["ml.c5.4xlarge", "ml.m5.xlarge", "ml.c5.18xlarge"]),
    volume=st.integers(1, 16384),
    runtime=st.integers(1, 432000),
    attempts=st.integers(1, 20),
    environment=environments,
    shards=st.integers(1, 20),
)
def test_the_definition_is_valid_for_any_configuration(
    instance_type: str,
    volume: int,
    runtime: int,
    attempts: int,
    environment: dict[str, str],
    shards: int,
) -> None:
    definition = pipeline_definition(
        _config(
            instance_type=instance_type,
            volume_gb=volume,
            max_runtime_s=runtime,
            retry_attempts=attempts,
            environment=environment,
            shards=shards,
        )
    )
    assert list(SCHEMA.iter_errors(definition)) == []
    assert problems(definition) == []
    assert json.loads(json.dumps(definition)) == definition  # plain JSON


def _broken(change: str) -> dict[str, Any]:
    definition = pipeline_definition(_config())
    first = definition["Steps"][0]
    if change == "step name":
        first["Name"] = "data validation!"
    elif change == "parameter":
        first["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = {"Get": "Parameters.Nope"}
    elif change == "argument":
        first["Arguments"]["ProcessingResources"]["ClusterConfig"]["InstanceCount"] = "one"
    elif change == "unknown field":
        first["Arguments"]["AppSpecification"]["Entrypoint"] = ["python"]
    elif change == "retry as one string":  # what the definition wrote before (issue 63)
        first["RetryPolicies"][0]["ExceptionType"] = "SageMaker.JOB_INTERNAL_ERROR"
    return definition


@pytest.mark.parametrize(
    "change", ["step name", "parameter", "argument", "unknown field", "retry as one string"]
)
def test_a_broken_definition_is_refused_saying_what_is_wrong(change: str) -> None:
    definition = _broken(change)
    with pytest.raises(InvalidDefinitionError) as caught:
        validate_definition(definition)
    word = {"step name": "step name", "parameter": "Nope", "argument": "InstanceCount"}
    word["retry as one string"] = "ExceptionType must be a list"
    assert word.get(change, "Entrypoint") in str(caught.value)
    if change != "parameter":  # the schema cannot know which parameters exist
        assert list(SCHEMA.iter_errors(definition))


def test_retry_policies_are_what_the_service_documents() -> None:
    """`"ExceptionType": [String]` (the developer guide's JSON schema of a retry policy), the
    job's errors apart from the step's as the SageMaker SDK writes them; every kind retried."""
    for step in processing_steps(pipeline_definition(_config(retry_attempts=4))):
        policies = step["RetryPolicies"]
        assert [p["ExceptionType"] for p in policies] == [
            ["SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"],
            ["Step.THROTTLING"],
        ]
        assert all(
            p["MaxAttempts"] == 4 and isinstance(p["IntervalSeconds"], int) for p in policies
        )


def test_run_parameters_name_each_step_output_under_the_run() -> None:
    parameters = run_parameters(BUCKET, "/searches/", "job_1", train=False)
    assert parameters[ORDER_PARAMETER] == f"s3://{BUCKET}/searches/job_1/order/"
    for step in SEARCH_PIPELINE:
        assert parameters[output_parameter(step)] == f"s3://{BUCKET}/searches/job_1/{step.name}/"
    assert parameters[TRAIN_PARAMETER] is False
    assert run_parameters(BUCKET, "", "r")[ORDER_PARAMETER] == f"s3://{BUCKET}/r/order/"


@given(st.text(max_size=120))
def test_display_names_are_what_sagemaker_accepts(run_id: str) -> None:
    import re

    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}", display_name(run_id))


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch, moto_server() as endpoint:
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        yield endpoint


def test_moto_creates_updates_and_starts_the_pipeline(moto_endpoint: str) -> None:
    kwargs = {"endpoint_url": moto_endpoint, "region_name": "us-east-1"}
    s3, sagemaker = boto3.client("s3", **kwargs), boto3.client("sagemaker", **kwargs)
    s3.create_bucket(Bucket=BUCKET)
    pipeline = SageMakerPipeline(
        name="stratigos-search",
        bucket=BUCKET,
        prefix="searches",
        config=_config(),
        sagemaker=sagemaker,
        s3=s3,
    )
    arn = pipeline.deploy()
    assert arn.endswith(":pipeline/stratigos-search")
    stored = sagemaker.describe_pipeline(PipelineName="stratigos-search")
    assert json.loads(stored["PipelineDefinition"]) == pipeline.definition()
    pipeline.config = _config(instance_type="ml.m5.xlarge")
    assert pipeline.deploy() == arn  # the second deploy updates it
    stored = sagemaker.describe_pipeline(PipelineName="stratigos-search")
    assert "ml.m5.xlarge" in stored["PipelineDefinition"]

    order = {"run_id": "job_01", "request": {"seed": 3}}
    execution = pipeline.start(order, train=False, shards=6)
    assert pipeline.status(execution) in ("Executing", "Succeeded")
    given_parameters = sagemaker.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=execution
    )["PipelineParameters"]
    expected = pipeline.parameters("job_01", train=False, shards=6)
    assert expected[SHARDS_PARAMETER] == 6
    assert {p["Name"]: p["Value"] for p in given_parameters} == {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in expected.items()
    }
    written = s3.get_object(Bucket=BUCKET, Key="searches/job_01/order/order.json")
    assert json.loads(written["Body"].read()) == order
    card = s3.list_objects_v2(Bucket=BUCKET, Prefix="searches/job_01/optimization/")
    assert [c["Key"] for c in card["Contents"]] == ["searches/job_01/optimization/_run.json"]
