"""The AWS store: one DynamoDB table (single-table design) and one S3 bucket.

Table `<table_name>`: string keys `pk` (partition) and `sk` (sort), a global secondary index
`gsi1` (`gsi1pk`, `gsi1sk`) and the TTL attribute `ttl` (epoch seconds, cache items only).

| item | pk | sk | notes |
| --- | --- | --- | --- |
| job | `OWNER#<owner>` | `JOB#<job_id>` | `gsi1pk=STATUS#<status>`, `gsi1sk=<created µs>#<id>` |
| idempotency key | `OWNER#<owner>` | `IDEM#<key>` | `job_id`; written in one transaction with the job |
| result | `OWNER#<owner>` | `RESULT#<job_id>` | `payload` inline, or `location` in S3 when large |
| portfolio | `OWNER#<owner>` | `PF#<id>` | `version` for optimistic concurrency |
| dataset | `OWNER#<owner>` | `DS#<id>` | `meta` (JSON); bytes in S3 `datasets/<owner>/<id>.parquet` |
| chat thread | `OWNER#<owner>` | `TH#<id>` | |
| API key (by owner) | `OWNER#<owner>` | `KEY#<id>` | metadata and `key_hash` |
| API key (lookup) | `APIKEY#<hmac>` | `-` | `owner`, `id`; both items change in one transaction |
| run header | `RUN#<run_id>` | `#HEAD` | `owner`, `last_seq` (guards appends) |
| trace event | `RUN#<run_id>` | `<seq, 12 digits>` | `payload` (the event's JSON) |
| trial | `TRIALS#<owner>#<job_id>` | `<number, 12 digits>` | `data` |
| cache entry | `CACHE#<owner>#<key>` | `-` | `value`, `expires_at` (µs), `ttl` (s) |

Guarded writes are DynamoDB condition expressions (status transitions, leases, portfolio
versions) or `TransactWriteItems` (submit + idempotency key; event batches + the run header;
result + `succeeded`). S3 keys: `results/<owner>/<job_id>/<uuid>.json` (results above
`inline_limit_bytes`), `archive/<owner>/<job_id>.json.gz` (retention),
`datasets/<owner>/<dataset_id>.parquet` (uploaded datasets: the object is written before the
metadata item and deleted after it, so a listed dataset always has its bytes). DynamoDB's TTL deletes
expired cache items eventually (moto never does), so reads compare `expires_at` themselves.
Timestamps are integer microseconds since the epoch (UTC); JSON documents are strings.
"""

from __future__ import annotations

import gzip
import json
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from store.base import (
    TERMINAL_STATUSES,
    ApiKey,
    ChatThread,
    CleanupReport,
    Clock,
    ConflictError,
    Dataset,
    Job,
    JobStatus,
    NotFoundError,
    Page,
    Portfolio,
    Result,
    SequencedEvent,
    Store,
    StoredEvent,
    StoreError,
    StoreUnavailableError,
    Trial,
    check_dataset_meta,
    check_events,
    check_limit,
    check_number,
    check_owner,
    check_progress,
    check_result,
    check_transition,
    dataset_from_doc,
    decode_cursor,
    dumps,
    encode_cursor,
    from_micros,
    generate_api_key,
    hash_api_key,
    job_archive_bundle,
    new_id,
    to_micros,
    utc_now,
)

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


def _av(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported attribute value {value!r}")


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item (None values are left out)."""
    return {k: _av(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if "S" in value:
            out[key] = value["S"]
        elif "N" in value:
            out[key] = int(value["N"])
        elif "BOOL" in value:
            out[key] = value["BOOL"]
        else:
            out[key] = None
    return out


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _owner_pk(owner: str) -> str:
    return f"OWNER#{owner}"


def _job(d: Mapping[str, Any]) -> Job:
    return Job(
        id=d["id"],
        owner=d["owner"],
        kind=d["kind"],
        request=json.loads(d["request"]),
        status=d["status"],
        progress=(d.get("done", 0), d.get("total")),
        attempts=d.get("attempts", 0),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        started_at=from_micros(d.get("started_at")),
        finished_at=from_micros(d.get("finished_at")),
        error=d.get("error"),
        idempotency_key=d.get("idempotency_key"),
        lease_owner=d.get("lease_owner"),
        lease_expires_at=from_micros(d.get("lease_expires_at")),
        archived_at=from_micros(d.get("archived_at")),
    )


def _portfolio(d: Mapping[str, Any]) -> Portfolio:
    return Portfolio(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        data=json.loads(d["data"]),
        version=d["version"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )


def _dataset(d: Mapping[str, Any]) -> Dataset:
    return dataset_from_doc(
        d["id"],
        d["owner"],
        d["name"],
        json.loads(d["meta"]),
        from_micros(d["created_at"]),  # type: ignore[arg-type]
    )


def _dataset_key(owner: str, dataset_id: str) -> str:
    return f"datasets/{owner}/{dataset_id}.parquet"


def _thread(d: Mapping[str, Any]) -> ChatThread:
    return ChatThread(
        id=d["id"],
        owner=d["owner"],
        title=d["title"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )


def _api_key(d: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        revoked_at=from_micros(d.get("revoked_at")),
        expires_at=from_micros(d.get("expires_at")),
    )


def boto_config(
    max_attempts: int = 3, connect_timeout: float = 5, read_timeout: float = 30
) -> Config:
    """botocore `Config` with bounded retries (`standard` mode) and timeouts in seconds."""
    return Config(
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


class AWSStore(Store):
    """The `Store` on DynamoDB (`table_name`) and S3 (`bucket`).

    `region` / `endpoint_url` locate the services (an endpoint such as a moto server for tests);
    `max_attempts`, `connect_timeout` and `read_timeout` (seconds) bound how long an unreachable
    endpoint takes to report `StoreUnavailableError`; results larger than `inline_limit_bytes`
    (UTF-8 JSON) go to S3; `api_key_pepper` is the secret of API key hashes; `clock` gives "now".
    """

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
        api_key_pepper: str = "stratigos-local-pepper",
        clock: Clock = utc_now,
        session: boto3.session.Session | None = None,
    ) -> None:
        self.table = table_name
        self.bucket = bucket
        self.region = region
        self.endpoint_url = endpoint_url
        self.inline_limit_bytes = inline_limit_bytes
        self.clock = clock
        self._pepper = api_key_pepper
        session = session or boto3.session.Session(region_name=region)
        config = boto_config(max_attempts, connect_timeout, read_timeout)
        self.ddb = session.client("dynamodb", endpoint_url=endpoint_url, config=config)
        self.s3 = session.client("s3", endpoint_url=endpoint_url, config=config)

    # ----------------------------------------------------------------- plumbing

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

    def _get(self, action: str, pk: str, sk: str) -> dict[str, Any] | None:
        out = self._call(
            action, self.ddb.get_item, TableName=self.table, Key=_key(pk, sk), ConsistentRead=True
        )
        item = out.get("Item")
        return None if item is None else _plain(item)

    def _query(
        self,
        action: str,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_after: str | None = None,
        forward: bool = True,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items of partition `pk` in sort-key order, paging through `LastEvaluatedKey`."""
        names = {"#pk": "pk"}
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "#pk = :pk"
        if sk_prefix is not None:
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
        """A conditional `UpdateItem`; the new item, or None if the condition failed."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(pk, sk),
            "UpdateExpression": update,
            "ConditionExpression": condition,
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

    def _job_item(self, owner: str, job_id: str) -> dict[str, Any]:
        item = self._get("get_job", _owner_pk(owner), f"JOB#{job_id}")
        if item is None:
            raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
        return item

    def _refuse(self, owner: str, job_id: str, why: str) -> ConflictError:
        job = self.get_job(owner, job_id)
        return ConflictError(
            f"job {job_id}: {why} (status {job.status}, lease {job.lease_owner or 'none'})",
            current=job,
        )

    # ----------------------------------------------------------------- jobs

    def submit_job(
        self,
        owner: str,
        kind: str,
        request: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        check_owner(owner)
        if not kind:
            raise ValueError("kind must be a non-empty string")
        body = dumps(dict(request))
        if idempotency_key is not None:
            existing = self._idempotent(owner, idempotency_key, kind, body)
            if existing is not None:
                return existing, False
        now = self._now()
        job_id = new_id("job")
        job = {
            "pk": _owner_pk(owner),
            "sk": f"JOB#{job_id}",
            "id": job_id,
            "owner": owner,
            "kind": kind,
            "request": body,
            "status": "pending",
            "done": 0,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
            "idempotency_key": idempotency_key,
            "gsi1pk": "STATUS#pending",
            "gsi1sk": f"{now:020d}#{job_id}",
        }
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _item(job),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if idempotency_key is not None:
            actions.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _item(
                            {
                                "pk": _owner_pk(owner),
                                "sk": f"IDEM#{idempotency_key}",
                                "job_id": job_id,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        if self._transact("submit_job", actions) is not None:
            if idempotency_key is not None:
                existing = self._idempotent(owner, idempotency_key, kind, body)
                if existing is not None:
                    return existing, False
            raise ConflictError(f"job id {job_id} collided; submit again")
        return _job(job), True

    def _idempotent(self, owner: str, key: str, kind: str, body: str) -> Job | None:
        item = self._get("submit_job", _owner_pk(owner), f"IDEM#{key}")
        if item is None:
            return None
        existing = self.get_job(owner, item["job_id"])
        if existing.kind != kind or dumps(existing.request) != body:
            raise ConflictError(
                f"idempotency key {key!r} was used for a different request (job {existing.id})",
                current=existing,
            )
        return existing

    def get_job(self, owner: str, job_id: str) -> Job:
        return _job(self._job_item(owner, job_id))

    def list_jobs(
        self,
        owner: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        include_archived: bool = False,
        limit: int = 100,
    ) -> list[Job]:
        check_limit(limit)
        out: list[Job] = []
        for item in self._query("list_jobs", _owner_pk(owner), sk_prefix="JOB#", forward=False):
            job = _job(item)
            if statuses is not None and job.status not in statuses:
                continue
            if job.archived_at is not None and not include_archived:
                continue
            out.append(job)
            if len(out) >= limit:
                break
        return out

    def jobs_by_status(self, status: JobStatus, *, limit: int = 100) -> list[Job]:
        check_limit(limit)
        out = self._call(
            "jobs_by_status",
            self.ddb.query,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :s",
            ExpressionAttributeValues={":s": {"S": f"STATUS#{status}"}},
            Limit=limit,
        )
        # the index is eventually consistent: re-read each job and keep those still in `status`
        keys = [_plain(item) for item in out.get("Items", [])]
        jobs = [
            self.get_job(d["pk"].removeprefix("OWNER#"), d["sk"].removeprefix("JOB#")) for d in keys
        ]
        return [j for j in jobs if j.status == status]

    def transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        *,
        error: str | None = None,
        worker: str | None = None,
    ) -> Job:
        check_transition(to_status, from_statuses)
        now = self._now()
        values: dict[str, Any] = {":to": to_status, ":now": now, ":g": f"STATUS#{to_status}"}
        sets = ["#st = :to", "updated_at = :now", "gsi1pk = :g"]
        removes: list[str] = []
        if error is not None:
            sets.append("#err = :err")
            values[":err"] = error
        if to_status == "running":
            sets.append("started_at = if_not_exists(started_at, :now)")
        if to_status in TERMINAL_STATUSES:
            sets.append("finished_at = :now")
            removes += ["lease_owner", "lease_expires_at"]
        allowed = []
        for i, status in enumerate(from_statuses):
            values[f":f{i}"] = status
            allowed.append(f":f{i}")
        condition = f"#st IN ({', '.join(allowed)})"
        if worker is not None:
            condition += " AND lease_owner = :w"
            values[":w"] = worker
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        names = {"#st": "status"}
        if error is not None:
            names["#err"] = "error"
        item = self._update(
            "transition", _owner_pk(owner), f"JOB#{job_id}", update, condition, values, names
        )
        if item is None:
            raise self._refuse(
                owner,
                job_id,
                f"cannot move to {to_status} from {list(from_statuses)}"
                + (f" as worker {worker}" if worker else ""),
            )
        return _job(item)

    def claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        if not worker:
            raise ValueError("worker must be a non-empty string")
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        now = self.clock()
        item = self._update(
            "claim",
            _owner_pk(owner),
            f"JOB#{job_id}",
            "SET #st = :running, lease_owner = :w, lease_expires_at = :exp, "
            "attempts = attempts + :one, started_at = if_not_exists(started_at, :now), "
            "updated_at = :now, gsi1pk = :g",
            "#st IN (:pending, :running) AND (attribute_not_exists(lease_owner) "
            "OR lease_expires_at <= :now OR lease_owner = :w)",
            {
                ":running": "running",
                ":pending": "pending",
                ":w": worker,
                ":exp": to_micros(now + timedelta(seconds=lease_seconds)),
                ":one": 1,
                ":now": to_micros(now),
                ":g": "STATUS#running",
            },
            {"#st": "status"},
        )
        if item is None:
            raise self._refuse(owner, job_id, f"worker {worker} cannot claim it")
        return _job(item)

    def heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        *,
        progress: tuple[int, int | None] | None = None,
    ) -> Job:
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        now = self.clock()
        values: dict[str, Any] = {
            ":exp": to_micros(now + timedelta(seconds=lease_seconds)),
            ":now": to_micros(now),
            ":w": worker,
            ":running": "running",
        }
        sets = ["lease_expires_at = :exp", "updated_at = :now"]
        removes: list[str] = []
        names = {"#st": "status"}
        if progress is not None:
            done, total = check_progress(progress)
            sets.append("done = :done")
            values[":done"] = done
            names["#total"] = "total"
            if total is None:
                removes.append("#total")
            else:
                sets.append("#total = :total")
                values[":total"] = total
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        item = self._update(
            "heartbeat",
            _owner_pk(owner),
            f"JOB#{job_id}",
            update,
            "#st = :running AND lease_owner = :w",
            values,
            names,
        )
        if item is None:
            raise self._refuse(owner, job_id, f"worker {worker} does not hold the lease")
        return _job(item)

    def release(self, owner: str, job_id: str, worker: str) -> Job:
        item = self._update(
            "release",
            _owner_pk(owner),
            f"JOB#{job_id}",
            "SET updated_at = :now REMOVE lease_owner, lease_expires_at",
            "lease_owner = :w",
            {":now": self._now(), ":w": worker},
        )
        if item is None:
            raise self._refuse(owner, job_id, f"worker {worker} does not hold the lease")
        return _job(item)

    def complete_job(
        self, owner: str, job_id: str, result: Any, *, worker: str | None = None
    ) -> Job:
        kind = self.get_job(owner, job_id).kind
        check_result(kind, result)
        body = dumps(result)
        size = len(body.encode())
        now = self._now()
        record: dict[str, Any] = {
            "pk": _owner_pk(owner),
            "sk": f"RESULT#{job_id}",
            "job_id": job_id,
            "owner": owner,
            "size_bytes": size,
            "created_at": now,
        }
        s3_key = None
        if size > self.inline_limit_bytes:
            # Upload first: a crash after this leaves an unreferenced object, never a
            # succeeded job without its result.
            s3_key = f"results/{owner}/{job_id}/{uuid.uuid4().hex}.json"
            self._call(
                "complete_job (upload)",
                self.s3.put_object,
                Bucket=self.bucket,
                Key=s3_key,
                Body=body.encode(),
                ContentType="application/json",
            )
            record["location"] = f"s3://{self.bucket}/{s3_key}"
        else:
            record["payload"] = body
        values: dict[str, Any] = {
            ":running": {"S": "running"},
            ":succeeded": {"S": "succeeded"},
            ":now": {"N": str(now)},
            ":g": {"S": "STATUS#succeeded"},
            ":kind": {"S": kind},
        }
        condition = "#st = :running AND #kind = :kind"  # the kind whose result was verified
        if worker is not None:
            condition += " AND lease_owner = :w"
            values[":w"] = {"S": worker}
        actions = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(_owner_pk(owner), f"JOB#{job_id}"),
                    "UpdateExpression": "SET #st = :succeeded, updated_at = :now, "
                    "finished_at = :now, gsi1pk = :g REMOVE lease_owner, lease_expires_at",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#st": "status", "#kind": "kind"},
                    "ExpressionAttributeValues": values,
                }
            },
            {"Put": {"TableName": self.table, "Item": _item(record)}},
        ]
        try:
            refused = self._transact("complete_job", actions)
        except StoreError:
            self._discard(s3_key)
            raise
        if refused is not None:
            self._discard(s3_key)
            raise self._refuse(
                owner,
                job_id,
                "cannot complete: not running" + (f" under worker {worker}" if worker else ""),
            )
        return self.get_job(owner, job_id)

    def _discard(self, s3_key: str | None) -> None:
        if s3_key is None:
            return
        # an orphan object is harmless; a lifecycle rule on results/ can expire it later
        with suppress(ClientError, BotoCoreError):
            self.s3.delete_object(Bucket=self.bucket, Key=s3_key)

    def get_result(self, owner: str, job_id: str) -> Result:
        item = self._get("get_result", _owner_pk(owner), f"RESULT#{job_id}")
        if item is None:
            raise NotFoundError(f"no result for job {job_id!r} of owner {owner!r}")
        if "payload" in item:
            payload, location = item["payload"], "inline"
        else:
            location = item["location"]
            key = location.split("/", 3)[3]
            try:
                out = self._call("get_result", self.s3.get_object, Bucket=self.bucket, Key=key)
            except ClientError as exc:
                raise StoreUnavailableError(
                    f"AWS store: the result of job {job_id} is recorded at {location} "
                    "but the object is missing"
                ) from exc
            payload = out["Body"].read().decode()
        return Result(
            job_id=job_id,
            owner=owner,
            payload=json.loads(payload),
            size_bytes=item["size_bytes"],
            location=location,
            created_at=from_micros(item["created_at"]),  # type: ignore[arg-type]
        )

    # ----------------------------------------------------------------- events

    def append_events(self, owner: str, run_id: str, events: Sequence[SequencedEvent]) -> int:
        check_owner(owner)
        batch = check_events(run_id, events)
        for start in range(0, len(batch), EVENTS_PER_TRANSACTION):
            chunk = batch[start : start + EVENTS_PER_TRANSACTION]
            header = {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(f"RUN#{run_id}", "#HEAD"),
                    "UpdateExpression": "SET #o = :o, last_seq = :last",
                    "ConditionExpression": "attribute_not_exists(pk) OR "
                    "(#o = :o AND last_seq < :first)",
                    "ExpressionAttributeNames": {"#o": "owner"},
                    "ExpressionAttributeValues": {
                        ":o": {"S": owner},
                        ":last": {"N": str(chunk[-1][0])},
                        ":first": {"N": str(chunk[0][0])},
                    },
                }
            }
            puts = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": _item(
                            {"pk": f"RUN#{run_id}", "sk": f"{seq:012d}", "payload": payload}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for seq, payload in chunk
            ]
            if self._transact("append_events", [header, *puts]) is not None:
                head = self._get("append_events", f"RUN#{run_id}", "#HEAD")
                if head is not None and head["owner"] != owner:
                    raise ConflictError(f"run {run_id} belongs to another owner")
                last = None if head is None else head["last_seq"]
                raise ConflictError(
                    f"run {run_id}: seq {chunk[0][0]} is not after the last stored seq {last} "
                    "(duplicate or out of order)"
                )
        return len(batch)

    def events(
        self, owner: str, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        check_limit(limit, 10_000)
        head = self._get("events", f"RUN#{run_id}", "#HEAD")
        if head is None or head["owner"] != owner:
            return []
        return [
            StoredEvent(run_id, int(d["sk"]), d["payload"])
            for d in self._query(
                "events", f"RUN#{run_id}", sk_after=f"{max(after_seq, 0):012d}", limit=limit
            )
        ]

    # ----------------------------------------------------------------- trials

    def put_trials(self, owner: str, job_id: str, trials: Sequence[Trial]) -> int:
        self._job_item(owner, job_id)
        requests = [
            {
                "PutRequest": {
                    "Item": _item(
                        {
                            "pk": f"TRIALS#{owner}#{job_id}",
                            "sk": f"{check_number(t.number):012d}",
                            "data": dumps(t.data),
                        }
                    )
                }
            }
            for t in trials
        ]
        # a batch may repeat a number: the last one wins, as in SQLite's INSERT OR REPLACE
        unique = list({r["PutRequest"]["Item"]["sk"]["S"]: r for r in requests}.values())
        for start in range(0, len(unique), 25):
            self._batch_write("put_trials", unique[start : start + 25])
        return len(requests)

    def trials(
        self, owner: str, job_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Trial]:
        check_limit(limit)
        after = decode_cursor(cursor)
        self._job_item(owner, job_id)
        rows = list(
            self._query(
                "trials",
                f"TRIALS#{owner}#{job_id}",
                sk_after=f"{after:012d}" if after >= 0 else None,
                limit=limit + 1,
            )
        )
        items = [Trial(int(d["sk"]), json.loads(d["data"])) for d in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].number) if more else None)

    # ----------------------------------------------------------------- portfolios

    def create_portfolio(self, owner: str, name: str, data: Mapping[str, Any]) -> Portfolio:
        check_owner(owner)
        pid = new_id("pf")
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"PF#{pid}",
            "id": pid,
            "owner": owner,
            "name": name,
            "data": dumps(dict(data)),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        self._call("create_portfolio", self.ddb.put_item, TableName=self.table, Item=_item(record))
        return _portfolio(record)

    def get_portfolio(self, owner: str, portfolio_id: str) -> Portfolio:
        item = self._get("get_portfolio", _owner_pk(owner), f"PF#{portfolio_id}")
        if item is None:
            raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
        return _portfolio(item)

    def list_portfolios(self, owner: str) -> list[Portfolio]:
        items = self._query("list_portfolios", _owner_pk(owner), sk_prefix="PF#")
        return sorted(map(_portfolio, items), key=lambda p: (p.created_at, p.id))

    def update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        *,
        name: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Portfolio:
        values: dict[str, Any] = {":now": self._now(), ":one": 1}
        sets = ["updated_at = :now", "version = version + :one"]
        if name is not None:
            sets.append("#n = :name")
            values[":name"] = name
        if data is not None:
            sets.append("#d = :data")
            values[":data"] = dumps(dict(data))
        condition = "attribute_exists(pk)"
        if expected_version is not None:
            condition += " AND version = :ev"
            values[":ev"] = expected_version
        names = {k: v for k, v in (("#n", "name"), ("#d", "data")) if f":{v}" in values}
        item = self._update(
            "update_portfolio",
            _owner_pk(owner),
            f"PF#{portfolio_id}",
            "SET " + ", ".join(sets),
            condition,
            values,
            names or None,
        )
        if item is None:
            current = self.get_portfolio(owner, portfolio_id)  # NotFoundError if absent
            raise ConflictError(
                f"portfolio {portfolio_id} is at version {current.version}, not {expected_version}",
                current=current,
            )
        return _portfolio(item)

    def _delete(self, action: str, pk: str, sk: str) -> bool:
        try:
            self._call(
                action,
                self.ddb.delete_item,
                TableName=self.table,
                Key=_key(pk, sk),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete_portfolio(self, owner: str, portfolio_id: str) -> None:
        if not self._delete("delete_portfolio", _owner_pk(owner), f"PF#{portfolio_id}"):
            raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")

    # ----------------------------------------------------------------- datasets

    def put_dataset(self, owner: str, name: str, data: bytes, meta: Mapping[str, Any]) -> Dataset:
        check_owner(owner)
        doc = check_dataset_meta(name, data, meta)
        did = new_id("ds")
        s3_key = _dataset_key(owner, did)
        # Upload first: a crash after this leaves an unreferenced object, never a listed
        # dataset without its bytes.
        self._call(
            "put_dataset (upload)",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=s3_key,
            Body=bytes(data),
            ContentType="application/vnd.apache.parquet",
        )
        record = {
            "pk": _owner_pk(owner),
            "sk": f"DS#{did}",
            "id": did,
            "owner": owner,
            "name": name,
            "meta": dumps(doc),
            "created_at": self._now(),
        }
        try:
            self._call("put_dataset", self.ddb.put_item, TableName=self.table, Item=_item(record))
        except StoreError:
            self._discard(s3_key)
            raise
        return _dataset(record)

    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        item = self._get("get_dataset", _owner_pk(owner), f"DS#{dataset_id}")
        if item is None:
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        return _dataset(item)

    def dataset_bytes(self, owner: str, dataset_id: str) -> bytes:
        self.get_dataset(owner, dataset_id)  # NotFoundError for a missing / another owner's
        key = _dataset_key(owner, dataset_id)
        try:
            out = self._call("dataset_bytes", self.s3.get_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            raise StoreUnavailableError(
                f"AWS store: dataset {dataset_id} is listed but s3://{self.bucket}/{key} is missing"
            ) from exc
        body: bytes = out["Body"].read()
        return body

    def list_datasets(self, owner: str) -> list[Dataset]:
        items = self._query("list_datasets", _owner_pk(owner), sk_prefix="DS#")
        return sorted(map(_dataset, items), key=lambda d: (d.created_at, d.id))

    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        if not self._delete("delete_dataset", _owner_pk(owner), f"DS#{dataset_id}"):
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        self._discard(_dataset_key(owner, dataset_id))

    # ----------------------------------------------------------------- chat threads

    def create_thread(self, owner: str, title: str) -> ChatThread:
        check_owner(owner)
        tid = new_id("th")
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"TH#{tid}",
            "id": tid,
            "owner": owner,
            "title": title,
            "created_at": now,
            "updated_at": now,
        }
        self._call("create_thread", self.ddb.put_item, TableName=self.table, Item=_item(record))
        return _thread(record)

    def touch_thread(self, owner: str, thread_id: str, *, title: str | None = None) -> ChatThread:
        values: dict[str, Any] = {":now": self._now()}
        update = "SET updated_at = :now"
        if title is not None:
            update += ", title = :t"
            values[":t"] = title
        item = self._update(
            "touch_thread",
            _owner_pk(owner),
            f"TH#{thread_id}",
            update,
            "attribute_exists(pk)",
            values,
        )
        if item is None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return _thread(item)

    def get_thread(self, owner: str, thread_id: str) -> ChatThread:
        item = self._get("get_thread", _owner_pk(owner), f"TH#{thread_id}")
        if item is None:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return _thread(item)

    def list_threads(self, owner: str, *, limit: int = 100) -> list[ChatThread]:
        check_limit(limit)
        items = self._query("list_threads", _owner_pk(owner), sk_prefix="TH#")
        threads = sorted(map(_thread, items), key=lambda t: (t.updated_at, t.id), reverse=True)
        return threads[:limit]

    def delete_thread(self, owner: str, thread_id: str) -> None:
        if not self._delete("delete_thread", _owner_pk(owner), f"TH#{thread_id}"):
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")

    # ----------------------------------------------------------------- results cache

    def cache_get(self, owner: str, key: str) -> Any | None:
        item = self._get("cache_get", f"CACHE#{owner}#{key}", "-")
        if item is None or item["expires_at"] <= self._now():
            return None
        return json.loads(item["value"])

    def cache_put(self, owner: str, key: str, value: Any, ttl_seconds: float) -> None:
        check_owner(owner)
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        expires = self.clock() + timedelta(seconds=ttl_seconds)
        record = {
            "pk": f"CACHE#{owner}#{key}",
            "sk": "-",
            "owner": owner,
            "value": dumps(value),
            "expires_at": to_micros(expires),
            "ttl": math.ceil(expires.timestamp()),
        }
        self._call("cache_put", self.ddb.put_item, TableName=self.table, Item=_item(record))

    # ----------------------------------------------------------------- API keys

    def create_api_key(
        self, owner: str, name: str, *, expires_at: datetime | None = None
    ) -> tuple[str, ApiKey]:
        check_owner(owner)
        raw = generate_api_key()
        digest = hash_api_key(raw, self._pepper)
        kid = new_id("key")
        meta: dict[str, Any] = {"id": kid, "owner": owner, "name": name, "created_at": self._now()}
        if expires_at is not None:
            meta["expires_at"] = to_micros(expires_at)
        actions = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _item({"pk": f"APIKEY#{digest}", "sk": "-", **meta}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _item(
                        {"pk": _owner_pk(owner), "sk": f"KEY#{kid}", "key_hash": digest, **meta}
                    ),
                }
            },
        ]
        if self._transact("create_api_key", actions) is not None:
            raise ConflictError("API key collision; try again")
        return raw, _api_key(meta)

    def verify_api_key(self, raw_key: str) -> ApiKey:
        item = self._get("verify_api_key", f"APIKEY#{hash_api_key(raw_key, self._pepper)}", "-")
        if item is None or item.get("revoked_at") is not None:
            raise NotFoundError("unknown, revoked or expired API key")
        if item.get("expires_at") is not None and int(item["expires_at"]) <= self._now():
            raise NotFoundError("unknown, revoked or expired API key")
        return _api_key(item)

    def list_api_keys(self, owner: str) -> list[ApiKey]:
        items = self._query("list_api_keys", _owner_pk(owner), sk_prefix="KEY#")
        return sorted(map(_api_key, items), key=lambda k: (k.created_at, k.id))

    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        now = {":now": {"N": str(self._now())}}
        return self._update_api_key(
            "revoke_api_key", owner, key_id, "SET revoked_at = if_not_exists(revoked_at, :now)", now
        )

    def renew_api_key(self, owner: str, key_id: str, expires_at: datetime) -> ApiKey:
        values = {":at": {"N": str(to_micros(expires_at))}}
        return self._update_api_key(
            "renew_api_key",
            owner,
            key_id,
            "SET expires_at = :at",
            values,
            condition="attribute_not_exists(revoked_at)",
        )

    def _update_api_key(
        self,
        op: str,
        owner: str,
        key_id: str,
        update: str,
        values: dict[str, Any],
        condition: str | None = None,
    ) -> ApiKey:
        """Apply `update` to both items of the owner's key (its owner item and its hash item),
        in one transaction; `NotFoundError` when the key is missing or `condition` fails."""
        item = self._get(op, _owner_pk(owner), f"KEY#{key_id}")
        if item is None or (condition is not None and item.get("revoked_at") is not None):
            raise NotFoundError(f"no such API key {key_id!r} for owner {owner!r}")
        actions = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": _key(pk, sk),
                    "UpdateExpression": update,
                    "ExpressionAttributeValues": values,
                    **({"ConditionExpression": condition} if condition else {}),
                }
            }
            for pk, sk in ((_owner_pk(owner), f"KEY#{key_id}"), (f"APIKEY#{item['key_hash']}", "-"))
        ]
        if self._transact(op, actions) is not None:
            raise NotFoundError(f"no such API key {key_id!r} for owner {owner!r}")
        updated = self._get(op, _owner_pk(owner), f"KEY#{key_id}")
        return _api_key(updated or item)

    # ----------------------------------------------------------------- retention

    def cleanup(self, now: datetime | None = None, archive_after_days: float = 30) -> CleanupReport:
        now = now or self.clock()
        cutoff = to_micros(now - timedelta(days=archive_after_days))
        candidates = list(
            self._scan(
                "cleanup",
                "begins_with(sk, :job) AND finished_at < :cutoff "
                "AND attribute_not_exists(archived_at)",
                {":job": {"S": "JOB#"}, ":cutoff": {"N": str(cutoff)}},
                {},
            )
        )
        archived: list[str] = []
        for item in candidates:
            job = _job(item)
            if job.status not in TERMINAL_STATUSES:
                continue
            self._archive(job, now)
            archived.append(job.id)
        expired = list(
            self._scan(
                "cleanup",
                "begins_with(pk, :cache) AND expires_at <= :now",
                {":cache": {"S": "CACHE#"}, ":now": {"N": str(to_micros(now))}},
                {},
            )
        )
        self._batch_delete("cleanup", [(d["pk"], d["sk"]) for d in expired])
        return CleanupReport(archived_jobs=archived, expired_cache_entries=len(expired))

    def _archive(self, job: Job, now: datetime) -> None:
        """Bundle to S3, then mark the job archived, then delete its trials and events (a crash
        in between leaves extra rows behind, never a job marked archived without its bundle)."""
        try:
            result: Result | None = self.get_result(job.owner, job.id)
        except NotFoundError:
            result = None
        trial_items = list(self._query("cleanup", f"TRIALS#{job.owner}#{job.id}"))
        trials = [Trial(int(d["sk"]), json.loads(d["data"])) for d in trial_items]
        events = self.events(job.owner, job.id, limit=10_000)
        while len(events) % 10_000 == 0 and events:
            more = self.events(job.owner, job.id, after_seq=events[-1].seq, limit=10_000)
            if not more:
                break
            events += more
        bundle = job_archive_bundle(job, result, trials, events)
        self._call(
            "cleanup (archive)",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=f"archive/{job.owner}/{job.id}.json.gz",
            Body=gzip.compress(dumps(bundle).encode()),
            ContentType="application/json",
            ContentEncoding="gzip",
        )
        t = to_micros(now)
        marked = self._update(
            "cleanup",
            _owner_pk(job.owner),
            f"JOB#{job.id}",
            "SET archived_at = :t, updated_at = :t",
            "attribute_exists(pk) AND attribute_not_exists(archived_at)",
            {":t": t},
        )
        if marked is None:
            return
        keys = [(d["pk"], d["sk"]) for d in trial_items]
        if events:
            keys += [(f"RUN#{job.id}", f"{e.seq:012d}") for e in events]
            keys.append((f"RUN#{job.id}", "#HEAD"))
        self._batch_delete("cleanup", keys)

    def get_archive(self, owner: str, job_id: str) -> dict[str, Any]:
        try:
            out = self._call(
                "get_archive",
                self.s3.get_object,
                Bucket=self.bucket,
                Key=f"archive/{owner}/{job_id}.json.gz",
            )
        except ClientError as exc:
            raise NotFoundError(f"no archive of job {job_id!r} for owner {owner!r}") from exc
        bundle: dict[str, Any] = json.loads(gzip.decompress(out["Body"].read()))
        return bundle


def create_tables(
    table_name: str,
    bucket: str,
    *,
    checkpoint_table: str | None = None,
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    session: boto3.session.Session | None = None,
) -> None:
    """Create the store's table (with `gsi1` and TTL on `ttl`), the bucket and, if named, the
    LangGraph checkpoint table (`PK`/`SK` strings, TTL on `ttl`) — for tests and development;
    production creates them with the CDK stack. Existing resources are left alone."""
    session = session or boto3.session.Session(region_name=region)
    config = boto_config(max_attempts=2)
    ddb = session.client("dynamodb", endpoint_url=endpoint_url, config=config)
    s3 = session.client("s3", endpoint_url=endpoint_url, config=config)
    try:
        existing = set(ddb.list_tables().get("TableNames", []))
        if table_name not in existing:
            ddb.create_table(
                TableName=table_name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": n, "AttributeType": "S"}
                    for n in ("pk", "sk", "gsi1pk", "gsi1sk")
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "gsi1",
                        "KeySchema": [
                            {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                            {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }
                ],
            )
            ddb.get_waiter("table_exists").wait(TableName=table_name)
            ddb.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
            )
        if checkpoint_table and checkpoint_table not in existing:
            ddb.create_table(
                TableName=checkpoint_table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "PK", "AttributeType": "S"},
                    {"AttributeName": "SK", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "SK", "KeyType": "RANGE"},
                ],
            )
            ddb.get_waiter("table_exists").wait(TableName=checkpoint_table)
            ddb.update_time_to_live(
                TableName=checkpoint_table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
            )
        buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
        if bucket not in buckets:
            if region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
                )
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailableError(f"cannot create {table_name} / s3://{bucket}: {exc}") from exc
