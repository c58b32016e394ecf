"""A chat thread's artifacts in its checkpointed state, so every process serves every turn alike.

The turns of one thread may run in different processes (two server processes, a restarted one,
another Lambda invocation). What a thread's tools built lives in the memory of the process that
built it (`tools.artifacts.ArtifactStore`); what every process shares is the thread's state in
the checkpointer. So a specialist's turn keeps in the state, besides the conversation:

- `artifacts`: the recipe of each artifact the thread's tools built (`tools.recipes.Recipe`, by
  id), from which a process lacking one rebuilds it when a call names it;
- `artifact_counts`: how many ids of each kind the thread has handed out, so the next turn, in
  any process, hands out the ids one process would (never an id given to another artifact);
- `portfolios` (as before): each portfolio's JSON, restored at the start of a turn without
  rebuilding (and what the thread saves to its owner's portfolios).

At the start of a turn, a process's own artifacts of the thread are checked against the state
(`ThreadArtifacts.sync`): one the state does not hold, or holds with another recipe (built by a
turn that did not commit, its id since given to another artifact by another process), is
dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.artifacts import ArtifactStore
from tools.recipes import Recipe


def merge_recipes(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """The state's `artifacts` after an update: the recipes of both, the update's winning."""
    return {**(left or {}), **(right or {})}


@dataclass
class ThreadArtifacts:
    """A chat thread's artifacts as its checkpointed state holds them at the start of a turn,
    and the recipes the turn's tools record (a `tools.recipes.RecipeBook`)."""

    recipes: Mapping[str, Any] = field(default_factory=dict)
    """Recipes by id (JSON), as committed."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """Ids handed out per kind, as committed."""
    portfolios: Mapping[str, Any] = field(default_factory=dict)
    """Portfolios by id (JSON, `tools.portfolio.portfolio_to_json`), as committed."""
    new: dict[str, Recipe] = field(default_factory=dict)
    """The recipes this turn recorded."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ThreadArtifacts:
        """The artifacts of a thread whose state is `state` (an `AssistantState`)."""
        return cls(
            recipes=state.get("artifacts") or {},
            counts=state.get("artifact_counts") or {},
            portfolios=state.get("portfolios") or {},
        )

    def recipe(self, artifact_id: str) -> Recipe | None:
        """The recipe of `artifact_id`: recorded this turn, else committed."""
        with self._lock:
            if artifact_id in self.new:
                return self.new[artifact_id]
        return Recipe.from_json(self.recipes.get(artifact_id))

    def record(self, artifact_id: str, recipe: Recipe) -> None:
        """Keep `recipe` for the turn's state update."""
        with self._lock:
            self.new[artifact_id] = recipe

    def sync(self, artifacts: ArtifactStore, held: dict[str, Recipe | None]) -> None:
        """Make a process's `artifacts` of the thread agree with the state: drop those it does
        not hold or holds with another recipe than `held` says built them here (`held`: id ->
        recipe, None for a portfolio restored without one), restore its portfolios not here,
        and count ids on from the state's counts."""
        from tools.portfolio import portfolio_from_json

        stale = [
            artifact_id
            for artifact_id in artifacts.ids()
            if not self._agrees(artifact_id, held.get(artifact_id))
        ]
        artifacts.discard(stale)
        for artifact_id in stale:
            held.pop(artifact_id, None)
        for artifact_id, saved in self.portfolios.items():
            if artifact_id not in artifacts:
                artifacts.restore(artifact_id, "portfolio", portfolio_from_json(saved))
                held[artifact_id] = Recipe.from_json(self.recipes.get(artifact_id))
        artifacts.count_from(self.counts)

    def _agrees(self, artifact_id: str, held: Recipe | None) -> bool:
        committed = Recipe.from_json(self.recipes.get(artifact_id))
        if committed is None:  # a portfolio of a thread from before recipes were kept
            return held is None and artifact_id in self.portfolios
        return held == committed

    def update(self, artifacts: ArtifactStore, held: dict[str, Recipe | None]) -> dict[str, Any]:
        """The turn's state update (`artifacts`, `artifact_counts`, `portfolios`: what it built)
        and, in `held`, the recipe each artifact this process holds was built by (None for one
        no recipe was recorded for: dropped at the next `sync` unless it is a portfolio of the
        state)."""
        from tools.portfolio import portfolio_to_json

        with self._lock:
            new = dict(self.new)
        for artifact_id in artifacts.ids():  # built, restored or rebuilt here this turn
            if artifact_id in new or artifact_id not in held:
                held[artifact_id] = new.get(artifact_id) or Recipe.from_json(
                    self.recipes.get(artifact_id)
                )
        return {
            "artifacts": {artifact_id: recipe.to_json() for artifact_id, recipe in new.items()},
            "artifact_counts": artifacts.counts(),
            "portfolios": {
                pid: portfolio_to_json(artifacts.get(pid, "portfolio"))
                for pid in artifacts.ids("portfolio")
                if pid not in self.portfolios
            },
        }
