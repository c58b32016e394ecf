"""Questions that put names in order of a measure: "which stock was most volatile?", "the best
and worst performing stocks of 2021", "top 5 stocks by return", "the three biggest losers of
2022"; how many of either end the question asks to see."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agents.offline.intent.bars import Bar, bar_said
from agents.offline.intent.measures import move_beyond
from agents.offline.intent.words import ANY_METHOD_PATTERN, read_tickers
from settings import patterns

COUNTS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "a dozen": 12, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
COUNT = r"(\d{1,3}|" + "|".join(COUNTS) + r")(?!\d|\s*%|\s*(?:percent|per\s*cent|pct)\b)"
"""A count of names in digits or words ("5", "five"), not a percentage: its group is the count."""
_PERFORMERS = r"perform(?:ing|ers?)|winners?|losers?|gainers?|decliners?|fallers?|laggards?"
_OUTDONE = r"(?:out|under)-?perform(?:ed|s)?|beat(?:s|en)?|lag(?:ged|s)?|trail(?:ed|s)?"
"""Verbs of doing better or worse than another ("which stocks outperformed KO?")."""

WON = r"(?:won|wins|winner|came\s+out\s+(?:ahead|on\s+top))"
"""Doing better said as a contest ("who won?", "which came out ahead?"): the better side."""
_QUESTION = patterns.compile(  # "which stock ...", "rank the banks", "how many stocks beat ..."
    r"\bwhich\b|\brank\w*|\bsorted\b|\bordered\b|\bin order of\b|\bamong\b"
    r"|\bhow many\b(?=[^?.!;]{0,30}\b(?:stocks|names|companies|shares|tickers)\b)"
    r"|\bwhat (?:%|percent(?:age)?|share|fraction|proportion|portion) of\b"
    r"(?=[^?.!;]{0,30}\b(?:stocks|names|companies|shares|tickers)\b)"
    rf"|\bwho (?:{WON}|did (?:better|best|worse|worst))\b"
)
_BEST_STOCK = (
    r"\b(?:best|worst|strongest|weakest)\s+(?:\w+\s+)?(?:stocks?|names?|shares|companies|equities"
    r"|tickers|sectors?|industry|industries)\b"
)
"""The best or worst stock (or sector) asked with no measure ("what was the best stock in
2020?", "the worst sector of 2022"): by its total return."""
_SAFEST = r"safest|calmest|steadiest|least\s+risky|most\s+defensive"
_RISKIEST = r"riskiest|choppiest|most\s+risky|most\s+dangerous"
"""One end of a measure of risk said in words ("the calmest", "the 3 riskiest"): the better or
worse end of each measure of risk."""
ENDS_NAMED = patterns.compile(  # "top 5 stocks", "the 3 worst performers", "biggest losers"
    rf"\b(?:top|bottom|best|worst|highest|lowest)\s+{COUNT}\b"
    rf"|\b{COUNT}\s+(?:(?:stocks|names|companies|shares|equities|tickers)\s+(?:with\s+the\s+)?)?"
    r"(?:best|worst|top|bottom|most|least|highest|lowest)\b"  # "the 3 stocks least correlated"
    r"|\b(?:most|least|highest|lowest)[\s-]+\w+\s+(?:stocks?|names|companies|shares|equities"
    r"|tickers)\b"
    rf"|\b(?:best|worst|top|bottom|strongest|weakest)[\s-]+(?:(?:and|or|&)[\s-]+(?:the[\s-]+)?"
    rf"(?:best|worst|top|bottom|strongest|weakest)[\s-]+)?(?:{_PERFORMERS})\b"
    r"|\b(?:biggest|largest|top|bottom)\s+(?:\w+\s+)?(?:winners?|losers?|gainers?|decliners?"
    r"|fallers?)\b|\bleaders?\b.{0,20}\blaggards?\b|\blaggards\b"
    rf"|\b{COUNT}\s+(?:winners|losers|gainers|decliners|fallers|{_SAFEST}|{_RISKIEST})\b"
    rf"|\b(?:{_SAFEST}|{_RISKIEST})\s+(?:stocks?|names?|shares|companies|equities|tickers"
    r"|sectors?|industry|industries)\b|" + _BEST_STOCK  # "what is the safest sector?"
)
_ACTION = patterns.compile(
    r"\b(?:build|make|create|construct|give me a|(?<!my )(?<!our )(?<!the )(?<!this )portfolios?"
    r"|invest\w*|back[\s-]?test\w*|weight"
    r"|allocat\w*|buy|hold|drop|remove|cut|exclude|add|swap|replace|keep|rebalanc\w*|optimi[sz]e"
    r"|search|strateg(?:y|ies))\b"
)
"""Words that make "the 5 best performers of 2021" a universe to act on, not a question ("my
portfolio" is a subject: "did my portfolio fall more than 10%?")."""


def ranked_question(low: str) -> bool:
    """Whether a lower-cased message asks which name stands out, or for names in order of a
    measure ("which stock ...", "rank ...", "top 5 stocks by return"; not "backtest the 5 best
    performers of 2021" or "invest in the 3 biggest winners"), or the names beyond a bar ("any
    stocks with a beta above 1.2?": `bar_asked`)."""
    if _QUESTION.search(low) or bar_asked(low) is not None:
        return True
    return bool(ENDS_NAMED.search(low)) and not _ACTION.search(low)


_NAMES_ASKED = patterns.compile(
    r"\b(?:which|any|list|show|how many)\b|\b(?:stocks|names|companies|shares|tickers|equities)\b"
    r"|^(?:did|has|have|was|were|is|are|does|do)\b"
)


_UNITS_COUNTED = patterns.compile(
    r"\bhow (?:many|often)\b(?:\s+(?:trading|calendar))?\s+(?:days|sessions|weeks|months|years|times)\b"
)
"""Days or months counted ("how many days was AAPL up?"), not names beyond a bar."""


def bar_asked(low: str) -> Bar | None:
    """The bar a lower-cased question asks which names are beyond ("which stocks fell more than
    30% in 2022?", "any names with a Sharpe ratio above 1?", "did AAPL fall more than 20%?"), or
    None: none said, or said of
    something to act on ("build a portfolio of stocks with volatility under 20%", "search for
    a strategy with a Sharpe above 1": a limit, not a question)."""
    if _ACTION.search(low) or ANY_METHOD_PATTERN.search(low) or not _NAMES_ASKED.search(low):
        return None  # "min vol of the tech names, at least 1% in each": a build
    if move_beyond(low) is not None or _UNITS_COUNTED.search(low):
        return None  # "how many days did AAPL fall more than 3%?": days beyond a move
    return bar_said(low)


_LOSE = r"los(?:e|es|ing)"
_LOSES = r"los(?:e|es)\b(?!\s+(?:the\s+)?least)"
"""A loss that puts the biggest first ("lose the most"; not "lose the least", "without losing")."""
_FELL = r"fell|fall(?:en)?|dropped|lost|declined|sank|slumped|plunged|tumbled|crashed"
"""Words of a fall, which put a ranking by return in order from the biggest fall."""
LOSS_ASKED = patterns.compile(rf"\b{_LOSE}\b")
"""A loss asked of ("which would lose more in 2008, XOM or CVX?"): the total return over the
window named, when one is (`agents.offline.intent.analysis`); without one it is a loss supposed
("which stocks would lose the most if rates rise?"), not a past return."""
MOVED = patterns.compile(
    rf"\b(?:{_FELL}|gained|rose|risen|returned|performed|{WON}"
    r"|(?:did|do|does|done) (?:best|worst|better|worse)|(?:has|have|had) been the (?:best|worst)"
    rf"|{_BEST_STOCK}"
    rf"|{_OUTDONE}|{_PERFORMERS})\b|\b{COUNT}\s+(?:best|worst)\b|\b(?:best|worst)\s+{COUNT}\b"
    rf"|\b(?:top|bottom)\s+{COUNT}(?=\s+(?:in|of|for|since|over|during)\b|\W*$)"
)
"""A move asked about without a measure's name: the total return ("which fell the most", "which
stock won in 2021?", "top 3 in 2020")."""
EVERY_NAME = patterns.compile(
    rf"\b(?:stocks?|names?|shares|companies|equities|tickers|{_PERFORMERS})\b"
    r"|\bthe\s+\w+\s+(?:sectors?|industry|industries)\b"  # "what is the safest sector?"
    r"|\b(?:which|who)(?:\s+(?:one|of\s+them))?\s+(?:had|has|have|was|were|is|are|did|does"
    r"|showed|delivered|gained|rose|fell|dropped|lost|returned|performed|won|came)\b"
    rf"|^\W*(?:(?:and|what about|how about)\s+)?(?:the\s+)?(?:top|bottom|best|worst|highest|lowest)"
    rf"\s+{COUNT}(?=\s+(?:by|in|of|for|since|over|during|\W*$))"
)
"""The stocks asked about, none named: the market data's ("which stock was most volatile",
and "which" or "who" with no noun after it: "which had the highest Sharpe ratio?", "who did
best in 2021?", and an end counted with no noun: "top 3 by return in 2021", "and the bottom
3?")."""
_HIGH_END = patterns.compile(
    rf"\b(?:top|highest)\s+{COUNT}\b|\b{COUNT}\s+(?:top|highest|most)\b"
    rf"|\b{COUNT}\s+biggest\s+(?:winners?|gainers?)\b"
)
_LOW_END = patterns.compile(
    rf"\b(?:bottom|lowest)\s+{COUNT}\b|\b{COUNT}\s+(?:bottom|lowest|least)\b"
    rf"|\b{COUNT}\s+biggest\s+(?:losers?|decliners?|fallers?)\b"
)
_NO_END_BEFORE = r"(?<!top )(?<!bottom )(?<!highest )(?<!lowest )"
"""A count said after no end of its own ("the 4 laggards", not "top 5 winners": the highest)."""
_BEST_END = patterns.compile(
    rf"\bbest\s+{COUNT}\b|\b{COUNT}\s+(?:best|strongest|{_SAFEST})\b"
    rf"|{_NO_END_BEFORE}\b{COUNT}\s+(?:winners|gainers)\b"
)
_WORST_END = patterns.compile(
    rf"\bworst\s+{COUNT}\b|\b{COUNT}\s+(?:worst|weakest|{_RISKIEST})\b"
    rf"|{_NO_END_BEFORE}\b{COUNT}\s+(?:losers|decliners|fallers|laggards)\b"
)
_N_NAMES = patterns.compile(
    rf"\b{COUNT}\s+(?:\w+\s+){{0,2}}(?:stocks?|names?|companies|tickers|shares|equities|sectors?)\b"
)
"""A count of names asked for without its end beside it ("which 3 stocks had the worst ...")."""
_DIRECTIONS = (
    (
        "worst",
        patterns.compile(rf"\b(?:worst|weakest|losers?|lost|{_LOSES}|fell|dropped|deepest)\b"),
    ),
    (
        "best",
        patterns.compile(r"\b(?:best|strongest|winners?)\b|\blos(?:e|es)\s+(?:the\s+)?least\b"),
    ),
    ("lowest", patterns.compile(r"\b(?:lowest|least|smallest|bottom)\b")),
    ("highest", patterns.compile(r"\b(?:highest|most|largest|biggest|top)\b")),
)
_LOW_SIDE = patterns.compile(
    rf"\b(?:losers?|decliners?|fallers?|laggards?|lost|{_LOSES}|fell|dropped|worst|weakest|least"
    r"|lowest|smallest)\b"
)
"""Words that put a "top 5" at the low end when they follow it ("top 5 losers", "top 10 least
volatile stocks")."""
_SAID_OF = patterns.compile(r"\b(?:and|or|but|then)\b|[,&;]")
"""Where what a count is said of ends ("top 5 winners | and top 5 losers")."""
_WORST_ONLY = patterns.compile(
    r"\b(?:worst|weakest|losers?|decliners?|fallers?|laggards?)\b"
    rf"|\b(?:{_FELL}|{_LOSE})\s+(?:the\s+)?(?:most|hardest|furthest|farthest|more)\b"
)
"""Words that ask about the worst alone ("the biggest losers", "which fell the most"; not "which
fell the least", nor "the highest Sharpe ratio when the market fell")."""
_BEST_TOO = patterns.compile(r"\b(?:best|strongest|winners?|gainers?|leaders?|top)\b")


@dataclass(frozen=True)
class Ends:
    """How many names a ranking shows at either end (None: not limited; all None: every name
    in order): `highest` and `lowest` by the measure's value ("top 5", "bottom 3"), `best` and
    `worst` by what is better for the measure ("the 3 worst performers": the 3 lowest returns,
    "the 3 best" by volatility: the 3 lowest); `worst_first` the order from the worst when only
    the worst are asked about ("the biggest losers of 2022")."""

    highest: int | None = None
    lowest: int | None = None
    best: int | None = None
    worst: int | None = None
    worst_first: bool = False
    lowest_first: bool = False
    """Whether only the low end of the measure is asked about, with no count ("which stock was
    the least volatile?"): the order from the lowest."""
    judged: Literal["better", "worse"] | None = None
    """Whether the question asks which is better or worse without a count ("which one is
    better?", "which had the worst drawdown?"): the answer names that end of each measure that
    has a better side."""
    picked: Literal["highest", "lowest"] | None = None
    """The one end of a measure a question asks for, of one name, with no count and no better
    or worse ("which stock had the lowest volatility?", "what was the most volatile stock?"):
    the answer names the name at that end first."""
    bar: Bar | None = None
    """The bar every name is set against ("which stocks fell more than 30%?"): the answer names
    those beyond it, and how many (`agents.offline.intent.bars`)."""


def count_said(match: re.Match[str] | None) -> int | None:
    """The count a match of a pattern with `COUNT` in it says (its first group that matched:
    "5" or "five"), or None (no match, or zero)."""
    if match is None:
        return None
    word = next(g for g in match.groups() if g is not None)
    count = int(word) if word.isdigit() else COUNTS[word]
    return count if count > 0 else None


def ranked_ends(low: str) -> Ends:
    """The ends a lower-cased ranking question limits itself to ("top 5": the 5 highest; "the
    3 worst performers": the 3 worst; "top 3 and bottom 3": both; "which 3 stocks had the
    worst drawdowns": the 3 worst)."""
    ends: dict[str, int | None] = {
        "highest": None,
        "lowest": count_said(_LOW_END.search(low)),
        "best": count_said(_BEST_END.search(low)),
        "worst": count_said(_WORST_END.search(low)),
    }
    for high in _HIGH_END.finditer(low):  # "top 5 winners and top 5 losers"
        said_of = _SAID_OF.split(low[high.end() : high.end() + 40])[0]
        side = _LOW_SIDE.search(said_of)  # "top 5 losers": the low end
        end = "highest" if side is None else "worst"
        if side is not None and side.group(0) in ("least", "lowest", "smallest"):
            end = "lowest"
        ends[end] = ends[end] or count_said(high)
    counted = count_said(_N_NAMES.search(low))
    if counted is not None and not any(ends.values()):
        direction = next((name for name, words in _DIRECTIONS if words.search(low)), None)
        if direction is not None:
            ends[direction] = counted
    worst_first = bool(_WORST_ONLY.search(low)) and not _BEST_TOO.search(low)
    lowest_first = not any(ends.values()) and _only_low_end(low)
    risk_end = None if any(ends.values()) else _risk_end(low)
    lowest_first = lowest_first or risk_end == "better"  # "the calmest": the lowest risk first
    judged = None if any(ends.values()) else judged_asked(low) or risk_end
    picked: Literal["highest", "lowest"] | None = None
    if not (any(ends.values()) or judged or worst_first or _SEVERAL.search(low)):
        picked = "lowest" if lowest_first else "highest" if _only_high_end(low) else None
    return Ends(
        **ends, worst_first=worst_first, lowest_first=lowest_first, judged=judged, picked=picked,
        bar=bar_said(low),
    )  # fmt: skip


_SEVERAL = patterns.compile(
    r"\b(?:stocks|names|companies|shares|equities|tickers|performers|winners|losers|gainers"
    r"|decliners|fallers|laggards)\b|\bin order\b"
    r"|\brank\w*|\bsorted\b|\bordered\b|\bfrom\b.{0,40}\bto\b"
)
"""Words asking for several names, or for all of them in order ("which stocks ...", "rank the
banks", "from the highest to the lowest"), not for one."""


def _only_high_end(low: str) -> bool:
    """Whether a lower-cased question names the high end of a measure and not the low end
    ("the most volatile", "the highest beta")."""
    said = dict(_DIRECTIONS)
    return bool(said["highest"].search(low)) and not said["lowest"].search(low)


def _only_low_end(low: str) -> bool:
    """Whether a lower-cased question names the low end of a measure and not the high end
    ("the least volatile", "the lowest beta"; "at least" is a limit)."""
    said = dict(_DIRECTIONS)
    lowest = [
        m for m in said["lowest"].finditer(low) if not _NOT_AN_END.search(low[: m.start()][-24:])
    ]
    return bool(lowest) and not said["highest"].search(low)


_DAYS_COUNTED = patterns.compile(
    rf"\b{COUNT}\s+(?:best|worst|biggest|largest|weakest|strongest|top)\s+(?:single\s+)?"
    rf"(?:trading\s+)?days\b|\b(?:best|worst|top|bottom)\s+{COUNT}\s+(?:trading\s+)?days\b"
)


def days_counted(low: str) -> int | None:
    """How many best or worst days a lower-cased message asks for ("the 3 best days", "worst
    five trading days"), or None (no count, or one: the best or worst day)."""
    count = count_said(_DAYS_COUNTED.search(low))
    return count if count is not None and count > 1 else None


_MONTHS_COUNTED = patterns.compile(
    rf"\b{COUNT}\s+(?:best|worst|biggest|largest|weakest|strongest|top)\s+(?:calendar\s+)?"
    rf"months\b|\b(?:best|worst|top|bottom)\s+{COUNT}\s+(?:calendar\s+)?months\b"
)


def months_counted(low: str) -> int | None:
    """How many best or worst months a lower-cased message asks for ("the 3 best months",
    "worst five months"), or None (no count, or one: the best or worst month)."""
    count = count_said(_MONTHS_COUNTED.search(low))
    return count if count is not None and count > 1 else None


_NOT_AN_END = patterns.compile(rf"(?:\bat|\b(?:{_FELL}|{_LOSE})(?:\s+the)?)\s+$")
"""What makes a word of the low end no end of a measure when it comes right before it: a limit
("at least") or a fall ("fell the least", "lost least": the best of them)."""


_JUDGED = patterns.compile(
    rf"\b(?:(better|best|stronger|strongest|{WON})"
    r"|(worse|worst|weaker|weakest|loser))\b"
)
"""Which is better or worse asked ("which one is better?", "who won?", "which had the worst
drawdown")."""


_RISK_END = patterns.compile(rf"\b(?:({_SAFEST})|({_RISKIEST}))\b")


def _risk_end(low: str) -> Literal["better", "worse"] | None:
    """The end of the measures of risk one name is asked at ("the calmest one": the better end,
    "the riskiest stock": the worse), or None (none, or both)."""
    sides = {"better" if said.group(1) else "worse" for said in _RISK_END.finditer(low)}
    return ("better" if "better" in sides else "worse") if len(sides) == 1 else None


def judged_asked(low: str) -> Literal["better", "worse"] | None:
    """The end a lower-cased question judges by ("better" or "worse"), or None (none, or both
    asked: "the best and worst performers")."""
    sides: set[Literal["better", "worse"]] = {
        "better" if said.group(1) else "worse" for said in _JUDGED.finditer(low)
    }
    return sides.pop() if len(sides) == 1 else None


_AGAINST = (
    r"(?:did|does)\s+(?:\S+\s+){1,3}?(?:do|perform)\s+(?:(?:in|since|over|during)\s+\w+\s+)?"
    r"(?:against|versus|vs|relative\s+to|compared\s+(?:to|with))"
    r"|(?:done|performed|performs)\s+(?:against|versus|vs|relative\s+to|compared\s+(?:to|with))"
    r"|(?:does|did|do)\s+(?:\S+\s+){1,3}?(?:compare|stack\s+up|measure\s+up)\s+(?:to|with|against)"
    r"|compar\w*\s+(?:\S+\s+){1,3}?(?:to|with|against)\s+the\s+(?:s&p|market|index|spx)"
)
"""How one did set against another ("how did MSFT do against KO?", "how has AAPL performed vs
the index?", "how did it do in 2022 compared with the S&P?", "how does KO stack up against PEP?",
"compare AAPL to the market in 2022"); not how it would ("how would my
portfolio do against a crash?": a stress)."""
COMPARED_AGAINST = patterns.compile(rf"\b(?:{_AGAINST})\b")
"""`_AGAINST`, said (its "against" is not a stress test's)."""
_THAN = patterns.compile(rf"\bthan\b|\b(?:{_OUTDONE}|{_AGAINST})\b")
"""The word "than" ("... did better than KO"), or a verb of doing better or worse ("which
stocks outperformed KO?"), before the stock a ranking is set beside."""
HEAD_TO_HEAD = patterns.compile(
    rf"\b(?:{_OUTDONE}|{_AGAINST})\b|\b(?:do|does|did|done)\s+(?:better|worse)\s+than\b"
)
"""A verb of doing better or worse than another, or of how one did against another, which sets
one stock beside another too ("did AAPL beat KO?", "has XOM done better than CVX?", "how did
MSFT do against the S&P 500?"; not "is AAPL riskier than KO?", whose two stocks are set side by
side on their risk)."""


COMPARED_SAID = patterns.compile(
    r"\bcompar\w*|\bvs\.?\b|\bversus\b|\bagainst\b|\bside[\s-]by[\s-]side\b|\bor\b|\bwhich\b"
)
"""Names set side by side, or one of them asked for ("compare", "vs", "which", "or")."""
RISKIER_SAID = patterns.compile(
    r"\b(?:riskier|riskiest|safer|safest|more risky|less risky|most risky|least risky"
    r"|more dangerous|less dangerous|more defensive|most defensive|calmer|calmest|steadier"
    r"|steadiest|choppier|choppiest|(?:lower|lowest|less|least|higher|highest|more|most)\s+risk"
    r"(?!\s+(?:portfolio|mix|allocation|weights?|tolerance|appetite|budget|parity|contributions?)\b))"
    r"\b|\bhow\s+risky\b(?=[^.?!;]{0,60}?\b(?:compared|relative|vs\.?|versus|against)\b)"
)
"""Names or groups compared by their risk ("which is riskier, tech or staples?", "is AAPL safer
than KO?", "which has the lowest risk, KO or PEP?", "how risky is AMD vs the market?"): their
volatility and deepest drawdown side by side."""
SAFER_WORDS = ("safer", "safest", "less risky", "least risky", "less dangerous", "more defensive",
                "most defensive", "calmer", "calmest", "steadier", "steadiest", "lower risk",
                "lowest risk", "less risk", "least risk")  # fmt: skip
"""The words of `RISKIER_SAID` that ask for the safer side first ("which were safer than KO?")."""


SIDE_BY_SIDE = patterns.compile(r"\bcompar\w*|\bvs\.?(?!\w)|\bversus\b|\bside[\s-]by[\s-]side\b")
"""Names set side by side ("compare AAPL and MSFT since 2019", "KO vs PEP in 2022"): with no
measure named, on `SIDE_BY_SIDE_MEASURES` (and their correlation)."""
SIDE_BY_SIDE_MEASURES = ("return", "volatility", "sharpe_ratio", "drawdown_dates")
"""What names set side by side with no measure named are compared on, and judged on after
("which is better?")."""


_VERSUS = patterns.compile(r"\b(?:vs\.?|versus|compared\s+(?:to|with)|relative\s+to)(?!\w)")
"""Words setting one stock's measure beside another's ("AAPL's return in 2021 vs MSFT")."""


def ranking_pivot(tickers: Sequence[str], low: str, measured: bool = False) -> str | None:
    """The one stock named after "than" that the stocks before it are ranked beside: every
    stock, or a sector's ("which stocks were riskier than KO?", "which tech stocks were riskier
    than KO?"), or two or more named ("were AAPL and MSFT riskier than KO?"); None otherwise
    ("which stock is riskier than KO, AAPL or MSFT?" asks of those three, "is AAPL riskier than
    KO?" sets two side by side), or one named before a verb of doing better or worse ("did AAPL
    beat KO?", "did AAPL do better than KO?") or, when a measure is named (`measured`), before
    "versus" ("what was AAPL's return in 2021 versus MSFT?")."""
    than = _THAN.search(low) or (_VERSUS.search(low) if measured else None)
    if not than:
        return None
    after = [t for t in tickers if t in read_tickers(low[than.end() :], tickers)]  # "coca-cola"
    before = [t for t in tickers if t not in after]
    if len(after) != 1:
        return None
    if len(before) >= 2 or (not before and EVERY_NAME.search(low[: than.start()])):
        return after[0]
    if len(before) == 1 and (HEAD_TO_HEAD.search(low) or measured):  # "did AAPL beat KO?"
        return after[0]
    return None
