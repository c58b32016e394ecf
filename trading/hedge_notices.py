"""What an owner is told of a hedge run (`trading.execution_jobs.hedge_handler`): a roll or close
that filled (`hedge_rolled`, opt-in), and a run that failed its job (`hedge_run_failed`, an
alert), built from the deployment and the run's outcome (`notifications.messages`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifications import messages
from store import Deployment
from trading.hedges import hedge_spec
from trading.runs.outcome import RunOutcome


def hedge_rolled_notice(
    deployment: Deployment, outcome: RunOutcome, check: bool, now: datetime
) -> messages.Notification | None:
    """The notice of the hedge `outcome` rolled or closed, or None when it did neither (held,
    bought its first options, skipped) or its orders did not all fill."""
    plan: dict[str, Any] = outcome.plan or {}
    if outcome.status != "filled" or plan.get("action") not in ("roll", "close"):
        return None
    orders = [
        (o.side, o.symbol, round(o.filled_quantity or o.quantity), o.average_price)
        for o in outcome.orders
    ]
    return messages.hedge_rolled(
        owner=deployment.owner,
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        run_id=outcome.run_id,
        action=str(plan["action"]),
        underlying=str(hedge_spec(deployment).get("underlying", "")),
        orders=orders,
        reason="; ".join(str(n) for n in plan.get("notes") or []) or str(plan["action"]),
        by_check=check,
        time=now,
    )


def hedge_failed_notice(
    deployment: Deployment, run_id: str, reason: str, check: bool, now: datetime
) -> messages.Notification:
    """The notice of the hedge run `run_id` that failed its job for `reason`."""
    return messages.hedge_run_failed(
        owner=deployment.owner,
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        run_id=run_id,
        reason=reason,
        by_check=check,
        time=now,
    )
