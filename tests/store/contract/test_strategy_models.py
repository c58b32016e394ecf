"""The strategy models contract on both backends: versions numbered 1, 2, 3 per owner whose
bytes round-trip exactly with their SHA-256 in the store's object storage (the data directory
on SQLite, the model-artifacts bucket on AWS); owner isolation; of writers building on the same
version exactly one stores the next, the others get `ConflictError` and change nothing;
argument checks."""

from __future__ import annotations

import hashlib
import os
import threading
import uuid

import pytest

from store import ConflictError, NotFoundError, StrategyModelVersion
from store.aws import AWSStore, create_tables
from store.base import Store
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB


def test_versions_count_up_and_their_bytes_round_trip(store: Store, clock: FakeClock) -> None:
    assert store.latest_strategy_model(ALICE) is None and store.list_strategy_models(ALICE) == []
    blobs = [os.urandom(size) for size in (1, 70_000, 3)]
    stored = []
    for i, blob in enumerate(blobs):
        clock.advance(5)
        previous = i or None
        stored.append(
            store.put_strategy_model(
                ALICE, blob, {"rows": len(blob), "runs": ["r"]}, previous=previous
            )
        )
    assert [m.version for m in stored] == [1, 2, 3]
    for model, blob in zip(stored, blobs, strict=True):
        assert isinstance(model, StrategyModelVersion)
        assert model.size_bytes == len(blob) and model.sha256 == hashlib.sha256(blob).hexdigest()
        assert model.summary == {"rows": len(blob), "runs": ["r"]}
        assert store.get_strategy_model(ALICE, model.version) == model
        assert store.strategy_model_bytes(ALICE, model.version) == blob
    assert [(m.created_at - stored[0].created_at).total_seconds() for m in stored] == [0, 5, 10]
    assert store.latest_strategy_model(ALICE) == stored[-1]
    assert store.list_strategy_models(ALICE) == stored


def test_another_owner_s_models_are_not_found(store: Store) -> None:
    model = store.put_strategy_model(ALICE, b"alice's model", {}, previous=None)
    assert store.latest_strategy_model(BOB) is None and store.list_strategy_models(BOB) == []
    with pytest.raises(NotFoundError):
        store.get_strategy_model(BOB, model.version)
    with pytest.raises(NotFoundError):
        store.strategy_model_bytes(BOB, model.version)
    assert store.put_strategy_model(BOB, b"bob's", {}, previous=None).version == 1  # per owner


def test_a_version_taken_by_another_writer_is_a_conflict_and_left_as_it_was(store: Store) -> None:
    first = store.put_strategy_model(ALICE, b"first", {"n": 1}, previous=None)
    with pytest.raises(ConflictError, match="version 1"):
        store.put_strategy_model(ALICE, b"other", {"n": 2}, previous=None)
    assert store.strategy_model_bytes(ALICE, first.version) == b"first"
    assert store.list_strategy_models(ALICE) == [first]
    store.purge_deleted()  # on AWS the loser's file waits for the purge; on SQLite it is gone
    assert _model_files(store) == [first.file_name]


def _model_files(store: Store) -> list[str]:
    """The names of the strategy model files the store holds, every owner's."""
    if isinstance(store, SQLiteStore):
        objects = store.path.with_name(f"{store.path.stem}-objects")
        return sorted(p.name for p in objects.rglob("*.npz"))
    assert isinstance(store, AWSStore)
    listed = store.s3.list_objects_v2(
        Bucket=store.model_artifacts_bucket, Prefix="strategy-models/"
    )
    return sorted(o["Key"].rsplit("/", 1)[-1] for o in listed.get("Contents", []))


def test_of_writers_building_on_one_version_exactly_one_stores_the_next(store: Store) -> None:
    base = store.put_strategy_model(ALICE, b"base", {}, previous=None)
    blobs = [f"model {i}".encode() * (i + 1) for i in range(6)]
    barrier = threading.Barrier(len(blobs))
    won: list[bytes] = []
    lost: list[BaseException] = []

    def put(blob: bytes) -> None:
        barrier.wait()
        try:
            store.put_strategy_model(ALICE, blob, {}, previous=base.version)
            won.append(blob)
        except ConflictError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=put, args=(b,)) for b in blobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == len(blobs) - 1
    assert [m.version for m in store.list_strategy_models(ALICE)] == [1, 2]
    assert store.strategy_model_bytes(ALICE, 2) == won[0]


@pytest.mark.parametrize(
    ("owner", "data", "summary", "error"),
    [
        (ALICE, b"x", {}, "previous 0"),
        ("", b"x", {}, ValueError),
        ("a#b", b"x", {}, ValueError),
        (ALICE, b"", {}, ValueError),
        (ALICE, "text", {}, ValueError),
        (ALICE, b"x", {"when": object()}, TypeError),
    ],
)
def test_bad_arguments_are_refused(
    store: Store,
    owner: str,
    data: bytes,
    summary: dict[str, object],
    error: type[Exception] | str,
) -> None:
    previous = 0 if error == "previous 0" else None
    with pytest.raises(ValueError if isinstance(error, str) else error):
        store.put_strategy_model(owner, data, summary, previous=previous)
    assert store.list_strategy_models(ALICE) == []


def test_the_bytes_live_in_the_data_directory_or_the_model_artifacts_bucket(
    store: Store, request: pytest.FixtureRequest, clock: FakeClock
) -> None:
    if isinstance(store, SQLiteStore):
        model = store.put_strategy_model(ALICE, b"npz bytes", {}, previous=None)
        objects = store.path.with_name(f"{store.path.stem}-objects")
        [path] = [p for p in objects.rglob("*") if p.is_file()]
        assert path.read_bytes() == b"npz bytes" and path.name == model.file_name
        assert path.stat().st_mode & 0o077 == 0 and path.parent.stat().st_mode & 0o077 == 0
        return
    assert isinstance(store, AWSStore)
    endpoint = request.getfixturevalue("moto_endpoint")
    suffix = uuid.uuid4().hex[:10]
    models_bucket = f"test-{suffix}-models"
    create_tables(
        store.table,
        store.bucket,
        endpoint_url=endpoint,
        model_artifacts_bucket=models_bucket,
    )
    separate = AWSStore(
        store.table,
        store.bucket,
        endpoint_url=endpoint,
        clock=clock,
        model_artifacts_bucket=models_bucket,
    )
    model = separate.put_strategy_model(ALICE, b"npz bytes", {}, previous=None)
    listed = separate.s3.list_objects_v2(Bucket=models_bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"strategy-models/{ALICE}/{model.file_name}"]
    assert separate.strategy_model_bytes(ALICE, model.version) == b"npz bytes"
    separate.close()
