"""The trading day's records (`trading.day`), owner-scoped: the caller's broker accounts
(`GET /v1/accounts`), each account's snapshots (`GET /v1/accounts/{account}/snapshots`: equity,
cash, buying power and positions, every six hours) and its post-market reports (`GET
/v1/accounts/{account}/reports`: each strategy's analytics as Parquet and the HTML tearsheets),
a report's file (`GET /v1/reports/{report_id}`), and the implied-volatility history of an
underlying (`GET /v1/iv-history/{underlying}`). Another owner's account or report is 404.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Any

from fastapi import Path, Query, Response

from api.context import Caller, Ctx
from api.downloads import attachment
from api.errors import found_or_404
from api.params import AwareMoment, Day
from api.route_defaults import api_router
from store.iv_history import TICKER_PATTERN
from store.reports import REPORT_MEDIA_TYPES

router = api_router(prefix="/v1", tags=["accounts"])

_REPORT_CONTENT = {media: {"schema": {"type": "string"}} for media in REPORT_MEDIA_TYPES.values()}


@router.get("/accounts", summary="The caller's broker accounts")
def list_accounts(context: Ctx, caller: Caller) -> dict[str, Any]:
    """Each account the caller's deployments trade (`paper-<id>`, `alpaca-<n>`): its broker,
    calendar, deployments (id, name, status), whether it has opened and its last snapshot."""
    from trading.day.accounts import owner_accounts

    items = []
    for account in owner_accounts(context.store, caller.owner):
        last = context.store.list_snapshots(caller.owner, account.account)[-1:]
        items.append(
            {
                **account.to_json(),
                "opened": account.opened(context.store),
                "last_snapshot": last[0].to_json() if last else None,
                "links": _links(account.account),
            }
        )
    return {"items": items}


def _links(account: str) -> dict[str, str]:
    base = f"/v1/accounts/{account}"
    return {"snapshots": f"{base}/snapshots", "reports": f"{base}/reports", "runs": f"{base}/runs"}


@router.get("/accounts/{account}/runs", summary="The account's netted runs")
def list_runs(account: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A shared account's decision times, oldest first: each run's orders (the shares each
    deployment asked for, whether it crossed inside the account, status and fills) and its
    conflicts (a symbol one strategy bought and another sold: who wanted what, what crossed
    and what went to the broker). An account of one deployment has none."""
    from trading.accounts.shared import account_runs
    from trading.day.accounts import owner_account

    with found_or_404("account", account):
        found = owner_account(context.store, caller.owner, account)
    return {"items": account_runs(context.store, caller.owner, found.account)}


@router.get("/accounts/{account}/snapshots", summary="The account's snapshots")
def list_snapshots(
    account: str,
    context: Ctx,
    caller: Caller,
    since: Annotated[
        AwareMoment | None, Query(description="Taken at or after (ISO 8601, with its zone).")
    ] = None,
    until: Annotated[
        AwareMoment | None, Query(description="Taken at or before (ISO 8601, with its zone).")
    ] = None,
) -> dict[str, Any]:
    """The account's snapshots from `since` to `until`, oldest first (those kept: each expires
    after `STRATIGOS_TRADING_DAY_SNAPSHOT_RETENTION_DAYS`): equity, cash and buying power in
    the account's currency, positions (shares, price, value), the closes that valued them."""
    from trading.day.accounts import owner_account

    with found_or_404("account", account):
        found = owner_account(context.store, caller.owner, account)
    snapshots = context.store.list_snapshots(caller.owner, found.account, since=since, until=until)
    return {"account": found.account, "items": [s.to_json() for s in snapshots]}


@router.get("/accounts/{account}/reports", summary="The account's post-market reports")
def list_reports(
    account: str,
    context: Ctx,
    caller: Caller,
    day: Annotated[Day | None, Query(description="Only this session's (YYYY-MM-DD).")] = None,
) -> dict[str, Any]:
    """The analytics (Parquet, one per strategy) and tearsheets (HTML, one per strategy and one
    for the account) of each session, by session, kind and strategy; each links to its
    file."""
    from trading.day.accounts import owner_account

    with found_or_404("account", account):
        found = owner_account(context.store, caller.owner, account)
    reports = context.store.list_reports(caller.owner, found.account, day=day)
    return {
        "account": found.account,
        "items": [{**r.to_json(), "links": {"file": f"/v1/reports/{r.id}"}} for r in reports],
    }


@router.get(
    "/reports/{report_id}",
    summary="A post-market report's file",
    response_model=None,
    response_class=Response,
    responses={200: {"content": _REPORT_CONTENT}},
)
def report_file(report_id: str, context: Ctx, caller: Caller) -> Response:
    """The report's file as stored: a tearsheet as an HTML page, analytics as a Parquet
    download; with `ETag` (the SHA-256 of the stored file, hex) and `Repr-Digest` (RFC 9530)."""
    with found_or_404("report", report_id):
        report = context.store.get_report(caller.owner, report_id)
        data = context.store.report_bytes(caller.owner, report_id)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    headers = {"ETag": f'"{report.sha256}"', "Repr-Digest": f"sha-256=:{digest}:"}
    media = REPORT_MEDIA_TYPES[report.format]
    if report.format == "html":
        return Response(data, media_type=media, headers=headers)
    subject = report.deployment_id or "account"
    name = f"{report.account}-{report.day.isoformat()}-{subject}-analytics.parquet"
    return attachment(data, media, name, headers)


@router.get("/iv-history/{underlying}", summary="An underlying's implied-volatility history")
def iv_history(
    underlying: Annotated[str, Path(pattern=TICKER_PATTERN, description="A ticker, e.g. SPY.")],
    context: Ctx,
    caller: Caller,
    since: Annotated[Day | None, Query(description="From this session (YYYY-MM-DD).")] = None,
    until: Annotated[Day | None, Query(description="Up to this session (YYYY-MM-DD).")] = None,
) -> dict[str, Any]:
    """The at-the-money implied volatility recorded each session from the caller's Alpaca
    option quotes (annualised fractions), oldest first; empty for an underlying never
    recorded, with the `reason` (null when there are records): no deployment of the caller
    hedges it on Alpaca (the paper broker has no option quotes), or nothing was recorded in
    the window."""
    from trading.day.iv_history import empty_history_reason

    records = context.store.iv_history(caller.owner, underlying, since=since, until=until)
    reason = (
        None
        if records
        else empty_history_reason(context.store, caller.owner, underlying, since, until)
    )
    return {"underlying": underlying, "items": [r.to_json() for r in records], "reason": reason}
