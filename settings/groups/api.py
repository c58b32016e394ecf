"""The HTTP API: sign-in with Cognito, request limits, CORS and its job workers
(`STRATIGOS_API_*`)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from settings.fields import SettingsGroup


class CognitoSettings(SettingsGroup):
    """The Cognito user pool whose JWT bearer tokens the API accepts besides API keys."""

    env_prefix: ClassVar[str] = "STRATIGOS_API_COGNITO_"

    issuer: str | None = Field(
        default=None,
        description="Accept Cognito JWT bearer tokens from this user pool issuer, e.g. "
        "https://cognito-idp.<region>.amazonaws.com/<pool id>; unset accepts API keys only.",
    )
    audience: str | None = Field(
        default=None, description="The app client id tokens must be issued for (aud/client_id)."
    )
    jwks_url: str | None = Field(
        default=None, description="JWKS address (default: <issuer>/.well-known/jwks.json)."
    )
    required_group: str | None = Field(
        default=None, description="Accept only tokens of users in this Cognito group."
    )


class ApiSettings(SettingsGroup):
    """Who the HTTP API (api/) accepts, how much and from which browser pages."""

    env_prefix: ClassVar[str] = "STRATIGOS_API_"

    cognito: CognitoSettings = Field(
        default_factory=CognitoSettings, description="Cognito bearer tokens."
    )
    jwks_cache_seconds: float = Field(default=3600.0, gt=0, description="Seconds.")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request body, bytes."
    )
    max_upload_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest dataset upload, bytes."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Sustained requests per minute per caller."
    )
    rate_limit_burst: int = Field(
        default=120, ge=1, description="Requests a caller may send at once before throttling."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API from their pages (CORS), e.g. "
        '["http://localhost:3000"] for agent-chat-ui, or ["*"]; empty: no CORS headers (only '
        "same-origin pages, such as the web UI, and non-browser clients).",
    )
    job_workers: int = Field(
        default=1,
        ge=0,
        description="Job worker threads inside the API process (0: workers run elsewhere, "
        "e.g. `python -m jobs.worker --handlers graphs.job_handlers`).",
    )

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            is_origin = (
                parts.scheme in ("http", "https")
                and parts.netloc
                and not (parts.path or parts.query or parts.fragment)
            )
            if origin != "*" and not is_origin:
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port] "
                    "(no path, no trailing slash), or *"
                )
        return value
