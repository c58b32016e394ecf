"""Creating the AWS store's table, buckets and checkpoint table, for tests and development
(production creates them with the CDK stack, `infra/stacks/foundation.py`); the layout is
`store.aws.table`'s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from settings.aws_sessions import aws_session
from store.aws.table import boto_config
from store.errors import StoreUnavailableError

STORE_INDEXES = ("gsi1", "gsi2")
"""The store table's global secondary indexes, each keyed by `<index>pk` / `<index>sk`."""


def create_tables(
    table_name: str,
    bucket: str,
    *,
    checkpoint_table: str | None = None,
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    session: boto3.session.Session | None = None,
    documents_bucket: str | None = None,
    model_artifacts_bucket: str | None = None,
    clients: tuple[Any, Any] | None = None,
) -> None:
    """Create the store's table (with `gsi1`, `gsi2` and TTL on `ttl`), the bucket, if named the
    LangGraph checkpoint table (`PK`/`SK` strings, TTL on `ttl`), the documents bucket
    (versioned, as in the cloud) and the model-artifacts bucket — for tests and development;
    production creates them with the CDK stack. Existing resources are left alone.

    `clients`: the (DynamoDB, S3) boto3 clients to create them with, for a caller that creates
    many sets (a client takes ~7 ms to make); default: new ones from `session` on
    `endpoint_url`."""
    if clients is None:
        session = session or aws_session(region_name=region)
        config = boto_config(max_attempts=2)
        clients = (
            session.client("dynamodb", endpoint_url=endpoint_url, config=config),
            session.client("s3", endpoint_url=endpoint_url, config=config),
        )
    ddb, s3 = clients
    try:
        _create_table(ddb, table_name, "pk", "sk", STORE_INDEXES)
        if checkpoint_table:
            _create_table(ddb, checkpoint_table, "PK", "SK")
        _create_buckets(s3, region, bucket, documents_bucket, model_artifacts_bucket)
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailableError(f"cannot create {table_name} / s3://{bucket}: {exc}") from exc


def _create_table(
    ddb: Any, name: str, partition: str, sort: str, indexes: Sequence[str] = ()
) -> None:
    """An on-demand table keyed by the strings `partition` / `sort`, with a keys-only global
    secondary index on `<index>pk` / `<index>sk` per name in `indexes`, and TTL on `ttl`
    (returns once the table exists); a table of that name that exists already is left alone.

    Creating it is how its existence is checked (DynamoDB refuses an existing name with
    `ResourceInUseException`): no listing of the account's tables, whatever their number."""
    attributes = [partition, sort, *(f"{index}{key}" for index in indexes for key in ("pk", "sk"))]
    kwargs: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in attributes],
        "KeySchema": _key_schema(partition, sort),
    }
    if indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": _key_schema(f"{index}pk", f"{index}sk"),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
            for index in indexes
        ]
    try:
        created = ddb.create_table(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceInUseException":
            return  # it exists (or is being created or deleted): left alone
        raise
    if created.get("TableDescription", {}).get("TableStatus") != "ACTIVE":
        ddb.get_waiter("table_exists").wait(TableName=name)
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )


def _key_schema(partition: str, sort: str) -> list[dict[str, str]]:
    return [
        {"AttributeName": partition, "KeyType": "HASH"},
        {"AttributeName": sort, "KeyType": "RANGE"},
    ]


def _create_buckets(
    s3: Any,
    region: str,
    bucket: str,
    documents_bucket: str | None,
    model_artifacts_bucket: str | None = None,
) -> None:
    """`bucket`, `documents_bucket` (versioned when it is a bucket of its own) and
    `model_artifacts_bucket`, unless they are buckets of the account already (each looked up
    among the account's buckets whose names start with it, not in a listing of them all)."""
    named = (bucket, documents_bucket, model_artifacts_bucket)
    for name in dict.fromkeys(b for b in named if b):
        listed = s3.list_buckets(Prefix=name).get("Buckets", [])
        if any(b["Name"] == name for b in listed):
            continue
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if name == documents_bucket and name != bucket:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
