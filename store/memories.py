"""Long-term memory: LangGraph's store interface (`BaseStore`) on SQLite or DynamoDB.

`memory_store(settings)` opens the configured backend for a `with` block, chosen by the same
settings as the store (`STRATIGOS_STORE_BACKEND`):

- `sqlite`: `langgraph.store.sqlite.SqliteStore` on `<data_dir>/memories.sqlite` (WAL mode,
  `synchronous=NORMAL` as the store's: durable across process crashes, no fsync per commit),
  beside the store (`store.sqlite`) and the checkpointer (`checkpoints.sqlite`); its schema is
  set up and upgraded under the file's lock (`settings.file_locks`), so any number of threads
  and processes may open a new file at once;
- `aws`: `langgraph_checkpoint_aws.store.dynamodb.DynamoDBStore` on the table
  `<table_prefix>memories` (`StoreSettings.memory_table`; `PK`/`SK` strings, created by the CDK
  stack, or by `create_memory_table` in tests and development), wrapped in
  `store.memory_tombstones.ForgettingStore`: a delete overwrites the memory at once and reads
  leave it out, and DynamoDB's TTL removes the item (the API may not delete).

Every owner's memories live in their own namespace, `memory_namespace(owner)` =
``("memories", <owner label>)``: reads and writes always name it, so no owner ever reaches
another's. The owner label escapes the characters the backends use as namespace separators
(``.`` on SQLite, ``:`` on DynamoDB, e.g. ``cognito:<sub>`` owners), so distinct owners always
have distinct namespaces. What a memory holds is `services.memories`'s business.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from settings import Settings, StoreSettings, get_settings
from settings.file_locks import exclusive, lock_path
from settings.files import private_file
from store.errors import StoreUnavailableError

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore
    from langgraph_checkpoint_aws.store.dynamodb import DynamoDBStore

MEMORY_ROOT = "memories"
"""First label of every memory namespace."""

_ESCAPES = (("%", "%25"), (".", "%2E"), (":", "%3A"))
"""Characters of an owner id replaced in its namespace label (``%`` first: injective)."""


def owner_label(owner: str) -> str:
    """The namespace label of `owner`: the id with ``%``, ``.`` and ``:`` percent-escaped
    (ValueError for an empty owner)."""
    if not owner:
        raise ValueError("a memory belongs to an owner; the owner is empty")
    label = owner
    for char, escaped in _ESCAPES:
        label = label.replace(char, escaped)
    return label


def memory_namespace(owner: str) -> tuple[str, str]:
    """The namespace of `owner`'s memories: ``("memories", owner_label(owner))``."""
    return (MEMORY_ROOT, owner_label(owner))


def _set_up(connection: sqlite3.Connection) -> None:
    """LangGraph's own setup of the memory tables (the template `copy_if_new` copies)."""
    from langgraph.store.sqlite import SqliteStore

    SqliteStore(connection).setup()


def memory_path(settings: Settings) -> str:
    """The SQLite file of the memories: `<data_dir>/memories.sqlite`."""
    return str(settings.data_dir / "memories.sqlite")


@contextmanager
def memory_store(
    settings: Settings | None = None, config: StoreSettings | None = None
) -> Iterator[BaseStore]:
    """The long-term memory store of the backend `config` (the store settings group, default
    `settings.store`) names, open for the `with` block (`StoreUnavailableError` if the SQLite
    file cannot be opened)."""
    settings = settings or get_settings()
    config = config or settings.store
    if config.backend == "aws":
        from store.memory_tombstones import ForgettingStore

        yield ForgettingStore(dynamodb_memory_store(config))
        return
    from langgraph.store.sqlite import SqliteStore

    from store.sqlite.schema_setup import copy_if_new

    path = memory_path(settings)
    try:
        connection = sqlite3.connect(
            private_file(path), check_same_thread=False, isolation_level=None
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreUnavailableError(f"cannot open the memory file {path}: {exc}") from exc
    try:
        store = SqliteStore(connection)
        # LangGraph's setup migrates outside a transaction (read the version, run the scripts,
        # insert each version): two at once on a new file both migrate and one fails. Under the
        # file's lock they run one at a time, and the later ones find the schema current.
        connection.execute("PRAGMA synchronous=NORMAL")  # as the store's and checkpoints'
        with exclusive(lock_path(path)):
            connection.execute("PRAGMA journal_mode=WAL")
            # a new file gets the tables copied from a template set up once per process
            copy_if_new(connection, ("memories", tuple(SqliteStore.MIGRATIONS)), _set_up)
            store.setup()
    except (OSError, sqlite3.Error) as exc:
        connection.close()
        raise StoreUnavailableError(f"cannot open the memory file {path}: {exc}") from exc
    try:
        yield store
    finally:
        connection.close()


def dynamodb_memory_store(config: StoreSettings) -> DynamoDBStore:
    """`DynamoDBStore` on `config.memory_table` (no vector index: memories are listed, not
    searched by meaning), with the store's retry and timeout settings."""
    from langgraph_checkpoint_aws.store.dynamodb import DynamoDBStore

    from store.aws import boto_config

    return DynamoDBStore(
        config.memory_table,
        region_name=config.aws_region,
        endpoint_url=config.aws_endpoint_url,
        boto_config=boto_config(config.max_attempts, config.connect_timeout, config.read_timeout),
    )


def create_memory_table(config: StoreSettings) -> None:
    """Create the DynamoDB memory table as `DynamoDBStore.setup` defines it (`PK` hash, `SK`
    range, strings, on demand) if it is missing: for tests and development; production creates
    it with the CDK stack."""
    dynamodb_memory_store(config).setup()
