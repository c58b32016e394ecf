"""Investment ideas (a thesis on a basket of tickers, its numbers, evidence and review status)
and their repository interface.

An idea's status moves along `proposed -> under_review -> accepted -> deployed`, and to
`retired` from any other status (`TRANSITIONS`); every change is appended to its `history`
(time, from, to, by, reason). `version` starts at 1 and increases by one on every write
(optimistic concurrency through `expected_version`). Listings are newest first (creation time,
then id), filtered by status, ticker and creation-time range, one page at a time.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, get_args

from store.common import (
    Clock,
    Page,
    check_limit,
    check_owner,
    decode_position_cursor,
    dumps,
    encode_position_cursor,
    from_micros,
    new_id,
    position_key,
    to_micros,
)
from store.errors import ConflictError, version_conflict

IdeaStatus = Literal["proposed", "under_review", "accepted", "deployed", "retired"]
IDEA_STATUSES: tuple[IdeaStatus, ...] = get_args(IdeaStatus)

Direction = Literal["long", "short"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

ChangedBy = Literal["api", "cli", "chat"]
CHANGED_BY: tuple[ChangedBy, ...] = get_args(ChangedBy)

TRANSITIONS: dict[IdeaStatus, tuple[IdeaStatus, ...]] = {
    "proposed": ("under_review", "retired"),
    "under_review": ("accepted", "retired"),
    "accepted": ("deployed", "retired"),
    "deployed": ("retired",),
    "retired": (),
}
"""The statuses each status may move to."""

MAX_TICKERS = 40
"""Most tickers of one idea (an AWS write of an idea and its ticker index items must fit one
DynamoDB transaction)."""

MAX_TITLE_CHARS = 200
"""The longest title."""

_CHANGEABLE = (
    "title", "thesis", "tickers", "weights", "direction", "horizon_days", "metrics", "evidence",
)  # fmt: skip
"""The fields `update_idea` may change."""

MAX_EVIDENCE = 100
"""Most evidence items of one idea."""


@dataclass(frozen=True)
class Idea:
    """A stored investment idea.

    `tickers` are upper-case symbols of the market data (unique, in the order given); `weights`
    {ticker: fraction} or None for equal weights; `direction` "long" or "short" (a short idea
    holds the negated basket); `horizon_days` trading days. `metrics` is what the numeric core
    computed for the basket, with its definition (method, lookback, data end date);
    `evidence` a list of checked references ({"kind": "document_passage" | "optimization_run" |
    "deployment", ...}); `history` the status changes ({"at", "from", "to", "by", "reason"}),
    oldest first.
    """

    id: str
    owner: str
    title: str
    thesis: str
    tickers: list[str]
    weights: dict[str, float] | None
    direction: Direction
    horizon_days: int
    metrics: dict[str, Any]
    evidence: list[dict[str, Any]]
    status: IdeaStatus
    history: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class IdeaFilter:
    """What `list_ideas` keeps: a status, a ticker, and creation times in `[created_from,
    created_before)` (each None: no bound)."""

    status: IdeaStatus | None = None
    ticker: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None

    def keeps(self, idea: Idea) -> bool:
        """Whether `idea` passes the filter."""
        return (
            (self.status is None or idea.status == self.status)
            and (self.ticker is None or self.ticker in idea.tickers)
            and (self.created_from is None or idea.created_at >= self.created_from)
            and (self.created_before is None or idea.created_at < self.created_before)
        )


@dataclass(frozen=True)
class IdeaChanges:
    """Fields of `update_idea` (None: keep)."""

    title: str | None = None
    thesis: str | None = None
    tickers: list[str] | None = None
    weights: dict[str, float] | None = None
    clear_weights: bool = False
    direction: Direction | None = None
    horizon_days: int | None = None
    metrics: dict[str, Any] | None = None
    evidence: list[dict[str, Any]] | None = field(default=None)


class TransitionError(ConflictError):
    """A status change the idea's current status does not allow; `allowed` lists those it
    does."""

    def __init__(self, idea: Idea, to: str) -> None:
        self.allowed = list(TRANSITIONS[idea.status])
        shown = ", ".join(self.allowed) or "none (retired is final)"
        super().__init__(
            f"idea {idea.id} is {idea.status}: it cannot move to {to}; allowed: {shown}",
            current=idea,
        )


def idea_to_row(idea: Idea) -> dict[str, Any]:
    """The stored form of an idea: scalar columns, `tickers` and `data` (thesis, weights,
    metrics, evidence, history) as JSON, times as microseconds."""
    return {
        "id": idea.id,
        "owner": idea.owner,
        "title": idea.title,
        "status": idea.status,
        "direction": idea.direction,
        "horizon_days": idea.horizon_days,
        "tickers": dumps(idea.tickers),
        "data": dumps(
            {
                "thesis": idea.thesis,
                "weights": idea.weights,
                "metrics": idea.metrics,
                "evidence": idea.evidence,
                "history": idea.history,
            }
        ),
        "version": idea.version,
        "created_at": to_micros(idea.created_at),
        "updated_at": to_micros(idea.updated_at),
    }


def idea_from_row(d: Mapping[str, Any]) -> Idea:
    """The Idea a stored row or item holds."""
    data = json.loads(d["data"])
    return Idea(
        id=d["id"],
        owner=d["owner"],
        title=d["title"],
        thesis=data["thesis"],
        tickers=json.loads(d["tickers"]),
        weights=data.get("weights"),
        direction=d["direction"],
        horizon_days=int(d["horizon_days"]),
        metrics=data.get("metrics") or {},
        evidence=data.get("evidence") or [],
        status=d["status"],
        history=data.get("history") or [],
        version=int(d["version"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )


def sort_key(idea: Idea) -> str:
    """The listing position of an idea (`store.common.position_key`; newest first means
    descending)."""
    return position_key(idea.created_at, idea.id)


def _check_text(name: str, value: Any, maximum: int | None) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"idea {name} must be a non-empty string")
    if maximum is not None and len(value) > maximum:
        raise ValueError(f"idea {name} must be at most {maximum} characters")


def _check_tickers(tickers: Any) -> None:
    if not isinstance(tickers, list) or not tickers:
        raise ValueError("idea tickers must be a non-empty list")
    if len(tickers) > MAX_TICKERS:
        raise ValueError(f"an idea holds at most {MAX_TICKERS} tickers, got {len(tickers)}")
    for ticker in tickers:
        if not isinstance(ticker, str) or not ticker or "#" in ticker or ticker != ticker.upper():
            raise ValueError(f"idea ticker {ticker!r} must be an upper-case symbol without '#'")
    if len(set(tickers)) != len(tickers):
        raise ValueError("idea tickers must be unique")


def _check_idea(idea: Idea) -> None:
    """ValueError naming the first bad field of an idea about to be written."""
    _check_text("title", idea.title, MAX_TITLE_CHARS)
    _check_text("thesis", idea.thesis, None)
    _check_tickers(idea.tickers)
    if idea.direction not in DIRECTIONS:
        raise ValueError(f"idea direction must be one of {', '.join(DIRECTIONS)}")
    if isinstance(idea.horizon_days, bool) or not isinstance(idea.horizon_days, int):
        raise ValueError("idea horizon_days must be an integer")
    if idea.horizon_days < 1:
        raise ValueError("idea horizon_days must be at least 1")
    if idea.weights is not None and set(idea.weights) != set(idea.tickers):
        raise ValueError("idea weights must name exactly the idea's tickers")
    if len(idea.evidence) > MAX_EVIDENCE:
        raise ValueError(f"an idea holds at most {MAX_EVIDENCE} evidence items")


class IdeaRepository(ABC):
    """An owner's investment ideas."""

    clock: Clock

    def create_idea(
        self,
        owner: str,
        *,
        title: str,
        thesis: str,
        tickers: Sequence[str],
        direction: Direction,
        horizon_days: int,
        weights: Mapping[str, float] | None = None,
        metrics: Mapping[str, Any] | None = None,
        evidence: Sequence[Mapping[str, Any]] = (),
        by: ChangedBy = "api",
        reason: str = "created",
    ) -> Idea:
        """Store a new idea (id `idea_…`, status `proposed`, version 1; its history starts
        with the creation, `by` whom and why). `ValueError` names a bad field."""
        check_owner(owner)
        now = from_micros(to_micros(self.clock()))
        assert now is not None
        idea = Idea(
            id=new_id("idea"),
            owner=owner,
            title=title,
            thesis=thesis,
            tickers=list(tickers),
            weights=None if weights is None else {str(k): float(v) for k, v in weights.items()},
            direction=direction,
            horizon_days=horizon_days,
            metrics=dict(metrics or {}),
            evidence=[dict(e) for e in evidence],
            status="proposed",
            history=[_change(now, None, "proposed", by, reason)],
            version=1,
            created_at=now,
            updated_at=now,
        )
        _check_idea(idea)
        self._insert_idea(idea)
        return idea

    @abstractmethod
    def _insert_idea(self, idea: Idea) -> None:
        """`create_idea` after its checks: store the idea and its ticker index."""

    @abstractmethod
    def get_idea(self, owner: str, idea_id: str) -> Idea:
        """The idea, or `NotFoundError` (also for another owner's)."""

    def list_ideas(
        self,
        owner: str,
        where: IdeaFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Idea]:
        """The owner's ideas that pass `where`, newest first, `limit` (1..1000) per page from
        the opaque `cursor`; `ValueError` for a bad cursor or limit."""
        check_limit(limit)
        before = decode_position_cursor(cursor, "before")
        ideas = self._list_ideas(owner, where or IdeaFilter(), before, limit + 1)
        items = ideas[:limit]
        more = len(ideas) > limit
        return Page(items, encode_position_cursor(sort_key(items[-1]), "before") if more else None)

    @abstractmethod
    def _list_ideas(
        self, owner: str, where: IdeaFilter, before: str | None, limit: int
    ) -> list[Idea]:
        """Up to `limit` of the owner's ideas passing `where` whose `sort_key` is below
        `before` (None: no bound), newest first."""

    def update_idea(
        self,
        owner: str,
        idea_id: str,
        changes: IdeaChanges,
        *,
        expected_version: int | None = None,
    ) -> Idea:
        """Change the idea's fields (its status only through `change_idea_status`); the
        version increases by one. With `expected_version`, an idea changed meanwhile is a
        `ConflictError`; `ValueError` names a bad field, `NotFoundError` an absent idea."""
        current = self.get_idea(owner, idea_id)
        fields = {name: getattr(changes, name) for name in _CHANGEABLE}
        updated = replace(current, **{k: v for k, v in fields.items() if v is not None})
        if changes.clear_weights:
            updated = replace(updated, weights=None)
        return self._write(current, updated, expected_version)

    def change_idea_status(
        self,
        owner: str,
        idea_id: str,
        to: IdeaStatus,
        *,
        by: ChangedBy,
        reason: str,
        expected_version: int | None = None,
    ) -> Idea:
        """Move the idea to status `to` (`TRANSITIONS`), recording when, `by` whom and why in
        its history. `TransitionError` (a `ConflictError` listing the allowed statuses) for a
        move its status does not allow; `ConflictError` if `expected_version` is stale."""
        if to not in IDEA_STATUSES:
            raise ValueError(f"idea status must be one of {', '.join(IDEA_STATUSES)}")
        if by not in CHANGED_BY:
            raise ValueError(f"by must be one of {', '.join(CHANGED_BY)}")
        current = self.get_idea(owner, idea_id)
        if to not in TRANSITIONS[current.status]:
            raise TransitionError(current, to)
        now = from_micros(to_micros(self.clock()))
        assert now is not None
        history = [*current.history, _change(now, current.status, to, by, reason)]
        return self._write(current, replace(current, status=to, history=history), expected_version)

    def _write(self, current: Idea, updated: Idea, expected_version: int | None) -> Idea:
        if expected_version is not None and current.version != expected_version:
            raise version_conflict(f"idea {current.id}", current, expected_version)
        now = from_micros(to_micros(self.clock()))
        assert now is not None
        updated = replace(updated, version=current.version + 1, updated_at=now)
        _check_idea(updated)
        self._replace_idea(updated, current)
        return updated

    @abstractmethod
    def _replace_idea(self, idea: Idea, current: Idea) -> None:
        """Write `idea` over `current` (same id) only if the stored version is still
        `current.version` (else `ConflictError`), keeping the ticker index in step."""

    @abstractmethod
    def delete_idea(self, owner: str, idea_id: str) -> None:
        """Delete the idea and its index entries (`NotFoundError` if absent)."""


def _change(
    at: datetime, before: str | None, to: str, by: ChangedBy, reason: str
) -> dict[str, Any]:
    if by not in CHANGED_BY:
        raise ValueError(f"by must be one of {', '.join(CHANGED_BY)}")
    return {"at": at.isoformat(), "from": before, "to": to, "by": by, "reason": reason}
