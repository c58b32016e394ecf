"""Property-based tests of the whole HTTP API from its own OpenAPI schema (schemathesis 4).

Every operation of `/v1/openapi.json` is called in process (ASGI) with generated requests,
authenticated with a real API key, on an app without job workers (fuzzed submissions stay
pending). Checks: no server error (5xx) and, for the statuses the schema documents, responses
conform to their documented schema, status code and content type. The number of examples per
operation is small so the module stays quick.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import app as default_app
from api.app import create_app
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow  # a hundred operations, each fuzzed: a minute and more

MAX_EXAMPLES = 15


@pytest.fixture(scope="module")
def fuzz_app(api_env: Path) -> Iterator[FastAPI]:
    app = create_app(make_settings(api_env, api={"job_workers": 0}))
    yield app
    app.state.context.close()


@pytest.fixture(scope="module")
def api_key(fuzz_app: FastAPI) -> str:
    raw, _ = fuzz_app.state.context.store.create_api_key("fuzzer", "schemathesis")
    return str(raw)


# The schema is loaded when the module is collected (schemathesis' lazy fixture loader does not
# support pytest 9): the OpenAPI document depends on the code only, not on the settings, so the
# module-level app (which opens nothing until a request needs the store) provides it; requests
# go to the test's own app (`app=` below).
schema = schemathesis.openapi.from_dict(default_app.openapi())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, fuzz_app: FastAPI, api_key: str) -> None:
    case.call_and_validate(
        app=fuzz_app,
        headers={"x-api-key": api_key},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
