"""Who is calling: API keys (default) and Cognito JWT bearer tokens (when configured).

- `x-api-key: <key>`: verified against the store's keyed hashes (`stratigos keys create`); the
  caller is the key's owner. Verified keys are remembered for `KEY_CACHE_SECONDS`, so a revoked
  key stops working within that time in every process.
- `Authorization: Bearer <jwt>`: accepted when `api_cognito_issuer` is set. The token must be
  an RS256 Cognito id or access token from that issuer, unexpired, issued for
  `api_cognito_audience` (`aud` of id tokens, `client_id` of access tokens) when set; keys come
  from the pool's JWKS, cached for `api_jwks_cache_seconds`. The caller is `cognito:<sub>`.
  With `api_cognito_required_group`, a valid token outside that group is refused with 403.

Anything else is 401 (`UNAUTHENTICATED`) naming what was wrong, never which keys exist.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from api.errors import ApiError
from settings import Settings
from store import NotFoundError, Store

if TYPE_CHECKING:
    import jwt

KEY_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: `owner` scopes every resource it touches."""

    owner: str
    method: Literal["api_key", "jwt"]
    credential_id: str
    """The API key's id, or the token's `sub`: what the rate limit counts against."""


def unauthenticated(message: str) -> ApiError:
    """401 with a `WWW-Authenticate` challenge."""
    return ApiError(
        401,
        "UNAUTHENTICATED",
        message,
        [("header", message)],
        headers={"WWW-Authenticate": 'ApiKey header="x-api-key", Bearer'},
    )


class Authenticator:
    """Turns request credentials into a `Principal` (thread-safe; one per app)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._keys: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._jwks: jwt.PyJWKClient | None = None
        if settings.api.cognito.issuer:
            import jwt  # with Cognito only: API keys need none of it

            url = settings.api.cognito.jwks_url or (
                settings.api.cognito.issuer.rstrip("/") + "/.well-known/jwks.json"
            )
            self._jwks = jwt.PyJWKClient(
                url, cache_keys=True, lifespan=int(settings.api.jwks_cache_seconds), timeout=5
            )

    def authenticate(self, api_key: str | None, authorization: str | None) -> Principal:
        """The caller, or `ApiError` 401/403. A bearer token wins when Cognito is configured
        (behind API Gateway, `x-api-key` may then carry a usage-plan key instead)."""
        if authorization and self._jwks is not None and authorization.lower().startswith("bearer "):
            return self._jwt(authorization.split(" ", 1)[1].strip())
        if api_key:
            return self._api_key(api_key)
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise unauthenticated("the Authorization header must be 'Bearer <token>'")
            if self._jwks is None:
                raise unauthenticated(
                    "bearer tokens are not accepted here (no Cognito issuer is configured); "
                    "send an API key in the x-api-key header"
                )
            return self._jwt(token.strip())
        raise unauthenticated("missing credentials: send the x-api-key header or a bearer token")

    def _api_key(self, raw: str) -> Principal:
        now = time.monotonic()
        with self._lock:
            cached = self._keys.get(raw)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            key = self.store.verify_api_key(raw)
        except NotFoundError:
            raise unauthenticated("unknown or revoked API key") from None
        principal = Principal(owner=key.owner, method="api_key", credential_id=key.id)
        with self._lock:
            if len(self._keys) > 10_000:
                self._keys.clear()
            self._keys[raw] = (now + KEY_CACHE_SECONDS, principal)
        return principal

    def forget_keys(self) -> None:
        """Drop remembered keys (after a revocation in this process)."""
        with self._lock:
            self._keys.clear()

    def _jwt(self, token: str) -> Principal:
        import jwt

        assert self._jwks is not None
        settings = self.settings
        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                issuer=settings.api.cognito.issuer,
                options={"verify_aud": False, "require": ["exp", "iss", "sub"]},
                leeway=30,
            )
        except jwt.PyJWKClientConnectionError:
            raise ApiError(
                503, "UNAVAILABLE", "the identity provider's keys cannot be fetched; retry later"
            ) from None
        except jwt.PyJWTError as exc:
            raise unauthenticated(f"invalid bearer token: {exc}") from None
        use = claims.get("token_use")
        if use not in ("access", "id"):
            raise unauthenticated("invalid bearer token: token_use must be 'access' or 'id'")
        audience = settings.api.cognito.audience
        if audience:
            issued_for = claims.get("client_id") if use == "access" else claims.get("aud")
            if issued_for != audience:
                raise unauthenticated("invalid bearer token: issued for another app client")
        group = settings.api.cognito.required_group
        if group and group not in (claims.get("cognito:groups") or []):
            raise ApiError(
                403,
                "FORBIDDEN",
                f"this user is not in the group {group!r} required to use the API",
                [("header.authorization", f"not a member of {group!r}")],
            )
        sub = str(claims["sub"])
        return Principal(owner=f"cognito:{sub}", method="jwt", credential_id=sub)
