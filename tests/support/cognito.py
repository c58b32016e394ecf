"""Cognito-style bearer tokens for the API's tests: real RS256 JWTs signed with keys made here,
whose JWKS a small HTTP server on 127.0.0.1 serves (the app fetches it as it would the user
pool's)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "client-abc"
GROUP = "portfolio-managers"
KID = "test-key-1"


class Jwks:
    """A JWKS endpoint on 127.0.0.1 and the RSA key it publishes (plus a key it does not)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=KID, use="sig", alg="RS256")
        body = json.dumps({"keys": [jwk]}).encode()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}/us-east-1_TestPool"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def token(
        self,
        use: str = "id",
        *,
        sub: str = "user-1",
        groups: list[str] | None = None,
        key: Any = None,
        kid: str = KID,
        **claims: Any,
    ) -> str:
        """A signed Cognito-like token: `use` "id" (aud = client id) or "access" (client_id)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": sub,
            "iss": self.issuer,
            "iat": now,
            "exp": now + 600,
            "token_use": use,
            "cognito:groups": [GROUP] if groups is None else groups,
        }
        if use == "id":
            payload["aud"] = CLIENT_ID
        else:
            payload["client_id"] = CLIENT_ID
            payload["scope"] = "openid"
        payload.update(claims)
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
