"""Stratigos settings, in one place: `STRATIGOS_*` environment variables or a TOML settings file.

`Settings` is the root; each concern is a group of its own (`settings.store.backend`,
`settings.compute.sagemaker.bucket`), importable from here to build settings in code
(`Settings(store=StoreSettings(backend="aws"))`).

Names are imported on first use (as in `quant`): `from settings.owners import LOCAL_OWNER` or
`settings.LOCAL_OWNER` loads no pydantic-settings, so the command line's parser stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "settings.config": (
        "Settings",
        "get_settings",
    ),
    "settings.fields": (
        "ENV_PREFIX",
        "EnvironmentName",
        "SettingField",
        "SettingsGroup",
        "setting_fields",
    ),
    "settings.groups.alpaca": ("AlpacaSettings",),
    "settings.groups.api": (
        "ApiSettings",
        "CognitoSettings",
        "EstimatesEndpointSettings",
    ),
    "settings.groups.bedrock": ("BedrockSettings",),
    "settings.groups.compute": (
        "ComputeSettings",
        "RaySettings",
        "SageMakerSettings",
    ),
    "settings.groups.datasets": ("DatasetSettings",),
    "settings.groups.documents": ("DocumentSettings",),
    "settings.groups.embeddings": (
        "EMBEDDING_DIMENSION_CHOICES",
        "EmbeddingSettings",
    ),
    "settings.groups.execution": ("ExecutionSettings",),
    "settings.groups.jobs": ("JobSettings",),
    "settings.groups.models": (
        "ModelProvider",
        "ModelProviderSetting",
        "ModelSettings",
        "aws_credentials_configured",
    ),
    "settings.groups.notifications": (
        "NotificationSettings",
        "SesSettings",
        "SmtpSettings",
    ),
    "settings.groups.openai": (
        "OPENAI_DEFAULT_BASE_URL",
        "OPENAI_PLACEHOLDER_KEY",
        "OpenAISettings",
    ),
    "settings.groups.research": ("ResearchSettings",),
    "settings.groups.store": ("StoreSettings",),
    "settings.groups.tracing": (
        "LangSmithSettings",
        "TracingSettings",
        "XRaySettings",
    ),
    "settings.groups.trading_day": ("TradingDaySettings",),
    "settings.owners": ("LOCAL_OWNER",),
    "settings.sources": ("environment_values",),
}

__all__ = exported_names(_EXPORTS)


__getattr__, __dir__ = lazy_exports("settings", _EXPORTS, globals())


if TYPE_CHECKING:
    from settings.config import Settings, get_settings
    from settings.fields import (
        ENV_PREFIX,
        EnvironmentName,
        SettingField,
        SettingsGroup,
        setting_fields,
    )
    from settings.groups.alpaca import AlpacaSettings
    from settings.groups.api import ApiSettings, CognitoSettings, EstimatesEndpointSettings
    from settings.groups.bedrock import BedrockSettings
    from settings.groups.compute import ComputeSettings, RaySettings, SageMakerSettings
    from settings.groups.datasets import DatasetSettings
    from settings.groups.documents import DocumentSettings
    from settings.groups.embeddings import EMBEDDING_DIMENSION_CHOICES, EmbeddingSettings
    from settings.groups.execution import ExecutionSettings
    from settings.groups.jobs import JobSettings
    from settings.groups.models import (
        ModelProvider,
        ModelProviderSetting,
        ModelSettings,
        aws_credentials_configured,
    )
    from settings.groups.notifications import NotificationSettings, SesSettings, SmtpSettings
    from settings.groups.openai import (
        OPENAI_DEFAULT_BASE_URL,
        OPENAI_PLACEHOLDER_KEY,
        OpenAISettings,
    )
    from settings.groups.research import ResearchSettings
    from settings.groups.store import StoreSettings
    from settings.groups.tracing import LangSmithSettings, TracingSettings, XRaySettings
    from settings.groups.trading_day import TradingDaySettings
    from settings.owners import LOCAL_OWNER
    from settings.sources import environment_values
