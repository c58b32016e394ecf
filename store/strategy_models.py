"""The owners' strategy models: each version's file (the model learnt from the owner's own
trials, `services.strategy_model`) kept in the store's object storage (SQLite: the data
directory; AWS: the model-artifacts bucket) with its metadata, and their repository interface.

Versions of an owner's model are numbered 1, 2, 3, ... in the order they were stored; a
version, once stored, never changes (a new model is a new version). A writer names the version
it built on (`previous`): the store writes the next one only if no one else has, else it is a
`ConflictError` (the writer then builds on the newer one), so every version includes what the
versions before it learnt. The file is written before its metadata, so a listed version always
has its bytes.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.common import Clock, check_owner, from_micros, to_micros
from store.errors import ConflictError

MODEL_MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class StrategyModelVersion:
    """A stored version's metadata; its bytes come from `strategy_model_bytes`. `summary` is the
    model's own description (learner, accuracy, the runs it learnt from), JSON."""

    owner: str
    version: int
    size_bytes: int
    sha256: str
    created_at: datetime
    summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The metadata as JSON (the API's view)."""
        return {
            "version": self.version,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
            "summary": self.summary,
        }

    @property
    def file_name(self) -> str:
        """The file's name: the version and the start of its digest (writers that raced for a
        version number never write the same name)."""
        return f"v{self.version:06d}-{self.sha256[:16]}.npz"


def model_to_row(model: StrategyModelVersion) -> dict[str, Any]:
    """The stored form of a version's metadata."""
    return {
        "owner": model.owner,
        "version": model.version,
        "size_bytes": model.size_bytes,
        "sha256": model.sha256,
        "created_at": to_micros(model.created_at),
        "summary": json.dumps(model.summary, sort_keys=True),
    }


def model_from_row(row: Mapping[str, Any]) -> StrategyModelVersion:
    """The version a stored row or item holds."""
    return StrategyModelVersion(
        owner=row["owner"],
        version=int(row["version"]),
        size_bytes=int(row["size_bytes"]),
        sha256=row["sha256"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        summary=json.loads(row["summary"]),
    )


class StrategyModelRepository(ABC):
    """Every owner's strategy model versions."""

    clock: Clock

    def put_strategy_model(
        self, owner: str, data: bytes, summary: Mapping[str, Any], *, previous: int | None
    ) -> StrategyModelVersion:
        """Store `data` with its `summary` (JSON) as the owner's version after `previous` (None:
        the first); the version once its bytes and metadata are both stored. `ConflictError`
        when that version exists (another writer stored it: build on it and try again),
        `ValueError` for a bad argument, `StoreError` when the store fails."""
        check_owner(owner)
        if not isinstance(data, bytes | bytearray) or not data:
            raise ValueError("model data must be non-empty bytes")
        if previous is not None and (isinstance(previous, bool) or previous < 1):
            raise ValueError(f"previous must be a version number (>= 1) or None, got {previous!r}")
        described = json.loads(json.dumps(dict(summary)))  # plain JSON, or TypeError
        model = StrategyModelVersion(
            owner=owner,
            version=1 if previous is None else int(previous) + 1,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=from_micros(to_micros(self.clock())),  # type: ignore[arg-type]
            summary=described,
        )
        if not self._write_strategy_model(model, bytes(data)):
            raise ConflictError(
                f"strategy model version {model.version} of owner {owner!r} exists: another "
                "writer stored it"
            )
        return model

    @abstractmethod
    def _write_strategy_model(self, model: StrategyModelVersion, data: bytes) -> bool:
        """`put_strategy_model` after its checks: the bytes, then the metadata unless the
        version exists (False then: nothing listed was changed)."""

    @abstractmethod
    def latest_strategy_model(self, owner: str) -> StrategyModelVersion | None:
        """The owner's newest version, or None when they have none."""

    @abstractmethod
    def get_strategy_model(self, owner: str, version: int) -> StrategyModelVersion:
        """A version's metadata, or `NotFoundError` (also for another owner's)."""

    @abstractmethod
    def strategy_model_bytes(self, owner: str, version: int) -> bytes:
        """A version's bytes exactly as stored, or `NotFoundError`."""

    @abstractmethod
    def list_strategy_models(self, owner: str) -> list[StrategyModelVersion]:
        """The owner's versions, oldest first."""
