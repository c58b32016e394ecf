"""Order execution: the FIFO execution queue and the broker keys, for the worker only.

- FIFO queue `stratigos-<stage>-execution.fifo` (KMS, TLS only): one message per order, its
  message group the broker account (orders of one account are sent in order, accounts in
  parallel) and its deduplication id the client order id (content-based deduplication off, so
  an order sent twice within five minutes is delivered once). The worker consumes it one
  message at a time (`STRATIGOS_EXECUTION_QUEUE_URL`) and may send to it. A message that
  fails 3 deliveries moves to `stratigos-<stage>-execution-dlq.fifo`.
- Secret `stratigos-<stage>/alpaca-keys` (`STRATIGOS_ALPACA_SECRET_ARN`): the Alpaca key id and
  secret key as `{"key_id": ..., "secret_key": ...}`. Deployed as an empty placeholder (the
  template holds no key); put the keys with `aws secretsmanager put-secret-value`. Only the
  worker role may read it: its resource policy denies `GetSecretValue` to every other
  principal.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import grant_secret_read, removal_policy
from infra.stacks.foundation import FoundationStack

ORDER_MAX_RECEIVE_COUNT = 3
EMPTY_KEYS = {"key_id": "", "secret_key": ""}
"""The placeholder value of the broker keys secret: the broker refuses it as empty keys."""


class OrderExecution(Construct):
    """Execution queue, its dead-letter queue and the broker keys (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        worker: lambda_.Function,
        worker_timeout: Duration,
    ) -> None:
        super().__init__(scope, construct_id)

        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            queue_name=f"{config.prefix}-execution-dlq.fifo",
            fifo=True,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=foundation.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=f"{config.prefix}-execution.fifo",
            fifo=True,
            content_based_deduplication=False,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=foundation.key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            # The least Lambda accepts (the function's timeout): a failed order holds back the
            # later orders of its account for this long before it is delivered again.
            visibility_timeout=worker_timeout,
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=ORDER_MAX_RECEIVE_COUNT
            ),
        )
        worker.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=1,
                report_batch_item_failures=True,
                max_concurrency=config.worker_max_concurrency,
            )
        )
        self.queue.grant_send_messages(worker)
        self.queue.grant_consume_messages(worker)
        worker.add_environment("STRATIGOS_EXECUTION_QUEUE_URL", self.queue.queue_url)

        self.broker_secret = secretsmanager.Secret(
            self,
            "AlpacaKeys",
            secret_name=f"{config.prefix}/alpaca-keys",
            description='Alpaca keys {"key_id": ..., "secret_key": ...} of the worker '
            "(STRATIGOS_ALPACA_SECRET_ARN); deployed empty, put the keys yourself.",
            encryption_key=foundation.key,
            # No value in the template: a generated placeholder next to the empty keys.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(EMPTY_KEYS),
                generate_string_key="placeholder",
                password_length=16,
                exclude_punctuation=True,
            ),
            removal_policy=removal_policy(config),
        )
        role = worker.role
        assert role is not None  # a function CDK creates always has its role
        grant_secret_read(worker, self.broker_secret.secret_arn, foundation)
        self.broker_secret.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheWorkerReads",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["secretsmanager:GetSecretValue"],
                resources=["*"],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": role.role_arn}},
            )
        )
        worker.add_environment("STRATIGOS_ALPACA_SECRET_ARN", self.broker_secret.secret_arn)
