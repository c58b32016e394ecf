"""Compute: the job queue and its worker, and what SageMaker Processing runs as.

- Queue `stratigos-<stage>-jobs` (KMS, TLS only) with the dead-letter queue
  `stratigos-<stage>-jobs-dlq` after `job_max_receive_count` deliveries. The API sends
  `{"owner", "job_id"}` after each submission (`STRATIGOS_COMPUTE_JOB_QUEUE_URL`).
- Worker function `stratigos-<stage>-worker` (`jobs.lambda_handlers.sqs_worker`, batch size 1,
  partial batch failures reported): runs the job's graph with Bedrock, stores its result, and
  sends sweep batches to SageMaker Processing when `compute_backend` is `sagemaker`. Its
  asynchronous invocations (the search pipeline's ended executions, below) are retried twice,
  then kept in `stratigos-<stage>-worker-events-dlq` (KMS, TLS only, 14 days; alarmed), which
  also holds the events EventBridge could not deliver to it.
- For deployed strategies, the worker also consumes the schedule ticks (`infra/stacks/scheduler.py`)
  (the execution queue is the store's), reads its owners' Alpaca keys (`infra/stacks/execution.py`), sends
  e-mail through SES (`infra/stacks/notifications.py`), and announces the rebalance jobs the
  ticks submit on the job queue (`STRATIGOS_JOBS_QUEUE_URL`).
- Role `stratigos-<stage>-processing`: assumed by SageMaker only; reads shard inputs and writes
  outputs under `stratigos/compute/` of the offload bucket, pulls the processing image, writes
  its logs and metrics. Nothing else. With the stage's VPC the batches run in its isolated
  subnets (`STRATIGOS_COMPUTE_SAGEMAKER_SUBNETS`, `_SECURITY_GROUP_IDS`), and the worker may
  create no job elsewhere (`sagemaker:VpcSubnets`, `sagemaker:VpcSecurityGroupIds`).
- Processing image (ECR asset): `infra/docker/processing.Dockerfile`, entry point
  `python -m jobs.entrypoint`.
- The search pipeline on SageMaker Pipelines (`infra.stacks.search_pipeline`: the pipeline
  `stratigos-<stage>-search`, its execution and steps' roles; the worker starts the executions
  of the searches asked for as the pipeline and ends their jobs) and the instant estimates'
  serverless endpoint (`infra.stacks.estimates_endpoint`: `stratigos-<stage>-estimates`, which
  the API invokes), both in the processing image.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import COMPUTE_PREFIX, StageConfig
from infra.images import WORKER_HANDLER
from infra.stacks.common import (
    MARKET_DATA_INCOMING,
    MARKET_DATA_VERSIONS,
    PLATFORM,
    PROCESSING_DOCKERFILE,
    REFRESH_RECORD,
    REPO_ROOT,
    base_environment,
    container_function,
    grant_bedrock,
    grant_embedding,
    grant_store,
    lambda_image,
    market_data_environment,
    market_data_refresh_environment,
)
from infra.stacks.estimates_endpoint import EstimatesEndpoint
from infra.stacks.execution import OrderExecution
from infra.stacks.foundation import FoundationStack
from infra.stacks.network import NetworkStack, jobs_network, placement
from infra.stacks.notifications import EmailNotifications
from infra.stacks.queues import dead_letter_queue, queue_with_dead_letters
from infra.stacks.research_index import grant_research_index, research_index_uri
from infra.stacks.scheduler import ScheduleTicks
from infra.stacks.search_pipeline import SearchPipeline, grant_processing_jobs

WORKER_TIMEOUT = Duration.minutes(15)


class ComputeStack(Stack):
    """Job queue, worker, SageMaker Processing role and image (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        network: NetworkStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.job_network = jobs_network(network)

        self.job_queue, self.dead_letter_queue = queue_with_dead_letters(
            self,
            ("JobQueue", "JobDeadLetterQueue"),
            (f"{config.prefix}-jobs", f"{config.prefix}-jobs-dlq"),
            foundation,
            # AWS recommends six times the function timeout for Lambda event sources.
            visibility_timeout=Duration.minutes(6 * 15),
            retention_period=Duration.days(4),
            max_receive_count=config.job_max_receive_count,
        )

        self.processing_image = ecr_assets.DockerImageAsset(
            self,
            "ProcessingImage",
            directory=str(REPO_ROOT),
            file=PROCESSING_DOCKERFILE,
            platform=PLATFORM,
        )
        self.processing_role = self._processing_role(foundation)
        self.worker_dead_letters = self._worker_dead_letters(foundation)

        self.worker = self._worker(foundation, network)
        grant_store(self.worker, foundation)
        if config.refreshes_market_data:  # the refresh's file for the ingestion, and its record
            for key in (f"{MARKET_DATA_INCOMING}*", f"{MARKET_DATA_VERSIONS}/{REFRESH_RECORD}"):
                foundation.market_data_bucket.grant_put(self.worker, key)
        grant_research_index(self.worker, foundation)
        self.bedrock_resources = grant_bedrock(self.worker, config, self)
        self.embedding_resources = grant_embedding(self.worker, config, self)
        if config.compute_backend == "sagemaker":
            self._grant_processing_jobs(foundation)
        self._deployed_strategies(foundation)
        self.search_pipeline = SearchPipeline(
            self,
            "SearchPipeline",
            config=config,
            foundation=foundation,
            image=self.processing_image,
            network=self.job_network,
        )
        self.search_pipeline.run_by(self.worker, foundation, self.worker_dead_letters)
        self.estimates = EstimatesEndpoint(
            self, "Estimates", config=config, foundation=foundation, image=self.processing_image
        )

    def _worker(
        self, foundation: FoundationStack, network: NetworkStack | None
    ) -> lambda_.DockerImageFunction:
        """The worker function, fed one job announcement at a time by the job queue."""
        config = self.config
        worker = container_function(
            self,
            "Worker",
            config=config,
            name="worker",
            code=lambda_image(WORKER_HANDLER),
            environment=self._worker_environment(foundation),
            memory_mb=config.worker_memory_mb,
            timeout=WORKER_TIMEOUT,
            ephemeral_mb=2048,
            description="Runs queued jobs (jobs.lambda_handlers.sqs_worker)",
            key=foundation.key,
            # brokers, webhooks, SES and SageMaker are reached through NAT
            placement=placement(network, "egress"),
            reserved_concurrency=config.worker_reserved_concurrency,
            dead_letters=self.worker_dead_letters,
        )
        worker.add_event_source(
            event_sources.SqsEventSource(
                self.job_queue,
                batch_size=1,
                report_batch_item_failures=True,
                max_concurrency=config.worker_max_concurrency,
            )
        )
        return worker

    def _worker_dead_letters(self, foundation: FoundationStack) -> sqs.Queue:
        """What EventBridge could not deliver to the worker, and its asynchronous invocations
        (the search pipeline's ended executions) that failed every attempt."""
        name = f"{self.config.prefix}-worker-events-dlq"
        return dead_letter_queue(self, "WorkerEventsDeadLetterQueue", name, foundation)

    def _worker_environment(self, foundation: FoundationStack) -> dict[str, str]:
        """The worker's settings: the base ones, the research index and, when sweeps run on
        SageMaker Processing, where and how they run."""
        config = self.config
        environment = (
            base_environment(config, foundation)
            | market_data_environment(config, foundation)
            | market_data_refresh_environment(config, foundation)
            | {
                # the workflow's market analysis reads the job owner's research
                "STRATIGOS_RESEARCH_INDEX_URI": research_index_uri(foundation),
            }
        )
        if config.compute_backend == "sagemaker":
            environment |= {
                "STRATIGOS_COMPUTE_BACKEND": "sagemaker",
                "STRATIGOS_COMPUTE_SAGEMAKER_BUCKET": foundation.offload_bucket.bucket_name,
                "STRATIGOS_COMPUTE_SAGEMAKER_PREFIX": COMPUTE_PREFIX,
                "STRATIGOS_COMPUTE_SAGEMAKER_JOB_NAME_PREFIX": config.job_name_prefix,
                "STRATIGOS_COMPUTE_SAGEMAKER_ROLE_ARN": self.processing_role.role_arn,
                "STRATIGOS_COMPUTE_SAGEMAKER_IMAGE_URI": self.processing_image.image_uri,
                "STRATIGOS_COMPUTE_SAGEMAKER_INSTANCE_TYPE": config.sagemaker_instance_type,
                "STRATIGOS_COMPUTE_SAGEMAKER_INSTANCE_COUNT": str(config.sagemaker_instance_count),
                "STRATIGOS_COMPUTE_AWS_REGION": self.region,
                "STRATIGOS_COMPUTE_TIMEOUT_S": str(int(WORKER_TIMEOUT.to_seconds()) - 60),
            }
            if self.job_network is not None:  # the batches run in the isolated subnets
                subnets, groups = self.job_network
                environment |= {
                    "STRATIGOS_COMPUTE_SAGEMAKER_SUBNETS": ",".join(subnets),
                    "STRATIGOS_COMPUTE_SAGEMAKER_SECURITY_GROUP_IDS": ",".join(groups),
                }
        return environment

    def _deployed_strategies(self, foundation: FoundationStack) -> None:
        """What the worker needs for deployed strategies: ticks that submit rebalance jobs
        (announced on the job queue), the owners' broker keys, e-mail through SES."""
        config = self.config
        self.worker.add_environment("STRATIGOS_JOBS_QUEUE_URL", self.job_queue.queue_url)
        self.job_queue.grant_send_messages(self.worker)
        self.ticks = ScheduleTicks(
            self,
            "ScheduleTicks",
            config=config,
            foundation=foundation,
            worker=self.worker,
            worker_timeout=WORKER_TIMEOUT,
        )
        self.execution = OrderExecution(
            self, "OrderExecution", config=config, foundation=foundation, worker=self.worker
        )
        self.notifications = None
        if config.notifications_email_from is not None:  # without a sender: no e-mail
            self.notifications = EmailNotifications(
                self,
                "EmailNotifications",
                sender=config.notifications_email_from,
                creates_identity=config.creates_email_identity,
                worker=self.worker,
            )

    def _processing_role(self, foundation: FoundationStack) -> iam.Role:
        """The SageMaker Processing execution role: shard I/O, image pull, logs, metrics."""
        role = iam.Role(
            self,
            "ProcessingRole",
            role_name=f"{self.config.prefix}-processing",
            description="SageMaker Processing jobs of Stratigos sweep batches",
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            ),
        )
        scratch = f"{COMPUTE_PREFIX}/*"
        foundation.offload_bucket.grant_read(role, scratch)
        foundation.offload_bucket.grant_put(role, scratch)
        self.processing_image.repository.grant_pull(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ProcessingJobLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws/sagemaker/ProcessingJobs:*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ProcessingJobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/ProcessingJobs"}
                },
            )
        )
        return role

    def _grant_processing_jobs(self, foundation: FoundationStack) -> None:
        """Let the worker start, watch, stop and tag its own processing jobs, pass the
        processing role to SageMaker only, and use the shard prefix of the offload bucket."""
        jobs_arn = self.format_arn(
            service="sagemaker",
            resource="processing-job",
            resource_name=f"{self.config.job_name_prefix}-*",
        )
        grant_processing_jobs(self.worker, jobs_arn, self.job_network, "ProcessingJobs")
        self.worker.add_to_role_policy(
            iam.PolicyStatement(
                sid="PassProcessingRole",
                actions=["iam:PassRole"],
                resources=[self.processing_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        foundation.offload_bucket.grant_read_write(self.worker, f"{COMPUTE_PREFIX}/*")
