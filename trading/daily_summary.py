"""The daily summary: after a session's close, each owner hears how their deployments did that
day (equity, the day's and the total return, the backtest's total return over the same
sessions, the drawdown, the day's fills, the status), in one message to the destinations of
their deployments that asked for it (`notifications.preferences`: the summary is opt-in).

Figures come from `trading.performance` (the ledger valued at the session's close); a
deployment without a valued session that day (nothing traded yet, or no price for the day) is
left out, and an owner with none gets no message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from notifications import messages
from notifications.messages import DeploymentDay, Notification
from notifications.preferences import NotificationPreferences
from store import Deployment, Store
from trading.deployments import is_forward_test
from trading.performance import performance

Send = Callable[..., Any]
"""`send(notification, *preferences)`, e.g. `notifications.Notifier.send`."""


def deployment_day(store: Store, deployment: Deployment, day: date) -> DeploymentDay | None:
    """How `deployment` did on `day`, or None without a valued session that day."""
    report = performance(store, deployment, datetime.combine(day, time.max, UTC))
    if not report["sessions"] or report["end"] != day.isoformat():
        return None
    paper = report["values"]["paper"]
    comparison = report["comparison"]
    fills = sum(
        1
        for e in store.ledger(deployment.owner, deployment.id)
        if e.kind == "fill" and e.time.date() == day
    )
    return DeploymentDay(
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        status=deployment.status,
        equity=paper[-1],
        day_return=paper[-1] / paper[-2] - 1 if len(paper) > 1 else 0.0,
        total_return=comparison["live_return"],
        backtest_total_return=comparison["backtest_return"],
        drawdown=comparison["drawdown"],
        fills=fills,
    )


def send_daily_summaries(store: Store, day: date, send: Send, *, now: datetime) -> list[str]:
    """Send each owner with a deployment valued on `day` their summary; the owners sent to."""
    by_owner: dict[str, list[Deployment]] = {}
    for status in ("active", "paused"):
        for deployment in store.deployments_by_status(status, limit=10_000):
            if not is_forward_test(deployment):
                by_owner.setdefault(deployment.owner, []).append(deployment)
    sent = []
    for owner, deployments in sorted(by_owner.items()):
        days = [d for d in (deployment_day(store, x, day) for x in deployments) if d]
        if not days:
            continue
        notification: Notification = messages.daily_summary(
            owner=owner, day=day, deployments=days, time=now
        )
        preferences = [
            NotificationPreferences.model_validate(d.spec.get("notifications") or {})
            for d in deployments
        ]
        send(notification, *preferences)
        sent.append(owner)
    return sent
