"""The post-market run of an account (the `post_market` job, one per account and session, from
`settings.trading_day.post_market_at` on: `trading.day.schedule`): each member strategy's
analytics at the session's close (`trading.day.analytics`), stored as Parquet in the store's
object storage (`Store.put_report`, kind `analytics`).

A strategy without a valued session that day (nothing traded yet, or no close) is left out with
the reason. The run succeeds once every analytics file it made is stored; its result lists the
reports and the strategies left out. The tearsheets are rendered later from these files (the
`tearsheet` job, `settings.trading_day.tearsheets_at`), so they read what was stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from store import Store
from trading.day.accounts import TradedAccount
from trading.day.analytics import strategy_analytics
from trading.day.schedule import TEARSHEET_KIND

log = logging.getLogger(__name__)


def post_market(store: Store, account: TradedAccount, day: date) -> dict[str, Any]:
    """Write each member's analytics of `day` (see the module docstring); the run's result:
    the account, the day, the reports stored and the strategies left out (id -> why)."""
    stored, left_out = [], {}
    for member in account.members:
        analytics = strategy_analytics(store, member, day)
        if analytics is None:
            left_out[member.id] = (
                f"no valued session on {day.isoformat()}: nothing traded by its close, or the "
                "market data has no close of it"
            )
            continue
        report = store.put_report(
            account.owner, account.account, day, "analytics", member.id, analytics.to_parquet()
        )
        stored.append(report.to_json())
    return {
        "account": account.account,
        "day": day.isoformat(),
        "analytics": stored,
        "left_out": left_out,
    }


def forward_test_tearsheets(store: Store, owner: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """After a forward test of several deployments together (`result`,
    `trading.forward_tests.account`): the post-market run of its test account on its last
    session (its test deployments the members) and its tearsheets' job submitted (once, under
    the key a live account's has); what was done (`job_id`, the analytics' ids, those left
    out, the members' names), or why not (`problem`: a measure the window is too short for)."""
    account, day = result["test_account"], date.fromisoformat(result["end"])
    members = tuple(
        store.get_deployment(owner, m["forward_test_deployment_id"]) for m in result["members"]
    )
    try:
        stored = post_market(store, TradedAccount(owner, account, "paper", members), day)
    except ValueError as exc:
        log.warning("forward test account %s: no analytics of %s: %s", account, day, exc)
        return {"day": day.isoformat(), "job_id": None, "problem": str(exc)}
    job, _ = store.submit_job(
        owner,
        TEARSHEET_KIND,
        {"account": account, "day": day.isoformat()},
        idempotency_key=f"{TEARSHEET_KIND}:{account}:{day.isoformat()}",
    )
    return {
        "day": day.isoformat(),
        "job_id": job.id,
        "analytics": [r["id"] for r in stored["analytics"]],
        "left_out": stored["left_out"],
        "names": {m.id: m.name for m in members},
    }
