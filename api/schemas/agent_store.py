"""Request models of the Agent Protocol's store under `/agent` (`api.routes.agent_store`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from services.bounds import Count
from services.problems import TEXT_PATTERN

_TEXT = TEXT_PATTERN.removeprefix("^[^").removesuffix("]*$")
"""The characters the text rule refuses, as a regular expression's class body."""
LABEL = f"[^.{_TEXT}]{{1,100}}"
"""A namespace label: 1 to 100 characters of text, no `.` (it separates labels)."""
Label = Annotated[str, StringConstraints(pattern=f"^{LABEL}$")]
NAMESPACE_QUERY = f"^{LABEL}(\\.{LABEL}){{0,9}}$"
"""A namespace in a query: its labels joined by `.`."""
KEY_QUERY = f"^[^{_TEXT}]{{1,200}}$"
FILTER_KEY = r"^[A-Za-z0-9_.-]{1,200}$"
"""A search filter's key: a path into an item's value (its keys joined by `.`), 1 to 200
letters, digits, `_`, `-` and `.` (what the store can look up)."""


class ItemPut(BaseModel):
    """`PUT /store/items`."""

    namespace: list[Label] = Field(
        min_length=1, max_length=10, description="The item's namespace, under your root."
    )
    key: str = Field(min_length=1, max_length=200)
    value: dict[str, Any]
    index: Literal[False] | None = Field(
        default=None, description="No search index is kept: false or none."
    )
    ttl: None = Field(default=None, description="Not supported: items stay until deleted.")


class ItemDelete(BaseModel):
    """`DELETE /store/items`."""

    namespace: list[Label] = Field(min_length=1, max_length=10)
    key: str = Field(min_length=1, max_length=200)


class ItemSearch(BaseModel):
    """`POST /store/items/search`."""

    namespace_prefix: list[Label] = Field(default_factory=list, max_length=10)
    filter: dict[str, Any] | None = Field(
        default=None,
        description="Items whose value holds these values at these keys (a key is a path into "
        "the value, its keys joined by `.`: letters, digits, `_`, `-`; a value is one to equal, "
        "not an object: comparisons are not kept).",
        json_schema_extra={"propertyNames": {"pattern": FILTER_KEY}},
    )
    limit: int = Field(default=10, ge=1, le=1000)
    offset: Count = 0
    query: None = Field(default=None, description="Not supported: no semantic index is kept.")
    refresh_ttl: bool | None = None

    @field_validator("filter")
    @classmethod
    def _keys_the_store_can_look_up(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        for key, wanted in (value or {}).items():
            if not re.fullmatch(FILTER_KEY, key):
                raise ValueError(
                    f"key {key[:40]!r} must be 1 to 200 letters, digits, '_', '-' or '.' "
                    "(a path into the value, its keys joined by '.')"
                )
            if isinstance(wanted, dict):
                raise ValueError(
                    f"the value at {key!r} must be one to equal, not an object "
                    "(comparisons are not kept)"
                )
        return value


class NamespaceSearch(BaseModel):
    """`POST /store/namespaces`."""

    prefix: list[Label] | None = Field(default=None, max_length=10)
    suffix: list[Label] | None = Field(default=None, max_length=10)
    max_depth: int | None = Field(default=None, ge=1, le=10)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Count = 0
