"""Fresh market data announced: every new version of the configured market data (a refresh's, or
a price file's the ingestion took, here or in the deployed stack's ingestion function) becomes
one event in the store, which the workers read; owners who asked are told, and the market
analysis agent reads the regimes the ingestion stored with it.

**The event** is the job `market_data_fresh` (the store's outbox: owned by the workers' owner,
one per version, idempotency key `market-data-fresh:<version id>`; on AWS the tick's SQS
message brings it to a worker like any job). Each scheduler tick (`trading.tick_jobs`) looks at
the current version (`announce_fresh_data`), so a version written by any process is announced
within a minute, once. Its request is `FreshData.to_json()`: the provider, the version, its first
and last session, its symbols, the version it followed, and the regime indicators the ingestion
stored for it (`services.market_data.ingestion`: the equal-weight market's return and volatility
regimes over 63 sessions, `quant.regimes.current_regime`) with the session they are as of.

**Its handler** (`fresh_data_handler`) puts the event on the EventBridge bus
`settings.market_data_event_bus` names, when one does (`publish`: detail-type `Market data
refreshed`, source `stratigos.market-data`, the detail the event's JSON; a refused or failed put
makes the job transient, retried), then tells each owner who asked for `data_refreshed` in a
deployment's notification preferences (the profile's preferences become a new deployment's),
once per owner and address (`notifications.messages.data_refreshed`).

**The agent's context**: `stored_regimes(settings)` is the latest stored regime indicators with
the session they are as of and their version (None for market data without stored regimes: the
embedded data and plain files), which the optimization's market analysis hands its agent
(`agents.workflow.analyse_market`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs.handlers import JobContext, TransientJobError
from notifications import messages
from notifications.notifier import Notifier
from notifications.preferences import NotificationPreferences
from services.market_data.providers import market_data_provider
from services.market_data.versions import VersionedProvider
from settings import Settings, get_settings
from store import Job, Store

EVENT_SOURCE = "stratigos.market-data"
EVENT_DETAIL_TYPE = "Market data refreshed"
FRESH_DATA_KIND = "market_data_fresh"
"""The job kind of a new version's announcement (the store's outbox)."""
_LISTENING = ("draft", "active", "paused")
"""Deployment statuses whose notification preferences hear of fresh data."""


@dataclass(frozen=True)
class FreshData:
    """A new version of the configured market data, as announced."""

    provider: str
    version: str
    start: str
    end: str
    symbols: int
    previous: str | None
    regimes: dict[str, Any] | None
    """The stored regime indicators of this version (`stored_regimes`), or None."""

    def to_json(self) -> dict[str, Any]:
        """The event as JSON (the announcement job's request)."""
        return {
            "provider": self.provider,
            "version": self.version,
            "start": self.start,
            "end": self.end,
            "symbols": self.symbols,
            "previous": self.previous,
            "regimes": self.regimes,
        }


def stored_regimes(settings: Settings | None = None) -> dict[str, Any] | None:
    """The latest regime indicators the ingestion stored (`{"version", "as_of", "regime"}`:
    `as_of` the last session they cover, `regime` as `quant.regimes.current_regime` gives it,
    or None when the history was too short), or None for market data without them."""
    provider = market_data_provider(settings or get_settings())
    if not isinstance(provider, VersionedProvider):
        return None
    found = provider.regimes()
    if not found:
        return None
    return {
        "version": found.get("version"),
        "as_of": found.get("end"),
        "regime": found.get("regime"),
    }


def fresh_data(settings: Settings) -> FreshData | None:
    """The current version of the configured market data as an event (None for market data
    that is not versioned: the embedded data, plain files)."""
    provider = market_data_provider(settings)
    if not isinstance(provider, VersionedProvider):
        return None
    version = provider.versions.current()
    if version is None:
        return None
    regimes = stored_regimes(settings)
    if regimes is not None and regimes["version"] != version.id:
        regimes = None  # the indicators of another version: not this one's
    last = provider.last_ingest() or {}
    return FreshData(
        provider=provider.name,
        version=version.id,
        start=version.start.isoformat(),
        end=version.end.isoformat(),
        symbols=version.symbols,
        previous=last.get("previous") if last.get("version") == version.id else None,
        regimes=regimes,
    )


def announce_fresh_data(store: Store, owner: str, settings: Settings) -> Job | None:
    """Put the current version's event in the store's outbox, as `owner` (the workers'), once
    per version; the job when it is new (to announce on the job queue)."""
    event = fresh_data(settings)
    if event is None:
        return None
    job, created = store.submit_job(
        owner,
        FRESH_DATA_KIND,
        event.to_json(),
        idempotency_key=f"market-data-fresh:{event.version}",
    )
    return job if created else None


def regime_words(regimes: dict[str, Any] | None) -> str | None:
    """The stored regime in words ("bear return regime, high volatility, as of 2026-11-20")."""
    regime = (regimes or {}).get("regime")
    if not regime:
        return None
    return (
        f"{regime['return_regime']} return regime, {regime['volatility_regime']} volatility "
        f"(the equal-weight market over {regime['window_days']} sessions), as of "
        f"{(regimes or {}).get('as_of')}"
    )


def publish(event: dict[str, Any], settings: Settings) -> str | None:
    """Put `event` on `settings.market_data_event_bus` (in the store's AWS region and endpoint);
    the EventBridge event id, None when no bus is configured. `TransientJobError` when the put
    fails or is refused."""
    bus = settings.market_data_event_bus
    if not bus:
        return None
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    config = settings.store
    client = boto3.client(
        "events", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url
    )
    entry = {
        "Source": EVENT_SOURCE,
        "DetailType": EVENT_DETAIL_TYPE,
        "Detail": json.dumps(event, sort_keys=True),
        "EventBusName": bus,
    }
    try:
        out = client.put_events(Entries=[entry])
    except (BotoCoreError, ClientError) as exc:
        raise TransientJobError(f"the event bus {bus} could not be reached: {exc}") from exc
    [result] = out["Entries"]
    if out.get("FailedEntryCount") or "EventId" not in result:
        raise TransientJobError(
            f"the event bus {bus} refused the event: {result.get('ErrorMessage')}"
        )
    return str(result["EventId"])


def fresh_data_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Put the version `job.request` announces on the event bus, if one is configured, and tell
    every owner who asked (see the module docstring); the event id and the owners told."""
    event = job.request
    settings = ctx.settings or get_settings()
    published = publish(event, settings)
    notifier = Notifier.from_settings(settings)
    preferences: dict[str, list[NotificationPreferences]] = {}
    for status in _LISTENING:
        for deployment in ctx.store.deployments_by_status(status):
            chosen = NotificationPreferences.model_validate(
                deployment.spec.get("notifications") or {}
            )
            if chosen.destinations_for(messages.NotificationKind.DATA_REFRESHED):
                preferences.setdefault(deployment.owner, []).append(chosen)
    now: datetime = ctx.store.clock()
    for owner, chosen_all in sorted(preferences.items()):
        notification = messages.data_refreshed(
            owner=owner,
            provider=str(event["provider"]),
            version=str(event["version"]),
            end=str(event["end"]),
            previous=event.get("previous"),
            symbols=int(event["symbols"]),
            regime=regime_words(event.get("regimes")),
            time=now,
        )
        notifier.send(notification, *chosen_all)
    return {"version": event["version"], "event_id": published, "told": sorted(preferences)}
