"""The `tearsheet` job (one per account and session, from `settings.trading_day.tearsheets_at`
once the session's post-market run succeeded: `trading.day.schedule`): the HTML tearsheets of
each strategy and of the account (`api.reports.tearsheets`), rendered from the analytics files
the post-market run stored, stored as reports (`Store.put_report`, kind `tearsheet`) and
announced to the destinations of the account's deployments that asked for them
(`notifications`, kind `tearsheets`), with their links.

The renderer is the API layer's (reports are an interface), so this handler is registered from
here: the API process's job workers have it (`api.context`), and so do workers that load this
module (`settings.jobs.handlers`, the AWS worker function's). The job succeeds once every
tearsheet is stored; a session without analytics (no strategy had a valued session) renders
nothing and says so.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from api.deployment_views import deployment_out, order_out
from api.reports.tearsheets import render_account_tearsheet, render_strategy_tearsheet
from jobs.handlers import Handler, JobContext
from notifications import messages
from notifications.notifier import Notifier
from notifications.preferences import NotificationPreferences
from settings import Settings, get_settings
from store import Job, Report, Store
from trading.day.accounts import TradedAccount, owner_account
from trading.day.analytics import StrategyAnalytics
from trading.day.schedule import TEARSHEET_KIND
from trading.deployment_orders import deployment_orders
from trading.deployments import is_forward_test


def tearsheet_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Render and store the tearsheets of the account and session `job.request` names
    ({"account", "day"}), then announce them (see the module docstring)."""
    settings = ctx.settings or get_settings()
    store, owner = ctx.store, job.owner
    account = owner_account(store, owner, job.request["account"])
    day = date.fromisoformat(job.request["day"])
    found = [
        r for r in store.list_reports(owner, account.account, day=day) if r.kind == "analytics"
    ]
    if not found:
        return {
            "account": account.account,
            "day": day.isoformat(),
            "tearsheets": [],
            "reason": f"the post-market run of {day} stored no analytics (nothing valued)",
        }
    end = datetime.combine(day, time.max, ZoneInfo(settings.trading_day.timezone))
    stored = _render(store, account, day, end, found)
    _announce(settings, store, account, day, stored)
    return {
        "account": account.account,
        "day": day.isoformat(),
        "tearsheets": [report.to_json() for report in stored],
    }


def _render(
    store: Store, account: TradedAccount, day: date, end: datetime, found: list[Report]
) -> list[Report]:
    """Each strategy's tearsheet, then the account's (its orders, `trading.deployment_orders`,
    and snapshots up to `end`, the end of the session's day; a forward test's orders are all
    those of its window, which its run enqueued before the tearsheet, whatever the day); the
    reports stored."""
    owner = account.owner
    stored, strategies = [], []
    for report in found:
        analytics = StrategyAnalytics.from_parquet(store.report_bytes(owner, report.id))
        deployment = store.get_deployment(owner, analytics.deployment_id)
        until = None if is_forward_test(deployment) else end  # a test's orders: all its window's
        orders = [
            order_out(o).model_dump(mode="json")
            for o in deployment_orders(store, deployment)
            if until is None or o.order.created_at <= until
        ]
        page = render_strategy_tearsheet(
            deployment_out(deployment).model_dump(mode="json"), analytics, orders
        )
        sheet = store.put_report(
            owner, account.account, day, "tearsheet", deployment.id, page.encode()
        )
        stored.append(sheet)
        strategies.append((analytics, sheet.id))
    snapshots = store.list_snapshots(owner, account.account, until=end)
    page = render_account_tearsheet(account.to_json(), day.isoformat(), strategies, snapshots)
    stored.append(store.put_report(owner, account.account, day, "tearsheet", None, page.encode()))
    return stored


def _announce(
    settings: Settings,
    store: Store,
    account: TradedAccount,
    day: date,
    stored: list[Report],
) -> None:
    """Send the links to the destinations of the account's deployments that opted in."""
    base = (settings.trading_day.links_base_url or "").rstrip("/")
    names = {m.id: m.name for m in account.members}
    links = [
        (
            "the account"
            if r.deployment_id is None
            else names.get(r.deployment_id, r.deployment_id),
            f"{base}/v1/reports/{r.id}",
        )
        for r in stored
    ]
    notification = messages.tearsheets(
        owner=account.owner,
        account=account.account,
        day=day,
        links=links,
        dashboard=f"{base}/#/accounts/{account.account}",
        time=store.clock(),
    )
    preferences = [
        NotificationPreferences.model_validate(m.spec.get("notifications") or {})
        for m in account.members
    ]
    Notifier.from_settings(settings).send(notification, *preferences)


HANDLERS: dict[str, Handler] = {TEARSHEET_KIND: tearsheet_handler}
"""The job kinds this module handles (`jobs.worker.load_handler_modules` registers them)."""
