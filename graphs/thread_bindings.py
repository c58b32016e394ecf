"""What a chat thread of the `assistant` graph is bound to, in this process: its settings, its
owner, its tools and its long-term memory.

A thread's driver binds its settings (`bind_settings`: model provider, data directory) and its
owner (`bind_owner`: the owner and store its approved searches run for, as jobs) on every turn,
in the process that runs the turn (`graphs.chat.ChatSession` does, as the graph factory of
`graphs.platform` does); the graph's nodes read them from the run's config (`thread_id`). Each
thread's tools work on their own `ToolContext` (so artifacts never cross threads), kept in
memory for the `MAX_THREAD_CONTEXTS` most recently used threads: a cache, never the record.
What the tools build is recorded in a `tools.recipes.RecipeBook` outside the process, so any
process finds it: a chat turn's tools (`chat_tools`) in the thread's checkpointed state
(`graphs.thread_artifacts`), an owner's MCP calls (`tool_context`) in the owner's cache. A
thread with an owner also reaches the owner's saved portfolios, research, records and profile
through its tools, and has long-term memory: what is known about the owner (their memories and
the profile settings they set, bounded), and the memory tools for the supervisor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store

from agents.chat import Memory
from bounded_lru import BoundedLru
from graphs.chat_profile import profile_screen
from graphs.thread_artifacts import ThreadArtifacts
from services.research import owner_search
from settings import Settings, get_settings
from store import NotFoundError, Store
from store.threads import thread_of_checkpoint
from tools import TOOL_NAMES, build_tools
from tools.artifacts import ArtifactStore
from tools.context import (
    OwnerRecords,
    SavedPortfolioLookup,
    SavedPortfolioWeights,
    ToolContext,
    configured_market_data,
)
from tools.recipes import Recipe, RecipeBook, recorded_tools
from tools.search_winners import conversation_search_winner, owner_search_winners

if TYPE_CHECKING:
    from tools.external import ExternalTool

MAX_THREAD_CONTEXTS = 256
"""Chat threads whose tool contexts (and artifacts) stay in memory, least recently used dropped."""


@dataclass
class _ThreadTools:
    """A thread's tools in this process: its `ToolContext`, its tools built so far by name, and
    the recipe each artifact held here was built by (`graphs.thread_artifacts`)."""

    context: ToolContext
    built: dict[str, Any] = field(default_factory=dict)
    held: dict[str, Recipe | None] = field(default_factory=dict)


_TOOLS: BoundedLru[tuple[str, str], _ThreadTools] = BoundedLru(MAX_THREAD_CONTEXTS)
"""Each thread's tools, by data directory and thread."""
EXTERNAL_TOOLS_SECONDS = 60.0
"""How long a thread's tools of external MCP servers are kept before they are loaded again: a
server that could not be reached, or whose tools changed, is seen within this time by every
process (`external_tools_of`)."""
_EXTERNAL: BoundedLru[tuple[str, str], tuple[float, list[ExternalTool]]] = BoundedLru(
    MAX_THREAD_CONTEXTS
)
"""Each thread's tools of external MCP servers and when they were loaded (`clock`)."""
clock: Callable[[], float] = time.monotonic
"""The clock `EXTERNAL_TOOLS_SECONDS` is counted on (seconds)."""
_SETTINGS: dict[str, Settings] = {}
"""Settings bound to a thread by its driver (`bind_settings`); else the process's settings."""
_OWNERS: dict[str, tuple[str, Store]] = {}
"""The owner (and store) a thread's approved runs are submitted for, as jobs (`bind_owner`)."""


def _thread(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", ""))


def bind_settings(thread_id: str, settings: Settings) -> None:
    """Use `settings` (model provider, data directory) for the chat thread `thread_id`."""
    _SETTINGS[thread_id] = settings


def bind_owner(thread_id: str, owner: str, store: Store) -> None:
    """Run the approved searches of chat thread `thread_id` as `owner`'s optimization jobs in
    `store`, so they appear in the owner's jobs with their results; without an owner they run
    as bare runs."""
    _OWNERS[thread_id] = (owner, store)


def settings_of(config: RunnableConfig) -> Settings:
    """The settings bound to the run's thread, else the process's."""
    return _SETTINGS.get(_thread(config)) or get_settings()


def owner_of(config: RunnableConfig) -> tuple[str, Store] | None:
    """The owner (and store) bound to the run's thread, or None."""
    return _OWNERS.get(_thread(config))


def _thread_tools(config: RunnableConfig) -> _ThreadTools:
    """The thread's tools in this process (new, with an empty artifact store, the first time),
    on the market data's current version (a context of an older one is replaced, its artifacts
    kept: another process, or a new one, would read the current one) and bound to what its
    owner has."""
    thread = _thread(config)
    key = (str(settings_of(config).data_dir), thread)
    data = configured_market_data(settings_of(config))  # the current version, in any process

    def on_current_data(entry: _ThreadTools | None) -> _ThreadTools:
        """The thread's entry (made now if it has none) on `data`; atomic in `_TOOLS`, so two
        turns of the thread never build two contexts on one version."""
        if entry is None:
            return _ThreadTools(ToolContext(artifacts=ArtifactStore(namespace=thread), data=data))
        if entry.context.data is not data:
            # the market data moved on (a refresh): another process, or a new one, reads the
            # new version, and so does this thread's next turn here (its artifacts kept)
            entry.context = ToolContext(artifacts=entry.context.artifacts, data=data)
            entry.built.clear()
        return entry

    entry = _TOOLS.compute(key, on_current_data)
    owner = _OWNERS.get(thread)
    context = entry.context
    context.saved_portfolios = None if owner is None else saved_portfolio_lookup(*owner)
    context.research = (
        None if owner is None else owner_search(owner[1], owner[0], settings_of(config))
    )
    context.records = (
        None if owner is None else OwnerRecords(owner[0], owner[1], settings_of(config))
    )
    context.universe_screen = None if owner is None else profile_screen(*owner)
    context.search_winners = None if owner is None else owner_search_winners(owner[1], owner[0])
    return entry


def _tools_of(entry: _ThreadTools, names: Collection[str] | None, book: RecipeBook) -> list[Any]:
    """The tools named in `names` (every tool if None, in `tools.TOOL_NAMES` order), each
    built the first time the thread asks for it, recording in `book`."""
    wanted = TOOL_NAMES if names is None else [name for name in TOOL_NAMES if name in names]
    missing = [name for name in wanted if name not in entry.built]
    if missing:
        entry.built.update((tool.name, tool) for tool in build_tools(entry.context, missing))
    return recorded_tools([entry.built[name] for name in wanted], entry.context, book)


def tool_context(
    config: RunnableConfig, book: RecipeBook, names: Collection[str] | None = None
) -> tuple[ToolContext, list[Any]]:
    """The thread's tool context and its tools named in `names` (every tool if None, in
    `tools.TOOL_NAMES` order), recording what they build in `book` and rebuilding from it what
    a call names and this process lacks (`tools.recipes`). Artifact ids are derived from the
    thread id: unique per thread (and per process, where the thread id holds the process's
    instance: an owner's MCP calls over HTTP)."""
    entry = _thread_tools(config)
    return entry.context, _tools_of(entry, names, book)


def chat_tools(
    config: RunnableConfig,
    thread: ThreadArtifacts,
    names: Collection[str],
    last_run: Mapping[str, Any] | None = None,
) -> tuple[list[Any], Callable[[], dict[str, Any]]]:
    """A chat turn's tools named in `names`, on the thread's artifacts in this process made to
    agree with its checkpointed state `thread` (`ThreadArtifacts.sync`: "what's the CVaR of
    that?" finds a portfolio built in another process), and the function that gives the turn's
    state update of its artifacts once the tools are done (`ThreadArtifacts.update`). A search's
    winner is read from the owner's store; in a thread without an owner, from the thread's
    `last_run` (its last finished search)."""
    entry = _thread_tools(config)
    if owner_of(config) is None:
        entry.context.search_winners = conversation_search_winner(last_run)
    thread.sync(entry.context.artifacts, entry.held)
    tools = _tools_of(entry, names, thread)
    return tools, lambda: thread.update(entry.context.artifacts, entry.held)


def external_tools_of(config: RunnableConfig, role: str) -> list[ExternalTool]:
    """The tools of the MCP servers the thread's owner configured for specialist `role`
    (`tools.external`: whatever is not read-only waits for the owner's approval), loaded per
    thread in this process at most every `EXTERNAL_TOOLS_SECONDS`; none for a thread without an
    owner."""
    settings = settings_of(config)
    owner = owner_of(config)
    if owner is None or not settings.mcp.servers:
        return []
    key = (str(settings.data_dir), _thread(config))
    now = clock()
    loaded = _EXTERNAL.get(key)
    if loaded is None or now - loaded[0] >= EXTERNAL_TOOLS_SECONDS:
        from tools.external import external_tools  # the MCP client: only for servers configured

        loaded = (now, external_tools(settings, owner[0]))
        _EXTERNAL.put(key, loaded)
    return [tool for tool in loaded[1] if role in tool.roles]


def memory_of(config: RunnableConfig) -> Memory | None:
    """The long-term memory of the thread's owner for this turn: what is known about them (from
    the graph's store and their profile) and their research library, or None for a thread without an owner or a graph
    compiled without a store."""
    owner = owner_of(config)
    if owner is None:
        return None
    try:
        memories = get_store()
    except RuntimeError:
        return None
    if memories is None:
        return None
    from quant.data import sp500_prices
    from services.memories import memory_context, what_is_known
    from services.research_library import library_context

    return Memory(
        memory_context(what_is_known(memories, owner[1], owner[0])),
        library_context(owner[1], owner[0], tuple(sp500_prices().columns)),
        saved_portfolios_context(owner[1], owner[0], _thread(config)),
    )


SAVED_PORTFOLIOS_LISTED = 20
"""Most saved portfolios (the latest) the agents are told of by name."""


def saved_portfolios_context(store: Store, owner: str, thread_id: str) -> str | None:
    """The text the agents read about `owner`'s saved portfolios other than those this thread
    built (which the conversation holds already): the latest `SAVED_PORTFOLIOS_LISTED` by name,
    id and largest weights, so a portfolio named by the user ("my Staples portfolio") is looked
    up by its id; None when there is none."""
    own = {thread_id, thread_of_checkpoint(thread_id)}  # a ChatSession's is its checkpoint key
    saved = [
        p
        for p in store.list_portfolios(owner)
        if (p.data.get("source") or {}).get("thread_id") not in own
    ][-SAVED_PORTFOLIOS_LISTED:]
    if not saved:
        return None
    lines = [
        "The user's saved portfolios (when they name one, e.g. 'my Staples portfolio', pass its "
        "id as portfolio_id):"
    ]
    for portfolio in reversed(saved):
        top = sorted(portfolio.weights.items(), key=lambda kv: -kv[1])[:5]
        held = ", ".join(f"{ticker} {weight:.0%}" for ticker, weight in top)
        lines.append(f"- {portfolio.name}: {portfolio.id} ({held})")
    return "\n".join(lines)


def supervisor_tools(config: RunnableConfig, memory: Memory | None) -> list[Any]:
    """The tools the supervisor answers with: Stratigos's documentation (questions about
    Stratigos itself, `tools.guide`) and the owner's memory tools when memory is on."""
    from tools.guide import guide_tools

    owner = owner_of(config)
    if owner is None or memory is None:
        return guide_tools()
    from tools.memory import memory_tools

    return [*guide_tools(), *memory_tools(*owner)]


def saved_portfolio_lookup(owner: str, store: Store) -> SavedPortfolioLookup:
    """Resolves `owner`'s saved portfolios by id for the chat's tools (None for an id they do
    not have). A portfolio saved from a chat keeps the date range it was built on; one on an
    uploaded dataset is refused with a message saying so (the chat reads the embedded data)."""

    def lookup(portfolio_id: str) -> SavedPortfolioWeights | None:
        try:
            portfolio = store.get_portfolio(owner, portfolio_id)
        except NotFoundError:
            return None
        if portfolio.data.get("dataset_id"):
            raise ValueError(
                f"saved portfolio {portfolio_id} holds assets of uploaded dataset "
                f"{portfolio.data['dataset_id']}; the chat reads the embedded market data only"
            )
        built_on = portfolio.data.get("source") or {}
        return SavedPortfolioWeights(
            name=portfolio.name,
            weights=portfolio.weights,
            start=built_on.get("start"),
            end=built_on.get("end"),
        )

    return lookup
