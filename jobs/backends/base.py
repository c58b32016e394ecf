"""The `ComputeBackend` interface.

A backend evaluates a list of `BatchShard`s (see `jobs.batches`) and returns their
`ShardResult`s in the same order. Every backend runs the same pure function
(`jobs.batches.evaluate_shard`) on the same serialisable shard, so results are bit-for-bit
identical whichever backend ran them.

The errors (all `ComputeError`) are in `jobs.compute_errors`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from jobs.batches import BatchShard, ShardResult


class ComputeBackend(abc.ABC):
    """Evaluates shards somewhere. Use as a context manager, or call `close()` when done.

    `map(shards)` returns one `ShardResult` per shard, in the order given; the results do not
    depend on the backend, the number of workers or the order in which workers finish. The first
    failing shard (in the order given) raises its `ShardError` or `WorkerCrashedError`; the
    remaining shards of that call are cancelled where the backend can.
    """

    name: str = "base"

    @abc.abstractmethod
    def map(self, shards: Sequence[BatchShard]) -> list[ShardResult]:
        """Evaluate `shards`; results in the same order."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release workers, clusters or clients this backend started (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_unique_ids(shards: Sequence[BatchShard]) -> None:
    """Raise `ValueError` when two shards share an id (results are matched by id)."""
    seen: set[str] = set()
    for shard in shards:
        if shard.shard_id in seen:
            raise ValueError(f"shard ids must be unique within a call: {shard.shard_id!r} repeats")
        seen.add(shard.shard_id)
