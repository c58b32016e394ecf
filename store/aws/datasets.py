"""Datasets in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`); a deleted
dataset's object goes with its tombstone's purge (`store.aws.tombstones`)."""

from __future__ import annotations

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.aws.tombstones import Purge
from store.common import new_id
from store.datasets import Dataset, dataset_from_row
from store.errors import NotFoundError


def _dataset_key(owner: str, dataset_id: str) -> str:
    return f"datasets/{owner}/{dataset_id}.parquet"


class AwsDatasets(AwsTable):
    """The datasets repository on DynamoDB and S3."""

    def _insert_dataset(self, owner: str, name: str, data: bytes, meta: str) -> Dataset:
        did = new_id("ds")
        s3_key = _dataset_key(owner, did)
        record = {
            "pk": _owner_pk(owner),
            "sk": f"DS#{did}",
            "id": did,
            "owner": owner,
            "name": name,
            "meta": meta,
            "created_at": self._now(),
        }
        self._put_object_then_item(
            "put_dataset", s3_key, data, "application/vnd.apache.parquet", record
        )
        return dataset_from_row(record)

    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        item = self._owned_item("get_dataset", owner, f"DS#{dataset_id}", f"dataset {dataset_id!r}")
        return dataset_from_row(item)

    def dataset_bytes(self, owner: str, dataset_id: str) -> bytes:
        self.get_dataset(owner, dataset_id)  # NotFoundError for a missing / another owner's
        return self._object_bytes(
            "dataset_bytes", _dataset_key(owner, dataset_id), f"dataset {dataset_id}"
        )

    def list_datasets(self, owner: str) -> list[Dataset]:
        items = self._query("list_datasets", _owner_pk(owner), sk_prefix="DS#")
        return sorted(map(dataset_from_row, items), key=lambda d: (d.created_at, d.id))

    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        purge = Purge(results=(_dataset_key(owner, dataset_id),))
        if not self._tombstone("delete_dataset", _owner_pk(owner), f"DS#{dataset_id}", purge):
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
