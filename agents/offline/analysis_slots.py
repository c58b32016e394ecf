"""The arguments of an analysis tool's call that the message states beyond its subject and
window (`agents.offline.analysis_policies`): a stress test's moves and episodes, a loss
probability's threshold and horizon, the statistics asked of a window (by year, by month, days
beyond a move, extreme days, rolling windows), a backtest's cadence and costs."""

from __future__ import annotations

from typing import Any

from agents.offline.data_dates import data_end
from agents.offline.intent import Intent
from agents.offline.intent.analysis import AnalysisAsk
from agents.offline.intent.measures import move_beyond
from agents.offline.intent.rankings import days_counted
from services.windows import (
    MAX_CALENDAR_MONTHS,
    MAX_EXTREME_DAYS,
    MAX_ROLLING_SESSIONS,
    MIN_ROLLING_SESSIONS,
    SESSIONS_PER,
)

__all__ = ["tool_slots"]


def tool_slots(
    ask: AnalysisAsk, intent: Intent, subject: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The tool's own arguments the message states; a backtest of one stock held whole
    (`subject` a universe of one, or all of the weights on one name) with no cadence said is
    bought once and held: a rebalance of it has nothing to trade."""
    out: dict[str, Any] = {}
    if ask.capital is not None and ask.kind in ("stress", "loss_probability", "backtest_weights"):
        out["capital"] = ask.capital
    if ask.kind == "stress":
        if ask.market_move is not None:
            out["market_move"] = ask.market_move
        if ask.sector_move is not None:
            out["sector_move"] = {"sector": ask.sector_move[0], "move": ask.sector_move[1]}
        if ask.episodes:
            out["episodes"] = list(ask.episodes)
        if ask.bear_case:
            out["scenarios"] = ["bear"]
        if ask.horizon is not None and ask.bear_case:
            out["horizon"] = max(21, ask.horizon)
    elif ask.kind == "loss_probability":
        out["threshold"] = ask.threshold if ask.threshold is not None else 0.1
        if ask.horizon is not None:
            out["horizon"] = min(1260, max(21, ask.horizon))
        if ask.scenarios:
            out["scenarios"] = list(ask.scenarios)
    elif ask.kind == "statistics":
        if ask.beta_to is not None:
            out["beta_to"] = ask.beta_to
        if "by_year" in ask.measures:
            out["by_year"] = True
        if "by_month" in ask.measures or (ask.months and _months_listed(intent)):
            out["by_month"] = True  # "the 3 best months": listed from each month's return
        if (beyond := move_beyond(intent.text.lower())) is not None:
            out["move_beyond"] = beyond[0]  # "how many days did AAPL fall more than 5%?"
        days = days_counted(intent.text.lower())
        if days is not None and {"best_day", "worst_day"} & set(ask.measures):
            out["extreme_days"] = min(days, MAX_EXTREME_DAYS)  # more: the reply says why not
        if ask.rolling is not None and MIN_ROLLING_SESSIONS <= ask.rolling <= MAX_ROLLING_SESSIONS:
            out["rolling_sessions"] = ask.rolling  # else the answer says why not
    elif ask.kind == "backtest_weights":
        out["rebalance"] = ask.rebalance or ("never" if _one_stock(subject) else "monthly")
        if "by_year" in ask.measures:
            out["by_year"] = True
        if ask.cost_bps is not None:
            out["cost_bps"] = ask.cost_bps
    return out


def _months_listed(intent: Intent) -> bool:
    """Whether each calendar month of the message's window can be listed (`by_month`: at most
    `MAX_CALENDAR_MONTHS`; the default window's five years can; the months of a longer one are
    not asked for, and the answer says why it gives one month)."""
    if intent.start is None:
        sessions = intent.last_sessions
        return sessions is None or sessions <= MAX_CALENDAR_MONTHS * SESSIONS_PER["month"]
    end = intent.end or data_end()
    months = (int(end[:4]) - int(intent.start[:4])) * 12 + int(end[5:7]) - int(intent.start[5:7])
    return months + 1 <= MAX_CALENDAR_MONTHS


def _one_stock(subject: dict[str, Any] | None) -> bool:
    """Whether `subject` (a call's `universe` or `weights`) is one stock held whole."""
    names = (subject or {}).get("universe") or (subject or {}).get("weights") or ()
    return len(names) == 1
