"""A strategy's lookback and leverage as a message states them ("63-day lookback", "lookback of
3 months": trading days, `services.windows.SESSIONS_PER`; "leverage 1.5", "1.5x leverage"): read
for a strategy's fields (`agents.offline.strategy_args`) and for what a follow-up changes
(`agents.offline.intent.changes`); and the strategy parameters a question names ("why did it
pick that lookback?", `parameters_named`)."""

from __future__ import annotations

from agents.offline.intent.measures import VOLATILITY_WORD
from services.windows import SESSIONS_PER
from settings import patterns

__all__ = [
    "WINNER_NAMED",
    "WINNER_WORDS",
    "lookback_sessions",
    "parameters_named",
    "stated_leverage",
    "winner_metrics_named",
]

_COUNT = r"(?:\d{1,3}(?:,\d{3})+|\d{1,6})(?!\d|,\d)"
"""A whole count as said, thousands separators included ("a 1,000-day lookback": 1000)."""
_UNIT = r"(trading[\s-]+days?|days?|sessions?|weeks?|months?|quarters?|years?)\b"
_LOOKBACK = patterns.compile(
    rf"\b({_COUNT})[\s-]*" + _UNIT + r"[\s-]+(?:of\s+)?look[\s_-]*back\b"
    rf"|\blook[\s_-]*back\s+(?:window\s+)?(?:of\s+|=\s*|:\s*)?({_COUNT})"
    r"(?:[\s-]*" + _UNIT + r")?"
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
    return int(count.replace(",", "")) * SESSIONS_PER[unit]


def stated_leverage(low: str) -> float | None:
    """The leverage the lower-case text states ("2x leverage", "leverage 1.5")."""
    match = _LEVERAGE.search(low)
    return float(match.group(1) or match.group(2)) if match else None


_PARAMETERS = (
    ("target_vol", r"\b(?:vol(?:atility)?[\s_-]*target|target(?:ed)?[\s_-]*vol(?:atility)?)\b"),
    ("lookback", r"\blook[\s_-]*back\b"),
    ("rebalance_every", r"\brebalanc\w*"),
    ("max_leverage", r"\b(?:max(?:imum)?[\s_-]*)?leverage\b"),
    ("steepness", r"\bsteepness\b"),
    ("risk_aversion", r"\brisk[\s_-]*aversion\b"),
    ("weight_function", r"\bweight(?:ing)?[\s_-]*(?:rule|function|scheme)\b"),
)
_PARAMETER_WORDS = [(name, patterns.compile(words)) for name, words in _PARAMETERS]


def parameters_named(low: str) -> tuple[str, ...]:
    """The strategy parameters (`StrategyConfig` fields) the lower-case text names, in the order
    it names them ("why that lookback and not a higher vol target?": lookback, target_vol)."""
    found = [(m.start(), name) for name, words in _PARAMETER_WORDS if (m := words.search(low))]
    return tuple(name for _, name in sorted(found))


_WINNER_METRICS = (
    ("sharpe", r"\bsharpe\b"),
    ("sortino", r"\bsortino\b"),
    ("max_drawdown", r"\bdraw[\s-]?downs?\b|\bm?dd\b"),
    ("volatility", VOLATILITY_WORD + r"|\bvolatile\b"),
    ("cagr", r"\breturns?\b|\bcagr\b|\bgrowth rate\b"),
    ("cvar_95", r"\bcvar\b|\bexpected shortfall\b"),
    ("var_95", r"\bvar\b|\bvalue[\s-]at[\s-]risk\b"),
    ("turnover", r"\bturnover\b|\bhow much (?:does )?it trades?\b"),
    ("average_weight", r"\b(?:in )?cash\b|\bexposure\b|\brisky weight\b|\binvested\b|\blevered\b"),
)
_WINNER_METRIC_WORDS = [(name, patterns.compile(words)) for name, words in _WINNER_METRICS]


WINNER_WORDS = (
    r"\b(?:winner|winning\s+(?:strategy|config\w*|one)|best\s+(?:config\w*|strategy|one))\b"
)
WINNER_NAMED = patterns.compile(WINNER_WORDS)
"""A search's winner named in lower-case text ("backtest the winner", "the winning strategy",
"the best config"): a strategy the search chose, never weights held as said."""
_SCENARIO_NAMES = patterns.compile(r"\b(?:high|low)[\s_-]*vol(?:atility)?\b")
"""A scenario named by its volatility ("the high vol scenario"): no measure of volatility."""
_HOW_IT_DID = patterns.compile(
    r"\bhow (?:did|does|would|has|will) (?:it|that|this|the (?:winner|strategy))(?: \w+)? "
    r"(?:do|done|perform\w*|fare\w*|hold(?:s|ing)? up|held up|go)\b|\bperformance\b"
)
"""How a strategy did, no measure named: its headline measures."""
HEADLINE_MEASURES = ("sharpe", "cagr", "max_drawdown")
"""What "how did it do?" is answered with: risk-adjusted return, growth and the worst fall."""


def winner_metrics_named(low: str) -> tuple[str, ...]:
    """The measures of a strategy's results (the keys of a search winner's metrics per scenario)
    the lower-case text names, in the order it names them ("its sharpe and drawdown in the bear
    case": sharpe, max_drawdown; "how much is it in cash?": average_weight); how it did, with
    none named ("how did it do in the bear scenario?"), its `HEADLINE_MEASURES`. A parameter is
    not a measure ("vol target" names none), nor a scenario ("the high vol scenario")."""
    low = _SCENARIO_NAMES.sub(" ", low)
    found = [(m.start(), name) for name, words in _WINNER_METRIC_WORDS if (m := words.search(low))]
    if not found and _HOW_IT_DID.search(low):
        return HEADLINE_MEASURES
    return tuple(name for _, name in sorted(found))
