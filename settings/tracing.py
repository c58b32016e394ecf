"""Process tracing from settings: the OpenTelemetry tracer provider and its exporter.

`configure_tracing(settings)` installs a tracer provider for `tracing=otlp` (OTLP/HTTP protobuf to
`tracing.otlp_endpoint`, or the `OTEL_EXPORTER_OTLP_*` variables the SDK reads) and `tracing=xray` (the
same protocol to X-Ray's OTLP endpoint `https://xray.<region>.amazonaws.com/v1/traces`, each
request SigV4-signed with the process's AWS credentials); spans go through a
`BatchSpanProcessor` and `flush_tracing()` sends what is buffered (the end of a CLI command, a job,
a Lambda invocation). With `tracing=otlp` it also installs a meter provider exporting the GenAI
client metrics (`meter()`: `gen_ai.client.token.usage`, `gen_ai.client.operation.duration`,
recorded by `graphs.telemetry`) to `tracing.otlp_metrics_endpoint` (default: the traces URL with
``/v1/metrics``); `flush_tracing()` exports them too. `tracing=off` and `tracing=langsmith` install nothing: `tracer()` is then
OpenTelemetry's no-op tracer. The provider is this module's, not the process-global one, so
settings can change it (tests) and nothing else in the process exports by accident.

`span(name, attributes, carry=...)` opens a span as the current one; `carry` attributes
(`stratigos.run_id`, `stratigos.job_id`, `stratigos.thread_id`) are also set on every span opened
inside it (`carried_attributes()`), which is how graph spans get the job's id.

`current_trace_context()` is the current span's W3C trace context (`traceparent`, `tracestate`)
as a small dict to store with work another thread, process or machine will continue (a job);
`span(..., parent=that_dict)` opens the continuing span as its child, in the same trace.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from settings.config import Settings

if TYPE_CHECKING:  # the SDK and requests are imported when an exporter is installed
    import requests
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

AttributeValue = str | bool | int | float | list[str]

_lock = threading.Lock()
_provider: TracerProvider | None = None
_meters: MeterProvider | None = None
_key: tuple[Any, ...] | None = None
_W3C = TraceContextTextMapPropagator()
"""W3C Trace Context (`traceparent` / `tracestate`), whatever the process-global propagator is."""
_carried: ContextVar[Mapping[str, AttributeValue]] = ContextVar(
    "stratigos_carried", default=MappingProxyType({})
)


class SigV4Auth:
    """A requests authentication (called with each prepared request, as `requests.auth.AuthBase`
    is): signs each request with AWS Signature Version 4 (service `xray`) with credentials from
    botocore's default chain (the Lambda role's environment credentials; refreshable ones are
    refreshed). Without credentials the export fails and nothing is sent unsigned."""

    def __init__(self, region: str) -> None:
        import botocore.session

        self.region = region
        self._session = botocore.session.get_session()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.auth import SigV4Auth as BotocoreSigV4
        from botocore.awsrequest import AWSRequest

        credentials = self._session.get_credentials()
        if credentials is None:
            raise RuntimeError("tracing=xray needs AWS credentials; none were found")
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "content-encoding")
        }
        aws = AWSRequest(method=request.method, url=request.url, data=request.body, headers=headers)
        BotocoreSigV4(credentials.get_frozen_credentials(), "xray", self.region).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws.headers:
                request.headers[name] = aws.headers[name]
        return request


def _exporter(settings: Settings) -> SpanExporter:
    import requests
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    tracing = settings.tracing
    if tracing.exporter == "otlp":
        return OTLPSpanExporter(endpoint=tracing.otlp_endpoint)
    region = tracing.xray.region or os.environ.get("AWS_REGION") or settings.bedrock.region
    session = requests.Session()
    session.auth = SigV4Auth(region)
    endpoint = tracing.xray.endpoint_url or f"https://xray.{region}.amazonaws.com/v1/traces"
    return OTLPSpanExporter(endpoint=endpoint, session=session)


def _metrics_endpoint(settings: Settings) -> str | None:
    tracing = settings.tracing
    if tracing.otlp_metrics_endpoint:
        return tracing.otlp_metrics_endpoint
    traces = tracing.otlp_endpoint
    if traces and traces.rstrip("/").endswith("/v1/traces"):
        return traces.rstrip("/")[: -len("/v1/traces")] + "/v1/metrics"
    return None  # the SDK reads OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT


def _meter_provider(settings: Settings, resource: Resource) -> MeterProvider:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    exporter = OTLPMetricExporter(endpoint=_metrics_endpoint(settings))
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
    return MeterProvider(resource=resource, metric_readers=[reader])


def configure_tracing(settings: Settings) -> bool:
    """Install (or replace, if the settings changed) the tracer provider `settings` asks for
    (and with otlp the meter provider); True when spans will be exported (otlp or xray)."""
    global _provider, _meters, _key
    tracing = settings.tracing
    key = (
        tracing.exporter,
        tracing.otlp_endpoint,
        tracing.otlp_metrics_endpoint,
        tracing.service_name,
        tracing.xray.region,
        tracing.xray.endpoint_url,
    )
    with _lock:
        if key == _key:
            return _provider is not None
        if _provider is not None:
            _provider.shutdown()
        if _meters is not None:
            _meters.shutdown()
        _provider, _meters, _key = None, None, key
        if tracing.exporter in ("otlp", "xray"):
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            resource = Resource.create({"service.name": tracing.service_name})
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
            _provider = provider
            if tracing.exporter == "otlp":
                _meters = _meter_provider(settings, resource)
        return _provider is not None


def tracing_installed() -> bool:
    """Whether a tracer provider is installed (False: spans are no-ops and cost nothing)."""
    return _provider is not None


def tracer() -> Tracer:
    """Stratigos' tracer: the installed provider's, else OpenTelemetry's no-op tracer."""
    provider = _provider
    return provider.get_tracer("stratigos") if provider is not None else trace.NoOpTracer()


def meter() -> metrics.Meter:
    """Stratigos' meter: the installed meter provider's (tracing otlp), else a no-op meter."""
    provider = _meters
    return (
        provider.get_meter("stratigos") if provider is not None else metrics.NoOpMeter("stratigos")
    )


def flush_tracing(timeout_millis: int = 10_000) -> None:
    """Export the spans and metrics buffered so far (nothing when no provider is installed)."""
    provider, meters = _provider, _meters
    if provider is not None:
        provider.force_flush(timeout_millis)
    if meters is not None:
        meters.force_flush(timeout_millis)


def carried_attributes() -> Mapping[str, AttributeValue]:
    """The run, job and thread ids of the spans this code runs inside (see `span`)."""
    return _carried.get()


def current_trace_context() -> dict[str, str] | None:
    """The W3C trace context of the current span: `{"traceparent": ...}` plus `"tracestate"`
    when it has one; None when no spans are exported (no provider installed) or no span is
    current. Ids only: it never holds attributes or content."""
    if not tracing_installed() or not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier or None


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, AttributeValue] | None = None,
    *,
    carry: Mapping[str, AttributeValue] | None = None,
    parent: Mapping[str, str] | None = None,
) -> Iterator[Span]:
    """A span named `name`, current inside the block, with `attributes`, the carried attributes
    and `carry` (which spans opened inside it carry too). Its parent is the span `parent` (a
    `current_trace_context()` from wherever the work was started) when given, else the current
    span; a `parent` that does not parse starts a new trace. An exception marks it as an error
    (`error.type`, never the message: it may quote user content)."""
    carried = {**_carried.get(), **(carry or {})}
    token = _carried.set(carried)
    context = None if parent is None else _W3C.extract(dict(parent))
    try:
        with tracer().start_as_current_span(
            name,
            context=context,
            attributes={**carried, **(attributes or {})},
            record_exception=False,  # its message may quote user content
            set_status_on_exception=False,
        ) as current:
            try:
                yield current
            except BaseException as exc:
                set_error(current, exc)
                raise
    finally:
        _carried.reset(token)


def set_error(current: Span, exc: BaseException) -> None:
    """Mark `current` failed with the exception's type (`error.type`), without its message."""
    current.set_attribute("error.type", type(exc).__name__)
    current.set_status(Status(StatusCode.ERROR))
