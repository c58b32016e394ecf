"""Which account a deployment trades, by its spec's `broker` and the instrument kind: on
`paper`, its own paper accounts kept in the store (`trading.accounts.paper`) over the market
data's closes; on `alpaca`, its owner's Alpaca account (`execution.brokers.alpaca.alpaca_broker`:
the owner's keys only, never another owner's), for shares as it is and for options through
`trading.accounts.alpaca.AlpacaOptionsAccount` (priced at the owner's implied-volatility
history when it has the close: `trading.hedge_pricing`).
"""

from __future__ import annotations

from execution.brokers.alpaca import AlpacaBroker, alpaca_broker
from services.market_data import market_closes, universe_closes
from settings import Settings
from store import Deployment, NotFoundError, Store
from trading.accounts.alpaca import AlpacaOptionsAccount
from trading.accounts.interface import OptionsAccount
from trading.accounts.paper import (
    StoredPaperAccount,
    StoredPaperOptionsAccount,
    paper_costs,
)
from trading.accounts.shared import traded_universe
from trading.deployments import broker_of
from trading.hedge_pricing import hedge_vol_model
from trading.hedges import hedge_account, hedge_spec


def stock_account(
    store: Store, deployment: Deployment, settings: Settings
) -> StoredPaperAccount | AlpacaBroker:
    """The deployment's stock account, opened (`BrokerError` when Alpaca cannot be)."""
    if broker_of(deployment) == "alpaca":
        return alpaca_broker(settings, owner=deployment.owner)
    closes = universe_closes(traded_universe(store, deployment), settings)
    return StoredPaperAccount(store, deployment, closes, paper_costs(settings))


def options_account(store: Store, deployment: Deployment, settings: Settings) -> OptionsAccount:
    """The deployment's options account, for its hedge (`BrokerError` when Alpaca cannot be
    opened)."""
    underlying = hedge_spec(deployment)["underlying"]
    closes = market_closes(settings)[[underlying]].dropna()
    if broker_of(deployment) == "alpaca":
        max_age = settings.trading_day.iv_max_age_days
        return AlpacaOptionsAccount(
            alpaca_broker(settings, owner=deployment.owner),
            deployment,
            closes,
            limit_tolerance=settings.execution.hedge_limit_tolerance,
            observed=lambda underlying, today, model: hedge_vol_model(
                store, deployment.owner, underlying, today, model, max_age_days=max_age
            ),
        )
    return StoredPaperOptionsAccount(store, deployment, closes)


def options_account_opened(store: Store, deployment: Deployment) -> bool:
    """Whether the deployment's options account was ever opened (else its hedge never
    traded)."""
    if broker_of(deployment) == "alpaca":
        return "account_opening" in deployment.spec
    try:
        store.get_broker_account(deployment.owner, hedge_account(deployment))
    except NotFoundError:
        return False
    return True
