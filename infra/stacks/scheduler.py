"""The schedule tick: EventBridge Scheduler wakes the worker every minute to fire due schedules.

- Schedule group `stratigos-<stage>` with the schedule `stratigos-<stage>-fire-due-schedules`
  (`rate(1 minute)`, no flexible window): sends `{"kind": "fire_due_schedules"}` to the queue
  `stratigos-<stage>-schedule-ticks`, which the worker consumes (batch size 1, at most two at
  once). The worker turns each due fire of an active deployment into one `rebalance` job
  (idempotent by `rebalance:<deployment id>:<fire time>`, so a repeated or late tick submits
  nothing twice, and a lost one is caught up by the next).
- Dead-letter queue `stratigos-<stage>-schedule-dlq`: ticks EventBridge Scheduler could not
  deliver (after 3 retries within 5 minutes) and ticks the worker failed 3 times.
- Schedule `stratigos-<stage>-refresh-market-data` (`cron(20 16 ? * MON-FRI *)` in New York;
  only where the stage refreshes its market data from Alpaca, `refreshes_market_data`): sends
  `{"kind": "market_data_refresh"}` to the same queue; the worker runs the refresh
  (`services.market_data.refresh`: Alpaca's bars of the day put under `incoming/` of the
  market-data bucket, where the ingestion function checks them and makes them a version).
- Role `stratigos-<stage>-scheduler`: assumed by EventBridge Scheduler for this group only; may
  send to those two queues and use the project key through SQS. Nothing else.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import via_service
from infra.stacks.foundation import FoundationStack
from infra.stacks.queues import queue_with_dead_letters

TICK = {"kind": "fire_due_schedules"}
"""The body of every tick message."""
TICK_RATE = "rate(1 minute)"
REFRESH_TICK = {"kind": "market_data_refresh"}
"""The body of the market-data refresh's tick (`services.market_data.refresh.REFRESH_KIND`)."""
REFRESH_CRON = "cron(20 16 ? * MON-FRI *)"
"""Twenty past four in New York on weekdays, after the close (`REFRESH_TIMEZONE`); a holiday's
refresh finds no new session and writes nothing."""
REFRESH_TIMEZONE = "America/New_York"
TICK_MAX_RECEIVE_COUNT = 3
DELIVERY_RETRIES = 3
DELIVERY_MAX_AGE_S = 300
"""A tick older than this is not worth delivering: the next one fires the same schedules."""


class ScheduleTicks(Construct):
    """The tick schedule, its queue, dead-letter queue and role (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        worker: lambda_.IFunction,
        worker_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)

        self.queue, self.dead_letter_queue = queue_with_dead_letters(
            self,
            ("Queue", "DeadLetterQueue"),
            (f"{config.prefix}-schedule-ticks", f"{config.prefix}-schedule-dlq"),
            foundation,
            # AWS recommends six times the function's timeout for a Lambda event source (a tick
            # a worker still holds never reappears); a failed tick is retried after that, and
            # kept long enough to reach the dead-letter queue rather than expire
            visibility_timeout=Duration.seconds(6 * worker_timeout.to_seconds()),
            retention_period=Duration.seconds(
                6 * worker_timeout.to_seconds() * (TICK_MAX_RECEIVE_COUNT + 1)
            ),
            max_receive_count=TICK_MAX_RECEIVE_COUNT,
        )
        worker.add_event_source(
            event_sources.SqsEventSource(
                self.queue, batch_size=1, report_batch_item_failures=True, max_concurrency=2
            )
        )

        self.group = scheduler.CfnScheduleGroup(self, "Group", name=config.prefix)
        self.role = self._role(config, foundation)
        self.schedule = self._tick(
            "FireDueSchedules",
            f"{config.prefix}-fire-due-schedules",
            "Wakes the worker to fire the due schedules of deployed strategies",
            TICK_RATE,
            TICK,
        )
        self.refresh = None
        if config.refreshes_market_data:
            self.refresh = self._tick(
                "RefreshMarketData",
                f"{config.prefix}-refresh-market-data",
                "Refreshes the market data after each trading day's close",
                REFRESH_CRON,
                REFRESH_TICK,
                timezone=REFRESH_TIMEZONE,
            )

    def _tick(
        self,
        construct_id: str,
        name: str,
        description: str,
        expression: str,
        body: dict[str, str],
        timezone: str | None = None,
    ) -> scheduler.CfnSchedule:
        """A schedule of the group sending `body` to the tick queue at `expression` (in
        `timezone`, default UTC), with no flexible window, retries and the dead-letter queue."""
        return scheduler.CfnSchedule(
            self,
            construct_id,
            name=name,
            description=description,
            group_name=self.group.ref,
            schedule_expression=expression,
            schedule_expression_timezone=timezone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.queue.queue_arn,
                role_arn=self.role.role_arn,
                input=json.dumps(body),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=DELIVERY_RETRIES,
                    maximum_event_age_in_seconds=DELIVERY_MAX_AGE_S,
                ),
            ),
        )

    def _role(self, config: StageConfig, foundation: FoundationStack) -> iam.Role:
        """The role EventBridge Scheduler assumes for this group only: send to the tick queue
        and its dead-letter queue, and use the project key through SQS."""
        stack = Stack.of(self)
        group_arn = stack.format_arn(
            service="scheduler", resource="schedule-group", resource_name=config.prefix
        )
        return iam.Role(
            self,
            "Role",
            role_name=f"{config.prefix}-scheduler",
            description="EventBridge Scheduler: sends the schedule ticks of Stratigos",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnEquals": {"aws:SourceArn": group_arn},
                },
            ),
            inline_policies={
                "SendTicks": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="SendTicks",
                            actions=["sqs:SendMessage"],
                            resources=[self.queue.queue_arn],
                        ),
                        iam.PolicyStatement(
                            sid="SendUndeliveredTicks",
                            actions=["sqs:SendMessage"],
                            resources=[self.dead_letter_queue.queue_arn],
                        ),
                        iam.PolicyStatement(
                            sid="EncryptThroughSqs",
                            actions=["kms:GenerateDataKey", "kms:Decrypt"],
                            resources=[foundation.key.key_arn],
                            conditions={
                                "StringEquals": {"kms:ViaService": via_service("sqs", self)}
                            },
                        ),
                    ]
                )
            },
        )
