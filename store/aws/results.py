"""Results in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from store.aws.items import _item, _owner_pk
from store.aws.jobs import AwsJobs
from store.common import from_micros
from store.errors import NotFoundError, StoreUnavailableError
from store.results import Result, Trial


class AwsResults(AwsJobs):
    """The results repository on DynamoDB and S3."""

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

    def _put_trials(self, owner: str, job_id: str, rows: list[tuple[int, str]]) -> None:
        self._job_item(owner, job_id)
        # a batch may repeat a number: the last one wins, as in SQLite's INSERT OR REPLACE
        last = dict(rows)
        requests = [
            {
                "PutRequest": {
                    "Item": _item(
                        {"pk": f"TRIALS#{owner}#{job_id}", "sk": f"{number:012d}", "data": data}
                    )
                }
            }
            for number, data in last.items()
        ]
        for start in range(0, len(requests), 25):
            self._batch_write("put_trials", requests[start : start + 25])

    def _trials_after(self, owner: str, job_id: str, after: int, limit: int) -> list[Trial]:
        self._job_item(owner, job_id)
        rows = list(
            self._query(
                "trials",
                f"TRIALS#{owner}#{job_id}",
                sk_after=f"{after:012d}" if after >= 0 else None,
                limit=limit,
            )
        )
        return [Trial(int(d["sk"]), json.loads(d["data"])) for d in rows]
