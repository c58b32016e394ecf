"""The loopback OTLP receiver reads both OTLP/HTTP encodings and prints a trace as a tree."""

from __future__ import annotations

import json

import requests
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from devtools.otlp_receiver import OtlpReceiver, ReceivedSpan, TreePrinter, trace_tree

TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, CHILD = "eee19b7ec3c1b174", "eee19b7ec3c1b173"


def _request() -> dict[str, object]:
    """An OTLP/JSON export of two spans (hex ids, as the OTLP JSON encoding writes them)."""
    span = {"traceId": TRACE, "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "s"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                **span,
                                "spanId": CHILD,
                                "parentSpanId": ROOT,
                                "name": "chat m",
                                "attributes": [
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"intValue": "7"},
                                    },
                                    {
                                        "key": "gen_ai.usage.output_tokens",
                                        "value": {"intValue": "2"},
                                    },
                                    {
                                        "key": "gen_ai.response.finish_reasons",
                                        "value": {
                                            "arrayValue": {"values": [{"stringValue": "stop"}]}
                                        },
                                    },
                                ],
                            },
                            {**span, "spanId": ROOT, "name": "stratigos optimize"},
                        ]
                    }
                ],
            }
        ]
    }


def test_json_and_protobuf_exports_give_the_same_spans() -> None:
    document = _request()
    with OtlpReceiver() as receiver:
        response = requests.post(receiver.url, json=document, timeout=5)
        assert response.status_code == 200
        from_json = list(receiver.spans)
        receiver.spans.clear()
        message = ExportTraceServiceRequest()
        json_format.ParseDict(json.loads(json.dumps(document)), message, ignore_unknown_fields=True)
        # protobuf's JSON mapping read the hex ids as base64: rebuild them as bytes
        for span in message.resource_spans[0].scope_spans[0].spans:
            span.trace_id = bytes.fromhex(TRACE)
            span.span_id = bytes.fromhex(ROOT if span.name.startswith("stratigos") else CHILD)
            span.parent_span_id = bytes.fromhex(ROOT) if span.name == "chat m" else b""
        body = message.SerializeToString()
        headers = {"content-type": "application/x-protobuf"}
        assert requests.post(receiver.url, data=body, headers=headers, timeout=5).ok
        assert (
            requests.post(receiver.url.replace("traces", "logs"), data=body, timeout=5).status_code
            == 404
        )
    assert receiver.spans == from_json
    child, root = from_json
    assert (child.trace_id, child.span_id, child.parent_id) == (TRACE, CHILD, ROOT)
    assert child.attributes["gen_ai.usage.input_tokens"] == 7
    assert child.attributes["gen_ai.response.finish_reasons"] == ["stop"]
    assert root.resource == {"service.name": "s"} and root.parent_id == ""
    assert trace_tree(from_json, root) == "stratigos optimize\n  chat m  tokens 7/2  stop"


def _span(name: str, span_id: str, parent_id: str = "", start: int = 0) -> ReceivedSpan:
    return ReceivedSpan(name, TRACE, span_id, parent_id, {}, {}, 0, start_ns=start)


def test_spans_arriving_after_their_trace_was_printed_are_printed_below_their_parent() -> None:
    written: list[str] = []
    printer = TreePrinter(written.append)
    printer(_span("GET /v1/other", "a" * 16))  # another root, its own trace
    printer(_span("POST /v1/optimizations", ROOT))
    assert written == ["GET /v1/other", "POST /v1/optimizations"]
    # the job's spans end later: its children first, then the job itself
    printer(_span("node plan", "3" * 16, "2" * 16, start=2))
    printer(_span("run optimization", "2" * 16, "1" * 16, start=1))
    printer(_span("waiting", "9" * 16, "8" * 16))  # its parent has not arrived: not yet
    assert len(written) == 2
    printer(_span("job optimization", "1" * 16, ROOT))
    assert written[2] == "\n".join(
        [
            f"POST /v1/optimizations  (trace {TRACE}, continued)",
            "  job optimization",
            "    run optimization",
            "      node plan",
        ]
    )
    # and deeper still, below a span written in the continuation
    printer(_span("late", "4" * 16, "2" * 16))
    assert written[3] == "\n".join(
        [f"    run optimization  (trace {TRACE}, continued)", "      late"]
    )
