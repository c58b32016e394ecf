"""Stored analysis results: an optimization result (`opt_…`) or a Monte Carlo simulation
(`sim_…`) an owner ran, kept as a record with an id (001 §5.2-5.3), and their repository
interface.

A record is written whole, once, and never changed: `data` is its JSON document (the
parameters, the result), `portfolio_id` the portfolio it concerns as the caller named it (a
saved portfolio's id or the caller's own label; None when none was named).

An owner's records of a kind are listed in pages, oldest first, in the order of (created_at,
id) (`store.common.position_key`); a page's cursor names the position of its last record only,
so a listing from it still shows the owner's records alone.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from store.common import (
    Page,
    check_limit,
    check_owner,
    decode_position_cursor,
    dumps,
    encode_position_cursor,
    from_micros,
    position_key,
)

AnalysisKind = Literal["optimization", "simulation"]

ANALYSIS_KINDS: tuple[AnalysisKind, ...] = get_args(AnalysisKind)

ID_PREFIXES: dict[AnalysisKind, str] = {"optimization": "opt", "simulation": "sim"}
"""The id prefix of each kind of record."""


@dataclass(frozen=True)
class Analysis:
    """One stored optimization result or simulation (see the module docstring)."""

    id: str
    owner: str
    kind: AnalysisKind
    portfolio_id: str | None
    data: dict[str, Any]
    created_at: datetime


class AnalysisRepository(ABC):
    """An owner's stored optimization results and simulations."""

    def put_analysis(
        self, owner: str, kind: AnalysisKind, portfolio_id: str | None, data: Mapping[str, Any]
    ) -> Analysis:
        """Store a new record of `kind` (its id generated) and return it."""
        check_owner(owner)
        if kind not in ANALYSIS_KINDS:
            raise ValueError(f"kind must be one of {ANALYSIS_KINDS}, got {kind!r}")
        return self._insert_analysis(owner, kind, portfolio_id, dumps(dict(data)))

    @abstractmethod
    def _insert_analysis(
        self, owner: str, kind: AnalysisKind, portfolio_id: str | None, data: str
    ) -> Analysis:
        """`put_analysis` after its checks (`data` as JSON)."""

    @abstractmethod
    def get_analysis(self, owner: str, kind: AnalysisKind, analysis_id: str) -> Analysis:
        """The owner's record of `kind` with this id, or `NotFoundError`."""

    def list_analyses(
        self,
        owner: str,
        kind: AnalysisKind,
        *,
        cursor: str | None = None,
        limit: int = 50,
        omit: tuple[str, ...] = (),
    ) -> Page[Analysis]:
        """A page of the owner's records of `kind`, oldest first: `limit` (1..1000) of them
        after the opaque `cursor` (the `next_cursor` of the previous page; None: from the
        first). The top-level keys `omit` of their `data` are left out (a listing that does not
        show a simulation's trajectories does not decode them). `ValueError` for a malformed
        cursor or a limit out of range."""
        check_owner(owner)
        check_limit(limit)
        after = decode_position_cursor(cursor, "after")
        found = self._list_analyses(owner, kind, after, limit + 1, omit)
        items = found[:limit]
        if len(found) <= limit:
            return Page(items, None)
        last = position_key(items[-1].created_at, items[-1].id)
        return Page(items, encode_position_cursor(last, "after"))

    @abstractmethod
    def _list_analyses(
        self, owner: str, kind: AnalysisKind, after: str | None, limit: int, omit: tuple[str, ...]
    ) -> list[Analysis]:
        """Up to `limit` of the owner's records of `kind` whose `position_key` follows `after`
        (None: from the first), oldest first, without the keys `omit` of their `data`."""


def analysis_from_row(d: Mapping[str, Any]) -> Analysis:
    """The Analysis a stored row or item holds (`d`: column or attribute name -> value)."""
    return Analysis(
        id=d["id"],
        owner=d["owner"],
        kind=d["kind"],
        portfolio_id=d.get("portfolio_id"),
        data=json.loads(d["data"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
    )
