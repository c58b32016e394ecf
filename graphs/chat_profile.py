"""The owner's profile in the chat: drafts of strategy searches take its defaults and respect its
exclusions (`services.optimizations.prepare_optimization`), and the chat's portfolio tools
leave excluded tickers out (`services.profiles`).

Kept apart from `graphs.assistant` so the assistant's nodes stay about the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from services.profiles import get_profile, screen
from store import Store

if TYPE_CHECKING:
    from graphs.request import OptimizationRequest
    from tools.context import UniverseScreen


class ProfiledDraft(NamedTuple):
    """A drafted search request filled from its owner's profile: the request, sentences saying
    what the profile did ("from your profile: universe", "AMD left out: your profile excludes
    AMD"), and the fields whose values came from it (``universe``, ``risk_limits.cvar_95``)."""

    request: OptimizationRequest
    notes: list[str]
    from_profile: list[str]


def profile_draft(request: OptimizationRequest, owner: str, store: Store) -> ProfiledDraft:
    """`request` with `owner`'s profile defaults filled in (universe and risk limits it leaves
    unset), what the profile did and which fields it filled. The excluded tickers stay in the
    request: the run leaves them out when it starts (`graphs.job_handlers`).
    `services.errors.InputError` when the exclusions leave no ticker;
    `pydantic.ValidationError` when the filled request cannot run."""
    from services.optimizations import prepare_optimization  # a search's request: drafts only

    prepared = prepare_optimization(store, owner, request)
    notes = prepared.reasons
    if prepared.from_profile:
        notes.insert(0, "from your profile: " + ", ".join(prepared.from_profile))
    return ProfiledDraft(prepared.request, notes, list(prepared.from_profile))


def profile_screen(owner: str, store: Store) -> UniverseScreen:
    """The chat tools' screen of a universe by `owner`'s profile as it is at each call: (the
    tickers allowed, a sentence for each one left out)."""

    def check(universe: Sequence[str]) -> tuple[list[str], list[str]]:
        checked = screen(get_profile(store, owner), universe)
        return checked.allowed, checked.reasons

    return check
