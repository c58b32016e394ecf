"""The shards of a step sharing its batches (`jobs.pipeline.shards`): each evaluates exactly its
slice, every shard ends with the whole batch joined in candidate order (what one instance
evaluating the whole batch gets), published slices are taken rather than evaluated again
(resuming), a slice published for other candidates never is, and a shard that waits too long
or is stopped says so. The exchanges: a directory, and S3 (moto's server)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.pipeline.shards import (
    DirectoryExchange,
    Means,
    S3Exchange,
    Shard,
    ShardsStoppedError,
    ShardWaitError,
    check_shard_count,
    join,
    part,
)
from settings.groups.compute import MAX_PIPELINE_SHARDS
from tests.support.aws import moto_with_bucket

BUCKET = "stratigos-test-shards"


def _means(ids: list[str]) -> Means:
    """Path means of candidates `ids`: values of their own (one NaN among them), as an
    evaluation computes each candidate independently."""
    return {
        scenario: {
            metric: [
                math.nan
                if i.endswith("7") and metric == "b"
                else float(hash((scenario, metric, i)))
                for i in ids
            ]
            for metric in ("a", "b")
        }
        for scenario in ("bull", "bear")
    }


def _same(left: Means, right: Means) -> bool:
    """Equal, NaN included (bit-for-bit, as JSON keeps floats)."""
    return left.keys() == right.keys() and all(
        left[s].keys() == right[s].keys()
        and all(
            len(left[s][m]) == len(right[s][m])
            and all(
                (math.isnan(x) and math.isnan(y)) or x == y
                for x, y in zip(left[s][m], right[s][m], strict=True)
            )
            for m in left[s]
        )
        for s in left
    )


@given(size=st.integers(0, 60), count=st.integers(1, MAX_PIPELINE_SHARDS))
def test_the_slices_cover_a_batch_once_in_order(size: int, count: int) -> None:
    positions = [p for index in range(count) for p in part(size, index, count)]
    assert positions == list(range(size))
    lengths = [len(part(size, index, count)) for index in range(count)]
    assert max(lengths) - min(lengths) <= 1  # as even as they can be


def _share(
    directory: Path, ids: list[str], count: int, batch: int = 0
) -> tuple[list[Means], list[list[str]]]:
    """Every shard of `count` sharing batch `batch` of `ids` at once, each in a thread: what
    each ended with, and the candidates each evaluated."""
    exchange = DirectoryExchange(directory)
    evaluated: list[list[str]] = [[] for _ in range(count)]

    def run(index: int) -> Means:
        def evaluate(positions: range) -> Means:
            evaluated[index].extend(ids[positions.start : positions.stop])
            return _means(ids[positions.start : positions.stop])

        shard = Shard(index, count, exchange, wait_s=60, poll_s=0.01)
        return shard.share(batch, ids, evaluate)

    with ThreadPoolExecutor(max_workers=count) as pool:
        ended = list(pool.map(run, range(count)))
    return ended, evaluated


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 30), count=st.integers(1, 6), data=st.data())
def test_every_shard_ends_with_what_one_instance_gets(
    tmp_path_factory: pytest.TempPathFactory, size: int, count: int, data: st.DataObject
) -> None:
    ids = data.draw(
        st.lists(st.from_regex(r"c[0-9]{1,3}", fullmatch=True), min_size=size, max_size=size)
    )
    ended, evaluated = _share(tmp_path_factory.mktemp("exchange"), ids, count)
    for means in ended:
        assert _same(means, _means(ids))
    for index, mine in enumerate(evaluated):
        positions = part(len(ids), index, count)
        assert mine == ids[positions.start : positions.stop]  # its slice, nothing else


def test_published_slices_are_taken_and_slices_of_other_candidates_are_not(
    tmp_path: Path,
) -> None:
    ids = [f"c{i}" for i in range(10)]
    _share(tmp_path, ids, 3)
    ended, evaluated = _share(tmp_path, ids, 3)  # started again: every slice is there
    assert evaluated == [[], [], []] and all(_same(m, _means(ids)) for m in ended)
    other = [f"d{i}" for i in range(10)]  # another batch 0 in the same place
    ended, evaluated = _share(tmp_path, other, 3)
    assert [len(e) for e in evaluated] == [3, 3, 4] and all(_same(m, _means(other)) for m in ended)
    _, evaluated = _share(tmp_path, ids, 2)  # another number of shards: other slices
    assert [len(e) for e in evaluated] == [5, 5]


class _Clock:
    """A clock that moves only when the waiting shard sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_shard_waits_no_longer_than_it_may_backing_off(tmp_path: Path) -> None:
    clock = _Clock()
    shard = Shard(
        0,
        2,
        DirectoryExchange(tmp_path),
        wait_s=30,
        poll_s=1,
        max_poll_s=4,
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(ShardWaitError, match="shard 2 of 2 published no slice of batch 5"):
        shard.share(5, ["a", "b"], lambda p: _means(["a", "b"][p.start : p.stop]))
    assert clock.sleeps[:4] == [1, 1.5, 2.25, 3.375] and max(clock.sleeps) == 4
    assert 30 <= clock.now < 34


def test_a_stopped_shard_stops_waiting(tmp_path: Path) -> None:
    stop = threading.Event()
    stop.set()
    shard = Shard(1, 2, DirectoryExchange(tmp_path), stopped=stop.is_set, poll_s=0.01)
    with pytest.raises(ShardsStoppedError, match="another shard failed"):
        shard.share(0, ["a", "b"], lambda p: _means(["a", "b"][p.start : p.stop]))


@pytest.mark.parametrize("count", [0, MAX_PIPELINE_SHARDS + 1, True, 2.0])
def test_numbers_of_shards_outside_the_fleet_are_refused(count: object) -> None:
    with pytest.raises(ValueError, match="shards"):
        check_shard_count(count)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"index 3 is not in 0\.\.2"):
        Shard(3, 3, DirectoryExchange(Path(".")))


def test_slices_of_different_scenarios_are_not_joined() -> None:
    with pytest.raises(ValueError, match="different scenarios"):
        join([{"bull": {"a": [1.0]}}, {"bear": {"a": [2.0]}}])
    assert join([{}, {"bull": {"a": [1.0]}}, {}, {"bull": {"a": [2.0]}}]) == {
        "bull": {"a": [1.0, 2.0]}
    }


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_with_bucket(BUCKET) as endpoint:
        yield endpoint


def test_the_s3_exchange_keeps_every_bit_and_knows_a_missing_slice(s3_endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    exchange = S3Exchange(s3, f"s3://{BUCKET}/runs/r1/optimization/shards/")
    assert exchange.read("batch-000000/shard-00-of-02.json") is None
    means = _means(["c1", "c7", "c12"])
    exchange.write("batch-000000/shard-00-of-02.json", {"means": means})
    stored = s3.list_objects_v2(Bucket=BUCKET, Prefix="runs/r1/")["Contents"]
    assert [o["Key"] for o in stored] == [
        "runs/r1/optimization/shards/batch-000000/shard-00-of-02.json"
    ]
    published = exchange.read("batch-000000/shard-00-of-02.json")
    assert published is not None and _same(published["means"], means)
    with pytest.raises(Exception, match="NoSuchBucket"):
        S3Exchange(s3, "s3://no-such-bucket/x/").read("y.json")
