"""Strategy model versions in the SQLite store: the files in the data directory, next to the
database (`<database name>-objects/strategy-models/<owner digest>/<file name>`, owner-only
modes), the metadata in `strategy_models`.

A version's file is written first, whole, under a name that holds the start of its digest, then
its row, inserted only when the version number is free (a writer that lost the number leaves no
file): a listed version always has its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from settings.files import write_private
from store.errors import NotFoundError, StoreUnavailableError
from store.owner_ids import owner_digest
from store.sqlite.connection import SqliteConnection
from store.strategy_models import StrategyModelVersion, model_from_row, model_to_row

_COLUMNS = "owner, version, size_bytes, sha256, created_at, summary"


class SqliteStrategyModels(SqliteConnection):
    """The strategy models repository on SQLite and the data directory."""

    def _model_file(self, model: StrategyModelVersion) -> Path:
        owner = owner_digest(model.owner)
        return self.objects_directory() / "strategy-models" / owner / model.file_name

    def _write_strategy_model(self, model: StrategyModelVersion, data: bytes) -> bool:
        path = self._model_file(model)
        try:
            write_private(path, data)
        except OSError as exc:
            raise StoreUnavailableError(
                f"cannot write the strategy model file {path}: {exc.strerror or exc}"
            ) from exc
        row = model_to_row(model)
        with self._tx("put_strategy_model") as conn:
            inserted = conn.execute(
                f"INSERT OR IGNORE INTO strategy_models ({', '.join(row)}) "
                f"VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            ).rowcount
        if inserted != 1:
            path.unlink(missing_ok=True)  # another writer took this version number
            return False
        return True

    def latest_strategy_model(self, owner: str) -> StrategyModelVersion | None:
        sql = (
            f"SELECT {_COLUMNS} FROM strategy_models WHERE owner = ? ORDER BY version DESC LIMIT 1"
        )
        rows = self._read("latest_strategy_model", sql, (owner,))
        return model_from_row(dict(rows[0])) if rows else None

    def get_strategy_model(self, owner: str, version: int) -> StrategyModelVersion:
        sql = f"SELECT {_COLUMNS} FROM strategy_models WHERE owner = ? AND version = ?"
        rows = self._read("get_strategy_model", sql, (owner, int(version)))
        if not rows:
            raise NotFoundError(f"no strategy model version {version!r} for owner {owner!r}")
        return model_from_row(dict(rows[0]))

    def strategy_model_bytes(self, owner: str, version: int) -> bytes:
        model = self.get_strategy_model(owner, version)
        path = self._model_file(model)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreUnavailableError(
                f"strategy model version {version} is listed but its file {path} cannot be "
                f"read: {exc.strerror or exc}"
            ) from exc
        if hashlib.sha256(data).hexdigest() != model.sha256:
            raise StoreUnavailableError(
                f"strategy model version {version}: its file {path} is not the one its record "
                "describes"
            )
        return data

    def list_strategy_models(self, owner: str) -> list[StrategyModelVersion]:
        sql = f"SELECT {_COLUMNS} FROM strategy_models WHERE owner = ? ORDER BY version"
        return [model_from_row(dict(r)) for r in self._read("list_strategy_models", sql, (owner,))]
