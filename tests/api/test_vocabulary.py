"""`GET /v1/vocabulary`: public, cacheable, in the OpenAPI schema, and the same words and
formats the report and the command line write with (`services.formatting`)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from services.formatting import PARAMETERS, limit_sentence, vocabulary
from tests.api.conftest import make_settings


def test_the_vocabulary_is_public_cacheable_documented_and_the_formatters_own(
    tmp_path: Path,
) -> None:
    with TestClient(create_app(make_settings(tmp_path / "data"))) as client:
        answer = client.get("/v1/vocabulary")  # no key
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=3600"
        body = answer.json()
        assert body == vocabulary()
        schema = client.get("/v1/openapi.json").json()
        operation = schema["paths"]["/v1/vocabulary"]["get"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert "security" not in operation or operation["security"] == []
    assert body["parameters"]["target_vol"]["label"] == PARAMETERS["target_vol"].label
    assert body["statistics"]["p95"] == "in 95% of paths"
    # what a client following the rules writes is what the report writes
    rules = body["formats"]["percent"]
    written = f"{0.231 * rules['multiply']:.{rules['decimals']}f}{rules['suffix']}"
    label = body["metrics"]["max_drawdown"]["label"]
    assert limit_sentence("max_drawdown", 0.25, "p95", None, 0.231) == (
        f"{label} {body['limit_symbol']} 25.00% {body['statistics']['p95']}: {written}"
    )
