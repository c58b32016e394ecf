"""The daily refresh of the configured market data: the job kind `market_data_refresh`, which
the scheduler's tick submits (`submit_refresh`) and a worker runs (`refresh_handler`), and
`stratigos market-data refresh` runs at once (`refresh_now`); and what the data holds now
(`market_data_status`, `stratigos market-data status`).

Only Alpaca Market Data is refreshed (a file is updated by whoever writes it; the embedded data
never changes). The symbols kept current are `market_data_symbols` (default: the 20 embedded
tickers) and every deployment's universe and hedge underlying, of every owner, whatever its
status but retired. The tick submits a refresh while the data does not hold the last session
closed, at most once per `REFRESH_EVERY` (the job's idempotency key names the session and the
slot of the day), so a refresh that failed, or that found Alpaca's bar of the day not there
yet, is tried again a little later, and none is submitted once the data is current. A refresh
that fails fails its job with the reason and keeps the last good version
(`services.market_data.alpaca`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from execution.schedule import trading_sessions
from jobs.handlers import JobContext
from services.market_data.alpaca import AlpacaMarketData
from services.market_data.ingestion import IngestedMarketData
from services.market_data.providers import data_info, market_data_provider, sp500_assets
from services.market_data.sessions import last_closed_session
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


def refresh_now(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """Refresh the configured market data now; what the refresh did (`DataError` when it
    failed: the last good version stays current). Market data that is not refreshed says so."""
    provider = market_data_provider(settings)
    if not isinstance(provider, AlpacaMarketData):
        return {
            "provider": provider.name,
            "updated": False,
            "reason": _NOT_REFRESHED[provider.name],
        }
    return provider.refresh(refreshed_symbols(store, settings), now).to_json()


_NOT_REFRESHED = {
    "sp500": "the embedded S&P 500 data ends on 2022-12-28 and never changes; "
    "STRATIGOS_MARKET_DATA=alpaca keeps prices current (docs/market-data.md)",
    "file": "a market data file is brought up to date by whoever writes it; Stratigos reads it "
    "again when it changes",
    "ingested": "ingested market data is brought up to date by the price files put under "
    "incoming/, each ingested as a new version",
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
    if not isinstance(provider, AlpacaMarketData):
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
    if isinstance(provider, AlpacaMarketData):
        status["last_refresh"] = provider.versions.last_refresh()
    if isinstance(provider, IngestedMarketData):
        status["last_ingest"] = provider.last_ingest()
        status["regimes"] = provider.regimes()
    return status
