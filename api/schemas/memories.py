"""Request and response models of `/v1/memories` (`api.routes.memories`): what the assistant
remembers about the caller, and what forgetting did to the profile."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.memories import MAX_TEXT


class MemoryView(BaseModel):
    """One remembered fact."""

    key: str = Field(description="mem_ and 12 hex digits.")
    text: str = Field(description="The fact, in the user's words.")
    kind: str = Field(description="exclusion (it added profile exclusions) or fact.")
    exclusions: list[str] = Field(description="The profile exclusions it states.")
    added_to_profile: list[str] = Field(
        description="Those the profile did not hold before it (forgetting it removes these)."
    )
    created_at: str
    updated_at: str


class KnownView(BaseModel):
    """What the assistant knows about the caller."""

    memories: list[MemoryView]
    profile: dict[str, Any] = Field(
        description="The profile settings the caller set (fields that differ from defaults)."
    )


class MemoryIn(BaseModel):
    """A fact to remember."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT, examples=["I never hold tobacco"])
    exclusions: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Tickers or industry terms the fact excludes from every portfolio.",
        examples=[["tobacco"]],
    )


class ForgottenView(BaseModel):
    """A forgotten memory and what that did to the profile."""

    forgotten: MemoryView
    profile_exclusions_removed: list[str]
    profile_exclusions_kept: list[str] = Field(
        description="Exclusions of the memory left in the profile, each with the reason."
    )


class ForgottenAllView(BaseModel):
    """Every memory forgotten."""

    forgotten: list[ForgottenView]
    count: int
