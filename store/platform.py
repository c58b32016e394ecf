"""The persistence that LangGraph Platform (`langgraph dev`) serves the graphs with:
`langgraph.json` names `memories` (the long-term memory store) and `checkpoints` (the
checkpointer) here.

The server asks for async context managers and calls both from its event loop (its `/store`
and thread-state routes, every run's checkpoints) and the store also from the graphs' worker
threads (the assistant's memory). So these are the async counterparts of the project's own, on
the same files with the same tables:

- `memories`: `AsyncSqliteStore` on `<data_dir>/memories.sqlite` (WAL), as
  `store.memories.memory_store`. What the assistant remembers under `langgraph dev` is the
  owner's long-term memory in `stratigos` too (and the other way round).
- `checkpoints`: `AsyncSqliteSaver` on `settings.checkpoint_path` (WAL), as
  `store.checkpoints.checkpointer`. A thread's checkpoints (thread id = the server's thread
  id) are in the file `stratigos` reads; the jobs an approved search starts checkpoint there
  too, through the project's own saver, as they do under `stratigos`.

Settings are the process's (`STRATIGOS_*`). Only the SQLite backend is served: with
`STRATIGOS_STORE_BACKEND=aws` neither opens (`PlatformBackendError`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from settings import Settings, get_settings
from settings.file_locks import exclusive, lock_path
from settings.files import private_file
from store.errors import StoreUnavailableError
from store.memories import memory_path

Opened = TypeVar("Opened")


class PlatformBackendError(ValueError):
    """The configured store backend is not one `langgraph dev` can be served with."""


def _sqlite_settings() -> Settings:
    """The process's settings, refused unless the store backend is SQLite (reads the settings
    file and creates the data directory: blocking, so the server runs it on a worker thread)."""
    settings = get_settings()
    backend = settings.store.backend
    if backend != "sqlite":
        raise PlatformBackendError(
            f"STRATIGOS_STORE_BACKEND={backend}: langgraph dev serves the sqlite backend only"
        )
    settings.ensure_data_dir()
    return settings


@asynccontextmanager
async def memories() -> AsyncIterator[BaseStore]:
    """`AsyncSqliteStore` on the project's long-term memory file (`<data_dir>/memories.sqlite`,
    WAL), open for the `async with` block (`StoreUnavailableError` if it cannot be opened)."""
    settings = await asyncio.to_thread(_sqlite_settings)
    async with _opened(memory_path(settings), "memory", _memory_store, isolation_level=None) as s:
        yield s


@asynccontextmanager
async def checkpoints() -> AsyncIterator[BaseCheckpointSaver[str]]:
    """`AsyncSqliteSaver` on the project's checkpoint file (`settings.checkpoint_path`, WAL),
    open for the `async with` block (`StoreUnavailableError` if it cannot be opened)."""
    settings = await asyncio.to_thread(_sqlite_settings)
    async with _opened(settings.checkpoint_path, "checkpoint", _checkpoint_saver) as saver:
        yield saver


async def _memory_store(connection: aiosqlite.Connection) -> AsyncSqliteStore:
    await connection.execute("PRAGMA journal_mode=WAL")
    store = AsyncSqliteStore(connection)
    await store.setup()
    return store


async def _checkpoint_saver(connection: aiosqlite.Connection) -> AsyncSqliteSaver:
    saver = AsyncSqliteSaver(connection)
    await saver.setup()  # the tables, in WAL mode
    return saver


@asynccontextmanager
async def _setup_lock(path: str | Path) -> AsyncIterator[None]:
    """The setup lock of the SQLite file `path` (`settings.file_locks`) for the block, waited
    for on a worker thread: LangGraph's setups migrate outside a transaction, so two at once on
    a new file would both migrate; under the lock they run one at a time, in any process."""
    held = exclusive(lock_path(path))
    await asyncio.to_thread(held.__enter__)
    try:
        yield
    finally:
        held.__exit__(None, None, None)


@asynccontextmanager
async def _opened(
    path: str | Path,
    what: str,
    setup: Callable[[aiosqlite.Connection], Awaitable[Opened]],
    **connect: Any,
) -> AsyncIterator[Opened]:
    """`setup(connection)`, under the file's setup lock, on a connection to the SQLite file
    `path` (`connect`: arguments of `aiosqlite.connect`), closed after the block; `StoreUnavailableError` ("cannot open the
    `what` file …") when the file cannot be opened or set up."""
    try:
        connection = await aiosqlite.connect(private_file(path), **connect)
    except (OSError, aiosqlite.Error) as exc:
        raise StoreUnavailableError(f"cannot open the {what} file {path}: {exc}") from exc
    try:
        async with _setup_lock(path):
            opened = await setup(connection)
    except (OSError, aiosqlite.Error) as exc:
        await connection.close()
        raise StoreUnavailableError(f"cannot open the {what} file {path}: {exc}") from exc
    try:
        yield opened
    finally:
        await connection.close()
