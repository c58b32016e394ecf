"""Saved portfolios (versioned documents) and their repository interface."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_owner, dumps, from_micros


@dataclass(frozen=True)
class Portfolio:
    """A saved portfolio: `data` is free JSON (weights, constraints, notes). `version` starts at 1
    and increases by one on every update (optimistic concurrency via `expected_version`)."""

    id: str
    owner: str
    name: str
    data: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def weights(self) -> dict[str, float]:
        """Its weights by asset (fractions of capital): `data["weights"]` is a list of
        {"asset", "weight"} (as the API writes it) or a mapping."""
        raw = self.data.get("weights") or {}
        if isinstance(raw, Mapping):
            return {str(k): float(v) for k, v in raw.items()}
        return {str(item["asset"]): float(item["weight"]) for item in raw}


class PortfolioRepository(ABC):
    """An owner's saved portfolios."""

    def create_portfolio(self, owner: str, name: str, data: Mapping[str, Any]) -> Portfolio:
        """Save a new portfolio (version 1)."""
        check_owner(owner)
        return self._insert_portfolio(owner, name, dumps(dict(data)))

    @abstractmethod
    def _insert_portfolio(self, owner: str, name: str, data: str) -> Portfolio:
        """`create_portfolio` after its checks (`data` as JSON)."""

    @abstractmethod
    def get_portfolio(self, owner: str, portfolio_id: str) -> Portfolio:
        """The portfolio, or `NotFoundError`."""

    @abstractmethod
    def list_portfolios(self, owner: str) -> list[Portfolio]:
        """The owner's portfolios, oldest first."""

    def update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        *,
        name: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Portfolio:
        """Change name and/or data; the version increases by one. With `expected_version`, a
        portfolio changed meanwhile is a `ConflictError`."""
        body = None if data is None else dumps(dict(data))
        return self._update_portfolio(owner, portfolio_id, name, body, expected_version)

    @abstractmethod
    def _update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        name: str | None,
        data: str | None,
        expected_version: int | None,
    ) -> Portfolio:
        """`update_portfolio` with `data` as JSON (None: keep the name / the data)."""

    @abstractmethod
    def delete_portfolio(self, owner: str, portfolio_id: str) -> None:
        """Delete the portfolio (`NotFoundError` if absent)."""


def portfolio_from_row(d: Mapping[str, Any]) -> Portfolio:
    """The Portfolio a stored row or item holds (`d`: column or attribute name -> value; absent
    optional attributes read as None)."""
    return Portfolio(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        data=json.loads(d["data"]),
        version=d["version"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )
