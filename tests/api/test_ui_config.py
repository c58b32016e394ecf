"""`GET /v1/ui-config` (how the web UI signs in: the user pool from the settings, or API keys)
and the page's Content-Security-Policy (connections to the API and that user pool alone)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.page_policy import content_security_policy
from api.routes.ui_config import cognito_origin, cognito_sign_in
from tests.api.conftest import make_settings

POOL = "eu-west-1_AbCdEf123"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"


def policy(text: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in text.split(";"))


def serve(data_dir: Path, cognito: dict[str, Any]) -> TestClient:
    from api.app import create_app

    settings = make_settings(data_dir, api={"job_workers": 0, "cognito": cognito})
    return TestClient(create_app(settings))


def test_without_a_user_pool_the_ui_signs_in_with_api_keys(tmp_path: Path) -> None:
    with serve(tmp_path, {}) as client:
        answer = client.get("/v1/ui-config")  # no credentials: the page asks before sign-in
        page = client.get("/")
    assert answer.status_code == 200 and answer.json() == {"cognito": None}
    assert policy(page.headers["content-security-policy"])["connect-src"] == "'self'"


def test_a_user_pool_and_its_client_sign_in_at_cognito_in_its_region(tmp_path: Path) -> None:
    with serve(tmp_path, {"issuer": ISSUER, "audience": "web-client"}) as client:
        answer = client.get("/v1/ui-config").json()
        page = client.get("/")
    assert answer == {
        "cognito": {
            "region": "eu-west-1",
            "user_pool_id": POOL,
            "client_id": "web-client",
            "endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
        }
    }
    rules = policy(page.headers["content-security-policy"])
    assert rules["connect-src"] == "'self' https://cognito-idp.eu-west-1.amazonaws.com"
    assert rules["script-src"] == "'self'" and rules["default-src"] == "'self'"
    assert rules["frame-ancestors"] == "'none'" and rules["object-src"] == "'none'"
    assert page.headers["x-frame-options"] == "DENY"


def test_an_issuer_without_its_client_id_leaves_the_key_form(tmp_path: Path) -> None:
    """Tokens are accepted (issuer set), but the UI cannot sign in without the client id."""
    with serve(tmp_path, {"issuer": ISSUER}) as client:
        assert client.get("/v1/ui-config").json() == {"cognito": None}


@given(
    issuer=st.one_of(
        st.text(max_size=80),
        st.builds(
            lambda host, pool: f"https://{host}/{pool}",
            st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True),
            st.one_of(
                st.text(alphabet="abcdefghij-_0123456789/; ", max_size=30),
                st.from_regex(r"[a-z]{2}-[a-z]{4,9}-[1-3]_[A-Za-z0-9]{1,12}", fullmatch=True),
            ),
        ),
    ),
    endpoint=st.one_of(st.none(), st.just("http://127.0.0.1:5000/")),
)
def test_any_issuer_gives_a_pool_of_its_own_or_none(issuer: str, endpoint: str | None) -> None:
    """Whatever the issuer, the UI gets a user pool `<region>_<id>` named by the issuer's last
    segment, or none; the policy allows that one address's origin alone besides the API."""
    settings = make_settings(
        Path("/nonexistent"),
        api={"cognito": {"issuer": issuer or None, "audience": "c", "endpoint": endpoint}},
    )
    sign_in = cognito_sign_in(settings)
    connect = policy(content_security_policy(cognito_origin(settings)))["connect-src"].split(" ")
    if sign_in is None:
        assert connect == ["'self'"] and cognito_origin(settings) is None
        return
    region, _, rest = sign_in.user_pool_id.partition("_")
    assert region == sign_in.region and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", region)
    assert rest.isalnum() and rest.isascii()
    assert issuer.rstrip("/").endswith(sign_in.user_pool_id)
    expected = endpoint or f"https://cognito-idp.{region}.amazonaws.com/"
    assert sign_in.endpoint == expected
    assert connect == ["'self'", expected.rstrip("/")]


def test_an_endpoint_that_would_widen_the_policy_is_refused() -> None:
    """`api.cognito.endpoint` goes into the page's policy: a value with a separator is refused
    when the settings are read."""
    with pytest.raises(ValueError, match="STRATIGOS_API_COGNITO_ENDPOINT"):
        make_settings(
            Path("/nonexistent"), api={"cognito": {"endpoint": "https://x; script-src *"}}
        )
