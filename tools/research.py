"""The research tool: passages of the owner's documents library, for the agents to read and cite.

`search_research` returns the best passages for a query (hybrid full-text and vector search,
`services.research`), each with the citation answers must use, ``(document, page)``, and its
text. Answers that cite a passage the tool did not return, or quote a number the cited passage
does not hold, fail the grounding check (`agents.grounding.citation_problems`).
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from research.citations import cite
from research.embeddings import EmbeddingError
from research.index import ResearchIndexError
from tools.context import ToolContext
from tools.tool_factory import make_tool

PASSAGE_CHARS = 800
"""The longest passage text a result carries (a chunk is at most this long)."""


NO_LIBRARY = (
    "research is kept for each signed-in user and this conversation has none, so there is "
    "nothing to search (chat signed in, in the web UI or `stratigos chat`, and upload research "
    "on the Documents page or with `stratigos docs`)"
)
"""Why a conversation with no owner has no research to search, in the user's words."""


class ResearchArgs(BaseModel):
    """Arguments of `search_research`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        min_length=1, max_length=500, description="What to look for, in the user's words."
    )
    k: int = Field(default=5, ge=1, le=10, description="How many passages (1-10).")
    document_ids: list[str] | None = Field(
        default=None, max_length=20, description="Only these documents (ids `doc_...`)."
    )


def search_research(context: ToolContext, args: ResearchArgs) -> dict[str, Any]:
    """The best passages of the owner's documents for `args.query` (see the module docstring)."""
    if context.research is None:
        raise ValueError(NO_LIBRARY)
    try:
        results = context.research(args.query, args.k, args.document_ids)
    except (ResearchIndexError, EmbeddingError) as exc:
        raise ValueError(f"search is unavailable: {exc}") from exc
    passages = [
        {
            "citation": cite(hit.document_name, hit.reference),
            "document": hit.document_name,
            "document_id": hit.document_id,
            "reference": hit.reference,
            "ordinal": hit.ordinal,
            "text": hit.text[:PASSAGE_CHARS],
        }
        for hit in results.hits
    ]
    out: dict[str, Any] = {"query": args.query, "passages": passages}
    if not passages:
        out["note"] = "No passage of the user's documents matches; say so, do not guess."
    else:
        out["note"] = (
            "Quote only these passages and cite each as its citation, e.g. "
            f"{passages[0]['citation']}; numbers quoted must appear in the cited passage."
        )
    if results.unindexed:
        out["unindexed_documents"] = [d.name for d in results.unindexed]
    return out


def research_tools(context: ToolContext) -> list[BaseTool]:
    """The research tool bound to `context`."""
    return [
        make_tool(
            name="search_research",
            description=(
                "Search the user's own research (uploaded PDFs, spreadsheets, notes) for passages "
                "about a topic. Returns passages with their text and a citation such as "
                "(outlook.pdf, p. 2); cite every passage you use that way and quote only numbers "
                "written in it."
            ),
            args_schema=ResearchArgs,
            run=lambda args: search_research(context, args),
        )
    ]
