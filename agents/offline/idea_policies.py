"""The offline model's rules for investment ideas in the chat: "save that as an idea" calls
`save_idea` on what the conversation last built or named, "give me three defensive ideas"
calls `propose_ideas`; both answer with the numbers the tool computed (never their own).

Research passages found earlier in the conversation (results of a `search_research` tool whose
items carry `document_id`, `chunk` and a verbatim `quote`) are passed as the ideas' evidence.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.offline.chat_intent import intent_of, known_tickers, window_args
from agents.offline.intent import parse_intent
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.research_quotes import best_sentence
from settings import patterns

RESEARCH_TOOL = "search_research"
_RESEARCH = patterns.compile(
    r"\b(?:my|our) (?:own )?(?:research|documents?|docs|notes|memos?|reports?)\b"
)
"""The tool whose results hold research passages (see the module docstring)."""

_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a couple of": 2, "a few": 3}
_STYLES = (
    (
        "growth",
        patterns.compile(r"\bgrowth\b|\baggressive\b|\bmomentum\b|\bupside\b|\bhigh[\s-]return"),
    ),
    ("balanced", patterns.compile(r"\bbalanced\b|\bdiversif\w*|\ball[\s-]weather\b")),
    (
        "defensive",
        patterns.compile(
            r"\bdefensive\b|\blow[\s-]vol\w*|\bsafe\w*\b|\bconservative\b|\bcautious\b"
        ),
    ),
)
MAX_PASSAGES = 5
"""Most research passages attached as evidence to one idea."""


def research_evidence(inp: PolicyInput) -> list[dict[str, Any]]:
    """Document passages of the conversation's latest research search, as evidence items: each
    passage's sentence closest to what the user asked then (`best_sentence`), quoted."""
    for result in reversed(inp.tool_results()):
        if result.name != RESEARCH_TOOL or result.is_error or not isinstance(result.data, dict):
            continue
        asked = str(result.data.get("query") or "")
        evidence = []
        for item in result.data.get("passages") or []:
            if not isinstance(item, dict):
                continue
            chunk, text = item.get("ordinal"), item.get("text")
            if item.get("document_id") and isinstance(chunk, int) and isinstance(text, str):
                evidence.append(
                    {
                        "kind": "document_passage",
                        "document_id": item["document_id"],
                        "chunk": chunk,
                        "quote": best_sentence(text, asked),
                    }
                )
        return evidence[:MAX_PASSAGES]
    return []


def _numbers(idea: dict[str, Any]) -> str:
    d = idea.get("definition") or {}
    return (
        f"trailing return {idea['trailing_return']:.1%} a year, volatility "
        f"{idea['volatility']:.1%}, daily 95% CVaR {idea['cvar_95']:.2%}, maximum drawdown "
        f"{idea['max_drawdown']:.1%} (trailing statistics of the last {d.get('lookback_days')} "
        f"daily returns, {d.get('data_start')} to {d.get('data_end')}, not forecasts)"
    )


MAX_THESIS = 1200
"""Longest thesis taken from the conversation's answer (characters)."""


def _portfolio_subject(data: dict[str, Any]) -> dict[str, Any] | None:
    weights = {t: w for t, w in (data.get("weights") or {}).items() if w > 1e-4}
    if not weights:
        return None
    method = str(data.get("method", "optimized")).replace("_", " ")
    shown = sorted(weights, key=lambda t: -weights[t])
    return {
        "title": f"{method} portfolio of {', '.join(shown[:5])}"
        + (f" and {len(shown) - 5} more" if len(shown) > 5 else ""),
        "thesis": (
            f"Saved from the chat: the {method} portfolio {data.get('portfolio_id')} built on "
            f"returns from {data.get('start')} to {data.get('end')}."
        ),
        "tickers": shown,
        "weights": weights,
    }


def _tickers_subject(tickers: list[str], answer: str) -> dict[str, Any]:
    thesis = answer.strip() or f"A basket of {', '.join(tickers)}, equally weighted."
    if len(thesis) > MAX_THESIS:
        thesis = thesis[: MAX_THESIS - 1].rstrip() + "…"
    return {
        "title": f"{', '.join(tickers)} idea",
        "thesis": f"Saved from the chat: {thesis}",
        "tickers": tickers,
    }


def _subject(inp: PolicyInput) -> dict[str, Any] | None:
    """What "that" is, as `save_idea` arguments without the evidence: the tickers the message
    names (with the answer it follows as the thesis); else the latest of the portfolio built last
    in the conversation and the tickers an earlier message named (with the answer it got as the
    thesis, e.g. what the research said)."""
    known = known_tickers()
    intent = intent_of(inp)
    messages = list(inp.messages)
    while messages and not isinstance(messages[-1], HumanMessage):
        messages.pop()  # this turn's own calls
    if intent.tickers:  # the thesis is the answer the message follows, if any
        previous = next(
            (m.text for m in reversed(messages[:-1]) if isinstance(m, AIMessage) and m.text), ""
        )
        return _tickers_subject(intent.universe(known), previous)
    answer = ""
    for message in reversed(messages[:-1]):
        if isinstance(message, ToolMessage) and message.name == "optimize_portfolio":
            try:
                data = json.loads(message.text)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and (subject := _portfolio_subject(data)):
                return subject
        elif isinstance(message, AIMessage) and not message.tool_calls and message.text:
            answer = message.text
        elif isinstance(message, HumanMessage):
            named = parse_intent(message.text, known).universe(known)
            if parse_intent(message.text, known).tickers:
                return _tickers_subject(named, answer)
    return None


def _call_with_evidence(
    tool: str, args: dict[str, Any], evidence: list[dict[str, Any]]
) -> AIMessage:
    """A call of `tool` with `args`, and the research `evidence` when there is any."""
    return reply("", tool_call(tool, {**args, "evidence": evidence} if evidence else args))


def save_idea_chat(inp: PolicyInput) -> AIMessage:
    """Call `save_idea` on what the conversation last built or named, then report it."""
    done = [r for r in inp.results_this_turn() if r.name == "save_idea"]
    if not done:
        subject = _subject(inp)
        if subject is None:
            return reply(
                "What should I save as an idea? Build a portfolio first (for example 'an HRP "
                "portfolio of AAPL, MSFT and JNJ') or name the tickers ('save KO and PG as an "
                "idea'). Nothing was saved."
            )
        return _call_with_evidence("save_idea", subject, research_evidence(inp))
    failed = done[-1].failure("save that idea")
    if failed is not None:
        return reply(f"{failed}. Nothing was saved.")
    idea = done[-1].data
    attached = idea.get("evidence") or 0
    return reply(
        f'Saved idea {idea["idea_id"]} "{idea["title"]}" ({idea["direction"]}, '
        f"{idea['horizon_days']} trading days), status {idea['status']}: {_numbers(idea)}."
        + (
            f" {attached} research passage(s) attached as evidence: the research's own views "
            "and forecasts, quoted."
            if attached
            else ""
        )
    )


def _mentions_research(inp: PolicyInput) -> bool:
    """Whether the message asks to use the user's research ("given my research", "from my
    notes")."""
    return bool(_RESEARCH.search(intent_of(inp).text.lower()))


_COUNT = patterns.compile(
    r"\b(\d+|one|two|three|four|five|a couple of|a few)\b(?:\s+\w+){0,3}\s+ideas\b"
)


def _count(text: str) -> int:
    match = _COUNT.search(text)
    if match is None:
        return 3
    word = match.group(1)
    return max(1, min(5, int(word) if word.isdigit() else _COUNTS[word]))


def propose_ideas_chat(inp: PolicyInput) -> AIMessage:
    """Call `propose_ideas` with the count, style, universe and range the message asks for
    (and the conversation's research passages as evidence), then list the ideas saved."""
    done = [r for r in inp.results_this_turn() if r.name == "propose_ideas"]
    searched = any(c["name"] == RESEARCH_TOOL for c in inp.calls_this_turn())
    if not done and not searched and RESEARCH_TOOL in inp.tool_names and _mentions_research(inp):
        return reply("", tool_call(RESEARCH_TOOL, {"query": intent_of(inp).text, "k": 5}))
    evidence = research_evidence(inp)
    if not done:
        intent = intent_of(inp)
        low = intent.text.lower()
        style = next((name for name, cue in _STYLES if cue.search(low)), "defensive")
        args: dict[str, Any] = {**window_args(intent), "count": _count(low), "style": style}
        universe = args.get("universe") or []
        if universe:
            args["basket_size"] = max(2, min(4, len(universe) - 1))
        return _call_with_evidence("propose_ideas", args, evidence)
    failed = done[-1].failure("propose ideas")
    if failed is not None:
        return reply(f"{failed}. Nothing was saved.")
    data = done[-1].data
    regime = data.get("regime") or {}
    lines = [
        f"The market is in a {regime.get('return_regime')} return regime with "
        f"{regime.get('volatility_regime')} volatility. I saved {len(data['ideas'])} idea(s) "
        "as proposed:"
    ]
    for n, idea in enumerate(data["ideas"], 1):
        lines.append(f"{n}. {idea['title']} [{idea['idea_id']}]: {_numbers(idea)}.")
    if data.get("note"):
        lines.append(f"Note: {data['note']}.")
    lines.append(
        f"{len(evidence)} research passage(s) attached to each as evidence: the research's own "
        "views and forecasts, quoted."
        if evidence
        else "No research passages were attached: none were found in this conversation."
    )
    return reply(" ".join(lines))
