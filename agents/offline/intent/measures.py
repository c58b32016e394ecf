"""The statistics a message names ("the Sortino ratio of AAPL", "worst month of KO", "how much
did XOM make in 2022"): `measures_named` gives the keys the analysis reader
(`agents.offline.intent.analysis`) and the change reader use."""

from __future__ import annotations

from agents.offline.intent.held import HELD_NOUN
from settings import patterns

__all__ = [
    "CONTRIBUTIONS_ASKED",
    "DRAWDOWN_ASKED",
    "HAVE_DONE_ASKED",
    "INDEX_SHOWN",
    "MONEY_MADE_OR_LOST",
    "OF_EACH_STOCK",
    "ORDERED_BY",
    "PERFORMED_ASKED",
    "VOLATILE_SAID",
    "drawdown_added",
    "measures_named",
    "set_beside",
]

TURNOVER_ASKED = patterns.compile(r"\bturnover\b")
"""The turnover asked of: with a cadence or costs and no strategy named, that of weights held so
("what's the turnover if I rebalance monthly?": a backtest of them, which gives it)."""
CONTRIBUTIONS_ASKED = patterns.compile(
    r"\brisk[\s-]contributions?\b|\bcontributions? to (?:the |its |my )?(?:portfolio'?s? )?"
    r"(?:risk|volatility)\b|\bcontribut\w* (?:the )?most(?: to (?:the |its |my |our )?(?:portfolio'?s? )?"
    r"(?:risk|volatility))?\s*[?.!]*$|\bdrives? (?:the |its |my |our )?risk\b"
    r"|\bbiggest (?:source of )?risk\b|\bwhere(?: is|'s| does) (?:the |its |my |our )?risk\b"
    r"|\brisk concentration\b|\badds? (?:the )?most (?:to (?:the |its |my |our )?)?(?:risk|volatility)\b"
    r"|\bhow concentrated\b[^.?!;]{0,40}?\brisk\b|\bconcentrat\w* of (?:the |its |my |our )?risk\b"
    r"|\bhow concentrated (?:is|was|are) (?:it|that|this|(?:the|my|our) (?:portfolio|book|mix))\b"
    r"|\b(?:how much|what share|what part|what fraction) of (?:the |its |my |our )?(?:portfolio'?s? )?"
    r"(?:risk|volatility)\b|\b(?:risk|volatility) (?:comes?|coming|came) from\b"
)
"""A question about where a portfolio's risk comes from ("risk contributions", "which holding
drives the risk?", "what's my biggest risk?", "where is my risk coming from?", "how concentrated
is my risk?", "which name contributes the most?", "how much of my risk comes from AAPL?", "which
holdings add the most risk?"): each
holding's share of its volatility. A
risk report also gives them for "the riskiest holding" (a follow-up may drop it by that)."""

VOLATILITY_WORD = r"(?<!target )(?<!target-)\bvol(?:atility)?\b(?![\s_-]*target)"
"""Volatility named as a measure ("vol", "volatility"), not as a volatility target."""

MONEY_MADE_OR_LOST = (
    r"\bhow much\b[^?.!;]*?\b(?:lost|made|gained|earned|returned)\b"
    r"|\bhow much (?:did|do|does|has|have)\b[^?.!;]*?\b(?:lose|make|gain|earn|return|fall|fallen"
    r"|drop|dropped|decline|declined|sink|sunk|rise|risen|climb|climbed)\b"
    r"|\bwhat would\b[^?.!;]{0,60}?\b(?:have been|be) worth\b"
    r"|\bhow much would\b[^?.!;]{0,80}?\b(?:have been|be|grown to|turned into)\b(?: worth\b)?"
    r"|\bwhat would\b[^?.!;]{0,60}?\bhave (?:made|earned|gained|returned|lost|grown to"
    r"|turned into|become)\b"
    r"|\bhow much (?:would|will|do|did) (?:i|we|you) (?:have|own|hold)\b[^?.!;]*?"
    r"\b(?:now|today|by now|these days|at the end)\b"
)
"""What a holding made or lost over a past window ("how much did AAPL lose in 2022", "how much
would I have made holding KO since 2015", "... in 2019, how much would I have now?"): its total return (a loss that may still happen, "how
much would I lose if ...", is a stress test)."""
_MOVED_BEYOND = patterns.compile(
    r"\bhow (?:many|often)\b(?!\s+(?:of\s+(?:the|them|these|those)\s+)?(?:\w+\s+)?(?:stocks|names"
    r"|companies|shares|tickers|sectors|equities)\b|\s+of\s+(?:them|these|those)\b)"
    r"(?:\s+(?:days|times|sessions))?[^?.!;]{0,60}?\b(?P<way>fall|fell"
    r"|fallen|drop(?:ped)?|lose|lost|decline[ds]?|down|up|rise|rose|risen|gain(?:ed)?|jump(?:ed)?"
    r"|move[ds]?|swung|swing)\b\s+(?:by\s+)?(?:more\s+than|over|at\s+least|beyond|above)?\s*"
    r"(?P<size>\d{1,2}(?:\.\d{1,2})?)\s*(?:%|percent\b|pct\b)"
)
"""How many sessions moved beyond a size asked ("how many days did AAPL fall more than 5%?",
"how often did KO drop 3% in a day", "how many times was MSFT up over 4%"; not "how many stocks
fell more than 30%?", which counts names beyond a bar: `agents.offline.intent.bars`)."""
_WAYS = {"down": ("fall", "fell", "fallen", "drop", "dropped", "lose", "lost", "decline",
                  "declined", "declines", "down"),
         "up": ("up", "rise", "rose", "risen", "gain", "gained", "jump", "jumped")}  # fmt: skip


def move_beyond(low: str) -> tuple[float, str] | None:
    """The daily move a lower-cased message counts the sessions beyond: (its size as a fraction,
    "down", "up" or "either"), or None."""
    said = _MOVED_BEYOND.search(low)
    if said is None or not 0 < float(said["size"]) <= 50:
        return None
    way = next((w for w, words in _WAYS.items() if said["way"] in words), "either")
    return float(said["size"]) / 100, way


_DAYS_COUNT = r"(?:(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+)?"
"""A count between an end and its days or months ("the best 5 trading days", "worst 3 months")."""
_WHICH_WAS = r"|\b(?:which|what)\s+(?:trading\s+|calendar\s+)?day\b[^?.!;]{0,40}?\b(?:%s)\b"
"""The day (or, with "month" put for "day", the month) asked with its end after it ("which month
was worst for AAPL?"); %s: the end's words."""
_MEASURES: dict[str, str] = {
    "days_beyond": _MOVED_BEYOND.pattern,
    "correlation": r"\bcorrelat\w*|\bcorrs?\b|\bco-?movement\b|\bhow (?:closely |strongly |much )?(?:are|is|were)\b"
    r"[^?.!;]*\brelated\b|\b(?:closely|strongly|highly) related\b|\brelation(?:ship)? between\b"
    r"|\b(?:is|are|was|were)\s+\S+\s+related\s+to\b",
    "beta": r"\bbetas?\b",
    "tracking_error": r"\btracking[\s-]+errors?\b|\bactive\s+(?:risk|returns?)\b"
    r"|\binformation\s+ratios?\b",
    "worst_month": r"\b(?:worst|biggest|largest|weakest)\s+(?:(?:and|&|or)\s+(?:the\s+)?"
    r"(?:best|strongest)\s+)?" + _DAYS_COUNT + r"(?:single\s+)?(?:calendar\s+)?month"
    + _WHICH_WAS.replace("day", "month") % "worst|weakest",
    "best_month": r"\b(?:best|strongest)\s+(?:(?:and|&|or)\s+(?:the\s+)?(?:worst|weakest)\s+)?"
    + _DAYS_COUNT + r"(?:single\s+)?(?:calendar\s+)?month"
    + _WHICH_WAS.replace("day", "month") % "best|strongest",
    "worst_day": r"\b(?:worst|biggest|largest|weakest)\s+(?:(?:and|&|or)\s+(?:the\s+)?"
    r"(?:best|strongest)\s+)?" + _DAYS_COUNT + r"(?:single\s+)?"
    r"(?:trading\s+)?(?:day|daily|one[\s-]day)" + _WHICH_WAS % "worst|weakest",
    "best_day": r"\b(?:best|strongest)\s+(?:(?:and|&|or)\s+(?:the\s+)?(?:worst|weakest)\s+)?"
    + _DAYS_COUNT + r"(?:single\s+)?(?:trading\s+)?day" + _WHICH_WAS % "best|strongest",
    "drawdown_dates": r"\bdrawdown\b.*\b(?:when|dates?|peak|trough|recover\w*|how long|bottom)"
    r"|\b(?:when|how long)\b.*\bdrawdown|\brecover(?:y|ed|ing|s)?\b|\bm?dd\b"
    r"|\bwhen\b[^?.!;]{0,80}?\b(?:bottom(?:ed)?|trough(?:ed)?|hit\s+(?:its|the)\s+low)\b"
    r"|\bhow long\b[^?.!;]{0,80}?\b(?:get|got|come|came|climb|bounce|bounced)\s+back\b"
    r"|\bbreak[\s-]?even\b",
    "volatility": VOLATILITY_WORD + rf"|\bhow volatile\b(?=[^?.!;]*\b(?:my|our)\s+{HELD_NOUN}\b)"
    r"(?![^?.!;]*\b(?:would|will|could|if)\b)",
    # volatility squared; not the mean-variance method nor the pricing model's premium
    "variance": r"(?<!mean )(?<!mean-)(?<!min )(?<!minimum )\bvariances?\b(?![\s-]*(?:risk|points?)\b)",
    "sharpe_ratio": r"\bsharpe(?:\s+ratio)?s?\b|\brisk[\s-]adjusted returns?\b",
    "sortino_ratio": r"\bsortino(?:\s+ratio)?s?\b",
    "downside_deviation": r"\bdownside\s+(?:deviation|risk|vol(?:atility)?)\b|\bsemi[\s-]?deviation\b",
    "skewness": r"\bskew(?:ness|ed)?\b",
    "kurtosis": r"\b(?:excess\s+)?kurtosis\b|\bfat(?:ter|test)?[\s-]tail(?:s|ed)?\b",
    "daily_mean": r"\b(?:average|mean|avg)\s+daily\s+returns?\b|\bdaily\s+(?:average|mean)\s+returns?\b",
    # a risk-adjusted return is a Sharpe ratio, not a return
    "return": r"\b(?:total|cumulative|annuali[sz]ed|annual|average|realised|realized|price)?\s*"
    r"(?<!adjusted )(?<!adjusted-)(?<!active )return(?:s|ed)?\b|\bcagr\b|\bperformance\b|\bperform\w*|\bhow (?:did|has|have|does)\b.*\b(?:do|done|gone|fared?)\b"
    r"|\bhow(?:'s|\s+is|\s+has)\s+(?:it|this|that|(?:the|my|our)\s+(?:portfolio|book|mix))\s+"
    r"(?:been\s+)?(?:doing|faring)\b"
    r"|\b(?:ytd|year[\s-]to[\s-]date)\b(?!\s+(?:vol\w*|sharpe|draw\w*|beta|corr\w*|risk))"
    r"|\b(?:gain|gained|rose|fell|up|down)\b.*\b(?:since|between|from|in)\b"
    r"|\b(?:grew|grown|grow)\b(?!\s+(?:to|into)\b)|\b(?:most|least|highest|lowest|biggest|smallest"
    r"|strongest|weakest|fastest|slowest)\s+(?:price\s+)?growth\b(?!\s+(?:stocks?|names|rate))"
    r"|" + MONEY_MADE_OR_LOST,
    "by_month": r"\bmonthly\s+(?:returns?|performance|numbers|figures|table)\b|\b(?:returns?"
    r"|performance)\s+(?:by|each|every|per|for\s+each)\s+(?:calendar\s+)?month\b"
    r"|\bmonth[\s-]+by[\s-]+month\b|\b(?:by|each|every)\s+(?:calendar\s+)?month'?s?\s+returns?\b"
    r"|\bhow many (?:calendar\s+)?months\b(?![^.?!;]*\b(?:ago|left|until|since|of data)\b)",
    "by_year": r"\b(?:by|each|every)\s+(?:calendar\s+)?year\b(?!\s+(?:to date|ago)|[\s-]+end)"
    r"|\b(?:in|for)\s+each\s+of\s+the\s+(?:last|past)\s+(?:\w+\s+)?years\b|\b(?:best|worst)\s+(?:and\s+(?:the\s+)?"
    r"(?:best|worst)\s+)?(?:calendar\s+)?years?\b(?!\s+(?:to date|ago))"
    r"|\byear[\s-]+(?:by|on|over)[\s-]+year\b|\b(?:yearly|calendar[\s-]year)\s+(?:returns?"
    r"|performance)\b|\b(?:annual|yearly) returns?\s+(?:for|in|of)\s+(?:each|every)\b"
    r"|\bin\s+(?:each|every)\s+(?:calendar\s+)?year\b|\breturns\s+(?:per|by|for each)\s+year\b"
    r"|(?<!expected )(?<!average )(?<!avg )(?<!mean )(?<!typical )\bannual\s+returns\b",
}  # fmt: skip
_MEASURE_PATTERNS = {name: patterns.compile(text) for name, text in _MEASURES.items()}
DRAWDOWN_ASKED = patterns.compile(r"\bdraw[\s-]?downs?\b|\bm?dd\b")
"""A drawdown named ("drawdown", "draw-downs", "mdd"), with or without its dates asked."""


def drawdown_added(measures: tuple[str, ...], low: str, compared: bool) -> tuple[str, ...]:
    """`measures` with the maximum drawdown and its dates when the lower-cased message `low`
    names a drawdown beside them ("the beta and max drawdown of KO") or names one in a ranking or
    against the index (`compared`: "the worst drawdown among the energy stocks", "the max
    drawdown of AAPL vs the market"); a drawdown alone or beside the volatility is otherwise the
    risk report's, which gives both."""
    beside = compared or bool(set(measures) - {"volatility"})
    named = beside and "drawdown_dates" not in measures and DRAWDOWN_ASKED.search(low)
    return (*measures, "drawdown_dates") if named else measures


OF_EACH_STOCK = frozenset({"sortino_ratio", "downside_deviation", "skewness", "kurtosis"})
"""Measures asked of named stocks that are each stock's ("the Sortino ratio of AAPL and KO"),
where a risk report would measure them held together."""

ORDERED_BY = frozenset({
    "return", "volatility", "variance", "sharpe_ratio", "beta", "drawdown_dates",
    "sortino_ratio", "downside_deviation", "skewness", "kurtosis", "market_correlation",
})  # fmt: skip
"""The measures stocks can be put in order by, one against another ("AAPL's return vs MSFT"),
a beta and a correlation with one series (the index or `beta_to`) too; the answers' words for
each are `agents.offline.statistic_words.RANKED_BY`."""
_AGAINST_A_SERIES = frozenset({"beta", "market_correlation"})

VOLATILE_SAID = patterns.compile(r"\bvolatil")
"""Volatility said as a word of its own ("how volatile", "more volatile than KO")."""


def set_beside(measures: tuple[str, ...], low: str) -> bool:
    """Whether the measures asked (`measures`, volatility too when `low`, the lower-cased
    message, says "volatile") can set one stock beside another ("AAPL's return in 2021 vs
    MSFT"); a beta's "relative to MSFT" is what it is measured to."""
    said = {*measures, "volatility"} if VOLATILE_SAID.search(low) else set(measures)
    return bool(said) and said <= ORDERED_BY - _AGAINST_A_SERIES


INDEX_SHOWN = ("return", "worst_month", "best_month", "by_year")
"""The measures asked of stocks that an answer gives the index's line for beside them (the
others set the index among the names only when it is compared: "riskier than the market")."""

_HISTORY_OF_RETURNS = patterns.compile(
    r"\b(?:years?|yrs?|months?|weeks?|days?|sessions?)\s+of\s+(?:daily\s+)?returns\b"
)
"""Returns as the history a window holds ("3 years of daily returns"), not a measure asked."""

_REBALANCED_YEARLY = patterns.compile(
    r"\b(?:rebalanc\w*|trad(?:e|es|ed|ing)|invest(?:s|ed|ing)?|add(?:s|ed|ing)?|contribut\w*)\s+"
    r"(?:\S+\s+){0,4}?(?:each|every)"
    r"\s+(?:calendar\s+)?year\b"
)
"""A cadence said with "each year" ("rebalanced every year", "investing $1,000 each year"),
not the returns of each year asked."""


def measures_named(low: str) -> tuple[str, ...]:
    """The statistics a lower-cased message names (return, volatility, beta, worst day, ...)."""
    low = _REBALANCED_YEARLY.sub(" ", _HISTORY_OF_RETURNS.sub(" ", low))
    if daily := _MEASURE_PATTERNS["daily_mean"].search(low):  # its "return": not the total's
        low = low[: daily.start()] + " " + low[daily.end() :]
        return ("daily_mean", *(n for n, p in _MEASURE_PATTERNS.items() if p.search(low)))
    return tuple(name for name, p in _MEASURE_PATTERNS.items() if p.search(low))


PERFORMED_ASKED = patterns.compile(
    r"\bhow (?:would|did|does|has|might)\b.*\b(?:perform\w*|done|do|fared?|returned?|grown|gone)\b"
    r"|\bwhat (?:would|did)\b.*\b(?:returned?|made|earned|grown|done|yielded)\b"
    r"|\bhow much would\b.*\b(?:made|grown|returned|earned)\b"
)
"""How weights did or would have done asked ("how did 60/40 AAPL KO do since 2015?", "what would
they have returned?")."""
HAVE_DONE_ASKED = patterns.compile(r"\b(?:would|might|could)\b.*\bhave (?:done|performed|fared)\b")
"""How given weights would have done ("how would 50% AAPL, 30% MSFT and 20% KO have done since
2018?"): their backtest at the default cadence, as said in the reply, not a strategy's (what
they would have made is their total return: `MONEY_MADE_OR_LOST`)."""
