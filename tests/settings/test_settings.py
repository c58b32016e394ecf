"""Settings: defaults, environment variables and the TOML settings file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("STRATIGOS_DATA_DIR", "STRATIGOS_LOG_LEVEL", "STRATIGOS_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()


def test_defaults_put_data_under_the_home_directory() -> None:
    settings = Settings()
    assert settings.data_dir == Path.home() / ".stratigos"
    assert settings.log_level == "INFO"


def test_environment_variables_override_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STRATIGOS_LOG_LEVEL", "debug")
    settings = get_settings()
    assert settings.data_dir == tmp_path / "data"
    assert settings.log_level == "DEBUG"
    assert settings.ensure_data_dir().is_dir()


def test_settings_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "stratigos.toml").write_text('data_dir = "/srv/stratigos"\nlog_level = "WARNING"\n')
    settings = get_settings()
    assert settings.data_dir == Path("/srv/stratigos")
    assert settings.log_level == "WARNING"
    assert settings.settings_file == Path("stratigos.toml")
    monkeypatch.setenv("STRATIGOS_LOG_LEVEL", "ERROR")
    get_settings.cache_clear()
    assert get_settings().log_level == "ERROR"


def test_explicit_settings_file_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRATIGOS_SETTINGS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(FileNotFoundError, match=r"missing\.toml"):
        get_settings()


def test_unknown_and_invalid_settings_are_refused(tmp_path: Path) -> None:
    (tmp_path / "stratigos.toml").write_text('colour = "blue"\n')
    with pytest.raises(ValidationError, match="colour"):
        get_settings()
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="LOUD")


def test_model_provider_auto_resolves_to_offline_without_aws_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert Settings().resolved_model_provider() == "offline"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    assert Settings().resolved_model_provider() == "bedrock"
    assert Settings(model_provider="offline").resolved_model_provider() == "offline"


def test_bedrock_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_BEDROCK_REGION", "eu-west-1")
    monkeypatch.setenv("STRATIGOS_BEDROCK_MODEL_IDS", '{"explanation": "amazon.nova-pro-v1:0"}')
    settings = Settings()
    assert settings.bedrock_region == "eu-west-1"
    assert settings.bedrock_model_ids == {"explanation": "amazon.nova-pro-v1:0"}
    assert settings.checkpoint_path == settings.data_dir / "checkpoints.sqlite"


def test_the_classification_file_is_unset_by_default_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STRATIGOS_CLASSIFICATION_FILE", raising=False)
    assert Settings().classification_file is None
    monkeypatch.setenv("STRATIGOS_CLASSIFICATION_FILE", str(tmp_path / "vendor.csv"))
    assert Settings().classification_file == tmp_path / "vendor.csv"
