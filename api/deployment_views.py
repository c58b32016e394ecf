"""The API's views of a deployment and of its orders (what `/v1/deployments` answers, and what
the HTML pages built on them show: `api.reports.deployment`, `api.tearsheet_jobs`). A webhook
address in a deployment's notifications is shown cut to its scheme and host: its path holds the
webhook's token, which is never shown back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from api.schemas.deployments import DeploymentOut, OrderOut
from store import Deployment

if TYPE_CHECKING:
    from trading.deployment_orders import DeploymentOrder


def deployment_out(deployment: Deployment) -> DeploymentOut:
    """The API view of a stored deployment."""
    from trading.deployment_views import market_data_of
    from trading.deployments import FORWARD_TEST_MODE

    base = f"/v1/deployments/{deployment.id}"
    mode: Literal["paper", "forward_test"] = (
        "forward_test" if deployment.spec.get("mode") == FORWARD_TEST_MODE else "paper"
    )
    return DeploymentOut(
        id=deployment.id,
        name=deployment.name,
        status=deployment.status,
        mode=mode,
        version=deployment.version,
        spec=_without_webhook_secrets(deployment.spec),
        created_at=deployment.created_at,
        updated_at=deployment.updated_at,
        links={
            "self": base,
            "orders": f"{base}/orders",
            "ledger": f"{base}/ledger",
            "ledger_exports": f"{base}/ledger/exports",
            "positions": f"{base}/positions",
            "performance": f"{base}/performance",
            "report": f"{base}/report",
            "forward_tests": f"{base}/forward-tests",
            "events": f"{base}/events",
        },
        data=market_data_of(deployment),
    )


def _without_webhook_secrets(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with each webhook address cut to its scheme and host: its path holds the
    webhook's token, which is never shown back."""
    notifications = spec.get("notifications") or {}
    destinations = [
        {**d, "address": _webhook_origin(d["address"])} if d.get("channel") == "webhook" else d
        for d in notifications.get("destinations", [])
    ]
    return {**spec, "notifications": {**notifications, "destinations": destinations}}


def _webhook_origin(address: str) -> str:
    scheme, _, rest = address.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…"


def order_out(part: DeploymentOrder) -> OrderOut:
    """The API view of an order as its deployment sees it (`trading.deployment_orders`)."""
    order = part.order
    fields = {name: getattr(order, name) for name in OrderOut.model_fields if hasattr(order, name)}
    fields |= {
        "quantity": part.quantity,
        "filled_quantity": part.filled_quantity,
        "order_quantity": order.quantity,
        "order_filled_quantity": order.filled_quantity,
        "allocations": {a.deployment_id: a.quantity for a in order.allocations},
    }
    return OrderOut(**fields)
