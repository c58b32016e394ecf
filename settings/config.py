"""Settings read from `STRATIGOS_*` environment variables, then an optional TOML file, then defaults.

The settings file is `STRATIGOS_SETTINGS_FILE` if set, else `./stratigos.toml` if it exists.
Environment variables win over the file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SETTINGS_FILE = Path("stratigos.toml")


def _settings_file() -> Path | None:
    explicit = os.environ.get("STRATIGOS_SETTINGS_FILE")
    if explicit:
        return Path(explicit)
    return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None


class Settings(BaseSettings):
    """Process-wide configuration. Every field can be set as `STRATIGOS_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="STRATIGOS_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".stratigos",
        description="Directory for the local store, caches and uploaded datasets.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    settings_file: Path | None = Field(
        default=None, description="The TOML file these settings were read from, if any."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: constructor arguments, environment, settings file."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _settings_file()
        if path is not None:
            if not path.is_file():
                raise FileNotFoundError(f"STRATIGOS_SETTINGS_FILE points to a missing file: {path}")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; `get_settings.cache_clear()` re-reads)."""
    path = _settings_file()
    return Settings(settings_file=path) if path is not None else Settings()
