"""The search pipeline as a SageMaker Pipelines definition, generated from the one step list
(`jobs.pipeline.steps.SEARCH_PIPELINE`).

`pipeline_definition(config)` is the JSON document of the Pipeline Definition Language
(version 2020-12-01): every step a Processing step running the step in the Stratigos image
(`python -m jobs.pipeline.container --step NAME`); the training step inside a Condition step
on the `TrainModel` parameter (the optional step). A run's S3 locations are parameters
(`run_parameters`): the search order, then one prefix per step's output in the results bucket.
A step reads the order and the outputs of the steps it needs (`Get` of those steps'
`ProcessingOutputConfig`, which also orders the steps); the checkpointed optimization step
uploads its output continuously and reads its own prefix back as the `checkpoint` input, so a
step SageMaker retries (`RetryPolicies`) or an execution retried after a failure
(`RetryPipelineExecution`) continues after its last finished batch. The optimization step
runs on `OptimizationInstances` instances (an Integer parameter, default
`PipelineConfig.shards`: the stage's fleet) that share each batch through its output prefix
(`--shards-uri`; `jobs.pipeline.shards`), so its result is one instance's.

`validate_definition(definition)` checks each step's arguments against botocore's model of
`CreateProcessingJob` (the service's own shapes: names, types, enums, lengths) with every
`Get` in place of a value of its parameter's type; `problems` names what is wrong.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from jobs.pipeline.container import CHECKPOINT, input_path, output_path
from jobs.pipeline.shards import check_shard_count
from jobs.pipeline.steps import ORDER, SEARCH_PIPELINE, STEPS_MODULE, PipelineStep
from settings.groups.compute import MAX_PIPELINE_SHARDS

if TYPE_CHECKING:
    from botocore.model import Shape

DEFINITION_VERSION = "2020-12-01"
ORDER_PARAMETER = "OrderUri"
TRAIN_PARAMETER = "TrainModel"
SHARDS_PARAMETER = "OptimizationInstances"
"""The Integer parameter: how many instances share the optimization step's batches."""
TRAIN_CONDITION = "training-if-asked"
CONTAINER_ENTRYPOINT = ("python", "-m", "jobs.pipeline.container")
RETRIED_ERRORS: tuple[tuple[str, ...], ...] = (
    ("SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR"),
    ("Step.THROTTLING",),
)
"""The failures SageMaker retries a step after (the step then resumes from its checkpoint), one
retry policy per group: its `ExceptionType` is the list of a group (the service's documented
shape, `"ExceptionType": [String]`), the job's errors apart from the step's as the SageMaker
Python SDK writes them (`SageMakerJobStepRetryPolicy`, `StepRetryPolicy`)."""
_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")


@dataclass(frozen=True)
class PipelineConfig:
    """What the definition needs: the image (built from the lock) and the role its steps run
    with, the instances, and the environment of every step's container (the store's and the
    compute backend's `STRATIGOS_*` settings: where the training step keeps the model and
    where the optimization step's batches run)."""

    image_uri: str
    role_arn: str
    instance_type: str = "ml.c5.4xlarge"
    volume_gb: int = 30
    max_runtime_s: int = 86_400
    retry_attempts: int = 3
    steps_module: str = STEPS_MODULE
    environment: Mapping[str, str] = field(default_factory=dict)
    network: Mapping[str, Any] | None = None
    """Every step's `NetworkConfig` (its VPC subnets and security groups), or None: SageMaker's
    own network."""
    shards: int = 1
    """The default of `OptimizationInstances`: the instances of the optimization step."""

    def __post_init__(self) -> None:
        check_shard_count(self.shards)


def output_parameter(step: PipelineStep) -> str:
    """The parameter holding `step`'s output prefix: `DataValidationUri`, ..."""
    return "".join(part.capitalize() for part in step.name.split("-")) + "Uri"


def run_parameters(
    bucket: str, prefix: str, run_id: str, *, train: bool = True, shards: int | None = None
) -> dict[str, str | bool | int]:
    """The parameters of run `run_id`: its order and each step's output under
    `s3://<bucket>/<prefix>/<run_id>/`, whether the training step runs and, when given, the
    optimization step's instances (else the definition's default)."""
    base = "/".join(p for p in (f"s3://{bucket}", prefix.strip("/"), run_id) if p)
    parameters: dict[str, str | bool | int] = {ORDER_PARAMETER: f"{base}/{ORDER}/"}
    for step in SEARCH_PIPELINE:
        parameters[output_parameter(step)] = f"{base}/{step.name}/"
    parameters[TRAIN_PARAMETER] = train
    if shards is not None:
        parameters[SHARDS_PARAMETER] = check_shard_count(shards, SHARDS_PARAMETER)
    return parameters


def _output_reference(step: str) -> dict[str, str]:
    return {"Get": f"Steps.{step}.ProcessingOutputConfig.Outputs['{step}'].S3Output.S3Uri"}


def _input(name: str, uri: Any) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": input_path(name),
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _processing_step(step: PipelineStep, config: PipelineConfig) -> dict[str, Any]:
    own = {"Get": f"Parameters.{output_parameter(step)}"}
    inputs = [_input(ORDER, {"Get": f"Parameters.{ORDER_PARAMETER}"})]
    inputs += [_input(needed, _output_reference(needed)) for needed in step.needs]
    if step.checkpointed:
        inputs.append(_input(CHECKPOINT, own))
    arguments: list[Any] = ["--step", step.name, "--steps-module", config.steps_module]
    instances: Any = 1
    if step.sharded:  # its instances share each batch through its own output prefix
        arguments += ["--shards-uri", own]
        instances = {"Get": f"Parameters.{SHARDS_PARAMETER}"}
    return {
        "Name": step.name,
        "Type": "Processing",
        "Description": step.title,
        "Arguments": {
            "ProcessingResources": {
                "ClusterConfig": {
                    "InstanceCount": instances,
                    "InstanceType": config.instance_type,
                    "VolumeSizeInGB": config.volume_gb,
                }
            },
            "AppSpecification": {
                "ImageUri": config.image_uri,
                "ContainerEntrypoint": list(CONTAINER_ENTRYPOINT),
                "ContainerArguments": arguments,
            },
            "RoleArn": config.role_arn,
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {
                "Outputs": [
                    {
                        "OutputName": step.name,
                        "S3Output": {
                            "S3Uri": own,
                            "LocalPath": output_path(step),
                            "S3UploadMode": "Continuous" if step.checkpointed else "EndOfJob",
                        },
                    }
                ]
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": config.max_runtime_s},
            "Environment": dict(config.environment),
            **({"NetworkConfig": dict(config.network)} if config.network is not None else {}),
        },
        "RetryPolicies": [
            {
                "ExceptionType": list(kinds),
                "IntervalSeconds": 30,
                "BackoffRate": 2.0,
                "MaxAttempts": config.retry_attempts,
            }
            for kinds in RETRIED_ERRORS
        ],
    }


def pipeline_definition(config: PipelineConfig) -> dict[str, Any]:
    """The search pipeline's definition (see the module docstring)."""
    parameters: list[dict[str, Any]] = [
        {"Name": ORDER_PARAMETER, "Type": "String", "Description": "s3:// prefix of the order"}
    ]
    steps: list[dict[str, Any]] = []
    for step in SEARCH_PIPELINE:
        parameters.append(
            {
                "Name": output_parameter(step),
                "Type": "String",
                "Description": f"s3:// prefix of the {step.title.lower()} step's output",
            }
        )
        processing = _processing_step(step, config)
        if not step.optional:
            steps.append(processing)
            continue
        steps.append(
            {
                "Name": TRAIN_CONDITION if step.name == "training" else f"{step.name}-if-asked",
                "Type": "Condition",
                "DependsOn": list(step.needs),
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "Equals",
                            "LeftValue": {"Get": f"Parameters.{TRAIN_PARAMETER}"},
                            "RightValue": True,
                        }
                    ],
                    "IfSteps": [processing],
                    "ElseSteps": [],
                },
            }
        )
    parameters.append(
        {
            "Name": SHARDS_PARAMETER,
            "Type": "Integer",
            "DefaultValue": config.shards,
            "Description": "instances sharing the optimization step's batches "
            f"(1 to {MAX_PIPELINE_SHARDS})",
        }
    )
    parameters.append(
        {
            "Name": TRAIN_PARAMETER,
            "Type": "Boolean",
            "DefaultValue": True,
            "Description": "whether the owner's strategy model learns this search's trials",
        }
    )
    return {
        "Version": DEFINITION_VERSION,
        "Metadata": {},
        "Parameters": parameters,
        "Steps": steps,
    }


def processing_steps(definition: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every Processing step of `definition`, those inside Condition steps included."""
    for step in definition.get("Steps", []):
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments", {})
            for branch in ("IfSteps", "ElseSteps"):
                yield from (s for s in arguments.get(branch, []) if s.get("Type") == "Processing")
        elif step.get("Type") == "Processing":
            yield step


_PLACEHOLDERS: dict[str, Any] = {
    "String": "s3://placeholder/resolved-at-run-time/",
    "Integer": 1,
    "Float": 1.0,
    "Boolean": True,
}


def _placeholders(value: Any, types: Mapping[str, str]) -> Any:
    """`value` with each `Get` replaced by a value of its type: a parameter's (`types`: each
    parameter's `Type`), a string for a step's property (its output's S3 URI)."""
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            kind, _, name = str(value["Get"]).partition(".")
            wanted = types.get(name, "String") if kind == "Parameters" else "String"
            return _PLACEHOLDERS.get(wanted, _PLACEHOLDERS["String"])
        return {k: _placeholders(v, types) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v, types) for v in value]
    return value


@cache
def _processing_job_input() -> Shape:
    """botocore's model of `CreateProcessingJob`'s input (read once a process: the SageMaker
    model is a few megabytes of JSON)."""
    from botocore.session import get_session

    shape = (
        get_session()
        .get_service_model("sagemaker")
        .operation_model("CreateProcessingJob")
        .input_shape
    )
    assert shape is not None  # CreateProcessingJob takes a request
    return shape


def problems(definition: Mapping[str, Any]) -> list[str]:
    """What is wrong with `definition` as a SageMaker pipeline of Processing and Condition
    steps: step names, unique and valid; references to steps and parameters that exist; each
    Processing step's retry policies as documented and its arguments valid for
    `CreateProcessingJob` (botocore's model)."""
    from botocore.validate import ParamValidator

    found: list[str] = []
    shape = _processing_job_input()
    types = {
        str(p.get("Name")): str(p.get("Type", "String")) for p in definition.get("Parameters", [])
    }
    parameters = set(types)
    names = [s.get("Name") for s in definition.get("Steps", [])]
    names += [s.get("Name") for s in processing_steps(definition) if s.get("Name") not in names]
    for name in names:
        if not isinstance(name, str) or not _NAME.match(name):
            found.append(f"step name {name!r} does not match {_NAME.pattern}")
    if len(set(names)) != len(names):
        found.append(f"step names repeat: {names}")
    for reference in references(definition):
        kind, _, rest = reference.partition(".")
        target = rest.split(".", 1)[0]
        if kind == "Parameters" and target not in parameters:
            found.append(f"Get {reference!r} names no parameter")
        elif kind == "Steps" and target not in names:
            found.append(f"Get {reference!r} names no step")
    for step in processing_steps(definition):
        found += [f"step {step.get('Name')}: {p}" for p in _retry_problems(step)]
        arguments = dict(_placeholders(copy.deepcopy(step.get("Arguments", {})), types))
        arguments["ProcessingJobName"] = "validation-placeholder"
        report = ParamValidator().validate(arguments, shape)
        if report.has_errors():
            found.append(f"step {step.get('Name')}: {report.generate_report()}")
    return found


EXCEPTION_TYPES = frozenset(
    ("Step.SERVICE_FAULT", "Step.THROTTLING", "SageMaker.JOB_INTERNAL_ERROR",
     "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT")
)  # fmt: skip
"""The exception types a step's retry policy may name (the service's documentation)."""


def _retry_problems(step: Mapping[str, Any]) -> list[str]:
    """What is wrong with a step's `RetryPolicies` as the service documents them: each
    `ExceptionType` a non-empty list of `EXCEPTION_TYPES`, the numbers positive."""
    found = []
    for i, policy in enumerate(step.get("RetryPolicies") or []):
        kinds = policy.get("ExceptionType")
        if not isinstance(kinds, list) or not kinds or not set(kinds) <= EXCEPTION_TYPES:
            found.append(
                f"RetryPolicies[{i}].ExceptionType must be a list of {sorted(EXCEPTION_TYPES)}, "
                f"got {kinds!r}"
            )
        for name in ("IntervalSeconds", "MaxAttempts", "ExpireAfterMin"):
            value = policy.get(name, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                found.append(f"RetryPolicies[{i}].{name} must be a positive integer, got {value!r}")
    return found


def references(value: Any) -> Iterator[str]:
    """The targets of every `{"Get": ...}` inside a definition's `value` (such as
    `Parameters.OrderUri` or `Steps.optimization.ProcessingOutputConfig...`), in document order."""
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            yield value["Get"]
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


class InvalidDefinitionError(ValueError):
    """A pipeline definition SageMaker would refuse (`problems` lists why)."""


def validate_definition(definition: Mapping[str, Any]) -> None:
    """Raise `InvalidDefinitionError` listing `problems(definition)`, if any."""
    found = problems(definition)
    if found:
        raise InvalidDefinitionError("; ".join(found))
