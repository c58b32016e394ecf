"""DynamoDB + S3 specifics: S3 offload of large results, TTL attribute, unavailability, the
index of stored analyses for records and archives from before it, `create_tables` on resources
that exist."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.client
import pytest

from settings.aws_sessions import aws_session
from store import ConflictError, NotFoundError, StoreError, StoreUnavailableError
from store.aws import AWSStore, create_tables
from store.aws.items import _item
from store.common import dumps, to_micros
from store.owner_data import OwnerRecord, OwnerRewrite
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


def test_create_tables_leaves_what_exists_alone_and_lists_no_whole_account(
    moto_endpoint: str, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run again, `create_tables` keeps the table, bucket and documents bucket that exist (their
    items, objects and versioning as they are) and creates the checkpoint table that does not
    (with its TTL); a bucket whose name only starts with the store's does not count as it. It
    finds what exists without listing every table or bucket of the account."""
    suffix = uuid.uuid4().hex[:10]
    table, bucket, docs = f"t-{suffix}", f"b-{suffix}", f"d-{suffix}"
    create_tables(table, f"{bucket}-longer", endpoint_url=moto_endpoint)
    create_tables(table, bucket, endpoint_url=moto_endpoint, documents_bucket=docs)
    store = AWSStore(table, bucket, endpoint_url=moto_endpoint, documents_bucket=docs)
    store.create_portfolio(ALICE, "kept", {})
    store.s3.put_object(Bucket=bucket, Key="kept", Body=b"1")
    store.s3.put_bucket_versioning(Bucket=docs, VersioningConfiguration={"Status": "Suspended"})
    calls: list[tuple[str, dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    create_tables(
        table,
        bucket,
        checkpoint_table=f"c-{suffix}",
        endpoint_url=moto_endpoint,
        documents_bucket=docs,
    )
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    assert [p.name for p in store.list_portfolios(ALICE)] == ["kept"]
    assert store.s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"1"
    assert store.s3.get_bucket_versioning(Bucket=docs)["Status"] == "Suspended"
    ttl = store.ddb.describe_time_to_live(TableName=f"c-{suffix}")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"
    created = [p.get("TableName", p.get("Bucket")) for o, p in calls if o.startswith("Create")]
    assert created == [table, f"c-{suffix}"]  # refused for the table: it exists
    assert "ListTables" not in {o for o, _ in calls}
    assert all(p.get("Prefix") for o, p in calls if o == "ListBuckets")


def test_the_s3_client_is_made_once_at_the_store_s_first_use_of_s3(
    moto_endpoint: str, aws_env: None, aws_names: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = aws_session(region_name="us-east-1")
    made: list[str] = []
    make = session.client

    def client(service: str, **options: Any) -> Any:
        made.append(service)
        return make(service, **options)

    monkeypatch.setattr(session, "client", client)
    store = AWSStore(
        aws_names["table"],
        aws_names["bucket"],
        endpoint_url=moto_endpoint,
        session=session,
        inline_limit_bytes=10,
    )
    store.create_portfolio(ALICE, "p", {})
    assert made == ["dynamodb"]
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda _: store.s3, range(8)))
    assert made == ["dynamodb", "s3"] and all(c is clients[0] for c in clients)
    job_id = running_job(store)
    store.complete_job(ALICE, job_id, {"big": "x" * 100})
    assert store.get_result(ALICE, job_id).payload == {"big": "x" * 100}
    assert len(s3_keys(store)) == 1


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


def _unindexed(store: AWSStore, owner: str, aid: str, created: int) -> None:
    """An optimization record as the store wrote it before its listings were paged (no index
    keys)."""
    item = {"pk": f"OWNER#{owner}", "sk": f"AN#optimization#{aid}", "id": aid, "owner": owner,
            "kind": "optimization", "created_at": created, "data": dumps({"old": aid})}  # fmt: skip
    store.ddb.put_item(TableName=store.table, Item=_item(item))


def test_records_written_before_the_index_are_listed_once_the_cleanup_indexed_them(
    store_aws: AWSStore, clock: FakeClock
) -> None:
    now = to_micros(clock.now)
    _unindexed(store_aws, ALICE, "opt_old2", now - 1)
    _unindexed(store_aws, ALICE, "opt_old1", now - 2)
    new = store_aws.put_analysis(ALICE, "optimization", None, {"new": 1})
    assert [a.id for a in store_aws.list_analyses(ALICE, "optimization").items] == [new.id]
    store_aws.cleanup()
    page = store_aws.list_analyses(ALICE, "optimization", limit=2)
    assert [a.id for a in page.items] == ["opt_old1", "opt_old2"]
    rest = store_aws.list_analyses(ALICE, "optimization", cursor=page.next_cursor)
    assert [a.id for a in rest.items] == [new.id] and rest.next_cursor is None
    assert store_aws._index_analyses() == 0  # nothing left to index


def test_an_archive_from_before_the_index_imports_listed(
    store_aws: AWSStore, clock: FakeClock
) -> None:
    now = to_micros(clock.now)
    record = {"pk": "OWNER#alice", "sk": "AN#optimization#opt_a", "id": "opt_a",
              "owner": "alice", "kind": "optimization", "created_at": now,
              "data": dumps({"old": 1})}  # fmt: skip
    store_aws.restore_owner(
        "carol", [OwnerRecord("items", record)], [], OwnerRewrite("alice", "carol")
    )
    [listed] = store_aws.list_analyses("carol", "optimization").items
    assert (listed.id, listed.owner, listed.data) == ("opt_a", "carol", {"old": 1})
