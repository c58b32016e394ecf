"""A loopback OTLP/HTTP receiver for tests: `POST /v1/traces` with an
`ExportTraceServiceRequest` in protobuf (`application/x-protobuf`, optionally gzip) or JSON
(`application/json`, the OTLP JSON encoding), and `POST /v1/metrics` with an
`ExportMetricsServiceRequest` in protobuf. It keeps every span it receives as a `ReceivedSpan`,
every histogram data point as a `ReceivedPoint`, and every request's headers and raw body (to
check a signature), and answers 200 with an empty export response.

    with OtlpReceiver() as receiver:
        ... export to receiver.url ...
        spans = receiver.spans

Or on the command line, printing each trace as an indented tree when its root span arrives
(names, token counts, finish reasons, status codes), and the spans that arrive after their trace
was printed (a job that ran after the request that submitted it) as a subtree below the printed
span they continue (`TreePrinter`), until interrupted:

    python -m devtools.otlp_receiver --port 4318
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass
class ReceivedSpan:
    """One span as received: ids in hex (`parent_id` "" for a root), attributes decoded."""

    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status_code: int
    start_ns: int = 0
    end_ns: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    kind: int = 0
    """The OTLP span kind (1 internal, 2 server, 3 client, ...)."""


_CUMULATIVE = 2  # AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE


@dataclass
class ReceivedPoint:
    """One histogram data point of a metric: its name and unit, attributes, count and sum."""

    metric: str
    unit: str
    attributes: dict[str, Any]
    count: int
    sum: float


@dataclass
class ReceivedRequest:
    """One export request: its path, headers (lower-case names) and body as sent."""

    path: str
    headers: dict[str, str]
    body: bytes


def _hex_ids_to_base64(document: Any) -> Any:
    """OTLP/JSON writes trace and span ids in hex; protobuf's JSON mapping reads bytes as
    base64."""
    if isinstance(document, list):
        return [_hex_ids_to_base64(item) for item in document]
    if isinstance(document, dict):
        return {
            key: base64.b64encode(bytes.fromhex(value)).decode()
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str)
            else _hex_ids_to_base64(value)
            for key, value in document.items()
        }
    return document


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


class OtlpReceiver:
    """The receiver, serving on 127.0.0.1 (a free port) while entered."""

    def __init__(
        self, port: int = 0, on_span: Callable[[ReceivedSpan], None] | None = None
    ) -> None:
        """Listen on 127.0.0.1:`port` (0: a free one); `on_span` sees each span as it arrives."""
        self.spans: list[ReceivedSpan] = []
        self.points: list[ReceivedPoint] = []
        """Histogram points; a cumulative series' later export replaces its earlier point."""
        self._cumulative: dict[tuple[str, int, str], int] = {}
        self._on_span = on_span
        self.requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._accept(self.path, headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                payload = ExportTraceServiceResponse().SerializeToString()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The traces URL, `http://127.0.0.1:<port>/v1/traces`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/traces"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.requests.append(ReceivedRequest(path, headers, body))
        raw = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
        if path == "/v1/metrics":
            return self._accept_metrics(raw)
        if path != "/v1/traces":
            return 404
        message = ExportTraceServiceRequest()
        if headers.get("content-type", "").startswith("application/json"):
            json_format.ParseDict(_hex_ids_to_base64(json.loads(raw)), message)
        else:
            message.ParseFromString(raw)
        received = [
            ReceivedSpan(
                name=span.name,
                trace_id=span.trace_id.hex(),
                span_id=span.span_id.hex(),
                parent_id=span.parent_span_id.hex(),
                attributes=_attributes(span.attributes),
                resource=_attributes(resource_spans.resource.attributes),
                status_code=span.status.code,
                start_ns=span.start_time_unix_nano,
                end_ns=span.end_time_unix_nano,
                events=[{"name": e.name, **_attributes(e.attributes)} for e in span.events],
                kind=span.kind,
            )
            for resource_spans in message.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._lock:
            self.spans.extend(received)
            for span in received:
                if self._on_span is not None:
                    self._on_span(span)
        return 200

    def _accept_metrics(self, raw: bytes) -> int:
        message = ExportMetricsServiceRequest()
        message.ParseFromString(raw)
        received = [
            (metric.histogram.aggregation_temporality == _CUMULATIVE, point.start_time_unix_nano,
             ReceivedPoint(metric.name, metric.unit, _attributes(point.attributes), point.count,
                           point.sum))
            for resource_metrics in message.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            if metric.WhichOneof("data") == "histogram"
            for point in metric.histogram.data_points
        ]  # fmt: skip
        with self._lock:
            for cumulative, start, point in received:
                key = (point.metric, start, json.dumps(point.attributes, sort_keys=True))
                if cumulative and key in self._cumulative:  # a later total of the same series
                    self.points[self._cumulative[key]] = point
                    continue
                if cumulative:
                    self._cumulative[key] = len(self.points)
                self.points.append(point)
        return 200

    def metric(self, name: str) -> list[ReceivedPoint]:
        """The data points received of metric `name`."""
        return [p for p in self.points if p.metric == name]

    def named(self, prefix: str) -> list[ReceivedSpan]:
        """The spans whose name starts with `prefix`."""
        return [s for s in self.spans if s.name.startswith(prefix)]

    def parent(self, span: ReceivedSpan) -> ReceivedSpan | None:
        """`span`'s parent among the received spans (None for a root or an unknown parent)."""
        return next((s for s in self.spans if s.span_id == span.parent_id), None)


def _label(span: ReceivedSpan) -> str:
    a = span.attributes
    parts = [span.name]
    if "gen_ai.usage.input_tokens" in a:
        parts.append(f"tokens {a['gen_ai.usage.input_tokens']}/{a['gen_ai.usage.output_tokens']}")
    if "gen_ai.response.finish_reasons" in a:
        parts.append(",".join(a["gen_ai.response.finish_reasons"]))
    if "http.response.status_code" in a:
        parts.append(str(a["http.response.status_code"]))
    if "stratigos.job_id" in a and span.name.startswith("job "):
        parts.append(a["stratigos.job_id"])
    return "  ".join(parts)


def trace_tree(spans: list[ReceivedSpan], root: ReceivedSpan) -> str:
    """`root` and its descendants among `spans`, one indented line each, children in the order
    they started."""
    lines: list[str] = []

    def walk(span: ReceivedSpan, depth: int) -> None:
        lines.append("  " * depth + _label(span))
        children = [child for child in spans if child.parent_id == span.span_id]
        for child in sorted(children, key=lambda child: child.start_ns):
            walk(child, depth + 1)

    walk(root, 0)
    return "\n".join(lines)


class TreePrinter:
    """`on_span` of the command line: `write`s a trace's tree when its root arrives (a root ends
    after its children), then each span that arrives below an already written span, with its
    descendants, indented under it (a job's spans end long after the request span that submitted
    it). Spans whose parent has not been written yet wait for it."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._spans: list[ReceivedSpan] = []
        self._depth: dict[str, int] = {}  # written span id -> its depth in the written tree

    def __call__(self, span: ReceivedSpan) -> None:
        self._spans.append(span)
        if span.parent_id == "":
            depth, header = 0, None
        elif span.parent_id in self._depth:
            depth = self._depth[span.parent_id] + 1
            parent = next(s for s in self._spans if s.span_id == span.parent_id)
            header = "  " * (depth - 1) + f"{parent.name}  (trace {span.trace_id}, continued)"
        else:
            return
        trace = [s for s in self._spans if s.trace_id == span.trace_id]
        tree = trace_tree(trace, span)
        self._mark(trace, span, depth)
        indented = "\n".join("  " * depth + line for line in tree.splitlines())
        self._write(indented if header is None else f"{header}\n{indented}")

    def _mark(self, trace: list[ReceivedSpan], span: ReceivedSpan, depth: int) -> None:
        self._depth[span.span_id] = depth
        for child in trace:
            if child.parent_id == span.span_id:
                self._mark(trace, child, depth + 1)


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted, printing each trace received as a tree."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args(argv)

    receiver = OtlpReceiver(args.port, on_span=TreePrinter(lambda text: print(text, flush=True)))
    with receiver:
        print(f"listening on {receiver.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
