"""DynamoDB + S3 specifics: S3 offload of large results, TTL attribute, unavailability."""

from __future__ import annotations

import pytest

from store import ConflictError, NotFoundError, StoreError, StoreUnavailableError
from store.aws import AWSStore, create_tables
from tests.store.conftest import INLINE_LIMIT, FakeClock, s3_keys
from tests.support.store_contract import ALICE, running_job


def test_large_result_goes_to_s3(store_aws: AWSStore) -> None:
    job_id = running_job(store_aws)
    payload = {"blob": "y" * (INLINE_LIMIT + 1)}
    store_aws.complete_job(ALICE, job_id, payload)
    keys = s3_keys(store_aws)
    assert len(keys) == 1 and keys[0].startswith(f"results/{ALICE}/{job_id}/")
    result = store_aws.get_result(ALICE, job_id)
    assert result.location == f"s3://{store_aws.bucket}/{keys[0]}"
    assert result.payload == payload


def test_refused_completion_leaves_no_s3_object(store_aws: AWSStore) -> None:
    job, _ = store_aws.submit_job(ALICE, "optimize", {"n": 1})
    store_aws.transition(ALICE, job.id, ["pending"], "cancelled")
    with pytest.raises(ConflictError, match="cannot complete"):
        store_aws.complete_job(ALICE, job.id, {"blob": "z" * (INLINE_LIMIT + 1)})
    assert len(s3_keys(store_aws)) == 1  # handed to the purge, which removes it
    assert store_aws.purge_deleted() == 1
    assert s3_keys(store_aws) == []
    with pytest.raises(NotFoundError):
        store_aws.get_result(ALICE, job.id)


def test_an_item_write_refused_after_the_upload_deletes_the_object(store_aws: AWSStore) -> None:
    # metadata above DynamoDB's 400 KB item limit: the object is uploaded, the item refused, a
    # consistent read shows no item, so the object is handed to the purge (the path ledger
    # exports share with datasets: AwsTable._put_object_then_item)
    columns = [f"asset-{i:06d}-" + "x" * 60 for i in range(6000)]
    meta = {"format": "prices", "n_rows": 1, "n_columns": len(columns), "columns": columns,
            "start": "2024-01-02", "end": "2024-01-02"}  # fmt: skip
    with pytest.raises(StoreError, match="Item size"):
        store_aws.put_dataset(ALICE, "wide", b"PAR1", meta)
    assert len(s3_keys(store_aws)) == 1 and store_aws.list_datasets(ALICE) == []
    assert store_aws.purge_deleted() == 1
    assert s3_keys(store_aws) == [] and store_aws.list_datasets(ALICE) == []


def test_cache_item_carries_ttl_and_expired_items_are_filtered(
    store_aws: AWSStore, clock: FakeClock
) -> None:
    store_aws.cache_put(ALICE, "k", {"v": 1}, ttl_seconds=100)
    item = store_aws.ddb.get_item(
        TableName=store_aws.table, Key={"pk": {"S": f"CACHE#{ALICE}#k"}, "sk": {"S": "-"}}
    )["Item"]
    assert int(item["ttl"]["N"]) == int(clock.now.timestamp()) + 100
    ttl = store_aws.ddb.describe_time_to_live(TableName=store_aws.table)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ttl"
    clock.advance(101)
    # moto never deletes it; the store must not return it
    assert "Item" in store_aws.ddb.get_item(
        TableName=store_aws.table, Key={"pk": {"S": f"CACHE#{ALICE}#k"}, "sk": {"S": "-"}}
    )
    assert store_aws.cache_get(ALICE, "k") is None


def test_missing_table_is_unavailable_with_hint(moto_endpoint: str, aws_env: None) -> None:
    store = AWSStore("no-such-table", "no-such-bucket", endpoint_url=moto_endpoint, max_attempts=1)
    with pytest.raises(StoreUnavailableError, match="create_tables"):
        store.get_job(ALICE, "job_x")


def test_stopped_endpoint_is_unavailable_fast(aws_env: None) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = "http://{}:{}".format(*server.get_host_and_port())
    create_tables("t-down", "b-down", endpoint_url=endpoint)
    store = AWSStore(
        "t-down", "b-down", endpoint_url=endpoint, max_attempts=2, connect_timeout=1, read_timeout=2
    )
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    server.stop()
    with pytest.raises(StoreUnavailableError) as info:
        store.get_job(ALICE, job.id)
    message = str(info.value)
    assert "unreachable" in message and "get_job" in message and "t-down" in message
    with pytest.raises(StoreUnavailableError):
        store.complete_job(ALICE, job.id, {"x": 1})
    with pytest.raises(StoreUnavailableError):
        store.cache_get(ALICE, "k")
