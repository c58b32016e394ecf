"""The daily refresh of the configured market data: the job kind `market_data_refresh`, which
the scheduler's tick submits (`submit_refresh`) and a worker runs (`refresh_handler`), and
`stratigos market-data refresh` runs at once (`refresh_now`); and what the data holds now
(`market_data_status`, `stratigos market-data status`).

A refresh pulls Alpaca Market Data (`services.market_data.alpaca`): for `market_data` alpaca,
and for ingested data whose `market_data_refresh` is alpaca (a file is updated by whoever writes
it; the embedded data never changes; ingested data without a refresh source is brought current
by its files). What it pulls goes through the ingestion every price file goes through
(`services.market_data.ingestion`: checks, bad-data markers, regime indicators), so the files
and the refresh make one history: ingested in place (`ingest_closes`), or, where
`market_data_incoming` names the place another process ingests from (a deployed stack:
`s3://<bucket>/incoming`, whose events run the ingestion function, one file at a time, so the
refresh never races a file for the current version), put there as a Parquet file
`refresh-<session>-<time>.parquet` (the refresh then says `submitted`, and the ingestion's
report says what became of it).

The symbols kept current are `market_data_symbols` (default: the 20 embedded tickers) and every
deployment's universe and hedge underlying, of every owner, whatever its status but retired.
The tick submits a refresh while the data does not hold the last session closed, at most once
per `REFRESH_EVERY_MINUTES` (the job's idempotency key names the session and the slot of the
day), so a refresh that failed, or that found Alpaca's bar of the day not there yet, is tried
again a little later, and none is submitted once the data is current. A refresh that fails
(Alpaca unreachable or refusing, closes the ingestion refuses) fails its job with the reason and
keeps the last good version; the last attempt is kept beside the versions (`last_refresh`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from execution.schedule import trading_sessions
from jobs.handlers import JobContext
from quant.errors import DataError
from services.market_data.alpaca import ALPACA, AlpacaMarketData, Pull, alpaca_market_data
from services.market_data.folders import folder
from services.market_data.ingestion import IngestedMarketData, ingest_closes, review_folder
from services.market_data.providers import (
    MarketDataProvider,
    data_info,
    market_data_provider,
    sp500_assets,
)
from services.market_data.sessions import last_closed_session
from services.market_data.versions import DataVersion, RefreshRecord, VersionedProvider
from settings import Settings, get_settings
from store import Job, Store

REFRESH_KIND = "market_data_refresh"
"""The job kind of a refresh."""
REFRESH_EVERY_MINUTES = 15
"""The tick submits at most one refresh per this many minutes while the data is behind."""
CALENDAR = "XNYS"
"""The exchange whose last closed session the data must hold."""
LIVE_STATUSES = ("draft", "active", "paused")
"""Deployment statuses whose universes are kept current (every one but retired)."""


@dataclass
class RefreshReport:
    """What a refresh did: the version current after it (and before), whether it wrote one, the
    file it submitted for ingestion elsewhere (None when ingested in place or nothing was new),
    the last session its closes hold, the sessions appended, the symbols added, re-read after
    an adjustment, those Alpaca has no bars of (left out), and the ingestion's bad-data
    markers."""

    version: str | None
    previous: str | None
    updated: bool
    end: date
    submitted: str | None = None
    appended_sessions: int = 0
    added: list[str] = field(default_factory=list)
    readjusted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    markers: int = 0

    def to_json(self, provider: str) -> dict[str, Any]:
        """The report as JSON (a refresh job's result) of the configured `provider`."""
        return {
            "provider": provider,
            "source": ALPACA,
            **asdict(self),
            "end": self.end.isoformat(),
        }


def refreshed_symbols(store: Store, settings: Settings) -> list[str]:
    """The symbols a refresh keeps current (see the module docstring), sorted."""
    symbols = set(settings.market_data_symbols or sp500_assets())
    for status in LIVE_STATUSES:
        for deployment in store.deployments_by_status(status, limit=10_000):
            symbols.update(_symbols_of(deployment.spec))
    return sorted(symbols)


def _symbols_of(spec: dict[str, Any]) -> Iterable[str]:
    yield from (str(s) for s in spec.get("universe") or ())
    hedge = spec.get("hedge")
    if isinstance(hedge, dict) and hedge.get("underlying"):
        yield str(hedge["underlying"])


def refresh_source(provider: MarketDataProvider, settings: Settings) -> AlpacaMarketData | None:
    """What a refresh of `provider` pulls from (see the module docstring), None when it is not
    refreshed."""
    if isinstance(provider, AlpacaMarketData):
        return provider
    if isinstance(provider, IngestedMarketData) and settings.market_data_refresh == ALPACA:
        return alpaca_market_data(settings)
    return None


def refresh_now(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """Refresh the configured market data now; what the refresh did (`DataError` when it
    failed: the last good version stays current). Market data that is not refreshed says so."""
    provider = market_data_provider(settings)
    source = refresh_source(provider, settings)
    if source is None or not isinstance(provider, VersionedProvider):
        reason = _NOT_REFRESHED[provider.name]
        return {"provider": provider.name, "updated": False, "reason": reason}
    versions = provider.versions
    previous = versions.current()
    held = pd.DataFrame() if previous is None else versions.closes(previous)
    try:
        pull = source.pull(held, refreshed_symbols(store, settings), now)
        report = _deliver(pull, provider, previous, settings, now)
    except DataError as exc:
        versions.record_refresh(RefreshRecord("failed", now, reason=str(exc)))
        raise
    status = "submitted" if report.submitted else "succeeded"
    written = report.version if report.updated else None
    versions.record_refresh(RefreshRecord(status, now, written, file=report.submitted))
    return report.to_json(provider.name)


def _deliver(
    pull: Pull,
    provider: VersionedProvider,
    previous: DataVersion | None,
    settings: Settings,
    now: datetime,
) -> RefreshReport:
    """Hand what `pull` read to the ingestion (see the module docstring): the report."""
    held = None if previous is None else previous.id
    report = RefreshReport(held, held, False, pull.end, None, pull.appended_sessions, pull.added, pull.readjusted, pull.missing)  # fmt: skip
    if pull.closes is None:  # nothing new
        return report
    name = f"refresh-{pull.end.isoformat()}-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.parquet"
    if settings.market_data_incoming:
        incoming = folder(settings.market_data_incoming, settings.market_data_s3_endpoint_url)
        incoming.write(name, pull.closes.to_parquet(engine="pyarrow"))
        report.submitted = f"{incoming.location.rstrip('/')}/{name}"
        return report
    review = review_folder(provider.versions, settings.market_data_s3_endpoint_url)
    ingested = ingest_closes(pull.closes, name, provider.versions, review, now)
    if ingested.version is None:
        raise DataError(f"Alpaca Market Data's closes were refused: {ingested.reason}")
    report.version, report.updated, report.markers = ingested.version, True, ingested.marker_count
    return report


_NOT_REFRESHED = {
    "sp500": "the embedded S&P 500 data ends on 2022-12-28 and never changes; "
    "STRATIGOS_MARKET_DATA=alpaca keeps prices current (docs/market-data.md)",
    "file": "a market data file is brought up to date by whoever writes it; Stratigos reads it "
    "again when it changes",
    "ingested": "ingested market data is brought up to date by the price files put under "
    "incoming/, each ingested as a new version (STRATIGOS_MARKET_DATA_REFRESH=alpaca also "
    "pulls Alpaca Market Data into it)",
}
"""Why a provider is not refreshed, by name."""


def refresh_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run a refresh (the job `market_data_refresh`): its result is what the refresh did; a
    failed refresh fails the job with the reason."""
    return refresh_now(ctx.store, ctx.settings or get_settings(), ctx.store.clock())


def submit_refresh(
    store: Store, owner: str, now: datetime, settings: Settings
) -> tuple[dict[str, Any], Job | None]:
    """Submit, as `owner`, the refresh of this slot of the day when the configured market data
    is refreshed and does not hold the last session closed at `now` (see the module
    docstring): what was done, and the job when a new one was submitted (to announce)."""
    provider = market_data_provider(settings)
    if refresh_source(provider, settings) is None or not isinstance(provider, VersionedProvider):
        return {"provider": provider.name, "refresh": None}, None
    session = last_closed_session(CALENDAR, now)
    current = provider.versions.current()
    end = None if current is None else current.end.isoformat()
    if session is None or (current is not None and current.end >= session):
        return {"provider": provider.name, "refresh": None, "end": end}, None
    minutes = now.hour * 60 + now.minute
    slot = f"{minutes // REFRESH_EVERY_MINUTES * REFRESH_EVERY_MINUTES:04d}"
    job, created = store.submit_job(
        owner,
        REFRESH_KIND,
        {"session": session.isoformat()},
        idempotency_key=f"{REFRESH_KIND}:{session.isoformat()}:{now.date().isoformat()}:{slot}",
    )
    info = {"provider": provider.name, "refresh": job.id, "created": created, "end": end}
    return info, job if created else None


def market_data_status(settings: Settings, now: datetime) -> dict[str, Any]:
    """What the configured market data holds at `now`: its provider, version, first and last
    session and symbols, the last session closed (`CALENDAR`) and how many sessions the data
    is behind it, and, for refreshed data, the last refresh (when, whether it succeeded, why it
    failed). `DataError` when the data cannot be read."""
    provider = market_data_provider(settings)
    closes = provider.closes()
    info = data_info(provider)
    session = last_closed_session(CALENDAR, now)
    end = pd.Timestamp(closes.index[-1]).date()
    behind = 0
    if session is not None and session > end:
        behind = len(trading_sessions(CALENDAR, end + timedelta(days=1), session))
    status: dict[str, Any] = {
        **info,
        "last_closed_session": None if session is None else session.isoformat(),
        "behind_sessions": behind,
    }
    if isinstance(provider, VersionedProvider):
        if refresh_source(provider, settings):
            status["last_refresh"] = provider.versions.last_refresh()
        status["last_ingest"] = provider.last_ingest()
        status["regimes"] = provider.regimes()
    return status
