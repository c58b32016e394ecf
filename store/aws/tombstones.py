"""Deletion in the AWS store: an owner's delete writes a tombstone, the purge removes it later.

The functions serving owners (the API) may not delete anything (`infra/access.py`): deleting
a dataset, document, export, idea, portfolio, profile, chat thread, agent run or cron marks its
item deleted with one `UpdateItem` (or a transaction of them): `deleted_at` (µs), `purge` (what
else goes with it, `Purge`) and the purge index key `gsi1pk=PURGE`, `gsi1sk=<deleted µs, 20
digits>#<pk>#<sk>` (which also takes it out of the item's own listings on `gsi1` and `gsi2`).
From that write on, every read of the store leaves the item out (`AwsTable._get`, `_query`), no
update applies to it (`AwsTable._update`), and its key is free for a new item
(`AwsTable._put_if_absent`), which replaces the tombstone.

`Store.purge_deleted` (`store.aws.purge`, run by the cleanup function every quarter hour) reads
the purge index oldest first and removes, for each tombstone, its objects (a document's
original with every version), its partitions and items, and the tombstone itself last, only if
it is still the same tombstone (`deleted_at` unchanged): a failure on the way leaves the
tombstone, hidden as before, and the next run finishes the work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PURGE_INDEX = "PURGE"
"""`gsi1pk` of every tombstone: the purge's queue, on `gsi1`."""
PURGE_RECORD = "PURGE#"
"""Sort-key prefix of a purge record: a tombstone of nothing but what it purges (the orphans
of a failed write, `AwsTable._put_object_then_item`, or of a refused job completion)."""


@dataclass(frozen=True)
class Purge:
    """What the purge of a tombstone removes besides the tombstone itself: objects of the
    results bucket (`results`, keys), objects of the documents bucket with every version of
    them (`documents`, keys), every item of whole partitions (`partitions`, partition keys
    a deleted thing owns alone, e.g. a document's chunks), objects of the model-artifacts bucket
    (`models`, keys: a strategy model's file whose version number another writer took) and the
    LangGraph checkpoints of conversations (`checkpoints`, their `thread_id`s: a chat thread's
    `ChatThread.checkpoint`)."""

    results: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    partitions: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    checkpoints: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The compact JSON of the `purge` attribute."""
        return json.dumps(
            {
                "results": list(self.results),
                "documents": list(self.documents),
                "partitions": list(self.partitions),
                "models": list(self.models),
                "checkpoints": list(self.checkpoints),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> Purge:
        """The `Purge` of a `purge` attribute (nothing when absent)."""
        data = json.loads(text) if text else {}
        return cls(
            results=tuple(data.get("results", ())),
            documents=tuple(data.get("documents", ())),
            partitions=tuple(data.get("partitions", ())),
            models=tuple(data.get("models", ())),
            checkpoints=tuple(data.get("checkpoints", ())),
        )


NOTHING = Purge()
"""The purge of a tombstone that goes alone (a portfolio, a profile, ...; a thread's
conversation goes with a purge record of its own, `store.aws.threads`)."""


def purge_index_sk(deleted_at: int, pk: str, sk: str) -> str:
    """`gsi1sk` of a tombstone: oldest first, then by key."""
    return f"{deleted_at:020d}#{pk}#{sk}"
