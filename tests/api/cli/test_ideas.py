"""`stratigos ideas`: the local owner's ideas against a real SQLite store: added with computed
numbers and checked evidence, listed with filters, shown, moved through their statuses,
optimized when accepted, deleted; bad input is one line and exit code 2."""

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


def test_ideas_add_list_show_status_optimize_delete(
    offline_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Staples\n\nConsumer staples held up in 2022 with lower volatility.\n")
    (doc,) = run_json(capsys, "docs", "add", str(note))
    passage = f"{doc['id']}:0:held up in 2022"
    idea = run_json(
        capsys, "ideas", "add", "JNJ", "ko", "PG", "--title", "Staples", "--thesis", "Defensive",
        "--passage", passage, "--horizon-days", "126",
    )  # fmt: skip
    assert idea["tickers"] == ["JNJ", "KO", "PG"] and idea["status"] == "proposed"
    assert (
        idea["metrics"]["volatility"] > 0 and idea["metrics"]["definition"]["lookback_days"] == 252
    )
    assert idea["evidence"][0]["reference"] == {"section": "Staples"}
    assert idea["history"][0]["by"] == "cli"
    other = run_json(capsys, "ideas", "add", "XOM", "--title", "Oil", "--thesis", "t", "--short")
    assert other["metrics"]["definition"]["weights"] == {"XOM": -1.0}

    assert [i["id"] for i in run_json(capsys, "ideas", "list")["items"]] == [
        other["id"],
        idea["id"],
    ]
    assert [i["id"] for i in run_json(capsys, "ideas", "list", "--ticker", "ko")["items"]] == [
        idea["id"]
    ]
    assert run_json(capsys, "ideas", "list", "--to", "2001-01-01")["items"] == []
    assert main(["ideas", "show", idea["id"]]) == 0
    text = capsys.readouterr().out
    assert (
        "trailing return" in text
        and "not forecasts" in text
        and '"held up in 2022"' in text
        and "-> proposed" in text
    )

    err = fails(capsys, "ideas", "status", idea["id"], "accepted")
    assert "allowed: under_review, retired" in err
    assert "only an accepted idea" in fails(capsys, "ideas", "optimize", idea["id"])
    for to in ("under_review", "accepted"):
        assert main(["ideas", "status", idea["id"], to, "--reason", "checked"]) == 0
    capsys.readouterr()
    optimized = run_json(capsys, "ideas", "optimize", idea["id"])
    assert optimized["job_status"] == "pending"
    assert optimized["idea"]["evidence"][-1]["run_id"] == optimized["job_id"]
    assert main(["ideas", "delete", other["id"]]) == 0
    assert capsys.readouterr().out == f"Deleted {other['id']}.\n"
    assert "no idea" in fails(capsys, "ideas", "show", other["id"])


def test_bad_input_is_one_line(offline_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "NOPE" in fails(capsys, "ideas", "add", "NOPE", "--title", "x", "--thesis", "y")
    assert "no document" in fails(
        capsys, "ideas", "add", "KO", "--title", "x", "--thesis", "y", "--passage", "doc_x:0:q"
    )
    assert "TICKER=NUMBER" in fails(
        capsys, "ideas", "add", "KO", "--title", "x", "--thesis", "y", "--weight", "KO"
    )
    assert run_json(capsys, "ideas", "list")["items"] == []
