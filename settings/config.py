"""Settings read from `STRATIGOS_*` environment variables, then an optional TOML file, then defaults.

The settings file is `STRATIGOS_SETTINGS_FILE` if set, else `./stratigos.toml` if it exists.
Environment variables win over the file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SETTINGS_FILE = Path("stratigos.toml")
LOCAL_OWNER = "local"
"""The owner the command line acts as and `stratigos serve` signs in (the API authenticates
its other users)."""

ModelProvider = Literal["offline", "bedrock", "openai"]
"""Where an agent role's chat model runs."""
ModelProviderSetting = Literal["auto", "offline", "bedrock", "openai"]
"""A provider setting: a `ModelProvider`, or `auto` (bedrock with AWS credentials, else offline)."""
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""Where `openai` calls go when `openai_base_url` is unset."""
OPENAI_PLACEHOLDER_KEY = "not-needed"
"""The API key sent to a server that needs none (the openai client refuses an empty key)."""

EMBEDDING_DIMENSION_CHOICES = (256, 512, 1024)
"""Vector lengths `Settings.embedding_dimensions` accepts (Titan Text Embeddings V2's)."""


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
    market_data: str | None = Field(
        default=None,
        description="Daily closing prices deployments trade on: a CSV or Parquet file (dates in "
        "the first column, one column per symbol) at a local path or s3://bucket/key, read again "
        "whenever it changes; unset: the embedded S&P 500 data (ends 2022-12-28).",
    )
    market_data_s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint for an s3:// market_data (e.g. a local moto server)."
    )
    classification_file: Path | None = Field(
        default=None,
        description="Your tickers' industries (e.g. your data vendor's): a CSV file with the "
        "columns ticker,name,sector,industry (GICS sector and sub-industry) whose rows add to, "
        "and for the same ticker replace, the shipped classification of the 20 embedded tickers; "
        "profile exclusions by sector or industry use it. Read again whenever it changes.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json` writes one JSON object per log record (CloudWatch)."
    )
    # model providers (agents.models): keep these fields together
    model_provider: ModelProviderSetting = Field(
        default="auto",
        description="Chat models: `bedrock`, `openai` (any OpenAI-compatible server: vLLM, "
        "Ollama, llama.cpp, LM Studio, OpenAI), the deterministic `offline` rules engine, or "
        "`auto` (bedrock when AWS credentials are configured, else offline; never openai).",
    )
    model_providers: dict[str, ModelProviderSetting] = Field(
        default_factory=dict,
        description='Per-role providers overriding model_provider, e.g. {"explanation": "openai"}.',
    )
    openai_base_url: str | None = Field(
        default=None,
        description="Base URL of the OpenAI-compatible server, ending in /v1 (e.g. "
        "http://127.0.0.1:11434/v1 for Ollama); unset: OpenAI's https://api.openai.com/v1.",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        description="API key sent as a bearer token (never logged); unset: the OPENAI_API_KEY "
        "environment variable, else a placeholder (local servers need none).",
    )
    openai_strong_model: str = Field(
        default="gpt-4.1", description="Model for the optimizer and explanation agents."
    )
    openai_fast_model: str = Field(
        default="gpt-4.1-mini",
        description="Model for routing (supervisor), market analysis and the risk manager.",
    )
    openai_models: dict[str, str] = Field(
        default_factory=dict, description='Per-role overrides, e.g. {"explanation": "qwen3:8b"}.'
    )
    openai_timeout: float = Field(default=120.0, gt=0, description="Seconds per call.")
    openai_max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a failed call (429, 5xx, connection)."
    )
    openai_streaming: bool = Field(
        default=True, description="Stream replies (SSE) when the graph streams; false never does."
    )
    openai_max_tokens: int = Field(
        default=4096, ge=1, le=200_000, description="Most output tokens per model call."
    )
    openai_structured_output: Literal["function_calling", "json_schema"] = Field(
        default="function_calling",
        description="How agents ask for a decision: a forced tool call (non-strict; every server "
        "with tool calling) or response_format json_schema (strict structured output).",
    )
    bedrock_region: str = "us-east-1"
    bedrock_endpoint_url: str | None = Field(
        default=None, description="Override the Bedrock Runtime endpoint (e.g. a local one)."
    )
    bedrock_strong_model_id: str = Field(
        default="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        description="Model for the optimizer and explanation agents.",
    )
    bedrock_fast_model_id: str = Field(
        default="us.anthropic.claude-haiku-4-5-20251001-v1:0",
        description="Model for routing (supervisor), market analysis and the risk manager.",
    )
    bedrock_model_ids: dict[str, str] = Field(
        default_factory=dict, description='Per-role overrides, e.g. {"explanation": "..."}.'
    )
    bedrock_max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per Bedrock call, the first included."
    )
    bedrock_streaming: bool = Field(
        default=True,
        description="Use ConverseStream where langchain-aws streams the model family; false "
        "sends every call as plain Converse.",
    )
    bedrock_read_timeout: float = Field(default=120.0, gt=0, description="Seconds per call.")
    bedrock_max_tokens: int = Field(
        default=4096, ge=1, le=200_000, description="Most output tokens per model call."
    )
    bedrock_max_tokens_by_role: dict[str, int] = Field(
        default_factory=dict,
        description='Per-role output-token limits, e.g. {"explanation": 2048}.',
    )
    bedrock_guardrail_id: str | None = Field(
        default=None, description="A Bedrock guardrail applied to every call (id or ARN)."
    )
    bedrock_guardrail_version: str = Field(
        default="DRAFT", description="The guardrail's version (with bedrock_guardrail_id)."
    )
    bedrock_prompt_caching: bool = Field(
        default=False,
        description="Put a cachePoint after each agent's system prompt (models that support "
        "prompt caching read it from the cache on later calls).",
    )
    embedding_provider: Literal["auto", "offline", "bedrock"] = Field(
        default="auto",
        description="Text embeddings of the research index: `bedrock` (Titan Text Embeddings V2 "
        "through langchain-aws), the deterministic `offline` hashing embedder, or `auto` "
        "(bedrock when every agent role's chat model is on Bedrock, else offline: an "
        "OpenAI-compatible chat provider does not imply Bedrock embeddings).",
    )
    bedrock_embedding_model_id: str = Field(
        default="amazon.titan-embed-text-v2:0",
        description="The Bedrock embedding model (Titan Text Embeddings V2 or a provisioned "
        "throughput / profile ARN of it); called in bedrock_region through bedrock_endpoint_url.",
    )
    embedding_dimensions: int = Field(
        default=1024,
        description="Length of every embedding vector: 256, 512 or 1024 (Titan Text Embeddings "
        "V2's choices; the offline embedder takes the same).",
    )
    embedding_concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Bedrock embedding calls in flight at once (Titan V2 embeds one text per call).",
    )
    store_backend: Literal["sqlite", "aws"] = Field(
        default="sqlite", description="Persistence: the embedded SQLite file, or DynamoDB + S3."
    )
    store_sqlite_path: Path | None = Field(
        default=None, description="The SQLite store file (default <data_dir>/store.sqlite)."
    )
    store_aws_region: str = "us-east-1"
    store_aws_endpoint_url: str | None = Field(
        default=None, description="Another DynamoDB/S3 endpoint (e.g. a moto server)."
    )
    store_table_prefix: str = Field(
        default="stratigos-", description="DynamoDB tables <prefix>store, <prefix>checkpoints."
    )
    store_s3_bucket: str = "stratigos-data"
    store_max_attempts: int = Field(default=3, ge=1, le=10)
    store_connect_timeout: float = Field(default=5.0, gt=0, description="Seconds.")
    store_read_timeout: float = Field(default=30.0, gt=0, description="Seconds.")
    store_inline_limit_bytes: int = Field(
        default=100_000, ge=0, le=350_000, description="Larger results go to S3."
    )
    store_api_key_pepper: SecretStr = Field(
        default=SecretStr("stratigos-local-pepper"),
        description="Secret keyed into API key hashes: set it in production, never change it.",
    )
    store_api_key_pepper_secret_id: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the API key pepper (overrides "
        "store_api_key_pepper; read once at start-up).",
    )
    store_checkpoint_s3_bucket: str | None = Field(
        default=None,
        description="Bucket for checkpoints above 350 KB (default: store_s3_bucket).",
    )
    store_checkpoint_ttl_seconds: int | None = Field(default=None, gt=0)
    store_documents_s3_bucket: str | None = Field(
        default=None,
        description="Bucket for the documents library's originals (default: store_s3_bucket).",
    )
    compute_backend: Literal["local", "ray", "sagemaker"] = Field(
        default="local", description="local, ray or sagemaker."
    )
    compute_timeout_s: float | None = Field(
        default=None, gt=0, description="Seconds a `map` call may take (None: no limit)."
    )

    # local
    compute_workers: int | None = Field(
        default=None, ge=0, description="Worker processes (None: os.cpu_count(); 0: in-process)."
    )
    compute_threads_per_worker: int | None = Field(
        default=None, ge=1, description="numba/BLAS threads per worker (None: cores / workers)."
    )
    compute_start_method: Literal["forkserver", "spawn"] = "forkserver"

    # ray
    compute_ray_address: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "STRATIGOS_COMPUTE_RAY_ADDRESS", "RAY_ADDRESS", "compute_ray_address"
        ),
        description="Ray cluster to connect to (e.g. ray://head:10001); None starts a local one.",
    )
    compute_ray_num_cpus: int | None = Field(
        default=None, ge=1, description="CPUs of a local Ray cluster (None: all)."
    )
    compute_ray_max_retries: int = Field(
        default=0, ge=0, description="Ray retries of a task whose worker died."
    )

    # sagemaker
    compute_sagemaker_bucket: str | None = None
    compute_sagemaker_prefix: str = "stratigos/compute"
    compute_sagemaker_role_arn: str | None = None
    compute_sagemaker_image_uri: str | None = None
    compute_sagemaker_job_name_prefix: str = Field(
        default="stratigos-batch",
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,39}$",
        description="Processing job names start with this (IAM policies match on it).",
    )
    compute_sagemaker_instance_type: str = "ml.m5.xlarge"
    compute_sagemaker_instance_count: int = Field(default=1, ge=1)
    compute_sagemaker_volume_gb: int = Field(default=30, ge=1)
    compute_sagemaker_max_runtime_s: int = Field(default=3600, ge=1)
    compute_sagemaker_poll_s: float = Field(default=5.0, gt=0)
    compute_sagemaker_max_poll_s: float = Field(default=60.0, gt=0)
    compute_sagemaker_max_attempts: int = Field(
        default=3, ge=1, description="botocore attempts per call."
    )
    compute_aws_region: str | None = None
    compute_aws_endpoint_url: str | None = Field(
        default=None, description="Endpoint for S3 and SageMaker (e.g. a local moto server)."
    )
    # job orchestration (jobs/)
    jobs_queue_url: str | None = Field(
        default=None,
        description="SQS queue the API announces new jobs on (the AWS worker function "
        "consumes it); unset: workers find pending jobs in the store.",
    )
    jobs_handlers: list[str] = Field(
        default_factory=lambda: ["graphs.job_handlers", "trading.execution_jobs"],
        description="Modules registering job handlers, imported by the AWS worker function.",
    )
    jobs_ticks: list[str] = Field(
        default_factory=lambda: ["fire_due_schedules"],
        description="Job kinds a local worker starts once a minute (when it has their handlers): "
        "firing due schedules (and each session's daily summary); on AWS, EventBridge "
        "Scheduler's ticks start them.",
    )
    # HTTP API (api/)
    api_cognito_issuer: str | None = Field(
        default=None,
        description="Accept Cognito JWT bearer tokens from this user pool issuer, e.g. "
        "https://cognito-idp.<region>.amazonaws.com/<pool id>; unset accepts API keys only.",
    )
    api_cognito_audience: str | None = Field(
        default=None, description="The app client id tokens must be issued for (aud/client_id)."
    )
    api_cognito_jwks_url: str | None = Field(
        default=None, description="JWKS address (default: <issuer>/.well-known/jwks.json)."
    )
    api_cognito_required_group: str | None = Field(
        default=None, description="Accept only tokens of users in this Cognito group."
    )
    api_jwks_cache_seconds: float = Field(default=3600.0, gt=0, description="Seconds.")
    api_max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request body, bytes."
    )
    api_max_upload_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest dataset upload, bytes."
    )
    documents_max_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest document in the library, bytes."
    )
    documents_max_pages: int = Field(
        default=500, ge=1, description="Most pages of a PDF in the documents library."
    )
    research_index_uri: str | None = Field(
        default=None,
        description="Where the research index (LanceDB) lives: a directory or s3://bucket/prefix "
        "(default <data_dir>/research-index with the SQLite store, "
        "s3://<store_s3_bucket>/research-index with the AWS store).",
    )
    api_rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Sustained requests per minute per caller."
    )
    api_rate_limit_burst: int = Field(
        default=120, ge=1, description="Requests a caller may send at once before throttling."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API from their pages (CORS), e.g. "
        '["http://localhost:3000"] for agent-chat-ui, or ["*"]; empty: no CORS headers (only '
        "same-origin pages, such as the web UI, and non-browser clients).",
    )
    api_job_workers: int = Field(
        default=1,
        ge=0,
        description="Job worker threads inside the API process (0: workers run elsewhere, "
        "e.g. `python -m jobs.worker --handlers graphs.job_handlers`).",
    )
    # notifications (notifications/)
    notifications_email_transport: Literal["smtp", "ses"] = Field(
        default="smtp", description="How email notifications leave: an SMTP server, or Amazon SES."
    )
    notifications_email_from: str = Field(
        default="stratigos@localhost", description="The From address of notification emails."
    )
    notifications_smtp_host: str = "localhost"
    notifications_smtp_port: int = Field(default=25, ge=1, le=65535)
    notifications_smtp_user: str | None = Field(
        default=None, description="Log in with this user (and the password) when set."
    )
    notifications_smtp_password: SecretStr | None = None
    notifications_smtp_starttls: bool = Field(
        default=False, description="Upgrade the connection with STARTTLS before logging in."
    )
    notifications_ses_region: str = "us-east-1"
    notifications_ses_endpoint_url: str | None = Field(
        default=None, description="Another SES endpoint (e.g. a moto server)."
    )
    notifications_timeout: float = Field(
        default=10.0, gt=0, description="Seconds per SMTP, SES or webhook call."
    )
    notifications_max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Attempts per channel on transient errors, the first included.",
    )
    notifications_retry_delay: float = Field(
        default=1.0, ge=0, description="Seconds before the first retry; doubles on each retry."
    )
    # execution queue (trading.execution_queue)
    execution_max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Attempts to send an order to an unreachable broker before it is "
        "dead-lettered.",
    )
    execution_retry_seconds: float = Field(
        default=1.0, ge=0, description="Seconds before the first resend; doubles on each retry."
    )
    hedge_limit_tolerance: float = Field(
        default=0.10,
        ge=0,
        le=1,
        description="Alpaca hedge orders that open a position are day limit orders at the model "
        "price plus (buys) or minus (sells) this fraction of it (trading.hedge_brokers).",
    )
    # Alpaca broker (execution.brokers.alpaca)
    alpaca_key_id: SecretStr | None = Field(
        default=None, description="Alpaca API key id (APCA-API-KEY-ID)."
    )
    alpaca_secret_key: SecretStr | None = Field(
        default=None, description="Alpaca API secret key (APCA-API-SECRET-KEY)."
    )
    alpaca_secret_arn: str | None = Field(
        default=None,
        description='Secrets Manager secret (ARN or name) holding {"key_id": ..., "secret_key": '
        "...}; overrides alpaca_key_id and alpaca_secret_key (read when the broker is opened). "
        "With the placeholder {owner}, each owner has their own secret (alpaca_owner unused).",
    )
    alpaca_owner: str = Field(
        default=LOCAL_OWNER,
        description="The owner whose account alpaca_key_id/alpaca_secret_key (or an "
        "alpaca_secret_arn without {owner}) configure; no other owner may trade it.",
    )
    alpaca_paper: bool = Field(
        default=True,
        description="Trade on Alpaca's paper endpoint; false trades real money on the live one.",
    )
    alpaca_base_url: str | None = Field(
        default=None,
        description="Another trading API base URL, without /v2 (e.g. the local stand-in "
        "devtools.local_alpaca); overrides alpaca_paper's choice of endpoint.",
    )
    # ---- tracing (docs/tracing.md) ----
    tracing: Literal["off", "otlp", "xray", "langsmith"] = Field(
        default="off",
        description="Spans for runs, graph nodes, agent turns, model and tool calls: `otlp` to "
        "an OTLP/HTTP collector, `xray` to AWS X-Ray's OTLP endpoint (SigV4-signed), "
        "`langsmith` runs to LangSmith, `off` nothing (no tracer provider installed).",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL including /v1/traces (e.g. "
        "http://localhost:4318/v1/traces); unset: the OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or "
        "OTEL_EXPORTER_OTLP_ENDPOINT environment variables the OpenTelemetry SDK reads.",
    )
    otel_service_name: str = Field(
        default="stratigos", description="The `service.name` resource attribute of every span."
    )
    trace_content: bool = Field(
        default=False,
        description="Put prompts, completions, tool arguments and tool results in spans "
        "(off: only names, models, token counts, finish reasons and ids).",
    )
    xray_region: str | None = Field(
        default=None,
        description="Region of the X-Ray OTLP endpoint for tracing=xray; unset: AWS_REGION.",
    )
    xray_endpoint_url: str | None = Field(
        default=None, description="Override the X-Ray OTLP traces URL (e.g. a local receiver)."
    )
    langsmith_project: str = Field(
        default="stratigos", description="LangSmith project the runs go to (tracing=langsmith)."
    )
    langsmith_endpoint: str = Field(
        default="https://api.smith.langchain.com", description="LangSmith API base URL."
    )
    langsmith_api_key: SecretStr | None = Field(
        default=None, description="LangSmith API key (tracing=langsmith); never logged."
    )
    settings_file: Path | None = Field(
        default=None, description="The TOML file these settings were read from, if any."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("embedding_dimensions", mode="after")
    @classmethod
    def _embedding_dimensions(cls, value: int) -> int:
        if value not in EMBEDDING_DIMENSION_CHOICES:
            choices = ", ".join(map(str, EMBEDDING_DIMENSION_CHOICES))
            raise ValueError(f"embedding_dimensions must be one of {choices}, got {value}")
        return value

    @field_validator("api_cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            is_origin = (
                parts.scheme in ("http", "https")
                and parts.netloc
                and not (parts.path or parts.query or parts.fragment)
            )
            if origin != "*" and not is_origin:
                raise ValueError(
                    f"api_cors_origins: {origin!r} is not an origin: scheme://host[:port] "
                    "(no path, no trailing slash), or *"
                )
        return value

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

    @model_validator(mode="after")
    def _openai_consistent(self) -> Settings:
        uses_openai = self.model_provider == "openai" or "openai" in self.model_providers.values()
        if uses_openai and not self.openai_base_url and self.resolved_openai_api_key() is None:
            raise ValueError(
                "model_provider openai needs STRATIGOS_OPENAI_BASE_URL (an OpenAI-compatible "
                "server, e.g. http://127.0.0.1:11434/v1) or, for api.openai.com, an API key "
                "(STRATIGOS_OPENAI_API_KEY or OPENAI_API_KEY)"
            )
        if self.openai_base_url and not self.openai_base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"openai_base_url must start with http:// or https://, got {self.openai_base_url!r}"
            )
        return self

    def resolved_model_provider(self, role: str | None = None) -> ModelProvider:
        """The chat-model provider of agent `role` (its `model_providers` entry, else
        `model_provider`; without a role: `model_provider`), with `auto` resolved: bedrock only
        when AWS credentials are configured, else offline."""
        setting = (
            self.model_providers.get(role, self.model_provider) if role else self.model_provider
        )
        return _resolve_provider(setting)

    def resolved_openai_api_key(self) -> SecretStr | None:
        """`openai_api_key`, else the OPENAI_API_KEY environment variable, else None."""
        if self.openai_api_key is not None and self.openai_api_key.get_secret_value():
            return self.openai_api_key
        key = os.environ.get("OPENAI_API_KEY")
        return SecretStr(key) if key else None

    def resolved_embedding_provider(self) -> Literal["offline", "bedrock"]:
        """`embedding_provider` with `auto` resolved: bedrock when every role's chat model is
        on Bedrock, else offline (OpenAI-compatible chat servers bring no Bedrock embeddings:
        set `embedding_provider = "bedrock"` to use Titan with them)."""
        if self.embedding_provider != "auto":
            return self.embedding_provider
        settings = {self.model_provider, *self.model_providers.values()}
        providers = {_resolve_provider(setting) for setting in settings}
        return "bedrock" if providers == {"bedrock"} else "offline"

    @property
    def checkpoint_path(self) -> Path:
        """The SQLite file of the LangGraph checkpointer."""
        return self.data_dir / "checkpoints.sqlite"

    def resolved_research_index_uri(self) -> str:
        """`research_index_uri`, or the default for the store backend."""
        if self.research_index_uri:
            return self.research_index_uri
        if self.store_backend == "aws":
            return f"s3://{self.store_s3_bucket}/research-index"
        return str(self.data_dir / "research-index")

    def research_index_storage_options(self) -> dict[str, str]:
        """LanceDB's object-store options for an S3 index: the store's region and endpoint
        (credentials come from the environment or the function's role)."""
        if not self.resolved_research_index_uri().startswith("s3://"):
            return {}
        options = {"region": self.store_aws_region}
        if self.store_aws_endpoint_url:
            options["endpoint"] = self.store_aws_endpoint_url
            options["allow_http"] = str(self.store_aws_endpoint_url.startswith("http:")).lower()
        return options

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def _resolve_provider(setting: ModelProviderSetting) -> ModelProvider:
    if setting != "auto":
        return setting
    return "bedrock" if aws_credentials_configured() else "offline"


def aws_credentials_configured() -> bool:
    """True when AWS credentials are configured in the environment or the shared files.

    Looks at the environment variables and ~/.aws files only (never the instance metadata
    service, whose lookup blocks for seconds on a machine without one).
    """
    env = os.environ
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return True
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        return True
    credentials = Path(env.get("AWS_SHARED_CREDENTIALS_FILE", Path.home() / ".aws/credentials"))
    if credentials.is_file():
        return True
    config = Path(env.get("AWS_CONFIG_FILE", Path.home() / ".aws/config"))
    return bool(env.get("AWS_PROFILE")) and config.is_file()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once; `get_settings.cache_clear()` re-reads)."""
    path = _settings_file()
    return Settings(settings_file=path) if path is not None else Settings()
