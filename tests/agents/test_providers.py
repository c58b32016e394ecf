"""Model providers: the same chat and the same optimization give the same tool calls, decisions and
results offline, on Bedrock (the local Bedrock endpoint) and on an OpenAI-compatible server (the
local OpenAI endpoint), streamed and not; a per-role mix of providers; settings refused at load
time; no call leaves the machine (tiktoken's BPE downloads included)."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agents.models import chat_model, model_ids
from agents.offline import OfflineChatModel
from agents.providers import provider_summary
from devtools.local_bedrock import LocalBedrock
from devtools.local_bedrock import serve as serve_bedrock
from devtools.local_openai import LocalOpenAI
from devtools.local_openai import serve as serve_openai
from settings import EmbeddingSettings, ModelSettings, OpenAISettings, Settings, get_settings

REGION = "us-east-1"


@pytest.fixture(scope="module")
def endpoints() -> Iterator[tuple[LocalBedrock, LocalOpenAI]]:
    with serve_bedrock() as bedrock, serve_openai() as openai_server:
        yield bedrock, openai_server


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Refuse every connection to a non-loopback address and every tiktoken encoding load
    (tiktoken downloads its BPE files); the refused attempts are recorded."""
    import tiktoken

    refused: list[Any] = []
    connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):  # fmt: skip
            refused.append(address)
            raise OSError(f"test: no connection to {address!r}")
        return connect(self, address)

    def no_tiktoken(*args: Any, **kwargs: Any) -> Any:
        refused.append(("tiktoken", args))
        raise AssertionError("tiktoken must not be used")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(tiktoken, "get_encoding", no_tiktoken)
    monkeypatch.setattr(tiktoken, "encoding_for_model", no_tiktoken)
    return refused


@pytest.fixture
def use_provider(
    endpoints: tuple[LocalBedrock, LocalOpenAI],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    no_internet: list[Any],
) -> Iterator[Any]:
    """Switch the process settings to a provider (`offline`, `bedrock` or `openai`, on the local
    endpoints) with streaming on or off, and a fresh data directory."""
    bedrock, openai_server = endpoints
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    def use(provider: str, streaming: bool = True, **env: str) -> None:
        monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", provider)
        monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / f"{provider}-{streaming}"))
        monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", bedrock.url)
        monkeypatch.setenv("STRATIGOS_BEDROCK_REGION", REGION)
        monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_ATTEMPTS", "1")
        monkeypatch.setenv("STRATIGOS_BEDROCK_STREAMING", str(streaming).lower())
        monkeypatch.setenv("STRATIGOS_OPENAI_BASE_URL", openai_server.url)
        monkeypatch.setenv("STRATIGOS_OPENAI_STREAMING", str(streaming).lower())
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()
    assert no_internet == []


def _chat_script() -> list[Any]:
    from graphs.chat import ChatSession

    session = ChatSession("provider-thread", settings=get_settings())
    replies = session.send("build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018")
    follow_up = session.send("what's the 99% CVaR of that?")
    calls = [
        (call["name"], {k: v for k, v in call["args"].items() if k != "portfolio_id"})
        for message in session.history()
        for call in getattr(message, "tool_calls", [])
    ]
    return [replies.replies, follow_up.replies, calls]


def test_a_chat_gives_the_same_tool_calls_and_replies_on_every_provider(
    use_provider: Any, endpoints: tuple[LocalBedrock, LocalOpenAI]
) -> None:
    openai_server = endpoints[1]
    use_provider("offline")
    expected = _chat_script()
    assert ("portfolio_risk_report", {"level": 0.99}) in expected[2]
    for provider in ("bedrock", "openai"):
        for streaming in (False, True):
            use_provider(provider, streaming)
            before = openai_server.streamed_calls
            assert _chat_script() == expected, (provider, streaming)
            if provider == "openai":
                assert (openai_server.streamed_calls > before) == streaming


def test_an_optimization_gives_the_same_decisions_and_results_on_every_provider(
    use_provider: Any, endpoints: tuple[LocalBedrock, LocalOpenAI]
) -> None:
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest
    from tests.graphs.test_optimization import SMALL

    use_provider("offline")
    offline = run_optimization(OptimizationRequest.model_validate(SMALL))
    assert offline.status == "succeeded" and offline.result is not None
    runs = {}
    for provider, streaming, structured in (
        ("bedrock", True, "function_calling"),
        ("openai", True, "json_schema"),
        ("openai", False, "function_calling"),
    ):
        use_provider(provider, streaming, STRATIGOS_OPENAI_STRUCTURED_OUTPUT=structured)
        with warnings.catch_warnings(record=True) as caught:
            run = run_optimization(OptimizationRequest.model_validate(SMALL))
        # json_schema replies parse without pydantic's serializer warning reaching the user
        assert not [w for w in caught if "serializer warnings" in str(w.message)], provider
        assert run.status == "succeeded" and run.result is not None
        for key in ("best", "trials", "explanation", "market_view"):
            assert run.result[key] == offline.result[key], (provider, streaming, key)
        runs[provider] = run.result["manifest"]
    assert runs["openai"]["model_provider"] == "openai"
    assert runs["openai"]["model_ids"]["optimizer"] == "openai:gpt-4.1"
    assert runs["openai"]["model_ids"]["supervisor"] == "openai:gpt-4.1-mini"
    assert runs["bedrock"]["model_provider"] == "bedrock"
    assert "langchain-openai" in runs["openai"]["package_versions"]


def test_roles_can_mix_providers(use_provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_provider(
        "offline",
        STRATIGOS_MODEL_PROVIDERS=json.dumps({"explanation": "openai", "optimizer": "bedrock"}),
        STRATIGOS_OPENAI_MODELS=json.dumps({"explanation": "qwen3:8b"}),
    )
    from langchain_openai import ChatOpenAI  # where it is used: ~0.6 s a collection skips

    settings = get_settings()
    assert isinstance(chat_model("supervisor"), OfflineChatModel)
    explanation = chat_model("explanation")
    assert isinstance(explanation, ChatOpenAI)
    assert explanation.model_name == "qwen3:8b" and not explanation.use_responses_api
    assert type(chat_model("optimizer")).__name__ == "ChatBedrockConverse"
    ids = model_ids()
    assert ids["explanation"] == "openai:qwen3:8b" and ids["supervisor"] == "offline-supervisor"
    assert ids["optimizer"].startswith("us.anthropic.")
    summary = provider_summary()
    assert "explanation=openai" in summary and "optimizer=bedrock" in summary
    # embeddings follow the chat models only when every role is on Bedrock
    assert settings.resolved_embedding_provider() == "offline"
    monkeypatch.setenv("STRATIGOS_OPENAI_MODELS", json.dumps({"explainer": "qwen3:8b"}))
    get_settings.cache_clear()
    with pytest.raises(
        ValueError, match=r"openai_models names unknown agent roles \['explainer'\]"
    ):
        chat_model("supervisor")
    monkeypatch.delenv("STRATIGOS_MODEL_PROVIDERS")
    assert (
        Settings(models=ModelSettings(provider="bedrock")).resolved_embedding_provider()
        == "bedrock"
    )
    assert (
        Settings(models=ModelSettings(provider="openai")).resolved_embedding_provider() == "offline"
    )
    explicit = Settings(
        models=ModelSettings(provider="openai"), embeddings=EmbeddingSettings(provider="bedrock")
    )
    assert explicit.resolved_embedding_provider() == "bedrock"


def test_inconsistent_openai_settings_are_refused_at_load_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("STRATIGOS_OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValidationError, match="STRATIGOS_OPENAI_BASE_URL"):
        Settings(models=ModelSettings(provider="openai"))
    with pytest.raises(ValidationError, match="STRATIGOS_OPENAI_BASE_URL"):
        Settings(models=ModelSettings(providers={"explanation": "openai"}))
    with pytest.raises(ValidationError, match="must start with http"):
        Settings(
            models=ModelSettings(provider="openai"),
            openai=OpenAISettings(base_url="localhost:11434/v1"),
        )
    with pytest.raises(ValidationError, match="model_providers"):
        Settings(models=ModelSettings(providers={"explanation": "claude"}))
    # api.openai.com with a key from OpenAI's usual variable; a local server needs no key
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    keyed = Settings(models=ModelSettings(provider="openai"))
    assert keyed.openai.resolved_api_key() is not None
    assert keyed.openai.resolved_api_key().get_secret_value() == "sk-from-env"  # type: ignore[union-attr]
    assert "sk-from-env" not in repr(keyed) and "sk-from-env" not in str(keyed.model_dump())
    monkeypatch.delenv("OPENAI_API_KEY")
    local = Settings(
        models=ModelSettings(provider="openai"),
        openai=OpenAISettings(base_url="http://127.0.0.1:11434/v1"),
    )
    model = chat_model("supervisor", local)
    from langchain_openai import ChatOpenAI

    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert model.openai_api_base == "http://127.0.0.1:11434/v1"


def test_a_server_error_after_the_retries_is_a_model_call_error(
    use_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents.chat import route_message
    from agents.errors import ModelCallError
    from devtools.local_bedrock.faults import FaultPlan

    with serve_openai(faults=FaultPlan.parse("throttle@1,2,3")) as throttled:
        # a call budget of one second leaves no room for a wait (at least 1 s) and another round
        use_provider(
            "openai",
            STRATIGOS_OPENAI_BASE_URL=throttled.url,
            STRATIGOS_OPENAI_MAX_RETRIES="1",
            STRATIGOS_MODEL_CALL_BUDGET_S="1",
        )
        with pytest.raises(ModelCallError, match="rate_limit_exceeded"):
            route_message([_human("What is the CVaR of AAPL since 2019?")])
        assert throttled.faults.calls == 2
        use_provider(
            "openai", STRATIGOS_OPENAI_BASE_URL=throttled.url, STRATIGOS_OPENAI_MAX_RETRIES="2"
        )
        # call 3 is throttled, call 4 answers: the retry recovers
        assert route_message([_human("What is the CVaR of AAPL since 2019?")]).decision.agent
        assert throttled.faults.calls == 4


def _human(text: str) -> Any:
    from langchain_core.messages import HumanMessage

    return HumanMessage(text)


def test_a_reply_cut_at_the_token_limit_is_not_used_as_a_decision(use_provider: Any) -> None:
    from agents.errors import ModelOutputError
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest
    from tests.support.requests import TINY

    use_provider("openai", STRATIGOS_OPENAI_MAX_TOKENS="5")  # finish_reason "length"
    with pytest.raises(ModelOutputError, match="reply stopped with max_tokens"):
        run_optimization(OptimizationRequest.model_validate(TINY))


@pytest.mark.parametrize(
    ("finish", "meaning"),
    [("length", "max_tokens"), ("content_filter", "content_filtered"), ("tool_calls", "tool_use"),
     ("stop", "end_turn")],
)  # fmt: skip
def test_openai_finish_reasons_read_as_bedrock_stop_reasons(finish: str, meaning: str) -> None:
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.runnables import RunnableLambda

    from agents.errors import ModelOutputError
    from agents.model_call import invoke_model, stop_reason

    reply = AIMessage("Sorry.", response_metadata={"finish_reason": finish})
    assert stop_reason(reply) == meaning
    if meaning == "content_filtered":
        with pytest.raises(ModelOutputError, match="content_filtered"):
            invoke_model(RunnableLambda(lambda _: reply), [HumanMessage("hi")], None, "explanation")
