"""The operations stack's alarms on AWS's own signals (the application's are in
`infra.stacks.monitoring`), and the events that go straight to the alarm topic.

Alarms (to the alarm topic on ALARM and OK, through the operations stack's `alarm`):
- `<prefix>-pipeline-failures`: an execution of the search pipeline failed, or one of its steps
  did (EventBridge's SageMaker Pipelines events, matched by the rules
  `<prefix>-search-execution-failed` and `-search-step-failed`, kept in the SageMaker failures'
  log group);
- `<prefix>-estimates-errors`: the estimates endpoint answered 5xx (SageMaker's
  `Invocation5XXErrors`) at least `api_5xx_threshold` times in 5 minutes;
- `<prefix>-api-latency`: the REST API's p95 latency above `api_latency_p95_ms` for three
  5-minute periods in a row;
- `<prefix>-dynamodb-throttles`: any read or write of the three tables throttled in 5 minutes;
- `<prefix>-lambda-throttles`: any invocation of the API, WebSocket or worker function throttled
  (beyond its reserved concurrency) in 5 minutes.

Events to the topic (EventBridge, with the readable message of `KEY_MESSAGE` or
`BACKUP_MESSAGE`, retried twice, the undelivered in the operations stack's dead-letter queue):
- `<prefix>-key-changes`: a KMS key of the account and region scheduled for deletion or
  disabled (CloudTrail's `ScheduleKeyDeletion`, `DisableKey`: EventBridge receives them while a
  trail logs the account's management events, such as `stratigos-audit`);
- `<prefix>-backup-failures` (with `backup`): an AWS Backup backup or copy job that failed,
  was aborted or expired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import ASYNC_RETRIES
from infra.stacks.compute import ComputeStack
from infra.stacks.estimates_endpoint import VARIANT
from infra.stacks.foundation import FoundationStack
from infra.stacks.queues import log_group_target, rule_matches

PERIOD = Duration.minutes(5)
LATENCY_PERIODS = 3
KEY_EVENTS = ("ScheduleKeyDeletion", "DisableKey")
"""CloudTrail's KMS events that make a key's data unreadable (now, or after its waiting period)."""
FAILED_JOB_STATES = ("FAILED", "ABORTED", "EXPIRED")
"""AWS Backup's job states of a backup or copy that did not happen."""
PIPELINE_EVENTS = {
    "execution": (
        "SageMaker Model Building Pipeline Execution Status Change",
        "currentPipelineExecutionStatus",
    ),
    "step": ("SageMaker Model Building Pipeline Execution Step Status Change", "currentStepStatus"),
}
"""Which SageMaker Pipelines event says an execution, or a step, ended, and its status field."""
KEY_MESSAGE = (
    "KMS {name} by {who} on {key} ({region}, {time}): the data it encrypts becomes unreadable"
)
BACKUP_MESSAGE = "AWS Backup {kind} {state}: {resource} ({region}, {time}): {reason}"

Alarm = Callable[..., cloudwatch.Alarm]


def total(metrics: dict[str, cloudwatch.IMetric]) -> cloudwatch.MathExpression:
    """The sum of `metrics` (by their ids in the expression) over each `PERIOD`."""
    return cloudwatch.MathExpression(
        expression=" + ".join(metrics), using_metrics=metrics, period=PERIOD
    )


class ServiceAlarms(Construct):
    """The alarms and events of the module docstring."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        alarm: Alarm,
        topic: sns.ITopic,
        dead_letters: sqs.IQueue,
        failures: logs.ILogGroup,
        foundation: FoundationStack,
        compute: ComputeStack,
        functions: dict[str, lambda_.IFunction],
        rest_api_name: str,
        rest_api_stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.alarm = alarm
        self.topic = topic
        self.dead_letters = dead_letters
        self._pipeline_failures(compute, failures)
        alarm(
            "estimates-errors",
            self._sagemaker_metric("Invocation5XXErrors", compute.estimates.name),
            threshold=config.api_5xx_threshold,
            description="The estimates endpoint answered 5xx (POST /v1/strategy-estimates failed)",
        )
        self._api_latency(rest_api_name, rest_api_stage)
        self._throttles(foundation, functions)
        self.key_changes = self._to_topic(
            "key-changes",
            "A KMS key was scheduled for deletion or disabled",
            events.EventPattern(
                source=["aws.kms"],
                detail_type=["AWS API Call via CloudTrail"],
                detail={"eventSource": ["kms.amazonaws.com"], "eventName": list(KEY_EVENTS)},
            ),
            KEY_MESSAGE.format(
                name=events.EventField.from_path("$.detail.eventName"),
                who=events.EventField.from_path("$.detail.userIdentity.arn"),
                key=events.EventField.from_path("$.detail.requestParameters.keyId"),
                region=events.EventField.region,
                time=events.EventField.time,
            ),
        )
        self.backup_failures = None
        if config.backup:
            self.backup_failures = self._to_topic(
                "backup-failures",
                "An AWS Backup backup or copy job failed, was aborted or expired",
                events.EventPattern(
                    source=["aws.backup"],
                    detail_type=["Backup Job State Change", "Copy Job State Change"],
                    detail={"state": list(FAILED_JOB_STATES)},
                ),
                BACKUP_MESSAGE.format(
                    kind=events.EventField.detail_type,
                    state=events.EventField.from_path("$.detail.state"),
                    resource=events.EventField.from_path("$.detail.resourceArn"),
                    region=events.EventField.region,
                    time=events.EventField.time,
                    reason=events.EventField.from_path("$.detail.statusMessage"),
                ),
            )

    def _pipeline_failures(self, compute: ComputeStack, failures: logs.ILogGroup) -> None:
        """The rules matching the search pipeline's failed executions and steps, and the alarm
        on either matching."""
        pipeline = compute.search_pipeline
        rules = []
        for kind, (detail_type, status) in PIPELINE_EVENTS.items():
            rules.append(
                events.Rule(
                    self,
                    f"Pipeline{kind.title()}Failed",
                    rule_name=f"{pipeline.name}-{kind}-failed",
                    description=f"A failed {kind} of the search pipeline",
                    event_pattern=events.EventPattern(
                        source=["aws.sagemaker"],
                        detail_type=[detail_type],
                        detail={"pipelineArn": [pipeline.pipeline_arn], status: ["Failed"]},
                    ),
                    targets=[log_group_target(failures, self.dead_letters)],
                )
            )
        self.alarm(
            "pipeline-failures",
            total({f"rule{i}": rule_matches(rule, PERIOD) for i, rule in enumerate(rules)}),
            threshold=1,
            description="An execution of the search pipeline, or one of its steps, failed (the "
            "event is in the SageMaker failures' log group)",
        )

    @staticmethod
    def _sagemaker_metric(name: str, endpoint: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=name,
            dimensions_map={"EndpointName": endpoint, "VariantName": VARIANT},
            period=PERIOD,
            statistic="Sum",
        )

    def _api_latency(self, api_name: str, stage: str) -> None:
        latency = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="Latency",
            dimensions_map={"ApiName": api_name, "Stage": stage},
            period=PERIOD,
            statistic="p95",
        )
        self.alarm(
            "api-latency",
            latency,
            threshold=self.config.api_latency_p95_ms,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            periods=LATENCY_PERIODS,
            description=f"The REST API's p95 latency stayed above "
            f"{self.config.api_latency_p95_ms} ms for {LATENCY_PERIODS * 5} minutes",
        )

    def _throttles(
        self, foundation: FoundationStack, functions: dict[str, lambda_.IFunction]
    ) -> None:
        tables = {
            "store": foundation.store_table,
            "checkpoints": foundation.checkpoint_table,
            "memories": foundation.memory_table,
        }
        table_metrics = {
            f"{kind}{operation.lower()}": cloudwatch.Metric(
                namespace="AWS/DynamoDB",
                metric_name=f"{operation}ThrottleEvents",
                dimensions_map={"TableName": table.table_name},
                period=PERIOD,
                statistic="Sum",
            )
            for kind, table in tables.items()
            for operation in ("Read", "Write")
        }
        self.alarm(
            "dynamodb-throttles",
            total(table_metrics),
            threshold=1,
            description="A read or write of the store, checkpoint or memory table was throttled",
        )
        throttled = {
            name: function.metric_throttles(period=PERIOD, statistic="Sum")
            for name, function in functions.items()
            if name in ("api", "ws", "worker")
        }
        self.alarm(
            "lambda-throttles",
            total(throttled),
            threshold=1,
            description="An invocation of the API, WebSocket or worker function was throttled "
            "(its reserved concurrency was reached)",
        )

    def _to_topic(
        self, name: str, description: str, pattern: events.EventPattern, message: str
    ) -> events.Rule:
        """A rule `<prefix>-<name>` sending `message` to the alarm topic for each matched
        event (retried, the undelivered in the dead-letter queue). The topic's policy lets this
        rule alone publish; its key already lets EventBridge of this account use it
        (`infra.stacks.replication.KEY_PUBLISHERS`): the topic is given to the target by its
        ARN, so CDK adds no key grant of its own without that condition."""
        construct_id = "".join(part.title() for part in name.split("-"))
        topic = sns.Topic.from_topic_arn(self, f"{construct_id}Topic", self.topic.topic_arn)
        target: Any = targets.SnsTopic(
            topic,
            message=events.RuleTargetInput.from_text(message),
            retry_attempts=ASYNC_RETRIES,
            max_event_age=Duration.hours(24),
            dead_letter_queue=self.dead_letters,
        )
        rule = events.Rule(
            self,
            construct_id,
            rule_name=f"{self.config.prefix}-{name}",
            description=description,
            event_pattern=pattern,
            targets=[target],
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"EventBridge{construct_id}",
                principals=[iam.ServicePrincipal("events.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.rule_arn}},
            )
        )
        return rule
