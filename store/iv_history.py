"""The implied-volatility history: one record a session per owner and underlying of the
at-the-money implied volatility the broker's option quotes gave (`trading.day.iv_history`),
and its repository interface.

Recording a session that has a record already changes nothing (a retried job records its
session once). Records are owner-scoped: each owner's are read with their own broker keys.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from store.common import check_owner, dumps, from_micros

MAX_IV_RECORDS_LISTED = 10_000
"""Most records one `iv_history` call returns (about forty years of sessions)."""


@dataclass(frozen=True)
class IVRecord:
    """The at-the-money implied volatility of `underlying` at the close of `day` (annualised,
    a fraction): read from `source`'s quotes of the listed expiry `expiry`, with the
    underlying at `spot`; `details` say which quotes (JSON); `recorded_at` when."""

    owner: str
    underlying: str
    day: date
    atm_volatility: float
    expiry: date
    spot: float
    source: str
    recorded_at: datetime
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The record as JSON (dates ISO 8601; the API's view)."""
        return {
            "underlying": self.underlying,
            "day": self.day.isoformat(),
            "atm_volatility": self.atm_volatility,
            "expiry": self.expiry.isoformat(),
            "spot": self.spot,
            "source": self.source,
            "recorded_at": self.recorded_at.isoformat(),
            "details": self.details,
        }


def iv_data(record: IVRecord) -> str:
    """The stored JSON of a record's values (everything but its key and time)."""
    return dumps(
        {
            "atm_volatility": record.atm_volatility,
            "expiry": record.expiry.isoformat(),
            "spot": record.spot,
            "source": record.source,
            "details": record.details,
        }
    )


def iv_from_row(row: Mapping[str, Any]) -> IVRecord:
    """The record a stored row or item holds (`owner`, `underlying`, `day` ISO, `recorded_at`
    in microseconds, `data`)."""
    data = json.loads(row["data"])
    return IVRecord(
        owner=row["owner"],
        underlying=row["underlying"],
        day=date.fromisoformat(row["day"]),
        atm_volatility=data["atm_volatility"],
        expiry=date.fromisoformat(data["expiry"]),
        spot=data["spot"],
        source=data["source"],
        recorded_at=from_micros(row["recorded_at"]),  # type: ignore[arg-type]
        details=data["details"],
    )


TICKER_PATTERN = r"^[A-Za-z0-9.\-]{1,16}$"
"""What an underlying's name is: 1 to 16 letters, digits, '.' or '-'."""


def check_underlying(underlying: str) -> None:
    """ValueError unless `underlying` is a ticker (`TICKER_PATTERN`)."""
    if not isinstance(underlying, str) or not re.fullmatch(TICKER_PATTERN, underlying):
        raise ValueError(f"underlying must be a ticker, got {underlying!r}")


def _check_record(record: IVRecord) -> None:
    check_owner(record.owner)
    check_underlying(record.underlying)
    if record.recorded_at.tzinfo is None:
        raise ValueError("recorded_at must be timezone-aware")
    for name in ("atm_volatility", "spot"):
        value = getattr(record, name)
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    if record.expiry <= record.day:
        raise ValueError("expiry must be after the day recorded")


class IVHistoryRepository(ABC):
    """Every owner's implied-volatility history."""

    def record_iv(self, record: IVRecord) -> bool:
        """Store `record` unless the owner has one of its underlying and day; True when stored.
        `ValueError` names a bad field."""
        _check_record(record)
        return self._insert_iv(record)

    @abstractmethod
    def _insert_iv(self, record: IVRecord) -> bool:
        """`record_iv` after its checks."""

    @abstractmethod
    def iv_history(
        self,
        owner: str,
        underlying: str,
        *,
        since: date | None = None,
        until: date | None = None,
    ) -> list[IVRecord]:
        """The owner's records of `underlying` from `since` to `until` (inclusive, either
        open), oldest first, at most `MAX_IV_RECORDS_LISTED` (the latest)."""

    def latest_iv(
        self, owner: str, underlying: str, on_or_before: date, *, max_age_days: int
    ) -> IVRecord | None:
        """The owner's latest record of `underlying` on or before `on_or_before`, if it is at
        most `max_age_days` older; else None."""
        found = self.iv_history(
            owner,
            underlying,
            since=on_or_before - timedelta(days=max_age_days),
            until=on_or_before,
        )
        return found[-1] if found else None
