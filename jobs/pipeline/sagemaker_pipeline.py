"""The search pipeline on SageMaker Pipelines, through plain boto3: create or update the
pipeline from its generated definition, start a run, follow it, read its result.

`SageMakerPipeline(name, bucket, prefix, config)` (`configured_pipeline(settings)`: the one
`STRATIGOS_COMPUTE_PIPELINE_*` names, whose runs the worker starts; no definition config):
- `deploy()` validates the definition (`sagemaker_definition.validate_definition`) and
  creates the pipeline, or updates it when it exists (the CDK app or a deploy calls it).
- `start(order, train=True, shards=None)` writes the search order to `s3://<bucket>/<prefix>/<run>/order/`
  and a run card into the optimization step's prefix (so its `checkpoint` input is never an
  empty prefix), then starts an execution with the run's parameters (`shards`: the
  optimization step's instances, else the definition's default); its ARN.
- `status(arn)` is the execution's status; `result(run_id)` reads the aggregation step's
  `result.json`.

A step that fails for a reason SageMaker retries (internal error, capacity, throttling) is
retried by its `RetryPolicies`; an execution that failed for another reason can be retried
(`RetryPipelineExecution`, from the console or `aws sagemaker retry-pipeline-execution`): the
finished steps are kept and the optimization step resumes from its checkpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jobs.pipeline.sagemaker_definition import (
    PipelineConfig,
    pipeline_definition,
    run_parameters,
    validate_definition,
)
from jobs.pipeline.steps import ORDER_FILE

if TYPE_CHECKING:
    from settings import Settings

RUN_CARD = "_run.json"
"""The object `start` writes into the optimization step's prefix before the run."""


def s3_location(uri: str) -> tuple[str, str]:
    """(bucket, key) of an `s3://bucket/key` URI."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def display_name(run_id: str) -> str:
    """`run_id` as an execution's display name (letters, digits and single dashes, 82 at
    most)."""
    name = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9]", "-", run_id)).strip("-")
    return name[:82].rstrip("-") or "run"


class SageMakerPipeline:
    """One search pipeline on SageMaker (see the module docstring). `sagemaker` and `s3`:
    boto3 clients; `config`: its definition's (None: runs only, no `definition`/`deploy`)."""

    def __init__(
        self,
        *,
        name: str,
        bucket: str,
        prefix: str,
        config: PipelineConfig | None,
        sagemaker: Any,
        s3: Any,
    ) -> None:
        self.name = name
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.config = config
        self.sagemaker = sagemaker
        self.s3 = s3

    def definition(self) -> dict[str, Any]:
        """The pipeline's definition (validated)."""
        if self.config is None:
            raise ValueError(f"pipeline {self.name}: no definition config given")
        definition = pipeline_definition(self.config)
        validate_definition(definition)
        return definition

    def deploy(self) -> str:
        """Create the pipeline, or update its definition when it exists; its ARN."""
        from botocore.exceptions import ClientError

        body = json.dumps(self.definition())
        role_arn = self.config.role_arn if self.config is not None else ""
        try:
            self.sagemaker.describe_pipeline(PipelineName=self.name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("ValidationException", "404"):
                raise
            answer = self.sagemaker.create_pipeline(
                PipelineName=self.name,
                PipelineDefinition=body,
                RoleArn=role_arn,
                PipelineDescription="Stratigos search: data validation, scenario generation, "
                "distributed optimization, training, results aggregation",
            )
            return str(answer["PipelineArn"])
        answer = self.sagemaker.update_pipeline(
            PipelineName=self.name, PipelineDefinition=body, RoleArn=role_arn
        )
        return str(answer["PipelineArn"])

    def parameters(
        self, run_id: str, *, train: bool = True, shards: int | None = None
    ) -> dict[str, str | bool | int]:
        """The parameters of run `run_id` (`run_parameters`)."""
        return run_parameters(self.bucket, self.prefix, run_id, train=train, shards=shards)

    def start(
        self, order: Mapping[str, Any], *, train: bool = True, shards: int | None = None
    ) -> str:
        """Write `order` and the run card, start an execution on `shards` instances of the
        optimization step (None: the definition's default); its ARN."""
        run_id = str(order["run_id"])
        parameters = self.parameters(run_id, train=train, shards=shards)
        bucket, key = s3_location(str(parameters["OrderUri"]))
        self.s3.put_object(Bucket=bucket, Key=key + ORDER_FILE, Body=json.dumps(order).encode())
        bucket, key = s3_location(str(parameters["OptimizationUri"]))
        self.s3.put_object(Bucket=bucket, Key=key + RUN_CARD, Body=json.dumps({"run_id": run_id}))
        answer = self.sagemaker.start_pipeline_execution(
            PipelineName=self.name,
            PipelineExecutionDisplayName=display_name(run_id),
            PipelineParameters=[
                {
                    "Name": name,
                    "Value": str(value).lower() if isinstance(value, bool) else str(value),
                }
                for name, value in parameters.items()
            ],
            ClientRequestToken=run_id[:128].ljust(32, "-"),
        )
        return str(answer["PipelineExecutionArn"])

    def status(self, execution_arn: str) -> str:
        """The execution's status (Executing, Stopping, Stopped, Failed, Succeeded)."""
        answer = self.sagemaker.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
        return str(answer["PipelineExecutionStatus"])

    def result(self, run_id: str) -> dict[str, Any]:
        """The aggregation step's `result.json` of run `run_id`."""
        bucket, key = s3_location(str(self.parameters(run_id)["AggregationUri"]))
        body = self.s3.get_object(Bucket=bucket, Key=key + "result.json")["Body"].read()
        document: dict[str, Any] = json.loads(body)
        return document


def configured_pipeline(settings: Settings) -> SageMakerPipeline:
    """The pipeline `settings.compute.pipeline` names (`ValueError` naming what is missing),
    through clients of `settings.compute`'s region and endpoint."""
    import boto3

    chosen, compute = settings.compute.pipeline, settings.compute
    missing = chosen.missing()
    if missing:
        raise ValueError(f"no SageMaker search pipeline configured: set {', '.join(missing)}")
    clients = {"region_name": compute.aws_region, "endpoint_url": compute.aws_endpoint_url}
    return SageMakerPipeline(
        name=str(chosen.name),
        bucket=str(chosen.bucket),
        prefix=chosen.prefix,
        config=None,
        sagemaker=boto3.client("sagemaker", **clients),
        s3=boto3.client("s3", **clients),
    )
