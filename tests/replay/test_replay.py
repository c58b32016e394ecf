"""Replaying the shipped cassettes offline: results equal the snapshots, nothing real is needed.

Every cassette in tests/cassettes is replayed with vcrpy in record mode ``none`` against a
Bedrock client with no endpoint URL, fake credentials (botocore must sign something), no AWS
variables or files, and sockets that refuse to connect; all of them are also replayed in one
process of their own under another BLAS kernel and ``unshare -n`` (no network namespace at all).
The snapshots were written when the cassettes were recorded; the replayed graph must give the
same best configuration, trials, explanation, trace event types and manifest inputs. Changing
an agent's behaviour (a prompt, a tool's result, the Bedrock API) makes the replay fail.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config

from devtools.cassettes import (
    FAKE_CREDENTIALS,
    FILTERED_HEADERS,
    OPENAI_REPLAY_HOST,
    REPOSITORY_CASSETTES,
    cassette_paths,
    regional_host,
    secrets_in,
    vcr_for,
)
from devtools.matching import RELATIVE_TOLERANCE, same
from devtools.replaying import compare, list_cassettes, load_snapshot, replay
from prompts.canonical import perturbed

CASSETTES = list_cassettes()
REPO = Path(__file__).resolve().parents[2]
STRATIGOS = Path(sys.executable).with_name("stratigos")
OTHER_KERNEL = "Sandybridge"
"""An OpenBLAS kernel every x86-64 machine with AVX runs, other than this machine's own."""


def interactions(name: str, directory: Path = REPOSITORY_CASSETTES) -> list[dict[str, Any]]:
    cassette, _ = cassette_paths(name, directory)
    data = yaml.safe_load(cassette.read_text())
    result: list[dict[str, Any]] = data["interactions"]
    return result


def test_the_shipped_cassettes_cover_the_workflow_a_chat_with_an_approval_and_streaming() -> None:
    snapshots = {name: load_snapshot(name) for name in CASSETTES}
    kinds = {(s["script"]["kind"], s["api"]) for s in snapshots.values()}
    assert ("optimization", "converse") in kinds
    assert ("chat", "converse") in kinds
    assert any(api == "converse-stream" for _, api in kinds)
    assert ("embedding", "invoke") in kinds  # Titan Text Embeddings V2 through InvokeModel
    assert ("chat", "openai-stream") in kinds  # an OpenAI-compatible server, streamed
    assert ("mcp", "converse") in kinds  # the agents driving the MCP tools (test_mcp_cassette)
    chat = snapshots["chat"]
    turns = chat["result"]["turns"]
    assert any(t["pending"] for t in turns)  # the approval interrupt
    assert {"portfolio_risk_report", "optimize_portfolio"} <= {x for t in turns for x in t["tools"]}
    assert chat["result"]["event_types"].count("run_finished") == len(turns)
    outcomes = [s["result"] for s in snapshots.values() if s["script"]["kind"] == "optimization"]
    chats = [s for s in snapshots.values() if s["script"]["kind"] == "chat"]
    outcomes += [run for s in chats if s["api"] != "openai-stream" for run in s["result"]["runs"]]
    bedrock = {n: s for n, s in snapshots.items() if s.get("provider", "bedrock") == "bedrock"}
    runs = [s for s in bedrock.values() if s["script"]["kind"] in ("optimization", "chat")]
    assert len(outcomes) == len(runs)  # the chat's approved search made one run
    assert all(s["result"]["runs"] == [] for s in bedrock.values() if s["script"]["kind"] == "mcp")
    for outcome in outcomes:
        assert outcome["status"] == "succeeded"
        assert outcome["n_trials"] == (
            9 if outcome is snapshots["optimization-risk"]["result"] else 12
        )
        assert outcome["explanation"]
    for snapshot in bedrock.values():
        assert snapshot["manifest"]["model_provider"] == "bedrock"
    openai_chat = snapshots["openai-chat"]
    assert openai_chat["provider"] == "openai"
    assert set(openai_chat["model_ids"].values()) == {"openai:gpt-4.1", "openai:gpt-4.1-mini"}
    tools = {x for t in openai_chat["result"]["turns"] for x in t["tools"]}
    assert {"Route", "portfolio_risk_report", "optimize_portfolio"} <= tools


def test_cassettes_are_small() -> None:
    sizes = {p.name: p.stat().st_size for p in REPOSITORY_CASSETTES.iterdir()}
    assert sum(sizes.values()) < 3_000_000, sizes


@pytest.mark.parametrize("name", CASSETTES)
def test_cassettes_hold_no_credentials_and_use_the_regional_host(name: str) -> None:
    cassette, _ = cassette_paths(name)
    assert secrets_in(cassette.read_text()) == []
    region = load_snapshot(name)["region"]
    api = load_snapshot(name)["api"]
    if load_snapshot(name).get("provider") == "openai":
        assert "127.0.0.1" not in cassette.read_text()  # nor the recording server's address
        for interaction in interactions(name):
            request = interaction["request"]
            assert request["uri"] == OPENAI_REPLAY_HOST + "/v1/chat/completions"
            assert {h.lower() for h in request["headers"]}.isdisjoint(FILTERED_HEADERS)
            assert json.loads(request["body"])["stream"] is (api == "openai-stream")
            assert interaction["response"]["status"]["code"] == 200
            content_type = interaction["response"]["headers"]["content-type"][0]
            assert content_type.startswith("text/event-stream")
        return
    for interaction in interactions(name):
        request = interaction["request"]
        assert request["uri"].startswith(regional_host(region) + "/model/")
        # chat model calls through the session's API; embeddings (any session) through invoke
        operation = request["uri"].rsplit("/", 1)[-1]
        assert operation in (api, "invoke")
        assert {h.lower() for h in request["headers"]}.isdisjoint(FILTERED_HEADERS)
        status = interaction["response"]["status"]["code"]
        assert status == 200
        content_type = interaction["response"]["headers"]["Content-Type"][0]
        stream = operation == "converse-stream"
        assert ("application/vnd.amazon.eventstream" if stream else "json") in content_type


@pytest.mark.parametrize("name", CASSETTES)
def test_a_cassette_replays_offline_to_its_snapshot(name: str, offline_process: None) -> None:
    report = replay(name)
    assert report.error is None, report.summary()
    assert report.diff == [], report.summary()
    assert report.reproduced and report.actual is not None
    snapshot = load_snapshot(name)
    # the equality checked above, spelled out
    actual, expected = report.actual["result"], snapshot["result"]
    if snapshot["script"]["kind"] == "embedding":
        assert actual["vectors"] == expected["vectors"]
        assert not any(k.startswith("AWS_") for k in os.environ)
        return
    if snapshot["script"]["kind"] == "mcp":  # the MCP server answered the tools for real
        assert actual["turns"] == expected["turns"] and actual["drafts"] == expected["drafts"]
        assert (
            report.actual["manifest"]["tool_schema_hash"]
            == snapshot["manifest"]["tool_schema_hash"]
        )
        return
    if snapshot["script"]["kind"] == "chat":
        assert actual["turns"] == expected["turns"]
        if not expected["runs"]:
            return
        actual, expected = actual["runs"][-1], expected["runs"][-1]
    else:
        assert actual["event_types"] == expected["event_types"]
    assert actual["best_config"] == expected["best_config"]
    assert actual["explanation"] == expected["explanation"]
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


def test_a_changed_prompt_fails_naming_the_agent_the_text_and_the_command(
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
    assert not report.reproduced and report.error is not None
    assert "matches no recorded interaction" in report.error
    assert "agent: market_analysis" in report.error
    assert "differs in: the system prompt" in report.error
    assert "+Prefer the base scenario when in doubt." in report.error
    assert "to record it again: stratigos record optimization" in report.error


def _tamper_market_statistics(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None]
) -> None:
    import tools.market

    original = tools.market.market_statistics

    def tampered(context: Any, args: Any) -> dict[str, Any]:
        result = original(context, args)
        change(result)
        return result

    monkeypatch.setattr(tools.market, "market_statistics", tampered)


def test_a_changed_tool_result_fails_naming_the_message_index_and_the_difference(
    offline_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tamper_market_statistics(monkeypatch, lambda result: result.update(note="one more field"))
    report = replay("optimization")
    assert not report.reproduced and report.error is not None
    assert "agent: market_analysis" in report.error
    assert "differs in: messages[2] (user, toolResult)" in report.error
    assert '+ "note": "one more field",' in report.error


def _scale_market_volatility(result: dict[str, Any], factor: float) -> None:
    result["market"]["vol"] *= factor


def test_a_tool_result_moved_by_more_than_the_tolerance_no_longer_replays(
    offline_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    factor = 1 + 20 * RELATIVE_TOLERANCE
    _tamper_market_statistics(monkeypatch, lambda r: _scale_market_volatility(r, factor))
    report = replay("optimization")
    assert not report.reproduced and report.error is not None
    assert "differs in: messages[2] (user, toolResult)" in report.error
    assert '"vol":' in report.error


def test_a_changed_tool_schema_fails_naming_the_tool(
    offline_process: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import Field

    import tools.market

    class Tampered(tools.market.MarketStatisticsArgs):  # type: ignore[name-defined,misc]
        extra_window: int = Field(default=5, description="one more argument")

    monkeypatch.setattr(tools.market, "MarketStatisticsArgs", Tampered)
    report = replay("optimization")
    assert not report.reproduced and report.error is not None
    assert "differs in: the tool schemas (market_statistics)" in report.error
    assert "extra_window" in report.error


@pytest.mark.parametrize("name", CASSETTES)
def test_every_cassette_replays_with_every_float_moved_by_1e_12(
    name: str, offline_process: None
) -> None:
    """As another BLAS build would move the last digits: every float that reaches a model,
    in tasks, context and tool results, is multiplied by 1 +- 1e-12 before rounding."""
    with perturbed(1e-12):
        report = replay(name)
    assert report.reproduced, report.summary()


@pytest.mark.slow
def test_the_cassettes_replay_under_another_blas_kernel(
    replayed_elsewhere: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    """OPENBLAS_CORETYPE forces another OpenBLAS kernel, which moves the last digits of
    matrix products on this machine; every cassette still replays."""
    probe = (
        "import json, numpy, threadpoolctl; "
        "print(json.dumps([i.get('architecture') for i in threadpoolctl.threadpool_info() "
        "if i.get('internal_api') == 'openblas']))"
    )
    env = _clean_environment(tmp_path)
    forced = subprocess.run(
        [sys.executable, "-c", probe],
        env=env | {"OPENBLAS_CORETYPE": OTHER_KERNEL},
        capture_output=True,
        text=True,
    )
    assert json.loads(forced.stdout) == [OTHER_KERNEL]
    assert OTHER_KERNEL not in _openblas_kernels()  # this process: the machine's own kernel
    output = replayed_elsewhere.stdout + replayed_elsewhere.stderr
    assert replayed_elsewhere.returncode == 0, output
    for name in CASSETTES:
        assert f"{name}: reproduced exactly" in replayed_elsewhere.stdout


def _openblas_kernels() -> list[str | None]:
    """The kernels of the OpenBLAS libraries loaded in this process."""
    import threadpoolctl

    info = threadpoolctl.threadpool_info()
    return [i.get("architecture") for i in info if i.get("internal_api") == "openblas"]


def test_the_body_matcher_compares_numbers_within_the_stated_tolerance() -> None:
    assert same({"a": 1.0, "b": [2.5]}, {"a": 1.0 + RELATIVE_TOLERANCE / 2, "b": [2.5]})
    assert not same({"a": 1.0}, {"a": 1.0 + 3 * RELATIVE_TOLERANCE})
    assert not same({"n": 63}, {"n": 64}) and not same({"n": 1_700_000_000}, {"n": 1_700_000_001})
    # numbers inside JSON text (a tool result) and inside prose
    assert same('{"vol": 0.254321}', '{"vol":0.2543215}')
    assert same("volatility 25.4321% over 63 days", "volatility 25.43211% over 63 days")
    assert not same("volatility 25.4% over 63 days", "volatility 25.4% over 64 days")
    assert not same("volatility 25.4% over 63 days", "volatility 26.4% over 63 days")
    assert not same("a bull market", "a bear market")


def test_a_cassette_replays_only_in_the_api_it_was_recorded_with(
    offline_process: None, tmp_path: Path
) -> None:
    streamed = next(n for n in CASSETTES if load_snapshot(n)["api"] == "converse-stream")
    folder = _copy(streamed, tmp_path, api="converse")
    report = replay(streamed, folder)
    assert not report.reproduced and report.error is not None
    assert "/converse matches no recorded interaction" in report.error
    assert "replays only in the Bedrock API it was recorded with" in report.error


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


@functools.cache
def _unshare_flags() -> list[str] | None:
    """The flags with which `unshare` starts a process in a network namespace of its own here
    (None: it cannot)."""
    if shutil.which("unshare") is None:
        return None
    for flags in (["-rn"], ["-n"]):
        probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return flags
    return None


def _clean_environment(home: Path) -> dict[str, str]:
    """This environment with no AWS, Stratigos or locale variables, and `home` as HOME."""
    prefixes = ("AWS_", "STRATIGOS_", "LANG")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)} | {"HOME": str(home)}


@pytest.fixture(scope="module")
def replayed_elsewhere(
    tmp_path_factory: pytest.TempPathFactory,
) -> subprocess.CompletedProcess[str]:
    """`stratigos replay` of every cassette in one process of its own: under another OpenBLAS
    kernel (`OTHER_KERNEL`), with no AWS, Stratigos or locale variables, and in a network
    namespace of its own where `unshare` may make one. Both the kernel's test and the
    namespace's read it: one process proves both, as every replay costs seconds of loading."""
    env = _clean_environment(tmp_path_factory.mktemp("replay-home"))
    namespace = ["unshare", *flags] if (flags := _unshare_flags()) else []
    return subprocess.run(
        [*namespace, str(STRATIGOS), "replay", *CASSETTES],
        capture_output=True,
        text=True,
        check=False,
        env=env | {"OPENBLAS_CORETYPE": OTHER_KERNEL},
        cwd=REPO,
        timeout=600,
    )


PROBE = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)"


@pytest.mark.slow  # every cassette replayed (`replayed_elsewhere`, shared with the kernel's test)
@pytest.mark.skipif(
    _unshare_flags() is None,
    reason="unshare is missing or not permitted here (no user namespaces / privileges)",
)
def test_a_replay_passes_with_networking_disabled_under_unshare(
    replayed_elsewhere: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    """`stratigos replay` in a process with no network namespace and no AWS variables: exit
    code 0, "reproduced exactly" (every cassette, `replayed_elsewhere`)."""
    flags = _unshare_flags()
    assert flags is not None  # the skip above, decided at collection
    check = subprocess.run(
        ["unshare", *flags, sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=False,
        env=_clean_environment(tmp_path),
    )
    assert check.returncode != 0  # the namespace really has no network
    assert replayed_elsewhere.args[: 1 + len(flags)] == ["unshare", *flags]
    output = replayed_elsewhere.stdout + replayed_elsewhere.stderr
    assert replayed_elsewhere.returncode == 0, output
    for name in CASSETTES:
        assert f"{name}: reproduced exactly" in replayed_elsewhere.stdout
    assert FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"] not in replayed_elsewhere.stdout


DECISION_SCHEMAS = {
    "Route",
    "MarketView",
    "SearchPlan",
    "BatchDecision",
    "Explanation",
    "RequestDraft",
}
"""Structured decisions: a tool call on the previous generation; on the current one a tool call
or native structured output (text), as the model catalog says each model accepts."""


def _answers(result: dict[str, Any]) -> dict[str, Any]:
    """A session's outcome without how its decisions travelled (a tool call or text)."""
    kept = {k: v for k, v in result.items() if k != "event_types"}
    if "turns" in kept:
        kept["turns"] = [
            {**t, "tools": [x for x in t["tools"] if x not in DECISION_SCHEMAS]}
            for t in kept["turns"]
        ]
    return kept


def test_the_risk_manager_thinking_on_the_current_generation_decides_under_auto() -> None:
    """The risk-limited search: the risk manager thinks (adaptive, Haiku 5.5's default) and is
    asked for its RiskDecision as a tool under auto tool choice, never a forced one."""
    from settings.model_catalog import model_catalog

    snapshot = load_snapshot("optimization-risk")
    assert snapshot["script"]["request"]["risk_limits"] == {"max_drawdown": 0.25}
    fast = model_catalog().generation_ids("current")[1]
    assert snapshot["model_ids"]["risk_manager"] == fast
    risk = []
    for interaction in interactions("optimization-risk"):
        body = json.loads(interaction["request"]["body"])
        tools = [t["toolSpec"]["name"] for t in body.get("toolConfig", {}).get("tools", []) if "toolSpec" in t]  # fmt: skip
        if tools == ["RiskDecision"]:
            risk.append((interaction, body))
    assert risk
    for interaction, body in risk:
        assert body["toolConfig"].get("toolChoice", {"auto": {}}) == {"auto": {}}
        assert "additionalModelRequestFields" not in body  # thinking: the model's default
        reply = json.loads(interaction["response"]["body"]["string"])
        blocks = reply["output"]["message"]["content"]
        assert "reasoningContent" in blocks[0] and any("toolUse" in b for b in blocks)
    assert "reasoning" in snapshot["result"]["event_types"]


@pytest.mark.parametrize("name", ["optimization", "chat"])
def test_both_claude_generations_give_the_same_answers(name: str) -> None:
    from settings.model_catalog import model_catalog

    current, previous = load_snapshot(name), load_snapshot(f"{name}-previous")
    catalog = model_catalog()
    assert set(current["model_ids"].values()) == set(catalog.generation_ids("current"))
    assert set(previous["model_ids"].values()) == set(catalog.generation_ids("previous"))
    assert _answers(current["result"]) == _answers(previous["result"])
    for snapshot in (current, previous):
        assert snapshot["recorded_against"] == "local-endpoint"
