"""Replaying the shipped cassettes offline: results equal the snapshots, nothing real is needed.

Every cassette in tests/cassettes is replayed with vcrpy in record mode ``none`` against a
Bedrock client with no endpoint URL, fake credentials (botocore must sign something), no AWS
variables or files, and sockets that refuse to connect; one replay also runs under
``unshare -n`` (no network namespace at all). The snapshots were written when the cassettes were
recorded; the replayed graph must give the same best configuration, trials, explanation, trace
event types and manifest inputs. Changing an agent's behaviour (a prompt, a tool's result, the
Bedrock API) makes the replay fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

from devtools.recording import (
    CASSETTES_DIR,
    FAKE_CREDENTIALS,
    FILTERED_HEADERS,
    SESSIONS,
    cassette_paths,
    compare,
    list_cassettes,
    load_snapshot,
    regional_host,
    replay,
    secrets_in,
    vcr_for,
)

CASSETTES = list_cassettes()
REPO = Path(__file__).resolve().parents[2]
STRATIGOS = Path(sys.executable).with_name("stratigos")


def interactions(name: str, directory: Path = CASSETTES_DIR) -> list[dict[str, Any]]:
    cassette, _ = cassette_paths(name, directory)
    data = yaml.safe_load(cassette.read_text())
    result: list[dict[str, Any]] = data["interactions"]
    return result


@pytest.fixture
def offline_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No AWS variables, no AWS files, no settings file, and no socket may connect."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "STRATIGOS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    def refuse(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError(f"network access attempted during a replay: {address}")
        return original(self, address)

    original = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    from settings.config import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_shipped_cassettes_cover_the_workflow_a_chat_with_an_approval_and_streaming() -> None:
    snapshots = {name: load_snapshot(name) for name in CASSETTES}
    kinds = {(SESSIONS[s["session"]].kind, s["api"]) for s in snapshots.values()}
    assert ("optimization", "converse") in kinds
    assert ("chat", "converse") in kinds
    assert any(api == "converse-stream" for _, api in kinds)
    chat = next(s for s in snapshots.values() if SESSIONS[s["session"]].kind == "chat")
    turns = chat["result"]["turns"]
    assert any(t["pending"] for t in turns)  # the approval interrupt
    assert {"portfolio_risk_report", "optimize_portfolio"} <= {x for t in turns for x in t["tools"]}
    assert chat["result"]["event_types"].count("run_finished") == len(turns)
    for snapshot in snapshots.values():
        assert snapshot["result"]["status"] == "succeeded"
        assert snapshot["result"]["n_trials"] == 12
        assert snapshot["result"]["explanation"]
        assert snapshot["manifest"]["model_provider"] == "bedrock"


def test_cassettes_are_small() -> None:
    sizes = {p.name: p.stat().st_size for p in CASSETTES_DIR.iterdir()}
    assert sum(sizes.values()) < 3_000_000, sizes


@pytest.mark.parametrize("name", CASSETTES)
def test_cassettes_hold_no_credentials_and_use_the_regional_host(name: str) -> None:
    cassette, _ = cassette_paths(name)
    assert secrets_in(cassette.read_text()) == []
    region = load_snapshot(name)["region"]
    api = load_snapshot(name)["api"]
    for interaction in interactions(name):
        request = interaction["request"]
        assert request["uri"].startswith(regional_host(region) + "/model/")
        assert request["uri"].endswith("/" + api)
        assert {h.lower() for h in request["headers"]}.isdisjoint(FILTERED_HEADERS)
        status = interaction["response"]["status"]["code"]
        assert status == 200
        content_type = interaction["response"]["headers"]["Content-Type"][0]
        expected = "application/vnd.amazon.eventstream" if api == "converse-stream" else "json"
        assert expected in content_type


@pytest.mark.parametrize("name", CASSETTES)
def test_a_cassette_replays_offline_to_its_snapshot(name: str, offline_process: None) -> None:
    report = replay(name)
    assert report.error is None, report.summary()
    assert report.diff == [], report.summary()
    assert report.reproduced and report.actual is not None
    snapshot = load_snapshot(name)
    # the equality checked above, spelled out
    assert report.actual["result"]["best_config"] == snapshot["result"]["best_config"]
    assert report.actual["result"]["explanation"] == snapshot["result"]["explanation"]
    assert report.actual["result"]["event_types"] == snapshot["result"]["event_types"]
    assert report.actual["manifest"]["prompt_hashes"] == snapshot["manifest"]["prompt_hashes"]
    assert report.actual["manifest"]["model_ids"] == snapshot["model_ids"]
    # nothing real was needed: the process had no AWS variable left behind by the replay
    assert not any(k.startswith("AWS_") for k in os.environ)


def _copy(name: str, tmp_path: Path, **changes: Any) -> Path:
    cassette, snapshot = cassette_paths(name)
    shutil.copy(cassette, tmp_path / cassette.name)
    data = json.loads(snapshot.read_text())
    for key, value in changes.items():
        data[key] = value
    (tmp_path / snapshot.name).write_text(json.dumps(data))
    return tmp_path


def test_a_changed_prompt_no_longer_replays(
    offline_process: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prompts

    altered = tmp_path / "prompts"
    altered.mkdir()
    for path in prompts.PROMPTS_DIR.glob("*.md"):
        shutil.copy(path, altered / path.name)
    path = altered / "market_analysis.md"
    path.write_text(path.read_text() + "\nPrefer the base scenario when in doubt.\n")
    monkeypatch.setattr(prompts, "PROMPTS_DIR", altered)
    report = replay("optimization")
    assert not report.reproduced
    assert report.error is not None and "Can't play back" in report.error
    assert "differ in 'system'" in report.error


def test_a_changed_tool_result_no_longer_replays(
    offline_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools.market

    original = tools.market.market_statistics

    def tampered(context: Any, args: Any) -> dict[str, Any]:
        result = original(context, args)
        result["note"] = "one more field"
        return result

    monkeypatch.setattr(tools.market, "market_statistics", tampered)
    report = replay("optimization")
    assert not report.reproduced
    assert report.error is not None and "Can't play back" in report.error
    assert "differ in 'messages'" in report.error


def test_a_cassette_replays_only_in_the_api_it_was_recorded_with(
    offline_process: None, tmp_path: Path
) -> None:
    streamed = next(n for n in CASSETTES if load_snapshot(n)["api"] == "converse-stream")
    folder = _copy(streamed, tmp_path, api="converse")
    report = replay(streamed, folder)
    assert not report.reproduced
    assert report.error is not None and "Can't play back" in report.error


def test_a_snapshot_mismatch_is_reported_as_a_readable_diff() -> None:
    snapshot = load_snapshot("optimization")
    expected = {"result": snapshot["result"], "manifest": snapshot["manifest"]}
    actual = json.loads(json.dumps(expected))
    actual["result"]["best_config"]["lookback"] += 21
    actual["result"]["explanation"] = "Something else."
    actual["result"]["event_types"] = [*actual["result"]["event_types"][:-2], "run_finished"]
    actual["manifest"]["prompt_hashes"]["optimizer"] = "0" * 64
    diff = compare(expected, actual)
    text = "\n".join(diff)
    assert "result.best_config.lookback: expected" in text
    assert "result.explanation: expected" in text
    assert "result.event_types: sequences differ" in text
    assert "manifest.prompt_hashes.optimizer" in text
    assert compare(expected, json.loads(json.dumps(expected))) == []


def test_recording_filters_credentials_and_rewrites_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record one call to the local endpoint with distinctive credentials and a session token:
    none of them, and no signature, lands in the cassette; the host becomes Bedrock's."""
    from devtools.local_bedrock import serve

    secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYzzSECRET42"
    token = "FQoGZXIvYXdzEXAMPLESESSIONTOKENxyz123"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    path = tmp_path / "one.yaml"
    with serve() as bedrock, vcr_for("eu-west-3", "all").use_cassette(str(path)):
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=bedrock.url,
            region_name="eu-west-3",
            config=Config(retries={"total_max_attempts": 1}),
        )
        reply = client.converse(
            modelId="us.anthropic.claude-haiku-4-5-20251001-v1:0",
            messages=[{"role": "user", "content": [{"text": "hi, what can you do?"}]}],
        )
    assert reply["output"]["message"]["content"][0]["text"]
    text = path.read_text()
    for value in ("AKIAIOSFODNN7EXAMPLE", secret, token, "AWS4-HMAC-SHA256", "Signature="):
        assert value not in text
    assert secrets_in(text) == []
    (interaction,) = yaml.safe_load(text)["interactions"]
    assert interaction["request"]["uri"] == (
        "https://bedrock-runtime.eu-west-3.amazonaws.com"
        "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
    )
    assert "127.0.0.1" not in text


def test_secret_scanner_finds_what_it_must() -> None:
    assert secrets_in("Authorization: AWS4-HMAC-SHA256 Credential=AKIA...")
    assert secrets_in("key AKIAIOSFODNN7EXAMPLE here")
    assert secrets_in("X-Amz-Security-Token: abc")
    assert secrets_in("plain text", ("plain",)) == ["literal #0"]
    assert secrets_in("nothing to see") == []


def _unshare_available() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    for flags in (["-rn"], ["-n"]):
        probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return None
    return "unshare -n is not permitted here (no user namespaces / privileges)"


PROBE = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"


def test_a_replay_passes_with_networking_disabled_under_unshare(tmp_path: Path) -> None:
    """`stratigos replay optimization` in a process with no network namespace and no AWS
    variables: exit code 0, "reproduced exactly"."""
    reason = _unshare_available()
    if reason is not None:
        pytest.skip(reason)
    flags = ["-rn"]
    if subprocess.run(["unshare", "-rn", "true"], check=False).returncode != 0:
        flags = ["-n"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STRATIGOS_", "LANG"))}
    env["HOME"] = str(tmp_path)
    check = subprocess.run(
        ["unshare", *flags, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert check.returncode != 0  # the namespace really has no network
    completed = subprocess.run(
        ["unshare", *flags, str(STRATIGOS), "replay", "optimization"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "optimization: reproduced exactly" in completed.stdout
    assert FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"] not in completed.stdout
