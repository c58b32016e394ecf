"""Recording sessions on an OpenAI-compatible server (`stratigos optimize/chat --record` with
``STRATIGOS_MODEL_PROVIDER=openai``) and replaying them offline; the API key never reaches a
cassette, a snapshot or a log.

The "configured server" is the local OpenAI-compatible endpoint started with an API key, so the
recording sends a real bearer key that the endpoint checks.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from devtools.cassettes import OPENAI_REPLAY_HOST, cassette_paths, secrets_in
from devtools.local_openai import LocalOpenAI, serve
from devtools.replaying import load_snapshot
from settings.config import get_settings
from tests.support.requests import TINY

SECRET = "sk-test-0123456789abcdefghijklmnopqrstuv"


@pytest.fixture
def keyed_server(offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalOpenAI]:
    """The openai provider on a local endpoint that requires `SECRET`; no AWS variables."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    with serve(api_key=SECRET) as server:
        monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "openai")
        monkeypatch.setenv("STRATIGOS_OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("STRATIGOS_OPENAI_API_KEY", SECRET)
        get_settings.cache_clear()
        yield server


def _no_secret(folder: Path, name: str, logs: str) -> None:
    cassette, snapshot = cassette_paths(name, folder)
    for text in (cassette.read_text(), snapshot.read_text(), logs):
        assert SECRET not in text
        assert SECRET[10:30] not in text
    assert secrets_in(cassette.read_text()) == []
    assert OPENAI_REPLAY_HOST in cassette.read_text()


def test_optimize_record_on_an_openai_server_replays_offline(
    keyed_server: LocalOpenAI,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    folder = tmp_path / "cassettes"
    args = ["optimize", "--request", str(request), "--quiet", "--record", "run"]
    assert main([*args, "--record-dir", str(folder)]) == 0
    assert "succeeded" in capsys.readouterr().out
    snapshot = load_snapshot("run", folder)
    assert snapshot["provider"] == "openai" and snapshot["recorded_against"] == "openai"
    assert snapshot["api"] == "openai-stream"  # the run streams (stream_mode messages)
    assert snapshot["manifest"]["model_provider"] == "openai"
    assert snapshot["manifest"]["model_ids"]["optimizer"] == "openai:gpt-4.1"
    _no_secret(folder, "run", caplog.text + capsys.readouterr().err)
    keyed_server.close()  # the replay needs no server
    assert main(["replay", "run", "--dir", str(folder)]) == 0
    assert "run: reproduced exactly" in capsys.readouterr().out


def test_chat_record_on_an_openai_server_without_streaming_replays_offline(
    keyed_server: LocalOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("STRATIGOS_OPENAI_STREAMING", "false")
    monkeypatch.setenv("STRATIGOS_OPENAI_STRUCTURED_OUTPUT", "json_schema")
    get_settings.cache_clear()
    folder = tmp_path / "cassettes"
    message = "What is the CVaR of AAPL and KO since 2019?"
    args = ["chat", "-m", message, "--quiet", "--record", "turn", "--record-dir", str(folder)]
    assert main(args) == 0
    assert "assistant> " in capsys.readouterr().out
    snapshot = load_snapshot("turn", folder)
    assert snapshot["api"] == "openai" and snapshot["provider"] == "openai"
    cassette, _ = cassette_paths("turn", folder)
    assert '"response_format"' in cassette.read_text()  # the Route decision as json_schema
    _no_secret(folder, "turn", caplog.text + capsys.readouterr().err)
    keyed_server.close()
    assert snapshot["openai_structured_output"] == "json_schema"
    monkeypatch.setenv(
        "STRATIGOS_OPENAI_STRUCTURED_OUTPUT", "function_calling"
    )  # the snapshot's wins
    assert main(["replay", "turn", "--dir", str(folder)]) == 0
    assert "turn: reproduced exactly" in capsys.readouterr().out
