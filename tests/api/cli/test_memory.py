"""`stratigos memory`: what `stratigos chat -m` remembered is listed and forgotten, with the
profile exclusion it added."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.support.cli import fails


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.usefixtures("classification_file")
def test_memory_list_and_forget(offline_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["memory", "list"]) == 0
    assert capsys.readouterr().out.strip() == "Nothing is remembered."
    assert main(["chat", "-m", "remember that I never hold tobacco"]) == 0
    assert "tobacco" in capsys.readouterr().out
    listed = run_json(capsys, "memory", "list")
    (memory,) = listed["memories"]
    assert memory["text"] == "I never hold tobacco" and listed["profile"]["exclusions"] == [
        "tobacco"
    ]
    assert main(["memory", "list"]) == 0
    assert f"{memory['key']}" in capsys.readouterr().out
    assert "give a KEY or --all" in fails(capsys, "memory", "forget")
    assert "mem_000000000000" in fails(capsys, "memory", "forget", "mem_000000000000")
    assert main(["memory", "forget", memory["key"]]) == 0
    said = capsys.readouterr().out
    assert "removed from the profile's exclusions: tobacco" in said
    assert run_json(capsys, "memory", "list") == {"memories": [], "profile": {}}
    assert run_json(capsys, "memory", "forget", "--all")["count"] == 0
