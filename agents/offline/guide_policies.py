"""The offline supervisor's answers from Stratigos's documentation (`search_guide`), never acting
on the question: to a question about Stratigos itself (`agents.offline.intent.about`), the
sentences of each of the best sections that speak to it, each with its citation, verbatim
(markdown marks left out; a long one cut, marked "..."); to a question about what a word means
(`agents.offline.intent.concepts`), each word's section of the glossary (docs/glossary.md) in
full, with its citation."""

from __future__ import annotations

import re

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import user_text
from agents.offline.intent.concepts import MOST_TERMS_EXPLAINED
from agents.offline.policies import PolicyInput, reply, tool_call
from agents.research_quotes import best_sentence
from settings import patterns

__all__ = ["GLOSSARY_PAGE", "GUIDE_QUOTES", "glossary_chat", "guide_chat"]

GLOSSARY_PAGE = "docs/glossary.md"
"""The page whose sections say what each word means (`glossary_chat`)."""
GUIDE_QUOTES = 3
"""Sections quoted at most."""
SEARCH_TERMS = (
    (patterns.compile(r"\b(?:price|prices|pricing|data)\s+files?\b|\bown\s+(?:prices|data)\b", re.I),
     "market data file"),
)  # fmt: skip
"""The documentation's words for what a question says in its own ("my own price files" are
market data files): added to the search's query, as any model words a search."""
QUOTE_CHARS = 400
"""The longest quote of one section: a longer one is cut at a word, marked "..."."""

_MARKUP = patterns.compile(r"\*\*|__|`")
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


def _plain(text: str) -> str:
    """A section's text as one line of prose: markdown marks left out, lines joined."""
    return " ".join(_MARKUP.sub("", text).split())


def glossary_chat(inp: PolicyInput, headings: tuple[str, ...], lead: str = "") -> AIMessage:
    """Look up each glossary heading (one documentation search each), then answer with each
    one's section, in the order asked (or say which the glossary lacks), after `lead`."""
    headings, later = headings[:MOST_TERMS_EXPLAINED], headings[MOST_TERMS_EXPLAINED:]
    if "search_guide" not in {call["name"] for call in inp.calls_this_turn()}:
        calls = [tool_call("search_guide", {"query": h, "k": GUIDE_QUOTES}) for h in headings]
        return reply("", *calls)
    sections: dict[str, str] = {}
    for result in inp.results_this_turn():
        if result.name != "search_guide" or result.failure("read the documentation"):
            continue
        for passage in result.data.get("passages") or []:
            if passage.get("page") == GLOSSARY_PAGE and passage.get("heading") in headings:
                heading = str(passage["heading"])
                sections.setdefault(
                    heading, f"{_plain(str(passage['text']))} {passage['citation']}"
                )
    if not sections:
        return reply("I could not read the glossary of Stratigos's documentation.")
    lines = [f"{heading}: {sections[heading]}" for heading in headings if heading in sections]
    if missing := [heading for heading in headings if heading not in sections]:
        lines.append("The glossary has no entry for " + " or ".join(missing) + ".")
    if later:
        lines.append(f"Ask again for the rest ({', '.join(later)}): I explain at most "
                     f"{MOST_TERMS_EXPLAINED} words an answer.")  # fmt: skip
    return reply("\n\n".join([lead, *lines] if lead else lines))
