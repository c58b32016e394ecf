"""How a portfolio is traded, in a message's words: the rebalancing cadence ("quarterly", "buy
and hold": never) and trading costs in basis points ("10 bps", "costs of 0.1%"), a move of
interest rates in basis points ("rates up 200bps") being no cost."""

from __future__ import annotations

from agents.offline.intent.scanner import NUM, PCT
from settings import patterns

__all__ = [
    "ASKED_CADENCES", "RATE_MOVE", "cadence_named", "cadences_asked", "cadences_compared",
    "cost_bps", "how_often_asked", "rate_rise_supposed",
]  # fmt: skip

_CADENCES = tuple((patterns.compile(pattern), cadence) for pattern, cadence in (
    (r"\b(?:buy[\s-]and[\s-]hold|never rebalanc\w*|no rebalanc\w*|without rebalanc\w*|held|"
     r"bought once)\b", "never"),
    (r"\bdaily\b|\bevery (?:day|session)\b", "daily"),
    (r"\bweekly\b|\bevery week\b|\beach week\b", "weekly"),
    (r"\bmonthly\b|\bevery month\b|\beach month\b|\bonce a month\b", "monthly"),
    (r"\bquart\w{0,2}ly\b|\bevery quarter\b|\beach quarter\b", "quarterly"),
    (r"\b(?:annually|yearly|annual (?:rebalanc\w*|basis)|(?:every|each) (?:calendar )?year"
     r"|once a year|rebalanc\w*,? (?:\w+ )?annual)\b", "annually"),
))  # fmt: skip
_BPS = patterns.compile(
    NUM + r"\s*(?:bps|bp|basis points?|bips)\b|(?:costs?|fees?|commissions?)\s*(?:of\s+)?" + PCT
    + r"|" + PCT + r"\s*(?:trading\s+)?(?:costs?|fees?|commissions?)"
)  # fmt: skip


_PERIOD_RETURNS = patterns.compile(
    r"\b(?:daily|weekly|monthly|quarterly|yearly|annual)\s+(?:returns?|performance|gains?|losses)\b"
    r"|\b(?:returns?|do|did|done|perform\w*|fared?)\s+(?:in\s+|for\s+|over\s+)?(?:each|every)\s+"
    r"(?:calendar\s+)?(?:day|week|month|quarter|year)\b"
)
"""The returns of each period asked ("yearly returns", "how did it do each year"): no cadence."""


def cadence_named(low: str) -> str | None:
    """The rebalancing cadence a lower-cased message names ("quarterly", "buy and hold" ->
    never), else None; the returns of each period asked ("monthly returns", "how did it do each
    year") name none."""
    low = _PERIOD_RETURNS.sub(" ", low)
    for pattern, cadence in _CADENCES:
        if pattern.search(low):
            return cadence
    return None


_SET_BESIDE = patterns.compile(r"\bvs\.?(?!\w)|\bversus\b|\bcompar\w*|\bagainst\b|\bor\b|\bthan\b")


def cadences_compared(low: str) -> tuple[str, ...]:
    """The rebalancing cadences a lower-cased message sets side by side, in the order said
    ("monthly rebalancing vs buy and hold": monthly, never); () unless two or more are named
    with a word that compares them ("vs", "compare", "or", "than")."""
    low = _PERIOD_RETURNS.sub(" ", low)
    if not _SET_BESIDE.search(low):
        return ()
    said = sorted(
        (match.start(), cadence)
        for pattern, cadence in _CADENCES
        if (match := pattern.search(low)) is not None
    )
    return tuple(cadence for _, cadence in said) if len(said) > 1 else ()


_HOW_OFTEN = patterns.compile(
    r"\bhow (?:often|frequently)\b[^?.!;]*?\bre-?balanc\w*|\bwhen (?:should|do|would|must|to)"
    r"\b[^?.!;]*?\bre-?balanc\w*|\bre-?balanc\w* (?:frequency|cadence|schedule|interval)\b"
    r"|\b(?:frequency|cadence|schedule) (?:of|for) (?:the |its |my |our )?re-?balanc\w*"
    r"|\b(?:best|optimal|ideal|right) (?:re-?balanc\w* )?(?:frequency|cadence)\b"
)
"""How often to rebalance asked ("how often should I rebalance it?", "what's the rebalancing
frequency?", "when should we rebalance?"), without naming the cadences to set side by side."""
ASKED_CADENCES = ("never", "monthly", "quarterly", "annually")
"""The cadences a backtest sets side by side when how often to rebalance is asked without any
named: from never trading back to the weights to the common calendar cadences."""
_REBALANCING = patterns.compile(r"\bre-?balanc\w*")


def how_often_asked(low: str) -> bool:
    """Whether a lower-cased message asks how often to rebalance (`_HOW_OFTEN`)."""
    return _HOW_OFTEN.search(low) is not None


def cadences_asked(low: str) -> tuple[str, ...]:
    """The cadences a question of how often to rebalance sets side by side: those it compares
    ("should I rebalance monthly or quarterly?"), else `ASKED_CADENCES` when it asks how often
    ("how often should I rebalance it?"); () when it asks neither."""
    compared = cadences_compared(low) if _REBALANCING.search(low) else ()
    return compared or (ASKED_CADENCES if how_often_asked(low) else ())


RATE_MOVE = patterns.compile(
    r"\b(?:rates?|yields?|the fed|treasur(?:y|ies))\s+(?:\w+\s+){0,3}?" + NUM
    + r"\s*(?:bps|bp|basis points?|bips)\b|" + NUM
    + r"\s*(?:bps|bp|basis points?|bips)\s+(?:of\s+)?(?:(?:rate|rates|yield|fed)\s+\w+|hikes?)"
)  # fmt: skip
"""A move of interest rates in basis points ("rates up 200bps", "a 50bp hike"): not a cost."""


def cost_bps(low: str) -> float | None:
    """The trading costs a lower-cased message names, in basis points ("10 bps", "costs of
    0.1%": 10), else None; a move of interest rates is no cost."""
    match = _BPS.search(RATE_MOVE.sub(" ", low))
    if match is None:
        return None
    if match.group(1):
        return float(match.group(1))
    percent = match.group(2) or match.group(3)
    return float(percent) * 100.0


_RATE_RISE = patterns.compile(
    r"\b(?:rates?|yields?|the fed|treasur(?:y|ies))\s+(?:\w+\s+){0,2}?(?:rise|rises|rising|hike"
    r"|hikes|hiking|jump|jumps|spike|spikes|climb|climbs|go up|goes up|are up|up|increase|increases"
    r"|raise|raises|rose|risen|went up|jumped|spiked|climbed|increased|were raised|raised|hiked)"
    r"\s+(?:by\s+)?" + NUM + r"\s*(?:(?:bps|bp|basis points?|bips)\b|(?P<pct>%|percent\b|pct\b))"
    r"|\b" + NUM + r"\s*(?:bps|bp|basis points?|bips|(?P<pct2>%|percent|pct))\s+(?:of\s+)?"
    r"(?:(?:rate|rates|yield|fed)\s+)?(?:hikes?|rise|increase)"
)
_SUPPOSED = patterns.compile(r"\b(?:if|when|suppose|supposing|imagine|assum\w+|would|happens?)\b")


def rate_rise_supposed(low: str) -> float | None:
    """The rise of interest rates a lower-cased message supposes, in basis points ("what happens
    if rates rise 100bps?", "what would happen if rates rose 200bps?", "a 50bp hike would do what
    to it?", "what if interest rates go up 1%?": 100), else None (a cut, a move said with no
    supposition, or no move)."""
    match = _RATE_RISE.search(low)
    if match is None or not _SUPPOSED.search(low):
        return None
    said = float(match.group(1) or match.group(3))  # the number (groups 2 and 4: percent)
    return said * 100.0 if match.group("pct") or match.group("pct2") else said
