"""Request models of the Agent Protocol's store under `/agent` (`api.routes.agent_store`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from services.bounds import Count

Label = str
"""A namespace label (checked by `api.agent_protocol.store_items.checked_label`)."""


class ItemPut(BaseModel):
    """`PUT /store/items`."""

    namespace: list[Label] = Field(description="The item's namespace, under your root.")
    key: str = Field(min_length=1, max_length=200)
    value: dict[str, Any]
    index: Literal[False] | None = Field(
        default=None, description="No search index is kept: false or none."
    )
    ttl: None = Field(default=None, description="Not supported: items stay until deleted.")


class ItemDelete(BaseModel):
    """`DELETE /store/items`."""

    namespace: list[Label]
    key: str = Field(min_length=1, max_length=200)


class ItemSearch(BaseModel):
    """`POST /store/items/search`."""

    namespace_prefix: list[Label] = Field(default_factory=list)
    filter: dict[str, Any] | None = Field(
        default=None, description="Items whose value holds these values at these keys."
    )
    limit: int = Field(default=10, ge=1, le=1000)
    offset: Count = 0
    query: None = Field(default=None, description="Not supported: no semantic index is kept.")
    refresh_ttl: bool | None = None


class NamespaceSearch(BaseModel):
    """`POST /store/namespaces`."""

    prefix: list[Label] | None = None
    suffix: list[Label] | None = None
    max_depth: int | None = Field(default=None, ge=1, le=10)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Count = 0
