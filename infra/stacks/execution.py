"""Order execution: each owner's broker keys, read by the worker (which trades) and the API
(which checks an owner's account when a deployment is created).

The execution queue itself is the store's (orders first in first out per broker account in the
DynamoDB table, under idempotent client order ids, with the `dead` state for orders that failed
every attempt: `store.orders`, `trading.queue`), so it needs no queue of its own;
dead-lettered orders are counted from the worker's logs (`infra/stacks/operations.py`).

Alpaca keys are per owner: the secret named `stratigos-<stage>/alpaca/<owner>` holds that
owner's `{"key_id": ..., "secret_key": ...}` (created by an operator with the foundation KMS key,
never by the template, which holds no key). `STRATIGOS_ALPACA_SECRET_ARN` is that name with the
placeholder `{owner}`, so the code reads the keys of the deployment's own owner and no other
(`execution.brokers.alpaca.alpaca_keys`: the owner must match the secret's name exactly). The
worker and the API function may read the secrets under that prefix, and nothing else may.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.common import grant_secret_read
from infra.stacks.foundation import FoundationStack

OWNER_PLACEHOLDER = "{owner}"


class OrderExecution(Construct):
    """Where each owner's broker keys live and who may read them (see the module docstring)."""

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
        self.config = config
        self.foundation = foundation
        self.broker_secret_prefix = f"{config.prefix}/alpaca/"
        """The name prefix of the owners' Alpaca key secrets."""
        self.broker_secret_name = self.broker_secret_prefix + OWNER_PLACEHOLDER
        """`STRATIGOS_ALPACA_SECRET_ARN`: the secret's name, `{owner}` standing for the owner."""
        self.grant_broker_keys(worker)

    def grant_broker_keys(self, function: lambda_.Function) -> None:
        """Let `function` read the owners' Alpaca key secrets (and nothing but them), and tell
        it where they are."""
        secrets = Stack.of(function).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.broker_secret_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        grant_secret_read(function, secrets, self.foundation)
        function.add_environment("STRATIGOS_ALPACA_SECRET_ARN", self.broker_secret_name)
