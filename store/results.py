"""A succeeded job's result document and its trials (paginated), and their repository interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import Page


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

    @abstractmethod
    def put_trials(self, owner: str, job_id: str, trials: Sequence[Trial]) -> int:
        """Insert or replace trials of an existing job by `number` (re-running a batch after a
        resume overwrites, never duplicates); returns how many were written."""

    @abstractmethod
    def trials(
        self, owner: str, job_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Trial]:
        """A page of the job's trials in `number` order; pass `next_cursor` back for the next.

        Paging through to `next_cursor=None` yields every trial exactly once, also when trials
        are added between pages (new ones after the cursor appear later).
        """
