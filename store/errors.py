"""The store's typed errors: callers only ever see `StoreError` subclasses (see `store.base`)."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base class of every error a store raises."""


class NotFoundError(StoreError, LookupError):
    """No such record for this owner (records of other owners are reported the same way)."""


class ConflictError(StoreError):
    """A guarded write was refused: the record is not in the state the caller required.

    Nothing was written. `current` carries the record as it is now when the store knows it
    (e.g. the `Job` whose status did not match).
    """

    def __init__(self, message: str, current: Any = None) -> None:
        super().__init__(message)
        self.current = current


def version_conflict(what: str, current: Any, expected_version: int | None) -> ConflictError:
    """The refusal of an optimistic update: `what` (e.g. "portfolio pf_…") is at
    `current.version`, not the `expected_version` the caller read (`current` rides along)."""
    return ConflictError(
        f"{what} is at version {current.version}, not {expected_version}", current=current
    )


class StoreUnavailableError(StoreError):
    """The storage cannot be reached or written (file unwritable, disk full, endpoint down)."""


class ArchivedError(StoreUnavailableError):
    """The bytes are in an archive storage class (S3 Glacier Flexible Retrieval) and cannot be
    read now: a restore was requested (or is under way); they become readable after
    `ready_in_hours` hours, for a few days."""

    def __init__(self, message: str, ready_in_hours: int) -> None:
        super().__init__(message)
        self.ready_in_hours = ready_in_hours


class StoreGoneError(StoreUnavailableError):
    """The store's data is gone (its file was deleted or replaced while in use): unlike an
    outage, no retry can succeed, so work that needs the store stops at once."""


class InvalidResultError(StoreError, ValueError):
    """`complete_job` refused a result document that is not a complete success (see
    `check_result`); nothing was written and the job is still running."""
