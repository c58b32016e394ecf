"""Data: market-data ingestion from the market-data bucket.

- Function `stratigos-<stage>-ingest` (`api.market_data_ingest.handler`, the worker image):
  checks a price file put under `incoming/` and makes it the new version of the closes every
  function reads (`versions/` of the bucket, `STRATIGOS_MARKET_DATA=ingested`), or refuses it;
  its review notes (bad-data markers, refusals) go to `review/`. One instance at a time (reserved
  concurrency 1): two files never race for the current version. In the isolated subnets (S3 and
  CloudWatch Logs through endpoints). It may read `incoming/`, read and write `versions/` and
  `review/`, and delete the oldest versions (`s3:DeleteObject` on `versions/*`: in the versioned
  bucket a delete marker; no `s3:DeleteObjectVersion`), nothing else.
- EventBridge rule `stratigos-<stage>-ingest-market-data`: the bucket's ``Object Created`` events
  under `incoming/` invoke it (retried twice); what it cannot deliver, and the ingestions that
  failed every attempt, wait in `stratigos-<stage>-ingest-dlq` (KMS, 14 days), whose depth
  raises the alarm `<prefix>-ingest-dlq-depth` (to the operations stack's topic): a price file
  was neither ingested nor refused.

Every stage has it, whatever its `market_data`: the daily refresh (`infra/stacks/scheduler.py`,
when the stage refreshes from Alpaca) puts what it pulled under `incoming/` too, so the files
and the refresh go through the same checks and the function is the one writer of versions.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import StageConfig
from infra.images import INGEST_HANDLER
from infra.stacks.common import (
    MARKET_DATA_INCOMING,
    MARKET_DATA_REVIEW,
    MARKET_DATA_VERSIONS,
    container_function,
    lambda_image,
    market_data_environment,
)
from infra.stacks.foundation import FoundationStack
from infra.stacks.network import NetworkStack, placement
from infra.stacks.queues import dead_letter_queue, events_target


class DataStack(Stack):
    """The ingestion function and its trigger (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        alarm_topic: sns.ITopic,
        network: NetworkStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bucket = foundation.market_data_bucket
        self.dead_letters = dead_letter_queue(
            self, "IngestDeadLetterQueue", f"{config.prefix}-ingest-dlq", foundation
        )
        self.ingest = container_function(
            self,
            "Ingest",
            config=config,
            name="ingest",
            code=lambda_image(INGEST_HANDLER),
            environment=market_data_environment(config, foundation)
            | {
                "STRATIGOS_LOG_FORMAT": "json",
                "STRATIGOS_DATA_DIR": "/tmp/stratigos",
            },
            memory_mb=2048,
            timeout=Duration.minutes(5),
            description="Checks a price file put under incoming/ and makes it the new version "
            "of the market data, or refuses it (api.market_data_ingest.handler)",
            key=foundation.key,
            placement=placement(network, "isolated"),
            reserved_concurrency=1,
            dead_letters=self.dead_letters,
        )
        self._grant_ingest(bucket)
        self.rule = events.Rule(
            self,
            "IngestMarketData",
            rule_name=f"{config.prefix}-ingest-market-data",
            description="A price file put under incoming/ of the market-data bucket",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket.bucket_name]},
                    "object": {"key": [{"prefix": MARKET_DATA_INCOMING}]},
                },
            ),
            targets=[events_target(self.ingest, self.dead_letters)],
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "IngestDeadLetters",
            alarm_name=f"{config.prefix}-ingest-dlq-depth",
            alarm_description="A price file put under incoming/ was neither ingested nor "
            "refused (undelivered, or the ingestion failed every attempt)",
            metric=self.dead_letters.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
        self.alarm.add_ok_action(cw_actions.SnsAction(alarm_topic))

    def _grant_ingest(self, bucket: s3.IBucket) -> None:
        """Read `incoming/`, read and write `versions/` and `review/`, and prune the oldest
        versions: a delete marker in the versioned bucket, never a version deleted (no
        `s3:DeleteObjectVersion`)."""
        bucket.grant_read(self.ingest, f"{MARKET_DATA_INCOMING}*")
        for prefix in (f"{MARKET_DATA_VERSIONS}/", MARKET_DATA_REVIEW):
            bucket.grant_read(self.ingest, f"{prefix}*")
            bucket.grant_put(self.ingest, f"{prefix}*")
        self.ingest.add_to_role_policy(
            iam.PolicyStatement(
                sid="PruneOldVersions",
                actions=["s3:DeleteObject"],
                resources=[bucket.arn_for_objects(f"{MARKET_DATA_VERSIONS}/*")],
            )
        )
