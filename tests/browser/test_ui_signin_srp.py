"""The page's SRP proof (`api/web/srp.js`) against a reference kept in the tests
(`tests.support.cognito_idp`, which checks it as Cognito does: moto does not), in Chromium:
the right password signs in and the API accepts the stand-in's tokens, a wrong one is refused;
a session whose computer slept past its token's hour is refreshed before the next request, and
one whose refresh token was revoked meanwhile ends with the sign-in form saying so."""

from __future__ import annotations

import base64
import functools
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.browser.conftest import Server, serving
from tests.support.browser import visit
from tests.support.cognito import CLIENT_ID, Jwks
from tests.support.cognito_idp import (
    CognitoStandIn,
    G,
    K,
    N,
    hex_hash,
    pad_hex,
    password_secret,
    session_key,
)

EMAIL = "pm@example.com"
PASSWORD = "Right-Passw0rd!sesame"


@pytest.fixture(scope="module")
def idp() -> Iterator[CognitoStandIn]:
    jwks = Jwks()
    stand_in = CognitoStandIn(jwks)
    stand_in.add_user(EMAIL, PASSWORD)
    yield stand_in
    stand_in.close()
    jwks.close()


@pytest.fixture(scope="module")
def server(idp: CognitoStandIn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    cognito = {"issuer": idp.jwks.issuer, "audience": CLIENT_ID, "endpoint": idp.url}
    with serving(tmp_path_factory, api={"cognito": cognito}) as running:
        yield running


def sign_in(page: Any, server: Server, password: str) -> None:
    page.goto(server.url)
    page.wait_for_selector("#signin")
    page.fill("#signin-email", EMAIL)
    page.fill("#signin-password", password)
    page.click("#signin button[type=submit]")


def test_the_right_password_signs_in_and_a_wrong_one_is_refused(
    page: Any, server: Server, idp: CognitoStandIn
) -> None:
    sign_in(page, server, PASSWORD[:-1] + "?")
    page.wait_for_selector("#signin-message:has-text('Incorrect username or password.')")
    assert page.evaluate("sessionStorage.getItem('stratigos.cognito.refresh')") is None
    page.fill("#signin-password", PASSWORD)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("#nav:not([hidden])")
    answer = visit(page, server, "jobs", "/v1/optimizations")
    assert answer.status == 200
    assert (answer.request.header_value("authorization") or "").startswith("Bearer ey")
    assert idp.calls[-2:] == [
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", "PASSWORD_VERIFIER"),
    ]
    assert page.problems == []


def sleep(page: Any, hours: int) -> None:
    """The computer sleeps `hours`: the page's clock jumps ahead while none of its timers runs
    (they are counted in the clock's ticks, which `set_system_time` leaves alone), so the only
    refresh that can happen is the one before the next request, whatever the machine's load."""
    now = datetime.fromtimestamp(page.evaluate("() => Date.now()") / 1000, UTC)
    page.clock.set_system_time(now + timedelta(hours=hours))


def signed_in_on_a_fake_clock(page: Any, server: Server, route: str, path: str) -> str | None:
    """Sign in with the page's clock under the test's control, open `#/<route>`; the
    credential its read of `path` carried."""
    page.clock.install()
    sign_in(page, server, PASSWORD)
    page.wait_for_selector("#nav:not([hidden])")
    token: str | None = visit(page, server, route, path).request.header_value("authorization")
    return token


def test_a_session_is_refreshed_after_a_sleep_and_ends_when_revoked(
    page: Any, server: Server, idp: CognitoStandIn
) -> None:
    token = signed_in_on_a_fake_clock(page, server, "jobs", "/v1/optimizations")
    sleep(page, hours=2)
    refreshes = idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH"))
    after = visit(page, server, "portfolios", "/v1/portfolios")
    assert after.status == 200 and after.request.header_value("authorization") != token
    assert idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH")) == refreshes + 1

    idp.revoke(EMAIL)  # signed out by an administrator meanwhile
    sleep(page, hours=2)
    page.evaluate("() => { window.location.hash = '#/jobs'; }")
    page.wait_for_selector("#signin-message:has-text('your session has ended')")
    assert page.evaluate("() => sessionStorage.getItem('stratigos.cognito.refresh')") is None
    assert page.problems == []


def test_an_open_page_refreshes_its_session_five_minutes_before_the_token_expires(
    page: Any, server: Server, idp: CognitoStandIn
) -> None:
    token = signed_in_on_a_fake_clock(page, server, "portfolios", "/v1/portfolios")
    refreshes = idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH"))
    page.clock.run_for("54:00")  # the hour's token has six minutes left: not yet
    assert idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH")) == refreshes
    with page.expect_response(lambda r: r.url.startswith(idp.url)) as refreshed:
        page.clock.run_for("01:01")  # five minutes before the end, without any request
    assert refreshed.value.ok
    assert idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH")) == refreshes + 1
    after = visit(page, server, "jobs", "/v1/optimizations")
    assert after.status == 200 and after.request.header_value("authorization") != token
    assert idp.calls.count(("InitiateAuth", "REFRESH_TOKEN_AUTH")) == refreshes + 1
    assert page.problems == []


def reference_signature(
    a: int, salt: int, b_public: int, block: bytes, user: str, password: str, when: str
) -> str:
    """The client's PASSWORD_CLAIM_SIGNATURE, computed the plain way from the protocol."""
    a_public = public_value(a)
    u = hex_hash(pad_hex(a_public) + pad_hex(b_public))
    x = password_secret("TestPool", user, password, salt)
    shared = pow((b_public - K * pow(G, x, N)) % N, a + u * x, N)
    message = b"TestPool" + user.encode() + block + when.encode()
    return base64.b64encode(hmac.digest(session_key(shared, u), message, "sha256")).decode()


@functools.lru_cache(maxsize=1)
def public_value(a: int) -> int:
    """A = g^a mod N (the page is given it, and the reference uses it again: computed once)."""
    return pow(G, a, N)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    a=st.integers(min_value=1, max_value=2**1024),
    salt=st.integers(min_value=0, max_value=2**128),
    b_public=st.integers(min_value=1, max_value=N - 1),
    block=st.binary(min_size=1, max_size=96),
    user=st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36),
    password=st.text(min_size=1, max_size=40).filter(lambda p: "\x00" not in p),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
)
def test_the_pages_proof_equals_the_reference(
    page: Any,
    server: Server,
    a: int,
    salt: int,
    b_public: int,
    block: bytes,
    user: str,
    password: str,
    seconds: int,
) -> None:
    """srp.js's signature and timestamp equal the reference's for any numbers, salts with
    leading zero bytes or a high first bit (the padded hex), any password text."""
    if page.url == "about:blank":
        page.goto(server.url)
    when = datetime.fromtimestamp(seconds, UTC)
    answer = page.evaluate(
        """async ([aHex, AHex, salt, B, block, user, password, ms]) => {
            const srp = await import("/static/srp.js");
            const start = { a: BigInt("0x" + aHex), A: BigInt("0x" + AHex) };
            const params = { SALT: salt, SRP_B: B, SECRET_BLOCK: block, USER_ID_FOR_SRP: user };
            return srp.passwordVerifier({
                start, params, poolId: "us-east-1_TestPool", password, now: new Date(ms),
            });
        }""",
        [
            format(a, "x"),
            format(public_value(a), "x"),
            format(salt, "x"),
            format(b_public, "x"),
            base64.b64encode(block).decode(),
            user,
            password,
            seconds * 1000,
        ],
    )
    stamp = f"{when:%a %b} {when.day} {when:%H:%M:%S} UTC {when.year}"
    assert answer["TIMESTAMP"] == stamp
    expected = reference_signature(a, salt, b_public, block, user, password, stamp)
    assert answer["PASSWORD_CLAIM_SIGNATURE"] == expected
