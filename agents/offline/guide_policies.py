"""The offline supervisor's answer to a question about Stratigos itself
(`agents.offline.intent.about`): it searches Stratigos's documentation (`search_guide`) and
quotes, from each of the best sections, the sentences that speak to the question, each with
its citation, verbatim (markdown marks left out; a long one cut, marked "..."); it never acts
on the question."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import user_text
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.research_quotes import best_sentence

__all__ = ["GUIDE_QUOTES", "guide_chat"]

GUIDE_QUOTES = 3
"""Sections quoted at most."""
SEARCH_TERMS = (
    (re.compile(r"\b(?:price|prices|pricing|data)\s+files?\b|\bown\s+(?:prices|data)\b", re.I),
     "market data file"),
)  # fmt: skip
"""The documentation's words for what a question says in its own ("my own price files" are
market data files): added to the search's query, as any model words a search."""
QUOTE_CHARS = 400
"""The longest quote of one section: a longer one is cut at a word, marked "..."."""

_MARKUP = re.compile(r"\*\*|__|`")
"""Markdown emphasis and code marks, left out of a quote (its words are kept)."""


def _cut(quote: str) -> str:
    """`quote`, or its first `QUOTE_CHARS` characters to a word's end and "..."."""
    if len(quote) <= QUOTE_CHARS:
        return quote
    return quote[:QUOTE_CHARS].rsplit(" ", 1)[0] + " ..."


def guide_chat(inp: PolicyInput) -> AIMessage:
    """Search the documentation with the user's question, then answer with what the best
    sections say (or that the documentation does not say)."""
    question = user_text(inp)
    if "search_guide" not in {call["name"] for call in inp.calls_this_turn()}:
        extra = [words for pattern, words in SEARCH_TERMS if pattern.search(question)]
        query = " ".join([question, *extra])[:500]
        return reply("", tool_call("search_guide", {"query": query, "k": GUIDE_QUOTES}))
    found = next((r for r in inp.results_this_turn() if r.name == "search_guide"), None)
    if found is None or (failed := found.failure("read the documentation")) is not None:
        return reply(failed or "I could not read the documentation.")
    passages = found.data.get("passages") or []
    if not passages:
        return reply(
            "Stratigos's documentation does not speak to that. Nothing was changed or computed."
        )
    quotes = [
        f'"{_cut(_MARKUP.sub("", best_sentence(str(p["text"]), question)))}" {p["citation"]}'
        for p in passages[:GUIDE_QUOTES]
    ]
    return reply(
        "From Stratigos's documentation: " + "; ".join(quotes) + ". Nothing was changed or "
        "computed: ask for it when you want it done."
    )
