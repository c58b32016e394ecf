"""Throttling and outages survived: botocore's adaptive retries, then other routes (the global
inference profile, a fallback model), then rounds of the routes with backoff and jitter between
them, within the call's and the run's time budget, each wait on the trace as it starts; what
still cannot reach a model ends in one or two lines with exit code 3 (the reason told once),
the job resumable, the API's 503 with Retry-After; the same for an OpenAI-compatible server's
429.

No real waits: botocore's are set to zero (its backoff between attempts and its adaptive rate
limiter's token bucket, random up to seconds), and the calls' own pacing (`agents.model_routes.
PACING`) is a clock only their waits move forward, with the jitter at its middle; the attempts
themselves, the adaptive retry mode and the routes are real."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agents import model_routes
from agents.model_routes import Pacing, backoff_wait
from api.cli import main
from devtools.local_bedrock import serve
from devtools.local_bedrock.faults import FaultPlan
from settings import get_settings
from tests.support.aws import local_endpoint_env, no_retry_waits
from tests.support.requests import TINY

THROTTLE_FIVE = "throttle@1,2,3,4,5"
THROTTLE_SIX = "throttle@1,2,3,4,5,6"
THROTTLE_ALWAYS = "throttle@" + ",".join(str(n) for n in range(1, 400))
BUDGET_S = 120.0
"""The model-call budget (`STRATIGOS_MODEL_CALL_BUDGET_S`'s default)."""


class Paced:
    """The calls' pacing in a test: a clock only their waits move forward, and the waits. A
    wait takes no time; when the test follows the trace (`event` given to the run as its event
    sink), it lasts until the trace shows it (at most `SHOWN_WITHIN_S`), and the trace seen
    then is kept (`seen`)."""

    SHOWN_WITHIN_S = 30.0

    def __init__(self) -> None:
        self.following = False
        self.now = time.time()
        self.waits: list[float] = []
        self.seen: list[list[Any]] = []
        self.events: list[Any] = []
        self._shown = threading.Event()

    def event(self, event: Any) -> None:
        self.following = True
        self.events.append(event)
        if event.type == "warning" and event.data.get("code") == "model_backoff":
            self._shown.set()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.following:  # the trace's consumer runs in another thread
            assert self._shown.wait(self.SHOWN_WITHIN_S), "the wait is not on the trace"
            self._shown.clear()
            self.seen.append(list(self.events))
        self.now += seconds


@pytest.fixture(autouse=True)
def paced(monkeypatch: pytest.MonkeyPatch) -> Paced:
    no_retry_waits(monkeypatch)
    pacing = Paced()
    fake = Pacing(clock=pacing.clock, sleep=pacing.sleep, jitter=lambda: 0.5)
    monkeypatch.setattr(model_routes, "PACING", fake)
    return pacing


def waits_until(budget: float) -> list[float]:
    """The waits of a call throttled without end, with the jitter at its middle: backoff from
    2 s doubling to 30 s, three quarters of each, until the next would pass `budget`."""
    waits: list[float] = []
    for rounds in range(1, 100):
        wait = backoff_wait(rounds, 0.5)
        if sum(waits) + wait >= budget:
            return waits
        waits.append(wait)
    raise AssertionError("unreachable")


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


def test_six_throttles_in_a_row_a_chat_turn_waits_on_the_trace_and_is_answered(
    bedrock_with: Any, paced: Paced
) -> None:
    """Issue 53: three attempts on the us. profile and three on the global one throttled (the
    turn used to end there, after 8.2 s, "Wait a minute"); within the 120 s budget the call
    waits, says so on the trace before it waits, and the next round answers."""
    from graphs.chat import ChatSession

    plan = bedrock_with(THROTTLE_SIX)
    turn = ChatSession(None).send(
        "What is the CVaR of AAPL and KO since 2019?", on_event=paced.event
    )
    assert any("CVaR" in reply for reply in turn.replies)
    assert paced.waits == [backoff_wait(1, 0.5)] == [1.5]  # one wait: call 7 answered
    assert plan.calls > 7  # and the turn went on (the specialist's calls)
    (during,) = paced.seen  # the trace while the call waited: the wait is on it
    backoff = during[-1]
    assert backoff.type == "warning" and backoff.data["code"] == "model_backoff"
    assert backoff.data["message"] == (
        "the supervisor agent's model answered ThrottlingException on every route it may use "
        "(us.anthropic.claude-haiku-5-5, global.anthropic.claude-haiku-5-5); waiting 1.5 s "
        "before trying again (round 2, 120 s of the call's budget left)"
    )
    warnings = [e.data["code"] for e in paced.events if e.type == "warning"]
    assert warnings == ["model_fallback", "model_backoff"]  # the switch, then the wait


def test_the_waits_back_off_with_jitter_and_a_server_s_retry_after() -> None:
    assert [backoff_wait(n, 0.0) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert [backoff_wait(n, 0.999999) for n in range(1, 7)] == pytest.approx(
        [2.0, 4.0, 8.0, 16.0, 30.0, 30.0], rel=1e-5
    )
    assert backoff_wait(1, 0.5, retry_after=9.0) == 9.0  # what the service asked for, at least
    assert backoff_wait(3, 0.5, retry_after=1.0) == 6.0


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


def test_throttled_without_end_a_chat_stops_at_its_budget_in_two_sentences_with_exit_3(
    bedrock_with: Any, capsys: pytest.CaptureFixture[str], paced: Paced
) -> None:
    plan = bedrock_with(THROTTLE_ALWAYS)
    assert main(["chat", "--message", "What is the CVaR of AAPL and KO since 2019?"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("stratigos chat: error: the supervisor agent could not reach its model: ")
    waits = waits_until(BUDGET_S)  # 1.5, 3, 6, 12, 22.5 ... s: 112.5 s, the next passes 120
    assert paced.waits == waits and len(waits) == 8
    rounds = len(waits) + 1
    assert (
        "kept throttling (ThrottlingException) on us.anthropic.claude-haiku-5-5, "
        f"global.anthropic.claude-haiku-5-5, {rounds * 6} attempts over {sum(waits):.1f} s "
        f"({sum(waits):.1f} s of it waiting to try again), until the call's time budget ran out."
        in err
    )
    assert "Wait a minute and try again" in err
    assert plan.calls == rounds * 6  # three attempts on each profile, every round
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
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    paced: Paced,
) -> None:  # fmt: skip
    """A deployment may invoke only the ids it is given: the global profile answers 403, and
    is not tried again in the later rounds."""
    denied_global = "throttle@1,2,3;denied@4"
    bedrock_with(denied_global)
    assert main(["chat", "--message", "hello"]) == 0  # the us. profile answers after a wait
    assert paced.waits == [1.5]
    out = capsys.readouterr().out
    assert (
        "answered ThrottlingException on every route it may use (us.anthropic.claude-haiku-5-5); "
        "waiting 1.5 s" in out
    )
    throttled = ",".join(str(n) for n in [1, 2, 3, *range(5, 400)])
    plan = bedrock_with(f"throttle@{throttled};denied@4")
    assert main(["chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    rounds = len(waits_until(BUDGET_S)) + 1
    assert (
        "kept throttling (ThrottlingException) on us.anthropic.claude-haiku-5-5; "
        "global.anthropic.claude-haiku-5-5 is not usable here (AccessDeniedException), "
        f"{rounds * 3 + 1} attempts over" in err
    )
    assert plan.calls == rounds * 3 + 1
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
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    paced: Paced,
) -> None:  # fmt: skip
    # the real clock: the first route's attempts take longer than a microsecond
    monkeypatch.setattr(model_routes, "PACING", Pacing(sleep=paced.sleep))
    monkeypatch.setenv("STRATIGOS_MODEL_CALL_BUDGET_S", "0.000001")
    plan = bedrock_with(THROTTLE_ALWAYS)
    assert main(["chat", "--message", "hello"]) == 3
    err = capsys.readouterr().err
    assert "3 attempts over" in err and "until the call's time budget ran out" in err
    assert plan.calls == 3 and paced.waits == []  # the global profile was not tried


def test_a_wait_that_would_pass_the_budget_is_not_begun(
    bedrock_with: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    paced: Paced,
) -> None:  # fmt: skip
    monkeypatch.setenv("STRATIGOS_MODEL_CALL_BUDGET_S", "4")
    plan = bedrock_with(THROTTLE_ALWAYS)
    assert main(["chat", "--message", "hello"]) == 3
    # round 1, a wait of 1.5 s (4 s left), round 2; the next wait, 3 s, would pass the budget
    assert paced.waits == [1.5] and plan.calls == 12
    err = capsys.readouterr().err
    assert (
        "12 attempts over 1.5 s (1.5 s of it waiting to try again), until the call's time budget ran out"
        in err
    )


def test_throttled_without_end_an_optimization_keeps_its_checkpoint_and_resumes(
    bedrock_with: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(TINY))
    bedrock_with(THROTTLE_ALWAYS)
    assert main(["optimize", "--request", str(request)]) == 3
    printed = capsys.readouterr()
    out = printed.out
    reason = "ModelUnavailableError: the market_analysis agent could not reach its model"
    assert (out + printed.err).count(reason) == 1  # told once (it was three times)
    assert "  reason: " + reason in out  # in the run's summary
    (line,) = [x for x in out.splitlines() if "stratigos resume" in x]
    run_id = line.split("`stratigos resume ")[1].rstrip("`.")
    bedrock_with("")  # the service answers again
    assert main(["resume", run_id, "--quiet"]) == 0
    assert f"Run {run_id}: succeeded" in capsys.readouterr().out


def _hello_over_the_api() -> tuple[Any, str]:
    """The answer to "hello" sent to a new thread of the API (JSON, not streamed) on the
    process's settings, and the thread as read after it."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(get_settings()), raise_server_exceptions=False) as client:
        key, _ = client.app.state.context.store.create_api_key("alice", "tests")  # type: ignore[attr-defined]
        headers = {"x-api-key": key, "accept": "application/json"}
        thread = client.post("/v1/threads", json={"title": "t"}, headers=headers).json()
        response = client.post(
            f"/v1/threads/{thread['id']}/messages", json={"content": "hello"}, headers=headers
        )
        return response, client.get(f"/v1/threads/{thread['id']}", headers=headers).text


def test_the_api_answers_503_with_retry_after(bedrock_with: Any, tmp_path: Path) -> None:

    from tests.api.conftest import assert_error

    bedrock_with(THROTTLE_ALWAYS)
    response, _ = _hello_over_the_api()
    error = assert_error(response, 503, "MODEL_UNAVAILABLE")
    assert response.headers["retry-after"] == "60"
    assert "kept throttling" in error["message"]


DENIED = "You don't have access to the model with the specified model ID."
"""The local endpoint's words for a refused call (Bedrock's own name the account and role)."""


def test_a_refused_call_is_said_in_the_service_s_words_on_the_command_line_and_by_code_on_the_api(
    bedrock_with: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:

    from tests.api.conftest import assert_error

    plan = bedrock_with(f"denied@{','.join(map(str, range(1, 20)))}")
    # the command line's user runs the model routes: the service's words, in one line, exit 1
    assert main(["chat", "--message", "hello"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert f"the supervisor agent's model call failed: AccessDeniedException: {DENIED}" in err
    # an API caller is told the code and what to do; the words are the operator's, in the log
    response, thread = _hello_over_the_api()
    error = assert_error(response, 502, "BAD_GATEWAY")
    assert "refused a call (AccessDeniedException)" in error["message"]
    assert "trying again will not help" in error["message"]
    assert DENIED not in response.text and DENIED not in thread
    assert any(DENIED in record.getMessage() for record in caplog.records)
    assert plan.calls >= 2


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
    # the openai client's two retries (honouring retry-after) in every round, to the budget
    rounds = len(waits_until(BUDGET_S)) + 1
    assert f" {rounds * 3} attempts over" in err and "time budget ran out" in err
