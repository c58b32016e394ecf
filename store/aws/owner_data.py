"""An owner's data as a whole in the AWS store (`store.owner_data`): the owner's items found
without a scan, their S3 objects, a restore under the owner lock, and the erasure.

**Finding an owner's items** (the API may not scan, `infra.access`): the owner's partition
`OWNER#<owner>`, and from its items the partitions they name: a job's trials
(`TRIALS#<owner>#<job>`) and trace events (`RUN#<job>`, when its header names the owner), a
document's chunks, an idea's ticker index, a deployment's events, the order queues of the
accounts its order pointers name, and the ledger books, snapshot accounts and volatility
underlyings registered by their first write (`PART#<partition>` items of the owner's partition,
`AwsTable._partition_pointer`; a deployment's own books, accounts and hedge underlying are
looked at too, for what was written before pointers existed). Tombstones, purge records, the
lock, API keys (credentials) and the cache are left out.

**Objects**: a result's or analysis's `location`, a dataset's, export's, report's, document's
original and strategy model's key, an archived job's bundle, each named
`objects/<prefix>/<key after the owner>`.

**The lock** is the item `OWNER#<owner>` / `#LOCK` (`state`, `since`, `receipt`; while erasing
`gsi1pk=OWNERLOCK`, so the cleanup finds it). An erasure is one conditional `UpdateItem` of it;
the receipt item `ERASURE#<owner key>` / `<requested µs>#<id>` follows (the purge writes it if
that second write was lost). An import sets it `importing`, puts every item on the condition
that its key is free, and removes the state; a failure sets it `erasing`. The purge
(`purge_erased`, the cleanup's: it may scan and delete) removes every item whose partition is
the owner's (a filtered scan: the cache and anything unregistered included), every object under
the owner's prefixes (every version of the documents' originals), the conversations' checkpoints,
then the lock, and stamps the receipt.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from botocore.exceptions import ClientError

from store.aws.analyses import INDEX_FAMILY as ANALYSES_INDEX
from store.aws.analyses import index_keys as analysis_index_keys
from store.aws.items import _av, _item, _key, _owner_pk
from store.aws.purge import AwsPurge
from store.common import from_micros, new_id
from store.errors import ConflictError, StoreError
from store.exports import export_from_row
from store.owner_data import (
    OBJECTS_PREFIX,
    ErasureReceipt,
    OwnerBusyError,
    OwnerLock,
    OwnerNotEmptyError,
    OwnerObject,
    OwnerRecord,
    OwnerRewrite,
    owner_key,
)
from store.reports import report_from_row
from store.strategy_models import model_from_row
from store.threads import checkpoint_thread

log = logging.getLogger("store.aws.owner_data")

LOCK_SK = "#LOCK"
LOCK_INDEX = "OWNERLOCK"
"""`gsi1pk` of a lock whose owner awaits the purge."""
POINTER = "PART#"
"""Sort-key prefix of a partition pointer in the owner's partition."""
OWNER_FAMILIES = ("TRIALS", "DOCCHUNK", "IDEATICKER", "DEPEV", "ORDQ", "LEDGER", "SNAP", "IV")
"""Partitions `<family>#<owner>#<...>` that are the owner's (besides `OWNER#<owner>`; `CACHE#`
too, erased but not exported)."""
_LEFT_OUT_SK = ("KEY#", "PURGE#", LOCK_SK)
_STORE_PREFIXES = ("results", "analyses", "datasets", "exports", "reports", "archive")
Role = Literal["store", "documents", "models"]
"""Which of the store's buckets an object is in: the results bucket, the documents bucket, the
model-artifacts bucket."""
_BUCKET_OF: dict[str, Role] = {"documents": "documents", "strategy-models": "models"}
_KEYS = frozenset({"pk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})
_FORBIDDEN = frozenset({"deleted_at", "purge"})
"""Attributes an imported item may not carry (a tombstone's: the purge would act on them)."""


def _location_key(location: str) -> str:
    """The S3 key of an item's `location` (`s3://<bucket>/<key>` or the key itself)."""
    if location.startswith("s3://"):
        return location.removeprefix("s3://").partition("/")[2]
    return location


def _prefix(item: dict[str, Any]) -> str:
    return str(item["sk"]).split("#", 1)[0] + "#"


def rewritten_item(item: dict[str, Any], rewrite: OwnerRewrite) -> dict[str, Any]:
    """`item` as `rewrite.new`'s: its owner attribute, the owner's segments of its partition
    and index keys (and of a pointer's sort key), its location, and its text re-owned."""
    out: dict[str, Any] = {}
    for name, value in item.items():
        if not isinstance(value, str):
            out[name] = value
        elif name == "owner":
            out[name] = rewrite.new if value == rewrite.old else value
        elif name in _KEYS or (name == "sk" and value.startswith(POINTER)):
            out[name] = rewrite.segments(value, "#")
        elif name == "location":
            out[name] = rewrite.segments(value, "/")
        else:
            out[name] = rewrite.value(value)
    if _prefix(out) == "TH#" and str(out["pk"]).startswith("OWNER#"):
        # a conversation of its own: never a key another owner's thread uses
        out["checkpoint"] = checkpoint_thread(str(out["id"]), new_id("ck")[-16:])
    return out


class AwsOwnerData(AwsPurge):
    """`store.owner_data.OwnerDataRepository` on DynamoDB and S3."""

    # --- reading ---------------------------------------------------------------------------

    def _owner_lock(self, owner: str, action: str = "owner_lock") -> OwnerLock | None:
        item = self._get(action, _owner_pk(owner), LOCK_SK)
        if item is None or "state" not in item:
            return None
        since = from_micros(item["since"])
        assert since is not None
        return OwnerLock(item["state"], since, item.get("receipt"))

    def _receipt_pepper(self) -> str:
        return self._pepper

    def _owner_items(self, owner: str) -> Iterator[dict[str, Any]]:
        """The owner's items (see the module docstring), partition by partition."""
        own = [
            i
            for i in self._query("owner_records", _owner_pk(owner))
            if not str(i["sk"]).startswith(_LEFT_OUT_SK)
        ]
        yield from own
        seen: set[str] = set()
        for pk in self._named_partitions(owner, own):
            if pk in seen:
                continue
            seen.add(pk)
            items = list(self._query("owner_records", pk))
            if pk.startswith("RUN#"):
                head = next((i for i in items if i["sk"] == "#HEAD"), None)
                if head is None or head.get("owner") != owner:
                    continue
            yield from items

    def _named_partitions(self, owner: str, own: list[dict[str, Any]]) -> Iterator[str]:
        for item in own:
            sk = str(item["sk"])
            kind, _, rest = sk.partition("#")
            if kind == "JOB":
                yield f"TRIALS#{owner}#{rest}"
                yield f"RUN#{rest}"
            elif kind == "DOC":
                yield f"DOCCHUNK#{owner}#{rest}"
            elif kind == "IDEA":
                for ticker in json.loads(item.get("tickers") or "[]"):
                    yield f"IDEATICKER#{owner}#{ticker}"
            elif kind == "DEP":
                yield f"DEPEV#{owner}#{rest}"
                yield from self._deployment_partitions(owner, rest, item)
            elif kind == "ORD" and "account" in item:
                yield f"ORDQ#{owner}#{item['account']}"
            elif kind == "PART":
                yield rest

    @staticmethod
    def _deployment_partitions(owner: str, dep_id: str, item: dict[str, Any]) -> Iterator[str]:
        """A deployment's books, accounts and hedge underlying, for partitions written before
        pointers were."""
        spec = json.loads(item.get("spec") or "{}")
        accounts = {dep_id, f"hedge-{dep_id}", f"paper-{dep_id}"}
        if isinstance(spec.get("account"), str):
            accounts.add(spec["account"])
        for account in sorted(accounts):
            yield f"LEDGER#{owner}#{account}"
            yield f"SNAP#{owner}#{account}"
            yield f"ORDQ#{owner}#{account}"
        underlying = (spec.get("hedge") or {}).get("underlying")
        if isinstance(underlying, str):
            yield f"IV#{owner}#{underlying}"

    def _owner_records(self, owner: str) -> Iterator[OwnerRecord]:
        for item in self._owner_items(owner):
            yield OwnerRecord("items", item)

    @staticmethod
    def _objects_of(owner: str, item: dict[str, Any]) -> Iterator[tuple[Role, str]]:
        """The (bucket role, key) of each object `item` names."""
        kind = _prefix(item)
        if "location" in item:
            yield "store", _location_key(str(item["location"]))
        if not str(item["pk"]).startswith("OWNER#"):
            return
        if kind == "DS#":
            yield "store", f"datasets/{owner}/{item['id']}.parquet"
        elif kind == "EXP#":
            e = export_from_row(item)
            yield "store", f"exports/{owner}/{e.deployment_id}/{e.id}.{e.format}"
        elif kind == "DOC#":
            yield "documents", f"documents/{owner}/{item['id']}/original"
        elif kind == "RPT#":
            r = report_from_row(item)
            yield "store", f"reports/{owner}/{r.account}/{r.day.isoformat()}/{r.id}.{r.format}"
        elif kind == "SMODEL#":
            yield "models", f"strategy-models/{owner}/{model_from_row(item).file_name}"
        elif kind == "JOB#" and item.get("archived_at") is not None:
            yield "store", f"archive/{owner}/{item['id']}.json.gz"

    def _owner_objects(self, owner: str) -> Iterator[OwnerObject]:
        for item in self._query("owner_objects", _owner_pk(owner)):
            for role, key in self._objects_of(owner, item):
                prefix, _, rest = key.partition(f"/{owner}/")
                read = functools.partial(self._read_object, role, key)
                yield OwnerObject(f"{OBJECTS_PREFIX}{prefix}/{rest}", read)

    def _read_object(self, role: Role, key: str) -> bytes:
        get = functools.partial(self._call, "owner_objects", self.s3.get_object, Key=key)
        if role == "documents":
            out = get(Bucket=self.documents_bucket)
        elif role == "models":
            out = get(Bucket=self.model_artifacts_bucket)
        else:
            out = get(Bucket=self.bucket)
        data: bytes = out["Body"].read()
        return data

    def _put_object(self, role: Role, key: str, data: bytes) -> None:
        put = functools.partial(self._call, "restore_owner", self.s3.put_object, Key=key, Body=data)
        if role == "documents":
            put(Bucket=self.documents_bucket)
        elif role == "models":
            put(Bucket=self.model_artifacts_bucket)
        else:
            put(Bucket=self.bucket)

    def _delete_object(self, role: Role, key: str) -> None:
        if role == "documents":
            self._delete_all_versions("purge_erased", key)
        elif role == "models":
            self._call(
                "purge_erased",
                self.s3.delete_object,
                Bucket=self.model_artifacts_bucket,
                Key=key,
            )
        else:
            self._call("purge_erased", self.s3.delete_object, Bucket=self.bucket, Key=key)

    def _owner_has_data(self, owner: str) -> bool:
        found = self._query("owner_has_data", _owner_pk(owner), deleted=True)
        return any(not str(i["sk"]).startswith(("KEY#", LOCK_SK)) or "state" in i for i in found)

    # --- restoring -------------------------------------------------------------------------

    @staticmethod
    def _object_target(owner: str, name: str) -> tuple[Role, str]:
        """The bucket role and key of the object `name` (`objects/<prefix>/<rest>`) for
        `owner`."""
        parts = name.split("/")
        if (
            len(parts) < 3
            or parts[0] + "/" != OBJECTS_PREFIX
            or (parts[1] not in _STORE_PREFIXES and parts[1] not in _BUCKET_OF)
            or any(p in ("", ".", "..") for p in parts)
        ):
            raise ValueError(f"no object of this store is named {name!r}")
        return _BUCKET_OF.get(parts[1], "store"), "/".join([parts[1], owner, *parts[2:]])

    def _checked_item(self, owner: str, item: dict[str, Any], runs: set[str]) -> dict[str, Any]:
        """`item` (re-owned) if it may be written for `owner`, else `ValueError`."""
        if not isinstance(item.get("pk"), str) or not isinstance(item.get("sk"), str):
            raise ValueError("an item has a string pk and sk")
        if any(not isinstance(v, (str, int)) for v in item.values()):
            raise ValueError("an item's attributes are strings, integers or booleans")
        if _FORBIDDEN & set(item) or item.get("gsi1pk") in ("PURGE", LOCK_INDEX):
            raise ValueError("an item may not be a tombstone or a lock")
        pk, sk = item["pk"], item["sk"]
        if pk == _owner_pk(owner):
            if sk.startswith(_LEFT_OUT_SK):
                raise ValueError(f"an item {sk.split('#')[0]}# is not restored")
        elif pk.startswith("RUN#"):
            if sk == "#HEAD" and item.get("owner") == owner:
                runs.add(pk)
            elif pk not in runs:
                raise ValueError("a trace event whose run header is not the owner's")
        elif pk.split("#")[0] not in OWNER_FAMILIES or pk.split("#")[1:2] != [owner]:
            raise ValueError(f"the partition {pk.split('#')[0]}# is not the owner's")
        self._check_indexes(owner, item)
        location = item.get("location")
        if location is not None and _location_key(str(location)).split("/")[1:2] != [owner]:
            raise ValueError("an item's location is not the owner's")
        if "owner" in item and item["owner"] != owner:
            raise ValueError("an item names another owner")
        if pk == _owner_pk(owner) and _prefix(item) == "AN#":
            # an analysis is listed by its own keys (an archive from before they were kept
            # has none): derived from the item, never taken from the archive
            try:
                if item["sk"] != f"AN#{item['kind']}#{item['id']}":
                    raise ValueError
                keys = analysis_index_keys(owner, item["kind"], item["id"], item["created_at"])
            except (KeyError, TypeError, ValueError):
                raise ValueError("an analysis item names its kind, id and creation time") from None
            item = {**item, **keys}
        return item

    @staticmethod
    def _check_indexes(owner: str, item: dict[str, Any]) -> None:
        """An imported item's index keys may only list it among the owner's (or the
        scheduler's status indexes, which lead back to the item and its owner)."""
        for name in ("gsi1pk", "gsi2pk"):
            value = item.get(name)
            if value is None:
                continue
            family, *rest = str(value).split("#")
            if family in ("IDEASTATUS", "IDEAS", ANALYSES_INDEX):
                if rest[:1] != [owner]:
                    raise ValueError(f"an item's {name} lists it among another owner's")
            elif family == "AGCRONDUE":
                if str(item.get("gsi1sk", "")).split("#")[1:2] != [owner]:
                    raise ValueError("an item's gsi1sk names another owner")
            elif family not in ("STATUS", "DEPSTATUS"):
                raise ValueError(f"an item's {name} is not an index of this store")

    def _restore_owner(
        self,
        owner: str,
        records: Iterable[OwnerRecord],
        objects: Iterable[tuple[str, bytes]],
        rewrite: OwnerRewrite,
    ) -> None:
        if self._owner_has_data(owner):
            raise OwnerNotEmptyError(f"owner {owner!r} already has data: nothing imported")
        now = self._now()
        lock = {"pk": _owner_pk(owner), "sk": LOCK_SK, "state": "importing", "since": now}
        try:
            self._call(
                "restore_owner",
                self.ddb.put_item,
                TableName=self.table,
                Item=_item(lock),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError:
            raise OwnerNotEmptyError(
                f"owner {owner!r} already has data, or an import or erasure is under way: "
                "nothing imported"
            ) from None
        try:
            for name, data in objects:
                self._put_object(*self._object_target(owner, rewrite.value(name)), data)
            runs: set[str] = set()
            for record in records:
                if record.collection != "items":
                    raise ValueError(f"{record.collection!r} is not a collection of this store")
                item = self._checked_item(owner, rewritten_item(record.data, rewrite), runs)
                self._put_restored(item)
        except BaseException:
            self._call(
                "restore_owner",
                self.ddb.update_item,
                TableName=self.table,
                Key=_key(_owner_pk(owner), LOCK_SK),
                UpdateExpression="SET #st = :e, gsi1pk = :g, gsi1sk = :s",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues={
                    ":e": _av("erasing"),
                    ":g": _av(LOCK_INDEX),
                    ":s": _av(f"{now:020d}#{owner}"),
                },
            )
            raise
        self._call(
            "restore_owner",
            self.ddb.update_item,
            TableName=self.table,
            Key=_key(_owner_pk(owner), LOCK_SK),
            UpdateExpression="REMOVE #st",
            ExpressionAttributeNames={"#st": "state"},
        )

    def _put_restored(self, item: dict[str, Any]) -> None:
        try:
            self._call(
                "restore_owner",
                self.ddb.put_item,
                TableName=self.table,
                Item=_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError:
            raise ConflictError(
                f"the key {item['pk']} / {item['sk']} is taken in this store: an archive imports "
                "into the store it came from only once its owner's data is erased"
            ) from None

    # --- erasing ---------------------------------------------------------------------------

    def _erase_owner(self, owner: str) -> ErasureReceipt:
        now = self._now()
        receipt_id = new_id("era")
        try:
            self._call(
                "erase_owner",
                self.ddb.update_item,
                TableName=self.table,
                Key=_key(_owner_pk(owner), LOCK_SK),
                UpdateExpression="SET #st = :e, since = :t, receipt = :r, gsi1pk = :g, gsi1sk = :s",
                ConditionExpression="attribute_not_exists(#st)",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues={
                    ":e": _av("erasing"),
                    ":t": _av(now),
                    ":r": _av(receipt_id),
                    ":g": _av(LOCK_INDEX),
                    ":s": _av(f"{now:020d}#{owner}"),
                },
            )
        except ClientError:
            lock = self._owner_lock(owner)
            if lock is None:  # released meanwhile
                return self._erase_owner(owner)
            raise OwnerBusyError(owner, lock.state, lock.since) from None
        receipt = ErasureReceipt(receipt_id, owner_key(self._pepper, owner), from_micros(now))  # type: ignore[arg-type]
        self._put_receipt(receipt, now)
        return receipt

    def _put_receipt(self, receipt: ErasureReceipt, requested: int) -> None:
        record: dict[str, Any] = {
            "pk": f"ERASURE#{receipt.owner_key}",
            "sk": f"{requested:020d}#{receipt.id}",
            "id": receipt.id,
            "requested_at": requested,
            "counts": json.dumps(receipt.counts, sort_keys=True),
        }
        if receipt.purged_at is not None:
            record["purged_at"] = self._now()
        self._call("erase_owner", self.ddb.put_item, TableName=self.table, Item=_item(record))

    def _erasure_receipts(self, key: str) -> list[ErasureReceipt]:
        items = self._query("erasure_receipts", f"ERASURE#{key}", forward=False)
        return [
            ErasureReceipt(
                i["id"],
                key,
                from_micros(i["requested_at"]),  # type: ignore[arg-type]
                from_micros(i.get("purged_at")),
                {k: int(v) for k, v in json.loads(i["counts"]).items()},
            )
            for i in items
        ]

    def purge_erased(self, limit: int = 20) -> int:
        out = self._call(
            "purge_erased",
            self.ddb.query,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": LOCK_INDEX}},
            Limit=limit,
        )
        purged = 0
        for key in out.get("Items", []):
            owner = key["gsi1sk"]["S"].split("#", 1)[1]
            try:
                self._purge_owner(owner)
                purged += 1
            except StoreError as exc:
                log.warning("the purge of an erased owner failed (the next run retries): %s", exc)
        return purged

    def _purge_owner(self, owner: str) -> None:
        lock = self._get("purge_erased", _owner_pk(owner), LOCK_SK)
        if lock is None or lock.get("state") != "erasing":
            return
        counts: dict[str, int] = {}
        items = list(self._scan_owner(owner))
        objects = [(b, k) for i in items for b, k in self._objects_of(owner, i)]
        threads = [str(i["checkpoint"]) for i in items if _prefix(i) == "TH#" and "checkpoint" in i]
        threads += [
            checkpoint_thread(str(i["id"]))
            for i in items
            if _prefix(i) == "TH#" and "checkpoint" not in i
        ]
        if threads:
            self._delete_checkpoints(tuple(threads))
        for role, key in objects:
            self._delete_object(role, key)
        keys = []
        for item in items:
            if item["sk"] == LOCK_SK and item["pk"] == _owner_pk(owner):
                continue
            family = str(item["pk"]).split("#", 1)[0]
            name = _prefix(item).rstrip("#").lower() if family == "OWNER" else family.lower()
            counts[name or "items"] = counts.get(name or "items", 0) + 1
            keys.append((str(item["pk"]), str(item["sk"])))
        self._batch_delete("purge_erased", keys)
        counts["files"] = len(objects)
        counts["conversations"] = len(threads)
        if lock.get("receipt"):
            receipt = ErasureReceipt(
                str(lock["receipt"]),
                owner_key(self._pepper, owner),
                from_micros(lock["since"]),  # type: ignore[arg-type]
                from_micros(self._now()),
                {k: v for k, v in counts.items() if v},
            )
            self._put_receipt(receipt, int(lock["since"]))
        self._call(
            "purge_erased",
            self.ddb.delete_item,
            TableName=self.table,
            Key=_key(_owner_pk(owner), LOCK_SK),
            ConditionExpression="since = :t",
            ExpressionAttributeValues={":t": _av(int(lock["since"]))},
        )

    def _scan_owner(self, owner: str) -> Iterator[dict[str, Any]]:
        """Every item whose partition is `owner`'s, tombstones and the cache included (a
        filtered scan: the cleanup's)."""
        values: dict[str, Any] = {":o": {"S": _owner_pk(owner)}, ":who": {"S": owner}}
        clauses = ["pk = :o"]
        for n, family in enumerate((*OWNER_FAMILIES, "CACHE")):
            values[f":f{n}"] = {"S": f"{family}#{owner}#"}
            clauses.append(f"begins_with(pk, :f{n})")
        values[":run"], values[":key"] = {"S": "RUN#"}, {"S": "APIKEY#"}
        clauses.append("(#ow = :who AND (begins_with(pk, :run) OR begins_with(pk, :key)))")
        runs: list[str] = []
        for item in self._scan("purge_erased", " OR ".join(clauses), values, {"#ow": "owner"}):
            if str(item["pk"]).startswith("RUN#"):
                runs.append(str(item["pk"]))
                continue
            yield item
        for pk in runs:
            yield from self._query("purge_erased", pk, deleted=True)
