"""Pieces the stacks share: container images, function defaults, environment, grants."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Size, Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.access import (
    API_KEY_CHECKERS,
    CHECKPOINT_ACTIONS,
    CHECKPOINT_OBJECT_ACTIONS,
    CHECKPOINT_PURGE_ACTIONS,
    CHECKPOINT_PURGE_OBJECT_ACTIONS,
    PURGE_DOCUMENT_ACTIONS,
    PURGE_MODEL_ACTIONS,
    STORE_ACCESS,
)
from infra.bedrock import BEDROCK_INVOKE_ACTIONS, EMBEDDING_INVOKE_ACTIONS, model_resource_arns
from infra.checkov import skip
from infra.config import StageConfig
from infra.nag import acknowledge
from infra.stacks.foundation import FoundationStack, removal_policy

DOCUMENTS_PREFIX = "documents/"
"""Key prefix of the documents library's originals (`store.aws.documents`)."""
MODELS_PREFIX = "strategy-models/"
"""Key prefix of the owners' strategy model versions in the model-artifacts bucket
(`store.aws.strategy_models.OBJECT_PREFIX`: `strategy-models/<owner>/<file>`)."""
REPO_ROOT = Path(__file__).resolve().parents[2]
"""Build context of every image: the repository root (its `.dockerignore` trims it)."""
DOCKER_DIR = "infra/docker"
LAMBDA_DOCKERFILE = f"{DOCKER_DIR}/lambda.Dockerfile"
API_DOCKERFILE = f"{DOCKER_DIR}/api.Dockerfile"
PROCESSING_DOCKERFILE = f"{DOCKER_DIR}/processing.Dockerfile"
PLATFORM = ecr_assets.Platform.LINUX_AMD64
XRAY_OTLP_ACTIONS = ("xray:PutSpans", "xray:PutSpansForIndexing")
"""What X-Ray's OTLP endpoint (`https://xray.<region>.amazonaws.com/v1/traces`) authorizes:
storing a span, and indexing it for Transaction Search."""
ASYNC_RETRIES = 2
"""Retries of an EventBridge target, and of the asynchronous invocation it starts, before the
event goes to the dead-letter queue."""

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def log_group(
    scope: Construct,
    construct_id: str,
    config: StageConfig,
    name: str,
    *,
    key: kms.IKey,
    full_name: str | None = None,
) -> logs.LogGroup:
    """The log group `/stratigos/<config.name>/<name>` (the instance's name for an instance),
    or `full_name` where a service dictates the name, encrypted with `key` (whose policy lets
    CloudWatch Logs use it, `infra.stacks.foundation.allow_log_groups`), with the stage's
    retention (days), deleted with its stack unless the stage retains its data."""
    if config.log_retention_days not in _RETENTION:
        raise ValueError(
            f"log_retention_days={config.log_retention_days} is not one of {sorted(_RETENTION)}"
        )
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=full_name or f"/stratigos/{config.name}/{name}",
        retention=_RETENTION[config.log_retention_days],
        encryption_key=key,
        removal_policy=removal_policy(config),
    )


def lambda_image(handler: str) -> lambda_.DockerImageCode:
    """The functions' image (python:3.13-slim, AWS's runtime interface client as its entry point)
    running `handler` (`module.function`), the image's CMD."""
    return lambda_.DockerImageCode.from_image_asset(
        str(REPO_ROOT), file=LAMBDA_DOCKERFILE, cmd=[handler], platform=PLATFORM
    )


def container_function(
    scope: Construct,
    construct_id: str,
    *,
    config: StageConfig,
    name: str,
    code: lambda_.DockerImageCode,
    environment: dict[str, str],
    memory_mb: int,
    timeout: Duration,
    description: str,
    key: kms.IKey,
    ephemeral_mb: int = 512,
    placement: dict[str, Any] | None = None,
    reserved_concurrency: int | None = None,
    dead_letters: sqs.IQueue | None = None,
) -> lambda_.DockerImageFunction:
    """A container-image function `<prefix>-<name>`: JSON logs in its own log group, X-Ray
    active tracing, x86_64, `ephemeral_mb` MiB of /tmp, its business metrics as CloudWatch
    Embedded Metric Format lines in namespace `Stratigos/<stage>` (`settings.metrics`); in the
    VPC as `placement` says (`infra.stacks.network.placement`); at most `reserved_concurrency`
    instances when given; its failed asynchronous invocations (after `ASYNC_RETRIES` retries)
    in `dead_letters` when given (a function EventBridge invokes); its logs encrypted with `key`. With the stage's `tracing` on, the app's OpenTelemetry spans go to
    X-Ray's OTLP endpoint as service `<prefix>-<name>`."""
    environment = environment | {
        "STRATIGOS_METRICS": "emf",
        "STRATIGOS_METRICS_NAMESPACE": metrics_namespace(config),
    }
    if config.tracing == "xray":
        environment = environment | {
            "STRATIGOS_TRACING": "xray",
            "STRATIGOS_OTEL_SERVICE_NAME": f"{config.prefix}-{name}",
        }
    function = lambda_.DockerImageFunction(
        scope,
        construct_id,
        function_name=f"{config.prefix}-{name}",
        description=description,
        code=code,
        architecture=lambda_.Architecture.X86_64,
        memory_size=memory_mb,
        timeout=timeout,
        ephemeral_storage_size=Size.mebibytes(ephemeral_mb),
        environment=environment,
        tracing=lambda_.Tracing.ACTIVE,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.WARN,
        log_group=log_group(scope, f"{construct_id}Logs", config, name, key=key),
        reserved_concurrent_executions=reserved_concurrency,
        dead_letter_queue=dead_letters,
        retry_attempts=ASYNC_RETRIES if dead_letters is not None else None,
        **(placement or {}),
    )
    _accepted_findings(function, asynchronous=dead_letters is not None)
    managed = "AWSLambdaVPCAccessExecutionRole" if placement else "AWSLambdaBasicExecutionRole"
    for policy in {"AWSLambdaBasicExecutionRole", managed}:
        acknowledge(
            function,
            f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{policy}]",
            "AWS's managed policy of a function's own logs (and, in a VPC, its network "
            "interfaces), which CDK attaches to every function role",
        )
    if config.tracing == "xray":
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="OtlpSpansToXRay",
                actions=list(XRAY_OTLP_ACTIONS),
                resources=["*"],  # X-Ray takes no resource-level permissions
            )
        )
    return function


def _accepted_findings(function: lambda_.Function, *, asynchronous: bool) -> None:
    """checkov's findings on a container function that the design accepts, with why."""
    skip(
        function,
        "CKV_AWS_173",
        "its environment holds names, ids and settings, no secret (secrets are read from "
        "Secrets Manager by id); Lambda encrypts it at rest with its own key",
    )
    if not asynchronous:
        skip(
            function,
            "CKV_AWS_116",
            "invoked synchronously (API Gateway) or by an SQS event source with its own "
            "dead-letter queue: no asynchronous invocation to keep",
        )


def metrics_namespace(config: StageConfig) -> str:
    """The CloudWatch namespace of the stage's own metrics (EMF and metric filters)."""
    return f"Stratigos/{config.name}"


def store_key_environment(foundation: FoundationStack, *, checks_api_keys: bool) -> dict[str, str]:
    """How a process that opens the store gets the API key pepper: by its secret's id when it
    creates or verifies API keys (`infra.access.API_KEY_CHECKERS`), else not at all."""
    if checks_api_keys:
        return {"STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID": foundation.pepper_secret_id}
    return {"STRATIGOS_STORE_API_KEY_CHECKS": "false"}


def base_environment(
    config: StageConfig, foundation: FoundationStack, *, checks_api_keys: bool = False
) -> dict[str, str]:
    """Settings (`STRATIGOS_*`) every function that opens the store and the models receives;
    the pepper's secret only for a function that `checks_api_keys` (`store_key_environment`)."""
    region = Stack.of(foundation).region
    bedrock_region = config.bedrock_region or region
    environment = {
        "STRATIGOS_STORE_BACKEND": "aws",
        "STRATIGOS_STORE_TABLE_PREFIX": config.table_prefix,
        "STRATIGOS_STORE_S3_BUCKET": foundation.results_bucket.bucket_name,
        "STRATIGOS_STORE_CHECKPOINT_S3_BUCKET": foundation.offload_bucket.bucket_name,
        # every function that opens the store names the documents bucket, so none can fall back
        # to the results bucket; only the API (`infra.access`) can touch it
        "STRATIGOS_STORE_DOCUMENTS_S3_BUCKET": foundation.documents_bucket.bucket_name,
        # likewise the model-artifacts bucket: only the API and the worker may use it
        "STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET": foundation.model_artifacts_bucket.bucket_name,
        "STRATIGOS_STORE_AWS_REGION": region,
        **store_key_environment(foundation, checks_api_keys=checks_api_keys),
        "STRATIGOS_MODEL_PROVIDER": "bedrock",
        "STRATIGOS_BEDROCK_REGION": bedrock_region,
        "STRATIGOS_BEDROCK_STRONG_MODEL_ID": config.strong_model_id,
        "STRATIGOS_BEDROCK_FAST_MODEL_ID": config.fast_model_id,
        "STRATIGOS_EMBEDDING_PROVIDER": "bedrock",
        "STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID": config.embedding_model_id,
        "STRATIGOS_EMBEDDING_DIMENSIONS": str(config.embedding_dimensions),
        "STRATIGOS_DATA_DIR": "/tmp/stratigos",
        "STRATIGOS_LOG_FORMAT": "json",
        "STRATIGOS_COMPUTE_BACKEND": "local",
        "STRATIGOS_COMPUTE_WORKERS": "0",
    }
    if config.fallback_model_ids:
        environment["STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS"] = json.dumps(config.fallback_model_ids)
    if config.checkpoint_ttl_days is not None:
        environment["STRATIGOS_STORE_CHECKPOINT_TTL_SECONDS"] = str(
            config.checkpoint_ttl_days * 86_400
        )
    return environment


MARKET_DATA_VERSIONS = "versions"
"""Where the market-data bucket keeps the versions of the closes the functions read
(`services.market_data.versions`)."""
MARKET_DATA_INCOMING = "incoming/"
"""Where price files are put to be ingested (`services.market_data.ingestion`)."""
MARKET_DATA_REVIEW = "review/"
"""Where ingestion keeps what it found wrong with a file (bad-data markers, refusals)."""
REFRESH_RECORD = "refresh.json"
"""The last refresh's record beside the versions (`services.market_data.versions.REFRESH`)."""


def market_data_environment(config: StageConfig, foundation: FoundationStack) -> dict[str, str]:
    """The market-data settings of every function that reads prices: the provider
    (`ingested` or `alpaca`) and its versions in the market-data bucket, and the Alpaca account
    that reads Alpaca Market Data when it is refreshed from there."""
    bucket = foundation.market_data_bucket.bucket_name
    environment = {
        "STRATIGOS_MARKET_DATA": config.market_data,
        "STRATIGOS_MARKET_DATA_DIR": f"s3://{bucket}/{MARKET_DATA_VERSIONS}",
    }
    if config.refreshes_market_data and config.market_data_owner:
        environment["STRATIGOS_ALPACA_OWNER"] = config.market_data_owner
    return environment


def market_data_refresh_environment(
    config: StageConfig, foundation: FoundationStack
) -> dict[str, str]:
    """The settings of the function that runs the refresh (the worker), when there is one: its
    source, and `incoming/` of the market-data bucket, where it puts what it pulled for the
    ingestion function (the one writer of versions)."""
    if not config.refreshes_market_data:
        return {}
    bucket = foundation.market_data_bucket.bucket_name
    return {
        "STRATIGOS_MARKET_DATA_REFRESH": "alpaca",
        "STRATIGOS_MARKET_DATA_INCOMING": f"s3://{bucket}/{MARKET_DATA_INCOMING[:-1]}",
    }


def grant_store(
    grantee: iam.IGrantable, foundation: FoundationStack, *, graphs: bool = True
) -> None:
    """Item-level read/write on the store table (scan included) and the results bucket's objects,
    `PURGE_DOCUMENT_ACTIONS`, `PURGE_MODEL_ACTIONS`, the checkpoint saver's calls with its
    `delete_thread`'s (no table or bucket administration, no API key pepper): the cleanup's, whose retention scans and whose purge removes what owners deleted. `graphs`:
    instead the worker's store actions
    (`grant_store_access`), the checkpoints (`grant_checkpoints`) and read of the market data
    bucket, which functions running graphs need."""
    if graphs:
        grant_store_access(grantee, foundation, "worker")
        grant_checkpoints(grantee, foundation)
        foundation.market_data_bucket.grant_read(grantee)
        return
    foundation.store_table.grant_read_write_data(grantee)
    foundation.results_bucket.grant_read_write(grantee)
    grant_documents(grantee, foundation, PURGE_DOCUMENT_ACTIONS)
    grant_models(grantee, foundation, PURGE_MODEL_ACTIONS)
    grant_checkpoints(grantee, foundation, purge=True)  # a deleted thread's conversation


def grant_store_access(grantee: iam.IGrantable, foundation: FoundationStack, name: str) -> None:
    """The store actions `infra.access.STORE_ACCESS[name]` declares for the function `name`,
    each on its resource (the table, narrowed to its partition-key families where it names
    them; the indexes; the results bucket's objects; `documents/*` of the documents bucket;
    `strategy-models/*` of the model-artifacts bucket),
    the stage's key through DynamoDB and S3 only, and read of the API key pepper for the
    functions that check API keys (`infra.access.API_KEY_CHECKERS`)."""
    access = STORE_ACCESS[name]
    table = foundation.store_table.table_arn
    add = grantee.grant_principal.add_to_principal_policy
    plain = [action for action in access.table if action not in access.families]
    if plain:
        add(iam.PolicyStatement(actions=plain, resources=[table]))
    for action, families in access.families.items():
        add(
            iam.PolicyStatement(
                actions=[action],
                resources=[table],
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [f"{family}*" for family in families]
                    }
                },
            )
        )
    if access.index:
        add(iam.PolicyStatement(actions=list(access.index), resources=[f"{table}/index/*"]))
    grant_key(grantee, foundation, "dynamodb", TABLE_KEY_ACTIONS)
    if access.results:
        resources = [foundation.results_bucket.arn_for_objects("*")]
        add(iam.PolicyStatement(actions=list(access.results), resources=resources))
    grant_documents(grantee, foundation, access.documents)
    grant_models(grantee, foundation, access.models)
    if access.results or access.documents or access.models:
        grant_key(grantee, foundation, "s3", OBJECT_KEY_ACTIONS)
    if name in API_KEY_CHECKERS:
        grant_pepper_read(grantee, foundation)


def grant_models(
    grantee: iam.IGrantable, foundation: FoundationStack, actions: Sequence[str]
) -> None:
    """`actions` (if any) on the model-artifacts bucket's `strategy-models/*` (not the key)."""
    objects = [foundation.model_artifacts_bucket.arn_for_objects(f"{MODELS_PREFIX}*")]
    if actions:
        statement = iam.PolicyStatement(actions=list(actions), resources=objects)
        grantee.grant_principal.add_to_principal_policy(statement)


def grant_documents(
    grantee: iam.IGrantable, foundation: FoundationStack, actions: Sequence[str]
) -> None:
    """`actions` on the `documents/*` objects of the documents bucket (`s3:ListBucketVersions`
    on the bucket, under that prefix only); the key is granted by the caller."""
    add = grantee.grant_principal.add_to_principal_policy
    objects = [a for a in actions if a != "s3:ListBucketVersions"]
    if objects:
        resources = [foundation.documents_bucket.arn_for_objects(f"{DOCUMENTS_PREFIX}*")]
        add(iam.PolicyStatement(actions=objects, resources=resources))
    if "s3:ListBucketVersions" in actions:
        add(
            iam.PolicyStatement(
                actions=["s3:ListBucketVersions"],
                resources=[foundation.documents_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": f"{DOCUMENTS_PREFIX}*"}},
            )
        )


def grant_checkpoints(
    grantee: iam.IGrantable, foundation: FoundationStack, *, purge: bool = False
) -> None:
    """What LangGraph's DynamoDB saver calls to read and write (`infra.access.CHECKPOINT_ACTIONS`)
    on the checkpoint table and on `checkpoints/` of the offload bucket, the key through those
    services only; `purge`: its `delete_thread` too (`CHECKPOINT_PURGE_ACTIONS`, the cleanup's)."""
    add = grantee.grant_principal.add_to_principal_policy
    tables = [*CHECKPOINT_ACTIONS, *(CHECKPOINT_PURGE_ACTIONS if purge else ())]
    objects = [*CHECKPOINT_OBJECT_ACTIONS, *(CHECKPOINT_PURGE_OBJECT_ACTIONS if purge else ())]
    add(iam.PolicyStatement(actions=tables, resources=[foundation.checkpoint_table.table_arn]))
    add(
        iam.PolicyStatement(
            actions=objects,
            resources=[foundation.offload_bucket.arn_for_objects("checkpoints/*")],
        )
    )
    grant_key(grantee, foundation, "dynamodb", TABLE_KEY_ACTIONS)
    grant_key(grantee, foundation, "s3", OBJECT_KEY_ACTIONS)


def grant_key(
    grantee: iam.IGrantable, foundation: FoundationStack, service: str, actions: Sequence[str]
) -> None:
    """`actions` on the stage's key, only through `service` in the stage's region."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(actions),
            resources=[foundation.key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": via_service(service, foundation)}},
        )
    )


MEMORY_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)
"""What LangGraph's `DynamoDBStore` calls for the chat's memory: get, put (an update), and search
within one namespace (a query on its partition); never scans, deletes (forgetting is a put,
`store.memory_tombstones`) or changes the table."""

TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")
"""What reading and writing a table encrypted with the foundation key needs of the key."""
OBJECT_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What reading and writing objects encrypted with the foundation key (bucket keys) needs."""


def grant_memory(grantee: iam.IGrantable, foundation: FoundationStack) -> None:
    """`MEMORY_ACTIONS` on the memory table, and its key through DynamoDB only: for the
    functions that run the chat and the memory endpoints (the API function)."""
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(MEMORY_ACTIONS),
        resource_arns=[foundation.memory_table.table_arn],
    )
    grant_key(grantee, foundation, "dynamodb", TABLE_KEY_ACTIONS)


def grant_pepper_read(grantee: iam.IGrantable, foundation: FoundationStack) -> None:
    """Read the API key pepper (see `grant_secret_read`)."""
    grant_secret_read(grantee, foundation.pepper_secret_arn, foundation)


def grant_secret_read(
    grantee: iam.IGrantable, secret_arn: str, foundation: FoundationStack
) -> None:
    """Read the secret `secret_arn` (encrypted with the foundation key) and decrypt it through
    Secrets Manager only.

    Written out instead of `Secret.grant_read`, which would add the grantee to the key policy
    of the foundation stack and make it depend on the grantee's stack (a cycle).
    """
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        resource_arns=[secret_arn],
    )
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt"],
            resources=[foundation.key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": via_service("secretsmanager", foundation)}
            },
        )
    )


def via_service(service: str, scope: Construct) -> str:
    """The `kms:ViaService` value of `service` in `scope`'s region (`sqs.<region>.<suffix>`)."""
    stack = Stack.of(scope)
    return f"{service}.{stack.region}.{stack.url_suffix}"


def grant_bedrock(grantee: iam.IGrantable, config: StageConfig, scope: Construct) -> list[str]:
    """`bedrock:InvokeModel*` on the configured models only; returns the resource ARNs."""
    return _grant_models(grantee, config.model_ids, BEDROCK_INVOKE_ACTIONS, config, scope)


def grant_embedding(grantee: iam.IGrantable, config: StageConfig, scope: Construct) -> list[str]:
    """`bedrock:InvokeModel` (no streaming) on the embedding model only (Titan Text Embeddings
    V2's foundation-model ARN in the Bedrock region); for the functions that embed: the API
    (uploads and search queries) and the job worker. Returns the resource ARNs."""
    return _grant_models(
        grantee, [config.embedding_model_id], EMBEDDING_INVOKE_ACTIONS, config, scope
    )


def _grant_models(
    grantee: iam.IGrantable,
    model_ids: Sequence[str],
    actions: Sequence[str],
    config: StageConfig,
    scope: Construct,
) -> list[str]:
    """`actions` on the ARNs of `model_ids` in the Bedrock region (and, for inference
    profiles, the regions they route to); returns those ARNs."""
    stack = Stack.of(scope)
    resources = model_resource_arns(
        model_ids,
        region=config.bedrock_region or stack.region,
        account=stack.account,
        inference_profile_regions=config.inference_profile_regions,
        partition=stack.partition,
    )
    iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=resources)
    return resources
