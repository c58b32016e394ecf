"""The HTTP API: sign-in with Cognito, request limits, CORS and its job workers
(`STRATIGOS_API_*`)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from settings.cores import usable_cores
from settings.fields import SettingsGroup

THREADS_PER_CORE = 2
"""Request threads per core by default: enough to keep a core busy while one waits on the store
or the disk, few enough that the event loop still gets the interpreter lock often (at 200
clients, 8 busy threads on 2 cores cost 10-20 % more CPU per request than 3-4: issue 42)."""
MAX_DEFAULT_PROCESSES = 4
"""Most server processes `stratigos serve` starts by default, however many cores: each holds its
own app and market data (about 400 MB), and they share one store (SQLite: one writer at a
time)."""


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
    endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s;,'\"]+$",
        description="The Cognito Identity Provider address the web UI signs users in at "
        "(default https://cognito-idp.<region>.amazonaws.com/, the region from the issuer's "
        "user pool id); the page's Content-Security-Policy allows it alone besides the API.",
    )


class EstimatesEndpointSettings(SettingsGroup):
    """Where the API's instant estimates are computed: in its own process (the default), or by
    the strategy model's SageMaker serverless endpoint (`services.estimate_endpoint`)."""

    env_prefix: ClassVar[str] = "STRATIGOS_API_ESTIMATES_"

    endpoint_name: str | None = Field(
        default=None,
        description="The SageMaker endpoint that answers POST /v1/strategy-estimates (a deployed "
        "stack names its serverless endpoint, stratigos-<stage>-estimates); unset: the API "
        "computes estimates in its own process.",
    )
    endpoint_url: str | None = Field(
        default=None,
        description="Address of the SageMaker Runtime API (unset: AWS's in aws_region), e.g. a "
        "local serving container.",
    )
    aws_region: str | None = Field(
        default=None, description="Region of the endpoint (unset: the process's AWS region)."
    )
    timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds to wait for the endpoint's answer (a serverless endpoint that has "
        "scaled to zero starts a container first).",
    )


class ApiSettings(SettingsGroup):
    """Who the HTTP API (api/) accepts, how much and from which browser pages."""

    env_prefix: ClassVar[str] = "STRATIGOS_API_"

    cognito: CognitoSettings = Field(
        default_factory=CognitoSettings, description="Cognito bearer tokens."
    )
    estimates: EstimatesEndpointSettings = Field(
        default_factory=EstimatesEndpointSettings,
        description="Where instant estimates are computed.",
    )
    jwks_cache_seconds: float = Field(default=3600.0, gt=0, description="Seconds.")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest JSON request body, bytes."
    )
    max_upload_bytes: int = Field(
        default=20_971_520, ge=1024, description="Largest dataset upload, bytes."
    )
    rate_limit_per_minute: int = Field(
        default=1200,
        ge=1,
        description="Sustained requests per minute per caller (API key or token; failed "
        "sign-ins per client address): keeps one runaway client from taking the server, well "
        "above what a few open web UI tabs poll (about 2-4 requests per second each).",
    )
    rate_limit_burst: int = Field(
        default=120, ge=1, description="Requests a caller may send at once before throttling."
    )
    global_rate_limit_per_minute: int = Field(
        default=60_000,
        ge=1,
        description="Sustained requests per minute to this process from all callers together "
        "(beyond it: 503 with Retry-After); each process counts its own.",
    )
    global_rate_limit_burst: int = Field(
        default=2000, ge=1, description="Requests all callers together may send at once."
    )
    max_in_flight: int = Field(
        default=32,
        ge=1,
        description="Requests this process works on at once (admitted, not yet answered); "
        "beyond it a request is refused at once with 503 and Retry-After instead of queueing. "
        "Health checks are never counted nor refused.",
    )
    max_evaluations: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Full evaluations (POST /v1/strategy-estimates with evaluate: a strategy "
        "simulated on a search's paths, up to seconds each) this process runs at once; beyond "
        "it: 429 with Retry-After. Each process counts its own.",
    )
    max_estimates: int = Field(
        default=8,
        ge=1,
        le=256,
        description="Instant estimates (the strategy model's, in this process or from its "
        "endpoint) this process computes at once; beyond it: 429 with Retry-After.",
    )
    max_chat_searches: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Searches chats run in this process at once (an approved search runs in "
        "its turn, besides the job workers' searches); beyond it the chat says so and runs "
        "nothing.",
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Threads running the blocking part of requests (computations, store calls) "
        f"per process (None: {THREADS_PER_CORE} per core the process may use, 4 on 2 cores); "
        "more only adds contention for the interpreter.",
    )
    keep_alive_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="An idle kept-alive connection is closed after it."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="A connection whose request line and headers are not complete this long "
        "after it opened (or after the request's first byte, on a kept-alive connection) is "
        "closed.",
    )
    body_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="A request whose body is not complete this long after its headers is closed "
        "(time the server itself is not reading, e.g. an upload waiting for its turn, is not "
        "counted).",
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
        description="Job worker threads inside the API, in all of `stratigos serve`'s processes "
        "together (shared out among them, the first processes taking one more; 0: workers run "
        "elsewhere, e.g. `python -m jobs.worker --handlers graphs.job_handlers`).",
    )
    processes: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Server processes `stratigos serve` runs on its port (None: one per core "
        f"the command may use, at most {MAX_DEFAULT_PROCESSES}: 2 on 2 cores). One process is "
        "bounded by its interpreter lock to about one core; each holds its own app and market "
        "data (about 400 MB) and its own in-flight limit, rate buckets, request threads and "
        "store connections.",
    )

    def request_threads(self) -> int:
        """`threads`, or `THREADS_PER_CORE` per core this process may run on when unset
        (`settings.cores.usable_cores`: its affinity, within a container's CPU quota)."""
        if self.threads is not None:
            return self.threads
        return THREADS_PER_CORE * usable_cores()

    def server_processes(self) -> int:
        """`processes`, or one per core this process may run on (at most
        `MAX_DEFAULT_PROCESSES`; `settings.cores.usable_cores`) when unset."""
        if self.processes is not None:
            return self.processes
        return min(MAX_DEFAULT_PROCESSES, usable_cores())

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
