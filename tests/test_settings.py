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
