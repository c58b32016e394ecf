"""`stratigos docs`: files added to the local owner's library against a real SQLite store, listed,
shown and deleted; a refused file is reported on one line and stores nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from devtools.document_files import encrypted_pdf_bytes, pdf_bytes
from tests.support.cli import fails


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_docs_add_list_show_delete(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "policy.pdf"
    pdf.write_bytes(pdf_bytes([["Allocation policy."], ["Bonds rest."]]))
    notes = tmp_path / "notes.md"
    notes.write_text("# Goals\n\nGrow capital.\n")
    added = run_json(capsys, "docs", "add", str(pdf), str(notes))
    assert [(d["name"], d["pages"], d["chunk_count"]) for d in added] == [
        ("policy.pdf", 2, 2),
        ("notes.md", None, 1),
    ]
    listed = run_json(capsys, "docs", "list")
    assert {d["id"] for d in listed} == {d["id"] for d in added}
    shown = run_json(capsys, "docs", "show", added[0]["id"])
    assert shown["first_chunks"] == [
        {"ordinal": 0, "reference": {"page": 1}},
        {"ordinal": 1, "reference": {"page": 2}},
    ]
    assert main(["docs", "show", added[1]["id"]]) == 0
    text = capsys.readouterr().out
    assert "notes.md" in text and '0: {"section": "Goals"}' in text
    assert main(["docs", "delete", added[0]["id"]]) == 0
    assert capsys.readouterr().out == f"Deleted {added[0]['id']}.\n"
    assert [d["name"] for d in run_json(capsys, "docs", "list")] == ["notes.md"]
    assert "no document" in fails(capsys, "docs", "show", added[0]["id"])


def test_a_refused_file_is_reported_and_the_others_are_added(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(encrypted_pdf_bytes())
    good = tmp_path / "good.txt"
    good.write_text("Fine.\n")
    assert main(["docs", "add", str(secret), str(good)]) == 2
    captured = capsys.readouterr()
    assert f"{secret}: 'secret.pdf' is an encrypted PDF" in captured.err
    assert "Added doc_" in captured.out and "good.txt" in captured.out
    assert [d["name"] for d in run_json(capsys, "docs", "list")] == ["good.txt"]
    assert "does not exist" in fails(capsys, "docs", "add", str(tmp_path / "missing.txt"))


def test_docs_search_cites_passages_and_reindex_reports(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "outlook.pdf"
    pdf.write_bytes(pdf_bytes([["Rates stay high."], ["Energy stocks lag as crude falls."]]))
    added = run_json(capsys, "docs", "add", str(pdf))
    found = run_json(capsys, "docs", "search", "energy crude", "-k", "3")
    assert found["hits"][0]["citation"] == "(outlook.pdf, p. 2)"
    assert found["hits"][0]["document_id"] == added[0]["id"] and found["unindexed"] == []
    assert main(["docs", "search", "energy crude", "--mode", "bm25"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("1. (outlook.pdf, p. 2)") and "crude falls" in text
    assert run_json(capsys, "docs", "reindex") == {"documents": 1, "chunks": 2, "removed": 0}
    assert "k must be" in fails(capsys, "docs", "search", "energy", "-k", "0")
