"""Signing in like any web app, in Chromium, against moto's Cognito server on loopback: an
invited portfolio manager chooses a password, enrols an authenticator app, is signed in by the
API's acceptance of the pool's tokens, stays signed in for hours of the page's clock (refresh
tokens), signs out everywhere, and signs in again with the app's code; a forgotten password is
reset with the e-mailed code. No token is pasted.

moto models these calls (USER_SRP_AUTH without checking the proof: the proof is checked against
`tests.support.cognito_idp` in `test_ui_signin_srp.py`). TOTP codes are checked by moto
(`MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`) at a clock injected into its TOTP module, so a code
typed near the end of its 30 seconds cannot go stale on a slow machine; the page's clock is
Playwright's, so an hour passes without waiting.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from tests.browser.conftest import Server, serving
from tests.support.aws import moto_server
from tests.support.browser import visit

TEMPORARY = "Temporary-Passw0rd!"
CHOSEN = "Chosen-Passw0rd!long"
MOTO_NOW = 1_900_000_015.0
"""moto's TOTP clock (fixed): 15 s into a 30-second step."""


@dataclass
class Pool:
    """A moto user pool like the deployed one (e-mail sign-in, TOTP MFA required)."""

    url: str
    pool_id: str
    client_id: str
    idp: Any
    requests: list[tuple[str, str, str]]

    def invite(self, email: str) -> None:
        """AdminCreateUser: the user signs in first with `TEMPORARY`."""
        self.idp.admin_create_user(
            UserPoolId=self.pool_id,
            Username=email,
            TemporaryPassword=TEMPORARY,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )

    def password_is(self, email: str, password: str) -> bool:
        """Whether `password` is the user's (moto checks it in ADMIN_USER_PASSWORD_AUTH)."""
        try:
            self.idp.admin_initiate_auth(
                UserPoolId=self.pool_id,
                ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except self.idp.exceptions.NotAuthorizedException:
            return False
        return True


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    """moto on loopback with a user pool and its public web client; TOTP checked by moto at
    `MOTO_NOW`."""
    import moto.cognitoidp.utils as moto_totp

    class FixedClock:
        @staticmethod
        def time() -> float:
            return MOTO_NOW

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
        mp.setattr(moto_totp, "time", FixedClock)
        requests: list[tuple[str, str, str]] = []
        with moto_server(requests) as url:
            idp = boto3.client(
                "cognito-idp",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            pool_id = idp.create_user_pool(
                PoolName="stratigos-test-users",
                MfaConfiguration="ON",
                UsernameAttributes=["email"],
                AutoVerifiedAttributes=["email"],
                Policies={"PasswordPolicy": {"MinimumLength": 12}},
                AccountRecoverySetting={
                    "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                },
            )["UserPool"]["Id"]
            idp.set_user_pool_mfa_config(
                UserPoolId=pool_id,
                SoftwareTokenMfaConfiguration={"Enabled": True},
                MfaConfiguration="ON",
            )
            client_id = idp.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName="web",
                ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            )["UserPoolClient"]["ClientId"]
            yield Pool(url, pool_id, client_id, idp, requests)


@pytest.fixture(scope="module")
def server(pool: Pool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app accepting the pool's tokens and telling the UI to sign in there."""
    cognito = {
        "issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}",
        "audience": pool.client_id,
        "jwks_url": f"{pool.url}/{pool.pool_id}/.well-known/jwks.json",
        "endpoint": f"{pool.url}/",
    }
    with serving(tmp_path_factory, api={"cognito": cognito}) as running:
        yield running


def totp_now(secret: str, at: float = MOTO_NOW) -> str:
    """The authenticator app's code for `secret` (base32, as the page shows it) at `at`."""
    text = re.sub(r"\s", "", secret).upper()
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    totp = TOTP(key, 6, SHA1(), 30, enforce_key_length=False)
    return totp.generate(int(at)).decode()


class Traffic:
    """The page's calls to Cognito (action, auth flow) and the API's answers to it with the
    bearer token each carried."""

    def __init__(self, page: Any, server: Server, pool: Pool) -> None:
        self.cognito: list[tuple[str, str]] = []
        self.api: list[tuple[str, int, str | None]] = []
        self.confirmation_codes: list[str] = []

        def on_response(response: Any) -> None:
            request = response.request
            if request.url.startswith(pool.url):
                target = (request.headers.get("x-amz-target") or "").rsplit(".", 1)[-1]
                if target:
                    flow = json.loads(request.post_data or "{}").get("AuthFlow", "")
                    self.cognito.append((target, flow))
                code = response.headers.get("x-moto-forgot-password-confirmation-code")
                if code:
                    self.confirmation_codes.append(code)
            elif request.url.startswith(f"{server.url}/v1/"):
                auth = request.header_value("authorization")
                self.api.append((request.url, response.status, auth))

        page.on("response", on_response)

    def bearers(self) -> list[str]:
        """The distinct bearer tokens the API was sent, in order."""
        seen: list[str] = []
        for _, _, auth in self.api:
            if auth and auth.startswith("Bearer ") and auth[7:] not in seen:
                seen.append(auth[7:])
        return seen


def open_signin(page: Any, server: Server) -> None:
    page.goto(server.url)
    page.wait_for_selector("#signin")


def sign_in(page: Any, email: str, password: str) -> None:
    page.fill("#signin-email", email)
    page.fill("#signin-password", password)
    page.click("#signin button[type=submit]")


def claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return parsed


def signed_in(page: Any) -> None:
    page.wait_for_selector("#nav:not([hidden])")
    assert page.locator("#signin").count() == 0


def test_an_invited_pm_enrols_mfa_stays_signed_in_for_hours_and_signs_out(
    page: Any, server: Server, pool: Pool
) -> None:
    """The done-when journey: invited, a password chosen, TOTP enrolled, signed in (the API
    accepts the ID token), still signed in two hours later on the page's clock (refreshed,
    each token used before its end), signed out everywhere (the refresh token revoked), signed
    in again with the app's code."""
    email = "pm.invited@example.com"
    pool.invite(email)
    traffic = Traffic(page, server, pool)
    page.clock.install()
    open_signin(page, server)
    assert page.locator("#api-key").count() == 0  # the user pool's form, not the key box

    sign_in(page, email, TEMPORARY)
    page.wait_for_selector("#choose-password")
    page.fill("#new-password", CHOSEN)
    page.fill("#new-password-again", CHOSEN + "x")
    page.click("#choose-password button[type=submit]")
    page.wait_for_selector("#choose-password-message:has-text('differ')")
    page.fill("#new-password-again", CHOSEN)
    page.click("#choose-password button[type=submit]")

    page.wait_for_selector("#mfa-setup")
    secret = page.inner_text("#mfa-secret")
    uri = page.get_attribute("#mfa-uri", "href") or ""
    assert uri.startswith("otpauth://totp/Stratigos:pm.invited%40example.com?")
    plain_secret = re.sub(r"\s", "", secret)
    assert f"secret={plain_secret}" in uri and "issuer=Stratigos" in uri
    page.fill("#mfa-setup-code", totp_now(secret, MOTO_NOW - 60))  # an old code
    page.click("#mfa-setup button[type=submit]")
    page.wait_for_selector("#mfa-setup-message:has-text('not right')")
    page.fill("#mfa-setup-code", totp_now(secret))
    page.click("#mfa-setup button[type=submit]")
    signed_in(page)
    assert pool.password_is(email, CHOSEN) and not pool.password_is(email, TEMPORARY)

    visit(page, server, "jobs", "/v1/optimizations")
    first = traffic.bearers()
    assert len(first) == 1, (traffic.api, traffic.cognito)
    assert claims(first[0])["token_use"] == "id"
    assert claims(first[0])["aud"] == pool.client_id
    authenticated = [a for a in traffic.api if a[2]]
    assert authenticated and all(status == 200 for _, status, _ in authenticated), authenticated
    assert ("RespondToAuthChallenge", "") in traffic.cognito
    refresh = ("InitiateAuth", "REFRESH_TOKEN_AUTH")
    assert refresh not in traffic.cognito

    # The token lives an hour: refreshed five minutes before its end. After each refresh the
    # page reads the API: the read waits for a refresh in flight, so it carries the new token,
    # and the next hour's timer is set (from the new token's end) before the clock runs on.
    used = first[0]
    hours = enumerate((("portfolios", "/v1/portfolios"), ("jobs", "/v1/optimizations")), 1)
    for hour, (route, path) in hours:
        with page.expect_response(lambda r: "REFRESH_TOKEN_AUTH" in (r.request.post_data or "")):
            page.clock.run_for("56:00")
        assert traffic.cognito.count(refresh) == hour, traffic.cognito
        answer = visit(page, server, route, path)
        bearer = answer.request.header_value("authorization") or ""
        assert answer.status == 200 and bearer.startswith("Bearer ") and bearer[7:] != used
        assert claims(bearer[7:])["token_use"] == "id"
        used = bearer[7:]
    assert traffic.cognito.count(refresh) == 2, traffic.cognito
    tokens = traffic.bearers()
    assert len(tokens) == 3 and tokens[-1] == used
    assert all(status == 200 for _, status, auth in traffic.api if auth), traffic.api
    assert page.locator("#signin").count() == 0

    page.reload()  # the tab's session survives a reload (its refresh token)
    signed_in(page)

    refresh_token = page.evaluate("sessionStorage.getItem('stratigos.cognito.refresh')")
    assert refresh_token
    page.click("#sign-out")
    page.wait_for_selector("#signin-message:has-text('Signed out.')")
    assert ("GlobalSignOut", "") in traffic.cognito
    assert page.evaluate("sessionStorage.getItem('stratigos.cognito.refresh')") is None
    with pytest.raises(pool.idp.exceptions.NotAuthorizedException):
        pool.idp.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )

    sign_in(page, email, CHOSEN)
    page.wait_for_selector("#mfa")
    page.fill("#mfa-code", totp_now(secret))
    page.click("#mfa button[type=submit]")
    signed_in(page)
    assert page.problems == []


def test_a_forgotten_password_is_reset_with_the_emailed_code(
    page: Any, server: Server, pool: Pool
) -> None:
    """ForgotPassword, then the code (moto's e-mail, read from its answer) and a new password
    (ConfirmForgotPassword): the new password is the user's, and a wrong code is said."""
    email = "pm.forgetful@example.com"
    pool.invite(email)
    pool.idp.admin_set_user_password(
        UserPoolId=pool.pool_id, Username=email, Password=CHOSEN, Permanent=True
    )
    traffic = Traffic(page, server, pool)
    open_signin(page, server)
    page.fill("#signin-email", email)
    page.click("#forgot-password")
    page.wait_for_selector("#forgot")
    assert page.input_value("#reset-email") == email
    page.click("#forgot button[type=submit]")
    page.wait_for_selector("#reset")
    assert traffic.confirmation_codes, "moto sent no code"
    fresh = "Fresh-Passw0rd!again"
    page.fill("#reset-code", "moto-confirmation-code:000000")
    page.fill("#reset-password", fresh)
    page.fill("#reset-password-again", fresh)
    page.click("#reset button[type=submit]")
    page.wait_for_selector("#reset-message:has-text('expired')")
    assert pool.password_is(email, CHOSEN)
    page.fill("#reset-code", traffic.confirmation_codes[-1])
    page.click("#reset button[type=submit]")
    page.wait_for_selector("#signin-message:has-text('Your password is changed')")
    assert pool.password_is(email, fresh) and not pool.password_is(email, CHOSEN)
    assert page.input_value("#signin-email") == email
    assert page.problems == []


def test_the_page_allows_only_the_api_and_the_user_pool(server: Server, pool: Pool) -> None:
    """The page's Content-Security-Policy: its own scripts only, connections to itself and
    the user pool's address alone."""
    with server.client() as client:
        page = client.get("/")
        config = client.get("/v1/ui-config", headers={"x-api-key": ""}).json()
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == f"'self' {pool.url}"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert config == {
        "cognito": {
            "region": "us-east-1",
            "user_pool_id": pool.pool_id,
            "client_id": pool.client_id,
            "endpoint": f"{pool.url}/",
        }
    }
