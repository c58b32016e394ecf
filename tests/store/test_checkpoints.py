"""LangGraph checkpoints through `store.checkpoints.checkpointer`: a tiny graph stops at an
interrupt, the checkpointer is closed, and a fresh one resumes it — on SQLite and on
DynamoDB (+ S3 offload) against the moto server."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from settings import Settings, StoreSettings
from store.aws import create_tables
from store.checkpoints import checkpointer
from tests.store.conftest import s3_keys


class State(TypedDict):
    log: Annotated[list[str], operator.add]
    blob: str


def build(saver: Any) -> Any:
    builder = StateGraph(State)
    builder.add_node("first", lambda s: {"log": ["first"]})
    builder.add_node("second", lambda s: {"log": ["second"]})
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder.compile(checkpointer=saver, interrupt_before=["second"])


def run_and_resume(settings: Settings, config: StoreSettings, blob: str) -> dict[str, Any]:
    thread = {"configurable": {"thread_id": "th_1"}}
    with checkpointer(settings, config) as saver:
        graph = build(saver)
        graph.invoke({"log": [], "blob": blob}, thread)
        snapshot = graph.get_state(thread)
        assert snapshot.next == ("second",)
        assert snapshot.values["log"] == ["first"]
    with checkpointer(settings, config) as saver:  # a new process would open a new one
        graph = build(saver)
        assert graph.get_state(thread).next == ("second",)
        final: dict[str, Any] = graph.invoke(None, thread)
        assert graph.get_state(thread).next == ()
    return final


def test_sqlite_checkpoints_resume(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    config = StoreSettings(backend="sqlite", sqlite_path=tmp_path / "store.sqlite")
    final = run_and_resume(settings, config, "small")
    assert final["log"] == ["first", "second"]
    assert settings.checkpoint_path.is_file()
    with checkpointer(settings, config) as saver:  # WAL, and no fsync per commit (the store's)
        connection: Any = saver.conn  # type: ignore[attr-defined]
        pragmas = [
            connection.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous")
        ]
        assert pragmas == ["wal", 1]


@pytest.mark.parametrize("blob_size", [10, 400_000])
def test_dynamodb_checkpoints_resume(
    tmp_path: Path, moto_endpoint: str, aws_names: dict[str, str], blob_size: int
) -> None:
    prefix = aws_names["checkpoints"].removesuffix("checkpoints")
    config = StoreSettings(
        backend="aws",
        aws_endpoint_url=moto_endpoint,
        table_prefix=prefix,
        s3_bucket=aws_names["bucket"],
        max_attempts=1,
    )
    create_tables(
        config.table_name,
        config.s3_bucket,
        checkpoint_table=config.checkpoint_table,
        endpoint_url=moto_endpoint,
    )
    blob = "b" * blob_size
    final = run_and_resume(Settings(data_dir=tmp_path), config, blob)
    assert final["log"] == ["first", "second"]
    assert final["blob"] == blob
    assert not (tmp_path / "checkpoints.sqlite").exists()
    from store.aws import AWSStore

    offloaded = [
        k
        for k in s3_keys(AWSStore(config.table_name, config.s3_bucket, endpoint_url=moto_endpoint))
        if k.startswith("checkpoints")
    ]
    if blob_size > 350_000:
        assert offloaded, "a checkpoint above 350 KB should be offloaded to S3"
    else:
        assert offloaded == []
