"""Order execution: the broker keys, for the worker only.

The execution queue itself is the store's (orders first in first out per broker account in the
DynamoDB table, under idempotent client order ids, with the `dead` state for orders that failed
every attempt: `store.orders`, `services.execution_queue`), so it needs no queue of its own;
dead-lettered orders are counted from the worker's logs (`infra/stacks/operations.py`).

- Secret `stratigos-<stage>/alpaca-keys` (`STRATIGOS_ALPACA_SECRET_ARN`): the Alpaca key id and
  secret key as `{"key_id": ..., "secret_key": ...}`. Deployed as an empty placeholder (the
  template holds no key); put the keys with `aws secretsmanager put-secret-value`. Only the
  worker role may read it: its resource policy denies `GetSecretValue` to every other
  principal.
"""

from __future__ import annotations

import json

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import grant_secret_read, removal_policy
from infra.stacks.foundation import FoundationStack

EMPTY_KEYS = {"key_id": "", "secret_key": ""}
"""The placeholder value of the broker keys secret: the broker refuses it as empty keys."""


class OrderExecution(Construct):
    """The broker keys (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        worker: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)

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
