"""`stratigos export | import | erase` on the local store: the local owner's export, erased and
imported as another owner, holds the same data; refusals are one line, exit 2."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from api.cli.local import LOCAL_OWNER, open_local_store
from store.owner_data import OwnerRewrite
from tests.support.cli import fails
from tests.support.owner_data import Shape, comparable, populate


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_export_erase_and_import_as_another_owner(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_local_store()
    populate(store, LOCAL_OWNER, Shape(jobs=2, documents=1, deployments=1, status="draft"))
    before = list(store.owner_records(LOCAL_OWNER))
    archive = tmp_path / "mine.zip"
    exported = run_json(capsys, "export", "-o", str(archive))
    assert exported["path"] == str(archive) and exported["counts"]["jobs"] == 2
    with zipfile.ZipFile(archive) as opened:
        assert json.loads(opened.read("manifest.json"))["owner"] == LOCAL_OWNER

    assert "add --yes" in fails(capsys, "erase")
    receipt = run_json(capsys, "erase", "--yes")
    assert receipt["status"] == "purged" and receipt["counts"]["jobs"] == 2
    assert list(store.owner_records(LOCAL_OWNER)) == []

    assert main(["import", str(archive), "--owner", "carol"]) == 0
    assert "into carol" in capsys.readouterr().out
    assert comparable(list(store.owner_records("carol"))) == comparable(
        before, OwnerRewrite(LOCAL_OWNER, "carol")
    )
    said = fails(capsys, "import", str(archive), "--owner", "carol")
    assert "no data" in said and said.count("\n") == 1  # one line
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    assert "archive: not a zip file" in fails(capsys, "import", str(tmp_path / "bad.zip"))
