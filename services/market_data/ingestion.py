"""Price files put where the market data is kept become its new versions, or are refused saying
why: the market data of a deployed stack (`STRATIGOS_MARKET_DATA=ingested`), and the one way in
for every closes written there, the daily refresh's included (`services.market_data.refresh`).

`ingest(data, name, versions, review, now)` reads one CSV or Parquet file of daily closes (the
file provider's format: dates in the first column, one column per symbol) and
`ingest_closes(raw, name, versions, review, now)` takes such a table as read; either checks it:

- schema and prices: `quant.data.validate_prices` (parseable, sorted and unique dates, named
  symbols, positive finite closes; a gap after a symbol's first close is carried forward, and a
  symbol whose closes start later than others' has none before its first) and
  `services.market_data.adjustments.check_split_adjusted`;
- dates: none after the day of `now` (a close that has not happened);
- sessions (`CALENDAR`): a row on a day that is not a session is dropped, and a session missing
  between the file's first and last date, or a symbol's close missing on one, is carried
  forward; each is a *bad-data marker* kept for review.

A file that fails a check is refused: nothing is written but its refusal (reason, markers) in
`review` and the last attempt beside the versions (`ingest.json`), so the current version stays
current. Otherwise its closes are merged into the current version (the file's close wins where
both have one; a symbol it adds gets its history) and written as a new version at once
(`services.market_data.versions`); its markers are kept in `review`, and the market's regime
indicators of the new version (`quant.regimes.current_regime` on the equal-weight market) in
`regimes.json` beside the versions.

`IngestedMarketData` is the provider that reads those versions (``ingested``); a deployment's
review notes sit beside its versions (`review_folder`: ``<parent>/review``, ``s3://<bucket>/review``
on AWS).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from execution.schedule import trading_sessions
from quant.data import read_price_file, to_returns, validate_prices
from quant.errors import DataError, QuantError
from quant.regimes import current_regime
from services.market_data.adjustments import check_split_adjusted
from services.market_data.folders import Folder, folder
from services.market_data.versions import (
    LAST_INGEST,
    REGIMES,
    DataVersion,
    VersionedCloses,
    VersionedProvider,
)
from settings import Settings

INGESTED = "ingested"
"""The provider's name in answers."""
CALENDAR = "XNYS"
REVIEW = "review"
"""The folder of review notes, beside the versions' folder."""
REGIME_WINDOW = 63
MAX_MARKERS = 200
"""Markers listed in a review note (the count is always whole)."""


@dataclass
class IngestReport:
    """What one file's ingestion did: `status` ``ingested`` or ``refused``, the file, the
    version written (None when refused), why it was refused, and the bad-data markers."""

    status: str
    source: str
    at: str
    version: str | None = None
    previous: str | None = None
    reason: str | None = None
    markers: list[dict[str, str]] = field(default_factory=list)
    marker_count: int = 0
    end: str | None = None
    symbols: int = 0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (what `review` and `ingest.json` keep)."""
        return asdict(self)


def ingest(
    data: bytes, name: str, versions: VersionedCloses, review: Folder, now: datetime
) -> IngestReport:
    """Check the price file `data` (named `name`, whose suffix says CSV or Parquet) and make it
    a new version of `versions`, or refuse it (see the module docstring)."""
    try:
        raw = _read(data, name)
    except (DataError, QuantError) as exc:
        return _refused(name, versions, review, now, str(exc), [])
    return ingest_closes(raw, name, versions, review, now)


def ingest_closes(
    raw: pd.DataFrame, name: str, versions: VersionedCloses, review: Folder, now: datetime
) -> IngestReport:
    """Check the closes `raw` (a price table as read: dates in the index, one column per
    symbol; `name` says where they came from) and make them a new version of `versions`, or
    refuse them (see the module docstring)."""
    previous = versions.current()
    markers: list[dict[str, str]] = []
    try:
        closes = _checked(raw, name, now, markers)
        merged = _merge(versions, previous, closes)
        check_split_adjusted(merged)  # across the file's first day too
        written = versions.write(merged, now)
    except (DataError, QuantError) as exc:
        return _refused(name, versions, review, now, str(exc), markers)
    report = IngestReport("ingested", name, now.isoformat(), written.id, _id(previous), None, markers[:MAX_MARKERS], len(markers), written.end.isoformat(), written.symbols)  # fmt: skip
    versions.folder.write(REGIMES, json.dumps(_regimes(merged, written)).encode())
    _keep(report, versions, review, now)
    return report


def _refused(
    name: str,
    versions: VersionedCloses,
    review: Folder,
    now: datetime,
    reason: str,
    markers: list[dict[str, str]],
) -> IngestReport:
    """The refusal of what `name` held (nothing written but its note and the last ingestion),
    kept."""
    previous = _id(versions.current())
    report = IngestReport("refused", name, now.isoformat(), None, previous, reason, markers[:MAX_MARKERS], len(markers))  # fmt: skip
    _keep(report, versions, review, now)
    return report


def _keep(report: IngestReport, versions: VersionedCloses, review: Folder, now: datetime) -> None:
    """`report` as a review note and as the last ingestion beside the versions."""
    note = f"{now:%Y%m%dT%H%M%SZ}-{PurePosixPath(report.source).name}.json"
    review.write(note, json.dumps(report.to_json(), indent=1).encode())
    versions.folder.write(LAST_INGEST, json.dumps(report.to_json()).encode())


def _id(version: DataVersion | None) -> str | None:
    return None if version is None else version.id


def _read(data: bytes, name: str) -> pd.DataFrame:
    """The price file `data` as read (its suffix of `name` says CSV or Parquet)."""
    suffix = PurePosixPath(name).suffix.lower()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"closes{suffix}"
        path.write_bytes(data)
        return read_price_file(path)


def validate_closes(frame: pd.DataFrame) -> pd.DataFrame:
    """`quant.data.validate_prices` of `frame` with gaps carried forward, but a symbol whose
    closes start later than others' keeps no close before its first (`DataError` naming what
    is wrong otherwise): the closes as floats, indexed by date."""
    filled = frame.ffill()
    checked = validate_prices(filled.bfill(), fill_gaps=True)  # leading rows checked as flat
    return checked.where(filled.notna().to_numpy())


def _checked(
    raw: pd.DataFrame, name: str, now: datetime, markers: list[dict[str, str]]
) -> pd.DataFrame:
    """The closes `raw` on sessions only (a missing one NaN), their dates and prices checked;
    markers appended to `markers`."""
    raw = raw.copy()
    raw.index = pd.DatetimeIndex(pd.to_datetime(raw.index, errors="coerce"))
    if raw.index.hasnans or raw.empty:
        raise DataError(f"{name}: a date in its first column cannot be read, or it has no rows")
    if len(raw) > 1:  # schema, dates, prices: raises saying what is wrong
        validate_closes(raw)
    late = raw.index[raw.index.normalize() > pd.Timestamp(now.date())]
    if len(late):
        raise DataError(f"{name} has closes after {now.date()}: {late[0].date()} is to come")
    sessions = trading_sessions(CALENDAR, raw.index[0].date(), raw.index[-1].date()).index
    sessions = pd.DatetimeIndex(sessions).tz_localize(None).normalize()
    for day in raw.index.difference(sessions):
        markers.append(_marker(day, "", f"{day.date()} is not a {CALENDAR} session: row dropped"))
    on_sessions = raw.reindex(sessions)
    for day in sessions.difference(raw.index):
        markers.append(_marker(day, "", "no row for this session: every close carried forward"))
    present = on_sessions.notna().cummax()  # from each symbol's first close on
    gaps = on_sessions.isna().where(present, False)
    gaps = gaps[gaps.index.isin(raw.index)]
    rows, columns = gaps.to_numpy(dtype=bool).nonzero()  # by date, then symbol
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        symbol = str(gaps.columns[column])
        markers.append(_marker(gaps.index[row], symbol, "close missing: carried forward"))
    return on_sessions


def _marker(day: pd.Timestamp, symbol: str, problem: str) -> dict[str, str]:
    return {"date": pd.Timestamp(day).date().isoformat(), "symbol": symbol, "problem": problem}


def _merge(
    versions: VersionedCloses, previous: DataVersion | None, closes: pd.DataFrame
) -> pd.DataFrame:
    """`closes` over the current version's (the file's close wins where both have one),
    checked as a whole (a gap after a symbol's first close carried forward)."""
    if previous is not None:
        held = versions.closes(previous)
        merged = closes.combine_first(held)
        closes = merged.loc[:, [*held.columns, *[c for c in closes.columns if c not in held]]]
    closes.index.name = "date"
    return validate_closes(closes)


def _regimes(closes: pd.DataFrame, version: DataVersion) -> dict[str, Any]:
    """The regime indicators of the equal-weight market of `closes` (None when too short)."""
    returns = to_returns(closes).dropna(how="all").fillna(0.0)
    indicators = (
        current_regime(returns, window=REGIME_WINDOW) if len(returns) > REGIME_WINDOW else None
    )
    return {"version": version.id, "end": version.end.isoformat(), "regime": indicators}


class IngestedMarketData(VersionedProvider):
    """The versions `ingest` writes in `folder`, as a market-data provider (``ingested``)."""

    name = INGESTED

    def __init__(self, folder: Folder) -> None:
        self.versions = VersionedCloses(folder)

    def current(self) -> DataVersion:
        """The current version (`DataError` before the first file, saying how to add one and
        why the last was refused, if it was)."""
        version = self.versions.current()
        if version is None:
            last = self.last_ingest() or {}
            why = f": the last file was refused: {last['reason']}" if last.get("reason") else ""
            raise DataError(
                f"no price file has been ingested into {self.versions.folder.location} yet (put "
                f"a CSV or Parquet file of daily closes under incoming/){why}"
            )
        return version

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """None: files hold daily closes only."""
        return None


def review_folder(versions: VersionedCloses, s3_endpoint_url: str | None = None) -> Folder:
    """Where the review notes of `versions`' ingestions are kept: ``review`` beside the versions'
    folder (``s3://<bucket>/review`` for ``s3://<bucket>/versions``)."""
    location = versions.folder.location.rstrip("/")
    parent = location.rsplit("/", 1)[0] if "/" in location.removeprefix("s3://") else location
    return folder(f"{parent}/{REVIEW}", s3_endpoint_url)


def ingested_market_data(settings: Settings) -> IngestedMarketData:
    """The ingested market data the settings name (`market_data_dir`, default
    ``<data_dir>/market-data/ingested``)."""
    location = settings.market_data_dir or str(settings.data_dir / "market-data" / INGESTED)
    return IngestedMarketData(folder(location, settings.market_data_s3_endpoint_url))
