"""Questions about Stratigos itself, not asks for it to act: "can two strategies share a paper
account?", "what brokers do you support?", "how do hedges work?", "is there a kill switch?",
"does it work with Alpaca?". They are answered from Stratigos's own documentation
(`services.guide`), never turned into an action.

A message is one when it is a question (it starts with a question word or ends with "?"), names
no subject to compute on (no ticker, weights, portfolio id, percentage, sum of money, date or window), asks
no computation of its own (an analysis, a build, a search, a deployment said as "can you ...")
and speaks of a part of Stratigos (`_FEATURES`) or asks how something works.
"""

from __future__ import annotations

from agents.offline.intent import Intent
from agents.offline.intent.amounts import capital_named
from agents.offline.intent.trading_terms import cadences_asked
from settings import patterns

__all__ = ["about_stratigos"]

_QUESTION = patterns.compile(
    r"^(?:can|could|does|do|is|are|how|what|which|where|when|why|will|would|should|may|am)\b"
    r"|\?\s*$|^(?:explain|tell me about|describe how)\b"
)
_ASKS_TO_ACT = patterns.compile(
    r"^(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:build|make|create|run|find|search"
    r"|deploy|backtest|stress|compare|optimi[sz]e|show|give|compute|calculate|get|set up|start"
    r"|stop|pause|resume|save|remember|forget|approve|reject|cancel|drop|add|rebalance|hedge)\b"
)
_FEATURES = patterns.compile(
    r"\b(?:stratigos|accounts?|paper(?: account| trading)?|brokers?|alpaca|deploy(?:ment|ments|ing)?"
    r"|hedg(?:e|es|ing)|overlays?|collars?|kill[\s-]?switch(?:es)?|schedul\w*|forward[\s-]?tests?"
    r"|ledgers?|queues?|netting|netted|mcp|api|web ?ui|ui|cli|command line|models?|bedrock|openai"
    r"|offline model|memor(?:y|ies)|profiles?|ideas?|documents?|research library|evals?"
    r"|evaluations?|uploads?|datasets?|market data|notifications?|alerts?|emails?|webhooks?"
    r"|jobs?|approvals?|approve|fees|slippage|costs?|security|api keys?|login|sign(?:ed)? in"
    r"|cognito|aws|lambda|s3|dynamodb|agents?|supervisor|risk manager|optimizer|explanation"
    r"|search space|trials|strategy model|options?|puts?|shares?|share|sharing|tenants?|owners?"
    r"|credentials?|(?:own |my own )?(?:price|data|csv|parquet) files?|own (?:prices|data)"
    r"|risk limits?|limits?)\b"
)
_RUN_TALK = patterns.compile(
    r"\b(?:last|latest|that|this|the) (?:run|search|winner|result)\b|\bwinners?\b|\bwon\b"
)
_HOW_IT_WORKS = patterns.compile(
    r"\bhow (?:do|does|is|are|can|would)\b.*\b(?:work|works|working|handled|computed|chosen"
    r"|decided|priced|built|made|kept|stored|checked)\b"
)


_RUNS_ON_ITS_OWN = patterns.compile(r"\b(?:deploy\w*|schedul\w*|paper|accounts?|brokers?)\b")
"""Words of Stratigos's running of a portfolio: how often a deployment rebalances is its own."""
_OWN_RECORDS = patterns.compile(
    r"\b(?:my|our) (?:deployments?|accounts?|ideas?|memor(?:y|ies)|profile)\b"
)
"""The owner's own records (deployments, ideas, memories): read elsewhere."""


def about_stratigos(intent: Intent) -> bool:
    """Whether the message is a question about Stratigos itself (see the module docstring)."""
    low = " ".join(intent.text.lower().replace("’", "'").split())
    if not _QUESTION.search(low) or _ASKS_TO_ACT.search(low):
        return False
    subject = (
        intent.tickers or intent.all_tickers or intent.weights or intent.portfolio_ids
        or intent.percentages or intent.start or intent.end or intent.last_sessions
        or intent.unknown_tickers or intent.methods or capital_named(low) is not None
    )  # fmt: skip  # "how much did the costs come to on $1m?": a computation of that sum
    if subject or intent.intent in ("research", "save_idea", "propose_ideas", "estimate"):
        return False
    if cadences_asked(low) and not _RUNS_ON_ITS_OWN.search(low):
        return False  # "how often should I rebalance it with 10 bps costs?": backtested
    if _OWN_RECORDS.search(low):
        return False  # the owner's own: their deployments, ideas, memories are read elsewhere
    if _RUN_TALK.search(low):
        return False  # the last run's: its explanation answers
    return bool(_FEATURES.search(low) or _HOW_IT_WORKS.search(low))
