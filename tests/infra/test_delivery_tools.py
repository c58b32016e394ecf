"""The delivery's own tools, without AWS: the pins (`infra.pins`), the pull requests' template diff
(`infra.template_diff`), the smoke test (`infra.smoke`), the workflow's context file
(`infra.github`) and the release's smoke hook (`infra/hooks/smoke.py`)."""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra import pins, smoke, template_diff
from infra.github import stage_context
from infra.hooks import smoke as hook

SHA = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


# -- pins ----------------------------------------------------------------------------------


def test_an_action_is_pinned_only_by_commit_and_release() -> None:
    text = (
        f"      - uses: actions/checkout@{SHA} # v5.1.0\n"
        "      - uses: actions/setup-node@v5\n"
        f"      - uses: actions/cache@{SHA}\n"
        "      - uses: actions/upload-artifact@main # v6.0.0\n"
    )
    assert pins.unpinned_actions(text) == [
        "actions/setup-node@v5",
        f"actions/cache@{SHA}",
        "actions/upload-artifact@main",
    ]


def test_a_recipe_pulls_its_bases_by_digest_its_own_stages_aside() -> None:
    recipe = (
        "FROM python:3.13-slim AS build\n"
        "RUN true\n"
        f"FROM python:3.13-slim@{DIGEST}\n"
        "COPY --from=build /opt /opt\n"
        "COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0 /lambda-adapter /x\n"
    )
    assert pins.images(recipe) == [
        ("python:3.13-slim", None),
        ("python:3.13-slim", f"@{DIGEST}"),
        ("public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0", None),
    ]
    assert pins.unpinned_images(recipe) == [
        "python:3.13-slim",
        "public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0",
    ]
    refreshed = pins.refresh_images(recipe, lambda image: DIGEST)
    assert pins.unpinned_images(refreshed) == []
    assert "COPY --from=build /opt /opt" in refreshed
    assert refreshed.count(f"@{DIGEST}") == 3


def test_refreshing_moves_an_action_to_its_newest_release_of_the_same_major() -> None:
    asked = []

    def release(repository: str, current: str) -> tuple[str, str]:
        asked.append((repository, current))
        return "v5.2.0", "f" * 40

    text = f"    - uses: github/codeql-action/init@{SHA} # v5.1.0\n    - run: true\n"
    refreshed = pins.refresh_actions(text, release)
    assert (
        refreshed == f"    - uses: github/codeql-action/init@{'f' * 40} # v5.2.0\n    - run: true\n"
    )
    assert asked == [("github/codeql-action", "v5.1.0")]


# -- the template diff ---------------------------------------------------------------------

_NAMES = st.sampled_from(["Queue", "Role", "Topic", "Name", "Policies", "Tags"])
_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(), st.sampled_from(["", "a", "arn:aws:s3:::b/*"])),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_NAMES, inner, max_size=2),
    max_leaves=4,
)
_TEMPLATES = st.dictionaries(
    _NAMES,
    st.fixed_dictionaries(
        {"Type": st.sampled_from(["AWS::SQS::Queue", "AWS::IAM::Role"])},
        optional={"Properties": st.dictionaries(_NAMES, _VALUES, max_size=3)},
    ),
    max_size=4,
).map(lambda r: {"Resources": r})


@given(_TEMPLATES)
def test_a_template_against_itself_is_no_change(template: dict[str, Any]) -> None:
    assert template_diff.report({"s": template}, {"s": copy.deepcopy(template)}) == "no change"


@given(_TEMPLATES, _NAMES)
def test_every_added_or_removed_resource_is_listed(template: dict[str, Any], name: str) -> None:
    head = copy.deepcopy(template)
    head["Resources"].pop(name, None)
    head["Resources"][f"{name}New"] = {"Type": "AWS::SQS::Queue"}
    text = template_diff.report({"s": template}, {"s": head})
    assert f"added `{name}New`" in text or f"{name}New" in template["Resources"]
    if name in template["Resources"]:
        assert f"removed `{name}`" in text


def test_a_policy_change_lists_the_statements() -> None:
    def role(actions: list[str]) -> dict[str, Any]:
        document = {
            "Statement": [{"Effect": "Allow", "Action": a, "Resource": "*"} for a in actions]
        }
        return {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
            {"PolicyName": "p", "PolicyDocument": document}]}}}}  # fmt: skip

    text = template_diff.report(
        {"s": role(["s3:GetObject"])}, {"s": role(["s3:GetObject", "s3:*"])}
    )
    assert "changed `R` (AWS::IAM::Role): Policies" in text
    assert 'IAM statement added: `{"Action": "s3:*"' in text and "removed" not in text
    assert "stack added" in template_diff.report({}, {"t": role([])})


# -- the smoke test ------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Any]]]:
    """A loopback HTTP server answering GET /<stage>/v1/health as `state` says."""
    state: dict[str, Any] = {"status": 200, "body": {"status": "ok"}}

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(state["body"]).encode()
            self.send_response(state["status"] if self.path.endswith("/v1/health") else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/prod/", state
    finally:
        httpd.shutdown()


def test_the_smoke_test_checks_every_address_the_stage_outputs(
    server: tuple[str, dict[str, Any]],
) -> None:
    base, state = server
    outputs = {"stratigos-prod-api": {"ApiUrl": base, "Commit": SHA}}
    asked = []

    def read(stack: str, region: str | None) -> dict[str, str]:
        asked.append((stack, region))
        return outputs.get(stack, {})

    assert smoke.addresses("prod", read) == {"api": base}
    assert asked == [("stratigos-prod-api", None), ("stratigos-prod-edge", "us-east-1")]
    assert smoke.check("prod", read) == []
    state["status"] = 503
    (failure,) = smoke.check("prod", read)
    assert failure.startswith(f"{base}v1/health:") and "503" in failure
    state.update(status=200, body={"nothing": "here"})
    assert smoke.check("prod", read)  # a 200 that is not the app's health is no success
    assert smoke.check("staging", read) == [
        "stratigos-staging-api has no ApiUrl output: is the stage deployed here?"
    ]


def test_a_host_that_speaks_no_tls_accepts_no_old_tls(server: tuple[str, dict[str, Any]]) -> None:
    port = int(server[0].split(":")[2].split("/")[0])
    assert smoke.old_tls_accepted("127.0.0.1", port) is False


def test_the_workflow_context_names_the_account_region_commit_and_settings() -> None:
    environ = {
        "ACCOUNT": "222222222222",
        "REGION": "eu-west-1",
        "SHA": SHA,
        "SETTINGS": '{"alarm_email": "ops@desk.org"}',
    }
    assert stage_context("prod", environ) == {
        "account": "222222222222",
        "region": "eu-west-1",
        "commit": SHA,
        "stage:prod": {"alarm_email": "ops@desk.org"},
    }
    assert stage_context("prod", environ | {"COMMIT": "abc"})["commit"] == "abc"
    with pytest.raises(ValueError, match="ACCOUNT and REGION not set"):
        stage_context("prod", {"SETTINGS": "{}"})
    with pytest.raises(ValueError, match="STAGE_CONTEXT"):
        stage_context("prod", environ | {"SETTINGS": "[1]"})


# -- the release's smoke hook --------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b'{"statusCode": 200, "body": "{}"}', 200),
        (b'{"statusCode":503,"headers":{}}\x00\x00\x00\x00\x00\x00\x00\x00{"status":"down"}', 503),
        (b'{"errorMessage": "boom"}', 0),
        (b"not json", 0),
    ],
)
def test_the_hook_reads_a_proxy_or_a_streamed_answer(payload: bytes, status: int) -> None:
    assert hook.status_of(payload) == status


def test_the_hook_tests_the_version_the_deployment_moves_to() -> None:
    appspec = {
        "version": 0.0,
        "Resources": [
            {
                "api": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": "f",
                        "Alias": "live",
                        "CurrentVersion": "6",
                        "TargetVersion": "7",
                    },
                }
            }
        ],
    }
    deployment = {
        "deploymentInfo": {"revision": {"appSpecContent": {"content": json.dumps(appspec)}}}
    }
    assert hook.target_version(deployment) == "7"
    sent = []

    def invoke(**request: Any) -> dict[str, Any]:
        sent.append((request["FunctionName"], request["Qualifier"], json.loads(request["Payload"])))
        healthy = json.loads(request["Payload"])["path"] == "/v1/health/live"
        return {"Payload": io.BytesIO(json.dumps({"statusCode": 200 if healthy else 503}).encode())}

    assert hook.smoke(invoke, "stratigos-prod-api", "7") == ["GET /v1/health: 503"]
    assert [(f, v, p["path"], p["httpMethod"]) for f, v, p in sent] == [
        ("stratigos-prod-api", "7", "/v1/health/live", "GET"),
        ("stratigos-prod-api", "7", "/v1/health", "GET"),
    ]
