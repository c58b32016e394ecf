"""A strategy's lookback and leverage as a message states them ("63-day lookback", "lookback of
3 months": trading days, `services.windows.SESSIONS_PER`; "leverage 1.5", "1.5x leverage"): read
for a strategy's fields (`agents.offline.strategy_args`) and for what a follow-up changes
(`agents.offline.intent.changes`)."""

from __future__ import annotations

from services.windows import SESSIONS_PER
from settings import patterns

__all__ = ["lookback_sessions", "stated_leverage"]

_UNIT = r"(trading[\s-]+days?|days?|sessions?|weeks?|months?|quarters?|years?)\b"
_LOOKBACK = patterns.compile(
    r"\b(\d{1,3})[\s-]*" + _UNIT + r"[\s-]+(?:of\s+)?look[\s_-]*back\b"
    r"|\blook[\s_-]*back\s+(?:window\s+)?(?:of\s+|=\s*|:\s*)?(\d{1,3})(?:[\s-]*" + _UNIT + r")?"
)
_LEVERAGE = patterns.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*x\s+(?:max(?:imum)?\s+)?(?:leverage|levered|gross)\b"
    r"|\b(?:max(?:imum)?[\s_-]*)?leverage\s*(?:of|at|=|:|up to|to|cap(?:ped)? at)?\s*"
    r"(\d+(?:\.\d+)?)(?!\.?\d)\s*x?(?![\w%])"
)


def lookback_sessions(low: str) -> int | None:
    """The lookback the lower-case text states, in sessions ("a 6-month lookback": 126)."""
    match = _LOOKBACK.search(low)
    if match is None:
        return None
    count = match.group(1) or match.group(3)
    unit = (match.group(2) or match.group(4) or "day").split()[-1].split("-")[-1].rstrip("s")
    return int(count) * SESSIONS_PER[unit]


def stated_leverage(low: str) -> float | None:
    """The leverage the lower-case text states ("2x leverage", "leverage 1.5")."""
    match = _LEVERAGE.search(low)
    return float(match.group(1) or match.group(2)) if match else None
