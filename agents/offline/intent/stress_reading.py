"""What a stress question states (`agents.offline.intent.analysis` reads the rest): a market
move ("if the market drops 20%"), the historical episodes named ("the 2008 crisis", "covid"),
whether it is a stress question at all, the bear case, and whether it sets the stocks it names
side by side ("would AAPL or KO hold up better in a 2008 crash?"): each stock's loss, not the
loss of the stocks held together."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from agents.offline.intent.dates import SUPPOSED_HOLDER
from agents.offline.intent.episodes import EPISODE_PATTERNS as _EPISODES
from agents.offline.intent.episodes import EPISODE_WORDS
from agents.offline.intent.rankings import HEAD_TO_HEAD
from agents.offline.intent.scanner import PCT, fraction
from agents.offline.intent.words import read_mentioned, read_tickers
from quant.classification import matching
from settings import patterns

if TYPE_CHECKING:
    from agents.offline.intent import Intent

__all__ = [
    "BEAR_CASE",
    "STRESS",
    "bear_market_asked",
    "downturn_as_bear",
    "episodes_named",
    "market_move_named",
    "sector_move_named",
    "stocks_chosen",
    "stocks_compared",
    "without_past_downturns",
]

_FALL = (
    r"(?:drops?|dropping|falls?|falling|declines?|crash(?:es)?|plunges?|sell[\s-]?offs?|"
    r"sells? off|selling off|sold off|"
    r"corrections?|tumbles?|tanks?|sinks?|craters?|slides?|(?:goes |is |were |was )?down|slumps?)"
)
_RISE = r"(?:rises?|rall(?:y|ies)|(?:goes |is )?up|gains?|jumps?|surges?)"
_SUPPOSED = r"\b(?:if|suppose|supposing|say|imagine|assum(?:e|ing))\s+"
"""Words that make a move in the past tense a supposed one ("if the market fell 20%"); without
them the move happened ("did the market drop 20% in 2022?"), as it does with its year ("if the
market fell 20% in 2022") or asked whether (`_WHETHER`)."""
_IN_A_YEAR = r"(?!\s*(?:in|during)\s+(?:19|20)\d\d\b)"
_WHETHER = patterns.compile(r"\b(?:check|see|tell me|know|wonder|ask)\s+$")
"""Before "if", words that make it "whether" ("check if the market fell 20%") unless what would
follow is asked too (`_CONSEQUENCE`: "I wonder if the market fell 20%, what would happen")."""
_CONSEQUENCE = patterns.compile(r"\b(?:would|could|will|happens?|lose|gain|make|mean|do to)\b")
_FELL_PAST = (
    r"(?:fell|dropped|declined|crashed|plunged|tumbled|tanked|sank|cratered|slid|slumped"
    r"|sold off|corrected|lost)"
)
_ROSE_PAST = r"(?:rose|rallied|jumped|surged|gained|climbed|went up)"
_BY = r"\s*(?:by\s+|another\s+)?"
_MARKET = r"(?:(?:the |a )?(?:stock )?market|(?:the )?s&p(?: 500)?|(?:the )?index|equities|stocks|spx|spy)"
_MOVES: list[tuple[re.Pattern[str], float]] = [
    (patterns.compile(PCT + r"\s*(?:stock\s+)?(?:market\s+|s&p\s+|index\s+|equity\s+)?" + _FALL), -1.0),
    (patterns.compile(_MARKET + r"\s+" + _FALL + r"\s*(?:by\s+|of\s+)?(?:another\s+)?" + PCT), -1.0),
    (patterns.compile(_FALL + r"\s+(?:of\s+|by\s+)?" + PCT + r"\s*(?:in|of)\s+" + _MARKET), -1.0),
    (patterns.compile(r"(?:-|minus\s*|negative\s*)" + PCT + r"\s*(?:market|s&p|index)?\s*(?:move|shock)?"), -1.0),
    (patterns.compile(PCT + r"\s*(?:stock\s+)?(?:market\s+|s&p\s+|index\s+)?" + _RISE), 1.0),
    (patterns.compile(_MARKET + r"\s+" + _RISE + r"\s*(?:by\s+)?" + PCT), 1.0),
    (patterns.compile(_SUPPOSED + _MARKET + r"\s+" + _FELL_PAST + _BY + PCT + _IN_A_YEAR), -1.0),
    (patterns.compile(_SUPPOSED + _MARKET + r"\s+" + _ROSE_PAST + _BY + PCT + _IN_A_YEAR), 1.0),
]  # fmt: skip


_SECTOR_MOVE = patterns.compile(
    r"\b(?:if|when|suppose|supposing|say|imagine|assum(?:e|ing))\s+(?:the\s+)?"
    r"([a-z][a-z&-]*(?:\s+[a-z&-]+){0,2}?)\s+(?:stocks?\s+|sector\s+|names\s+|shares\s+)?"
    rf"(?:({_FALL})|{_RISE}){_BY}{PCT}"
)
_NOT_A_SECTOR = frozenset({"it", "they", "that", "this", "market", "stock market", "s&p", "index"})


def sector_move_named(low: str) -> tuple[str, float] | None:
    """A sector's move a lower-cased message supposes ("what if tech falls 30%?", "if the banks
    drop 25%"): the sector as said and the signed move (a fraction), when the words name a
    sector or sub-industry of the classification; else None."""
    for match in _SECTOR_MOVE.finditer(low):
        term = match.group(1).strip()
        if term in _NOT_A_SECTOR or not matching(term):
            continue
        value = fraction(match.group(3))
        if 0.0 < value < 1.0:
            return term, -value if match.group(2) else value
    return None


def market_move_named(low: str) -> float | None:
    for pattern, sign in _MOVES:
        match = pattern.search(low)
        if match is None:
            continue
        asked_whether = _WHETHER.search(low[: match.start()])  # "check if the market fell 20%"
        if asked_whether and not _CONSEQUENCE.search(low[match.end() :]):
            continue
        value = fraction(match.group(1))
        if 0.0 < value < 1.0:
            return sign * value
    return None


_ALL_EPISODES = patterns.compile(
    r"\b(?:historical|past|history's|famous)\s+(?:episodes|crises|crashes|stress(?:es)?|"
    r"scenarios)\b|\b(?:the\s+)?(?:big|major|great)\s+(?:crashes|crises)\b"
)
_PAST_DOWNTURNS = patterns.compile(
    r"\b(?:in|during|through|across|over)\s+(?:the\s+)?(?:(?:past|previous|earlier|last|recent"
    r"|historical|real)\s+)?(?:bear\s+markets|downturns|(?:market\s+)?crashes|sell[\s-]?offs"
    r"|recessions)\b"
)
"""Downturns said in the plural ("in bear markets", "in past crashes", "in downturns")."""
_PAST_BEAR_MARKET = patterns.compile(
    r"\b(?:in|during|through)\s+(?:a|the\s+(?:last|previous|latest|most\s+recent|past))\s+"
    r"(?:bear(?:ish)?\s+market|downturn|(?:market\s+)?crash|sell[\s-]?off|recession)\b"
)
"""A downturn said in the singular: in a question in the past tense (`_DID`: "how did KO do in a
bear market?", "how did KO hold up in the last bear market?"), the historical episodes, as in
the plural."""
_DID = patterns.compile(
    r"\b(?:did|held\s+up|fared|performed|behaved|coped|reacted)\b|\bhow\s+(?:was|were)\b"
)
_HOW_IT_DID = patterns.compile(
    r"\b(?:do|did|does|done|doing|fare[sd]?|faring|hold(?:s|ing)?\s+up|held\s+up|perform\w*"
    r"|behave[sd]?|cope[sd]?|react(?:s|ed)?)\b"
)
_ELSEWHERE = patterns.compile(
    r"\b(?:find|search\w*|strateg\w*|settings?|parameters?|tun(?:e|ing)|trials?|optimi[sz]\w*"
    r"|target[\s-]?vol\w*|c?var|value[\s-]at[\s-]risk|expected shortfall|betas?|correlat\w*"
    r"|volatil\w*|vol|sharpe|sortino|calmar|draw[\s-]?downs?|risk|the\s+market|s&p|index|spx"
    r"|(?:19|20)\d\d|since|before|after|between|until)\b"
)
"""What makes downturns said in the plural the simulated bear scenario, or leaves them to what
else the message asks: a search, a measure ("KO's beta in downturns"), the index, a window."""


def past_downturns_asked(low: str) -> bool:
    """Whether the message asks how stocks or a portfolio did in downturns said in the plural
    ("how did KO do in bear markets?", "how do KO and PEP hold up in downturns?") or in the
    singular in the past tense ("how did KO do in a bear market?"): the historical episodes,
    every one. Not beside a search ("a strategy that holds up in downturns"), a
    measure ("VaR under 3% in bear markets", "KO's beta in downturns"), the index or a window
    ("since 2019"): those keep their own reading (the simulated bear scenario, the measure, the
    window)."""
    if _ELSEWHERE.search(low):
        return False
    plural = _PAST_DOWNTURNS.search(low) and _HOW_IT_DID.search(low)
    return bool(plural or (_PAST_BEAR_MARKET.search(low) and _DID.search(low)))


def without_past_downturns(low: str) -> str:
    """`low` with its past downturns (`past_downturns_asked`) blanked: what else it says."""
    return _PAST_BEAR_MARKET.sub(" ", _PAST_DOWNTURNS.sub(" ", low))


_A_BEAR_MARKET = patterns.compile(
    r"\b(?:in|during|through|for)\s+(?:a|an|another|the\s+next|a\s+future)\s+bear(?:ish)?\s+"
    r"(?:market|case|scenario|regime)\b"
)
_WOULD_DO = patterns.compile(
    r"\b(?:would|will|could|might|does|do)\b[^.?!;]{0,60}?\b(?:do|fare|hold\s+up|perform|behave"
    r"|cope|survive|lose|drop|fall|suffer|sink|(?:get|be)\s+(?:hurt|hit)|hurt)\b"
    r"|\bhold(?:s|ing)?\s+up\b|\bfar(?:es|ing)\b|\bperform(?:s|ing)\b"
    r"|\b(?:is|are)\s+[^.?!;]{0,40}?\b(?:good|safe|defensive|resilient)\b"
)
"""How stocks would do, asked ("how would KO do", "does JNJ hold up"), or whether they are good
in it ("is KO good in a bear market?", "is KO a safe stock for a bear market?", "are KO and PEP
defensive in a bear market?"): the bear case's stress test answers both."""
_IF_A_BEAR_MARKET = patterns.compile(
    r"\b(?:if|when|should|once|say|suppose|supposing|imagine|assume|assuming|in\s+case)\s+"
    r"(?:that\s+)?(?:(?:we|the\s+markets?|markets|stocks|equities)\s+(?:(?:were|are)\s+to\s+"
    r"|ever\s+|do\s+|did\s+|then\s+|now\s+)?(?:hit|hits|enter|enters|entered|go(?:es)?\s+into"
    r"|went\s+into|get|gets|got|see|sees|saw|face|faces|faced|have|has|had|turn(?:s|ed)?\s+into"
    r"|slide(?:s)?\s+into|slid\s+into|fall(?:s)?\s+into|fell\s+into)"
    r"|there(?:'s|\s+is|\s+was|\s+were|\s+comes|\s+came)|we'?re\s+in)\s+"
    r"(?:a|an|another)\s+(?:new\s+|full[\s-]blown\s+|real\s+)?bear(?:ish)?\s+market\b"
    r"|\b(?:if|when|should|once|say|suppose|imagine|assume|assuming)\s+(?:that\s+)?(?:a|another)"
    r"\s+bear\s+market\s+(?:hits|comes|arrives|starts|begins|happens|sets\s+in|is\s+coming)\b"
    r"|\bin\s+(?:case\s+of|the\s+event\s+of)\s+a\s+bear\s+market\b"
)
"""A bear market said as a condition or a supposition ("if we hit a bear market, how badly would
PEP get hurt?", "say we enter a bear market next year - how much could JNJ lose?", "suppose a
bear market hits"): the same as "in a bear market"."""

_CHOOSING = patterns.compile(
    r"^\W*which\b|^\W*what\b(?!\s+(?:do|does|would|will|could|might|happens|if)\b)"
    r"|\b(?:build\w*|weights?|weighting|allocat\w*|suggest\w*|show me|give me"
    r"|hedg\w*|puts?|collars?|options?|spy|versus|vs\.?|against|did|held|fared|performed)\b"
)
"""A question choosing or building what holds up ("what should I buy for a bear market?",
"weights for KO and PEP that hold up in a bear market"; not "what do you think KO would do in a
bear market?"), one about a hedge or a benchmark, or one in the past tense: not the bear case's
stress test of the stocks named."""


_WHICH_OF = patterns.compile(r"^\W*which\s+(?:one\s+)?of\b(?!\s+(?:the|all|our|my)\s)")
"""A stock chosen among those named ("which of KO, PEP and XOM ...", "which one of them"), not
among all ("which of the stocks", "which of my holdings")."""


_WHICH_STOCKS = patterns.compile(
    r"^\W*(?:so\W+|and\W+)?which\s+(?:of\s+(?:the|these|those|our)\s+)?(?:stocks|names|equities"
    r"|shares|tickers)\b"
)
"""Stocks chosen among all of the universe ("which stocks are good in a bear market?", "which of
the stocks would hold up best?"): each stock of it held alone, ranked."""
_GOOD_OR_BEST = patterns.compile(
    r"\b(?:good|safe|safest|defensive|resilient|better|best|least|worse|worst)\b"
)


_WHAT_TO_HOLD = patterns.compile(
    r"^\W*(?:so\W+|and\W+|ok(?:ay)?\W+)?(?:(?:of|among|from)\s+[^?!.;]{1,120}?,\s*)?"
    r"(?:what|which)\s+(?:stocks?\s+|names?\s+|shares\s+"
    r"|equities\s+)?(?:should|would|could|can|do|must)\s+(?:i|we|you)\s+(?:buy|hold|own|pick"
    r"|choose|add|keep|favou?r|be\s+in|get\s+into)\b"
    r"|\b(?:good|best|safe|safest|defensive)\s+(?:stocks|names|shares|equities|picks)\s+(?:for"
    r"|in|during|to\s+(?:hold|own|buy))\b"
)
"""Advice asked on what to hold ("what should I buy for a bear market?", "what would you hold if
a recession is coming?", "best stocks for a bear market"): answered by each stock's own bear
case, ranked, as "which stocks are good in a bear market?" is."""
_A_DOWNTURN = patterns.compile(
    r"\b(?:in|during|through|for|before)\s+(?:a|an|another|the\s+next)\s+(?:recession|downturn"
    r"|slump)\b|\b(?:if|when|once|in\s+case)\s+(?:a|another|the\s+next)\s+(?:recession"
    r"|downturn|slump)\s+(?:is\s+coming|comes|hits|arrives|starts|begins|happens)\b"
)
"""A recession or a downturn said in the singular: the bear case when advice is asked."""


def downturn_as_bear(low: str) -> str:
    """`low` with a recession or a downturn said in the singular read as a bear market when it
    asks what to hold ("what would you hold if a recession is coming?"); otherwise `low`."""
    if not _WHAT_TO_HOLD.search(low):
        return low
    return _A_DOWNTURN.sub(" in a bear market ", low)


def stocks_chosen(low: str) -> bool:
    """Whether the message chooses among the universe's stocks by how each would do in a bear
    market ("which stocks are good in a bear market?", "which of the stocks would hold up best
    in a bear market?", "which names would lose least in a bear market?") or asks what to hold
    for one (`_WHAT_TO_HOLD`: "what should I buy for a bear market?", "what would you hold if a
    recession is coming?"); not beside a search, a measure, the index or a window
    (`_ELSEWHERE`: "which stocks have the lowest volatility in a bear market?" is the
    measure's)."""
    low = _IF_A_BEAR_MARKET.sub(" in a bear market ", downturn_as_bear(low))
    if _ELSEWHERE.search(_HISTORY_SINCE.sub(" ", low)):
        return False
    if _WHAT_TO_HOLD.search(low):
        return bool(_A_BEAR_MARKET.search(low))
    return bool(
        _WHICH_STOCKS.search(low)
        and _A_BEAR_MARKET.search(low)
        and (_WOULD_DO.search(low) or _GOOD_OR_BEST.search(low))
    )


def bear_market_asked(low: str) -> bool:
    """Whether the message asks how stocks or a portfolio would do in a bear market said in the
    singular ("how would KO do in a bear market?", "how does JNJ hold up in a bear market?", "if
    we hit a bear market, how badly would PEP get hurt?"): the scenario engine's bear case. Not
    in the past tense ("how did KO do in a bear market?"), nor beside a search, a measure, the
    index or a window (`_ELSEWHERE`: "a strategy that holds up in a bear market" is a search)
    other than the history the case is drawn from ("using data since 2015"), nor choosing
    ("what should I buy for a bear market?") other than among the stocks (`stocks_chosen`:
    "which stocks hold up in a bear market?" is each stock's bear case, ranked)."""
    supposed = _IF_A_BEAR_MARKET.sub(" in a bear market ", low)
    if stocks_chosen(supposed):
        return True  # "which stocks are good in a bear market?": each stock's bear case
    choosing = [m[0] for m in _CHOOSING.finditer(low)]  # as said: "what if we hit one" is none
    which = all(word.lstrip(" \t\n\"'(").startswith("which") for word in choosing)
    named = _EITHER.search(low) or _WHICH_OF.search(low)
    if choosing and which and named and _COMPARATIVE.search(low):
        choosing = []  # "which would hold up better in a bear market, KO or PEP?", "which of
        # KO, PEP and XOM would lose least in a bear market?": those named, side by side
    return bool(
        _A_BEAR_MARKET.search(supposed)
        and _WOULD_DO.search(supposed)
        and not _ELSEWHERE.search(_HISTORY_SINCE.sub(" ", supposed))
        and not choosing
    )


_HISTORY_SINCE = patterns.compile(
    r"\b(?:(?:using|with|on|based\s+on|estimated\s+(?:on|from))\s+(?:the\s+)?(?:data|history"
    r"|returns|prices)\s+)?(?:since|from|after)\s+(?:19|20)\d\d\b"
    r"|\bestimated\s+(?:from|since)\s+(?:19|20)\d\d\b"
)
"""The history a simulated bear case is drawn from ("using data since 2015", "estimated from
2010"): a window of the scenarios, not a past episode asked."""


_EPISODE_YEARS = {"gfc_2008": r"\b2008\b", "covid_2020": r"\b2020\b", "rates_2022": r"\b2022\b"}
_EPISODES_OR_YEARS = {
    key: patterns.compile(f"{words}|{_EPISODE_YEARS[key]}") for key, words in EPISODE_WORDS.items()
}
"""How each episode is said, or its year alone."""


def episodes_named(low: str, stress: bool) -> tuple[str, ...]:
    """The episodes named ("the 2008 crisis", "covid", "the 2022 rate shock"; in a stress
    question, or beside an episode named, a bare year too: "stress it through 2008", "in the
    2020 covid selloff and 2022")."""
    if _ALL_EPISODES.search(low) or past_downturns_asked(low):
        return tuple(_EPISODES)
    named = read_mentioned(_EPISODES, low)
    if not (stress or named):
        return ()
    return read_mentioned(_EPISODES_OR_YEARS, low)


STRESS = patterns.compile(
    r"\bstress(?:[\s-]?test\w*)?\b|\bwhat (?:would|will|could|happens|if)\b(?!"
    r"[^.?!]*\bhave\s+(?:returned|made|earned|gained|yielded|grown)\b"
    rf"|\s+{SUPPOSED_HOLDER})"
    r"|\bwhat'?s the (?:impact|hit)"
    r"|\bwhat (?:does|do|did)\b.*\bdo to\b|\bin (?:dollars|\$|usd|money|cash)\b"
    r"|\bhow (?:would|will) (?:it|my|the|this|that|our)\b.*\b(?:do|fare|hold up|perform|survive)"
    r"|\bhow much (?:would|could|will|do) (?:i|we|it)\b(?! have\b).*\blos[es]\b|\bimpact of\b"
    r"|\bshock\b"
    r"|\bif (?:the )?(?:market|s&p|index)\b|\breplay\w*\b"
)
BEAR_CASE = patterns.compile(
    r"\bbear(?:ish)?\s+(?:case|scenario|market|regime)s?\b|\bin (?:a |the )?bear\b"
)


_COMPARATIVE = patterns.compile(
    r"\b(?:better|worse|best|worst|less|least"
    r"|(?:lose|fall|drop|suffer|gain|rise|make|earn)s?\s+(?:more|most))\b"
)
"""A comparative ("hold up better", "lose more"): stocks side by side when "or" is between two
of them (`_EITHER`: "would AAPL or KO hold up better") or they are chosen between
(`_BETWEEN`), not "a 30% drop or worse"."""
_SIDE_BY_SIDE = patterns.compile(
    r"\bcompare\b(?!\s+(?:it|them|this|that)?\s*(?:with|to|against)\s+the\s+(?:market|index|s&p))"
    r"|\bcomparing\b|\bvs\.?(?!\w)|\bversus\b|\bside[\s-]by[\s-]side\b"
    r"|\beach\s+(?:stock|name|one|of them|of the (?:stocks|names))\b"
    r"|\bcompared\s+(?:with|to)\b(?!\s+the\s+(?:market|index|s&p))"
    r"|\b(?:each|both)\s+(?:do|did|does|fared?|held up|hold up|perform\w*)\b"
)
"""Words setting the stocks of a stress question side by side ("compare how AAPL and KO would
do", "AAPL vs KO", "each stock", "how did KO hold up compared with PEP", "how did KO and PEP
each do"), not the stocks against the market ("compare it with the S&P")."""
_EITHER = patterns.compile(r"\$?\b([a-z][a-z.&-]{0,20}),?\s+or\s+\$?([a-z][a-z.&-]{0,20})\b")
_AGAINST = patterns.compile(r"\bagainst\s+((?:\S+\s*){1,3})")
_BETWEEN = patterns.compile(r"\bbetween\s+(\S+(?:\s+\S+)?)\s+and\s+(\S+(?:\s+\S+)?)")
"""Two stocks chosen between ("between Exxon and Chevron, who'd come through better?")."""
_WHICH = patterns.compile(
    r"\bwhich\b(?!\s+(?:portfolio|allocation|mix|basket|weights?|weighting)\b)"
)
"""A stock chosen among those named ("which of KO, PEP and XOM held up best", "which one would
lose least"): side by side with a comparative, not a portfolio chosen."""
_HELD_TOGETHER = patterns.compile(
    r"\b(?:my|our|the|this|that|a)\s+(?:portfolio|allocation|holdings|mix|basket|book)\b"
    r"|\bportfolio of\b|\btogether\b|\bequal[\s-]weights?\b"
)
"""Words making the stocks one portfolio ("my portfolio of AAPL and MSFT", "held together")."""


def stocks_compared(intent: Intent, low: str) -> bool:
    """Whether a stress question sets the two or more stocks it names side by side, each stock
    stressed on its own ("would AAPL or KO hold up better in a 2008 crash?", "compare how AAPL
    and KO would do in the covid crash", "how would AAPL do against KO in 2008?", "which of KO,
    PEP and XOM would hold up best in a bear market?"), rather than held together; never with
    weights given or a portfolio named."""
    if intent.weights or intent.portfolio_ids:
        return False
    chosen = stocks_chosen(low)
    if not intent.tickers and chosen:
        return True  # "which stocks are good in a bear market?": the universe's, each alone
    if len(intent.tickers) < 2:
        return False
    if _HELD_TOGETHER.search(low):
        return False

    def names(text: str) -> bool:  # a ticker or company, or a ticker that is a word ("T", "LOW")
        first = text.split()[0].strip("$.,;:?!").upper() if text.split() else ""
        return first in intent.tickers or bool(read_tickers(text, intent.tickers))

    choice = [*_EITHER.finditer(low), *_BETWEEN.finditer(low)]
    either = any(names(m[1]) and names(m[2]) for m in choice)
    return bool(
        _SIDE_BY_SIDE.search(low)
        or ((either or _WHICH.search(low)) and _COMPARATIVE.search(low))
        or chosen  # "of KO, PEP and XOM, what should I hold for a bear market?"
        or any(names(m[1]) for m in _AGAINST.finditer(low))  # "do against KO (Coke) in 2008"
        or HEAD_TO_HEAD.search(low)
    )
