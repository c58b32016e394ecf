"""Queues and EventBridge targets the stacks share: encrypted queues with their dead-letter
queues, rule targets retried `ASYNC_RETRIES` times, and rule match counts."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge
from infra.stacks.common import ASYNC_RETRIES
from infra.stacks.foundation import FoundationStack


def queue_with_dead_letters(
    scope: Construct,
    ids: tuple[str, str],
    names: tuple[str, str],
    foundation: FoundationStack,
    *,
    visibility_timeout: Duration,
    retention_period: Duration,
    max_receive_count: int,
) -> tuple[sqs.Queue, sqs.Queue]:
    """A KMS-encrypted, TLS-only queue and its dead-letter queue (kept 14 days), which takes
    a message after `max_receive_count` deliveries; `ids` and `names` are (queue, dead-letter
    queue)."""
    encrypted: dict[str, Any] = {
        "encryption": sqs.QueueEncryption.KMS,
        "encryption_master_key": foundation.key,
        "enforce_ssl": True,
    }
    dead_letters = sqs.Queue(
        scope, ids[1], queue_name=names[1], retention_period=Duration.days(14), **encrypted
    )
    queue = sqs.Queue(
        scope,
        ids[0],
        queue_name=names[0],
        **encrypted,
        data_key_reuse=Duration.hours(1),
        visibility_timeout=visibility_timeout,
        retention_period=retention_period,
        dead_letter_queue=sqs.DeadLetterQueue(
            queue=dead_letters, max_receive_count=max_receive_count
        ),
    )
    return queue, dead_letters


def dead_letter_queue(
    scope: Construct, construct_id: str, name: str, foundation: FoundationStack
) -> sqs.Queue:
    """The KMS-encrypted, TLS-only queue `name` (kept 14 days) where EventBridge puts the events
    its rules could not deliver and Lambda the asynchronous invocations that failed every attempt
    (`events_target`), so no scheduled or triggered run is lost without a trace."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=name,
        retention_period=Duration.days(14),
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=foundation.key,
        enforce_ssl=True,
    )
    acknowledge(
        queue,
        "SQS3",
        "this queue is itself the dead-letter queue of EventBridge targets and of asynchronous "
        "Lambda invocations (no redrive policy names it); its depth raises an alarm",
    )
    return queue


def log_group_target(group: logs.ILogGroup, dead_letters: sqs.IQueue) -> targets.CloudWatchLogGroup:
    """An EventBridge rule's target keeping each matched event in `group`, retried
    `ASYNC_RETRIES` times within a day, its undelivered events in `dead_letters`."""
    return targets.CloudWatchLogGroup(
        group,
        retry_attempts=ASYNC_RETRIES,
        max_event_age=Duration.hours(24),
        dead_letter_queue=dead_letters,
    )


def rule_matches(rule: events.IRule, period: Duration) -> cloudwatch.Metric:
    """How many events `rule` matched in each `period` (EventBridge's `TriggeredRules`)."""
    return cloudwatch.Metric(
        namespace="AWS/Events",
        metric_name="TriggeredRules",
        dimensions_map={"RuleName": rule.rule_name},
        period=period,
        statistic="Sum",
    )


def events_target(
    function: lambda_.IFunction,
    dead_letters: sqs.IQueue,
    event: events.RuleTargetInput | None = None,
) -> targets.LambdaFunction:
    """An EventBridge rule's target invoking `function` (with `event`, default the event
    itself), retried `ASYNC_RETRIES` times within a day, its undelivered events in
    `dead_letters` (which the function, made with the same queue by `container_function`,
    also gets its failed invocations in)."""
    return targets.LambdaFunction(
        function,
        event=event,
        retry_attempts=ASYNC_RETRIES,
        max_event_age=Duration.hours(24),
        dead_letter_queue=dead_letters,
    )
