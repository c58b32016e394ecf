"""A chat thread's conversation on AWS: checkpointed under its incarnation's own key
(`ChatThread.checkpoint`), kept when the thread is deleted (the API may not delete) and deleted
by the purge (`Store.purge_deleted`) of the purge record the delete wrote, which leaves a new
thread of the same id, created again at once, with its own conversation."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from settings import StoreSettings
from store.aws import AWSStore
from store.checkpoints import checkpointer
from store.threads import checkpoint_thread, thread_of_checkpoint
from tests.store.conftest import FakeClock, checkpoint_settings, make_aws_store, s3_keys
from tests.support.store_contract import ALICE

OFFLOADED = 400_000
"""Characters of a checkpoint the saver offloads to S3 (above 350 KB)."""


def _config(key: str) -> RunnableConfig:
    return {"configurable": {"thread_id": key, "checkpoint_ns": ""}}


@pytest.fixture
def config(moto_endpoint: str, aws_names: dict[str, str]) -> StoreSettings:
    """The settings of the test store's checkpointer (`make_aws_store` deletes there)."""
    return checkpoint_settings(moto_endpoint, aws_names)


def _save(config: StoreSettings, key: str, said: str) -> None:
    """A checkpoint of LangGraph thread `key` whose channel `said` holds `said`."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"said": said}
    with checkpointer(config=config) as saver:
        saver.put(_config(key), checkpoint, {}, {})


def _said(config: StoreSettings, key: str) -> Any:
    """What the latest checkpoint of LangGraph thread `key` holds (None without one)."""
    with checkpointer(config=config) as saver:
        saved = saver.get_tuple(_config(key))
    return None if saved is None else saved.checkpoint["channel_values"]["said"]


def _offloaded(store: AWSStore) -> list[str]:
    return [k for k in s3_keys(store) if k.startswith("checkpoints/")]


def test_a_thread_re_created_at_once_keeps_its_new_conversation_through_the_purge(
    moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock, config: StoreSettings
) -> None:
    store = make_aws_store(moto_endpoint, aws_names, clock)
    old = store.create_thread(ALICE, "first", thread_id="t-mine").checkpoint
    _save(config, old, "hello")
    _save(config, old, "x" * OFFLOADED)  # offloaded to S3
    assert _offloaded(store)
    store.delete_thread(ALICE, "t-mine")
    assert _said(config, old) == "x" * OFFLOADED  # the delete only marks the thread

    again = store.create_thread(ALICE, "second", thread_id="t-mine")
    assert again.checkpoint != old
    assert thread_of_checkpoint(again.checkpoint) == thread_of_checkpoint(old) == "t-mine"
    assert store.get_thread(ALICE, "t-mine").checkpoint == again.checkpoint
    assert _said(config, again.checkpoint) is None  # a new conversation
    _save(config, again.checkpoint, "new")

    assert store.purge_deleted() == 1  # its purge record (the new thread replaced its tombstone)
    assert _said(config, old) is None and _offloaded(store) == []  # the old one's are gone
    assert _said(config, again.checkpoint) == "new"  # the new one's stay
    assert store.purge_deleted() == 0

    store.delete_thread(ALICE, "t-mine")  # and the new one's go with its own purge
    assert store.purge_deleted() == 2  # its tombstone and its purge record
    assert _said(config, again.checkpoint) is None


def test_a_thread_created_before_incarnations_keeps_its_key_and_its_purge_deletes_it(
    moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock, config: StoreSettings
) -> None:
    store = make_aws_store(moto_endpoint, aws_names, clock)
    store.create_thread(ALICE, "old", thread_id="t-old")
    store.ddb.update_item(  # as a thread created before threads carried their key
        TableName=store.table,
        Key={"pk": {"S": f"OWNER#{ALICE}"}, "sk": {"S": "TH#t-old"}},
        UpdateExpression="REMOVE #ck",
        ExpressionAttributeNames={"#ck": "checkpoint"},
    )
    thread = store.get_thread(ALICE, "t-old")
    assert thread.checkpoint == "chat:t-old"
    _save(config, thread.checkpoint, "before")
    store.delete_thread(ALICE, "t-old")
    assert _said(config, "chat:t-old") == "before"
    assert store.purge_deleted() == 2
    assert _said(config, "chat:t-old") is None


def test_a_purge_that_cannot_reach_the_checkpoints_leaves_them_for_the_next(
    moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock, config: StoreSettings
) -> None:
    store = make_aws_store(moto_endpoint, aws_names, clock)
    key = store.create_thread(ALICE, "t", thread_id="t-1").checkpoint
    _save(config, key, "kept")
    store.delete_thread(ALICE, "t-1")
    blind = make_aws_store(moto_endpoint, aws_names, clock)
    blind.delete_checkpoints = None  # a store opened without a way to delete checkpoints
    assert blind.purge_deleted() == 1  # the thread's tombstone, not its purge record
    assert _said(config, key) == "kept" and store.list_threads(ALICE) == []
    assert store.purge_deleted() == 1
    assert _said(config, key) is None


@given(st.text(min_size=1, max_size=100), st.text(min_size=1, max_size=100), st.uuids())
def test_incarnation_keys_never_collide_with_plain_ones(a: str, b: str, uid: Any) -> None:
    incarnation = uid.hex[:16]
    assert checkpoint_thread(a) != checkpoint_thread(b, incarnation)
    assert thread_of_checkpoint(checkpoint_thread(a)) == a
    assert thread_of_checkpoint(checkpoint_thread(b, incarnation)) == b
    assert (checkpoint_thread(a) == checkpoint_thread(b)) == (a == b)


def test_checkpoint_settings_name_the_fixture_s_checkpoint_table(
    moto_endpoint: str, aws_names: dict[str, str]
) -> None:
    assert (
        checkpoint_settings(moto_endpoint, aws_names).checkpoint_table == (aws_names["checkpoints"])
    )
