"""Datasets in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from store.aws.table import AwsTable, _item, _owner_pk
from store.common import new_id
from store.datasets import Dataset, dataset_from_row
from store.errors import NotFoundError, StoreError, StoreUnavailableError


def _dataset_key(owner: str, dataset_id: str) -> str:
    return f"datasets/{owner}/{dataset_id}.parquet"


class AwsDatasets(AwsTable):
    """The datasets repository on DynamoDB and S3."""

    def _insert_dataset(self, owner: str, name: str, data: bytes, meta: str) -> Dataset:
        did = new_id("ds")
        s3_key = _dataset_key(owner, did)
        # Upload first: a crash after this leaves an unreferenced object, never a listed
        # dataset without its bytes.
        self._call(
            "put_dataset (upload)",
            self.s3.put_object,
            Bucket=self.bucket,
            Key=s3_key,
            Body=data,
            ContentType="application/vnd.apache.parquet",
        )
        record = {
            "pk": _owner_pk(owner),
            "sk": f"DS#{did}",
            "id": did,
            "owner": owner,
            "name": name,
            "meta": meta,
            "created_at": self._now(),
        }
        try:
            self._call("put_dataset", self.ddb.put_item, TableName=self.table, Item=_item(record))
        except StoreError:
            self._discard(s3_key)
            raise
        return dataset_from_row(record)

    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        item = self._get("get_dataset", _owner_pk(owner), f"DS#{dataset_id}")
        if item is None:
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        return dataset_from_row(item)

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
        return sorted(map(dataset_from_row, items), key=lambda d: (d.created_at, d.id))

    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        if not self._delete("delete_dataset", _owner_pk(owner), f"DS#{dataset_id}"):
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        self._discard(_dataset_key(owner, dataset_id))
