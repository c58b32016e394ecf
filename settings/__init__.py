"""Stratigos settings, in one place: `STRATIGOS_*` environment variables or a TOML settings file."""

from settings.config import LOCAL_OWNER, Settings, get_settings

__all__ = ["LOCAL_OWNER", "Settings", "get_settings"]
