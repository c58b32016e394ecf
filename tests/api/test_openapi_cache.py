"""The OpenAPI document kept per installation (`api.openapi_cache`): read while every source it
was built from is unchanged, built anew when any one of them changed, was removed or the file is
unreadable; never written where bytecode may not be, by a process that may have imported a source
before its last edit, or for routes without stable names; what a new app serves; the warm step
(`python -m api.warm_openapi`) says why it kept none."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import contract, openapi_cache, warm_openapi
from api.app import create_app
from api.openapi_cache import kept_document
from tests.api.conftest import make_settings

OPERATIONS = ("Stratigos", "0.1.0", "test", (("APIRoute", "/v1/x", frozenset({"GET"}), None),))


def _kept_at(operations: Any) -> Path:
    path = openapi_cache.cache_path(operations)
    assert path is not None
    return path


def _keeping(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    """Documents kept in `directory` by a process started now (no source edited since)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(openapi_cache, "CACHE_DIR", directory)
    monkeypatch.setattr(openapi_cache, "STARTED_NS", time.time_ns())


def _built_then_read(operations: Any, number: int) -> None:
    """A build numbered `number` is returned, then read back without building."""
    text = f'{{"built": {number}}}'
    assert kept_document(operations, lambda: text) == text
    assert kept_document(operations, _failing) == text


def _failing() -> str:
    raise AssertionError("built, though an unchanged kept document was there")


@contextmanager
def _sources(count: int) -> Iterator[tuple[Path, list[Path]]]:
    """A directory for kept documents and `count` modules of a package imported from it (so that
    a document built meanwhile names them among its sources); unloaded afterwards."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        package = f"kept_sources_{os.getpid()}_{root.name}"
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        files = [root / package / f"m{i}.py" for i in range(count)]
        for i, file in enumerate(files):
            file.write_text(f"VALUE = {i}\n")
        sys.path.insert(0, directory)
        try:
            for i in range(count):
                importlib.import_module(f"{package}.m{i}")
            with pytest.MonkeyPatch.context() as monkeypatch:  # as if started after the writes
                monkeypatch.setattr(openapi_cache, "STARTED_NS", time.time_ns() + 1)
                yield root / "cache", files
        finally:
            sys.path.remove(directory)
            for name in [n for n in sys.modules if n.partition(".")[0] == package]:
                del sys.modules[name]


def test_a_kept_document_is_read_while_its_sources_are_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    with _sources(2) as (cache, files):
        monkeypatch.setattr(openapi_cache, "CACHE_DIR", cache)
        assert kept_document(OPERATIONS, lambda: '{"built": 1}') == '{"built": 1}'
        kept = json.loads(_kept_at(OPERATIONS).read_text().splitlines()[0])
        assert {str(f) for f in files} <= {source[0] for source in kept}
        assert kept_document(OPERATIONS, _failing) == '{"built": 1}'
        other = (*OPERATIONS[:3], (("APIRoute", "/v1/y", frozenset({"GET"}), None),))
        assert kept_document(other, lambda: '{"built": 2}') == '{"built": 2}'  # its own file
        assert kept_document(OPERATIONS, _failing) == '{"built": 1}'


@settings(max_examples=12, deadline=None)
@given(which=st.integers(0, 2), change=st.sampled_from(["touched", "grown", "removed"]))
def test_a_changed_source_means_a_new_build(which: int, change: str) -> None:
    """Any source touched, grown or removed: built anew (and kept by a process started after
    the edit)."""
    with pytest.MonkeyPatch.context() as monkeypatch, _sources(3) as (cache, files):
        monkeypatch.setattr(sys, "dont_write_bytecode", False)
        monkeypatch.setattr(openapi_cache, "CACHE_DIR", cache)
        kept_document(OPERATIONS, lambda: '{"built": 1}')
        file = files[which]
        if change == "touched":  # same size, another modification time
            status = file.stat()
            os.utime(file, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))
        elif change == "grown":  # same modification time, another size
            status = file.stat()
            file.write_text(file.read_text() + "# edited\n")
            os.utime(file, ns=(status.st_atime_ns, status.st_mtime_ns))
        else:
            file.unlink()
        assert kept_document(OPERATIONS, lambda: '{"built": 2}') == '{"built": 2}'
        edited = max(f.stat().st_mtime_ns for f in files if f.exists())
        monkeypatch.setattr(openapi_cache, "STARTED_NS", max(edited, time.time_ns()) + 1)
        now = kept_document(OPERATIONS, lambda: '{"built": 3}')  # 2 if it could keep it then
        assert now in ('{"built": 2}', '{"built": 3}')
        assert kept_document(OPERATIONS, _failing) == now


@pytest.mark.parametrize(
    "content", ["", "not json\n{}", '[["/nowhere", 1, 2]]\n{"old": 1}', "[]\n{cut", "[]\n[1]"]
)
def test_an_unreadable_or_stale_file_is_built_over(
    content: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keeping(monkeypatch, tmp_path)
    _kept_at(OPERATIONS).write_text(content)
    _built_then_read(OPERATIONS, 1)


def test_nothing_is_written_where_bytecode_may_not_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(openapi_cache, "CACHE_DIR", tmp_path / "cache")
    assert kept_document(OPERATIONS, lambda: '{"built": 1}') == '{"built": 1}'
    assert not (tmp_path / "cache").exists()


def test_a_new_app_serves_the_kept_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keeping(monkeypatch, tmp_path / "cache")
    monkeypatch.setattr(contract, "_DOCUMENTS", {})  # as in a new process
    first = create_app(make_settings(tmp_path / "a"))
    try:
        built = contract.contract_openapi(first)
        file = _kept_at(contract.operations_of(first))
        assert json.loads(file.read_text().split("\n", 1)[1]) == built
    finally:
        first.state.context.close()
    sources, _ = file.read_text().split("\n", 1)
    marked = {**built, "info": {**built["info"], "title": "kept"}}
    file.write_text(f"{sources}\n{json.dumps(marked)}")
    monkeypatch.setattr(contract, "_DOCUMENTS", {})
    second = create_app(make_settings(tmp_path / "b"))
    try:
        assert contract.contract_openapi(second)["info"]["title"] == "kept"
    finally:
        second.state.context.close()


def test_a_source_edited_after_the_process_started_is_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process may have imported the file before the edit: a document it built could be the
    old code's, so it is not kept (the next process, started after the edit, keeps its own)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    with _sources(2) as (cache, files):
        monkeypatch.setattr(openapi_cache, "CACHE_DIR", cache)
        monkeypatch.setattr(openapi_cache, "STARTED_NS", files[1].stat().st_mtime_ns - 1)
        assert kept_document(OPERATIONS, lambda: '{"built": 1}') == '{"built": 1}'
        assert not cache.exists()
        monkeypatch.setattr(openapi_cache, "STARTED_NS", time.time_ns())
        _built_then_read(OPERATIONS, 2)


def test_each_environment_and_route_set_keeps_its_own_and_unnamed_routes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openapi_cache, "CACHE_DIR", tmp_path)
    here = openapi_cache.cache_path(OPERATIONS)
    monkeypatch.setattr(sys, "prefix", "/another/venv")
    assert openapi_cache.cache_path(OPERATIONS) not in (here, None)

    class Endpoint:  # a callable object: named by its address alone
        def __call__(self) -> None: ...

    unnamed = (*OPERATIONS[:3], (("APIRoute", "/v1/x", frozenset({"GET"}), Endpoint()),))
    assert openapi_cache.cache_path(unnamed) is None
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert kept_document(unnamed, lambda: '{"built": 1}') == '{"built": 1}'
    assert kept_document(unnamed, lambda: '{"built": 2}') == '{"built": 2}'
    assert list(tmp_path.iterdir()) == []


def test_a_process_start_is_known_to_within_its_rounding() -> None:
    """`STARTED_NS` is never after the process's first moment and at most `START_ROUNDING_NS`
    before it was started."""
    shown = "import time, api.openapi_cache as c; print(c.STARTED_NS, time.time_ns())"
    for _ in range(5):
        before = time.time_ns()
        run = subprocess.run(
            [sys.executable, "-c", shown], capture_output=True, text=True, check=True
        )
        started, imported = map(int, run.stdout.split())
        assert before - openapi_cache.START_ROUNDING_NS <= started <= imported


def _warmed(monkeypatch: pytest.MonkeyPatch, cache: Path, arguments: list[str]) -> str:
    """What `python -m api.warm_openapi` exits with, run here with documents kept in `cache`."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(openapi_cache, "CACHE_DIR", cache)
    monkeypatch.setattr(contract, "_DOCUMENTS", {})  # as in a new process
    with pytest.raises(SystemExit) as exited:
        warm_openapi.main(arguments)
    return str(exited.value.code)


def test_the_warm_step_says_why_it_kept_no_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a silent success: a document the step could not keep is an exit with the reason."""
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(openapi_cache, "STARTED_NS", time.time_ns())
    said = _warmed(monkeypatch, tmp_path / "file", [])  # no directory can be made there
    assert said.startswith("the OpenAPI document could not be written to")
    with _sources(1) as (cache, files):
        os.utime(files[0], ns=(time.time_ns(), time.time_ns() + 3600 * 10**9))
        monkeypatch.setattr(openapi_cache, "STARTED_NS", time.time_ns())
        said = _warmed(monkeypatch, cache, [])
        assert said == f"the OpenAPI document is not kept: {files[0]} is dated in the future"
        os.utime(files[0], ns=(time.time_ns(), time.time_ns()))
        edited = files[0].stat().st_mtime_ns
        monkeypatch.setattr(openapi_cache, "STARTED_NS", edited)  # edited as the process started
        said = _warmed(monkeypatch, cache, [warm_openapi.AGAIN])  # and again in the new process
        assert said.endswith(f"{files[0]} was modified while it was built")
        assert not cache.exists()
