"""The optimization step on a fleet: N instances (shards) share every batch of one search.

A search is sequential: each batch's proposals depend on every earlier batch's results (TPE,
warm starts). So the shards do not split the search, they split each batch. Every shard runs
the same search (the same order, seed and trials, hence the same proposals), evaluates its own
contiguous slice of the batch's candidates (`Shard.part`), publishes the slice's path means to
the exchange (a directory here and on Ray, an S3 prefix on SageMaker), waits for the other
shards' slices of that batch and joins them in candidate order (`Shard.share`): every shard
then records the same batch and proposes the same next one. A candidate's values do not depend
on what it is evaluated with (docs/compute.md), so the trials, and the winner, are the single
instance's, bit for bit, whatever the number of shards. The first shard (the leader) writes the
step's checkpoint and output.

A published slice is that shard's checkpoint of the batch: a shard started again (a retried
step, a preempted instance) takes the slices already published instead of evaluating them, so
it continues after its last published slice. A slice names the candidates it holds
(`config_ids`): one published for other proposals (another order in the same place, another
number of shards) is never taken.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from settings.files import write_atomic
from settings.groups.compute import MAX_PIPELINE_SHARDS

SHARDS_DIR = "shards"
"""Where in the optimization step's output (or S3 prefix) the shards publish their slices."""

Means = dict[str, dict[str, list[float]]]
"""Path means of a batch's candidates: scenario -> metric -> one value per candidate."""


class ShardWaitError(RuntimeError):
    """A shard waited longer than it may for another shard's slice of a batch."""


class ShardsStoppedError(RuntimeError):
    """The shards were stopped while this one waited (another shard failed)."""


class Exchange(Protocol):
    """Where the shards of one step publish their slices: JSON documents by name."""

    def read(self, name: str) -> Any | None:
        """The document `name`, or None when none was published."""

    def write(self, name: str, document: Any) -> None:
        """Publish `document` as `name`, whole or not at all."""


@dataclass(frozen=True)
class DirectoryExchange:
    """An exchange in a directory every shard sees (threads here; Ray tasks of a local
    cluster, or nodes sharing a filesystem)."""

    directory: Path

    def read(self, name: str) -> Any | None:
        """The document `name`, or None."""
        path = self.directory / name
        return json.loads(path.read_text()) if path.is_file() else None

    def write(self, name: str, document: Any) -> None:
        """Write `document` as `name` atomically."""
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(document, separators=(",", ":")))


@dataclass(frozen=True)
class S3Exchange:
    """An exchange under an S3 prefix (`s3://bucket/key/`; the instances of a SageMaker
    processing job). `s3`: a boto3 client."""

    s3: Any
    uri: str

    def _location(self, name: str) -> tuple[str, str]:
        if not self.uri.startswith("s3://"):
            raise ValueError(f"not an s3:// URI: {self.uri!r}")
        bucket, _, prefix = self.uri[len("s3://") :].partition("/")
        return bucket, f"{prefix.rstrip('/')}/{name}".lstrip("/")

    def read(self, name: str) -> Any | None:
        """The document `name`, or None when S3 holds no such object."""
        from botocore.exceptions import ClientError

        bucket, key = self._location(name)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return json.loads(body)

    def write(self, name: str, document: Any) -> None:
        """Put `document` as `name` (an S3 put is whole or nothing)."""
        bucket, key = self._location(name)
        body = json.dumps(document, separators=(",", ":")).encode()
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)


def check_shard_count(count: int, name: str = "shards") -> int:
    """`count` when it is a number of shards the pipeline runs (1 to `MAX_PIPELINE_SHARDS`);
    `ValueError` naming `name` otherwise."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise ValueError(f"{name}={count!r} must be a whole number of instances")
    if not 1 <= count <= MAX_PIPELINE_SHARDS:
        raise ValueError(f"{name}={count} must be in 1..{MAX_PIPELINE_SHARDS}")
    return count


def part(size: int, index: int, count: int) -> range:
    """The candidates (positions in a batch of `size`) shard `index` of `count` evaluates:
    a contiguous slice, the slices in shard order covering the batch once (some empty when
    the batch has fewer candidates than shards)."""
    return range(size * index // count, size * (index + 1) // count)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class Shard:
    """Shard `index` (from 0) of `count` sharing a step's batches through `exchange`.

    `wait_s`: seconds it waits for another shard's slice of a batch (then `ShardWaitError`);
    it polls every `poll_s` seconds, growing 1.5x up to `max_poll_s`. `stopped`: True once the
    engine stopped the shards (another failed; then `ShardsStoppedError`). `sleep` and `clock`
    (seconds) are injectable."""

    index: int
    count: int
    exchange: Exchange
    wait_s: float = 3600.0
    poll_s: float = 0.2
    max_poll_s: float = 5.0
    stopped: Callable[[], bool] = _never
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        check_shard_count(self.count, "count")
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard index {self.index} is not in 0..{self.count - 1}")

    @property
    def leader(self) -> bool:
        """Whether this shard writes the step's checkpoint and output (the first)."""
        return self.index == 0

    @staticmethod
    def slice_name(batch: int, index: int, count: int) -> str:
        """The exchange's name of shard `index` of `count`'s slice of batch `batch`."""
        return f"batch-{batch:06d}/shard-{index:02d}-of-{count:02d}.json"

    def share(
        self, batch: int, config_ids: Sequence[str], evaluate: Callable[[range], Means]
    ) -> Means:
        """The path means of all of batch `batch`'s candidates (`config_ids`, in order): this
        shard's slice taken from the exchange when it was published for these candidates,
        else `evaluate(positions)` and published; the others' slices as they publish them;
        joined in candidate order."""
        ids = list(config_ids)
        mine = part(len(ids), self.index, self.count)
        own: Means = {}
        if len(mine):
            name = self.slice_name(batch, self.index, self.count)
            own = self._slice(name, ids, mine) or {}
            if not own:
                own = evaluate(mine)
                document = {
                    "batch": batch,
                    "shard": self.index,
                    "count": self.count,
                    "config_ids": ids[mine.start : mine.stop],
                    "means": own,
                }
                self.exchange.write(name, document)
        slices = [
            own if index == self.index else self._wait(batch, ids, index)
            for index in range(self.count)
        ]
        return join(slices)

    def _slice(self, name: str, ids: Sequence[str], positions: range) -> Means | None:
        """The slice `name` when it was published for the candidates `ids[positions]`."""
        document = self.exchange.read(name)
        if document is None or document.get("config_ids") != ids[positions.start : positions.stop]:
            return None
        means: Means = document["means"]
        return means

    def _wait(self, batch: int, ids: Sequence[str], index: int) -> Means:
        positions = part(len(ids), index, self.count)
        if not len(positions):
            return {}
        name = self.slice_name(batch, index, self.count)
        deadline = self.clock() + self.wait_s
        delay = self.poll_s
        while (found := self._slice(name, ids, positions)) is None:
            if self.stopped():
                raise ShardsStoppedError(
                    f"shard {self.index + 1} of {self.count} stopped while waiting for batch "
                    f"{batch} of shard {index + 1}: another shard failed"
                )
            if self.clock() >= deadline:
                raise ShardWaitError(
                    f"shard {index + 1} of {self.count} published no slice of batch {batch} "
                    f"for these candidates within {self.wait_s:g} s"
                )
            self.sleep(delay)
            delay = min(delay * 1.5, self.max_poll_s)
        return found


def join(slices: Sequence[Mapping[str, Mapping[str, Sequence[float]]]]) -> Means:
    """The slices' path means joined in order (scenario -> metric -> the values of every
    slice, one after the other); empty slices add nothing."""
    joined: Means = {}
    shapes = {
        tuple(sorted((s, tuple(sorted(m))) for s, m in means.items())) for means in slices if means
    }
    if len(shapes) > 1:
        raise ValueError(f"the slices hold different scenarios or metrics: {sorted(shapes)}")
    for means in slices:
        for scenario, metrics in means.items():
            into = joined.setdefault(str(scenario), {})
            for metric, values in metrics.items():
                into.setdefault(str(metric), []).extend(float(v) for v in values)
    return joined
