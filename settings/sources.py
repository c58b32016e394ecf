"""Where settings come from, each value nested into its group: constructor arguments, then
`STRATIGOS_*` environment variables, then the TOML settings file.

The settings file takes each setting by its flat key (`bedrock_region = "eu-west-1"`, the
variable's name without `STRATIGOS_`, in any case) or inside its group's table
(`[bedrock]` `region = "eu-west-1"`; `[compute.sagemaker]` `bucket = "..."`); a setting given both
ways is refused, and so is any key that is neither.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsError,
    TomlConfigSettingsSource,
)

from settings.fields import SettingField, SettingsGroup, group_class, setting_fields


class GivenArguments(PydanticBaseSettingsSource):
    """The constructor's arguments, a group given as a model counting only with the fields it
    was given: `Settings(store=StoreSettings(backend="aws"))` still reads the other
    `STRATIGOS_STORE_*` variables and the settings file."""

    def __init__(self, settings_cls: type[BaseSettings], arguments: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._arguments = arguments

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` returns the arguments whole."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: _given(value) for name, value in self._arguments().items()}


class EnvironmentVariables(PydanticBaseSettingsSource):
    """Each setting from its `STRATIGOS_*` variable (see `environment_values`)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads every setting at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return environment_values(self.settings_cls, os.environ)


class SettingsFile(TomlConfigSettingsSource):
    """The TOML settings file, flat keys and group tables alike (see `file_values`)."""

    def __call__(self) -> dict[str, Any]:
        return file_values(self.settings_cls, super().__call__())


def environment_values(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, Any]:
    """The values of `model`'s settings set in `environ`, nested by group: each from its variable
    (names compared in any case), else its first fallback variable set; dicts and lists decoded
    from JSON (`SettingsError` naming the variable when it is not JSON)."""
    variables = {name.lower(): value for name, value in environ.items()}
    values: dict[str, Any] = {}
    for setting in setting_fields(model):
        names = (setting.env_name, *setting.fallback_env_names)
        raw = next((variables[n.lower()] for n in names if n.lower() in variables), None)
        if raw is not None:
            _place(values, setting.path, _decoded(setting, raw), setting.label)
    return values


def file_values(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings file's `data` nested by group: flat keys moved to their group, group tables
    and `model`'s own settings kept, unknown keys kept for validation to refuse."""
    settings_by_key = {key: s for s in setting_fields(model) for key in s.file_keys}
    values: dict[str, Any] = {}
    for key, value in data.items():
        field = model.model_fields.get(key)
        setting = settings_by_key.get(key.lower())
        is_table = field is not None and group_class(field) is not None and isinstance(value, dict)
        if setting is None or is_table:
            _place(values, (key,), value, key)
        else:
            _place(values, setting.path, value, setting.label)
    return values


def _given(value: Any) -> Any:
    if isinstance(value, SettingsGroup):
        return {name: _given(getattr(value, name)) for name in value.model_fields_set}
    return value


def _decoded(setting: SettingField, raw: str) -> Any:
    if not setting.decodes_json:
        return raw
    try:
        return json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"{setting.env_name} is not valid JSON: {error}") from error


def _place(values: dict[str, Any], path: Sequence[str], value: Any, label: str) -> None:
    """Put `value` at `path` in `values`, merging tables; a setting placed twice is refused."""
    *groups, name = path
    target = values
    for group in groups:
        target = target.setdefault(group, {})
        if not isinstance(target, dict):
            raise SettingsError(f"the settings file sets {label} twice")
    if name not in target:
        target[name] = value
    elif isinstance(target[name], dict) and isinstance(value, dict):
        for key, item in value.items():
            _place(target[name], (key,), item, f"{label}.{key}")
    else:
        raise SettingsError(f"the settings file sets {label} twice")
