"""The model catalog: every fact cited, ids resolved as Bedrock names them, limits and accepted
settings agreeing with a peer library's own table (langchain-aws's Bedrock model profiles)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from langchain_aws.data._profiles import _PROFILES

from settings import Settings
from settings.model_catalog import (
    CATALOG_FILE,
    LIFECYCLE_FACTS,
    ModelCatalogError,
    load_catalog,
    model_catalog,
    stated_facts,
)

CATALOG = model_catalog()


RAW = {raw["key"]: raw for raw in tomllib.loads(CATALOG_FILE.read_text())["models"]}


def test_every_fact_an_entry_states_names_sources_that_say_where_and_what() -> None:
    stated = 0
    for model in CATALOG.models:
        facts = stated_facts(RAW[model.key])
        assert {"base_id", "context_window", "lifecycle"} <= set(facts), model.key
        for fact in facts:
            sources = model.sources_of(fact)
            assert sources, (model.key, fact)
            for key in sources:
                source = CATALOG.sources[key]
                assert source["url"] and source["says"], key
                assert source["kind"] in ("provider", "third-party"), key
            stated += 1
        assert set(model.unfound).isdisjoint(facts), model.key  # never both stated and unfound
    assert stated > 200
    assert CATALOG.retrieved == "2026-11-25"


def test_every_current_model_s_lifecycle_is_stated_with_its_source_or_named_unfound() -> None:
    """Bedrock's lifecycle of a model: its state, and from its model card the launch, the date
    it reaches its end of life no sooner than and its legacy period (cards of models launched
    from 2026-09-07 carry both, [sources.aws-model-lifecycle])."""
    current = [m for m in CATALOG.models if m.lifecycle == "active"]
    assert {m.key for m in current} >= {"claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"}
    for model in current:
        for fact in LIFECYCLE_FACTS:
            if getattr(model, fact) is None:
                assert fact in model.unfound, (model.key, fact)
            else:
                assert model.sources_of(fact), (model.key, fact)
    for model in CATALOG.models:
        if model.lifecycle == "end_of_life":
            assert model.end_of_life is not None and model.sources_of("end_of_life"), model.key


def test_claude_opus_5_5_s_bedrock_model_card_is_in_the_catalog() -> None:
    opus = CATALOG.get("claude-opus-5-5")
    assert (opus.released, opus.eol_no_sooner_than) == (dt.date(2026, 9, 22), dt.date(2027, 9, 22))
    assert opus.legacy_period_days == 182 and opus.lifecycle == "active"  # six months
    for fact in ("released", "eol_no_sooner_than", "legacy_period_days", "lifecycle", "kind"):
        assert opus.sources_of(fact) == ("aws-opus-5-5-card",), fact
    card = CATALOG.sources["aws-opus-5-5-card"]
    assert card["kind"] == "provider" and "model-card-anthropic-claude-opus-5-5" in card["url"]
    assert "Converse supported" in card["says"]
    assert not any("model card" in gap for gap in opus.silent)
    assert opus.state_on(dt.date(2027, 9, 21)) == "active"


def test_a_fact_without_a_source_or_both_stated_and_unfound_is_refused(tmp_path: Path) -> None:
    text = CATALOG_FILE.read_text()
    path = tmp_path / "catalog.toml"
    path.write_text(text.replace('eol_no_sooner_than = ["aws-opus-5-5-card"]\n', "", 1))
    with pytest.raises(
        ModelCatalogError, match=r"claude-opus-5-5.*without a source.*eol_no_sooner_than"
    ):
        load_catalog(path)
    path.write_text(
        text.replace('"accepts.effort_with_between_tools" = ["bedrock-sonnet-5-5-ids"]\n', "", 1)
    )
    with pytest.raises(ModelCatalogError, match=r"accepts\.effort_with_between_tools"):
        load_catalog(path)
    both = text.replace(
        'unfound = ["cache.min_tokens", "accepts.native_structured_output"]',
        'unfound = ["released"]',
        1,
    )
    path.write_text(both)
    with pytest.raises(ModelCatalogError, match=r"unfound names facts it states.*released"):
        load_catalog(path)


def test_the_defaults_are_the_current_claude_generation_on_an_inference_profile() -> None:
    settings = Settings()
    strong = CATALOG.resolve(settings.bedrock.strong_model_id)
    fast = CATALOG.resolve(settings.bedrock.fast_model_id)
    assert strong is not None and fast is not None
    assert (strong.model.name, fast.model.name) == ("Claude Sonnet 5.5", "Claude Haiku 5.5")
    assert not strong.needs_profile and not fast.needs_profile
    assert {strong.model.lifecycle, fast.model.lifecycle} == {"active"}
    previous = [CATALOG.resolve(i) for i in CATALOG.generation_ids("previous")]
    assert [r.model.name for r in previous if r] == ["Claude Sonnet 4.5", "Claude Haiku 4.5"]
    embedding = CATALOG.resolve(settings.embeddings.bedrock_model_id)
    assert embedding is not None and embedding.model.kind == "embedding"


def test_what_the_migration_guides_say_is_refused_is_recorded() -> None:
    sonnet = CATALOG.get("claude-sonnet-5-5").accepts
    assert not sonnet.sampling and not sonnet.forced_tool_choice and not sonnet.prefill
    assert "disabled" not in sonnet.thinking and "enabled" not in sonnet.thinking
    assert sonnet.thinking_default == "adaptive" and sonnet.effort_default == "high"
    haiku = CATALOG.get("claude-haiku-5-5").accepts
    assert not haiku.sampling and "disabled" in haiku.thinking
    assert haiku.forced_tool_choice is None  # undocumented with thinking off: never relied on
    assert not haiku.forced_tool_choice_in("disabled") and not haiku.forced_tool_choice_in(None)
    assert haiku.effort_without_thinking == ("low", "medium", "high")
    previous = CATALOG.get("claude-sonnet-4-5").accepts
    assert previous.sampling and previous.sampling_one_of and previous.forced_tool_choice


def test_ids_resolve_as_bedrock_names_them() -> None:
    resolved = CATALOG.resolve("global.anthropic.claude-sonnet-5-5")
    assert resolved is not None and resolved.profile == "global" and not resolved.needs_profile
    base = CATALOG.resolve("anthropic.claude-sonnet-5-5")
    assert base is not None and base.needs_profile
    arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"
    assert CATALOG.resolve(arn) is not None
    profile_arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0"
    found = CATALOG.resolve(profile_arn)
    assert found is not None and (found.model.key, found.profile) == ("nova-pro", "eu")
    assert CATALOG.resolve("anthropic.claude-sonnet-9-9") is None
    assert CATALOG.resolve("arn:aws:bedrock:us-east-1:1:application-inference-profile/x") is None
    assert CATALOG.resolve("apac.anthropic.claude-sonnet-5-5") is None  # no such profile


def test_limits_profiles_and_sampling_agree_with_langchain_aws_profiles() -> None:
    compared = 0
    for model in CATALOG.models:
        for model_id in model.ids:
            profile = _PROFILES.get(model_id)
            if profile is None:
                continue
            compared += 1
            assert profile["max_output_tokens"] == model.max_output_tokens, model_id
            assert profile["max_input_tokens"] == model.context_window, model_id
            if model.lifecycle != "end_of_life" and "temperature" in profile:
                assert profile["temperature"] == model.accepts.sampling, model_id
    assert compared >= 40
    for key in ("claude-sonnet-5-5", "claude-haiku-5-5", "claude-sonnet-4-5", "nova-pro"):
        for model_id in CATALOG.get(key).ids:
            assert model_id in _PROFILES, model_id  # every profile we list exists there too


def test_lifecycle_dates_and_replacements() -> None:
    sonnet_4 = CATALOG.get("claude-sonnet-4")
    assert sonnet_4.state_on(dt.date(2026, 5, 1)) == "legacy"
    assert sonnet_4.state_on(dt.date(2026, 11, 25)) == "end_of_life"
    assert CATALOG.get(sonnet_4.replacement or "").name == "Claude Sonnet 5.5"
    previous = CATALOG.get("claude-sonnet-4-5")
    assert previous.provider_lifecycle is not None
    assert previous.provider_lifecycle.retires == dt.date(2026, 11, 30)
    assert previous.state_on(dt.date(2026, 11, 25)) == "active"  # Bedrock sets its own dates
    assert CATALOG.get("claude-haiku-5-5").eol_no_sooner_than == dt.date(2027, 10, 7)


def test_prices_charge_cache_tokens_at_their_rates_and_long_prompts_their_band() -> None:
    sonnet = CATALOG.get("claude-sonnet-5-5").price
    assert sonnet is not None
    assert sonnet.cost(1_000_000, 0) == pytest.approx(2.0)
    assert sonnet.cost(0, 0, cache_read=1_000_000) == pytest.approx(0.10)
    assert sonnet.cost(0, 0, cache_write=1_000_000) == pytest.approx(2.50)
    haiku = CATALOG.get("claude-haiku-5-5").price
    assert haiku is not None
    assert haiku.cost(100_000, 1_000) == pytest.approx((100_000 * 0.10 + 1_000 * 0.50) / 1e6)
    long = haiku.cost(60_000, 1_000, cache_read=50_000)  # a 110,000-token prompt
    assert long == pytest.approx((60_000 * 0.50 + 1_000 * 2.50 + 50_000 * 0.05) / 1e6)
    nova = CATALOG.get("nova-pro").price
    assert nova is not None and nova.cost(10, 10) is not None
    assert nova.cost(10, 10, cache_read=5) is None  # Nova's cache prices were not found


def test_a_catalog_citing_an_unknown_source_is_refused(tmp_path: Path) -> None:
    text = CATALOG_FILE.read_text().replace(
        'max_input_characters = ["titan-embed-v2"]', 'max_input_characters = ["made-up-page"]'
    )
    path = tmp_path / "catalog.toml"
    path.write_text(text)
    with pytest.raises(ModelCatalogError, match=r"titan-embed-text-v2.*made-up-page"):
        load_catalog(path)
