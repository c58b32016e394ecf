"""Where `backtest_strategy` finds the winner a `run_id` names: an owner's finished search in
their store (`owner_search_winners`: the chat with a signed-in owner, the owner's MCP calls) or
the last search of a conversation without an owner (`conversation_search_winner`). Either gives
the configuration unrounded, as the search stored it: what is backtested is the strategy the
search chose, on the assets and window it searched, at its safe rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.errors import InputError, NotFoundInputError
from store import NotFoundError, Store
from tools.context import SearchWinner, SearchWinnerLookup

__all__ = ["conversation_search_winner", "owner_search_winners"]

DEFAULT_SAFE_RATE = 0.02
"""The safe rate of a search whose request does not state one (a fraction a year)."""


def owner_search_winners(store: Store, owner: str) -> SearchWinnerLookup:
    """The winner of any of `owner`'s finished optimizations in `store`, by its job id; one of
    another owner's is reported as missing."""

    def winner(run_id: str) -> SearchWinner:
        # the deployments' reading of a search (and its imports) on a backtest of one only
        from trading.optimization_winners import finished_optimization, optimized_universe

        try:
            request, result, best = finished_optimization(store, owner, run_id, "run_id")
        except NotFoundError:
            raise NotFoundInputError(
                "run_id", f"no strategy search of yours has the id {run_id!r}"
            ) from None
        return _winner(run_id, best, request, optimized_universe(request, result))

    return winner


def conversation_search_winner(last_run: Mapping[str, Any] | None) -> SearchWinnerLookup:
    """The winner of the conversation's last finished search (`last_run`, as
    `graphs.chat_search.run_approved_search` keeps it), by its run id."""

    def winner(run_id: str) -> SearchWinner:
        if not last_run or last_run.get("run_id") != run_id:
            raise NotFoundInputError(
                "run_id", f"no finished strategy search {run_id!r} in this conversation"
            )
        request = last_run.get("request") or {}
        universe = request.get("universe")
        return _winner(run_id, last_run.get("best"), request, tuple(universe) if universe else None)

    return winner


def _winner(
    run_id: str, best: Any, request: Mapping[str, Any], universe: tuple[str, ...] | None
) -> SearchWinner:
    """A search's winner from its `best` and `request` (as stored)."""
    config = best.get("config") if isinstance(best, Mapping) else None
    if not isinstance(config, Mapping) or not config:
        raise InputError("run_id", f"search {run_id} has no winning configuration")
    vol_model = request.get("vol_model")
    return SearchWinner(
        run_id=run_id,
        config={k: v for k, v in config.items() if v is not None},
        universe=universe,
        start=None if request.get("start") is None else str(request["start"]),
        end=None if request.get("end") is None else str(request["end"]),
        safe_rate=float(request.get("safe_rate", DEFAULT_SAFE_RATE)),
        vol_model=dict(vol_model) if isinstance(vol_model, Mapping) else None,
    )
