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

from datetime import date
from typing import Any

from store import Store
from trading.day.accounts import TradedAccount
from trading.day.analytics import strategy_analytics


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
