"""Which intent a message has: cue phrases scored per intent, confirmations and refusals,
greetings, help."""

from __future__ import annotations

import re
from typing import Any

from agents.approval_words import decision_said
from agents.offline.intent.dates import HAD_HELD
from agents.offline.intent.episodes import EPISODE_WORDS
from agents.offline.intent.estimates import asks_estimate
from agents.offline.intent.held import HELD_NAMED
from agents.offline.intent.measures import CONTRIBUTIONS_ASKED, TURNOVER_ASKED
from agents.offline.intent.names import IntentName
from agents.offline.intent.rankings import bar_asked
from agents.offline.intent.regime_asked import TIMING_ASKED, regime_question
from agents.offline.intent.scanner import Scanner
from agents.offline.intent.stress_reading import (
    bear_market_asked,
    market_move_named,
    past_downturns_asked,
)
from agents.offline.intent.trading_terms import (
    cadence_named,
    cadences_asked,
    cost_bps,
    rate_rise_supposed,
)
from settings import patterns

PORTFOLIO_ID = patterns.compile(r"\bpf_(?:[0-9a-f]{28}|[0-9a-f]{6})\b")


RISK_ASK = patterns.compile(
    r"\bc?var\b|value at risk|expected shortfall|\bdrawdown|\brisk report\b"
)


EQUAL_WEIGHT = patterns.compile(
    r"\bequal(?:ly)?[\s-]*weight\w*|\b1\s*/\s*n\b|\bnaive portfolio\b|\bew\b"  # "EW": not a ticker
)


REVISION = patterns.compile(
    r"\binstead\b|\brather\b|\bswitch (?:to|it|over)\b|\bchange (?:it |that |this |the \w+ )?to\b"
    r"|\bmake it\b|\bactually\b|\buse \w+(?: \w+)? now\b"
)


_GREETING = patterns.compile(
    r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you|cheers|"
    r"how are you|nice|great|cool|bye|goodbye)\b"
)


_HELP = patterns.compile(
    r"\bhelp\b|what can you do|what do you do|how do i\b|how does (?:this|it) work|\bcommands?\b"
    r"|\busage\b|\bcapabilit\w*|what (?:can|should) i ask"
)
_DID_IT_HELP = patterns.compile(
    r"\b(?:did|does|would|will|has|have|had)\s+(?!you\b|u\b)(?:[\w'-]+\s+){1,3}help(?:ed)?\b"
    r"(?!\s+(?:me|us)\b)"
)
"""Whether something helped ("did the put help in 2020?", "would a collar have helped?"): a
question about it, not an ask for help."""


_HOUSE = r"(?:the |our )?(?:house|desk|team|firm|analysts?|strategists?)"
"""Who holds a view in the owner's research ("the desk", "our analysts")."""

_CUE_TEXTS: dict[IntentName, list[tuple[str, float]]] = {
    "research": [
        (
            r"\b(?:my|our|the uploaded) (?:own )?(?:research|documents?|docs|notes|memos?"
            r"|files?|reports?|uploads?|spreadsheets?|pdfs?|broker notes?|library)\b",
            6.0,
        ),
        (
            r"\b(?:my|our|the house'?s?|house|the firm'?s?|the desk'?s?|in-house) (?:own )?"
            r"(?:(?!portfolios?\b|allocations?\b|strateg|holdings?\b|weights?\b)[\w-]+ ){0,2}?(?:views?|takes?|thesis|outlooks?|forecasts?|calls?|stance|opinions?"
            r"|recommendations?|ratings?|price targets?|expectations?|expected returns?"
            r"|targets?(?!\s+(?:weights?|allocations?|mix|portfolios?)\b))\b"
            r"|\b(?:are|do) we (?:\w+ )?(?:over|under)[\s-]?weight\b|\bwe(?:'re| are) "
            r"(?:over|under)[\s-]?weight\b"
            r"|\bwhat (?:do|did|does) (?:we|our (?:team|desk|analysts?|strategists?)) "
            r"(?:think|say|expect|make)\b|\bhow do (?:we|you) (?:see|rate|feel)\b"
            rf"|\b(?:do|does|did) (?:we|{_HOUSE}) (?:still )?(?:expect|forecast|project)\b"
            rf"|\b(?:are|is) (?:we|{_HOUSE})(?: \w+)? (?:bullish|bearish|positive|negative"
            r"|constructive|cautious|optimistic|pessimistic|overweight|underweight)\b"
            rf"|\bdo (?:we|you|{_HOUSE}) (?:still )?(?:like|favou?r|prefer|rate|recommend)\b"
            rf"|\bwhere (?:do|does) (?:we|you|{_HOUSE}) (?:see|stand)\b"
            rf"|\b(?:thoughts?|views?|takes?|stance|opinions?) from {_HOUSE}"
            r"|\bbullish or bearish\b|\bbearish or bullish\b"
            r"|\b(?:is|are) [\w&.-]+(?: [\w&.-]+)? (?:an? )?(?:over|under)[\s-]?weight(?:ed)?\b"
            r"|\b(?:over|under)[\s-]?weight(?:ed)? (?:in|on) (?:our|the house'?s?|the desk'?s?) "
            r"(?:book|model|portfolio|view|list)s?\b",
            4.5,  # below a build or a backtest that names them ("a backtest of our view on XOM")
        ),
        (r"\bresearch\b|\baccording to\b|\bcit(?:e|ation)s?\b", 2.0),
        (r"(?<!volatility )(?<!vol )(?<!risk )\b(?:forecasts?|outlooks?)\b", 2.5),
    ],
    "save_idea": [
        (
            r"\bsave\b.*\bas (?:an? )?(?:investment )?idea\b|\bsave (?:an? |the )?(?:investment )?idea\b"
            r"|\b(?:keep|record|store|note) (?:that|this|it) as (?:an? )?(?:investment )?idea\b",
            9.0,
        ),
    ],
    "propose_ideas": [
        (r"\b(?:investment|trade|trading|portfolio) ideas\b|\bideas\b", 5.0),
        (r"\b(?:give|propose|suggest|pitch|come up with|generate)\b.*\bideas?\b", 3.0),
    ],
    "deploy": [
        (
            r"\bdeploy\w*|\bpaper[\s-]?trad\w*|\bpaper account\b|\bto paper\b|\bon paper\b"
            r"|\bput (?:it|that|this|the winner) to work\b|\bgo live\b",
            6.0,
        ),
    ],
    "search_strategy": [
        (
            r"\bhyper[\s-]?param\w*|\btun(?:e|ing)\b|\bsweep\b|grid search|random search|\btpe\b"
            r"|\boptuna\b|\bcalibrat\w*",
            3.0,
        ),
        (r"\bsearch\b", 2.0),
        (r"\btrials?\b", 3.0),
        (r"\bsettings?\b|\bparameters?\b|\bparams\b|\bconfig(?:uration)?s?\b", 1.5),
        (
            r"\b(?:find|identify|pick|choose|look for)\b.*\b(?:best|optimal|robust|right|ideal)\b",
            1.0,
        ),
        (r"\bholds? up\b|\brobust\w*\b", 1.0),
        (r"\bstrateg(?:y|ies)\b", 1.0),
        (
            r"\b(?:find|look for|search(?: for)?|suggest|recommend)\b(?:\s+\w+){0,3}\s+"
            r"strateg(?:y|ies)\b",
            3.0,
        ),
        (r"\bweight\w*\s+(?:the\s+)?[\w-]+(?:\s+vol\w*)?\s+(?:scenario|case)s?\b", 1.5),
        (
            r"\boptimi[sz]\w*\s+(?:(?:the|my|our|a|an)\s+)?(?:(?:vol(?:atility)?[\s-]*target\w*|target[\s-]*vol\w*|allocation)\s+)?"
            r"(?:strateg(?:y|ies)|parameters|settings|allocation rule)",
            3.0,
        ),
    ],
    "backtest": [
        (r"\bback[\s-]?test\w*", 5.0),
        (
            r"\bhow (?:would|did|does) .*\b(?:perform\w*|do|done|fare\w*)\b|historical(?:ly)? "
            r"performance|track record",
            2.0,
        ),
        (
            r"\bhow (?:would|might) .*\bhave (?:done|performed|fared|held up|helped|protected)\b",
            2.5,
        ),
        (r"\bwhat would\b[^?.!;]{0,60}?\bhave (?:made|earned|gained|returned)\b", 2.5),
    ],
    "optimize_portfolio": [
        (r"\bportfolios?\b", 1.0),
        (r"\b(?:build|construct|create|make|allocate|allocation|weights?|rebalance|invest)\b", 1.0),
        (r"\boptimi[sz]\w*", 1.0),
    ],
    "risk_report": [
        (
            r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|tail risk|risk report"
            r"|risk contributions?|how risky|risk profile|\brisk metrics\b|\bsortino\b|\bcalmar\b"
            r"|\briskiness\b|\bworst[\s-]case (?:loss|scenario|outcome|drawdown)\b|\bmost i could lose\b"
            r"|\b(?:is|was|are|were)\b[^.?!;,]*\btoo risky\b|\b(?:is|was|are|were) (?:it"
            r"|this|that|they|(?:this|that|my|our|the) (?:portfolio|allocation|mix|book|holdings))"
            r"(?: (?:very|so|really|quite))? risky\b",
            3.0,
        ),
        (r"\bdrawdowns?\b", 1.5),
        (r"\brisk\b(?![\s-]adjusted)", 0.5),  # "risk-adjusted returns": a Sharpe ratio
        (  # "how much could I lose in a day (a bad month) on $1m in AAPL?": the VaR and CVaR
            r"\b(?:how much|what)\b[^.?!]{0,40}?\blos(?:e|es|ing)\b[^.?!]{0,40}?\b(?:in|on|over)\s+"
            r"(?:a|one|1|any|a single|a bad)\s+(?:single\s+)?"
            r"(?:trading\s+)?(?:day|session|week|month)\b|\b(?:daily|one[\s-]day|1[\s-]day)\s+loss(?:es)?\b",
            3.0,
        ),
    ],
    "scenarios": [
        (r"\bscenarios?\b", 3.0),
        (r"stress[\s-]?test\w*|monte carlo|\bsimulat\w*|\bwhat if\b", 3.0),
        (r"\bpaths?\b", 1.0),
    ],
    "market_overview": [
        (
            r"\bregimes?\b|\btrend\w*|\bcorrelat\w*|overview|\bstatistics\b|\bstats\b"
            r"|market (?:conditions|state)",
            2.0,
        ),
        (r"\bmarkets?\b", 1.0),
        (r"\bhow (?:is|are|'s) (?:the )?markets?\b", 3.0),
        (TIMING_ASKED.pattern, 3.0),  # "is now a good time to buy tech?": where it stands
        (r"\bs&p(?:\s?500)?\b|\bspx\b|\bthe index\b", 2.0),  # "the S&P's return in 2022"
    ],
    "explain": [
        (
            r"\bexplain\w*|\bwhy\b|how come|\breason\w*|walk me through|what drove|\bjustify|"
            r"rationale|\binterpret\w*",
            3.0,
        ),
    ],
}
BUILD_ASKED = patterns.compile(
    r"\b(?:build|construct|create|make|design|give|get|find|show|want|need)(?: me| us)?"
    r" (?:a|an|one) (?:[\w&-]+ ){0,3}portfolio\b"
    r"|\b(?:what(?:'s| is| would be)|which is|find(?: me)?|show me) the (?:best|optimal|ideal|right)"
    r" (?:[\w&-]+ ){0,2}(?:portfolio|allocation|mix|weights)\b"
)
"""A new portfolio asked for: "give me a portfolio that beats the S&P", "build me a max sharpe
portfolio", "I want a low-risk portfolio", "what's the optimal allocation between AAPL and KO
for 15% volatility?"."""
_CUES: dict[IntentName, list[tuple[re.Pattern[str], float]]] = {
    intent: [(patterns.compile(text), weight) for text, weight in cues]
    for intent, cues in _CUE_TEXTS.items()
}
_CUES["risk_report"].append((CONTRIBUTIONS_ASKED, 3.0))  # "where is my risk coming from?"
_CUES["optimize_portfolio"].append((BUILD_ASKED, 1.0))  # "give me a portfolio that ..."
"""The cues of each intent, compiled."""


_BACKTEST = patterns.compile(
    r"\bback[\s-]?test\w*|\bhow (?:would|might|much would) .*\bhave (?:done|performed|fared|held up"
    r"|helped|protected|saved)\b"
)
"""A backtest names one strategy, even one with options: no search ("how would a 10% put
have done" asks how one strategy did)."""

_PRIORITY: tuple[IntentName, ...] = (
    "save_idea",
    "propose_ideas",
    "deploy",
    "research",
    "search_strategy",
    "backtest",
    "risk_report",
    "optimize_portfolio",
    "scenarios",
    "market_overview",
    "explain",
)


_EPISODE = patterns.compile("|".join(f"(?:{words})" for words in EPISODE_WORDS.values()))
"""A historical episode named ("the 2008 crisis", "covid", "against 2008")."""
_SEARCH_NAMED = patterns.compile(r"\bstrateg(?:y|ies)\b|\bsearch\w*|\btun(?:e|ing)\b|\btrials?\b")
_WEIGHTS_ASKED = patterns.compile(
    r"\bwhat(?:'s| are| would be)?\s+(?:the\s+)?(?:weights|allocation|mix)\b|\bhow (?:should|would"
    r"|do|can) (?:i|we) (?:weight|split|allocate|divide)\b|\bhow much (?:of|in) each\b"
)
"""Weights asked for ("what are the weights if I target 15% volatility with ...?"): a
portfolio built to the target, not a strategy searched."""
_HOW_HELD = patterns.compile(
    r"\brebalanc\w*|\b\d+(?:\.\d+)?\s*(?:bps|basis points?)\b|\btrading costs?\b"
)
"""How given weights are held: a rebalancing cadence or trading costs ("60/40 AAPL KO rebalanced
quarterly with 10bps costs": a backtest of those weights, not a strategy search)."""
_REWEIGHTED = patterns.compile(
    r"\b(?:re-?balanc\w*|re-?optimi[sz]\w*|optimi[sz]\w*|re-?weight\w*)\b"
)
"""Given weights to be set anew, with no cadence or costs said ("rebalance 60% AAPL 40% KO", "how
should I rebalance 50/50 AAPL KO?"): a portfolio built on their stocks, set beside them."""


def _strategy_said(slots: dict[str, Any]) -> bool:
    """Whether a strategy's settings are named beside its rebalancing (a target volatility, a
    weight rule, a hedge, another parameter): how often a strategy rebalances is searched."""
    others = set(slots["parameters"]) - {"rebalance_every", "cost_bps"}
    return bool(others or slots["weight_functions"] or slots["hedge"] is not None) or (
        slots["target_vol"] is not None
    )


_WOULD = patterns.compile(
    r"\b(?:if|would|will|could|might|should|hold(?:s|ing)? up|fare|survive|stress\w*)\b"
)
"""A move asked about as one that may happen ("if the market falls 20%", "would hold up in a
30% drop"), not one that did ("was the S&P down 20% in 2022?")."""
EPISODE_WEIGHT = 2.0
"""What an episode or a market move named adds to the stress test's score when no search is
named: how stocks "hold up" in one ("in the 2008 crisis", "if the market falls 20%"), or how
"robust" they are to it, is a stress test of it (a search's cue, 1.0, names only what a search
would look for); "a strategy that holds up in the 2008 crisis" stays a search."""


_QUESTION = patterns.compile(
    r"^(?:what|what's|whats|how|show|give|compute|calculate|tell|report)\b"
)


def _actionable(slots: dict[str, Any]) -> bool:
    keys = (
        "tickers", "method", "numbers", "percentages", "scenarios", "start", "budget", "weights",
        "last_sessions",
    )  # fmt: skip
    limits = slots["limits"]  # an exclusion is a change: "no MSFT" after a build
    return (
        any(slots[k] for k in keys)
        or bool(slots["risk_limits"])
        or bool(slots["hedge"])
        or bool(limits.excluded or limits.excluded_sectors)
    )


_HELD_PORTFOLIO_QUESTION = patterns.compile(
    r"^(?!.*\b(?:if|would|will|could|might|should|build\w*|construct\w*|create|make|optimi[sz]"
    r"\w*)\b)(?:what|what's|whats|how|did|does|do|has|have|had|was|were|is|are)\b.*"
    + HELD_NAMED.pattern
)
"""A question about how a portfolio held has done ("how volatile has my portfolio been since
2020?", "did my portfolio fall more than 10% in 2022?"): a statistic of it, not a portfolio to
build (with `_STATISTIC_ASKED`)."""
_STATISTIC_ASKED = patterns.compile(
    r"\b(?:volatil\w*|returns?|returned|sharpe|beta|perform\w*|draw[\s-]?downs?|correlat\w*"
    r"|gain(?:ed)?|lost|made|done|did|doing|holding up|held up|f[ae]ll|fallen|drop(?:ped)?"
    r"|down|up|rose|risen)\b"
)


_INDEX_QUESTION = patterns.compile(
    r"^(?!.*\b(?:if|stress\w*|shocks?|crash\w*|strateg\w*|back[\s-]?test\w*|target[\s-]?vol\w*)\b)"
    r"(?:what|how|was|did|has)\b.*\b(?:the (?:stock )?market|s&p(?:\s?500)?|spx|the index)\b"
    r".*\b(?:returns?|perform\w*|do|done|volatil\w*|draw[\s-]?downs?|sharpe|f[ae]ll|gain\w*)\b"
    r"|^(?:what|how|was|did|has)\b.*\b(?:returns?|perform\w*|volatil\w*|draw[\s-]?downs?|sharpe)"
    r"\b.*\b(?:the (?:stock )?market|s&p(?:\s?500)?|spx|the index)\b"
)
"""A question about the index itself ("how did the market do in 2008?", "what's the max
drawdown of the S&P since 2018?"), not one about a strategy, a stress or a what-if."""


_WORDS = patterns.compile(r"[a-z']+")
_CANCEL = patterns.compile(r"\b(?:cancel|abort|reject|scrap)\b")
_NO = patterns.compile(r"(?:no|nope|nah)\b")
_SHARPE = patterns.compile(r"\bsharpe\b")


def classify(scan: Scanner, slots: dict[str, Any]) -> IntentName:
    low = scan.low
    words = _WORDS.findall(low)
    actionable = _actionable(slots) or slots["revision"]
    if words and not actionable:
        if (decision := decision_said(low)) is not None:
            return decision
        if _CANCEL.search(low) or _NO.match(low):
            return "reject"
    if asks_estimate(low, slots):
        return "estimate"  # the strategy model's estimate of a configuration
    scores: dict[IntentName, float] = {}
    for intent, cues in _CUES.items():
        text = scan.free if intent == "risk_report" else low  # limits don't ask for a report
        scores[intent] = sum(weight for pattern, weight in cues if pattern.search(text))
    if slots["method"]:
        scores["optimize_portfolio"] += 3.0
    if slots["budget"]:
        scores["search_strategy"] += 3.0
    if slots["risk_limits"]:
        scores["search_strategy"] += 1.0
    if slots["hedge"] is not None and not _BACKTEST.search(low):
        scores["search_strategy"] += 4.0  # options are searched as strategy parameters
    if slots["weight_functions"] or slots["parameters"] or slots["target_vol"] is not None:
        scores["search_strategy"] += 1.0
    if (
        slots["target_vol"] is not None
        and _WEIGHTS_ASKED.search(low)
        and not _SEARCH_NAMED.search(low)
    ):
        scores["optimize_portfolio"] += 5.0  # "what are the weights if I target 15% vol?"
    if slots["confidence"] is not None:
        scores["risk_report"] += 1.0
    if slots["weights"] and _HOW_HELD.search(low) and not _SEARCH_NAMED.search(low):
        scores["backtest"] += 3.0  # the weights given, held as said: how they did
    if slots["tickers"] and HAD_HELD.search(low) and not _SEARCH_NAMED.search(low):
        scores["backtest"] += 3.0  # "if I'd put money in MSFT in 2017, what would've happened?"
    if slots["weights"] and _REWEIGHTED.search(low) and not (cadence_named(low) or cost_bps(low)):
        scores["optimize_portfolio"] += 5.0  # "rebalance 60% AAPL 40% KO": new weights for them
    if cadences_asked(low) and not (_SEARCH_NAMED.search(low) or _strategy_said(slots)):
        scores["backtest"] += 6.0  # "how often should I rebalance it?": held at each cadence
    if TURNOVER_ASKED.search(low) and _HOW_HELD.search(low) and not _SEARCH_NAMED.search(low):
        scores["backtest"] += 3.0  # "what's the turnover if I rebalance monthly?": held so
    if slots["weights"] and _SHARPE.search(low):
        scores["risk_report"] += 3.0  # the Sharpe ratio of weights given: their risk report
    if scores["risk_report"] >= 1.5 and _QUESTION.match(low):
        scores["risk_report"] += 2.0
    if slots["scenarios"]:
        scores["scenarios"] += 1.0
    if not _SEARCH_NAMED.search(low) and (
        (slots.get("episode") is None and _EPISODE.search(low))  # one read as a window: none
        or (market_move_named(low) is not None and _WOULD.search(low))  # "if it falls 20%"
        or rate_rise_supposed(low) is not None  # "if rates rise 100bps": the 2022 rate shock
        or past_downturns_asked(low)  # "how did KO do in bear markets?": the past ones
        or bear_market_asked(low)  # "how would KO do in a bear market?": the bear case
    ):
        scores["scenarios"] += EPISODE_WEIGHT
    if (
        not slots["method"]
        and _HELD_PORTFOLIO_QUESTION.search(low)
        and _STATISTIC_ASKED.search(low)
    ):
        scores["market_overview"] += 2.0  # "how volatile has my portfolio been?": not a build
    if regime_question(low) is not None:
        scores["market_overview"] += 3.0  # "are we in a bear market?": today's, not a scenario
    if bar_asked(low) is not None and not slots["weights"]:
        scores["market_overview"] += 4.0  # "which stocks had a Sharpe above 1?": not a search
    if not (slots["tickers"] or slots["weights"]) and _INDEX_QUESTION.search(low):
        scores["market_overview"] += 2.0  # "how did the market do in 2008?": not a strategy
    best = max(_PRIORITY, key=lambda name: (scores[name], -_PRIORITY.index(name)))
    if _HELP.search(low) and not _DID_IT_HELP.search(low) and scores[best] < 3.0:
        return "help"
    if scores[best] > 0:
        return best
    if slots["tickers"] or slots["all_tickers"]:
        return "market_overview"
    return "smalltalk" if _GREETING.match(low) else "unclear"
