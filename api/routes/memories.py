"""`/v1/memories`: what the assistant remembers about the caller, across chat threads.

- `GET /v1/memories`: the caller's memories (oldest first) and the profile settings they set
  (what the chat answers to "what do you know about me?");
- `POST /v1/memories`: remember a fact; with `exclusions` (tickers or industry terms) they are
  added to the caller's profile and enforced in every later portfolio (422 naming
  ``exclusions`` for a term that matches no known ticker, sector or industry);
- `DELETE /v1/memories/{key}`: forget one (404 if the caller has none by that key); the answer
  says which profile exclusions left with it;
- `DELETE /v1/memories`: forget every one, with the exclusions they added.

Memories live in LangGraph's store (`store.memories.memory_store`, the same backend as the
store) under the caller's namespace: nobody reaches another owner's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from api.context import AppContext, Caller, Ctx
from api.errors import field_errors, found_or_404
from api.route_defaults import api_router
from api.schemas.memories import ForgottenAllView, ForgottenView, KnownView, MemoryIn, MemoryView
from services.memories import forget, forget_all, remember, what_is_known
from store.memories import memory_store

if TYPE_CHECKING:
    from langgraph.store.base import BaseStore

router = api_router(prefix="/v1", tags=["memories"])

T = TypeVar("T")


def _with_memories(context: AppContext, use: Callable[[BaseStore], T]) -> T:
    """Run `use` on the memory store; a service's `InputError` as a 422 naming its field."""
    with field_errors(""), memory_store(context.settings) as memories:
        return use(memories)


@router.get("/memories", response_model=KnownView, summary="What the assistant knows about you")
def list_memories(context: Ctx, caller: Caller) -> dict[str, Any]:
    """The caller's memories and the profile settings they set."""
    return _with_memories(
        context, lambda m: what_is_known(m, context.store, caller.owner).to_json()
    )


@router.post(
    "/memories", response_model=MemoryView, status_code=201, summary="Remember a fact about you"
)
def create_memory(body: MemoryIn, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Remember `text`; its `exclusions` join the caller's profile."""
    return _with_memories(
        context,
        lambda m: remember(m, context.store, caller.owner, body.text, body.exclusions).to_json(),
    )


@router.delete("/memories/{key}", response_model=ForgottenView, summary="Forget one memory")
def delete_memory(key: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Forget the memory `key` (404 if the caller has none by it), and the profile exclusions
    it added unless another memory states them."""
    with found_or_404("memory", key):
        return _with_memories(
            context, lambda m: forget(m, context.store, caller.owner, key).to_json()
        )


@router.delete("/memories", response_model=ForgottenAllView, summary="Forget every memory")
def delete_memories(context: Ctx, caller: Caller) -> dict[str, Any]:
    """Forget every memory of the caller, with the profile exclusions they added."""
    done = _with_memories(context, lambda m: forget_all(m, context.store, caller.owner))
    return {"forgotten": [f.to_json() for f in done], "count": len(done)}
