"""The AWS store: one DynamoDB table (single-table design) and one S3 bucket.

Table `<table_name>`: string keys `pk` (partition) and `sk` (sort), global secondary indexes
`gsi1` (`gsi1pk`, `gsi1sk`) and `gsi2` (`gsi2pk`, `gsi2sk`), and the TTL attribute `ttl` (epoch
seconds: cache items and account snapshots).

| item | pk | sk | notes |
| --- | --- | --- | --- |
| job | `OWNER#<owner>` | `JOB#<job_id>` | `gsi1pk=STATUS#<status>`, `gsi1sk=<created µs>#<id>` |
| idempotency key | `OWNER#<owner>` | `IDEM#<key>` | `job_id`; written in one transaction with the job |
| result | `OWNER#<owner>` | `RESULT#<job_id>` | `payload` inline, or `location` in S3 when large |
| portfolio | `OWNER#<owner>` | `PF#<id>` | `version` for optimistic concurrency |
| dataset | `OWNER#<owner>` | `DS#<id>` | `meta` (JSON); bytes in S3 `datasets/<owner>/<id>.parquet` |
| ledger export | `OWNER#<owner>` | `EXP#<id>` | metadata; bytes in S3 `exports/<owner>/<deployment>/<id>.<format>` |
| document | `OWNER#<owner>` | `DOC#<id>` | metadata, written last; original in the documents bucket `documents/<owner>/<id>/original` |
| document chunk | `DOCCHUNK#<owner>#<id>` | `<ordinal, 12 digits>` | `text`, `reference` (JSON); written before the document item |
| chat thread | `OWNER#<owner>` | `TH#<id>` | |
| analysis | `OWNER#<owner>` | `AN#<kind>#<id>` | an optimization result or simulation; `data` inline, or `location` in S3 (`analyses/<owner>/<id>.json`) when large; `gsi2pk=ANALYSES#<owner>#<kind>`, `gsi2sk=<created µs>#<id>` |
| agent run | `OWNER#<owner>` | `AGRUN#<thread_id>#<run_id>` | status, lease (`lease_expires_at`, µs); guarded on status |
| idea | `OWNER#<owner>` | `IDEA#<id>` | `gsi1pk=IDEASTATUS#<owner>#<status>`, `gsi2pk=IDEAS#<owner>`, both `sk=<created µs>#<id>`; `version` |
| idea ticker index | `IDEATICKER#<owner>#<ticker>` | `<created µs>#<id>` | `id`; written with the idea |
| deployment | `OWNER#<owner>` | `DEP#<id>` | `gsi1pk=DEPSTATUS#<status>`, `gsi1sk=<created µs>#<id>`; `version` |
| deployment event | `DEPEV#<owner>#<id>` | `<seq, 12 digits>` | `type`, `data`; `#HEAD` holds `last_seq`, `KEY#<key>` the seq of an appended key; written with the change |
| queued order | `ORDQ#<owner>#<account>` | `<sequence, 12 digits>` | the account's FIFO queue; `#HEAD` holds `last_seq` |
| order pointer | `OWNER#<owner>` | `ORD#<client order id>` | `account`, `sequence`; written with the order |
| ledger entry | `LEDGER#<owner>#<book>` | `E#<entry id>` | `seq` (order appended); `#HEAD` holds `last_seq` |
| broker account | `OWNER#<owner>` | `BROKER#<id>` | the paper broker's state (JSON); `version` |
| profile | `OWNER#<owner>` | `PROFILE` | `data` (JSON); `version` for optimistic concurrency |
| API key (by owner) | `OWNER#<owner>` | `KEY#<id>` | metadata and `key_hash` |
| API key (lookup) | `APIKEY#<hmac>` | `-` | `owner`, `id`; both items change in one transaction |
| run header | `RUN#<run_id>` | `#HEAD` | `owner`, `last_seq` (guards appends) |
| trace event | `RUN#<run_id>` | `<seq, 12 digits>` | `payload` (the event's JSON) |
| trial | `TRIALS#<owner>#<job_id>` | `<number, 12 digits>` | `data` |
| cache entry | `CACHE#<owner>#<key>` | `-` | `value`, `expires_at` (µs), `ttl` (s) |
| post-market report | `OWNER#<owner>` | `RPT#<account>#<day>#<kind>#<strategy or account>` | metadata; bytes in S3 `reports/<owner>/<account>/<day>/<report id>.<format>` |
| account snapshot | `SNAP#<owner>#<account>` | `<taken µs, 20 digits>` | `data` (JSON), `expires_at` (µs), `ttl` (s) |
| implied volatility | `IV#<owner>#<underlying>` | `<day, ISO>` | `data` (JSON), `recorded_at` (µs) |
| purge record | `OWNER#<owner>` | `PURGE#<id>` | a tombstone of orphans only: `deleted_at`, `purge`, `gsi1pk=PURGE` |
| partition pointer | `OWNER#<owner>` | `PART#<partition key>` | a ledger book, an account's snapshots or an underlying's volatility history of the owner, written with its first item (`store.aws.owner_data`) |
| owner lock | `OWNER#<owner>` | `#LOCK` | `state` (`erasing`, `importing`), `since` (µs), `receipt`; `gsi1pk=OWNERLOCK`, `gsi1sk=<since µs>#<owner>` while the purge has to erase it |
| erasure receipt | `ERASURE#<owner key>` | `<requested µs, 20 digits>#<id>` | `id`, `requested_at`, `purged_at` (µs), `counts` (JSON); the owner only as a keyed digest |

Any item an owner deletes becomes a tombstone until the purge removes it: `deleted_at` (µs),
`purge` (JSON: what goes with it), `gsi1pk=PURGE`, `gsi1sk=<deleted µs>#<pk>#<sk>`; reads leave
tombstones out (`store.aws.tombstones`).

Guarded writes are DynamoDB condition expressions (status transitions, leases, portfolio
and profile versions) or `TransactWriteItems` (submit + idempotency key; event batches + the run header;
result + `succeeded`; ledger entries + their orders' statuses, `store.aws.executions`). S3 keys: `results/<owner>/<job_id>/<uuid>.json` (results above
`inline_limit_bytes`), `archive/<owner>/<job_id>.json.gz` (retention),
`datasets/<owner>/<dataset_id>.parquet` (uploaded datasets) and
`exports/<owner>/<deployment_id>/<export_id>.<format>` (ledger exports),
`health/write-check` (readiness's write check: a multipart upload started and aborted, never an
object) and
`documents/<owner>/<document_id>/original` (the documents library, in `documents_bucket`, which
defaults to the store's bucket): the object is written before the metadata item, so a listed
dataset, export or document always has its bytes (and a document its chunk items, written
between the two). Deleting one makes its item a tombstone, hidden at once; the purge deletes the
object (a document's original with every version) and chunks, then the tombstone, so that a
failed purge leaves it hidden and the next purge finishes (see `store.aws.tombstones`). DynamoDB's TTL deletes
expired cache items eventually (moto never does), so reads compare `expires_at` themselves.
Timestamps are integer microseconds since the epoch (UTC); JSON documents are strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from settings.aws_sessions import aws_session
from settings.groups.store import DEVELOPMENT_PEPPER
from store.aws.clients import MAKING_CLIENTS, boto_config
from store.aws.items import _av, _item, _key, _owner_pk, _plain
from store.aws.tombstones import NOTHING, PURGE_INDEX, PURGE_RECORD, Purge, purge_index_sk
from store.base import Store
from store.common import Clock, to_micros, utc_now
from store.errors import NotFoundError, StoreError, StoreUnavailableError

WRITE_CHECK_OBJECT = "health/write-check"
"""The S3 key of the write check's multipart upload (never completed: no object is written)."""
DELETED = "deleted_at"
"""The attribute that makes an item a tombstone: deleted by its owner (µs), hidden from every
read, removed for good with what its `purge` names by `Store.purge_deleted` (`store.aws.purge`)."""
NOT_DELETED = f"attribute_not_exists({DELETED})"
ABSENT = f"attribute_not_exists(pk) OR attribute_exists({DELETED})"
"""The condition of a put that creates an item: no item there, or a deleted one."""
EVENTS_PER_TRANSACTION = 99
"""Events per `TransactWriteItems` call (DynamoDB allows 100 actions; one is the run header)."""


_UNAVAILABLE_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchBucket",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "SlowDown",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "AccessDenied",
        "ExpiredTokenException",
    }
)


_PASS = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})


class AwsTable(Store):
    """Clients, calls, error translation and the item helpers of the AWS store (see
    `store.aws.AWSStore` for the constructor's arguments)."""

    def __init__(
        self,
        table_name: str,
        bucket: str,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        max_attempts: int = 3,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        inline_limit_bytes: int = 100_000,
        api_key_pepper: str = DEVELOPMENT_PEPPER,
        clock: Clock = utc_now,
        session: boto3.session.Session | None = None,
        documents_bucket: str | None = None,
        model_artifacts_bucket: str | None = None,
        delete_checkpoints: Callable[[Sequence[str]], None] | None = None,
    ) -> None:
        self.table = table_name
        self.delete_checkpoints = delete_checkpoints
        """Deletes the checkpoints of LangGraph threads in the checkpointer holding the chat
        conversations (`store.checkpoints.delete_checkpoints`): the purge of a deleted thread
        calls it."""
        self.bucket = bucket
        self.documents_bucket = documents_bucket or bucket
        self.model_artifacts_bucket = model_artifacts_bucket or bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self.inline_limit_bytes = inline_limit_bytes
        self.clock = clock
        self._pepper = api_key_pepper
        self._session = session or aws_session(region_name=region)
        self._config = boto_config(max_attempts, connect_timeout, read_timeout)
        with MAKING_CLIENTS:
            self.ddb = self._session.client(
                "dynamodb", endpoint_url=endpoint_url, config=self._config
            )
        self._s3: Any = None

    @property
    def s3(self) -> Any:
        """The S3 client, made at its first use: an S3 client takes ~10 ms to make (its
        endpoint rules), and many uses of a store never reach S3."""
        client = self._s3
        if client is None:
            with MAKING_CLIENTS:
                if self._s3 is None:
                    self._s3 = self._session.client(
                        "s3", endpoint_url=self.endpoint_url, config=self._config
                    )
                client = self._s3
        return client

    def _call(self, action: str, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Call boto3, turning failures into `StoreError`s (conditional failures pass through)."""
        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            message = exc.response.get("Error", {}).get("Message", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _PASS or code in ("NoSuchKey", "404"):
                raise
            if code in _UNAVAILABLE_CODES or status >= 500:
                hint = (
                    " (create the table and bucket with store.aws.create_tables)"
                    if code in ("ResourceNotFoundException", "NoSuchBucket")
                    else ""
                )
                raise StoreUnavailableError(
                    f"AWS store ({self.table}, s3://{self.bucket}) unavailable during {action}: "
                    f"{code}: {message}{hint}"
                ) from exc
            raise StoreError(f"AWS store refused {action}: {code}: {message}") from exc
        except BotoCoreError as exc:
            raise StoreUnavailableError(
                f"AWS store ({self.table}, s3://{self.bucket}) unreachable during {action}: {exc}"
            ) from exc

    def check_writable(self) -> None:
        """The table's write check (`Store.check_writable`), then the bucket's: a multipart
        upload of `WRITE_CHECK_OBJECT` started and aborted at once, which needs write access
        (and the bucket's encryption key) but leaves no object or version behind (an upload
        left by a failed abort is removed by the bucket's rule for unfinished uploads)."""
        super().check_writable()
        upload = self._call(
            "write check",
            self.s3.create_multipart_upload,
            Bucket=self.bucket,
            Key=WRITE_CHECK_OBJECT,
        )
        self._call(
            "write check",
            self.s3.abort_multipart_upload,
            Bucket=self.bucket,
            Key=WRITE_CHECK_OBJECT,
            UploadId=upload["UploadId"],
        )

    def _get(
        self, action: str, pk: str, sk: str, *, deleted: bool = False
    ) -> dict[str, Any] | None:
        """The item `pk`/`sk` read consistently; None when absent or deleted (a tombstone,
        `store.aws.purge`), unless `deleted` (the purge reads its tombstones so)."""
        out = self._call(
            action, self.ddb.get_item, TableName=self.table, Key=_key(pk, sk), ConsistentRead=True
        )
        item = out.get("Item")
        if item is None or (DELETED in item and not deleted):
            return None
        return _plain(item)

    def _owned_item(self, action: str, owner: str, sk: str, what: str) -> dict[str, Any]:
        """The item `sk` of `owner`'s partition, or `NotFoundError` ("no `what` for owner …")."""
        item = self._get(action, _owner_pk(owner), sk)
        if item is None:
            raise NotFoundError(f"no {what} for owner {owner!r}")
        return item

    def _owned_items(
        self, action: str, wanted: Sequence[tuple[str, str, str]]
    ) -> list[dict[str, Any]]:
        """The items (owner, sk, what) of their owners' partitions, in one `_batch_get`, or
        `NotFoundError` for the first one absent (as `_owned_item`)."""
        items = self._batch_get(action, [(_owner_pk(owner), sk) for owner, sk, _ in wanted])
        for (owner, _, what), item in zip(wanted, items, strict=True):
            if item is None:
                raise NotFoundError(f"no {what} for owner {owner!r}")
        return [item for item in items if item is not None]

    def _query(
        self,
        action: str,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_after: str | None = None,
        sk_between: tuple[str, str] | None = None,
        forward: bool = True,
        limit: int | None = None,
        deleted: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Items of partition `pk` in sort-key order (of those whose sort key starts with
        `sk_prefix`, follows `sk_after` or lies within `sk_between`, inclusive), paging through
        `LastEvaluatedKey`; deleted items (tombstones, `store.aws.purge`) are left out unless
        `deleted`."""
        names = {"#pk": "pk"}
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "#pk = :pk"
        if sk_between is not None:
            names["#sk"] = "sk"
            values[":low"], values[":high"] = {"S": sk_between[0]}, {"S": sk_between[1]}
            condition += " AND #sk BETWEEN :low AND :high"
        elif sk_prefix is not None:
            names["#sk"] = "sk"
            values[":pre"] = {"S": sk_prefix}
            condition += " AND begins_with(#sk, :pre)"
        elif sk_after is not None:
            names["#sk"] = "sk"
            values[":after"] = {"S": sk_after}
            condition += " AND #sk > :after"
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
            "ConsistentRead": True,
        }
        returned = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - returned
            out = self._call(action, self.ddb.query, **kwargs)
            for item in out.get("Items", []):
                if DELETED in item and not deleted:
                    continue
                yield _plain(item)
                returned += 1
            if "LastEvaluatedKey" not in out or (limit is not None and returned >= limit):
                return
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _scan(
        self, action: str, condition: str, values: dict[str, Any], names: dict[str, str]
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        while True:
            out = self._call(action, self.ddb.scan, **kwargs)
            for item in out.get("Items", []):
                yield _plain(item)
            if "LastEvaluatedKey" not in out:
                return
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def _batch_get(
        self, action: str, keys: Sequence[tuple[str, str]]
    ) -> list[dict[str, Any] | None]:
        """The items `keys` (pk, sk) read consistently, in `keys`' order, with `BatchGetItem`
        (100 keys a request) instead of one `GetItem` each; None where an item is absent or
        deleted (a tombstone), as `_get`."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            chunk = [_key(pk, sk) for pk, sk in unique[start : start + 100]]
            pending: dict[str, Any] = {self.table: {"Keys": chunk, "ConsistentRead": True}}
            for _ in range(10):
                out = self._call(action, self.ddb.batch_get_item, RequestItems=pending)
                for item in out.get("Responses", {}).get(self.table, []):
                    if DELETED not in item:
                        found[item["pk"]["S"], item["sk"]["S"]] = _plain(item)
                pending = out.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise StoreUnavailableError(f"AWS store: {action} left unread keys after retries")
        return [found.get(key) for key in keys]

    def _batch_delete(self, action: str, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests: list[dict[str, Any]] = [
                {"DeleteRequest": {"Key": _key(pk, sk)}} for pk, sk in keys[start : start + 25]
            ]
            self._batch_write(action, requests)

    def _batch_write(self, action: str, requests: list[dict[str, Any]]) -> None:
        pending = {self.table: requests}
        for _ in range(10):
            out = self._call(action, self.ddb.batch_write_item, RequestItems=pending)
            pending = out.get("UnprocessedItems") or {}
            if not pending:
                return
        raise StoreUnavailableError(f"AWS store: {action} left unprocessed items after retries")

    def _update(
        self,
        action: str,
        pk: str,
        sk: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """A conditional `UpdateItem`; the new item, or None if the condition failed (as it
        does on a deleted item, a tombstone: `store.aws.purge`)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(pk, sk),
            "UpdateExpression": update,
            "ConditionExpression": f"({condition}) AND {NOT_DELETED}",
            "ReturnValues": "ALL_NEW",
        }
        if values:
            kwargs["ExpressionAttributeValues"] = {k: _av(v) for k, v in values.items()}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        try:
            out = self._call(action, self.ddb.update_item, **kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _plain(out["Attributes"])

    def _transact(self, action: str, items: list[dict[str, Any]]) -> list[str] | None:
        """`TransactWriteItems`; None on success, else the cancellation reason codes."""
        try:
            self._call(action, self.ddb.transact_write_items, TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise StoreError(f"AWS store: {action} failed: {exc}") from exc
            reasons = exc.response.get("CancellationReasons") or []
            codes = [str(r.get("Code", "None")) for r in reasons]
            if not codes:  # older botocore: parse the message "[None, ConditionalCheckFailed]"
                message = exc.response["Error"].get("Message", "")
                inside = message[message.find("[") + 1 : message.rfind("]")]
                codes = [c.strip() for c in inside.split(",") if c.strip()]
            if any(c not in ("None", "ConditionalCheckFailed") for c in codes):
                raise StoreUnavailableError(
                    f"AWS store: transaction {action} cancelled: {codes}"
                ) from exc
            return codes
        return None

    def _now(self) -> int:
        return to_micros(self.clock())

    def _head_put(self, pk: str, head: dict[str, Any] | None, last_seq: int) -> dict[str, Any]:
        """The transaction action that moves partition `pk`'s `#HEAD` item (read as `head`;
        None when absent) to `last_seq`, guarded by the value read: a concurrent append makes
        the transaction fail instead of reusing a sequence number."""
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": _item({"pk": pk, "sk": "#HEAD", "last_seq": last_seq}),
        }
        if head is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "last_seq = :last"
            put["ExpressionAttributeValues"] = {":last": {"N": str(head["last_seq"])}}
        return {"Put": put}

    def _pointer_put(self, owner: str, pk: str) -> dict[str, Any]:
        """The transaction action registering the partition `pk` (a ledger book, an account's
        snapshots, an underlying's volatility history) in `owner`'s partition, so the owner's
        data is found without a scan (`store.aws.owner_data`); idempotent."""
        item = _item({"pk": _owner_pk(owner), "sk": f"PART#{pk}"})
        return {"Put": {"TableName": self.table, "Item": item}}

    def _register_partition(self, action: str, owner: str, pk: str) -> None:
        """`_pointer_put` written on its own (before the partition's first item)."""
        put = self._pointer_put(owner, pk)["Put"]
        self._call(action, self.ddb.put_item, **put)

    def _put_new(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The transaction action that puts `record` where no item is yet (or a tombstone:
        the key of a deleted item is free)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": _item(record),
                "ConditionExpression": ABSENT,
            }
        }

    def _put_if_absent(self, action: str, record: Mapping[str, Any]) -> bool:
        """Put `record` unless an item with its key exists (a tombstone does not count: the
        key of a deleted item is free); False (nothing written) if one does."""
        try:
            self._call(
                action,
                self.ddb.put_item,
                TableName=self.table,
                Item=_item(record),
                ConditionExpression=ABSENT,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def _tombstone_action(
        self,
        pk: str,
        sk: str,
        purge: Purge = NOTHING,
        *,
        existing: bool = True,
        also: tuple[str, dict[str, str], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The `Update` of a transaction that marks `pk`/`sk` deleted, its `purge` with it
        (`store.aws.tombstones`); `existing`: only an item there and not deleted yet; `also`:
        a further condition on the item, with its attribute names and values (plain)."""
        now = self._now()
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(pk, sk),
            "UpdateExpression": "SET #del = :del, #purge = :purge, gsi1pk = :pidx, "
            "gsi1sk = :psk REMOVE gsi2pk, gsi2sk",
            "ExpressionAttributeNames": {"#del": DELETED, "#purge": "purge"},
            "ExpressionAttributeValues": {
                ":del": _av(now),
                ":purge": _av(purge.to_json()),
                ":pidx": _av(PURGE_INDEX),
                ":psk": _av(purge_index_sk(now, pk, sk)),
            },
        }
        if existing:
            update["ConditionExpression"] = f"attribute_exists(pk) AND {NOT_DELETED}"
        if also is not None:
            condition, names, values = also
            update["ConditionExpression"] = f"{update['ConditionExpression']} AND {condition}"
            update["ExpressionAttributeNames"] |= names
            update["ExpressionAttributeValues"] |= {k: _av(v) for k, v in values.items()}
        return {"Update": update}

    def _tombstone(self, action: str, pk: str, sk: str, purge: Purge = NOTHING) -> bool:
        """Mark the item `pk`/`sk` deleted, with what its purge removes besides; False (nothing
        written) when there is no such item or it is deleted already."""
        update = self._tombstone_action(pk, sk, purge)["Update"]
        try:
            self._call(action, self.ddb.update_item, **update)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _purge_record(self, pk: str, purge: Purge) -> dict[str, Any]:
        """A tombstone of nothing, in partition `pk`, that hands `purge` to the purge (as an
        item): no later put of a key of its owner's replaces it."""
        now = self._now()
        sk = f"{PURGE_RECORD}{uuid.uuid4().hex}"
        return {
            "pk": pk,
            "sk": sk,
            DELETED: now,
            "purge": purge.to_json(),
            "gsi1pk": PURGE_INDEX,
            "gsi1sk": purge_index_sk(now, pk, sk),
        }

    def _put_purge_record(self, action: str, pk: str, purge: Purge) -> None:
        """Put a purge record (`_purge_record`) in partition `pk` that hands `purge` to the
        purge."""
        record = self._purge_record(pk, purge)
        self._call(action, self.ddb.put_item, TableName=self.table, Item=_item(record))

    def _put_object_then_item(
        self,
        action: str,
        s3_key: str,
        data: bytes,
        content_type: str,
        record: Mapping[str, Any],
        parts: Sequence[Mapping[str, Any]] = (),
        bucket: str | None = None,
    ) -> None:
        """Upload `data` to `s3_key` in `bucket` (default: the store's bucket; its default
        encryption, the KMS key in the cloud), then put the `parts` items (what the record
        lists, in a partition of their own, e.g. a document's chunks; batched, any number), then
        put `record` as an item, last. A crash in between
        leaves an unreferenced object and parts, never an item without its object or parts.
        After a failed write the object and the parts are handed to the purge (a purge record,
        `store.aws.purge`) only if a consistent read shows the record absent (a timed-out write
        may still have landed); otherwise, or if that fails too, they stay as orphans
        (harmless: nothing lists them)."""
        bucket = bucket or self.bucket
        self._call(
            f"{action} (upload)",
            self.s3.put_object,
            Bucket=bucket,
            Key=s3_key,
            Body=data,
            ContentType=content_type,
        )
        try:
            if parts:
                self._batch_write(action, [{"PutRequest": {"Item": _item(p)}} for p in parts])
            self._call(action, self.ddb.put_item, TableName=self.table, Item=_item(record))
        except StoreError:
            with suppress(StoreError):
                if self._get(f"{action} (check)", record["pk"], record["sk"]) is None:
                    documents = bucket == self.documents_bucket != self.bucket
                    self._put_purge_record(
                        f"{action} (cleanup)",
                        record["pk"],
                        Purge(
                            results=() if documents else (s3_key,),
                            documents=(s3_key,) if documents else (),
                            partitions=tuple(sorted({p["pk"] for p in parts})),
                        ),
                    )
            raise

    def _object_bytes(
        self, action: str, s3_key: str, what: str, bucket: str | None = None
    ) -> bytes:
        """The bytes of `s3_key` in `bucket` (default: the store's), which the item of `what`
        (e.g. "dataset ds_…") lists; `StoreUnavailableError` if the object is missing."""
        bucket = bucket or self.bucket
        try:
            out = self._call(action, self.s3.get_object, Bucket=bucket, Key=s3_key)
        except ClientError as exc:
            raise StoreUnavailableError(
                f"AWS store: {what} is listed but s3://{bucket}/{s3_key} is missing"
            ) from exc
        body: bytes = out["Body"].read()
        return body
