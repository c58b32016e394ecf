"""Operations: the daily cleanup, alarms to an SNS topic, SageMaker failure tracking.

- Function `stratigos-<stage>-cleanup` (`jobs.lambda_handlers.cleanup`), run by the EventBridge
  rule `stratigos-<stage>-daily-cleanup` at `cleanup_hour_utc`:00 UTC every day (and every
  quarter hour by the stuck-run check, `infra.stacks.monitoring`); each run also purges what
  owners deleted (`Store.purge_deleted`): the only role that deletes in the store; the daily
  run deletes the research index's old versions (`store.lance_versions`), also its alone.
- Queue `stratigos-<stage>-events-dlq` (KMS, TLS only, 14 days): the events this stack's
  EventBridge rules could not deliver and the cleanup's asynchronous runs that failed every
  attempt (each retried twice first).
- Topic `stratigos-<stage>-alarms` (KMS, TLS only; e-mail subscription when `alarm_email`, Slack
  through AWS Chatbot; production has at least one, `infra.completeness`).
- Alarms (all notify the topic on ALARM and OK):
  - `<prefix>-<fn>-error-rate`: errors / invocations > 1 % over 5 minutes, per function
    (api, ws, worker, cleanup);
  - `<prefix>-jobs-dlq-depth`: visible messages in the dead-letter queue >= 1;
  - `<prefix>-events-dlq-depth`: the same in the events' dead-letter queue;
  - `<prefix>-worker-events-dlq-depth`: the same in the worker's events' dead-letter queue (the
    search pipeline's ended executions undelivered, or whose jobs the worker failed to end);
  - `<prefix>-api-5xx`: REST API 5xx responses >= `api_5xx_threshold` in 5 minutes;
  - `<prefix>-sagemaker-job-failures`: the EventBridge rule matching failed processing jobs named `stratigos-<stage>-batch-*` triggered at least once in 5 minutes (each
    matched event is also kept in the log group `/stratigos/<stage>/sagemaker-failures`);
  - deployed strategies: `<prefix>-schedule-dlq-depth` (schedule ticks undelivered or failed)
    >= 1; `<prefix>-schedule-stuck`: a tick has waited for the worker for more than 5 minutes
    (due rebalances are not being fired); and, from metric filters on
    `/stratigos/<stage>/worker` (metrics in `Stratigos/<stage>`),
    `<prefix>-execution-dead-letters`: the worker logged an `order_dead_lettered` event (an
    order failed every attempt to reach its broker) and `<prefix>-reconciliation-mismatch`: it
    logged a `reconciliation_mismatch` event (ledger and broker account disagree), each at least
    once in 5 minutes;
  - AWS's own signals (`infra.stacks.service_alarms`): failed search pipeline executions and
    steps, the estimates endpoint's 5xx, the REST API's latency, DynamoDB and Lambda throttles;
    and, straight to the topic, KMS keys scheduled for deletion or disabled and failed backup or
    copy jobs.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import StageConfig
from infra.images import CLEANUP_HANDLER
from infra.nag import acknowledge_cdk_handlers
from infra.stacks.api import ApiStack
from infra.stacks.common import (
    base_environment,
    container_function,
    grant_store,
    lambda_image,
    log_group,
    metrics_namespace,
)
from infra.stacks.compute import ComputeStack
from infra.stacks.foundation import FoundationStack
from infra.stacks.monitoring import Monitoring, transaction_search
from infra.stacks.network import NetworkStack, placement
from infra.stacks.queues import dead_letter_queue, events_target, log_group_target, rule_matches
from infra.stacks.research_index import grant_research_index, research_index_uri
from infra.stacks.service_alarms import ServiceAlarms

ERROR_RATE_PERCENT = 1.0
PERIOD = Duration.minutes(5)
STUCK_TICK_AGE = Duration.minutes(5)


class OperationsStack(Stack):
    """Cleanup schedule, alarm topic and alarms (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        compute: ComputeStack,
        api: ApiStack,
        network: NetworkStack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.key = foundation.key

        # what the rules of this stack could not deliver, and the cleanup's failed runs
        self.dead_letters = dead_letter_queue(
            self, "EventsDeadLetterQueue", f"{config.prefix}-events-dlq", foundation
        )
        self._cleanup(foundation, compute, network)

        if config.transaction_search:
            self.transaction_search = transaction_search(self, "TransactionSearch")

        self.topic = self._topic(foundation)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        functions = {
            "api": api.function,
            "ws": api.ws_function,
            "worker": compute.worker,
            "cleanup": self.cleanup,
        }
        for name, function in functions.items():
            self._error_rate_alarm(name, function)

        self._alarm(
            "events-dlq-depth",
            self.dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            threshold=1,
            description="A scheduled cleanup or a failure record was not delivered, or the "
            "cleanup failed every attempt: the message says which",
        )
        self._worker_events_alarm(compute)
        self._alarm(
            "jobs-dlq-depth",
            compute.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            threshold=1,
            description="Jobs failed every delivery and wait in the dead-letter queue",
        )
        self._alarm(
            "api-5xx",
            api.rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
            threshold=config.api_5xx_threshold,
            description="The REST API answered 5xx",
        )
        self._sagemaker_failures()
        self._deployment_alarms(compute)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            topic=self.topic,
            cleanup=self.cleanup,
            dead_letters=self.dead_letters,
            functions=functions,
        )
        self.alarms |= self.monitoring.alarms
        self.service_alarms = self._service_alarms(foundation, compute, api, functions)
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)

    def _service_alarms(
        self,
        foundation: FoundationStack,
        compute: ComputeStack,
        api: ApiStack,
        functions: dict[str, lambda_.IFunction],
    ) -> ServiceAlarms:
        """The alarms on AWS's own signals and the events straight to the topic
        (`infra.stacks.service_alarms`)."""
        return ServiceAlarms(
            self,
            "ServiceAlarms",
            config=self.config,
            alarm=self._alarm,
            topic=self.topic,
            dead_letters=self.dead_letters,
            failures=self.failures,
            foundation=foundation,
            compute=compute,
            functions=functions,
            rest_api_name=api.rest_api.rest_api_name,
            rest_api_stage=self.config.stage,
        )

    def _topic(self, foundation: FoundationStack) -> sns.Topic:
        """The alarm topic (the stage's key, TLS only), `alarm_email` subscribed to it."""
        config = self.config
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{config.prefix}-alarms",
            display_name=f"Stratigos {config.name} alarms",
            master_key=foundation.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        return topic

    def _cleanup(
        self, foundation: FoundationStack, compute: ComputeStack, network: NetworkStack | None
    ) -> None:
        """The daily cleanup function (`self.cleanup`) and its schedule (`self.schedule`)."""
        config = self.config
        self.cleanup = container_function(
            self,
            "Cleanup",
            config=config,
            name="cleanup",
            code=lambda_image(CLEANUP_HANDLER),
            environment=base_environment(config, foundation)
            | {
                "STRATIGOS_JOBS_QUEUE_URL": compute.job_queue.queue_url,
                "STRATIGOS_RESEARCH_INDEX_URI": research_index_uri(foundation),
            },
            memory_mb=1024,
            timeout=Duration.minutes(15),
            description="Daily retention: archives old jobs, drops expired cache entries and "
            "the research index's old versions, re-announces stale pending jobs; purges what "
            "owners deleted",
            key=foundation.key,
            placement=placement(network, "isolated"),  # DynamoDB, S3, SQS: all endpoints
            reserved_concurrency=1,
            dead_letters=self.dead_letters,
        )
        grant_store(self.cleanup, foundation, graphs=False)
        grant_research_index(self.cleanup, foundation, delete=True)  # LanceDB's old versions
        compute.job_queue.grant_send_messages(self.cleanup)  # re-announces stale pending jobs
        self.schedule = events.Rule(
            self,
            "DailyCleanup",
            rule_name=f"{config.prefix}-daily-cleanup",
            description="Runs jobs.lambda_handlers.cleanup once a day",
            schedule=events.Schedule.cron(minute="0", hour=str(config.cleanup_hour_utc)),
            targets=[events_target(self.cleanup, self.dead_letters)],
        )

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"Alarm-{name}",
            alarm_name=f"{self.config.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        alarm.add_ok_action(cw_actions.SnsAction(self.topic))
        self.alarms[name] = alarm
        return alarm

    def _worker_events_alarm(self, compute: ComputeStack) -> None:
        self._alarm(
            "worker-events-dlq-depth",
            compute.worker_dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            threshold=1,
            description="A search pipeline's end was not delivered to the worker, or the worker "
            "failed every attempt to end its job: the message says which execution",
        )

    def _error_rate_alarm(self, name: str, function: lambda_.IFunction) -> None:
        rate = cloudwatch.MathExpression(
            expression="IF(invocations > 0, 100 * errors / invocations, 0)",
            using_metrics={
                "errors": function.metric_errors(period=PERIOD, statistic="Sum"),
                "invocations": function.metric_invocations(period=PERIOD, statistic="Sum"),
            },
            label=f"{name} error rate (%)",
            period=PERIOD,
        )
        self._alarm(
            f"{name}-error-rate",
            rate,
            threshold=ERROR_RATE_PERCENT,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description=f"More than {ERROR_RATE_PERCENT:g}% of {name} invocations failed",
        )

    def _sagemaker_failures(self) -> None:
        config = self.config
        failures = log_group(
            self, "SageMakerFailureLogs", config, "sagemaker-failures", key=self.key
        )
        self.failures = failures
        rule = events.Rule(
            self,
            "SageMakerJobFailures",
            rule_name=f"{config.prefix}-sagemaker-failures",
            description="Processing jobs of Stratigos that failed",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Processing Job State Change"],
                detail={
                    "ProcessingJobStatus": ["Failed"],
                    "ProcessingJobName": [{"prefix": config.job_name_prefix}],
                },
            ),
            targets=[log_group_target(failures, self.dead_letters)],
        )
        acknowledge_cdk_handlers(self)  # the log group policy letting EventBridge write
        metric = rule_matches(rule, PERIOD)
        self._alarm(
            "sagemaker-job-failures",
            metric,
            threshold=1,
            description="A SageMaker Processing job of a sweep failed",
        )

    def _deployment_alarms(self, compute: ComputeStack) -> None:
        """The alarms of deployed strategies: dead letters, stuck orders, mismatches."""
        self._alarm(
            "schedule-dlq-depth",
            compute.ticks.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            threshold=1,
            description="Schedule ticks were not delivered or failed: schedules may not fire",
        )
        self._log_event_alarm(
            compute,
            "order_dead_lettered",
            "execution-dead-letters",
            "DeadLetteredOrders",
            "An order failed every attempt to reach its broker and was dead-lettered (its run "
            "failed and was notified)",
        )
        self._alarm(
            "schedule-stuck",
            compute.ticks.queue.metric_approximate_age_of_oldest_message(
                period=PERIOD, statistic="Maximum"
            ),
            threshold=STUCK_TICK_AGE.to_seconds(),
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description="A schedule tick has waited for the worker for more than 5 minutes: "
            "due rebalances are not being fired",
        )
        self._log_event_alarm(
            compute,
            "reconciliation_mismatch",
            "reconciliation-mismatch",
            "ReconciliationMismatches",
            "A deployment's ledger and its broker account disagree (it is paused)",
        )

    def _log_event_alarm(
        self, compute: ComputeStack, event: str, name: str, metric_name: str, description: str
    ) -> None:
        """An alarm on the worker logging `event` (the `event` field of its JSON log lines) at
        least once in a period, through a metric filter counting such lines."""
        metric_filter = logs.MetricFilter(
            self,
            metric_name,
            log_group=compute.worker.log_group,
            filter_name=f"{self.config.prefix}-{name}",
            filter_pattern=logs.FilterPattern.literal(f'{{ $.event = "{event}" }}'),
            metric_namespace=metrics_namespace(self.config),
            metric_name=metric_name,
            metric_value="1",
        )
        self._alarm(
            name,
            metric_filter.metric(period=PERIOD, statistic="Sum"),
            threshold=1,
            description=description,
        )
