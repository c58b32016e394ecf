"""Stored analysis results: an optimization result (`opt_…`) or a Monte Carlo simulation
(`sim_…`) an owner ran, kept as a record with an id (001 §5.2-5.3), and their repository
interface.

A record is written whole, once, and never changed: `data` is its JSON document (the
parameters, the result), `portfolio_id` the portfolio it concerns as the caller named it (a
saved portfolio's id or the caller's own label; None when none was named).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from store.common import check_owner, dumps, from_micros

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

    @abstractmethod
    def list_analyses(
        self, owner: str, kind: AnalysisKind, *, omit: tuple[str, ...] = ()
    ) -> list[Analysis]:
        """The owner's records of `kind`, oldest first; the top-level keys `omit` of their `data`
        are left out (a listing that does not show a simulation's trajectories does not decode
        them)."""


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
