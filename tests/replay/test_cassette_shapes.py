"""Every recorded Bedrock interaction is one Bedrock would take and give.

Each Converse and ConverseStream request in the shipped cassettes (the built-in sessions and the
recorded eval run) is validated against botocore's own ``bedrock-runtime`` service model, and so
is each response (a Converse body; each event of a ConverseStream event stream). Then the request
is put to the local endpoint's checks for its model, driven by the model catalog
(`devtools.local_bedrock.converse.strict`): a cassette whose requests the model refuses
(a sampling parameter, forced tool choice, an effort or thinking mode it does not take, too many
tokens, an id past its end of life today) fails here, whatever it replays.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import botocore.session
import pytest
import yaml
from botocore.eventstream import EventStreamBuffer
from botocore.validate import ParamValidator

from devtools.cassettes import REPOSITORY_CASSETTES
from devtools.local_bedrock.converse import check_model, check_request, parse_request
from devtools.replaying import list_cassettes, load_snapshot

SERVICE = botocore.session.get_session().get_service_model("bedrock-runtime")
OPERATIONS = {"converse": "Converse", "converse-stream": "ConverseStream"}


def _bedrock_cassettes() -> list[Path]:
    shipped = [
        REPOSITORY_CASSETTES / f"{name}.yaml"
        for name in list_cassettes()
        if load_snapshot(name).get("provider", "bedrock") == "bedrock"
        and load_snapshot(name)["script"]["kind"] != "embedding"  # InvokeModel: a blob body
    ]
    return [*shipped, *sorted((REPOSITORY_CASSETTES / "evals").glob("*.yaml"))]


CASSETTE_FILES = _bedrock_cassettes()


def _converse_interactions(path: Path) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(operation, model id, request body, response) of each Converse(Stream) interaction."""
    found = []
    for interaction in yaml.safe_load(path.read_text())["interactions"]:
        uri = interaction["request"]["uri"]
        model_part, _, api = uri.split("/model/", 1)[1].partition("/")
        if api in OPERATIONS:
            body = json.loads(interaction["request"]["body"])
            found.append((OPERATIONS[api], unquote(model_part), body, interaction["response"]))
    return found


def _problems(value: Any, shape: Any) -> str | None:
    report = ParamValidator().validate(value, shape)
    return report.generate_report() if report.has_errors() else None


def _stream_events(response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = response["body"]["string"]
    data = raw if isinstance(raw, bytes) else base64.b64decode(raw)
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    events = []
    for message in buffer:
        headers = message.headers
        events.append((str(headers[":event-type"]), json.loads(message.payload or b"{}")))
    return events


def test_the_shipped_cassettes_hold_both_claude_generations() -> None:
    models = {
        model
        for path in CASSETTE_FILES
        for _, model, _, _ in _converse_interactions(path)
    }  # fmt: skip
    from settings.model_catalog import model_catalog

    catalog = model_catalog()
    for generation in ("current", "previous"):
        assert set(catalog.generation_ids(generation)) <= models, generation


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_every_recorded_converse_call_fits_botocore_s_service_model(path: Path) -> None:
    calls = _converse_interactions(path)
    assert calls
    for index, (operation, model, body, response) in enumerate(calls):
        model_op = SERVICE.operation_model(operation)
        where = f"{path.name} interaction {index} ({operation} {model})"
        assert _problems({**body, "modelId": model}, model_op.input_shape) is None, where
        assert response["status"]["code"] == 200, where
        if operation == "Converse":
            reply = json.loads(response["body"]["string"])
            assert _problems(reply, model_op.output_shape) is None, where
            continue
        stream = model_op.output_shape.members["stream"]
        events = _stream_events(response)
        assert events and events[-1][0] == "metadata", where
        for event_type, payload in events:
            assert event_type in stream.members, f"{where}: event {event_type}"
            member = stream.members[event_type]
            assert _problems(payload, member) is None, f"{where}: event {event_type}"


@pytest.mark.parametrize("path", CASSETTE_FILES, ids=lambda p: p.stem)
def test_no_recorded_request_is_one_its_model_refuses(path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    for index, (_, model_id, body, _) in enumerate(_converse_interactions(path)):
        model = check_model(model_id, today)  # raises for unknown, retired or profile-less ids
        call = parse_request(model_id, body)
        check_request(model, body, call, guardrails={})
        assert model is not None, f"{path.name} interaction {index}: {model_id}"


def test_the_checks_catch_what_bedrock_would_refuse() -> None:
    """The same checks on a recorded current-generation request, tampered."""
    from devtools.local_bedrock.converse import BedrockError

    path = REPOSITORY_CASSETTES / "optimization.yaml"
    operation, model_id, body, _ = next(c for c in _converse_interactions(path) if "sonnet" in c[1])
    shape = SERVICE.operation_model(operation).input_shape
    assert _problems({**body, "modelId": model_id, "temprature": 0}, shape) is not None
    sampled = {**body, "inferenceConfig": {**body["inferenceConfig"], "temperature": 0.0}}
    today = dt.datetime.now(dt.UTC).date()
    with pytest.raises(BedrockError) as refused:
        check_request(check_model(model_id, today), sampled, parse_request(model_id, sampled), {})
    assert refused.value.error_type == "ValidationException"
    assert "temperature" in refused.value.message
