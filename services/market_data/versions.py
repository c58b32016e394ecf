"""A provider's daily closes kept as versions, each written whole and then made current at once.

`VersionedCloses(folder)` holds, in a local directory or an S3 prefix
(`services.market_data.folders`), one Parquet object per version (``<id>.parquet``) and the
pointer ``current.json`` naming the current one with its first and last session, its symbols and
when it was written. `write` writes the new version's object, then replaces the pointer (one
object replaced at once), so a reader sees the previous version or the new one, never a mix, and
a writer that dies midway leaves the previous version current. The last refresh
attempt (succeeded or failed, when, and why it failed) is kept beside it (``refresh.json``), so a
failed refresh keeps the last good version and says why. Versions older than the `KEEP_VERSIONS`
newest are deleted after a write.

The last ingestion (``ingest.json``) and the regime indicators of the latest version
(``regimes.json``) are kept there too (`services.market_data.ingestion`, through which every
version is written).

A version id is the UTC time it was written and a random suffix (``20260310T210512Z-1a2b3c4d``):
ids sort by age, and two writers never share one.

`shared_table(source, version, load)` keeps the table of one source at one version in memory,
shared by every caller of the process (the providers' `closes()`), loading it again only when
the version changes.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from quant.errors import DataError
from services.market_data.folders import Folder

KEEP_VERSIONS = 3
"""Versions kept on disk (the current one and the newest before it)."""
POINTER = "current.json"
REFRESH = "refresh.json"
LAST_INGEST = "ingest.json"
"""The last ingestion's report (`services.market_data.ingestion`), beside the versions."""
REGIMES = "regimes.json"
"""The regime indicators of the latest version ingested, beside the versions."""


@dataclass(frozen=True)
class DataVersion:
    """A stored version of the closes: its id, when it was written, its first and last session
    and its number of symbols."""

    id: str
    written_at: datetime
    start: date
    end: date
    symbols: int

    def to_json(self) -> dict[str, Any]:
        """The version as JSON (ISO dates and time)."""
        return {
            "id": self.id,
            "written_at": self.written_at.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "symbols": self.symbols,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataVersion:
        """The version `to_json` wrote."""
        return cls(
            id=str(data["id"]),
            written_at=datetime.fromisoformat(data["written_at"]),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            symbols=int(data["symbols"]),
        )


@dataclass(frozen=True)
class RefreshRecord:
    """The last refresh attempt: `status` ``succeeded``, ``submitted`` (its closes put where
    another process ingests them: `file`) or ``failed``, `at` (when), the version it wrote
    (None when it wrote none) and, for a failure, `reason`."""

    status: str
    at: datetime
    version: str | None = None
    reason: str | None = None
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON."""
        return {**asdict(self), "at": self.at.isoformat()}


class VersionedCloses:
    """The versions of one provider's closes in `folder` (see the module docstring)."""

    def __init__(self, folder: Folder) -> None:
        self.folder = folder

    def current(self) -> DataVersion | None:
        """The current version (None before the first write)."""
        data = self.read_json(POINTER)
        return None if data is None else DataVersion.from_json(data)

    def closes(self, version: DataVersion) -> pd.DataFrame:
        """The closes of `version` (`DataError` when its object cannot be read)."""
        data = self.folder.read(f"{version.id}.parquet")
        if data is None:
            raise DataError(
                f"market data version {version.id} is missing from {self.folder.location}"
            )
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except (OSError, ValueError) as exc:
            raise DataError(f"market data version {version.id} cannot be read: {exc}") from None
        frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
        return frame

    def write(self, closes: pd.DataFrame, at: datetime) -> DataVersion:
        """Store `closes` (daily closes, sorted unique session dates) as a new version written
        at `at` and make it current; the new version."""
        version = DataVersion(
            id=f"{at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}",
            written_at=at,
            start=pd.Timestamp(closes.index[0]).date(),
            end=pd.Timestamp(closes.index[-1]).date(),
            symbols=int(closes.shape[1]),
        )
        buffer = io.BytesIO()
        closes.to_parquet(buffer, engine="pyarrow")
        self.folder.write(f"{version.id}.parquet", buffer.getvalue())
        self._write_json(POINTER, version.to_json())
        self._prune()
        return version

    def record_refresh(self, record: RefreshRecord) -> None:
        """Keep `record` as the last refresh attempt."""
        self._write_json(REFRESH, record.to_json())

    def last_refresh(self) -> dict[str, Any] | None:
        """The last refresh attempt as JSON (None before the first)."""
        return self.read_json(REFRESH)

    def _prune(self) -> None:
        """Delete the versions older than the `KEEP_VERSIONS` newest (ids sort by age)."""
        for old in self.folder.names(".parquet")[:-KEEP_VERSIONS]:
            self.folder.delete(old)

    def read_json(self, name: str) -> dict[str, Any] | None:
        """The JSON object `name` kept beside the versions (None when there is none)."""
        data = self.folder.read(name)
        if data is None:
            return None
        parsed = json.loads(data)
        return parsed if isinstance(parsed, dict) else None

    def _write_json(self, name: str, data: dict[str, Any]) -> None:
        self.folder.write(name, json.dumps(data, sort_keys=True).encode())


class VersionedProvider:
    """A market-data provider whose closes are the current version of `versions` (Alpaca's,
    the ingested files'); subclasses name themselves (`name`) and say, in `current`, what to do
    when there is no version yet."""

    name: str
    versions: VersionedCloses

    def current(self) -> DataVersion:
        """The current version (`DataError` when there is none)."""
        raise NotImplementedError

    def closes(self) -> pd.DataFrame:
        """The current version's closes (shared by every caller: treat them as read-only)."""
        version = self.current()
        source = f"{self.name}:{self.versions.folder.location}"
        return shared_table(source, version.id, lambda: self.versions.closes(version))

    def version(self) -> str:
        """The current version's id."""
        return self.current().id

    def last_ingest(self) -> dict[str, Any] | None:
        """The last ingestion's report (`IngestReport.to_json`), None before the first."""
        return self.versions.read_json(LAST_INGEST)

    def regimes(self) -> dict[str, Any] | None:
        """The regime indicators of the latest version ingested."""
        return self.versions.read_json(REGIMES)


_shared: dict[str, tuple[object, pd.DataFrame]] = {}
_lock = threading.Lock()


def shared_table(source: str, version: object, load: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The table of `source` at `version`, loaded by `load()` when it is not the one held
    (shared by every caller: treat it as read-only). One table is held at a time."""
    with _lock:
        held = _shared.get(source)
        if held is not None and held[0] == version:
            return held[1]
        frame = load()
        _shared.clear()
        _shared[source] = (version, frame)
        return frame
