"""The documentation tool: passages of Stratigos's own documentation (`services.guide`), for the
assistant to answer questions about Stratigos itself from ("can two strategies share a paper
account?", "what brokers do you support?") instead of acting on them.

`search_guide` returns the sections that best answer a question, each with the citation answers
use, ``(docs/<page>, "<heading>")``, and its text. It is bound to no owner and no market data:
the supervisor holds it in every conversation (`graphs.thread_bindings.supervisor_tools`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from services.guide import GuideUnavailableError, search_guide
from tools.tool_factory import make_tool

__all__ = ["GUIDE_TOOL_NAMES", "GuideArgs", "guide_tools", "search_guide_sections"]

GUIDE_TOOL_NAMES = ("search_guide",)
PASSAGE_CHARS = 1500
"""The longest text of a section a result carries (from its passage that best answers the
question on: `services.guide.search_guide`)."""


class GuideArgs(BaseModel):
    """Arguments of `search_guide`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1,
        max_length=500,
        description="The question about Stratigos, in the user's words.",
    )
    k: int = Field(default=3, ge=1, le=5, description="How many sections (1-5).")


def search_guide_sections(args: GuideArgs) -> dict[str, Any]:
    """The documentation's sections that best answer `args.query` (see the module docstring)."""
    try:
        hits = search_guide(args.query, args.k, limit=PASSAGE_CHARS)
    except GuideUnavailableError as exc:
        raise ValueError(str(exc)) from exc
    passages = [
        {
            "citation": hit.section.citation,
            "page": f"docs/{hit.section.page}",
            "heading": hit.section.heading,
            "text": hit.text,
        }
        for hit in hits
    ]
    note = (
        "Answer from these passages only, quoting them with their citations; say what they do "
        "not cover."
        if passages
        else "No section of the documentation matches; say so, do not guess."
    )
    return {"query": args.query, "passages": passages, "note": note}


def guide_tools() -> list[BaseTool]:
    """The documentation tool."""
    return [
        make_tool(
            name="search_guide",
            description=(
                "Search Stratigos's own documentation for how a feature works or what is "
                "supported (accounts, brokers, deployments, hedges, schedules, models, data, "
                "the API and the tools). Use it for questions about Stratigos itself, never act "
                "on them. Returns sections with their text and a citation such as "
                '(docs/deployments.md, "Strategies sharing an account"); quote them with it.'
            ),
            args_schema=GuideArgs,
            run=search_guide_sections,
        )
    ]
