"""An owner's data as a whole: read out (for an export), restored into an empty owner (an
import), erased (hidden at once, purged by the cleanup, with a receipt); and the owner lock
every store method honours while an erasure or an import is under way.

What the store holds of an owner comes out as **records** (`OwnerRecord`: a collection and one
JSON document: a SQLite row, a DynamoDB item with its typed attribute values) and **objects**
(`OwnerObject`: a file named `objects/<kind>/<rest>`, the part of its path after the owner:
report and strategy model files beside the SQLite database, S3 objects on AWS). The records'
shape is the backend's own: an archive restores into a store of the backend that wrote it
(`services.owner_data` says so at submission).

**The owner lock** (AWS; SQLite deletes the owner's rows in the erasure's transaction and never
locks: `store.sqlite.owner_data`). `erase_owner` is one conditional write: the owner's lock,
`erasing`, with the receipt's id. From then on every store method
that takes the owner first refuses with `OwnerBusyError` (the gate below: one lookup of the lock
per outermost call), the cross-owner listings (`jobs_by_status`, `deployments_by_status`,
`due_agent_crons`) leave the owner's records out and an API key of the owner verifies as unknown,
until the purge (`purge_erased`, run by the cleanup; on SQLite at once) has removed every row,
item and object of the owner and then the lock, and stamped the receipt `purged_at`. An import
holds the lock `importing` while it writes (AWS; SQLite restores in one transaction); an import
that fails turns it into `erasing`, so what it wrote stays hidden and the cleanup purges it.

**Receipts** (`ErasureReceipt`) keep no personal data beyond what is needed: the owner only as a
keyed digest (`owner_key`, HMAC-SHA-256 with the store's API-key pepper), the times, and the
number of records and objects erased per collection.

**Re-owning.** Records restored for another owner go through `OwnerRewrite`: the owner column
or attribute, the owner's segments in keys and object names, and the ids derived from the owner
(`store.owner_ids`) become the new owner's; generated ids (`job_…`, `pf_…`) are kept.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import hmac
import inspect
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from store.common import check_owner
from store.errors import ConflictError, NotFoundError, StoreError
from store.owner_ids import account_tag, owner_digest
from store.reports import parse_report_id, report_id

LockState = Literal["erasing", "importing"]
_REPORT_ID = re.compile(r"rpt_[A-Za-z0-9_-]+")

OBJECTS_PREFIX = "objects/"
"""Object names start with this, then the kind (`reports`, `strategy-models`, `datasets`, ...)."""


class OwnerBusyError(StoreError):
    """The owner's data is being erased or imported: nothing of it can be read or written
    until that is done (`state`, since `since`)."""

    def __init__(self, owner: str, state: LockState, since: datetime) -> None:
        self.owner, self.state, self.since = owner, state, since
        if state == "erasing":
            what = (
                f"the data of owner {owner!r} was erased at {since.isoformat()} and is being "
                "purged: nothing of it can be read or written until the cleanup has removed it"
            )
        else:
            what = (
                f"an import into owner {owner!r} is under way since {since.isoformat()}: "
                "nothing can be read or written until it ends"
            )
        super().__init__(what)


class OwnerNotEmptyError(ConflictError):
    """An import into an owner who already has data (or deleted data the purge has not yet
    removed): refused, nothing written."""


@dataclass(frozen=True)
class OwnerRecord:
    """One stored record of an owner: its `collection` (a SQLite table, or `items` on AWS) and
    its JSON document."""

    collection: str
    data: dict[str, Any]


@dataclass(frozen=True)
class OwnerObject:
    """One file of an owner: `name` (`objects/<kind>/<rest>`, the owner left out) and `read()`
    its bytes (read when asked, one file at a time)."""

    name: str
    read: Callable[[], bytes]


@dataclass(frozen=True)
class OwnerLock:
    """An erasure or import under way for an owner."""

    state: LockState
    since: datetime
    receipt_id: str | None = None


@dataclass(frozen=True)
class ErasureReceipt:
    """What an erasure removed: `id` (`era_…`), `owner_key` (the keyed digest of the owner,
    `owner_key()`), when it was asked (`requested_at`: from then on nothing was readable) and
    when the purge finished (`purged_at`, None while pending), and the number of records and
    objects erased per collection (`counts`, known once purged on AWS)."""

    id: str
    owner_key: str
    requested_at: datetime
    purged_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """`purged` once everything is removed, else `hidden` (unreadable, bytes pending)."""
        return "hidden" if self.purged_at is None else "purged"

    def to_json(self) -> dict[str, Any]:
        """The receipt as JSON (times ISO 8601)."""
        return {
            "id": self.id,
            "status": self.status,
            "owner_key": self.owner_key,
            "requested_at": self.requested_at.isoformat(),
            "purged_at": None if self.purged_at is None else self.purged_at.isoformat(),
            "counts": dict(sorted(self.counts.items())),
        }


def thread_of(record: OwnerRecord) -> str | None:
    """The id of the chat thread `record` is the index entry of (a SQLite `threads` row, a
    DynamoDB `TH#` item of the owner's partition), else None."""
    data = record.data
    if record.collection == "threads" or (
        record.collection == "items"
        and str(data.get("pk", "")).startswith("OWNER#")
        and str(data.get("sk", "")).startswith("TH#")
    ):
        return str(data["id"])
    return None


def owner_key(pepper: str, owner: str) -> str:
    """The keyed digest receipts know an owner by (HMAC-SHA-256 under the store's pepper, 32
    hex digits): the owner can find their receipts, the receipt cannot name them."""
    message = f"stratigos erasure\0{owner}".encode("utf-8", "surrogatepass")
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()[:32]


class OwnerRewrite:
    """What changes in an owner's records and object names when they become `new`'s: the owner
    (a whole value, a `#`- or `/`-separated segment of a key or name, `"owner": ...` in JSON
    text) and the ids derived from the owner (`store.owner_ids`)."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self._text = [
            (f"paper-shared-{account_tag(old)}-", f"paper-shared-{account_tag(new)}-"),
            (owner_digest(old), owner_digest(new)),
            (f'"owner": {json.dumps(old)}', f'"owner": {json.dumps(new)}'),
            (f'"owner":{json.dumps(old)}', f'"owner":{json.dumps(new)}'),
        ]

    @property
    def identity(self) -> bool:
        """True when nothing changes (the same owner)."""
        return self.old == self.new

    def value(self, value: str) -> str:
        """`value` with the owner's derived ids and JSON fields re-owned (report ids, which
        encode their account, included)."""
        if self.identity:
            return value
        if "rpt_" in value:
            value = _REPORT_ID.sub(lambda m: self._report_id(m.group(0)), value)
        for old, new in self._text:
            if old in value:
                value = value.replace(old, new)
        return value

    def _report_id(self, text: str) -> str:
        parsed = parse_report_id(text)
        if parsed is None:
            return text
        account, day, kind, deployment_id = parsed
        moved = self.value(account)
        return text if moved == account else report_id(moved, day, kind, deployment_id)

    def segments(self, value: str, separator: str) -> str:
        """`value` with every `separator`-separated segment equal to the owner re-owned (then
        `value`'s rules)."""
        if self.old in value.split(separator):
            value = separator.join(self.new if s == self.old else s for s in value.split(separator))
        return self.value(value)


class OwnerDataRepository(ABC):
    """An owner's data as a whole (see the module docstring)."""

    def owner_records(self, owner: str) -> Iterator[OwnerRecord]:
        """Every record the store holds of `owner` (deleted ones left out) but API keys
        (credentials) and the results cache (rebuilt on demand), collection by collection."""
        check_owner(owner)
        return self._owner_records(owner)

    @abstractmethod
    def _owner_records(self, owner: str) -> Iterator[OwnerRecord]: ...

    def owner_objects(self, owner: str) -> Iterator[OwnerObject]:
        """Every file of `owner`'s records (`OwnerObject`), each read when asked."""
        check_owner(owner)
        return self._owner_objects(owner)

    @abstractmethod
    def _owner_objects(self, owner: str) -> Iterator[OwnerObject]: ...

    def owner_has_data(self, owner: str) -> bool:
        """True when the store holds anything of `owner` but API keys and cache entries (a
        deleted thing not yet purged counts: its key is not free for an import)."""
        check_owner(owner)
        return self._owner_has_data(owner)

    @abstractmethod
    def _owner_has_data(self, owner: str) -> bool: ...

    def restore_owner(
        self,
        owner: str,
        records: Iterable[OwnerRecord],
        objects: Iterable[tuple[str, bytes]],
        rewrite: OwnerRewrite,
    ) -> None:
        """Write `records` and `objects` (name, bytes) read out of `rewrite.old` as `owner`'s
        (`rewrite.new`), all or nothing: `OwnerNotEmptyError` when `owner` has data,
        `OwnerBusyError` while it is locked, `ConflictError` when a record's key is taken in
        this store (a global id another owner holds), `ValueError` for a record this backend
        does not keep; after a failure nothing of it is readable (AWS: its lock turns to
        `erasing` and the cleanup purges what was written)."""
        check_owner(owner)
        if rewrite.new != owner:
            raise ValueError("the rewrite must name the owner restored into")
        self._restore_owner(owner, records, objects, rewrite)

    @abstractmethod
    def _restore_owner(
        self,
        owner: str,
        records: Iterable[OwnerRecord],
        objects: Iterable[tuple[str, bytes]],
        rewrite: OwnerRewrite,
    ) -> None: ...

    def erase_owner(self, owner: str) -> ErasureReceipt:
        """Erase everything of `owner`: one conditional write hides it all at once (see the
        module docstring); the purge removes it (SQLite: rows at once, files right after;
        AWS: the cleanup). The receipt; `OwnerBusyError` while an import or erasure is under
        way."""
        check_owner(owner)
        return self._erase_owner(owner)

    @abstractmethod
    def _erase_owner(self, owner: str) -> ErasureReceipt: ...

    def erasure_receipts(self, owner: str) -> list[ErasureReceipt]:
        """The receipts of `owner`'s erasures, newest first (found by the owner's key)."""
        check_owner(owner)
        return self._erasure_receipts(owner_key(self._receipt_pepper(), owner))

    @abstractmethod
    def _erasure_receipts(self, key: str) -> list[ErasureReceipt]: ...

    @abstractmethod
    def _receipt_pepper(self) -> str: ...

    def owner_lock(self, owner: str) -> OwnerLock | None:
        """The erasure or import under way for `owner`, or None."""
        check_owner(owner)
        return self._owner_lock(owner)

    @abstractmethod
    def _owner_lock(self, owner: str, action: str = "owner_lock") -> OwnerLock | None:
        """The lock of `owner`, read for `action` (named in a `StoreUnavailableError`)."""

    @abstractmethod
    def purge_erased(self, limit: int = 20) -> int:
        """Remove, for up to `limit` owners whose erasure (or failed import) is pending, every
        row, item and object of theirs, then their lock, and stamp the receipt; the number
        purged. A failure leaves the owner locked, for the next run (logged)."""


# --- the gate --------------------------------------------------------------------------------

UNGATED = frozenset({"owner_lock", "erase_owner", "erasure_receipts", "restore_owner"})
"""Owner methods that deal with the lock themselves."""
_LISTINGS = frozenset({"jobs_by_status", "deployments_by_status", "due_agent_crons"})
"""Cross-owner listings: records of locked owners are left out."""
_SYSTEM = frozenset({"cleanup", "purge_deleted", "purge_erased"})
"""The cleanup's methods: they reach every owner's data whatever its lock."""
_RECORD_WRITES = frozenset({"put_snapshot", "record_iv"})
"""Writes whose owner is their record's."""

_inside: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "store_owner_gate", default=frozenset()
)


_EVERY_OWNER = "#"
"""In the gate's context: every owner passes (no owner id holds a `#`)."""


def _checkable(owner: object) -> bool:
    return isinstance(owner, str) and bool(owner) and "#" not in owner


def _refuse_locked(store: OwnerDataRepository, owner: str, action: str) -> None:
    lock = store._owner_lock(owner, f"{action} (the owner's lock)")
    if lock is not None:
        raise OwnerBusyError(owner, lock.state, lock.since)


def _gated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: OwnerDataRepository, owner: Any, *args: Any, **kwargs: Any) -> Any:
        inside = _inside.get()
        if not _checkable(owner) or owner in inside or _EVERY_OWNER in inside:
            return method(self, owner, *args, **kwargs)
        _refuse_locked(self, owner, method.__name__)
        token = _inside.set(inside | {owner})
        try:
            return method(self, owner, *args, **kwargs)
        finally:
            _inside.reset(token)

    call.__owner_gate__ = True  # type: ignore[attr-defined]
    return call


def _listing(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: OwnerDataRepository, *args: Any, **kwargs: Any) -> Any:
        found = _system(method)(self, *args, **kwargs)
        locked = {o: self._owner_lock(o) is not None for o in {r.owner for r in found}}
        return [r for r in found if not locked[r.owner]]

    call.__owner_gate__ = True  # type: ignore[attr-defined]
    return call


def _system(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: OwnerDataRepository, *args: Any, **kwargs: Any) -> Any:
        token = _inside.set(_inside.get() | {_EVERY_OWNER})
        try:
            return method(self, *args, **kwargs)
        finally:
            _inside.reset(token)

    call.__owner_gate__ = True  # type: ignore[attr-defined]
    return call


def _record_write(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: OwnerDataRepository, record: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(record, "owner", None)
        if isinstance(owner, str) and _checkable(owner):
            _refuse_locked(self, owner, method.__name__)
        return method(self, record, *args, **kwargs)

    call.__owner_gate__ = True  # type: ignore[attr-defined]
    return call


def _verify(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: OwnerDataRepository, *args: Any, **kwargs: Any) -> Any:
        key = method(self, *args, **kwargs)
        if self._owner_lock(key.owner) is not None:
            raise NotFoundError("unknown API key")
        return key

    call.__owner_gate__ = True  # type: ignore[attr-defined]
    return call


def gate_owner_methods(cls: type) -> None:
    """Wrap `cls`'s public store methods so the owner lock is honoured (see the module
    docstring): methods taking `owner` first refuse a locked owner (`OwnerBusyError`), the
    cross-owner listings leave locked owners out, an API key of a locked owner is unknown.
    Called for every subclass of `Store`; each definition is wrapped once."""
    for name in dir(cls):
        if name.startswith("_") or name in UNGATED:
            continue
        attr = inspect.getattr_static(cls, name)
        if not inspect.isfunction(attr) or getattr(attr, "__owner_gate__", False):
            continue
        if name in _LISTINGS:
            setattr(cls, name, _listing(attr))
        elif name in _SYSTEM:
            setattr(cls, name, _system(attr))
        elif name in _RECORD_WRITES:
            setattr(cls, name, _record_write(attr))
        elif name == "verify_api_key":
            setattr(cls, name, _verify(attr))
        elif list(inspect.signature(attr).parameters)[1:2] == ["owner"]:
            setattr(cls, name, _gated(attr))


def ungated(owner: str) -> contextvars.Token[frozenset[str]]:
    """Let the calls that follow (in this context) reach `owner`'s data whatever its lock:
    for the erasure's purge and the import, which hold the lock. Reset with `_inside.reset`."""
    return _inside.set(_inside.get() | {owner})


def reset_gate(token: contextvars.Token[frozenset[str]]) -> None:
    """Undo `ungated`."""
    _inside.reset(token)
