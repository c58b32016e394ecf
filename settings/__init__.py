"""Stratigos settings, in one place: `STRATIGOS_*` environment variables or a TOML settings file."""

from settings.config import Settings, get_settings

__all__ = ["Settings", "get_settings"]
