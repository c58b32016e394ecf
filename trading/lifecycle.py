"""The lifecycle moves an owner asks for (`move`: activate, pause, resume, retire), and retiring a
deployment without leaving options behind, as no run trades its accounts after it (`retire`).

A paper deployment whose hedge still holds options closes them first: its paper options account
settles every position in cash at its model price at the last close known (`close_out`, saved
with the account) and cancels its open orders, and the hedge ledger records those settlements;
only then is the deployment retired, so a retired deployment never holds an option, and a
retirement interrupted between the two steps retires on the next try without settling twice (the
account then holds nothing and the ledger keeps its entries once). A deployment hedged on Alpaca
is refused while its account holds options (`trading.deployments.change_status`: Alpaca would
exercise or assign them in shares).
"""

from __future__ import annotations

from execution.deployment import DeploymentStatus
from settings import Settings, get_settings
from store import Deployment, Store, utc_now
from trading.accounts.opening import options_account, options_account_opened
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.deployments import broker_of, change_status, check_transition
from trading.hedges import hedge_account
from trading.ledger import Ledger


def move(
    store: Store,
    owner: str,
    deployment_id: str,
    status: DeploymentStatus,
    *,
    by: str = "api",
    settings: Settings | None = None,
) -> Deployment:
    """Move the deployment to `status` (`retire` to retire it, `change_status` otherwise)."""
    if status == "retired":
        return retire(store, owner, deployment_id, by=by, settings=settings)
    return change_status(store, owner, deployment_id, status, by=by, settings=settings)


def retire(
    store: Store,
    owner: str,
    deployment_id: str,
    *,
    by: str = "api",
    reason: str | None = None,
    settings: Settings | None = None,
) -> Deployment:
    """Retire the deployment (see the module docstring); `DeploymentStateError` when its
    lifecycle or its Alpaca options forbid it."""
    settings = settings or get_settings()
    current = store.get_deployment(owner, deployment_id)
    check_transition(current.status, "retired")  # type: ignore[arg-type]
    if (
        "hedge" in current.spec
        and broker_of(current) == "paper"
        and options_account_opened(store, current)
    ):
        account = options_account(store, current, settings)
        assert isinstance(account, StoredPaperOptionsAccount)
        settled = account.close_out(utc_now())
        Ledger(store, owner, hedge_account(current)).record(settled)
    return change_status(
        store, owner, deployment_id, "retired", by=by, reason=reason, settings=settings
    )
