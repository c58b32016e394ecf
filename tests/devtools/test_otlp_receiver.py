"""The loopback OTLP receiver reads both OTLP/HTTP encodings and prints a trace as a tree."""

from __future__ import annotations

import json

import requests
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from devtools.otlp_receiver import OtlpReceiver, trace_tree

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
