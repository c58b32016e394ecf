"""What a follow-up changes of the conversation's latest request, read from its message: "start
in 2018 instead", "over the last 6 months this time", "use min vol instead", "cap at 30%",
"make it monthly", "drop KO", "add PG", "swap XOM for WMT", "drop the most volatile one",
"remove the worst performer", "drop the smallest position".

`read_change(intent)` returns a `Change` (None when the message changes nothing, speaks of a
subject of its own, or asks something else: a search, a deployment, a measure of its own). It
reads the parsed `Intent` (window, method, limits, exclusions, additions) and the text for a
rebalancing cadence and a criterion to drop a name by. Which request it changes, and how, is
`agents.offline.follow_ups`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agents.offline.intent import Intent
from agents.offline.intent.amounts import added_shares, capital_named
from agents.offline.intent.analysis import judged_measure
from agents.offline.intent.estimates import RUN_ID
from agents.offline.intent.hedge import HEDGE_OUTCOME_ASKED
from agents.offline.intent.holdings import holdings_changed
from agents.offline.intent.measures import measures_named
from agents.offline.intent.rankings import HEAD_TO_HEAD
from agents.offline.intent.scanner import fraction
from agents.offline.intent.strategy_terms import lookback_sessions as _lookback
from agents.offline.intent.strategy_terms import stated_leverage as _leverage
from agents.offline.intent.trading_terms import RATE_MOVE, cadence_named
from agents.offline.intent.typos import normalised
from agents.offline.intent.words import ANY_METHOD_PATTERN
from settings import patterns

__all__ = ["FOLLOW_UP_OPENING", "Change", "Criterion", "read_change"]

Measure = Literal["volatility", "return", "weight", "beta", "drawdown"]


@dataclass(frozen=True)
class Criterion:
    """A name to drop chosen by a measure: the one with the `highest` (else the lowest) value
    of `measure`; `words` are how the message said it ("the most volatile")."""

    measure: Measure
    highest: bool
    words: str


@dataclass(frozen=True)
class Change:
    """What a follow-up changes (None / empty: kept as it was): the window (`start`, `end`,
    `last_sessions`), the portfolio `method`, the weight limits (`intent.limits`), the
    rebalancing `cadence`, names `dropped` and `added` (with the weights stated for them,
    `added_weights`: "add 10% JNJ" is JNJ 0.10), a name to drop by a `criterion`, the
    sector or industry terms whose names are dropped (`dropped_groups`: "take the banks out")
    the confidence `level` and the `horizon` (sessions) of a risk measure ("and at 99?", "and
    over 10 days?"), trading costs (`cost_bps`: "same with 20 bps costs"), and a strategy's
    `leverage`, `lookback`, option hedge (`hedge`: the configuration's overlay fields said,
    "and the collar?", "try a 95% put", "and without the hedge?"), volatility target
    (`target_vol`, a fraction: "make the target 15%",
    "try 8% volatility instead"; `percent`, a percentage said alone, is one too for a strategy:
    "what about 10%?", "try 12% instead"; `target_return`, a fraction, the return a portfolio
    is asked to reach: "what about a 20% return?") and the `scenarios` an estimate is asked in
    ("and with 2x leverage?", "what about the bear case?"), the `capital` (currency: "what about $20,000?"), the
    number of stocks a portfolio holds (`holdings`: "what about 8 stocks?"), and the names asked about in place of the request's
    (`subject`: "and for KO?", "same for the banks"), and the measure a comparison is asked to be
    judged on (`judged_on`: "which has the lower CVaR?" after portfolios were compared; `picked`
    when none is named: "which one would you pick?"), and new weights said as a split alone
    (`split`, fractions in the order of the names held: "and if I go 70/30?")."""

    intent: Intent
    start: str | None = None
    end: str | None = None
    last_sessions: int | None = None
    method: str | None = None
    cadence: str | None = None
    dropped: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    added_weights: tuple[tuple[str, float], ...] = ()
    criterion: Criterion | None = None
    dropped_groups: tuple[str, ...] = ()
    level: float | None = None
    horizon: int | None = None
    cost_bps: float | None = None
    leverage: float | None = None
    lookback: int | None = None
    hedge: tuple[tuple[str, float | str], ...] = ()
    target_vol: float | None = None
    percent: float | None = None
    target_return: float | None = None
    capital: float | None = None
    holdings: int | None = None
    scenarios: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    judged_on: str | None = None
    picked: bool = False
    split: tuple[float, ...] = ()

    @property
    def strategy(self) -> bool:
        """Whether it changes a strategy's setting or the scenarios it is asked about."""
        settings = (self.leverage, self.lookback, self.target_vol)
        return any(v is not None for v in settings) or bool(self.scenarios or self.hedge)

    @property
    def window(self) -> bool:
        """Whether it changes the window."""
        return any(v is not None for v in (self.start, self.end, self.last_sessions))

    @property
    def limits(self) -> bool:
        """Whether it states a weight limit (the names it leaves out aside)."""
        ask = self.intent.limits
        return any(
            (ask.max_weight is not None, ask.min_weight is not None, ask.asset_limits,
             ask.sector_limits)
        )  # fmt: skip


_CUE = patterns.compile(
    r"\b(?:instead|rather|now|again|redo|re-?run|rebuild|recompute|re-?do|switch\w*|chang\w*"
    r"|make it|use|try|what about|how about|(?:what )?if (?:i|we|you)|this time|then|same but"
    r"|same thing|but)\b"
    r"|^\s*(?:and|also)\b"
)
"""Words that say a message changes what was asked before."""

_CHANGED_BY = ("unclear", "optimize_portfolio", "market_overview")
"""The readings of a message that a change said in it makes a change of the latest request."""

_HIGH = r"(?:most|highest|biggest|largest|worst|top|deepest|riskiest|heaviest)"
_LOW = r"(?:least|lowest|smallest|best|bottom|lightest|weakest)"
_MEASURE_WORDS: tuple[tuple[str, Measure], ...] = (
    (r"volatile|volatility|vol|risky|riskiest", "volatility"),
    (r"perform\w*|returns?|returning|laggard|loser|winner|gainer", "return"),
    (r"weights?|weighted|positions?|holdings?|allocations?", "weight"),
    (r"betas?", "beta"),
    (r"draw[\s-]?downs?", "drawdown"),
)
_MEASURES = tuple((patterns.compile(rf"\b(?:{words})\b"), m) for words, m in _MEASURE_WORDS)
"""The words of each measure a name may be dropped by."""
_RANKED = patterns.compile(rf"{_HIGH}|{_LOW}|riskiest")
_HIGHEST = patterns.compile(r"\b(?:best|top|highest|biggest|winner|gainer)\b")
_LOWEST = patterns.compile(_LOW)
_CRITERION = patterns.compile(
    r"\b(?:drop|dropping|remove|removing|exclude|excluding|cut|cutting|ditch|lose|kick out"
    r"|take out|taking out|get rid of|leave out|leaving out|without|sell|skip)\s+(?:the\s+)?"
    r"(?:(?:whichever|whatever|which|the one|the name|the stock|one|name|stock)\s+(?:one\s+)?"
    r"(?:has|had|with|is|was|carries|got)\s+(?:the\s+)?)?"
    rf"((?:(?:{_HIGH}|{_LOW})\s+)?[a-z\-]+(?:\s+(?!(?:and|then|redo|rerun|again)\b)[a-z\-]+)?)"
)
"""A name dropped by a criterion: "drop the most volatile", "drop whichever has the lowest
weight"."""


_HIGH_OR_LOW_VOL = patterns.compile(r"\b(?:high|low)[\s-]*vol\w*")
_LEVEL_WORDS = patterns.compile(r"\bc?var\b|expected shortfall|value[\s-]at[\s-]risk|\bnumbers?\b")


def _criterion(low: str) -> Criterion | None:
    """The criterion a name is dropped by ("drop the most volatile one": volatility, highest;
    "remove the worst performer": return, lowest; "the laggard": return, lowest; "the smallest
    position": weight, lowest)."""
    match = _CRITERION.search(low)
    if match is None:
        return None
    words = match.group(1)
    ranked = _RANKED.match(words) is not None
    for pattern, measure in _MEASURES:
        if not pattern.search(words):
            continue
        if measure == "return":
            highest = _HIGHEST.search(words)
            return Criterion(measure, highest is not None, f"the {words}")
        if ranked:
            return Criterion(measure, _LOWEST.match(words) is None, f"the {words}")
    return None


_SUM_ASKED = patterns.compile(
    r"^\W*(?:and\s+|so\s+)?(?:what(?:'d|'s)?|how\s+much)\s+(?:(?:would|will|is|was|does|did|do)\s+)?"
    r"(?:that|it|this|they|those|the\s+(?:costs?|fees|gains?|losses|result|returns?))\b"
    r"[^?.!;]{0,40}?\b(?:on|with|for|of)\s+(?:a\s+)?\$?\d"
)
"""The conversation's latest result asked again as a sum of money ("what would that be on $1m?",
"how much did the costs come to on $1m?"): its request with that capital."""
_QUESTION = patterns.compile(
    r"^(?!(?:what|how)\s+would\s+(?:change|happen|it\s+look)\s+if\b)"  # "... if I dropped KO?"
    r"(?:what|how|which|when|why|where|who)(?:'s|\s+(?:is|was|are|were|did|does|do|would|will"
    r"|has|have|had|much|many|long|big|bad|volatile|risky))\b"
    r"|^which\s+\w+\s+(?:did|had|has|was|were|is|are|fell|rose|gained|lost)\b"
    r"|^(?:did|was|were|has|have|had|is|are)\s+(?:[\w']+\s+){0,4}?(?:f[ae]ll|fallen|drop\w*|down"
    r"|up|gain\w*|lose|lost|rose|risen|beat|outperform\w*|underperform\w*|lag\w*|end(?:ed)?"
    r"|finish\w*)\b(?!.*\bif\b)"
)
"""A question about values ("what was ...", "how did ...", "how volatile ...", "did my portfolio
fall more than 10% in 2022?"); "what about since 2020?", "how about min vol?" and "what would
change if I dropped KO?" are changes."""
_OTHER_ASKS = patterns.compile(
    r"\bcompar\w*|\bvs\.?\b|\bversus\b|\bagainst\b|\bstack\w* up\b|\bside[\s-]by[\s-]side\b"
    r"|\bc?var\b|value[\s-]at[\s-]risk|\bsharpe\b|\bbeta\b|\bcorrelat\w*|\bstress\w*|probabilit\w*"
    r"|\bchances?\b|\bvolatil\w*|\bdraw[\s-]?downs?\b|\bdeploy\w*|\bsearch\w*|\bexplain\w*"
    r"|\bsave\b|\bremember\b|\bforget\b|\bidea\w*|\bresearch\b|\bwhy\b|\bhow much\b"
    r"|\b(?:riskier|safer|more risky|less risky)\b"
)
"""Asks of their own: a message saying one is a new question, not a change."""
_WHICH_ONE = patterns.compile(
    r"^\s*(?:and\s+|so\s+)?which(?:\s+one|\s+of\s+(?:them|the\s+(?:two|three|portfolios)))?\s+"
    r"(?:has|had|gives?|gave|is|was|shows?|carries|comes out with)\b"
)
"""A question about which of the portfolios just compared is better on a measure."""
_PICK = patterns.compile(
    r"^\s*(?:and\s+|so\s+|ok(?:ay)?\W+)?which(?:\s+one|\s+of\s+(?:them|these|those|the\s+(?:two|three"
    r"|portfolios)))?\s+(?:(?:would|should|do|did)\s+(?:you|i|we)\s+(?:pick|choose|go\s+with"
    r"|recommend|prefer|use|take)\b|is\s+(?:the\s+)?(?:better|best)\b)"
)
"""Which of the portfolios just compared to pick, no measure named ("which one would you pick?",
"which is better?"): judged on the Sharpe ratio, said as the choice made (`picked`)."""
FOLLOW_UP_OPENING = patterns.compile(
    r"^\s*(?:(?:ok(?:ay)?|so)\W+)?(?:and|now|also|plus|then|same|what about|how about|try)\b"
)
"""Opening words of a follow-up of the message before ("now with 2x leverage", "try it with 50
trials", "and for KO?", "same for the banks", "ok and PEP")."""
SET_AGAINST = r"(?:versus|vs\.?|against|compared\s+(?:to|with)|relative\s+to)"
"""The words that set a subject against another ("versus", "compared to")."""
_AGAINST_ALONE = patterns.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|so|now|then|what\s+about|how\s+about)\W+)*" + SET_AGAINST + r"\b"
)
"""A follow-up that sets the subject asked before against another ("and versus KO?"): a
comparison asked again (`agents.offline.thread_versus`), not KO asked in its place."""
_NOT_CHANGES = ("deploy", "save_idea", "propose_ideas", "research", "explain", "approve",
                "reject", "smalltalk", "help")  # fmt: skip


_LEVEL = patterns.compile(
    r"^\s*(?:and|what about|how about|now|then|same)?\s*(?:(?:at|@)\s+)?(?:the\s+)?(?:c?var\s+)?"
    r"(?:at\s+)?(\d{2}(?:\.\d+)?)\s*%?\s*(?:confidence|level|c?var)?\s*(?:instead|then|now)?\s*[?.!]*\s*$"
)
"""A follow-up that only names a confidence level ("and at 99?", "cvar 99?", "at 97.5%")."""


def _level(intent: Intent, low: str) -> float | None:
    """The confidence level a follow-up asks a risk measure at (50% to 99.9%), else None."""
    if intent.confidence is not None:
        return intent.confidence
    match = _LEVEL.match(low)
    value = fraction(match.group(1)) if match else None
    return value if value is not None and 0.5 <= value < 1.0 else None


_HORIZON = patterns.compile(
    r"\b(?:over|for|across)\s+(?:a\s+|the\s+next\s+)?(\d{1,3})[\s-]?(days?|sessions?|weeks?)\b"
    r"|(?<![\w.])(\d{1,3})[\s-](day|week)\b(?![\s-]*look)"
)
"""A horizon said in a follow-up ("and over 10 days?", "same but 10-day")."""
_COST = patterns.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s?(?:bps?|basis points?)\b")


_TARGET_VOL = patterns.compile(
    r"(?<![\w.])(\d{1,2}(?:\.\d+)?)\s*%\s*(?:annual(?:i[sz]ed)?\s+)?(?:vol(?:atility)?\b"
    r"|target\b)|\btarget(?:ing|ed)?\s+(?:vol(?:atility)?\s+)?(?:of\s+|at\s+|to\s+)?"
    r"(\d{1,2}(?:\.\d+)?)\s*%"
)
"""A volatility target said in a follow-up of a strategy ("try 8% volatility instead", "make the
target 15%", "now with a 9% target")."""
_TARGET_WORDS = patterns.compile(r"\bvol(?:atility)?\b|\btarget\w*")


_TARGET_RETURN = patterns.compile(
    r"(?<![\w.])(\d{1,2}(?:\.\d+)?)\s*%\s*(?:(?:annual(?:i[sz]ed)?|expected|yearly)\s+)?returns?\b"
    r"|\breturn(?:ing)?\s+(?:of\s+)?(?:at\s+least\s+)?(\d{1,2}(?:\.\d+)?)\s*%"
)
"""A return a portfolio is asked to reach, said in a follow-up ("what about a 20% return?", "and
a return of 12%?")."""
_RETURN_WORDS = patterns.compile(r"\breturn\w*|\bannual\w*|\bexpected\b|\byearly\b")


_PERCENT_ALONE = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|then)\W+)?(?:what about|how about|try|let'?s (?:try|do|use|go with)"
    r"|what if (?:i|we|you) (?:used|use|tried|try|went with|go with|picked|took|targeted)|use"
    r"|make it|go with)?\s*(?:(?:at|with|a)\s+)?(\d{1,2}(?:\.\d+)?)\s*%\s*(?:instead|then|now"
    r"|this time)?\s*[?.!]*\s*$"
)
"""A percentage said alone as a follow-up ("what about 10%?", "try 12% instead", "what if I used
10% instead?"): after a strategy, its volatility target."""


_SPLIT = patterns.compile(
    r"(?<![\d/.])(\d{1,2}(?:\.\d+)?(?:\s*/\s*\d{1,2}(?:\.\d+)?){1,5})(?![\d/.%])"
)
"""Weights said as a split of percentages alone ("70/30", "50/30/20")."""


def _split(low: str) -> tuple[float, ...]:
    """The fractions of a split said alone that sums to 100% ("70/30": 0.7, 0.3); () for none."""
    found = _SPLIT.findall(low)
    if len(found) != 1:
        return ()
    shares = tuple(float(part) / 100 for part in found[0].split("/"))
    return shares if abs(sum(shares) - 1.0) < 1e-6 and all(shares) else ()


def _percent_alone(low: str) -> float | None:
    match = _PERCENT_ALONE.match(low)
    return None if match is None else fraction(match.group(1))


def _without_targets(change: Change, said: str) -> str:
    """`said` without the words of the targets `change` states ("try 8% volatility", "what
    about a 20% return?": targets, not measures asked)."""
    if change.target_vol is not None:
        said = _TARGET_WORDS.sub(" ", said)
    if change.target_return is not None:
        said = _RETURN_WORDS.sub(" ", said)
    return said


def _target_return(low: str) -> float | None:
    match = _TARGET_RETURN.search(low)
    return None if match is None else fraction(match.group(1) or match.group(2))


def _target_vol(intent: Intent, low: str) -> float | None:
    if intent.target_vol is not None:
        return intent.target_vol
    match = _TARGET_VOL.search(low)
    return None if match is None else fraction(match.group(1) or match.group(2))


def _horizon(intent: Intent, low: str) -> int | None:
    if intent.horizon_days is not None:
        return intent.horizon_days
    if intent.last_sessions is not None or (match := _HORIZON.search(low)) is None:
        return None
    count, unit = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return int(count) * (5 if unit.startswith("week") else 1)


_UNHEDGED = patterns.compile(
    r"\b(?:without|no|drop(?:ping)?|remove|removing|lose)\s+(?:the\s+|a\s+|any\s+|its\s+)?"
    r"(?:hedge|hedging|puts?|put[\s-]spread|collar|protection|overlay|options)\b|\bunhedged\b"
)
"""The hedge taken away in a follow-up ("and without the hedge?", "what if it were unhedged?")."""
_HEDGE_FOLLOW_UP = patterns.compile(
    r"^\W*(?:with(?:out)?|a|an|the|no|unhedged|make\s+(?:that|this)|swap(?:ping)?|go\s+with)\b"
)
"""A follow-up said as the hedge alone ("with a collar?", "a put spread?", "unhedged?", "make
that a collar", "swap to a put spread")."""
_ASKS_MEANING = patterns.compile(
    r"\bwhat(?:'s|\s+is|\s+are|\s+does|\s+do)\b|\bmean(?:s|ing|t)?\b|\bexplain\w*|\bdefin\w*"
)
"""A question what a hedge is ("and what is a collar?"): the glossary's, no change."""


def _hedge(intent: Intent, low: str) -> tuple[tuple[str, float | str], ...]:
    """The overlay fields a follow-up sets ("and the collar?": overlay collar; "try a 95% put":
    overlay put, strike 0.95; "and without the hedge?": overlay none), () when it sets none or
    asks for several (a backtest tests one strategy) or is no follow-up."""
    follow_up = FOLLOW_UP_OPENING.search(low) or _CUE.search(low) or _HEDGE_FOLLOW_UP.search(low)
    if not follow_up or _ASKS_MEANING.search(low):
        return ()
    if _UNHEDGED.search(low):
        return (("overlay", "none"),)
    ask = intent.hedge
    if ask is None or len(ask.kinds) > 1 or len(ask.strikes) > 1 or len(ask.tenors) > 1:
        return ()
    return tuple(ask.config_fields().items())


_NAMES_SET_AGAINST = patterns.compile(r"\b([a-z]{1,5})\s+(?:" + SET_AGAINST + r")\s+([a-z]{1,5})\b")
"""Two names set against each other ("ko vs pep"): in a follow-up that swaps the subject
("and KO vs PEP?" after a correlation), the pair asked about, not a comparison of its own."""


def _other_ask(said: str, subject: Sequence[str]) -> bool:
    """Whether `said` asks something of its own (a comparison, a measure, a search: see
    `_OTHER_ASKS`); two names of the swapped `subject` set against each other are not one."""
    names = {name.lower() for name in subject}
    said = _NAMES_SET_AGAINST.sub(
        lambda pair: f"{pair[1]} {pair[2]}" if {pair[1], pair[2]} <= names else pair[0], said
    )
    return bool(_OTHER_ASKS.search(said) or HEAD_TO_HEAD.search(said))


def read_change(intent: Intent) -> Change | None:
    """The change the message makes to the conversation's latest request (see the module
    docstring), or None."""
    low = normalised(intent.text)
    shares = dict(added_shares(low, intent.tickers)) if intent.adds else {}
    given = intent.weights and not intent.weights.keys() <= shares.keys()  # not "add 5% PFE"
    if intent.intent in _NOT_CHANGES or given or intent.portfolio_ids or RUN_ID.search(low):
        return None  # a portfolio or a search named by its id is a subject of its own
    pick = _PICK.search(low) is not None
    if (pick or _WHICH_ONE.search(low)) and not (
        intent.tickers or intent.sectors or intent.methods
    ):
        judged = judged_measure(intent.text)  # "which has the lower CVaR?": the comparison's
        if judged is None and not pick:
            return None
        return Change(intent=intent, judged_on=judged or "sharpe_ratio", picked=judged is None)
    swaps_subject = bool(intent.tickers) and not intent.adds and bool(FOLLOW_UP_OPENING.search(low))
    swaps_subject = swaps_subject and not _AGAINST_ALONE.search(low)  # "and versus KO?": both
    if intent.all_tickers or (intent.tickers and not intent.adds and not swaps_subject):
        return None
    horizon = _horizon(intent, low)
    hedge_cost = bool(HEDGE_OUTCOME_ASKED.search(low))  # "what would the hedge have cost in 2022?"
    sum_asked = _SUM_ASKED.search(low) is not None and capital_named(low) is not None
    if _QUESTION.search(low) and horizon is None and not hedge_cost and not sum_asked:
        return None  # "what was the worst day in 2020?": a question of its own
    criterion = _criterion(low)
    said = low if criterion is None else low.replace(criterion.words.removeprefix("the "), " ")
    said = _SUM_ASKED.sub(" ", ANY_METHOD_PATTERN.sub(" ", said))  # a method, a sum: no measure
    methods = [m for m in intent.methods if m != "frontier"]
    change = Change(
        intent=intent,
        start=intent.start,
        end=intent.end,
        last_sessions=intent.last_sessions,
        method=methods[0] if len(methods) == 1 else None,
        cadence=cadence_named(low),
        dropped=tuple(intent.limits.excluded),
        added=tuple(intent.tickers) if intent.adds else (),
        added_weights=tuple(shares.items()),
        criterion=criterion,
        dropped_groups=tuple(intent.limits.excluded_sectors),
        level=(level := _level(intent, low)),
        horizon=horizon,
        cost_bps=(
            float(cost.group(1)) if (cost := _COST.search(RATE_MOVE.sub(" ", low))) else None
        ),
        leverage=_leverage(low),
        lookback=_lookback(low),
        hedge=_hedge(intent, low),
        target_vol=(target := _target_vol(intent, low)),
        percent=_percent_alone(low) if target is None and level is None else None,
        target_return=_target_return(low) if target is None and level is None else None,
        capital=capital_named(low),
        holdings=holdings_changed(low),
        scenarios=tuple(intent.scenarios),
        subject=tuple(intent.tickers) if swaps_subject else (),
        split=() if intent.tickers else _split(low),
    )
    changes = any(
        (change.window, change.method, change.cadence, change.limits, change.dropped,
         change.added, change.criterion, change.dropped_groups, change.level, change.horizon,
         change.cost_bps is not None, change.strategy, change.subject,
         change.capital is not None, change.holdings is not None, change.percent is not None,
         change.target_return is not None, change.split)
    )  # fmt: skip
    if change.scenarios:  # "how about high-volatility?" names a scenario, not a measure
        said = _HIGH_OR_LOW_VOL.sub(" ", said)
    if change.level is not None or change.horizon is not None:
        said = _LEVEL_WORDS.sub(" ", said)
    said = _without_targets(change, said)
    other_ask = not hedge_cost and _other_ask(said, intent.tickers if swaps_subject else ())
    if not changes or len(methods) > 1 or other_ask or (measures_named(said) and not hedge_cost):
        return None
    if intent.intent in _CHANGED_BY or _CUE.search(low) or hedge_cost or sum_asked:
        return change  # "what did the hedge cost in 2022?": the hedged backtest, over 2022
    if (change.level is not None or change.horizon is not None) and intent.intent == "risk_report":
        return change  # "cvar 99?": the thread's risk measure at another level
    if change.strategy or change.cost_bps is not None:
        return change  # "and with 2x leverage?", "what about the bear case?": the thread's
    return None
