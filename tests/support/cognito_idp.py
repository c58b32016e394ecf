"""A loopback stand-in for Cognito's user-pool JSON API where moto does not model it: the SRP
sign-in's proof (moto answers USER_SRP_AUTH with random numbers and accepts any signature).

It speaks Cognito's wire format (POST /, `X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`,
`application/x-amz-json-1.1`, errors as `{"__type", "message"}` with status 400, CORS for a
browser page) for `InitiateAuth` (USER_SRP_AUTH, REFRESH_TOKEN_AUTH),
`RespondToAuthChallenge` (PASSWORD_VERIFIER) and `GlobalSignOut`, and verifies the password
proof as Cognito does: SRP-6a over RFC 5054's 3072-bit group with g = 2 and SHA-256, the
verifier `v = g^x` of `x = H(salt | H(poolName | userId | ":" | password))`, the key
`HKDF(S, salt=u, info="Caldera Derived Key")[:16]` and the signature
`HMAC-SHA256(key, poolName | userId | SECRET_BLOCK | TIMESTAMP)`. This is the reference the
browser's `api/web/srp.js` is checked against; its tokens are signed by `Jwks` (the API fetches
that JWKS as it would the user pool's).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.cognito import CLIENT_ID, Jwks

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
"""RFC 5054's 3072-bit prime (appendix A)."""
G = 2
TOKEN_SECONDS = 3600
TIMESTAMP = re.compile(
    r"(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12]\d|3[01]) \d\d:\d\d:\d\d UTC \d{4}"
)
"""Cognito's TIMESTAMP: `Tue Nov 3 09:05:07 UTC 2026`."""


def pad_hex(value: int) -> str:
    """A non-negative integer as even-length hex, `00` in front when its first digit is 8 or
    more (the bytes Cognito hashes)."""
    text = format(value, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdef" else text


def hex_hash(hex_digits: str) -> int:
    """SHA-256 of the bytes written in hex, as an integer."""
    return int(hashlib.sha256(bytes.fromhex(hex_digits)).hexdigest(), 16)


K = hex_hash(pad_hex(N) + pad_hex(G))


def password_secret(pool_name: str, user_id: str, password: str, salt: int) -> int:
    """x = H(salt | H(poolName | userId | ":" | password))."""
    identity = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    return hex_hash(pad_hex(salt) + identity)


def session_key(shared: int, u: int) -> bytes:
    """HKDF-SHA256 of S with salt u and info "Caldera Derived Key", 16 bytes."""
    prk = hmac.digest(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), "sha256")
    return hmac.digest(prk, b"Caldera Derived Key\x01", "sha256")[:16]


class CognitoFault(Exception):
    """An error answer: Cognito's `__type` and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _User:
    user_id: str
    salt: int
    verifier: int


@dataclass
class _Challenge:
    user: _User
    a_public: int
    b_secret: int
    b_public: int
    secret_block: str


@dataclass
class CognitoStandIn:
    """The stand-in on a free 127.0.0.1 port (`url`), signing tokens with `jwks`."""

    jwks: Jwks
    pool_name: str = "TestPool"
    users: dict[str, _User] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(action, auth flow or challenge name) of every call, in order."""
    _challenges: dict[str, _Challenge] = field(default_factory=dict)
    _refresh: dict[str, str] = field(default_factory=dict)
    _access: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_user(self, email: str, password: str) -> str:
        """A confirmed user signing in as `email`; returns its user id (the tokens' `sub`)."""
        user_id = secrets.token_hex(8)
        salt = int.from_bytes(secrets.token_bytes(16), "big")
        x = password_secret(self.pool_name, user_id, password, salt)
        self.users[email] = _User(user_id, salt, pow(G, x, N))
        return user_id

    def revoke(self, email: str) -> None:
        """Revoke every refresh token of `email`'s user (as an administrator's sign-out)."""
        user_id = self.users[email].user_id
        with self._lock:
            for token in [t for t, owner in self._refresh.items() if owner == user_id]:
                del self._refresh[token]

    # -- the API -----------------------------------------------------------------------------
    def answer(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Cognito's answer to `action` (raises CognitoFault)."""
        if action == "InitiateAuth":
            flow = str(body.get("AuthFlow"))
            self.calls.append((action, flow))
            if body.get("ClientId") != CLIENT_ID:
                raise CognitoFault("ResourceNotFoundException", "User pool client does not exist.")
            params = body.get("AuthParameters") or {}
            if flow == "USER_SRP_AUTH":
                return self._start(str(params.get("USERNAME", "")), str(params.get("SRP_A", "")))
            if flow == "REFRESH_TOKEN_AUTH":
                with self._lock:
                    user_id = self._refresh.get(str(params.get("REFRESH_TOKEN", "")))
                if user_id is None:
                    raise CognitoFault("NotAuthorizedException", "Refresh Token has been revoked")
                return {"AuthenticationResult": self._tokens(user_id, refresh=False)}
            raise CognitoFault("InvalidParameterException", f"auth flow {flow} is not enabled")
        if action == "RespondToAuthChallenge":
            self.calls.append((action, str(body.get("ChallengeName"))))
            return self._verify(body)
        if action == "GlobalSignOut":
            self.calls.append((action, ""))
            with self._lock:
                user_id = self._access.get(str(body.get("AccessToken", "")))
                if user_id is None:
                    raise CognitoFault("NotAuthorizedException", "Access Token has been revoked")
                for token in [t for t, owner in self._refresh.items() if owner == user_id]:
                    del self._refresh[token]
            return {}
        raise CognitoFault("InvalidAction", f"{action} is not served by this stand-in")

    def _start(self, username: str, srp_a: str) -> dict[str, Any]:
        user = self.users.get(username)
        a_public = int(srp_a, 16) if re.fullmatch(r"[0-9a-fA-F]+", srp_a) else 0
        if user is None:
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        if a_public % N == 0:
            raise CognitoFault("InvalidParameterException", "SRP_A is not valid")
        b_secret = int.from_bytes(secrets.token_bytes(128), "big")
        b_public = (K * user.verifier + pow(G, b_secret, N)) % N
        session = secrets.token_urlsafe(24)
        block = base64.b64encode(secrets.token_bytes(64)).decode()
        with self._lock:
            self._challenges[session] = _Challenge(user, a_public, b_secret, b_public, block)
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": session,
            "ChallengeParameters": {
                "SALT": format(user.salt, "x"),
                "SRP_B": format(b_public, "x"),
                "SECRET_BLOCK": block,
                "USERNAME": user.user_id,
                "USER_ID_FOR_SRP": user.user_id,
            },
        }

    def _verify(self, body: dict[str, Any]) -> dict[str, Any]:
        responses = body.get("ChallengeResponses") or {}
        with self._lock:
            challenge = self._challenges.pop(str(body.get("Session", "")), None)
        if challenge is None or body.get("ChallengeName") != "PASSWORD_VERIFIER":
            raise CognitoFault("NotAuthorizedException", "Invalid session for the user.")
        user = challenge.user
        timestamp = str(responses.get("TIMESTAMP", ""))
        if (
            responses.get("USERNAME") != user.user_id
            or responses.get("PASSWORD_CLAIM_SECRET_BLOCK") != challenge.secret_block
            or not TIMESTAMP.fullmatch(timestamp)
        ):
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        u = hex_hash(pad_hex(challenge.a_public) + pad_hex(challenge.b_public))
        shared = pow(challenge.a_public * pow(user.verifier, u, N) % N, challenge.b_secret, N)
        message = (
            self.pool_name.encode()
            + user.user_id.encode()
            + base64.b64decode(challenge.secret_block)
            + timestamp.encode()
        )
        expected = base64.b64encode(hmac.digest(session_key(shared, u), message, "sha256"))
        given = str(responses.get("PASSWORD_CLAIM_SIGNATURE", "")).encode()
        if not hmac.compare_digest(expected, given):
            raise CognitoFault("NotAuthorizedException", "Incorrect username or password.")
        return {
            "AuthenticationResult": self._tokens(user.user_id, refresh=True),
            "ChallengeParameters": {},
        }

    def _tokens(self, user_id: str, *, refresh: bool) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "jti": secrets.token_hex(8),
        }
        access = self.jwks.token("access", sub=user_id, **claims)
        result: dict[str, Any] = {
            "IdToken": self.jwks.token("id", sub=user_id, **claims),
            "AccessToken": access,
            "ExpiresIn": TOKEN_SECONDS,
            "TokenType": "Bearer",
        }
        with self._lock:
            self._access[access] = user_id
            if refresh:
                result["RefreshToken"] = secrets.token_urlsafe(32)
                self._refresh[result["RefreshToken"]] = user_id
        return result

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
                self.send_header("Access-Control-Allow-Headers", "content-type, x-amz-target")
                self.send_header("Access-Control-Allow-Methods", "POST")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def do_POST(self) -> None:
                target = self.headers.get("X-Amz-Target", "")
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                    if not target.startswith("AWSCognitoIdentityProviderService."):
                        raise CognitoFault("UnknownOperationException", target)
                    status, answer = 200, outer.answer(target.rsplit(".", 1)[1], body)
                except CognitoFault as fault:
                    status, answer = 400, {"__type": fault.kind, "message": str(fault)}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self._cors()
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
