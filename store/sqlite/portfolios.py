"""Portfolios in the SQLite store."""

from __future__ import annotations

from store.common import new_id
from store.errors import NotFoundError, version_conflict
from store.portfolios import Portfolio, portfolio_from_row
from store.sqlite.connection import SqliteConnection


class SqlitePortfolios(SqliteConnection):
    """The portfolios repository on SQLite."""

    def _insert_portfolio(self, owner: str, name: str, data: str) -> Portfolio:
        pid = new_id("pf")
        now = self._now()
        with self._tx("create_portfolio") as conn:
            conn.execute(
                "INSERT INTO portfolios (id, owner, name, data, version, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?, ?)",
                (pid, owner, name, data, now, now),
            )
        return self.get_portfolio(owner, pid)

    def get_portfolio(self, owner: str, portfolio_id: str) -> Portfolio:
        rows = self._read(
            "get_portfolio",
            "SELECT * FROM portfolios WHERE id = ? AND owner = ?",
            (portfolio_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
        return portfolio_from_row(dict(rows[0]))

    def list_portfolios(self, owner: str) -> list[Portfolio]:
        rows = self._read(
            "list_portfolios",
            "SELECT * FROM portfolios WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [portfolio_from_row(dict(r)) for r in rows]

    def _update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        name: str | None,
        data: str | None,
        expected_version: int | None,
    ) -> Portfolio:
        with self._tx("update_portfolio") as conn:
            row = conn.execute(
                "SELECT * FROM portfolios WHERE id = ? AND owner = ?", (portfolio_id, owner)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
            current = portfolio_from_row(dict(row))
            if expected_version is not None and current.version != expected_version:
                raise version_conflict(f"portfolio {portfolio_id}", current, expected_version)
            conn.execute(
                "UPDATE portfolios SET name = COALESCE(?, name), data = COALESCE(?, data), "
                "version = version + 1, updated_at = ? WHERE id = ?",
                (name, data, self._now(), portfolio_id),
            )
        return self.get_portfolio(owner, portfolio_id)

    def delete_portfolio(self, owner: str, portfolio_id: str) -> None:
        with self._tx("delete_portfolio") as conn:
            cur = conn.execute(
                "DELETE FROM portfolios WHERE id = ? AND owner = ?", (portfolio_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
