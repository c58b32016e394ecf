"""Memory tools of the chat: remember a fact about the user, recall what is known, forget.

`memory_tools(owner, store)` returns three tools bound to one owner; they read and write the
long-term memory through the graph's LangGraph store (`langgraph.config.get_store()`: the chat
graph is compiled with `store.memories.memory_store`), and the owner's profile in `store`
(`services.memories`):

| tool | does |
| --- | --- |
| remember_fact | saves a fact; with `exclusions`, adds them to the profile (enforced in every later portfolio) |
| recall_memories | the memories and the profile settings the user set |
| forget_memory | deletes one memory by key (or every one with ``all``); an exclusion memory's exclusions leave the profile |

Bad input (an exclusion that names no known ticker, sector or industry; an unknown key) comes
back as a tool error naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.tools import BaseTool
from langgraph.config import get_store
from pydantic import BaseModel, ConfigDict, Field

from services.memories import MAX_TEXT, forget, forget_all, remember, what_is_known
from services.profiles import get_profile
from store import NotFoundError, Store, StoreUnavailableError
from tools.tool_factory import make_tool

__all__ = ["MEMORY_TOOL_NAMES", "ForgetArgs", "RecallArgs", "RememberArgs", "memory_tools"]

MEMORY_TOOL_NAMES = ("remember_fact", "recall_memories", "forget_memory")
"""Names of the tools `memory_tools` returns, in that order."""

Args = TypeVar("Args", bound=BaseModel)


class RememberArgs(BaseModel):
    """Arguments of `remember_fact`."""

    model_config = ConfigDict(extra="forbid")

    fact: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="The fact about the user, in their words, e.g. 'I never hold tobacco'.",
    )
    exclusions: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="When the fact says the user never holds something: the tickers ('AMD') "
        "or industry and sector terms ('tobacco', 'energy') to exclude from every portfolio. "
        "Empty for other facts.",
    )


class RecallArgs(BaseModel):
    """`recall_memories` takes no arguments."""

    model_config = ConfigDict(extra="forbid")


class ForgetArgs(BaseModel):
    """Arguments of `forget_memory`."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1,
        max_length=64,
        description="The key of the memory to forget (mem_ and 12 hex digits, from "
        "recall_memories or remember_fact), or 'all' to forget every memory.",
    )


def _guarded(run: Callable[[Args], dict[str, Any]]) -> Callable[[Args], dict[str, Any]]:
    """`run`, with not-found and storage failures as tool errors (`make_tool` reports
    ValueErrors)."""

    def guarded(args: Args) -> dict[str, Any]:
        try:
            return run(args)
        except (NotFoundError, StoreUnavailableError) as exc:
            raise ValueError(str(exc.args[0]) if exc.args else str(exc)) from exc

    return guarded


def memory_tools(owner: str, store: Store) -> list[BaseTool]:
    """The memory tools of `owner`, whose profile is in `store`."""

    @_guarded
    def remember_fact(args: RememberArgs) -> dict[str, Any]:
        memory = remember(get_store(), store, owner, args.fact, args.exclusions)
        return {
            "remembered": memory.to_json(),
            "profile_exclusions": get_profile(store, owner).exclusions,
            "note": "exclusions are enforced in every later portfolio, in every conversation"
            if memory.exclusions
            else "kept across conversations",
        }

    @_guarded
    def recall_memories(args: RecallArgs) -> dict[str, Any]:
        return what_is_known(get_store(), store, owner).to_json()

    @_guarded
    def forget_memory(args: ForgetArgs) -> dict[str, Any]:
        if args.key.strip().lower() == "all":
            done = forget_all(get_store(), store, owner)
            return {"forgotten": [f.to_json() for f in done], "count": len(done)}
        return forget(get_store(), store, owner, args.key.strip()).to_json()

    return [
        make_tool(
            name="remember_fact",
            description=(
                "Remember a fact about the user across conversations. When the fact says the "
                "user never holds something ('never tobacco', 'no AMD'), pass the tickers or "
                "industry terms as exclusions: they are added to the user's profile and left "
                "out of every later portfolio."
            ),
            args_schema=RememberArgs,
            run=remember_fact,
        ),
        make_tool(
            name="recall_memories",
            description=(
                "What is known about the user: every remembered fact (key, text, exclusions) "
                "and the profile settings they set (e.g. exclusions, risk tolerance)."
            ),
            args_schema=RecallArgs,
            run=recall_memories,
        ),
        make_tool(
            name="forget_memory",
            description=(
                "Forget one remembered fact by its key, or every fact with key 'all'. "
                "Forgetting an exclusion also removes it from the user's profile (unless "
                "another memory states it); the result says which exclusions were removed."
            ),
            args_schema=ForgetArgs,
            run=forget_memory,
        ),
    ]
