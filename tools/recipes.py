"""What a tool call built, found in any process: artifact recipes.

A tool keeps what it builds (a portfolio ``pf_...``, a scenario set ``scn_...``, a frontier) in
its process's memory (`tools.artifacts.ArtifactStore`), and the caller refers to it by id in a
later call ("the risk of pf_1a2b3c"). That later call may run in another process: the other
server process, a restarted one, another Lambda invocation. So the tools of a chat thread or of
an owner's MCP calls are bound to a `RecipeBook` kept outside the process (`recorded_tools`):

- every successful call records, for each artifact it built, its `Recipe`: the tool, the
  arguments that built it (as JSON), its kind and which of the call's artifacts of that kind it
  is;
- a call naming an artifact this process lacks first rebuilds it from its recipe, under the
  same id (the numeric core is deterministic: the same arguments and seed give the same
  artifact, on the market data of the moment). The recipe's own arguments may name artifacts:
  they are rebuilt first, at most `MAX_REBUILD_DEPTH` deep. A rebuild runs on a scratch store,
  so the ids the thread hands out next are not disturbed. An id no recipe is known for is left
  to the tool, which answers that it is not found.

The books: a chat thread's checkpointed state (`graphs.thread_artifacts.ThreadArtifacts`, which
also carries the thread's id counts, so every process hands out the ids one process would) and
an owner's cache in the store (`OwnerCacheRecipes`, for MCP calls, which have no thread state).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_core import to_jsonable_python

from tools.artifacts import ARTIFACT_ID, KIND_PREFIXES, ArtifactStore, collecting_built

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from store import Store
    from tools.context import ToolContext

__all__ = [
    "MAX_REBUILD_DEPTH",
    "RECIPE_TTL_S",
    "OwnerCacheRecipes",
    "Recipe",
    "RecipeBook",
    "rebuild_named",
    "recorded_tools",
]

MAX_REBUILD_DEPTH = 4
"""How many recipes deep a rebuild goes (an artifact built from artifacts built from ...)."""

RECIPE_TTL_S = 7 * 86_400.0
"""How long an owner's cache keeps an MCP call's recipe (seconds): a week after the call."""


@dataclass(frozen=True)
class Recipe:
    """How an artifact was built: tool `tool` called with `arguments` (JSON) built it as the
    `index`-th artifact of kind `kind` of that call (from 0)."""

    tool: str
    arguments: dict[str, Any]
    kind: str
    index: int

    def to_json(self) -> dict[str, Any]:
        """The recipe as JSON data (`from_json` reads it back)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Recipe | None:
        """The recipe `data` holds, or None when it holds none (absent, or not a recipe)."""
        if not isinstance(data, dict):
            return None
        tool, arguments, kind, index = (data.get(k) for k in ("tool", "arguments", "kind", "index"))
        if not isinstance(tool, str) or not isinstance(arguments, dict):
            return None
        if kind not in KIND_PREFIXES or not isinstance(index, int) or index < 0:
            return None
        return cls(tool, arguments, kind, index)


class RecipeBook(Protocol):
    """Where recipes are kept, outside the process."""

    def recipe(self, artifact_id: str) -> Recipe | None:
        """The recipe of `artifact_id`, or None when none is known."""
        ...

    def record(self, artifact_id: str, recipe: Recipe) -> None:
        """Keep `recipe` as the one of `artifact_id`."""
        ...


@dataclass(frozen=True)
class OwnerCacheRecipes:
    """The recipes of an owner's MCP calls, in the owner's cache in the store (`RECIPE_TTL_S`)."""

    store: Store
    owner: str

    @staticmethod
    def _key(artifact_id: str) -> str:
        return f"mcp-artifact:{artifact_id}"

    def recipe(self, artifact_id: str) -> Recipe | None:
        """The recipe kept for `artifact_id`, if it has not expired."""
        return Recipe.from_json(self.store.cache_get(self.owner, self._key(artifact_id)))

    def record(self, artifact_id: str, recipe: Recipe) -> None:
        """Keep `recipe` for `RECIPE_TTL_S` seconds."""
        self.store.cache_put(self.owner, self._key(artifact_id), recipe.to_json(), RECIPE_TTL_S)


def _named(arguments: Any) -> list[str]:
    """The artifact ids `arguments` name, each once, in order."""
    return list(dict.fromkeys(ARTIFACT_ID.findall(json.dumps(arguments, default=str))))


def rebuild_named(
    context: ToolContext, book: RecipeBook, arguments: Any, depth: int = MAX_REBUILD_DEPTH
) -> None:
    """Rebuild into `context.artifacts`, from their recipes in `book`, the artifacts `arguments`
    name that it lacks (and, first, those their recipes name, `depth` recipes deep)."""
    from langchain_core.tools import ToolException

    from tools import TOOL_NAMES, build_tools

    if depth <= 0:
        return
    artifacts = context.artifacts
    for artifact_id in _named(arguments):
        recipe = None if artifact_id in artifacts else book.recipe(artifact_id)
        if recipe is None or recipe.tool not in TOOL_NAMES:
            continue  # held here, or unknown: the tool answers
        rebuild_named(context, book, recipe.arguments, depth - 1)
        scratch = ArtifactStore(namespace=f"{artifacts.namespace}:rebuild")
        for named in _named(recipe.arguments):
            kind = artifacts.kind_of(named)
            if kind is not None:
                scratch.restore(named, kind, artifacts.get(named, kind))
        (tool,) = build_tools(dataclasses.replace(context, artifacts=scratch), [recipe.tool])
        with collecting_built() as built:
            try:
                tool.call(**recipe.arguments)  # type: ignore[attr-defined]
            except ToolException:
                continue  # it cannot be built now: the tool naming it answers not found
        again = [i for i, kind in built if kind == recipe.kind]
        if recipe.index < len(again):
            obj = scratch.get(again[recipe.index], recipe.kind)
            artifacts.restore(artifact_id, recipe.kind, obj)


def _recording(tool: BaseTool, context: ToolContext, book: RecipeBook) -> BaseTool:
    """`tool` rebuilding what its arguments name and recording what it builds (`recorded_tools`)."""
    original = tool.call  # type: ignore[attr-defined]

    def call(**arguments: Any) -> dict[str, Any]:
        rebuild_named(context, book, arguments)
        with collecting_built() as built:
            result: dict[str, Any] = original(**arguments)
        if built:
            given = to_jsonable_python(arguments)
            kinds = [kind for _, kind in built]
            for n, (artifact_id, kind) in enumerate(built):
                book.record(artifact_id, Recipe(tool.name, given, kind, kinds[:n].count(kind)))
        return result

    return tool.model_copy(update={"call": call})


def recorded_tools(
    tools: Sequence[BaseTool], context: ToolContext, book: RecipeBook
) -> list[BaseTool]:
    """`tools` (built by `tools.build_tools` on `context`) each recording the recipes of what it
    builds in `book` and rebuilding, from `book`, the artifacts its arguments name that
    `context` lacks (see the module docstring). Tools of other kinds are returned as they are."""
    from tools.tool_factory import QuantTool

    return [
        _recording(tool, context, book) if isinstance(tool, QuantTool) else tool for tool in tools
    ]
