"""Recording any request or chat, and a person's session as it happens, then replaying it.

Each test records against the local Bedrock endpoint (no credentials) into a temporary folder
and replays the cassette offline: the replay reruns the script stored in the snapshot and must
reproduce it exactly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from api.cli import main
from devtools.cassettes import cassette_paths
from devtools.replaying import load_snapshot
from tests.support.requests import TINY

REQUEST = TINY


@pytest.fixture
def no_aws(offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS credentials: recordings go to the local endpoint."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    return offline_data_dir


def test_record_any_request_then_replay_it(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    folder = tmp_path / "cassettes"
    assert main(["record", "mine", "--request", str(request), "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Recorded optimization (converse) against the local endpoint." in out
    snapshot = load_snapshot("mine", folder)
    assert snapshot["script"] == {"kind": "optimization", "request": REQUEST}
    assert snapshot["result"]["n_trials"] == 6

    cassette, _ = cassette_paths("mine", folder)
    assert main(["replay", str(cassette)]) == 0
    assert "mine: reproduced exactly" in capsys.readouterr().out

    # recording again needs no script: the snapshot's is used
    first = cassette.read_text()
    assert main(["record", "mine", "--dir", str(folder)]) == 0
    capsys.readouterr()
    assert len(yaml.safe_load(cassette.read_text())["interactions"]) == len(
        yaml.safe_load(first)["interactions"]
    )
    assert load_snapshot("mine", folder)["script"] == snapshot["script"]


def test_record_a_chat_script_file_then_replay_it(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "chat.txt"
    script.write_text(
        "# a portfolio, then a follow-up on it\n"
        "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018\n"
        "\n"
        "what's the 95% VaR of that?\n"
    )
    folder = tmp_path / "cassettes"
    assert main(["record", "talk", "--chat", str(script), "--dir", str(folder)]) == 0
    assert "2 chat steps, 0 runs" in capsys.readouterr().out
    snapshot = load_snapshot("talk", folder)
    assert [s["message"] for s in snapshot["script"]["steps"]] == [
        "build me an HRP portfolio of AAPL, MSFT and JNJ since 2018",
        "what's the 95% VaR of that?",
    ]
    turns = snapshot["result"]["turns"]
    assert "optimize_portfolio" in turns[0]["tools"]
    assert "portfolio_risk_report" in turns[1]["tools"]
    assert main(["replay", "talk", "--dir", str(folder)]) == 0
    assert "talk: reproduced exactly" in capsys.readouterr().out


def test_a_chat_script_with_a_decision_and_nothing_pending_is_refused(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "chat.txt"
    script.write_text("what is the CVaR of AAPL since 2019?\n/approve\n")
    assert main(["record", "bad", "--chat", str(script), "--dir", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "step 2 (approve): no run is waiting for approval" in err
    assert not (tmp_path / "c" / "bad.yaml").exists()
    script.write_text("hello\n/frobnicate\n")
    assert main(["record", "bad", "--chat", str(script), "--dir", str(tmp_path / "c")]) == 1
    assert "chat.txt:2: unknown command /frobnicate" in capsys.readouterr().err


def test_record_an_mcp_script_file_then_replay_it(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "mcp.txt"
    script.write_text(
        "# asked through the MCP tools\nwhat is the 99% CVaR of KO and PEP since 2020?\n"
    )
    folder = tmp_path / "cassettes"
    assert main(["record", "tools", "--mcp", str(script), "--dir", str(folder)]) == 0
    assert "Recorded mcp (converse) against the local endpoint." in capsys.readouterr().out
    (turn,) = load_snapshot("tools", folder)["result"]["turns"]
    assert turn["tools"] == ["portfolio_risk_report"] and "At 99% confidence" in turn["replies"][0]
    assert main(["replay", "tools", "--dir", str(folder)]) == 0
    assert "tools: reproduced exactly" in capsys.readouterr().out

    # a decision is the owner's, not a line of an MCP script; a draft's id is new on every
    # run, so nothing may follow a draft
    script.write_text("what is the CVaR of KO since 2020?\n/approve\n")
    assert main(["record", "bad", "--mcp", str(script), "--dir", str(folder)]) == 1
    assert "an MCP script has steps, each a user message" in capsys.readouterr().err
    script.write_text(
        "find the target-vol setting that holds up in a bear market for KO and PEP\n"
        "what is the CVaR of KO since 2020?\n"
    )
    assert main(["record", "bad", "--mcp", str(script), "--dir", str(folder)]) == 1
    assert "step 2: a draft ends an MCP script" in capsys.readouterr().err
    assert not (folder / "bad.yaml").exists()


def test_optimize_record_records_the_real_session_and_it_replays(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST))
    folder = tmp_path / "cassettes"
    args = ["optimize", "--request", str(request), "--quiet", "--record", "session"]
    assert main([*args, "--record-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Run " in out and "succeeded" in out
    assert f"replay:   stratigos replay {folder / 'session.yaml'}" in out
    snapshot = load_snapshot("session", folder)
    assert snapshot["recorded_against"] == "local-endpoint"
    assert snapshot["manifest"]["model_provider"] == "bedrock"
    # the job is the user's: it is in their data directory
    assert main(["jobs", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert main(["replay", "session", "--dir", str(folder)]) == 0
    assert "session: reproduced exactly" in capsys.readouterr().out


def test_chat_record_records_the_turns_as_they_happen_and_they_replay(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    message = "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018"
    args = ["chat", "-m", message, "--quiet", "--record", "turn", "--record-dir", str(folder)]
    assert main(args) == 0
    assert "assistant> " in capsys.readouterr().out
    snapshot = load_snapshot("turn", folder)
    script = snapshot["script"]
    assert script["kind"] == "chat" and script["steps"] == [{"message": message}]
    assert script["thread"].startswith("thread_")  # the thread it ran on: ids derive from it
    assert main(["replay", "turn", "--dir", str(folder)]) == 0
    assert "turn: reproduced exactly" in capsys.readouterr().out


def test_chat_record_refuses_an_existing_thread(
    no_aws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["chat", "-m", "hi", "--thread", "t1", "--record", "x", "--record-dir", str(tmp_path)]
    assert main(args) == 2
    assert "--record starts a new thread" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))
