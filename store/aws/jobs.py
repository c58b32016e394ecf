"""Jobs in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from store.aws.items import _item, _key, _owner_pk, _plain
from store.aws.table import EVENTS_PER_TRANSACTION, AwsTable
from store.aws.tombstones import Purge
from store.common import new_id, to_micros
from store.errors import ConflictError, StoreError
from store.jobs import (
    TERMINAL_STATUSES,
    Job,
    JobFilter,
    JobStatus,
    StoredEvent,
    check_key_reuse,
    claim_refused,
    completion_refused,
    job_from_row,
    lease_expiry,
    lease_not_held,
    refusal,
    run_of_another_owner,
    seq_not_after,
    transition_refused,
)


class AwsJobs(AwsTable):
    """The jobs repository on DynamoDB and S3."""

    def _job_item(self, owner: str, job_id: str) -> dict[str, Any]:
        return self._owned_item("get_job", owner, f"JOB#{job_id}", f"job {job_id!r}")

    def _refuse(self, owner: str, job_id: str, why: str) -> ConflictError:
        return refusal(self.get_job(owner, job_id), why)

    def _guarded_update(
        self,
        op: str,
        owner: str,
        job_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None,
        why: str,
    ) -> Job:
        """One conditional `UpdateItem` of the job: the job as it is afterwards, or
        `ConflictError` (`why`, nothing written) when the condition failed."""
        item = self._update(op, _owner_pk(owner), f"JOB#{job_id}", update, condition, values, names)
        if item is None:
            raise self._refuse(owner, job_id, why)
        return job_from_row(item)

    def _insert_job(
        self,
        owner: str,
        kind: str,
        body: str,
        idempotency_key: str | None,
        trace_context: str | None,
    ) -> tuple[Job, bool]:
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
            "trace_context": trace_context,  # absent (None) in items written before it existed
            "gsi1pk": "STATUS#pending",
            "gsi1sk": f"{now:020d}#{job_id}",
        }
        actions = [self._put_new(job)]
        if idempotency_key is not None:
            key = {"pk": _owner_pk(owner), "sk": f"IDEM#{idempotency_key}", "job_id": job_id}
            actions.append(self._put_new(key))
        if self._transact("submit_job", actions) is not None:
            if idempotency_key is not None:
                existing = self._idempotent(owner, idempotency_key, kind, body)
                if existing is not None:
                    return existing, False
            raise ConflictError(f"job id {job_id} collided; submit again")
        return job_from_row(job), True

    def _idempotent(self, owner: str, key: str, kind: str, body: str) -> Job | None:
        item = self._get("submit_job", _owner_pk(owner), f"IDEM#{key}")
        if item is None:
            return None
        return check_key_reuse(self.get_job(owner, item["job_id"]), key, kind, body)

    def get_job(self, owner: str, job_id: str) -> Job:
        return job_from_row(self._job_item(owner, job_id))

    def _list_jobs(self, owner: str, wanted: JobFilter, limit: int) -> list[Job]:
        out: list[Job] = []
        for item in self._query("list_jobs", _owner_pk(owner), sk_prefix="JOB#", forward=False):
            job = job_from_row(item)
            if not wanted.keeps(job):
                continue
            out.append(job)
            if len(out) >= limit:
                break
        return out

    def _jobs_by_status(self, status: JobStatus, limit: int) -> list[Job]:
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
        wanted = [
            (d["pk"].removeprefix("OWNER#"), d["sk"], f"job {d['sk'].removeprefix('JOB#')!r}")
            for d in keys
        ]
        jobs = map(job_from_row, self._owned_items("get_job", wanted))
        return [j for j in jobs if j.status == status]

    def _transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        error: str | None,
        worker: str | None,
    ) -> Job:
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
        why = transition_refused(to_status, from_statuses, worker)
        return self._guarded_update(
            "transition", owner, job_id, update, condition, values, names, why
        )

    def _claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        now = self.clock()
        return self._guarded_update(
            "claim",
            owner,
            job_id,
            "SET #st = :running, lease_owner = :w, lease_expires_at = :exp, "
            "attempts = attempts + :one, started_at = if_not_exists(started_at, :now), "
            "updated_at = :now, gsi1pk = :g",
            "#st IN (:pending, :running) AND (attribute_not_exists(lease_owner) "
            "OR lease_expires_at <= :now OR lease_owner = :w)",
            {
                ":running": "running",
                ":pending": "pending",
                ":w": worker,
                ":exp": lease_expiry(now, lease_seconds),
                ":one": 1,
                ":now": to_micros(now),
                ":g": "STATUS#running",
            },
            {"#st": "status"},
            claim_refused(worker),
        )

    def _heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        progress: tuple[int, int | None] | None,
        error: str | None,
    ) -> Job:
        now = self.clock()
        values: dict[str, Any] = {
            ":exp": lease_expiry(now, lease_seconds),
            ":now": to_micros(now),
            ":w": worker,
            ":running": "running",
        }
        sets = ["lease_expires_at = :exp", "updated_at = :now"]
        removes: list[str] = []
        names = {"#st": "status"}
        if progress is not None:
            done, total = progress
            sets.append("done = :done")
            values[":done"] = done
            names["#total"] = "total"
            if total is None:
                removes.append("#total")
            else:
                sets.append("#total = :total")
                values[":total"] = total
        if error is not None:
            sets.append("#err = :err")
            values[":err"] = error
            names["#err"] = "error"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return self._guarded_update(
            "heartbeat",
            owner,
            job_id,
            update,
            "#st = :running AND lease_owner = :w",
            values,
            names,
            lease_not_held(worker),
        )

    def _hand_over(
        self, owner: str, job_id: str, worker: str, holder: str, lease_seconds: float
    ) -> Job:
        now = self.clock()
        return self._guarded_update(
            "hand_over",
            owner,
            job_id,
            "SET lease_owner = :h, lease_expires_at = :exp, updated_at = :now",
            "#st = :running AND lease_owner = :w",
            {
                ":h": holder,
                ":exp": lease_expiry(now, lease_seconds),
                ":now": to_micros(now),
                ":w": worker,
                ":running": "running",
            },
            {"#st": "status"},
            lease_not_held(worker),
        )

    def release(self, owner: str, job_id: str, worker: str) -> Job:
        return self._guarded_update(
            "release",
            owner,
            job_id,
            "SET updated_at = :now REMOVE lease_owner, lease_expires_at",
            "lease_owner = :w",
            {":now": self._now(), ":w": worker},
            None,
            lease_not_held(worker),
        )

    def _complete_job(
        self, owner: str, job_id: str, kind: str, body: str, worker: str | None
    ) -> Job:
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
                    "finished_at = :now, gsi1pk = :g REMOVE lease_owner, lease_expires_at, #err",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#st": "status", "#kind": "kind", "#err": "error"},
                    "ExpressionAttributeValues": values,
                }
            },
            {"Put": {"TableName": self.table, "Item": _item(record)}},
        ]
        try:
            refused = self._transact("complete_job", actions)
        except StoreError:
            self._orphan_result(owner, job_id, s3_key, check=True)
            raise
        if refused is not None:
            self._orphan_result(owner, job_id, s3_key)
            raise self._refuse(owner, job_id, completion_refused(worker))
        return self.get_job(owner, job_id)

    def _orphan_result(
        self, owner: str, job_id: str, s3_key: str | None, *, check: bool = False
    ) -> None:
        """Hand `s3_key`, the object of a result that was not stored, to the purge (a purge
        record, `store.aws.tombstones`); `check`: only if a consistent read shows no result
        listing it (a timed-out write may have landed). If that fails too, it stays, unlisted
        (harmless)."""
        if s3_key is None:
            return
        with suppress(StoreError):
            if check:
                stored = self._get("complete_job (check)", _owner_pk(owner), f"RESULT#{job_id}")
                if stored is not None and stored.get("location", "").endswith(s3_key):
                    return
            self._put_purge_record(
                "complete_job (cleanup)", _owner_pk(owner), Purge(results=(s3_key,))
            )

    def _append_events(self, owner: str, run_id: str, batch: list[tuple[int, str]]) -> None:
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
                self._put_new({"pk": f"RUN#{run_id}", "sk": f"{seq:012d}", "payload": payload})
                for seq, payload in chunk
            ]
            if self._transact("append_events", [header, *puts]) is not None:
                head = self._get("append_events", f"RUN#{run_id}", "#HEAD")
                if head is not None and head["owner"] != owner:
                    raise run_of_another_owner(run_id)
                raise seq_not_after(run_id, chunk[0][0], None if head is None else head["last_seq"])

    def _events(self, owner: str, run_id: str, after_seq: int, limit: int) -> list[StoredEvent]:
        head = self._get("events", f"RUN#{run_id}", "#HEAD")
        if head is None or head["owner"] != owner:
            return []
        return [
            StoredEvent(run_id, int(d["sk"]), d["payload"])
            for d in self._query(
                "events", f"RUN#{run_id}", sk_after=f"{max(after_seq, 0):012d}", limit=limit
            )
        ]
