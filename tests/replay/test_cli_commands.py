"""The `record`, `replay` and `bedrock-local` commands, and the manifest in `optimize`'s output."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from api.cli import main
from devtools.cassettes import cassette_paths, secrets_in
from devtools.recording import SESSIONS
from devtools.replaying import load_snapshot
from graphs.manifest import git_commit, tool_schema_hash
from tests.support.requests import TINY


@pytest.fixture
def offline_data(offline_data_dir: Path) -> Path:
    return offline_data_dir


def test_optimize_prints_the_manifest_and_replay_reproduces_the_run(
    offline_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    assert main(["optimize", "--request", str(request), "--quiet"]) == 0
    out = capsys.readouterr().out
    run_id = re.search(r"^Run (\S+): succeeded", out, re.M).group(1)  # type: ignore[union-attr]
    result = json.loads((offline_data / "runs" / run_id / "result.json").read_text())
    manifest = result["manifest"]
    assert "Manifest: provider offline" in out
    assert f"tools {tool_schema_hash()[:12]}" in out
    assert f"data {manifest['dataset']['sha256'][:12]}" in out
    assert f"seed {TINY['seed']}" in out
    commit = git_commit()
    assert manifest["git_commit"] == commit
    if commit is not None:
        assert f"commit {commit[:12]}" in out

    assert main(["replay", run_id]) == 0
    assert f"{run_id}: reproduced exactly" in capsys.readouterr().out

    # a stored result that the code no longer produces is reported, with the difference
    result["explanation"]["text"] = "A different explanation."
    result["best"]["config"]["lookback"] = 999
    (offline_data / "runs" / run_id / "result.json").write_text(json.dumps(result))
    assert main(["replay", run_id, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reproduced"] is False
    diff = "\n".join(report["diff"])
    assert "best_config.lookback: expected 999, got" in diff
    assert 'explanation: expected "A different explanation."' in diff


def test_replay_of_an_unknown_reference_fails_cleanly(
    offline_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "no-such-run-or-cassette"]) == 1
    err = capsys.readouterr().err
    assert "no cassette no-such-run-or-cassette" in err and "Traceback" not in err


def test_record_then_replay_a_cassette_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A developer's loop: record against the local endpoint, then replay offline (exit 0);
    a snapshot that no longer matches makes `replay` exit 1 with a diff."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "cassettes"
    args = ["record", "mine", "--session", "optimization", "--dir", str(folder)]
    assert main([*args, "--target", "local"]) == 0
    out = capsys.readouterr().out
    assert "against the local endpoint" in out
    cassette, snapshot_path = cassette_paths("mine", folder)
    assert cassette.is_file() and snapshot_path.is_file()
    assert secrets_in(cassette.read_text()) == []
    assert len(yaml.safe_load(cassette.read_text())["interactions"]) > 3
    snapshot = load_snapshot("mine", folder)
    assert snapshot["script"] == SESSIONS["optimization"].script.canonical()
    assert snapshot["api"] == "converse"
    assert snapshot["recorded_against"] == "local-endpoint"

    assert main(["replay", str(cassette)]) == 0
    assert "mine: reproduced exactly" in capsys.readouterr().out

    snapshot["result"]["explanation"] = "Not what the agents wrote."
    snapshot_path.write_text(json.dumps(snapshot))
    assert main(["replay", "mine", "--dir", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "mine: NOT reproduced" in out
    assert 'result.explanation: expected "Not what the agents wrote."' in out


def test_record_rejects_an_unknown_session_and_a_name_with_nothing_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "x", "--session", "whatever", "--dir", str(tmp_path)]) == 1
    assert "unknown session 'whatever'" in capsys.readouterr().err
    assert main(["record", "whatever", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "nothing to record for 'whatever': give --request FILE or --chat FILE" in err
    assert not list(tmp_path.iterdir())


def test_bedrock_local_serves_in_the_foreground() -> None:
    executable = Path(sys.executable).with_name("stratigos")
    process = subprocess.Popen(
        [str(executable), "bedrock-local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("local Bedrock endpoint on http://127.0.0.1:")
        url = first.split(" on ", 1)[1].strip()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{url}/ping", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
