"""The trade ledger in the AWS store: a book is the partition `LEDGER#<owner>#<book>` with one
item per entry (sort key `E#<entry id>`, so an id is stored once; `seq` keeps the order of
appending) and `#HEAD` holding `last_seq`. An append writes its entries and the new `last_seq`
in one transaction guarded by the old one."""

from __future__ import annotations

from typing import Any

from store.aws.table import AwsTable
from store.common import to_micros
from store.errors import ConflictError
from store.ledger import ENTRY_COLUMNS, NUMBER_FIELDS, LedgerEntry, entry_conflict, entry_from_row

_ATTEMPTS = 5


def book_pk(owner: str, book: str) -> str:
    return f"LEDGER#{owner}#{book}"


class AwsLedger(AwsTable):
    """The trade ledger on DynamoDB."""

    def _append_ledger(self, owner: str, book: str, entries: list[LedgerEntry]) -> int:
        pk = book_pk(owner, book)
        for _ in range(_ATTEMPTS):
            new, head = self._unheld("append_ledger", owner, {book: entries})[book]
            if not new:
                return 0
            last = 0 if head is None else int(head["last_seq"])
            actions = [self._head_put(pk, head, last + len(new))]
            if head is None:  # the book's first entries: found by the owner's export
                actions.append(self._pointer_put(owner, pk))
            actions += self._entry_puts(pk, new, last)
            if self._transact("append_ledger", actions) is None:
                return len(new)
        raise ConflictError(f"ledger {book} kept changing; append again")

    def _entry_puts(self, pk: str, new: list[LedgerEntry], last: int) -> list[dict[str, Any]]:
        """The transaction actions putting `new` entries after sequence `last` (each guarded:
        an entry id is written once)."""
        actions = []
        for offset, entry in enumerate(new, start=1):
            record: dict[str, Any] = {
                "pk": pk,
                "sk": f"E#{entry.entry_id}",
                "seq": last + offset,
                "time": to_micros(entry.time),
            }
            for column in ENTRY_COLUMNS:
                value = getattr(entry, column)
                record[column] = (
                    repr(float(value)) if column in NUMBER_FIELDS and (value is not None) else value
                )
            actions.append(self._put_new(record))
        return actions

    def _unheld(
        self, action: str, owner: str, books: dict[str, list[LedgerEntry]]
    ) -> dict[str, tuple[list[LedgerEntry], dict[str, Any] | None]]:
        """Per book of `owner`: its entries of `books` that it does not hold yet, and its
        `#HEAD` item (None before its first entry), all read consistently in one `BatchGetItem`
        (not a `GetItem` an entry and another for the head); an entry it holds with other values
        is an `entry_conflict` (the first one in `books`' order)."""
        keys = [
            (book_pk(owner, book), sk)
            for book, entries in books.items()
            if entries
            for sk in ("#HEAD", *(f"E#{e.entry_id}" for e in entries))
        ]
        items = iter(self._batch_get(action, keys)) if keys else iter(())
        out: dict[str, tuple[list[LedgerEntry], dict[str, Any] | None]] = {}
        for book, entries in books.items():
            head = next(items) if entries else None
            new = []
            for entry in entries:
                item = next(items)
                if item is None:
                    new.append(entry)
                elif entry_from_row(item) != entry:
                    raise entry_conflict(book, entry.entry_id)
            out[book] = (new, head)
        return out

    def _ledger(self, owner: str, book: str) -> list[LedgerEntry]:
        items = self._query("ledger", book_pk(owner, book), sk_prefix="E#")
        return [entry_from_row(item) for item in sorted(items, key=lambda i: int(i["seq"]))]
