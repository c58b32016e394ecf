"""The broker a deployment trades through, by its spec's `broker`: `paper`, its own paper
account kept in the store (`trading.paper_accounts`) over the market data's closes of its
universe; `alpaca`, its owner's Alpaca account (`execution.brokers.alpaca.alpaca_broker`: the
owner's keys only, never another owner's)."""

from __future__ import annotations

from execution.brokers.alpaca import AlpacaBroker, alpaca_broker
from services.market_data import universe_closes
from settings import Settings
from store import Deployment, Store
from trading.deployments import broker_of
from trading.paper_accounts import StoredPaperAccount


def deployment_broker(
    store: Store, deployment: Deployment, settings: Settings
) -> StoredPaperAccount | AlpacaBroker:
    """The deployment's broker account, opened (`BrokerError` when Alpaca cannot be)."""
    if broker_of(deployment) == "alpaca":
        return alpaca_broker(settings, owner=deployment.owner)
    closes = universe_closes(deployment.spec["universe"], settings)
    return StoredPaperAccount(store, deployment, closes)
