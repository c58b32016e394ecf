"""A portfolio asked to be saved or named in the chat ("save it as core", "save this portfolio
under the name Staples", "call it Defensive", "save it"): the chat names no portfolio itself, so
the reply says where the conversation's portfolio already is (each portfolio the assistant builds
for a signed-in owner, in the web app or `stratigos chat`, is saved to their portfolios when it is
built: `graphs.chat`) and how to give it the name asked (the web app's Portfolios page, or
`PUT /v1/portfolios/{portfolio_id}`); weights given are created there (`POST /v1/portfolios`).
Nothing runs. Before, such a message was read as a market question, or built another portfolio.
"Save that as an idea" stays the ideas' (`idea_policies`)."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import last_subject, user_text
from agents.offline.policies import PolicyInput, forced_call, reply
from agents.offline.statistic_words import pct
from settings import patterns

__all__ = ["saving_route"]

_SAVE_ASKED = patterns.compile(
    r"^\W*(?:(?:please|pls|ok(?:ay)?|great|nice|cool|thanks|now|and|can\s+you|could\s+you)"
    r"[\s,]+)*(?:(?:save|store|bookmark)\s+(?:it|this|that|them|(?:the|this|that|these|those|my)\s+"
    r"(?:portfolio|one|allocation|book|weights))(?:\s+(?:portfolio|one))?(?:\s+for\s+later)?"
    r"(?:\s+(?:as|under|named|called)\s+(?:the\s+name\s+)?(?P<name>.+?))?"
    r"|(?:name|call|rename)\s+(?:it|this|that|the|my)(?:\s+(?:portfolio|one))?\s+"
    r"(?:as\s+|to\s+)?(?P<called>.+?))\W*$",
    re.IGNORECASE,
)
"""A message that only asks to save or name the conversation's portfolio, with the name when
one is said."""
_IDEA = patterns.compile(r"^(?:an?\s+)?(?:new\s+)?(?:investment\s+)?(?:idea|thesis)\b", re.I)
"""A name that is an idea ("save that as an idea"): the ideas' ask."""


def saving_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's answer to a portfolio asked to be saved or named (see the module
    docstring); None for any other message."""
    asked = _SAVE_ASKED.match(user_text(inp).strip())
    if asked is None:
        return None
    name = (asked["name"] or asked["called"] or "").strip(" \"'\u201c\u201d\u2018\u2019")
    if _IDEA.match(name):
        return None
    if inp.must_call_tool:
        reason = "a portfolio asked to be saved or named: where it is saved and how to name it"
        return forced_call(inp, {"agent": "supervisor", "reason": reason})
    return reply(_saving_answer(inp, name))


def _saving_answer(inp: PolicyInput, name: str) -> str:
    """Where the conversation's portfolio is kept and how to save or name it `name` ("" when no
    name was said)."""
    called = f"call it \u201c{name}\u201d" if name else "give it a name of your own"
    subject = last_subject(inp) or {}
    if subject.get("portfolio_id"):
        return (
            "I cannot name or save a portfolio from the chat myself. When you are signed in (the "
            "web app, or `stratigos chat`), each portfolio I build is saved to your portfolios "
            f"as it is built: {subject['portfolio_id']} is there already, under a name that says "
            f"its method, assets and period. To {called}, open Portfolios in the web app and "
            "edit its name (or `PUT /v1/portfolios/{portfolio_id}` with the new name). Nothing "
            "was saved or renamed."
        )
    if subject.get("weights"):
        weights = sorted(subject["weights"].items(), key=lambda item: -float(item[1]))
        held = ", ".join(f"{ticker} {pct(float(weight))}" for ticker, weight in weights)
        return (
            f"I cannot save a portfolio from the chat myself. To save the weights given ({held}) "
            f"and {called}, open Portfolios in the web app and create it with them (or `POST "
            "/v1/portfolios` with its name and weights, which must add up to 100%). Nothing "
            "was saved."
        )
    return (
        "There is no portfolio in this conversation to save yet: build one first (for example "
        "'an HRP portfolio of AAPL, MSFT and JNJ'); when you are signed in, it is saved to your portfolios as it is "
        "built, and Portfolios in the web app names and edits it. Nothing was saved."
    )
