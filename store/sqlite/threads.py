"""The chat thread index in the SQLite store."""

from __future__ import annotations

from store.common import new_id
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection
from store.threads import ChatThread, thread_from_row


class SqliteThreads(SqliteConnection):
    """The threads repository on SQLite."""

    def _insert_thread(self, owner: str, title: str, thread_id: str | None) -> ChatThread:
        tid = thread_id or new_id("th")
        now = self._now()
        with self._tx("create_thread") as conn:
            conn.execute(
                "INSERT INTO threads (id, owner, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (tid, owner, title, now, now),
            )
        return self.get_thread(owner, tid)

    def touch_thread(self, owner: str, thread_id: str, *, title: str | None = None) -> ChatThread:
        with self._tx("touch_thread") as conn:
            cur = conn.execute(
                "UPDATE threads SET updated_at = ?, title = COALESCE(?, title) "
                "WHERE id = ? AND owner = ?",
                (self._now(), title, thread_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return self.get_thread(owner, thread_id)

    def get_thread(self, owner: str, thread_id: str) -> ChatThread:
        rows = self._read(
            "get_thread", "SELECT * FROM threads WHERE id = ? AND owner = ?", (thread_id, owner)
        )
        if not rows:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return thread_from_row(dict(rows[0]))

    def _list_threads(self, owner: str, limit: int) -> list[ChatThread]:
        rows = self._read(
            "list_threads",
            "SELECT * FROM threads WHERE owner = ? ORDER BY updated_at DESC, id DESC LIMIT ?",
            (owner, limit),
        )
        return [thread_from_row(dict(r)) for r in rows]

    def delete_thread(self, owner: str, thread_id: str) -> None:
        with self._tx("delete_thread") as conn:
            cur = conn.execute("DELETE FROM threads WHERE id = ? AND owner = ?", (thread_id, owner))
            if cur.rowcount == 0:
                raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
