"""The model factory: offline without credentials, Bedrock configuration built without a call."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_aws import ChatBedrockConverse

from agents.models import chat_model, model_id_for, model_ids
from agents.offline import OfflineChatModel
from agents.roles import model_tier
from prompts.roles import AGENT_ROLES
from settings import ModelSettings, Settings
from tests.support.settings import merged

STRONG = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"  # the previous generation
FAST = "eu.anthropic.claude-haiku-5-5"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "missing-config"))


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, no_aws: None) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")


def _bedrock_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "models": {"provider": "bedrock"},
        "bedrock": {
            "region": "eu-central-1",
            "strong_model_id": STRONG,
            "fast_model_id": FAST,
            "max_attempts": 2,
            "read_timeout": 45.0,
        },
    }
    return Settings(**merged(values, overrides))


def test_offline_by_default_without_credentials(no_aws: None) -> None:
    settings = Settings(models=ModelSettings(provider="auto"))
    for role in AGENT_ROLES:
        model = chat_model(role, settings)
        assert isinstance(model, OfflineChatModel) and model.role == role
    assert model_ids(settings)["optimizer"] == "offline-optimizer"


def test_auto_picks_bedrock_with_credentials(fake_aws: None) -> None:
    model = chat_model("supervisor", _bedrock_settings(models={"provider": "auto"}))
    assert isinstance(model, ChatBedrockConverse)


def test_explicit_offline_wins_over_credentials(fake_aws: None) -> None:
    assert isinstance(
        chat_model("optimizer", Settings(models=ModelSettings(provider="offline"))),
        OfflineChatModel,
    )


def test_roles_map_to_strong_and_fast_models() -> None:
    assert {r for r in AGENT_ROLES if model_tier(r) == "strong"} == {"optimizer", "explanation"}
    settings = _bedrock_settings(bedrock={"model_ids": {"risk_manager": "test.override-v2:0"}})
    assert model_id_for("optimizer", settings) == STRONG
    assert model_id_for("explanation", settings) == STRONG
    assert model_id_for("supervisor", settings) == FAST
    assert model_id_for("market_analysis", settings) == FAST
    assert model_id_for("risk_manager", settings) == "test.override-v2:0"


def test_bedrock_model_configuration(fake_aws: None) -> None:
    settings = _bedrock_settings(bedrock={"endpoint_url": "http://127.0.0.1:8999"})
    model = chat_model("explanation", settings)
    assert isinstance(model, ChatBedrockConverse)
    assert model.model_id == STRONG
    assert model.region_name == "eu-central-1"
    assert model.temperature == 0
    assert model.endpoint_url == "http://127.0.0.1:8999"
    client = model.client
    assert client.meta.endpoint_url == "http://127.0.0.1:8999"
    assert client.meta.region_name == "eu-central-1"
    # the setting counts attempts, the first included (botocore's `total_max_attempts`)
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 2}
    assert client.meta.config.read_timeout == 45.0
    assert model.bedrock_client.meta.endpoint_url == "http://127.0.0.1:8999"


def test_bedrock_without_endpoint_uses_the_regional_host(fake_aws: None) -> None:
    model = chat_model("supervisor", _bedrock_settings())
    assert isinstance(model, ChatBedrockConverse)
    assert model.model_id == FAST
    assert model.client.meta.endpoint_url == "https://bedrock-runtime.eu-central-1.amazonaws.com"


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown agent role 'trader'"):
        chat_model("trader", Settings(models=ModelSettings(provider="offline")))  # type: ignore[arg-type]


FRESH_PROCESS_CHECK = """
import sys
from agents.models import chat_model
from settings import ModelSettings, Settings
assert 'agents.offline' not in sys.modules, 'the factory loaded the offline model on import'
model = chat_model('optimizer', Settings(models=ModelSettings(provider='offline')))
from agents.offline import default_policy, get_policy
from prompts.roles import AGENT_ROLES
print(sorted(role for role in AGENT_ROLES if get_policy(role) is not default_policy))
"""


def test_the_factory_alone_gives_the_offline_model_its_built_in_rules() -> None:
    """In a new interpreter that imports nothing but the factory (as a production process
    does), the offline model answers with its rules for every agent role, never with the
    generic default policy; the factory loads the offline model only when asked for it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_CHECK],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr(sorted(AGENT_ROLES))
