"""The broker a deployment trades through, by its spec's `broker`: `paper`, its own paper
account kept in the store (`services.paper_accounts`) over the market data's closes of its
universe; `alpaca`, its owner's Alpaca account (`execution.brokers.alpaca.alpaca_broker`: the
owner's keys only, never another owner's)."""

from __future__ import annotations

from execution.brokers.alpaca import AlpacaBroker, alpaca_broker
from services.deployments import broker_of
from services.market_data import universe_closes
from services.paper_accounts import StoredPaperAccount
from settings import Settings
from store import Deployment, Store


def deployment_broker(
    store: Store, deployment: Deployment, settings: Settings
) -> StoredPaperAccount | AlpacaBroker:
    """The deployment's broker account, opened (`BrokerError` when Alpaca cannot be)."""
    if broker_of(deployment) == "alpaca":
        return alpaca_broker(settings, owner=deployment.owner)
    closes = universe_closes(deployment.spec["universe"], settings)
    return StoredPaperAccount(store, deployment, closes)
