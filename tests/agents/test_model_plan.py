"""Per-role request settings from the model catalog, and the start-up checks of the settings."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from agents.chat import RequestDraft, Route
from agents.decisions import Explanation, MarketView, SearchPlan
from agents.model_checks import ModelSettingsError, check_model_settings, lifecycle_warning
from agents.model_plan import bedrock_plan, closed_schema
from api.cli import main
from settings import Settings, get_settings
from tests.support.settings import merged

SONNET_55 = "us.anthropic.claude-sonnet-5-5"
HAIKU_55 = "us.anthropic.claude-haiku-5-5"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
TODAY = dt.date(2026, 11, 25)


def on_bedrock(**bedrock: object) -> Settings:
    return Settings(**merged({"models": {"provider": "bedrock"}}, {"bedrock": bedrock}))


def test_each_role_gets_the_settings_its_model_takes() -> None:
    settings = Settings()
    router = bedrock_plan("supervisor", SONNET_55, settings)
    assert router.temperature is None  # Sonnet 5.5 refuses sampling parameters
    assert (router.thinking, router.effort) == ("between_tools", "low")  # it refuses "disabled"
    optimizer = bedrock_plan("optimizer", SONNET_55, settings)
    assert (optimizer.thinking, optimizer.effort) == (None, "high")  # adaptive is its default
    fast = bedrock_plan("market_analysis", HAIKU_55, settings)
    assert (fast.thinking, fast.effort) == ("disabled", "low")
    assert bedrock_plan("risk_manager", HAIKU_55, settings).effort == "medium"
    previous = bedrock_plan("optimizer", SONNET_45, settings)
    assert (previous.temperature, previous.thinking, previous.effort) == (0.0, None, None)
    assert router.cache_system and router.cache_tools and previous.cache_system
    nova = bedrock_plan("supervisor", "us.amazon.nova-pro-v1:0", settings)
    assert nova.cache_system and not nova.cache_tools  # Nova caches no tool definitions
    tuned = Settings(bedrock={"effort_by_role": {"optimizer": "xhigh"}})
    assert bedrock_plan("optimizer", SONNET_55, tuned).effort == "xhigh"
    low = Settings(bedrock={"effort_by_role": {"supervisor": "max"}})
    assert bedrock_plan("supervisor", SONNET_55, low).effort == "high"  # between_tools: <= high
    off = Settings(bedrock={"prompt_caching": False})
    assert not bedrock_plan("supervisor", SONNET_55, off).cache_system
    unknown = bedrock_plan(
        "supervisor", "arn:aws:bedrock:us-east-1:1:application-inference-profile/x", settings
    )
    assert (unknown.temperature, unknown.effort) == (0.0, None)


def test_structured_decisions_are_asked_for_the_way_each_model_accepts() -> None:
    settings = Settings()
    sonnet = bedrock_plan("optimizer", SONNET_55, settings)
    assert closed_schema(Route.model_json_schema()) and closed_schema(
        Explanation.model_json_schema()
    )
    assert not closed_schema(MarketView.model_json_schema())  # scenario weights: an open map
    assert not closed_schema(SearchPlan.model_json_schema())
    assert sonnet.structured_method(Route.model_json_schema()) == "native"
    assert sonnet.structured_method(MarketView.model_json_schema()) == "auto_tool"
    assert sonnet.structured_method(Route.model_json_schema(), tools_in_history=True) == "auto_tool"
    # Haiku 5.5 with thinking off: no documentation says it takes forced tool choice, and it
    # has no native structured output on Bedrock: the schema as a tool under auto
    router = bedrock_plan("supervisor", HAIKU_55, settings)
    assert router.thinking == "disabled" and router.tool_choices() == ("auto",)
    assert router.structured_method(RequestDraft.model_json_schema()) == "auto_tool"
    previous = bedrock_plan("optimizer", SONNET_45, settings)
    assert previous.tool_choices() == ("auto", "any", "tool")
    assert (
        bedrock_plan("optimizer", SONNET_45, settings).structured_method(Route.model_json_schema())
        == "forced_tool"
    )
    # the risk manager thinks on Haiku 5.5, and no Claude model takes forced tool choice while it
    # thinks; Haiku 5.5 has no native structured output on Bedrock: the schema as a tool, auto
    risk = bedrock_plan("risk_manager", HAIKU_55, settings)
    assert risk.thinking is None and risk.model is not None
    assert risk.model.accepts.thinking_default == "adaptive"
    assert risk.structured_method(Route.model_json_schema()) == "auto_tool"


def test_settings_that_cannot_work_are_refused_naming_the_setting_and_the_limit() -> None:
    with pytest.raises(ModelSettingsError) as caught:
        check_model_settings(on_bedrock(max_tokens=200_000), TODAY)
    message = str(caught.value)
    assert "STRATIGOS_BEDROCK_MAX_TOKENS: 200000 output tokens is above the limit of" in message
    assert "Claude Haiku 5.5" in message and "at most 128000" in message
    with pytest.raises(
        ModelSettingsError, match="STRATIGOS_BEDROCK_STRONG_MODEL_ID=made-up-model is not"
    ):
        check_model_settings(on_bedrock(strong_model_id="made-up-model"), TODAY)
    with pytest.raises(
        ModelSettingsError, match=r"use an inference profile: us\.anthropic\.claude-sonnet-5-5"
    ):
        check_model_settings(on_bedrock(strong_model_id="anthropic.claude-sonnet-5-5"), TODAY)
    with pytest.raises(ModelSettingsError, match="an embedding model"):
        check_model_settings(
            on_bedrock(model_ids={"explanation": "amazon.titan-embed-text-v2:0"}), TODAY
        )
    with pytest.raises(ModelSettingsError, match="STRATIGOS_BEDROCK_MAX_TOKENS_BY_ROLE: 70000"):
        check_model_settings(
            on_bedrock(strong_model_id=SONNET_45, max_tokens_by_role={"optimizer": 70_000}), TODAY
        )
    with pytest.raises(ModelSettingsError, match="STRATIGOS_BEDROCK_EFFORT_BY_ROLE"):
        check_model_settings(on_bedrock(effort_by_role={"optimizer": "extreme"}), TODAY)
    assert check_model_settings(on_bedrock(max_tokens=128_000), TODAY) == []
    # offline roles are not checked
    assert (
        check_model_settings(
            Settings(models={"provider": "offline"}, bedrock={"max_tokens": 200_000})
        )
        == []
    )


def test_old_models_get_a_warning_naming_the_date_and_the_replacement(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agents.model_checks

    monkeypatch.setattr(agents.model_checks, "_warned", set())  # logged once per process
    with caplog.at_level(logging.WARNING):
        warnings = check_model_settings(on_bedrock(strong_model_id=SONNET_45), TODAY)
    (warning,) = warnings
    assert "Claude Sonnet 4.5" in warning and "retiring on 2026-11-30" in warning
    assert "replacement: Claude Sonnet 5.5 (us.anthropic.claude-sonnet-5-5)" in warning
    assert warning in caplog.text
    ended = lifecycle_warning("eu.anthropic.claude-sonnet-4-20250514-v1:0", TODAY)
    assert ended is not None and "end of life on Bedrock on 2026-10-14" in ended
    assert "eu.anthropic.claude-sonnet-5-5" in ended  # the same geography
    legacy = lifecycle_warning("us.anthropic.claude-sonnet-4-20250514-v1:0", dt.date(2026, 6, 1))
    assert legacy is not None and "Legacy state since 2026-04-14" in legacy
    assert lifecycle_warning(HAIKU_55, TODAY) is None


def test_the_cli_refuses_them_before_any_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "bedrock")
    monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("STRATIGOS_BEDROCK_MAX_TOKENS", "200000")
    get_settings.cache_clear()
    try:
        assert main(["chat", "--message", "hello"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("stratigos chat: error: STRATIGOS_BEDROCK_MAX_TOKENS: 200000")
    assert "at most 128000" in err and "Traceback" not in err
