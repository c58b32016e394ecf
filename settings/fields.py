"""The settings tree: groups of settings, and each setting's environment variable and file key.

`Settings` (settings.config) holds a few settings of its own and one `SettingsGroup` per concern
(`settings.bedrock`, `settings.compute.sagemaker`, ...). Every setting is read from one
`STRATIGOS_*` environment variable: `<env_prefix><FIELD>` of the model declaring it (the group's
`env_prefix`, e.g. `STRATIGOS_BEDROCK_` for `bedrock.region`), unless the field is annotated with
an `EnvironmentName` naming its variable itself. Its flat key in the settings file is that
variable without `STRATIGOS_`, lower case (`bedrock_region`). `setting_fields(Settings)` lists
them all; validation errors name the variable and the file key, not the attribute path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, reduce
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import InitErrorDetails

ENV_PREFIX = "STRATIGOS_"
"""The prefix of every setting's environment variable."""
_JSON_TYPES = (dict, list, set, frozenset, tuple)


@dataclass(frozen=True)
class EnvironmentName:
    """`Annotated` metadata of a setting whose variable is not `<env_prefix><FIELD>`: it is read
    from `name`, else from the first of `fallbacks` that is set."""

    name: str
    fallbacks: tuple[str, ...] = ()


class SettingsGroup(BaseModel):
    """A group of settings under `Settings` (or under another group): frozen, unknown keys
    refused, each field read from `<env_prefix><FIELD>` unless it names its `EnvironmentName`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    env_prefix: ClassVar[str]

    @model_validator(mode="wrap")
    @classmethod
    def _errors_name_variables(
        cls, data: Any, handler: ModelWrapValidatorHandler[SettingsGroup]
    ) -> SettingsGroup:
        try:
            return handler(data)
        except ValidationError as error:
            raise errors_naming_variables(cls, error) from None


@dataclass(frozen=True)
class SettingField:
    """One setting: where it is in the tree, the variable it is read from and its field."""

    path: tuple[str, ...]
    """Attribute names from the model listing it, e.g. `("compute", "sagemaker", "bucket")`."""
    env_name: str
    fallback_env_names: tuple[str, ...]
    """Variables read when `env_name` is unset (only `RAY_ADDRESS`, for the Ray address)."""
    field: FieldInfo

    @property
    def file_key(self) -> str:
        """Its flat key in the settings file: `env_name` without `STRATIGOS_`, lower case."""
        return self.env_name.removeprefix(ENV_PREFIX).lower()

    @property
    def file_keys(self) -> tuple[str, ...]:
        """Every flat key the settings file accepts for it: `file_key`, and its fallback
        variables' names (case is ignored)."""
        return (self.file_key, *(name.lower() for name in self.fallback_env_names))

    @property
    def label(self) -> str:
        """How errors name it: `STRATIGOS_BEDROCK_REGION (bedrock_region)`."""
        return f"{self.env_name} ({self.file_key})"

    @property
    def decodes_json(self) -> bool:
        """Whether its variable holds JSON (dicts and lists), as pydantic-settings decodes it."""
        annotation = self.field.annotation
        members = get_args(annotation) if _is_union(annotation) else (annotation,)
        return any((get_origin(member) or member) in _JSON_TYPES for member in members)

    def value(self, settings: BaseModel) -> Any:
        """Its value in `settings` (an instance of the model that lists it)."""
        return reduce(getattr, self.path, settings)


def group_class(field: FieldInfo) -> type[SettingsGroup] | None:
    """The group a field holds, or None for a setting."""
    annotation = field.annotation
    if isinstance(annotation, type) and issubclass(annotation, SettingsGroup):
        return annotation
    return None


@cache
def setting_fields(model: type[BaseModel]) -> tuple[SettingField, ...]:
    """Every setting of `model` (`Settings` or a group) and of its groups, in declaration order."""
    prefix = getattr(model, "env_prefix", ENV_PREFIX)
    found: list[SettingField] = []
    for name, field in model.model_fields.items():
        group = group_class(field)
        if group is not None:
            found += [
                SettingField((name, *s.path), s.env_name, s.fallback_env_names, s.field)
                for s in setting_fields(group)
            ]
            continue
        named = next((m for m in field.metadata if isinstance(m, EnvironmentName)), None)
        env_name = named.name if named else f"{prefix}{name.upper()}"
        fallbacks = named.fallbacks if named else ()
        found.append(SettingField((name,), env_name, fallbacks, field))
    return tuple(found)


def errors_naming_variables(model: type[BaseModel], error: ValidationError) -> ValidationError:
    """`error` with each error about one of `model`'s settings located at its label
    (`STRATIGOS_BEDROCK_REGION (bedrock_region)`) instead of its attribute path; errors a group
    already located keep their label without the group's name before it."""
    fields = setting_fields(model)
    own = {s.path[0]: s.label for s in fields if len(s.path) == 1}
    labels = {s.label for s in fields}
    details: list[InitErrorDetails] = []
    for line in error.errors():
        loc = line["loc"]
        if loc and isinstance(loc[0], str) and loc[0] in own:
            loc = (own[loc[0]], *loc[1:])
        elif len(loc) > 1 and loc[1] in labels:
            loc = loc[1:]
        detail = InitErrorDetails(type=line["type"], loc=loc, input=line["input"])
        if "ctx" in line:
            detail["ctx"] = line["ctx"]
        details.append(detail)
    return ValidationError.from_exception_data(error.title, details)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType)
