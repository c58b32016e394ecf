"""Where spans go: OTLP, AWS X-Ray or LangSmith (`STRATIGOS_TRACING`, `STRATIGOS_OTLP_ENDPOINT`,
`STRATIGOS_XRAY_*`, `STRATIGOS_LANGSMITH_*`, ...; docs/tracing.md)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr

from settings.fields import ENV_PREFIX, EnvironmentName, SettingsGroup


class XRaySettings(SettingsGroup):
    """AWS X-Ray's OTLP endpoint, for `tracing = "xray"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_XRAY_"

    region: str | None = Field(
        default=None,
        description="Region of the X-Ray OTLP endpoint for tracing=xray; unset: AWS_REGION.",
    )
    endpoint_url: str | None = Field(
        default=None, description="Override the X-Ray OTLP traces URL (e.g. a local receiver)."
    )


class LangSmithSettings(SettingsGroup):
    """LangSmith, for `tracing = "langsmith"`."""

    env_prefix: ClassVar[str] = "STRATIGOS_LANGSMITH_"

    project: str = Field(
        default="stratigos", description="LangSmith project the runs go to (tracing=langsmith)."
    )
    endpoint: str = Field(
        default="https://api.smith.langchain.com", description="LangSmith API base URL."
    )
    api_key: SecretStr | None = Field(
        default=None, description="LangSmith API key (tracing=langsmith); never logged."
    )


class TracingSettings(SettingsGroup):
    """Which spans are exported where (settings.tracing). Its variables predate the group and
    keep their names: `STRATIGOS_TRACING`, `STRATIGOS_OTLP_ENDPOINT`,
    `STRATIGOS_OTEL_SERVICE_NAME`, `STRATIGOS_TRACE_CONTENT`."""

    env_prefix: ClassVar[str] = ENV_PREFIX

    exporter: Annotated[
        Literal["off", "otlp", "xray", "langsmith"], EnvironmentName("STRATIGOS_TRACING")
    ] = Field(
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
    otlp_metrics_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP metrics URL for the GenAI metrics (gen_ai.client.token.usage, "
        "gen_ai.client.operation.duration) with tracing=otlp; unset: otlp_endpoint with "
        "/v1/traces replaced by /v1/metrics, else the OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or "
        "OTEL_EXPORTER_OTLP_ENDPOINT variables the SDK reads.",
    )
    service_name: Annotated[str, EnvironmentName("STRATIGOS_OTEL_SERVICE_NAME")] = Field(
        default="stratigos", description="The `service.name` resource attribute of every span."
    )
    content: Annotated[bool, EnvironmentName("STRATIGOS_TRACE_CONTENT")] = Field(
        default=False,
        description="Put prompts, completions, tool arguments and tool results in spans "
        "(off: only names, models, token counts, finish reasons and ids).",
    )
    xray: XRaySettings = Field(default_factory=XRaySettings, description="AWS X-Ray.")
    langsmith: LangSmithSettings = Field(
        default_factory=LangSmithSettings, description="LangSmith."
    )
