"""How a deployment is doing, asked in the chat ("how is my deployment doing?", "what are my
deployments?", "how is it doing?" or "did it trade?" right after one was deployed): the chat has
no tool that reads a deployment's runs, orders or positions, so the reply says where they are
(the Deployments page of the web app, `stratigos deploy ...`, `GET /v1/deployments`), naming the
deployments made in this conversation, and runs nothing. Before, another deployment of the same
portfolio was proposed, or the market was read."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import user_text
from agents.offline.policies import PolicyInput, forced_call, reply
from settings import patterns

__all__ = ["deployment_status_route"]

_DEPLOYED = patterns.compile(
    r"^Deployed as (dep_[0-9a-f]+) \((\w+)\) on (?:paper )?account (\S+?)\."
)
"""The answer to a deployment approved in the chat: its id, state and account."""
_STATUS_ASKED = patterns.compile(
    r"\b(?:how(?:'s|\s+is|\s+are|\s+has|\s+have)?|what(?:'s|\s+is|\s+has)?|is|are|did|has)\s+"
    r"(?:(?:my|our|the|that|this|its)\s+)?(?:\w+\s+)?deployments?\b[^?.!]{0,30}?\b(?:doing|going"
    r"|performing|perform(?:ed)?|done|status|traded|trade|running|bought|up to)\b"
    r"|\b(?:what|which)\s+(?:are|were)\s+(?:my|our)\s+deployments\b|\b(?:list|show)(?:\s+me)?\s+"
    r"(?:my|our|all(?:\s+my)?)\s+deployments\b|\bdeployments?\s+status\b"
    r"|\bhow(?:'s|\s+is)\s+dep_[0-9a-f]+",
    re.IGNORECASE,
)
"""A deployment's state or results asked of by name ("how is my deployment doing?", "what are
my deployments?", "did the deployment trade?")."""
_ITS_STATUS = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|great|thanks)\W+)*(?:how(?:'s|\s+is)\s+it\s+(?:doing|going"
    r"|performing)|(?:did|has)\s+it\s+(?:traded?|bought|run|started)(?:\s+(?:yet|anything))*"
    r"|what\s+did\s+it\s+(?:buy|trade)|is\s+it\s+(?:running|live|active|trading))\W*$",
    re.IGNORECASE,
)
"""The same asked of "it" alone, read so only right after a deployment was approved."""
_IN_THIS = "Deployed in this conversation:"
_NO_TOOL = "The chat has no tool that reads"
"""How this answer opens (with deployments of the conversation, or none)."""


def _deployed(inp: PolicyInput) -> list[tuple[str, str, str]]:
    """The deployments approved in this conversation (id, state, account), the latest last."""
    found = []
    for message in inp.messages:
        if isinstance(message, AIMessage) and (said := _DEPLOYED.match(message.text or "")):
            found.append((said[1], said[2], said[3]))
    return found


def _just_deployed(inp: PolicyInput) -> bool:
    """Whether the conversation's latest answer is a deployment approved, or this answer."""
    answers = [m for m in inp.messages if isinstance(m, AIMessage) and (m.text or "").strip()]
    latest = answers[-1].text if answers else ""
    return bool(_DEPLOYED.match(latest) or latest.startswith((_IN_THIS, _NO_TOOL)))


def deployment_status_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's answer to how a deployment is doing (see the module docstring); None for
    any other message."""
    text = user_text(inp).strip()
    if not (_STATUS_ASKED.search(text) or (_ITS_STATUS.match(text) and _just_deployed(inp))):
        return None
    if inp.must_call_tool:
        reason = "a deployment's state asked: where its runs, orders and positions are read"
        return forced_call(inp, {"agent": "supervisor", "reason": reason})
    return reply(_where_to_read(_deployed(inp)))


def _where_to_read(deployed: list[tuple[str, str, str]]) -> str:
    """Where a deployment's runs, orders, positions and performance are read, naming the
    deployments approved in this conversation."""
    tools = (
        f"{_NO_TOOL} a deployment's runs, orders or positions: the Deployments page of the web "
        "app shows them, with its performance against its backtest"
    )
    if not deployed:
        return (
            f"{tools}, for each of your deployments; from the command line, `stratigos deploy "
            "list`, then `stratigos deploy performance dep_...` (against its backtest), `... "
            "positions` and `... orders`; over the API, `GET /v1/deployments`. Nothing was "
            "computed or deployed."
        )
    named = "; ".join(f"{d} ({state}, on account {account})" for d, state, account in deployed)
    latest = deployed[-1][0]
    return (
        f"{_IN_THIS} {named}. {tools}; from the command line, `stratigos "
        f"deploy performance {latest}` (against its backtest), `stratigos deploy positions "
        f"{latest}` and `stratigos deploy orders {latest}`; over the API, `GET "
        f"/v1/deployments/{latest}`. `stratigos deploy list` lists all of yours. Nothing was "
        "computed or deployed."
    )
