"""The local Bedrock endpoint's InvokeModel for Titan Text Embeddings V2, through the real HTTP
server and boto3: Titan V2's request and response shapes, the offline embedder's vectors, and
Bedrock's error shapes."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.faults import Fault, FaultPlan
from research.embeddings import HashingEmbedder

TITAN = "amazon.titan-embed-text-v2:0"
TEXT = "Energy stocks fell 12% in March, while utilities held up."


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalBedrock]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    with serve(faults=FaultPlan()) as server:
        yield server


def _client(bedrock: LocalBedrock) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=bedrock.url,
        region_name="us-east-1",
        config=Config(retries={"total_max_attempts": 1}),
    )


def _invoke(bedrock: LocalBedrock, body: Any, model_id: str = TITAN) -> tuple[dict[str, Any], Any]:
    response = _client(bedrock).invoke_model(
        modelId=model_id,
        body=json.dumps(body),
        accept="application/json",
        contentType="application/json",
    )
    return json.loads(response["body"].read()), response


def _refused(bedrock: LocalBedrock, body: Any, model_id: str = TITAN) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        _invoke(bedrock, body, model_id)
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Message"],
    )


def test_titan_v2_defaults_answer_the_offline_embedders_unit_vector(bedrock: LocalBedrock) -> None:
    payload, response = _invoke(bedrock, {"inputText": TEXT})
    assert set(payload) == {"embedding", "inputTextTokenCount", "embeddingsByType"}
    vector = np.asarray(payload["embedding"], dtype=np.float32)
    assert vector.shape == (1024,)  # Titan V2's default dimensions
    np.testing.assert_array_equal(vector, HashingEmbedder(1024).embed_query(TEXT))
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-6  # normalize defaults to true
    assert payload["embeddingsByType"] == {"float": payload["embedding"]}
    # words and punctuation: Energy stocks fell 12 % in March , while utilities held up .
    assert payload["inputTextTokenCount"] == 13
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "13"


def test_dimensions_binary_and_unnormalized_vectors(bedrock: LocalBedrock) -> None:
    body = {"inputText": TEXT, "dimensions": 256, "embeddingTypes": ["float", "binary"]}
    payload, _ = _invoke(bedrock, body)
    floats = np.asarray(payload["embeddingsByType"]["float"], dtype=np.float32)
    np.testing.assert_array_equal(floats, HashingEmbedder(256).embed_query(TEXT))
    binary = payload["embeddingsByType"]["binary"]
    assert len(binary) == 256 and set(binary) == {0, 1}
    assert binary == [int(v > 0) for v in floats]
    assert payload["embedding"] == payload["embeddingsByType"]["float"]

    raw, _ = _invoke(bedrock, {"inputText": TEXT, "dimensions": 512, "normalize": False})
    expected = HashingEmbedder(512).term_vectors([TEXT])[0].astype(np.float32)
    np.testing.assert_array_equal(np.asarray(raw["embedding"], dtype=np.float32), expected)
    assert float(np.linalg.norm(expected)) > 1.5  # not unit length: really not normalized

    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{TITAN}"
    by_arn, _ = _invoke(bedrock, {"inputText": TEXT, "dimensions": 256}, arn)
    assert by_arn["embedding"] == payload["embedding"]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({}, "required key [inputText] not found"),
        ({"inputText": ""}, "#/inputText: expected minLength: 1, actual: 0"),
        ({"inputText": 7}, "#/inputText: expected type: String, found: Integer"),
        ({"inputText": "x" * 50_001}, "#/inputText: expected maxLength: 50000, actual: 50001"),
        ({"inputText": TEXT, "dimensions": 300}, "#/dimensions: 300 is not a valid enum value"),
        ({"inputText": TEXT, "dimensions": True}, "#/dimensions: True is not a valid enum value"),
        ({"inputText": TEXT, "normalize": "yes"}, "#/normalize: expected type: Boolean"),
        ({"inputText": TEXT, "embeddingTypes": ["int8"]}, "#/embeddingTypes/0: int8 is not"),
        ({"inputText": TEXT, "embeddingTypes": []}, "#/embeddingTypes: expected minimum item"),
        ({"inputText": TEXT, "texts": [TEXT]}, "#: extraneous key [texts] is not permitted"),
        ([TEXT], "#: expected type: JSONObject, found: JSONArray"),
    ],
)
def test_malformed_requests_are_refused_naming_the_field(
    bedrock: LocalBedrock, body: Any, names: str
) -> None:
    code, status, message = _refused(bedrock, body)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Malformed input request: ") and names in message


def test_too_many_tokens_unknown_and_unserved_models(bedrock: LocalBedrock) -> None:
    code, status, message = _refused(bedrock, {"inputText": "rates " * 8_193})
    assert (code, status) == ("ValidationException", 400)
    assert "Too many input tokens. Max input tokens: 8192" in message
    assert _refused(bedrock, {"inputText": TEXT}, "not-a-model") == (
        "ValidationException",
        400,
        "The provided model identifier is invalid.",
    )
    code, status, message = _refused(bedrock, {"inputText": TEXT}, "us.anthropic.claude-haiku-5-5")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert TITAN in message


def test_raw_http_error_shape_and_injected_faults(bedrock: LocalBedrock) -> None:
    bedrock.faults.faults[2] = Fault("throttle")
    connection = http.client.HTTPConnection(bedrock.host, bedrock.port, timeout=10)
    path = f"/model/{TITAN.replace(':', '%3A')}/invoke"
    connection.request(
        "POST", path, body=b"{not json", headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    assert response.status == 400
    assert response.getheader("x-amzn-ErrorType") == "ValidationException"
    assert "not valid JSON" in json.loads(response.read())["message"]
    # call 2 is throttled as Bedrock throttles: 429 ThrottlingException
    assert _refused(bedrock, {"inputText": TEXT})[:2] == ("ThrottlingException", 429)
