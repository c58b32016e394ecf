"""The offline optimizer's draft of a deployment to paper (`DeploymentDraft`) from the chat, and
what a message sent while a deployment waits for approval changes of it.

A draft reads the latest message: the portfolio it names (else the last search's winner), the
capital ("$250k", "1.5 million"), how often to rebalance (the frequency named last: "from weekly
to monthly" is monthly), on the first or last session of the period ("at month end") and the
time of day ("at 10:30", "at 3pm"). While a deployment waits (`WAITING_PROPOSAL:`), a change of
it ("make it monthly", "with $250k instead", "could you rebalance at month end?") starts from the
waiting one and keeps what the message does not change; a change it cannot read ("make it
biweekly", "on fridays") is told what can be changed, and the deployment still waits.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.analysis_routes import deployment_source
from agents.offline.chat_intent import intent_of
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput, forced_call
from agents.offline.proposal_questions import is_question, waiting_proposal
from settings import patterns

LEAST_BARE_CAPITAL = 1_000
"""The least number said without a currency or a unit that is read as capital ("with 250,000";
"at 3" is none); an amount said as money ("$500", "$0") is read whatever it is."""
_MONEY = patterns.compile(
    r"(-\s*)?(\$|\busd\s*)?(-\s*)?\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(k|m|thousand|million|mn|dollars)?\b"
)
_FREQUENCIES = (
    (patterns.compile(r"\bdaily\b|\bevery (?:day|session)\b|\beach (?:day|session)\b"), "session"),
    (patterns.compile(r"\bweekly\b|\bevery week\b|\beach week\b|\bonce a week\b"), "week"),
    (
        patterns.compile(
            r"\bmonthly\b|\bevery month\b|\beach month\b|\bonce a month\b|\bmonth[- ]end\b"
            r"|\b(?:end|start|beginning) of (?:the|each|every) month\b"
            r"|\b(?:first|last) (?:trading )?(?:session|day) of (?:the|each|every) month\b"
        ),
        "month",
    ),
    (
        patterns.compile(
            r"\bquarterly\b|\bevery quarter\b|\beach quarter\b|\bquarter[- ]end\b"
            r"|\b(?:end|start|beginning) of (?:the|each|every) quarter\b|\bevery (?:3|three) months\b"
            r"|\b(?:first|last) (?:trading )?(?:session|day) of (?:the|each|every) quarter\b"
        ),
        "quarter",
    ),
)
"""How often to rebalance, by the words that say it."""
_ON_LAST = patterns.compile(
    r"\blast (?:trading )?(?:session|day)\b|\bend of (?:the|each|every) (?:week|month|quarter)\b"
    r"|\b(?:month|quarter)[- ]end\b"
)
_ON_FIRST = patterns.compile(
    r"\bfirst (?:trading )?(?:session|day)\b"
    r"|\b(?:start|beginning) of (?:the|each|every) (?:week|month|quarter)\b"
)
_AT = patterns.compile(r"\bat (\d{1,2})(?::(\d{2})\s*(am|pm)?|\s*(am|pm))\b")
"""A time of day ("at 10:30", "at 3pm"; "at 3" is none)."""
_OPEN, _CLOSE = "09:30", "16:00"
"""The regular session, New York time: when a rebalance can trade."""
_CHANGE_WORDS = patterns.compile(
    r"^\s*(?:and |so )?(?:how|what) about\b|^\s*(?:can|could|would) (?:we|you|it)\b"
    r"|\b(?:make|change|set|switch|instead|increase|decrease|reduce|raise|lower|use|rather"
    r"|please|let'?s|go|move)\b"
)
"""A change asked for, also as a question ("can we do monthly?", "how about $250k?"); a bare
amount in a question ("how much would it have made with $250k?") is no change."""
_REBALANCE = patterns.compile(r"\brebalanc\w*")
"""Rebalancing said: a change unless asked as a question ("rebalance every 2 weeks"; "does it
rebalance at month end?" asks)."""
_SCHEDULE_WORDS = frozenset({
    "daily", "weekly", "monthly", "quarterly", "session", "sessions", "day", "days", "trading",
    "week", "weeks", "month", "months", "quarter", "quarters", "first", "last", "start",
    "beginning", "end", "each", "every", "once", "am", "pm", "at", "on", "of", "the", "a",
    "rebalance", "rebalanced", "rebalancing", "capital", "dollars", "usd", "k", "m", "thousand",
    "million", "mn", "cash", "money", "with", "instead", "rather", "than", "from", "to",
})  # fmt: skip
"""The words of a message that only changes a deployment's capital or schedule."""
_CHANGE_FILLER = frozenset({
    "make", "it", "change", "set", "switch", "use", "go", "move", "increase", "decrease",
    "reduce", "raise", "lower", "please", "can", "could", "would", "we", "you", "do", "let",
    "lets", "let's", "s", "how", "what", "about", "and", "so", "then", "just", "ok", "okay",
    "that", "this", "be", "should", "is", "does", "it's", "its", "deployment", "to", "for",
    "put", "in", "invest", "trade", "trades",
})  # fmt: skip
"""Words that ask for the change, around what it changes."""
_SCHEDULE_UNREAD = patterns.compile(
    r"(?:bi|semi)[- ]?(?:weekly|monthly|annual\w*)|fortnight\w*|(?:mon|tues|wednes|thurs|fri|satur"
    r"|sun)days?|annual\w*|yearly|hours?|minutes?|noon|midnight|\d+(?:st|nd|rd|th)"
)
"""Schedule words the draft cannot read ("biweekly", "on fridays", "at noon")."""
_WORD = patterns.compile(r"[a-z']+|\d[\d,.:]*")
_NUMBER = patterns.compile(r"\d[\d,.:]*")


def capital_said(text: str) -> float | None:
    """The amount of money named ("$250k", "250,000", "1.5 million", "$500", "$0", "-$5,000"),
    the largest in size if several; a number said bare is money from `LEAST_BARE_CAPITAL` and
    not a year ("since 2015"). An amount no deployment takes ("$0", "-$5,000") is read as said:
    the draft's check refuses it, naming the field."""
    amounts = []
    for before, dollar, after, number, unit in _MONEY.findall(text):
        value = float(number.replace(",", ""))
        marked = bool(dollar or unit)
        if not (marked or "," in number) and (1900 <= value <= 2100 or value < LEAST_BARE_CAPITAL):
            continue  # a year ("since 2015") or a number that is no money ("at 3")
        value *= {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6}.get(unit, 1.0)
        amounts.append(-value if dollar and (before or after) else value)
    return max(amounts, key=abs) if amounts else None


def _frequency(low: str) -> str | None:
    """The rebalancing frequency named last ("from weekly to monthly": month), if any."""
    found = [(m.start(), every) for pattern, every in _FREQUENCIES for m in pattern.finditer(low)]
    return max(found)[1] if found else None


def _time_of_day(low: str) -> str | None:
    """The exchange time named ("at 10:30", "at 3pm": "15:00"), if one within the regular
    session (09:30-16:00 New York time)."""
    match = _AT.search(low)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    half = match.group(3) or match.group(4)
    if half and not 1 <= hour <= 12:
        return None
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    at = f"{hour:02d}:{minute:02d}"
    return at if _OPEN <= at <= _CLOSE and minute < 60 else None


def _schedule_said(low: str) -> dict[str, str]:
    """The schedule fields the lower-case text states (`DeploymentDraft` names)."""
    said: dict[str, str] = {}
    if (every := _frequency(low)) is not None:
        said["every"] = every
    if _ON_LAST.search(low):
        said["on"] = "last"
    elif _ON_FIRST.search(low):
        said["on"] = "first"
    if (at := _time_of_day(low)) is not None:
        said["at"] = at
    return said


def _unknown_words(low: str) -> list[str]:
    """The words of a message that neither change a deployment nor say how (its other
    subject, if any)."""
    known = _SCHEDULE_WORDS | _CHANGE_FILLER
    return [
        word
        for word in _WORD.findall(low)
        if word.strip("'") not in known and not _NUMBER.fullmatch(word)
    ]


def _only_about_the_deployment(low: str) -> bool:
    """Whether a message's words are all about a deployment's capital and schedule, or name a
    schedule the draft cannot read ("make it biweekly")."""
    return all(_SCHEDULE_UNREAD.fullmatch(word) for word in _unknown_words(low))


def asks_schedule(text: str) -> bool:
    """Whether `text` only asks about the waiting deployment's schedule ("is it monthly?",
    "does it rebalance at month end?"), not something else named by the period ("how did it do
    last month?", "the winner's monthly volatility?")."""
    low = text.lower()
    said = _frequency(low) is not None or bool(_ON_LAST.search(low) or _ON_FIRST.search(low))
    if not said or not is_question(low) or _CHANGE_WORDS.search(low):  # "how about monthly?"
        return False
    return not _unknown_words(low)


def asks_deployment_change(intent: Intent) -> bool:
    """Whether a message sent while a deployment waits asks only to change it: a change said
    ("make it monthly", "with $250k instead", "could you rebalance at month end?", "make it
    biweekly") or a capital or schedule stated plainly ("monthly please", "$250k"), in words
    about the deployment's capital and schedule only; a question that only names them ("is it
    monthly?") asks nothing, and a message about anything else ("could you show me the daily
    returns?", "can we cap losses at 5%?") is no change of it."""
    low = intent.text.lower()
    if intent.tickers or intent.all_tickers or intent.methods or intent.portfolio_ids:
        return False
    if not _only_about_the_deployment(low):
        return False
    if _CHANGE_WORDS.search(low) or (_REBALANCE.search(low) and not is_question(low)):
        return True
    stated = capital_said(low) is not None or bool(_schedule_said(low))
    return (stated or bool(_unknown_words(low))) and not is_question(low)


def reads_deployment_change(intent: Intent) -> bool:
    """Whether what a change of a waiting deployment asks can be drafted: a capital or a
    schedule the draft reads, and no schedule it cannot ("biweekly", "on fridays", "at 5pm")."""
    low = intent.text.lower()
    if _unknown_words(low):
        return False
    readable = capital_said(low) is not None or bool(_schedule_said(low))
    return readable and not (_AT.search(low) and _time_of_day(low) is None)


UNREAD_CHANGE = (
    "I did not change the deployment waiting for your approval: I can change its capital "
    '("with $250k") and its schedule: daily, weekly, monthly or quarterly, on the first or last '
    'session of the period ("monthly, at month end"), at a time of day ("at 10:30"). It '
    "still waits: approve it, edit it or reject it."
)
"""The answer to a change of a waiting deployment the draft cannot read."""


def _held_deployment(inp: PolicyInput) -> dict[str, Any] | None:
    """The draft of the deployment waiting for approval (`WAITING_PROPOSAL:`) that the latest
    message changes: what it deploys (unless the message names what to deploy), its capital
    and schedule; None when no deployment waits."""
    held = waiting_proposal(inp)
    if held is None or held.get("kind") != "deployment":
        return None
    request = held.get("request") or {}
    source = request.get("source") or {}
    draft: dict[str, Any] = {}
    if intent_of(inp).intent != "deploy":  # "deploy the winner instead" says what to deploy
        draft = (
            {"source": "portfolio", "portfolio_id": source.get("id")}
            if source.get("kind") == "portfolio"
            else {"source": "last_run"}
        )
    if request.get("capital"):
        draft["capital"] = request["capital"]
    schedule = request.get("schedule") or {}
    draft.update({key: schedule[key] for key in ("every", "on", "at") if schedule.get(key)})
    return draft


def draft_deployment(inp: PolicyInput) -> AIMessage:
    """A `DeploymentDraft` from the latest message (see the module docstring)."""
    intent = intent_of(inp)
    low = intent.text.lower()
    draft = _held_deployment(inp) or {}
    if "source" not in draft:
        draft.update(deployment_source(inp) or {"source": "last_run"})
    if intent.portfolio_ids:
        draft.update(source="portfolio", portfolio_id=intent.portfolio_ids[-1])
    if (capital := capital_said(low)) is not None:
        draft["capital"] = capital
    draft.update(_schedule_said(low))
    what = f"portfolio {draft['portfolio_id']}" if "portfolio_id" in draft else "the last winner"
    draft["summary"] = f"Deploy {what} to a paper account."
    return forced_call(inp, draft)


__all__ = [
    "UNREAD_CHANGE",
    "asks_deployment_change",
    "asks_schedule",
    "capital_said",
    "draft_deployment",
    "reads_deployment_change",
]
