"""The long-term memory store that LangGraph Platform (`langgraph dev`) serves the graphs with:
`langgraph.json` names `memories` here.

The server asks for an async context manager and calls the store from its event loop (its
`/store` routes) and from the graphs' worker threads (the assistant's memory), so this is the
async counterpart of `store.memories.memory_store` on the same file with the same tables:
`AsyncSqliteStore` on `<data_dir>/memories.sqlite` (WAL). What the assistant remembers under
`langgraph dev` is therefore the owner's long-term memory in `stratigos` too (and the other way
round). Settings are the process's (`STRATIGOS_*`).

Only the SQLite backend is served: with `STRATIGOS_STORE_BACKEND=aws` the store refuses to open
(`PlatformBackendError`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from settings import Settings, get_settings
from store.errors import StoreUnavailableError
from store.factory import StoreConfig
from store.memories import memory_path


class PlatformBackendError(ValueError):
    """The configured store backend is not one `langgraph dev` can be served with."""


def _sqlite_settings() -> Settings:
    """The process's settings, refused unless the store backend is SQLite (reads the settings
    file and creates the data directory: blocking, so the server runs it on a worker thread)."""
    settings = get_settings()
    backend = StoreConfig.from_settings(settings).backend
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
    path = memory_path(settings)
    try:
        connection = await aiosqlite.connect(path, isolation_level=None)
    except (OSError, aiosqlite.Error) as exc:
        raise StoreUnavailableError(f"cannot open the memory file {path}: {exc}") from exc
    try:
        await connection.execute("PRAGMA journal_mode=WAL")
        store = AsyncSqliteStore(connection)
        await store.setup()
    except aiosqlite.Error as exc:
        await connection.close()
        raise StoreUnavailableError(f"cannot open the memory file {path}: {exc}") from exc
    try:
        yield store
    finally:
        await connection.close()
