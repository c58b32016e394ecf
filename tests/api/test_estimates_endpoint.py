"""The instant estimates' SageMaker serving container and the API's calls to it.

- The serving entry point, run as the image runs it (`python -m jobs.entrypoint serve`) in a
  real process on loopback over the app's store: `GET /ping`, `POST /invocations` answering what
  `services.estimates.estimate_strategy` answers in process, bad bodies refused in the
  project's error format (any JSON: hypothesis).
- The API configured with the endpoint (`STRATIGOS_API_ESTIMATES_*`), through botocore's
  `sagemaker-runtime` client with its `endpoint_url` on a SageMaker Runtime stand-in in front
  of that container (InvokeEndpoint's wire format, `tests.support.sagemaker_runtime`): the same
  statuses and bodies as the API computing in process, refusals included; an endpoint that
  cannot answer is a 503 or 502 naming it, never an estimate.
- The chat's and MCP's `estimate_strategy` tool on the same settings: through the endpoint it
  answers what it answers in process, refusals included; an endpoint that cannot answer is the
  tool's error naming it, never an estimate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.estimates import estimate_strategy
from services.strategy_model import learn
from settings import ModelSettings, Settings
from tests.api.conftest import Api, assert_error, make_settings
from tests.support.aws import FAKE_AWS_ENV
from tests.support.live_server import TLS, closed_port, port_for_another_process
from tests.support.pipeline_search import pipeline_search
from tests.support.sagemaker_runtime import sagemaker_runtime
from tools import ToolContext, build_tools
from tools.context import OwnerRecords

PATH = "/v1/strategy-estimates"
ENDPOINT = "stratigos-test-estimates"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def taught(api: Api, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Alice's and carol's models in the app's store, each learnt from the same search; the
    file of each owner's version."""
    data = Settings(
        data_dir=tmp_path_factory.mktemp("search"), models=ModelSettings(provider="offline")
    )
    search = pipeline_search(data)
    files: dict[str, Path] = {}
    for owner in ("alice", "carol"):
        before = set(api.settings.data_dir.rglob("*.npz"))
        learn(api.store, owner, search)
        (files[owner],) = set(api.settings.data_dir.rglob("*.npz")) - before
    return files


@pytest.fixture(scope="module")
def container(api: Api, taught: dict[str, Path]) -> Iterator[str]:
    """The serving container's entry point as a process on loopback, over the app's store;
    its base URL once `/ping` answers 200."""
    port = port_for_another_process()
    env = os.environ | {
        "STRATIGOS_DATA_DIR": str(api.settings.data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "jobs.entrypoint", "serve"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/ping", timeout=1.0, verify=TLS).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5) if process.poll() is not None else ("", b"")
                raise RuntimeError(f"the serving process did not start: {err!r}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def _remote_api(api: Api, **endpoint: Any) -> TestClient:
    """The API over the same store, its estimates from the endpoint `endpoint` configures."""
    from api.app import create_app

    settings = make_settings(
        api.settings.data_dir,
        api={"job_workers": 0, "estimates": {"aws_region": "us-east-1", **endpoint}},
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def remote(api: Api, container: str) -> Iterator[TestClient]:
    """The API calling the endpoint through the SageMaker Runtime stand-in."""
    with (
        pytest.MonkeyPatch.context() as patch,
        sagemaker_runtime(ENDPOINT, container) as runtime,
        _remote_api(api, endpoint_name=ENDPOINT, endpoint_url=runtime) as client,
    ):
        for name, value in FAKE_AWS_ENV.items():
            patch.setenv(name, value)
        yield client


def test_the_serving_entry_point_speaks_the_container_contract(
    api: Api, container: str, taught: dict[str, Path]
) -> None:
    assert httpx.get(f"{container}/ping", verify=TLS).json() == {"status": "ready"}
    body = {"owner": "alice", "config": {"target_vol": 0.1}, "scenarios": ["bear", "base"]}
    answer = httpx.post(f"{container}/invocations", json=body, verify=TLS)
    assert answer.status_code == 200, answer.text
    expected = estimate_strategy(
        api.store, "alice", {"target_vol": 0.1}, scenarios=["bear", "base"]
    )
    assert answer.json() == json.loads(json.dumps(expected))
    assert answer.json()["label"] == "model estimate"
    refused = [
        (b"not json", 400, "BAD_REQUEST", "body"),
        (json.dumps([1, 2]).encode(), 400, "BAD_REQUEST", "body"),
        (json.dumps({"owner": "alice"}).encode(), 422, "VALIDATION_ERROR", "config"),
        (json.dumps({"owner": "", "config": {}}).encode(), 422, "VALIDATION_ERROR", "owner"),
        (
            json.dumps({"owner": "alice", "config": {}, "x": 1}).encode(),
            422,
            "VALIDATION_ERROR",
            "x",
        ),
        (
            json.dumps({"owner": "alice", "config": {"target_vol": -1}}).encode(),
            422,
            "VALIDATION_ERROR",
            "config.target_vol",
        ),
        (json.dumps({"owner": "bob", "config": {}}).encode(), 404, "NOT_FOUND", "run_id"),
    ]
    for raw, status, code, field in refused:
        response = httpx.post(f"{container}/invocations", content=raw, verify=TLS)
        error = assert_error(response, status, code)
        assert error["details"][0]["field"] == field, error


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "owner": st.sampled_from(["alice", "bob", ""]) | JSON,
        "config": st.fixed_dictionaries({}, optional={"target_vol": JSON, "lookback": JSON}) | JSON,
        "run_id": st.sampled_from(["s1", "nope"]) | JSON,
        "scenarios": st.lists(st.sampled_from(["bear", "base", "sideways"]), max_size=2) | JSON,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES | JSON)
def test_any_json_body_gets_an_estimate_or_an_error_in_our_format(
    container: str, body: Any
) -> None:
    response = httpx.post(f"{container}/invocations", json=body, verify=TLS)
    if response.status_code == 200:
        assert isinstance(body, dict) and body.get("owner") == "alice"
        assert response.json()["label"] == "model estimate"
        return
    error = assert_error(response, response.status_code, response.json()["error"]["code"])
    assert response.status_code in (400, 404, 422), response.text
    assert error["details"] and all(d["field"] and d["problem"] for d in error["details"])


@pytest.mark.parametrize(
    ("body", "who"),
    [
        ({"config": {"target_vol": 0.12, "weight_function": "sigmoid"}}, "alice"),
        ({"config": {"lookback": 63}, "run_id": "s1", "scenarios": ["bull"]}, "alice"),
        ({"config": {"target_vol": -1}}, "alice"),
        ({"config": {"leverage_please": 3}}, "alice"),
        ({"scenarios": ["sideways"]}, "alice"),
        ({"run_id": "nope"}, "alice"),
        ({}, "bob"),
        ({"run_id": "s1"}, "bob"),
    ],
)
def test_the_api_through_the_endpoint_answers_as_in_process(
    api: Api, remote: TestClient, body: dict[str, Any], who: str
) -> None:
    headers = api.alice if who == "alice" else api.bob
    here = api.client.post(PATH, json=body, headers=headers)
    there = remote.post(PATH, json=body, headers=headers)
    assert there.status_code == here.status_code, there.text
    assert there.json() == here.json()


def _estimate_tool(api: Api, owner: str, **endpoint: Any) -> Any:
    """The `estimate_strategy` tool of `owner`'s chat over the app's store, on settings whose
    estimates endpoint `endpoint` configures (none: computed in process)."""
    estimates = {"aws_region": "us-east-1", **endpoint}
    settings = make_settings(api.settings.data_dir, api={"job_workers": 0, "estimates": estimates})
    records = OwnerRecords(owner, api.store, settings)
    [tool] = build_tools(ToolContext(records=records), names=["estimate_strategy"])
    return tool


@pytest.mark.parametrize(
    ("arguments", "owner", "estimated"),
    [
        ({"config": {"target_vol": 0.12, "weight_function": "sigmoid"}}, "alice", True),
        ({"config": {"lookback": 63}, "run_id": "s1", "scenarios": ["bull"]}, "alice", True),
        ({"config": {"target_vol": -1}}, "alice", False),
        ({"run_id": "nope"}, "alice", False),
        ({}, "bob", False),
    ],
)
def test_the_chat_tool_through_the_endpoint_answers_as_in_process(
    api: Api,
    container: str,
    taught: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    arguments: dict[str, Any],
    owner: str,
    estimated: bool,
) -> None:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    here = _estimate_tool(api, owner).invoke(arguments)
    with sagemaker_runtime(ENDPOINT, container) as runtime:
        there = _estimate_tool(api, owner, endpoint_name=ENDPOINT, endpoint_url=runtime).invoke(
            arguments
        )
        # the answer came through the endpoint: a configuration naming another one gets none
        elsewhere = _estimate_tool(api, owner, endpoint_name="another", endpoint_url=runtime)
        refused = elsewhere.invoke(arguments)
    assert there == here
    assert isinstance(refused, str) and "no estimate" in refused and "another" in refused
    if estimated:
        assert there["label"] == "model estimate"
    else:  # refused by the endpoint as in process: the tool's error with the service's words
        assert isinstance(there, str) and "estimate_strategy failed" in there


def test_the_chat_tool_gets_an_error_never_an_estimate_when_the_endpoint_cannot_answer(
    api: Api, container: str, taught: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    arguments = {"config": {"target_vol": 0.1}}
    with closed_port() as port:
        unreachable = f"http://127.0.0.1:{port}"
        answer = _estimate_tool(
            api, "alice", endpoint_name=ENDPOINT, endpoint_url=unreachable, timeout_s=5
        ).invoke(arguments)
        assert isinstance(answer, str) and answer.startswith("estimate_strategy failed")
        assert ENDPOINT in answer and "could not be reached" in answer
        with sagemaker_runtime(ENDPOINT, unreachable) as down:
            answer = _estimate_tool(api, "alice", endpoint_name=ENDPOINT, endpoint_url=down).invoke(
                arguments
            )
        assert isinstance(answer, str) and "no estimate" in answer and ENDPOINT in answer


def test_an_endpoint_that_cannot_answer_is_503_or_502_never_an_estimate(
    api: Api, container: str, taught: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)
    body = {"config": {"target_vol": 0.1}}
    with (
        closed_port() as port,
        _remote_api(
            api, endpoint_name=ENDPOINT, endpoint_url=f"http://127.0.0.1:{port}", timeout_s=5
        ) as client,
    ):
        error = assert_error(client.post(PATH, json=body, headers=api.alice), 503, "UNAVAILABLE")
        assert ENDPOINT in error["message"] and "reached" in error["message"]
    with sagemaker_runtime(ENDPOINT, container) as runtime:
        with _remote_api(api, endpoint_name="another", endpoint_url=runtime) as client:
            error = assert_error(
                client.post(PATH, json=body, headers=api.alice), 502, "BAD_GATEWAY"
            )
            assert "another" in error["message"]
        with (
            closed_port() as port,
            sagemaker_runtime(ENDPOINT, f"http://127.0.0.1:{port}") as down,
            _remote_api(api, endpoint_name=ENDPOINT, endpoint_url=down) as client,
        ):
            assert_error(client.post(PATH, json=body, headers=api.alice), 503, "UNAVAILABLE")
        # carol's model file is damaged: the container cannot read it (503), nor can the API
        taught["carol"].write_bytes(b"not a strategy model")
        carol_key, _ = api.store.create_api_key("carol", "tests")
        with _remote_api(api, endpoint_name=ENDPOINT, endpoint_url=runtime) as client:
            response = client.post(PATH, json=body, headers={"x-api-key": carol_key})
            error = assert_error(response, 503, "UNAVAILABLE")
            assert "cannot answer now" in error["message"] and "scenarios" not in response.json()
