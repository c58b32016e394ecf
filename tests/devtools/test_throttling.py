"""Throttling and outages survived: botocore's adaptive retries, then other routes (the global
inference profile, a fallback model), within the call's and the run's time budget; what still
cannot reach a model ends in one or two lines with exit code 3, the job resumable, the API's 503
with Retry-After; the same for an OpenAI-compatible server's 429.

botocore's waits are set to zero here (its backoff between attempts and its adaptive rate
limiter's token bucket, random up to seconds); the attempts themselves, the adaptive retry mode
and the routes are real."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from devtools.local_bedrock import serve
from devtools.local_bedrock.faults import FaultPlan
from settings import get_settings
from tests.support.aws import local_endpoint_env, no_retry_waits
from tests.support.requests import TINY

THROTTLE_FIVE = "throttle@1,2,3,4,5"
THROTTLE_ALWAYS = "throttle@" + ",".join(str(n) for n in range(1, 400))


@pytest.fixture(autouse=True)
def no_backoff_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    no_retry_waits(monkeypatch)


@pytest.fixture
def bedrock_with(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[[str], FaultPlan]]:
    servers: list[Any] = []

    def start(faults: str) -> FaultPlan:
        plan = FaultPlan.parse(faults)
        server = serve(faults=plan)
        servers.append(server)
        local_endpoint_env(monkeypatch, tmp_path)
        for name, value in {
            "STRATIGOS_MODEL_PROVIDER": "bedrock",
            "STRATIGOS_BEDROCK_ENDPOINT_URL": server.url,
            "STRATIGOS_BEDROCK_STREAMING": "false",
            "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        return plan

    yield start
    for server in servers:
        server.close()
    get_settings.cache_clear()


def test_the_adaptive_retry_mode_is_botocore_s() -> None:
    from agents.models import chat_model
    from settings import Settings

    model = chat_model("supervisor", Settings(models={"provider": "bedrock"}))
    assert model.client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 3}


def test_throttling_the_first_five_calls_a_chat_turn_succeeds_on_the_global_profile(
    bedrock_with: Any,
) -> None:
    from graphs.chat import ChatSession

    plan = bedrock_with(THROTTLE_FIVE)
    events: list[Any] = []
    turn = ChatSession(None).send(
        "What is the CVaR of AAPL and KO since 2019?", on_event=events.append
    )
    assert any("CVaR" in reply for reply in turn.replies)
    assert plan.calls >= 6  # three attempts on the us. profile, three on global. (one answered)
    switched = [e for e in events if e.type == "warning" and e.data.get("code") == "model_fallback"]
    assert (
        switched
        and "ThrottlingException after 3 attempts; trying global.anthropic.claude-haiku-5-5"
        in switched[0].data["message"]
    )


def test_throttling_the_first_five_calls_an_optimization_succeeds_and_says_so(
    bedrock_with: Any,
) -> None:
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest

    bedrock_with(THROTTLE_FIVE)
    outcome = run_optimization(OptimizationRequest.model_validate(TINY))
    assert outcome.status == "succeeded" and outcome.result is not None
    manifest = outcome.result["manifest"]
    assert manifest["usage"]["fallback_calls"] == 1
    assert manifest["model_routes"]["market_analysis"] == [
        "us.anthropic.claude-haiku-5-5",
        "global.anthropic.claude-haiku-5-5",
    ]
    events = [
        json.loads(line) for line in (outcome.directory / "events.jsonl").read_text().splitlines()
    ]
    assert any(e["type"] == "warning" and e["data"].get("code") == "model_fallback" for e in events)


def test_throttled_without_end_a_chat_stops_in_two_sentences_with_exit_3(
    bedrock_with: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = bedrock_with(THROTTLE_ALWAYS)
    assert main(["chat", "--message", "What is the CVaR of AAPL and KO since 2019?"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("stratigos chat: error: the supervisor agent could not reach its model: ")
    assert (
        "kept throttling (ThrottlingException) on us.anthropic.claude-haiku-5-5, global.anthropic.claude-haiku-5-5, 6 attempts over"
        in err
    )
    assert "Wait a minute and try again" in err
    assert plan.calls == 6
    # --debug adds the traceback, and keeps the message and the exit code
    assert main(["--debug", "chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and "ModelUnavailableError" in err
    assert err.strip().splitlines()[-1].startswith("stratigos chat: error: the supervisor agent")


def test_an_endpoint_that_cannot_be_reached_is_named_so_not_as_throttling(
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bedrock_with("")
    with socket.socket() as probe:  # a loopback port nothing listens on: connections refused
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", closed)
    get_settings.cache_clear()
    assert main(["chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    assert "could not be reached (EndpointConnectionError)" in err
    assert "Check that the model endpoint is running and reachable" in err
    assert "quota" not in err and "Traceback" not in err


def test_a_route_the_account_may_not_invoke_is_passed_over_and_named(
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deployment may invoke only the ids it is given: the global profile answers 403."""
    denied_global = "throttle@1,2,3;denied@4"
    plan = bedrock_with(denied_global)
    assert main(["chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    assert (
        "kept throttling (ThrottlingException) on us.anthropic.claude-haiku-5-5; "
        "global.anthropic.claude-haiku-5-5 is not usable here (AccessDeniedException), "
        "4 attempts over" in err
    )
    assert plan.calls == 4
    # with a fallback model of the tier, the call goes on to it and the turn is answered
    monkeypatch.setenv(
        "STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS",
        '{"fast": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}',
    )
    plan = bedrock_with(denied_global)
    assert main(["chat", "--message", "hello"]) == 0
    assert "trying us.anthropic.claude-haiku-4-5-20251001-v1:0" in capsys.readouterr().out
    assert plan.calls > 4


def test_the_call_budget_stops_the_routes_early(
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRATIGOS_MODEL_CALL_BUDGET_S", "0.000001")
    plan = bedrock_with(THROTTLE_ALWAYS)
    assert main(["chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    assert "3 attempts over" in err and "until the call's time budget ran out" in err
    assert plan.calls == 3  # the global profile was not tried


def test_throttled_without_end_an_optimization_keeps_its_checkpoint_and_resumes(
    bedrock_with: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    bedrock_with(THROTTLE_ALWAYS)
    assert main(["optimize", "--request", str(request), "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "ModelUnavailableError: the market_analysis agent could not reach its model" in out
    (line,) = [x for x in out.splitlines() if "stratigos resume" in x]
    run_id = line.split("`stratigos resume ")[1].rstrip("`.")
    bedrock_with("")  # the service answers again
    assert main(["resume", run_id, "--quiet"]) == 0
    assert f"Run {run_id}: succeeded" in capsys.readouterr().out


def test_the_api_answers_503_with_retry_after(bedrock_with: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import assert_error

    bedrock_with(THROTTLE_ALWAYS)
    with TestClient(create_app(get_settings()), raise_server_exceptions=False) as client:
        key, _ = client.app.state.context.store.create_api_key("alice", "tests")  # type: ignore[attr-defined]
        headers = {"x-api-key": key, "accept": "application/json"}
        thread = client.post("/v1/threads", json={"title": "t"}, headers=headers).json()
        response = client.post(
            f"/v1/threads/{thread['id']}/messages", json={"content": "hello"}, headers=headers
        )
        error = assert_error(response, 503, "MODEL_UNAVAILABLE")
        assert response.headers["retry-after"] == "60"
        assert "kept throttling" in error["message"]


def test_an_openai_compatible_server_s_429_ends_the_same_way(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from devtools.local_bedrock.faults import FaultPlan as OpenAIFaults
    from devtools.local_openai import serve as serve_openai

    with serve_openai(faults=OpenAIFaults.parse(THROTTLE_ALWAYS)) as server:
        monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "openai")
        monkeypatch.setenv("STRATIGOS_OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
        get_settings.cache_clear()
        try:
            assert main(["chat", "--message", "hello"]) == 3
        finally:
            get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "kept throttling (rate_limit_exceeded)" in err
    assert "3 attempts" in err  # the openai client's two retries, honouring retry-after
