"""The API's deletes on the AWS store (DynamoDB and S3 on a moto server), as on SQLite.

The user-facing delete tests of their own modules (imported: they run here against this
module's `api`, whose store is the AWS one) answer and hide as they do on SQLite. Every AWS call
the app makes meanwhile is recorded: none deletes anything in the store's table or bucket or in
the memory table (the API's role holds no `Delete*` there, `infra/access.py`), and the
cleanup's purge then removes what was deleted (`Store.purge_deleted`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest
from fastapi.testclient import TestClient

from settings import get_settings
from store.aws import AWSStore, create_tables
from store.memories import create_memory_table
from tests.api import test_memories as memories
from tests.api.conftest import Api, make_settings
from tests.api.test_documents import test_delete_takes_the_chunks_and_the_original
from tests.api.test_ideas import test_list_filters_pages_patch_and_tenancy
from tests.api.test_market_data import test_csv_upload_roundtrip_and_tenancy
from tests.api.test_portfolios import test_create_get_list_update_delete
from tests.api.test_profile import test_default_put_patch_conflict_and_delete
from tests.api.test_threads import test_threads_belong_to_their_owner
from tests.support.aws import FAKE_AWS_ENV, moto_server

__all__ = [  # the deletes, each run here on the AWS store
    "test_create_get_list_update_delete",
    "test_csv_upload_roundtrip_and_tenancy",
    "test_default_put_patch_conflict_and_delete",
    "test_delete_takes_the_chunks_and_the_original",
    "test_list_filters_pages_patch_and_tenancy",
    "test_threads_belong_to_their_owner",
]

PREFIX = "stratigos-deletes-"
BUCKET = "stratigos-deletes-data"
CALLS: list[tuple[str, str, dict[str, Any]]] = []
"""Every AWS call the app made in this module: (service, operation, parameters); not those of
the cleanup's purge (`Store.purge_deleted`) the tests run to check what it removes."""
PURGING = threading.Event()
"""Set while a test runs the purge: its calls are the cleanup's, not the app's."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app on the AWS store (moto), its calls recorded into `CALLS`."""
    from api.app import create_app

    data_dir = tmp_path_factory.mktemp("api-aws") / "data"
    original = botocore.client.BaseClient._make_api_call

    def record(client: Any, operation: str, params: Any) -> Any:
        if not PURGING.is_set():
            CALLS.append((client.meta.service_model.service_name, operation, params))
        return original(client, operation, params)

    purge = AWSStore.purge_deleted

    def purge_deleted(store: AWSStore, limit: int = 500) -> int:
        PURGING.set()
        try:
            return purge(store, limit)
        finally:
            PURGING.clear()

    with moto_server() as url, pytest.MonkeyPatch.context() as mp:
        for key, value in {
            **FAKE_AWS_ENV,
            "STRATIGOS_DATA_DIR": str(data_dir),
            "STRATIGOS_MODEL_PROVIDER": "offline",
        }.items():
            mp.setenv(key, value)
        get_settings.cache_clear()
        store = {
            "backend": "aws",
            "table_prefix": PREFIX,
            "s3_bucket": BUCKET,
            "aws_endpoint_url": url,
            "max_attempts": 2,
            "api_key_pepper": "a-pepper-as-long-and-random-as-production-s-0123456789",
        }
        settings = make_settings(
            data_dir, store=store, research={"index_uri": str(data_dir / "research-index")}
        )
        create_tables(
            settings.store.table_name,
            BUCKET,
            checkpoint_table=settings.store.checkpoint_table,
            endpoint_url=url,
        )
        create_memory_table(settings.store)
        mp.setattr(botocore.client.BaseClient, "_make_api_call", record)
        mp.setattr(AWSStore, "purge_deleted", purge_deleted)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            app_store = client.app.state.context.store  # type: ignore[attr-defined]
            alice_key, _ = app_store.create_api_key("alice", "tests")
            bob_key, _ = app_store.create_api_key("bob", "tests")
            yield Api(client, settings, {"x-api-key": alice_key}, {"x-api-key": bob_key})
    get_settings.cache_clear()


# after the others (a module's tests run in the order they are defined): the profile test
# expects bob to have no profile, and remembering gives him one
test_remembered_in_a_thread_listed_enforced_and_deleted = (
    memories.test_remembered_in_a_thread_listed_enforced_and_deleted
)
test_post_and_delete_all_and_bad_input = memories.test_post_and_delete_all_and_bad_input


def in_the_store(params: dict[str, Any]) -> bool:
    """Whether a call names the store's table or bucket (the checkpoints' offload bucket too),
    the memory table or the checkpoint table."""
    names = {PREFIX + "store", PREFIX + "memories", PREFIX + "checkpoints", BUCKET}
    return bool(names & {params.get("TableName"), params.get("Bucket")}) or bool(
        names & set(params.get("RequestItems", {}))
    )


def test_the_app_deleted_nothing_in_the_store_and_the_purge_removes_what_it_hid(
    api: Api,
) -> None:
    """Deletes of its own (a document, a portfolio, a thread), then every call recorded in this
    process (the deletes above too, when they ran here): none deletes in the store."""
    client, store = api.client, api.store
    files = {"file": ("gone.md", b"# Gone\n\nSoon.\n", "application/octet-stream")}
    document = client.post("/v1/documents", files=files, headers=api.alice).json()["id"]
    weights = [{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.5}]
    portfolio = client.post(
        "/v1/portfolios", json={"name": "gone", "weights": weights}, headers=api.alice
    ).json()["id"]
    thread = client.post("/v1/threads", json={"title": "gone"}, headers=api.alice).json()["id"]
    for path in (f"documents/{document}", f"portfolios/{portfolio}", f"threads/{thread}"):
        assert client.delete(f"/v1/{path}", headers=api.alice).status_code == 204
        assert client.get(f"/v1/{path}", headers=api.alice).status_code == 404
    calls = [(service, op, params) for service, op, params in CALLS if in_the_store(params)]
    assert {op for _, op, _ in calls} >= {"UpdateItem", "PutObject", "Query"}  # not vacuous
    deleting = [op for _, op, _ in calls if op.startswith("Delete")]
    batch_deletes = [
        json.dumps(params)
        for _, op, params in calls
        if op == "BatchWriteItem" and "DeleteRequest" in json.dumps(params)
    ]
    assert deleting == [] and batch_deletes == []
    tombstones = [i for i in store.ddb.scan(TableName=store.table)["Items"] if "deleted_at" in i]
    assert len(tombstones) >= 3
    original = f"documents/alice/{document}/original"
    assert store.s3.head_object(Bucket=BUCKET, Key=original)  # kept until the purge
    assert store.purge_deleted() == len(tombstones)
    left = [i for i in store.ddb.scan(TableName=store.table)["Items"] if "deleted_at" in i]
    assert left == []
    keys = [o["Key"] for o in store.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert original not in keys


def test_a_chat_thread_re_created_under_its_id_keeps_its_new_conversation_through_the_purge(
    api: Api,
) -> None:
    """An Agent Protocol client deletes its thread and creates it again at once under the same
    id: the new thread starts empty, and the purge of the deleted one deletes the old
    conversation's checkpoints only."""
    from store.checkpoints import checkpointer

    client, store = api.client, api.store
    chosen = str(uuid.uuid4())

    def run(text: str) -> None:
        message = {"role": "user", "content": text}
        body = {"assistant_id": "assistant", "input": {"messages": [message]}}
        response = client.post(f"/agent/threads/{chosen}/runs/wait", json=body, headers=api.alice)
        assert response.status_code == 200, response.text

    def said() -> list[str]:
        state = client.get(f"/agent/threads/{chosen}/state", headers=api.alice).json()
        messages = state["values"].get("messages", [])
        return [m["content"] for m in messages if m["type"] == "human"]

    def checkpoints(key: str) -> int:
        with checkpointer(api.settings) as saver:
            return len(list(saver.list({"configurable": {"thread_id": key}})))

    create = {"thread_id": chosen}
    assert client.post("/agent/threads", json=create, headers=api.alice).status_code == 200
    run("the first conversation")
    stored = store.list_threads("alice")[0]
    assert stored.id.startswith(chosen) and said() == ["the first conversation"]
    old = stored.checkpoint
    assert client.delete(f"/agent/threads/{chosen}", headers=api.alice).status_code == 204
    assert client.post("/agent/threads", json=create, headers=api.alice).status_code == 200
    new = store.get_thread("alice", stored.id).checkpoint
    assert new != old and said() == []
    run("the second conversation")
    assert checkpoints(old) > 0  # kept until the purge: the API deleted nothing
    store.purge_deleted()
    assert checkpoints(old) == 0
    assert checkpoints(new) > 0 and said() == ["the second conversation"]
