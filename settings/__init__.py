"""Stratigos settings, in one place: `STRATIGOS_*` environment variables or a TOML settings file.

`Settings` is the root; each concern is a group of its own (`settings.store.backend`,
`settings.compute.sagemaker.bucket`), importable from here to build settings in code
(`Settings(store=StoreSettings(backend="aws"))`).
"""

from settings.config import Settings, get_settings
from settings.fields import (
    ENV_PREFIX,
    EnvironmentName,
    SettingField,
    SettingsGroup,
    setting_fields,
)
from settings.groups.alpaca import AlpacaSettings
from settings.groups.api import ApiSettings, CognitoSettings
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
from settings.groups.openai import OPENAI_DEFAULT_BASE_URL, OPENAI_PLACEHOLDER_KEY, OpenAISettings
from settings.groups.research import ResearchSettings
from settings.groups.store import StoreSettings
from settings.groups.tracing import LangSmithSettings, TracingSettings, XRaySettings
from settings.groups.trading_day import TradingDaySettings
from settings.owners import LOCAL_OWNER
from settings.sources import environment_values

__all__ = [
    "EMBEDDING_DIMENSION_CHOICES",
    "ENV_PREFIX",
    "LOCAL_OWNER",
    "OPENAI_DEFAULT_BASE_URL",
    "OPENAI_PLACEHOLDER_KEY",
    "AlpacaSettings",
    "ApiSettings",
    "BedrockSettings",
    "CognitoSettings",
    "ComputeSettings",
    "DatasetSettings",
    "DocumentSettings",
    "EmbeddingSettings",
    "EnvironmentName",
    "ExecutionSettings",
    "JobSettings",
    "LangSmithSettings",
    "ModelProvider",
    "ModelProviderSetting",
    "ModelSettings",
    "NotificationSettings",
    "OpenAISettings",
    "RaySettings",
    "ResearchSettings",
    "SageMakerSettings",
    "SesSettings",
    "SettingField",
    "Settings",
    "SettingsGroup",
    "SmtpSettings",
    "StoreSettings",
    "TracingSettings",
    "TradingDaySettings",
    "XRaySettings",
    "aws_credentials_configured",
    "environment_values",
    "get_settings",
    "setting_fields",
]
