"""LangGraph checkpointers: the SQLite saver (default) or `DynamoDBSaver` with S3 offload (AWS)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from settings import Settings, StoreSettings, get_settings
from settings.aws_sessions import aws_session
from settings.file_locks import exclusive, lock_path
from settings.files import private_file
from store.errors import StoreUnavailableError


@contextmanager
def checkpointer(
    settings: Settings | None = None, config: StoreSettings | None = None
) -> Iterator[BaseCheckpointSaver[str]]:
    """The checkpointer of the backend `config` (the store settings group, default
    `settings.store`) names, open for the `with` block.

    `sqlite`: `langgraph.checkpoint.sqlite.SqliteSaver` on `settings.checkpoint_path` (WAL mode,
    `synchronous=NORMAL` as the store's: durable across process crashes, no fsync per commit),
    its tables set up when it opens, under the file's lock (`settings.file_locks`: any number of
    threads and processes may open a new file at once).
    `aws`: `langgraph_checkpoint_aws.DynamoDBSaver` on the table `config.checkpoint_table`;
    checkpoints above 350 KB are offloaded to `s3://<checkpoint_s3_bucket or s3_bucket>/checkpoints/`;
    items expire after
    `checkpoint_ttl_seconds` when set.
    """
    settings = settings or get_settings()
    config = config or settings.store
    if config.backend == "aws":
        from langgraph_checkpoint_aws import DynamoDBSaver

        from store.aws import boto_config

        yield DynamoDBSaver(
            table_name=config.checkpoint_table,
            session=aws_session(region_name=config.aws_region),
            region_name=config.aws_region,
            endpoint_url=config.aws_endpoint_url,
            boto_config=boto_config(
                config.max_attempts, config.connect_timeout, config.read_timeout
            ),
            ttl_seconds=config.checkpoint_ttl_seconds,
            s3_offload_config={
                "bucket_name": config.checkpoint_s3_bucket or config.s3_bucket,
                "endpoint_url": config.aws_endpoint_url,
                "key_prefix": "checkpoints",
            },
        )
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = settings.checkpoint_path
    try:
        connection = sqlite3.connect(private_file(path), check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailableError(f"cannot open the checkpoint file {path}: {exc}") from exc
    try:
        saver = SqliteSaver(connection)
        connection.execute("PRAGMA synchronous=NORMAL")  # before the setup's commits too
        with exclusive(lock_path(path)):  # one setup at a time, across threads and processes
            connection.execute("PRAGMA journal_mode=WAL")
            saver.setup()
    except (OSError, sqlite3.Error) as exc:
        connection.close()
        raise StoreUnavailableError(f"cannot open the checkpoint file {path}: {exc}") from exc
    try:
        yield saver
    finally:
        connection.close()


def delete_checkpoints(
    config: StoreSettings, thread_ids: Sequence[str], settings: Settings | None = None
) -> None:
    """Delete every checkpoint (and pending write) of the LangGraph threads `thread_ids` in the
    checkpointer of the store settings `config` (the AWS store's purge of deleted chat
    threads, `store.aws.purge`, and an owner's erasure on either backend, `store.owner_data`;
    `settings` locate the SQLite file, default the process's)."""
    with checkpointer(settings, config=config) as saver:
        for thread_id in thread_ids:
            saver.delete_thread(thread_id)
