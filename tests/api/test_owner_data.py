"""`/v1/export`, `/v1/import`, `/v1/owner-data` (docs/owner-data.md): an owner's export, erased
and imported into a new owner, compares equal; another owner's data never enters an export nor
is touched by an erasure; hostile archives are refused in the project's error format, leaving
nothing."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from api.agent_protocol.thread_ids import stored_thread_id
from store.checkpoints import checkpointer
from store.owner_data import OwnerRewrite
from store.owner_ids import owner_digest
from tests.api.conftest import Api, assert_error
from tests.support.owner_data import Shape, populate

pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name")  # a hostile archive

_n = count()


def _owner(api: Api, name: str) -> tuple[str, dict[str, str]]:
    owner = f"{name}{next(_n)}"
    key, _ = api.store.create_api_key(owner, "tests")
    return owner, {"x-api-key": key}


def _fill(api: Api, owner: str, headers: dict[str, str], text: str) -> None:
    """Everything of `owner`: the store's aggregates, a memory, a document (indexed for
    search) and a thread's conversation."""
    populate(api.store, owner, Shape(jobs=2, documents=0, deployments=1, text=text, status="draft"))
    assert (
        api.client.post(
            "/v1/memories", json={"text": f"I like {text}"}, headers=headers
        ).status_code
        == 201
    )
    upload = {
        "file": ("notes.md", f"# Notes\n\nRRC and {text} look cheap.\n".encode(), "text/markdown")
    }
    assert api.client.post("/v1/documents", files=upload, headers=headers).status_code == 201
    chosen = stored_thread_id(owner, str(uuid.uuid4()))  # an Agent Protocol id: the owner's digest
    thread = api.store.create_thread(owner, f"talk {text}", thread_id=chosen)
    with checkpointer(api.settings) as saver:
        config: RunnableConfig = {
            "configurable": {"thread_id": thread.checkpoint, "checkpoint_ns": ""}
        }
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"messages": [f"hello {text}"]}
        saver.put(config, checkpoint, {"source": "input", "step": 1}, {})


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def _comparable(entries: dict[str, bytes], rewrite: OwnerRewrite | None) -> dict[str, Any]:
    """What an archive holds, re-owned by `rewrite`: records as sets of lines, everything else
    as it is (the manifest's owner and time left out)."""
    from store.owner_data import OwnerRecord
    from tests.support.owner_data import comparable

    out: dict[str, Any] = {}
    for name, data in entries.items():
        if name == "manifest.json":
            manifest = json.loads(data)
            out[name] = {
                k: v for k, v in manifest.items() if k not in ("owner", "exported_at", "entries")
            }
        elif name.startswith("records/"):
            collection = name.split("-", 1)[1].removesuffix(".jsonl")
            records = [OwnerRecord(collection, json.loads(line)) for line in data.splitlines()]
            out[name] = comparable(records, rewrite)
        elif name == "memories.jsonl":
            out[name] = sorted(data.splitlines())
        else:
            out[rewrite.value(name) if rewrite else name] = data
    return out


def test_an_export_erased_and_imported_into_a_new_owner_compares_equal(api: Api) -> None:
    alice, as_alice = _owner(api, "alice")
    bob, as_bob = _owner(api, "bob")
    carol, as_carol = _owner(api, "carol")
    _fill(api, alice, as_alice, "cocoa")
    _fill(api, bob, as_bob, "bobsecret")
    bob_before = api.client.get("/v1/export", headers=as_bob)

    exported = api.client.get("/v1/export", headers=as_alice)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    assert "attachment" in exported.headers["content-disposition"]
    entries = _entries(exported.content)
    manifest = json.loads(entries["manifest.json"])
    assert (manifest["format"], manifest["format_version"], manifest["owner"]) == (
        "stratigos-owner-data",
        1,
        alice,
    )
    assert manifest["counts"]["memories"] == 1 and manifest["counts"]["conversations"] == 1
    assert manifest["counts"]["jobs"] == 2 and manifest["counts"]["documents"] == 1
    for entry in manifest["entries"]:
        assert hashlib.sha256(entries[entry["name"]]).hexdigest() == entry["sha256"]
    assert {e["name"] for e in manifest["entries"]} | {"manifest.json"} == set(entries)
    assert all(b"bobsecret" not in data and bob.encode() not in data for data in entries.values())

    assert_error(
        api.client.delete("/v1/owner-data", headers=as_alice),
        422,
        "VALIDATION_ERROR",
        "query.confirm",
    )
    erased = api.client.delete("/v1/owner-data?confirm=erase-everything", headers=as_alice)
    assert erased.status_code == 202, erased.text
    receipt = erased.json()
    assert receipt["status"] == "purged" and alice not in json.dumps(receipt)
    assert receipt["counts"]["jobs"] == 2 and receipt["counts"]["api_keys"] == 2
    assert api.client.get("/v1/portfolios", headers=as_alice).status_code == 401  # its key too
    assert api.store.erasure_receipts(alice)[0].id == receipt["id"]
    assert api.client.get("/v1/export", headers=as_bob).content != b""  # bob untouched:
    assert _comparable(
        _entries(api.client.get("/v1/export", headers=as_bob).content), None
    ) == _comparable(_entries(bob_before.content), None)

    imported = api.client.post(
        "/v1/import",
        files={"archive": ("a.zip", exported.content, "application/zip")},
        headers=as_carol,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["source_owner"] == alice
    again = _entries(api.client.get("/v1/export", headers=as_carol).content)
    assert _comparable(again, None) == _comparable(entries, OwnerRewrite(alice, carol))
    found = api.client.get("/v1/research/search", params={"q": "cocoa"}, headers=as_carol).json()
    assert found["hits"], found  # indexed again for search
    chosen = [t.id for t in api.store.list_threads(carol) if "." in t.id]
    assert len(chosen) == 1 and chosen[0].endswith(owner_digest(carol))  # re-owned
    memories = api.client.get("/v1/memories", headers=as_carol).json()["memories"]
    assert [m["text"] for m in memories] == ["I like cocoa"]


def _archive(
    entries: dict[str, bytes], manifest: dict[str, Any] | None = None, **extra: Any
) -> bytes:
    listed = [
        {
            "name": n,
            "size": len(d),
            "sha256": hashlib.sha256(d).hexdigest(),
            **({"count": d.count(b"\n")} if n.endswith(".jsonl") else {}),
        }
        for n, d in entries.items()
    ]
    document = {
        "format": "stratigos-owner-data",
        "format_version": 1,
        "owner": "x",
        "backend": "sqlite",
        "entries": listed,
        **(manifest or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(document))
        for name, data in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


PF = b'{"id": "pf_hostile1", "owner": "x", "name": "p", "data": "{}", "version": 1, "created_at": 1, "updated_at": 1}\n'


@dataclass(frozen=True)
class Deferred:
    """An archive made when its test runs, not when the module is collected (the bomb takes a
    third of a second to compress, and the duplicate entry warns "Duplicate name", which the
    module's filter ignores only in its tests). No `__name__`: the test id stays the argument's
    name and index."""

    make: Callable[[], bytes]


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("objects/reports/r.parquet", b"\0" * 50_000_000)
        archive.writestr("manifest.json", json.dumps({
            "format": "stratigos-owner-data", "format_version": 1, "owner": "x", "backend": "sqlite",
            "entries": [{"name": "objects/reports/r.parquet", "size": 10, "sha256": "0" * 64}],
        }))  # fmt: skip
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("archive", "field"),
    [
        (b"not a zip at all", "archive"),
        (
            _archive({"records/0000-portfolios.jsonl": PF}, {"format_version": 99}),
            "manifest.format_version",
        ),
        (_archive({"records/0000-portfolios.jsonl": PF}, {"backend": "aws"}), "manifest.backend"),
        (_archive({"records/0000-portfolios.jsonl": PF}, {"format": "tar"}), "manifest.format"),
        (_archive({"../../etc/passwd": b"x"}), "archive"),
        (_archive({"/abs/x": b"x"}), "archive"),
        (_archive({"records/0000-portfolios.jsonl": PF}, {"entries": []}), "archive"),
        (
            _archive(
                {"records/0000-portfolios.jsonl": PF}, None, **{"objects/reports/y": b"unlisted"}
            ),
            "archive",
        ),
        (
            Deferred(
                lambda: _archive(
                    {"records/0000-portfolios.jsonl": PF},
                    None,
                    **{"records/0000-portfolios.jsonl": PF},
                )
            ),
            "archive",
        ),
        (
            _archive(
                {"records/0000-portfolios.jsonl": PF.replace(b"pf_hostile1", b"pf_hostile2")},
                {
                    "entries": [
                        {
                            "name": "records/0000-portfolios.jsonl",
                            "size": len(PF),
                            "sha256": "0" * 64,
                            "count": 1,
                        }
                    ]
                },
            ),
            "sha256",
        ),
        (_archive({"records/0000-api_keys.jsonl": b'{"id": "key_x", "owner": "x"}\n'}), "archive"),
        (
            _archive(
                {
                    "records/0000-trials.jsonl": b'{"job_id": "job_someone", "number": 1, "data": "{}"}\n'
                }
            ),
            "archive",
        ),
        (Deferred(_bomb), "size"),
    ],
)
def test_hostile_archives_are_refused_and_leave_nothing(
    api: Api, archive: bytes | Deferred, field: str
) -> None:
    owner, headers = _owner(api, "dave")
    data = archive.make() if isinstance(archive, Deferred) else archive
    answer = api.client.post(
        "/v1/import", files={"archive": ("a.zip", data, "application/zip")}, headers=headers
    )
    assert_error(answer, 422, "VALIDATION_ERROR", field)
    assert api.client.get("/v1/portfolios", headers=headers).json()["items"] == []
    assert [r for r in api.store.owner_records(owner) if r.collection != "api_keys"] == []


def test_an_import_into_an_owner_with_data_is_refused_before_the_archive_is_read(api: Api) -> None:
    owner, headers = _owner(api, "erin")
    api.store.create_portfolio(owner, "mine", {"weights": {"A": 1.0}})
    answer = api.client.post(
        "/v1/import", files={"archive": ("a.zip", b"garbage", "application/zip")}, headers=headers
    )
    assert_error(answer, 409, "CONFLICT")
    assert "no data" in answer.json()["error"]["message"]


def test_exports_and_imports_beyond_the_process_bound_wait_their_turn(api: Api) -> None:
    """Exports and imports run in worker threads, at most `EXCLUSIVE` at once per process: the
    next is refused with 503 and `Retry-After`, and served once one ends."""
    from api.routes import owner_data

    _owner_id, headers = _owner(api, "fay")
    held = [owner_data._running.acquire(blocking=False) for _ in range(owner_data.EXCLUSIVE)]
    assert all(held)
    try:
        busy = api.client.get("/v1/export", headers=headers)
        assert_error(busy, 503, "BUSY")
        assert busy.headers["retry-after"] == "60"
    finally:
        for _ in held:
            owner_data._running.release()
    assert api.client.get("/v1/export", headers=headers).status_code == 200
