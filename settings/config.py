"""Settings read from `STRATIGOS_*` environment variables, then an optional TOML file, then defaults.

The settings file is `STRATIGOS_SETTINGS_FILE` if set, else `./stratigos.toml` if it exists.
Environment variables win over the file. `Settings` holds the data directory, market data, the
classification file, logging and the settings file itself, and one group per concern
(`settings.bedrock.region`, `settings.compute.sagemaker.bucket`, ...: settings.groups); every
setting keeps its own environment variable (`STRATIGOS_BEDROCK_REGION`,
`STRATIGOS_COMPUTE_SAGEMAKER_BUCKET`: settings.fields).
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from settings.fields import ENV_PREFIX, errors_naming_variables
from settings.files import private_directory, tighten_data_dir
from settings.groups.alpaca import AlpacaSettings
from settings.groups.api import ApiSettings
from settings.groups.bedrock import BedrockSettings
from settings.groups.compute import ComputeSettings
from settings.groups.datasets import DatasetSettings
from settings.groups.documents import DocumentSettings
from settings.groups.embeddings import EmbeddingSettings
from settings.groups.execution import ExecutionSettings
from settings.groups.jobs import JobSettings
from settings.groups.mcp import McpSettings
from settings.groups.models import ModelSettings
from settings.groups.notifications import NotificationSettings
from settings.groups.openai import OpenAISettings
from settings.groups.research import ResearchSettings
from settings.groups.store import DEVELOPMENT_PEPPER, StoreSettings
from settings.groups.tracing import TracingSettings
from settings.groups.trading_day import TradingDaySettings
from settings.sources import EnvironmentVariables, GivenArguments, SettingsFile

DEFAULT_SETTINGS_FILE = Path("stratigos.toml")


def _settings_file() -> Path | None:
    explicit = os.environ.get("STRATIGOS_SETTINGS_FILE")
    if explicit:
        return Path(explicit)
    return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None


class Settings(BaseSettings):
    """Process-wide configuration: a few settings of its own and a group per concern. Every
    setting is read from its `STRATIGOS_*` variable (`STRATIGOS_<FIELD>` for the root's own)."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)
    env_prefix: ClassVar[str] = ENV_PREFIX

    data_dir: Path = Field(
        default_factory=lambda: Path.home() / ".stratigos",
        description="Directory for the local store, caches and uploaded datasets.",
    )
    market_data: str | None = Field(
        default=None,
        description="Daily closing prices the optimizations, deployments and forward tests use: "
        "a CSV or Parquet file (dates in the first column, one column per symbol) at a local "
        "path or s3://bucket/key, read again whenever it changes; `alpaca` for Alpaca Market "
        "Data (daily bars adjusted for splits and dividends, kept current by the daily refresh "
        "job); `ingested` for the price files ingested into market_data_dir, each a new "
        "version; unset: the embedded S&P 500 data (ends 2022-12-28).",
    )
    market_data_symbols: list[str] = Field(
        default_factory=list,
        description="With a refresh from Alpaca: the symbols whose daily bars are kept, besides "
        "every deployment's universe (refreshed too); empty: the 20 embedded tickers.",
    )
    market_data_dir: str | None = Field(
        default=None,
        description="With market_data = alpaca or ingested: where its versions are kept, a "
        "directory or s3://bucket/prefix (read through market_data_s3_endpoint_url when set); "
        "unset: <data_dir>/market-data/<alpaca|ingested>.",
    )
    market_data_refresh: Literal["alpaca"] | None = Field(
        default=None,
        description="With market_data = ingested: where the daily refresh job pulls closes "
        "from, ingested like any price file (`alpaca`: Alpaca Market Data with the keys of "
        "alpaca.owner); unset: files only. With market_data = alpaca the refresh pulls from "
        "Alpaca whatever this says.",
    )
    market_data_incoming: str | None = Field(
        default=None,
        description="Where a refresh puts the closes it pulled, for another process to ingest "
        "(a deployed stack: s3://<market-data bucket>/incoming, whose events run the ingestion "
        "function, one file at a time); unset: the refresh ingests them itself.",
    )
    market_data_start: date = Field(
        default=date(2016, 1, 1),
        description="With a refresh from Alpaca: the first day of a symbol's history fetched.",
    )
    market_data_s3_endpoint_url: str | None = Field(
        default=None,
        description="Endpoint for an s3:// market_data or market_data_dir (e.g. a local moto "
        "server).",
    )
    classification_file: Path | None = Field(
        default=None,
        description="Your tickers' industries (e.g. your data vendor's): a CSV file with the "
        "columns ticker,name,sector,industry (GICS sector and sub-industry) whose rows add to, "
        "and for the same ticker replace, the shipped classification of the 20 embedded tickers; "
        "profile exclusions by sector or industry use it. Read again whenever it changes.",
    )
    environment: Literal["development", "production"] | None = Field(
        default=None,
        description="development: the built-in API key pepper is accepted and notification "
        "webhooks may call loopback addresses over http; production: the API key pepper must be "
        "set and webhooks reach public https hosts only. Unset: production when the store is on "
        "AWS or the server listens beyond loopback (`stratigos serve --host 0.0.0.0`), else "
        "development.",
    )
    chat_keep_warm_seconds: float = Field(
        default=900.0,
        ge=0,
        description="Seconds a warm process for `stratigos chat -m` waits for the next turn "
        "(started by the first one, in the background: later commands answer in about 0.3 s "
        "instead of 1.7 s); 0 runs every turn in its own process (docs/cli.md).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json` writes one JSON object per log record (CloudWatch)."
    )
    metrics: Literal["off", "emf"] = Field(
        default="off",
        description="`emf` writes the business metrics (optimizations, trials, orders, model "
        "tokens and cost, ...) to standard output as CloudWatch Embedded Metric Format lines "
        "(settings.metrics); `off` writes none.",
    )
    metrics_namespace: str = Field(
        default="Stratigos", description="The CloudWatch namespace of those metrics."
    )
    models: ModelSettings = Field(
        default_factory=ModelSettings, description="Where each agent role's chat model runs."
    )
    openai: OpenAISettings = Field(
        default_factory=OpenAISettings, description="The OpenAI-compatible model server."
    )
    bedrock: BedrockSettings = Field(
        default_factory=BedrockSettings, description="Amazon Bedrock's chat models."
    )
    embeddings: EmbeddingSettings = Field(
        default_factory=EmbeddingSettings, description="The research index's embeddings."
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="Persistence.")
    compute: ComputeSettings = Field(
        default_factory=ComputeSettings, description="Where sweep batches run."
    )
    jobs: JobSettings = Field(default_factory=JobSettings, description="Job orchestration.")
    api: ApiSettings = Field(default_factory=ApiSettings, description="The HTTP API.")
    datasets: DatasetSettings = Field(
        default_factory=DatasetSettings, description="Uploaded market-data datasets."
    )
    documents: DocumentSettings = Field(
        default_factory=DocumentSettings, description="The documents library."
    )
    research: ResearchSettings = Field(
        default_factory=ResearchSettings, description="The research index."
    )
    notifications: NotificationSettings = Field(
        default_factory=NotificationSettings, description="Notification channels."
    )
    execution: ExecutionSettings = Field(
        default_factory=ExecutionSettings, description="Sending orders to brokers."
    )
    alpaca: AlpacaSettings = Field(default_factory=AlpacaSettings, description="The Alpaca broker.")
    trading_day: TradingDaySettings = Field(
        default_factory=TradingDaySettings,
        description="After the close: analytics, tearsheets, snapshots, implied volatility.",
    )
    tracing: TracingSettings = Field(
        default_factory=TracingSettings, description="Where spans are exported."
    )
    mcp: McpSettings = Field(
        default_factory=McpSettings, description="The Model Context Protocol, both ways."
    )
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

    @model_validator(mode="wrap")
    @classmethod
    def _errors_name_variables(
        cls, data: Any, handler: ModelWrapValidatorHandler[Settings]
    ) -> Settings:
        try:
            return handler(data)
        except ValidationError as error:
            raise errors_naming_variables(cls, error) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order of precedence: constructor arguments, environment, settings file (each nested
        into the groups by settings.sources)."""
        sources: list[PydanticBaseSettingsSource] = [
            GivenArguments(settings_cls, init_settings),
            EnvironmentVariables(settings_cls),
        ]
        path = _settings_file()
        if path is not None:
            if not path.is_file():
                raise FileNotFoundError(f"STRATIGOS_SETTINGS_FILE points to a missing file: {path}")
            sources.append(SettingsFile(settings_cls, toml_file=path))
        return tuple(sources)

    @model_validator(mode="after")
    def _openai_consistent(self) -> Settings:
        uses_openai = "openai" in (self.models.provider, *self.models.providers.values())
        if uses_openai and not self.openai.base_url and self.openai.resolved_api_key() is None:
            raise ValueError(
                "model_provider openai needs STRATIGOS_OPENAI_BASE_URL (an OpenAI-compatible "
                "server, e.g. http://127.0.0.1:11434/v1) or, for api.openai.com, an API key "
                "(STRATIGOS_OPENAI_API_KEY or OPENAI_API_KEY)"
            )
        return self

    @model_validator(mode="after")
    def _pepper_outside_development(self) -> Settings:
        self._check_pepper()
        return self

    def _check_pepper(self) -> None:
        """`ValueError` naming the settings to set when outside development the API key pepper
        is the built-in one."""
        store = self.store
        if not store.api_key_checks:  # a process that never hashes an API key
            return
        built_in = store.api_key_pepper.get_secret_value() == DEVELOPMENT_PEPPER
        if not self.is_development() and built_in and not store.api_key_pepper_secret_id:
            raise ValueError(
                "set STRATIGOS_STORE_API_KEY_PEPPER (a long random secret, never changed) or "
                "STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID: the built-in pepper is for local "
                "development only (STRATIGOS_ENVIRONMENT=development, or a server listening "
                "on loopback)"
            )

    def is_development(self) -> bool:
        """True in local development: `environment`, or when unset a store other than AWS
        (a server listening beyond loopback has it set: `listening_on`)."""
        if self.environment is not None:
            return self.environment == "development"
        return self.store.backend != "aws"

    def listening_on(self, address: str) -> Settings:
        """These settings for a server listening on the IP `address`: with `environment`
        unset, a server other machines can reach (any address but a loopback one: ``0.0.0.0``,
        ``::``, a network's) is production, and refuses the built-in API key pepper
        (`ValueError` naming the settings to set). Only an explicit
        ``STRATIGOS_ENVIRONMENT=development`` keeps such a server in development."""
        if self.environment is not None or ipaddress.ip_address(address).is_loopback:
            return self
        public = self.model_copy(update={"environment": "production"})
        public._check_pepper()  # a copy is not validated again
        return public

    def resolved_embedding_provider(self) -> Literal["offline", "bedrock"]:
        """`embeddings.provider` with `auto` resolved: bedrock when every role's chat model is
        on Bedrock, else offline (OpenAI-compatible chat servers bring no Bedrock embeddings:
        set `embedding_provider = "bedrock"` to use Titan with them)."""
        if self.embeddings.provider != "auto":
            return self.embeddings.provider
        return "bedrock" if self.models.resolved_providers() == {"bedrock"} else "offline"

    @property
    def checkpoint_path(self) -> Path:
        """The SQLite file of the LangGraph checkpointer."""
        return self.data_dir / "checkpoints.sqlite"

    def resolved_research_index_uri(self) -> str:
        """`research.index_uri`, or the default for the store backend."""
        if self.research.index_uri:
            return self.research.index_uri
        if self.store.backend == "aws":
            return f"s3://{self.store.s3_bucket}/research-index"
        return str(self.data_dir / "research-index")

    def research_index_storage_options(self) -> dict[str, str]:
        """LanceDB's object-store options for an S3 index: the store's region and endpoint
        (credentials come from the environment or the function's role)."""
        if not self.resolved_research_index_uri().startswith("s3://"):
            return {}
        options = {"region": self.store.aws_region}
        endpoint = self.store.aws_endpoint_url
        if endpoint:
            options["endpoint"] = endpoint
            options["allow_http"] = str(endpoint.startswith("http:")).lower()
        return options

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed (owner-only: `settings.files`), tighten what
        older versions left readable by others in it (`tighten_data_dir`), and return it."""
        directory = private_directory(self.data_dir)
        tighten_data_dir(directory)
        return directory


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; `get_settings.cache_clear()` re-reads)."""
    path = _settings_file()
    return Settings(settings_file=path) if path is not None else Settings()
