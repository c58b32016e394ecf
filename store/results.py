"""A succeeded job's result document and its trials (paginated), and their repository interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import Page, check_limit, decode_cursor, dumps, encode_cursor


@dataclass(frozen=True)
class Result:
    """The result document of a succeeded job.

    `location` is `"inline"` (kept in the database row/item) or an `s3://bucket/key` URL;
    `size_bytes` is the length of its UTF-8 JSON encoding.
    """

    job_id: str
    owner: str
    payload: Any
    size_bytes: int
    location: str
    created_at: datetime


@dataclass(frozen=True)
class Trial:
    """One evaluated configuration of a job: `number` (>= 0) orders the trials of a job."""

    number: int
    data: dict[str, Any]


def check_number(number: int) -> int:
    """Validate a trial number (>= 0)."""
    if number < 0:
        raise ValueError(f"trial number must be >= 0, got {number}")
    return int(number)


class ResultRepository(ABC):
    """Results of succeeded jobs and their trials."""

    @abstractmethod
    def get_result(self, owner: str, job_id: str) -> Result:
        """The result of a succeeded job, or `NotFoundError`."""

    def put_trials(self, owner: str, job_id: str, trials: Sequence[Trial]) -> int:
        """Insert or replace trials of an existing job by `number` (re-running a batch after a
        resume overwrites, never duplicates); returns how many were written."""
        rows = [(check_number(t.number), dumps(t.data)) for t in trials]
        self._put_trials(owner, job_id, rows)
        return len(rows)

    @abstractmethod
    def _put_trials(self, owner: str, job_id: str, rows: list[tuple[int, str]]) -> None:
        """`put_trials` after its checks (`rows`: `(number, data as JSON)`; of a repeated number
        the last wins): `NotFoundError` if the owner has no such job."""

    def trials(
        self, owner: str, job_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Trial]:
        """A page of the job's trials in `number` order; pass `next_cursor` back for the next.

        Paging through to `next_cursor=None` yields every trial exactly once, also when trials
        are added between pages (new ones after the cursor appear later).
        """
        check_limit(limit)
        after = decode_cursor(cursor)
        found = self._trials_after(owner, job_id, after, limit + 1)
        items = found[:limit]
        return Page(items, encode_cursor(items[-1].number) if len(found) > limit else None)

    @abstractmethod
    def _trials_after(self, owner: str, job_id: str, after: int, limit: int) -> list[Trial]:
        """Up to `limit` trials of the job with `number > after`, in `number` order
        (`NotFoundError` if the owner has no such job)."""
