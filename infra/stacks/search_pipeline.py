"""The search pipeline on SageMaker Pipelines, created by the CDK app (docs/pipeline.md).

- Pipeline `stratigos-<stage>-search` (`AWS::SageMaker::Pipeline`): its definition is
  `jobs.pipeline.sagemaker_definition.pipeline_definition` (the one generator the tests validate
  and run step by step), written into the template at synthesis: each step a Processing job
  in the processing image (`infra/docker/processing.Dockerfile`, built from the lock) running
  `python -m jobs.pipeline.container --step NAME`, on `sagemaker_instance_type`; the
  optimization step on a fleet of `OptimizationInstances` of them (the parameter's default:
  the stage's `sagemaker_instance_count`, 1 to 20), which share each batch through the step's
  prefix in the results bucket (`jobs.pipeline.shards`). A deploy whose definition changed
  updates the pipeline in place; executions under way keep the definition they started with.
- Role `stratigos-<stage>-pipeline` (the pipeline's execution role, assumed by SageMaker):
  creates, watches, stops and tags the pipeline's processing jobs (SageMaker names them
  `pipelines-<execution>-<step>-...`) and passes the steps' role to SageMaker. Nothing else.
- Role `stratigos-<stage>-pipeline-steps` (what the steps' code runs as): the run's objects
  under `pipelines/search/` of the results bucket (SageMaker downloads a step's inputs and
  uploads its output with it; the optimization step's instances publish and read each other's
  slices of a batch there), the market data's versions (read), the owners' strategy
  models (`strategy-models/*` of the model-artifacts bucket) and their records in the store
  table as the training step calls them (`infra.access.STORE_ACCESS["pipeline"]`), the image,
  its logs and metrics; not the API key pepper (the steps check no API key:
  `STRATIGOS_STORE_API_KEY_CHECKS=false`).
- With the stage's VPC, every step runs in its isolated subnets with the `jobs` security group
  (`NetworkConfig`), and the execution role may create only such jobs (`grant_processing_jobs`):
  no step reaches the internet.
- The worker function runs the searches asked for as the search pipeline (`"pipeline": true`;
  `graphs.pipeline_jobs`) on it (`run_by`): its settings name the pipeline, the results bucket
  and `PIPELINE_PREFIX` (`STRATIGOS_COMPUTE_PIPELINE_*`, engine `sagemaker`), and its role may
  start this pipeline's executions (`sagemaker:StartPipelineExecution`, what
  `SageMakerPipeline.start` calls; its order and run card go to `pipelines/search/*` of the
  results bucket, which the worker's store access already writes) and, when EventBridge
  reports one ended (the rule `stratigos-<stage>-search-ends` delivers this pipeline's ended
  executions to the worker), read its parameters and its failure reason
  (`ListPipelineParametersForExecution`, `DescribePipelineExecution`: what
  `jobs.pipeline.completion` calls) on this pipeline's executions only. No other function may
  touch the pipeline (least privilege: each role holds what its code calls).

Each instance of the optimization step evaluates its slice of a batch on its own cores
(`STRATIGOS_COMPUTE_BACKEND=local`): a step's role creates no jobs of its own.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import MARKET_DATA_VERSIONS, grant_store_access, market_data_environment
from infra.stacks.foundation import FoundationStack
from infra.stacks.queues import events_target
from jobs.pipeline.completion import DETAIL_TYPE, ENDED
from jobs.pipeline.sagemaker_definition import (
    PipelineConfig,
    pipeline_definition,
    validate_definition,
)

PIPELINE_PREFIX = "pipelines/search"
"""Where a run's order and each step's output live in the results bucket:
`pipelines/search/<run id>/<step>/` (`jobs.pipeline.sagemaker_definition.run_parameters`)."""
PIPELINE_JOBS = "pipelines-*"
"""The names SageMaker Pipelines gives the processing jobs of its steps."""
PROCESSING_LOGS = "/aws/sagemaker/ProcessingJobs:*"


def sagemaker_service(scope: Construct) -> iam.ServicePrincipal:
    """SageMaker, acting for this account only."""
    account = Stack.of(scope).account
    return iam.ServicePrincipal(
        "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
    )


JobNetwork = tuple[list[str], list[str]]
"""The subnet ids and security group ids SageMaker Processing jobs run in
(`infra.stacks.network.jobs_network`)."""


def network_config(network: JobNetwork | None) -> dict[str, Any] | None:
    """A processing job's `NetworkConfig` in `network` (None: SageMaker's own network)."""
    if network is None:
        return None
    subnets, groups = network
    return {
        "EnableInterContainerTrafficEncryption": True,
        "VpcConfig": {"Subnets": subnets, "SecurityGroupIds": groups},
    }


def grant_processing_jobs(
    grantee: iam.IGrantable, jobs_arn: str, network: JobNetwork | None, sid: str
) -> None:
    """Let `grantee` create, describe, stop and tag the processing jobs of `jobs_arn`; with a
    `network`, create only jobs in its subnets and security groups (the conditions
    `sagemaker:VpcSubnets` and `sagemaker:VpcSecurityGroupIds`, present and every value one of
    those), so no job of the stage runs outside the VPC with internet egress."""
    conditions: dict[str, Any] = {}
    if network is not None:
        subnets, groups = network
        conditions = {
            "ForAllValues:StringEquals": {
                "sagemaker:VpcSubnets": subnets,
                "sagemaker:VpcSecurityGroupIds": groups,
            },
            "Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VpcSecurityGroupIds": "false"},
        }
    add = grantee.grant_principal.add_to_principal_policy
    add(
        iam.PolicyStatement(
            sid=f"Create{sid}",
            actions=["sagemaker:CreateProcessingJob"],
            resources=[jobs_arn],
            conditions=conditions or None,
        )
    )
    add(
        iam.PolicyStatement(
            sid=sid,
            actions=[
                "sagemaker:DescribeProcessingJob",
                "sagemaker:StopProcessingJob",
                "sagemaker:AddTags",
            ],
            resources=[jobs_arn],
        )
    )


def grant_logs_and_metrics(role: iam.Role, log_group: str, namespace: str) -> None:
    """Let a SageMaker job's role write its logs (`log_group` and its streams) and its metrics
    (the namespace `namespace` only)."""
    stack = Stack.of(role)
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[
                stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=log_group,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": namespace}},
        )
    )


def step_environment(config: StageConfig, foundation: FoundationStack) -> dict[str, str]:
    """The settings of every step's container: the store on AWS (the training step keeps the
    owner's model in the model-artifacts bucket), the market data, the optimization step's
    slices on each instance's own cores, shared with the other instances in this region's
    S3."""
    return market_data_environment(config, foundation) | {
        "STRATIGOS_STORE_BACKEND": "aws",
        "STRATIGOS_STORE_TABLE_PREFIX": config.table_prefix,
        "STRATIGOS_STORE_S3_BUCKET": foundation.results_bucket.bucket_name,
        "STRATIGOS_STORE_DOCUMENTS_S3_BUCKET": foundation.documents_bucket.bucket_name,
        "STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET": foundation.model_artifacts_bucket.bucket_name,
        "STRATIGOS_STORE_AWS_REGION": Stack.of(foundation).region,
        # it checks no API key: no pepper (infra.access.API_KEY_CHECKERS)
        "STRATIGOS_STORE_API_KEY_CHECKS": "false",
        "STRATIGOS_DATA_DIR": "/tmp/stratigos",
        "STRATIGOS_LOG_FORMAT": "json",
        "STRATIGOS_COMPUTE_BACKEND": "local",
        "STRATIGOS_COMPUTE_AWS_REGION": Stack.of(foundation).region,
    }


class SearchPipeline(Construct):
    """The pipeline and its two roles (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        image: ecr_assets.DockerImageAsset,
        network: JobNetwork | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = f"{config.prefix}-search"
        self.step_role = self._step_role(config, foundation, image)
        self.execution_role = self._execution_role(config, network)
        definition = pipeline_definition(
            PipelineConfig(
                image_uri=image.image_uri,
                role_arn=self.step_role.role_arn,
                instance_type=config.sagemaker_instance_type,
                environment=step_environment(config, foundation),
                shards=config.sagemaker_instance_count,
                network=network_config(network),
            )
        )
        validate_definition(definition)
        self.definition = definition
        self.pipeline = sagemaker.CfnPipeline(
            self,
            "Pipeline",
            pipeline_name=self.name,
            pipeline_display_name=self.name,
            pipeline_description="Stratigos search: data validation, scenario generation, "
            "distributed optimization, training, results aggregation",
            role_arn=self.execution_role.role_arn,
            pipeline_definition={
                "PipelineDefinitionBody": Stack.of(self).to_json_string(definition)
            },
        )
        self.pipeline.node.add_dependency(self.execution_role, self.step_role)
        self.pipeline_arn = Stack.of(self).format_arn(
            service="sagemaker", resource="pipeline", resource_name=self.name
        )

    def run_by(
        self, worker: lambda_.Function, foundation: FoundationStack, dead_letters: sqs.IQueue
    ) -> None:
        """Let `worker` start this pipeline's executions and end their jobs (the module
        docstring), tell it where the pipeline and its runs are, and deliver it the executions
        that ended (the rule `<prefix>-search-pipeline-ends`; undelivered events in
        `dead_letters`)."""
        stack = Stack.of(self)
        self.ends = events.Rule(
            self,
            "Ends",
            rule_name=f"{self.name}-ends",
            description="Executions of the search pipeline that ended: the worker ends their jobs",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[DETAIL_TYPE],
                detail={
                    "pipelineArn": [self.pipeline_arn],
                    "currentPipelineExecutionStatus": list(ENDED),
                },
            ),
            targets=[events_target(worker, dead_letters)],
        )
        environment = {
            "STRATIGOS_COMPUTE_PIPELINE_ENGINE": "sagemaker",
            "STRATIGOS_COMPUTE_PIPELINE_NAME": self.name,
            "STRATIGOS_COMPUTE_PIPELINE_BUCKET": foundation.results_bucket.bucket_name,
            "STRATIGOS_COMPUTE_PIPELINE_PREFIX": PIPELINE_PREFIX,
        }
        for name, value in environment.items():
            worker.add_environment(name, value)
        worker.add_to_role_policy(
            iam.PolicyStatement(
                sid="StartSearchPipeline",
                actions=["sagemaker:StartPipelineExecution"],
                resources=[self.pipeline_arn],
            )
        )
        executions = stack.format_arn(
            service="sagemaker", resource="pipeline", resource_name=f"{self.name}/execution/*"
        )
        worker.add_to_role_policy(
            iam.PolicyStatement(
                sid="EndSearchPipelineJobs",
                actions=[
                    "sagemaker:ListPipelineParametersForExecution",
                    "sagemaker:DescribePipelineExecution",
                ],
                resources=[executions],
            )
        )

    def _step_role(
        self, config: StageConfig, foundation: FoundationStack, image: ecr_assets.DockerImageAsset
    ) -> iam.Role:
        role = iam.Role(
            self,
            "StepRole",
            role_name=f"{config.prefix}-pipeline-steps",
            description="The steps of the Stratigos search pipeline (SageMaker Processing)",
            assumed_by=sagemaker_service(self),
        )
        runs = f"{PIPELINE_PREFIX}/*"
        foundation.results_bucket.grant_read(role, runs)
        foundation.results_bucket.grant_put(role, runs)
        foundation.market_data_bucket.grant_read(role, f"{MARKET_DATA_VERSIONS}/*")
        grant_store_access(role, foundation, "pipeline")
        image.repository.grant_pull(role)
        grant_logs_and_metrics(role, PROCESSING_LOGS, "/aws/sagemaker/ProcessingJobs")
        return role

    def _execution_role(self, config: StageConfig, network: JobNetwork | None) -> iam.Role:
        role = iam.Role(
            self,
            "ExecutionRole",
            role_name=f"{config.prefix}-pipeline",
            description="Runs the Stratigos search pipeline: its steps' processing jobs",
            assumed_by=sagemaker_service(self),
        )
        stack = Stack.of(self)
        jobs = stack.format_arn(
            service="sagemaker", resource="processing-job", resource_name=PIPELINE_JOBS
        )
        grant_processing_jobs(role, jobs, network, "PipelineStepJobs")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.step_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        return role
