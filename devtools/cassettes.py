"""Cassette files and the process around a recorded or replayed session.

- Where cassettes live (`cassette_paths`, `default_cassettes_dir`) and what never enters one
  (`FILTERED_HEADERS`, `check_cassette_secrets`).
- The vcrpy configuration (`vcr_for`): every recorded URI is rewritten to the regional Bedrock
  host (an OpenAI-compatible session's to `OPENAI_REPLAY_HOST`, its path kept), so cassettes
  recorded against the real service or a local endpoint on any port replay the same; requests
  match on method, host, path and the body (`devtools.matching.bedrock_body_matcher`). vcrpy 9.4
  patches httpx2's transports, which the openai client (3.x) sends through.
- The environment a session runs in (`session_environment`): settings for the Bedrock API of the
  session, fake credentials, no LangSmith tracing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from devtools.matching import bedrock_body_matcher

Api = Literal["converse", "converse-stream", "invoke", "openai", "openai-stream"]
"""The API a session goes through (a cassette replays only in the API it was recorded with):
Bedrock chat models through Converse or ConverseStream, embeddings through InvokeModel
(``invoke``: a session that calls no chat model); an OpenAI-compatible server's Chat Completions,
plain (``openai``) or streamed (``openai-stream``)."""

OPENAI_REPLAY_HOST = "http://openai-compatible.invalid"
"""The host every recorded OpenAI-compatible request is rewritten to (the recording server's
address and port never enter a cassette; replays send their requests here, to vcrpy)."""

OPENAI_REPLAY_KEY = "replay-placeholder-key"
"""The API key a replay sends (the recorded key never enters a cassette)."""


def provider_of(api: Api) -> Literal["bedrock", "openai"]:
    """The model provider a session's API belongs to."""
    return "openai" if api.startswith("openai") else "bedrock"


REPOSITORY_CASSETTES = Path(__file__).resolve().parents[1] / "tests" / "cassettes"
"""The shipped cassettes of a Stratigos checkout."""

FILTERED_HEADERS: tuple[str, ...] = (
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "user-agent",
    "x-amz-content-sha256",
    "api-key",
    "openai-organization",
    "openai-project",
    "x-stainless-arch",
    "x-stainless-os",
    "x-stainless-runtime-version",
    "x-stainless-package-version",
    "x-stainless-runtime",
    "x-stainless-lang",
    "x-stainless-async",
    "x-stainless-retry-count",
    "x-stainless-read-timeout",
    "x-stainless-raw-response",
    "host",
)
"""Request headers never written to a cassette (signatures, tokens, per-call ids)."""

MATCH_ON: tuple[str, ...] = ("method", "host", "path", "bedrock_body")
"""How a request finds its recorded interaction."""

FAKE_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "AKIDREPLAYFAKE000000",
    "AWS_SECRET_ACCESS_KEY": "replay-fake-secret-not-a-credential",
}
"""botocore signs every request, so a replay needs some credentials: these, never real ones."""


def default_cassettes_dir() -> Path:
    """``tests/cassettes`` of the Stratigos checkout when running from one, else ``./cassettes``."""
    return REPOSITORY_CASSETTES if REPOSITORY_CASSETTES.is_dir() else Path.cwd() / "cassettes"


def cassette_paths(name: str, directory: str | Path | None = None) -> tuple[Path, Path]:
    """``(<dir>/<name>.yaml, <dir>/<name>.snapshot.json)``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError(f"cassette name {name!r}: use letters, digits, '.', '_' and '-'")
    folder = Path(directory) if directory is not None else default_cassettes_dir()
    return folder / f"{name}.yaml", folder / f"{name}.snapshot.json"


def regional_host(region: str) -> str:
    """``https://bedrock-runtime.{region}.amazonaws.com``."""
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def _normalise_request(host: str) -> Callable[[Any], Any]:

    def before_record_request(request: Any) -> Any:
        path = request.uri.split("://", 1)[-1]
        path = path[path.find("/") :] if "/" in path else "/"
        request.uri = host + path
        for name in list(request.headers):
            if name.lower() in FILTERED_HEADERS:
                del request.headers[name]
        return request

    return before_record_request


def _normalise_response(response: dict[str, Any]) -> dict[str, Any] | None:
    """Keep no throttling or server-error responses (botocore retried them while recording;
    replays run without retries), and no per-call request ids or dates."""
    status = int((response.get("status") or {}).get("code", 200))
    if status == 429 or status >= 500:
        return None
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in ("date", "x-amzn-requestid", "x-request-id", "openai-processing-ms"):
            del headers[name]
    return response


def vcr_for(region: str, record_mode: str, provider: str = "bedrock") -> Any:
    """The vcrpy `VCR` used to record (``record_mode="all"``) and replay (``"none"``) a
    session of `provider` (``bedrock``: URIs on the regional host; ``openai``: on
    `OPENAI_REPLAY_HOST`)."""
    import vcr

    host = OPENAI_REPLAY_HOST if provider == "openai" else regional_host(region)
    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=list(FILTERED_HEADERS),
        before_record_request=_normalise_request(host),
        before_record_response=_normalise_response,
        decode_compressed_response=True,
        serializer="yaml",
    )
    recorder.register_matcher("bedrock_body", bedrock_body_matcher)
    return recorder


# --------------------------------------------------------------------------------------------
# Process environment for a session
# --------------------------------------------------------------------------------------------

CLEARED_AWS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_BEARER_TOKEN_BEDROCK",
)


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables; restore them and the settings cache."""
    from settings.config import get_settings

    def apply(settings: Mapping[str, str | None]) -> None:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()

    saved = {name: os.environ.get(name) for name in values}
    try:
        apply(values)
        yield
    finally:
        apply(saved)


EMBEDDINGS_ON_BEDROCK = {
    "STRATIGOS_EMBEDDING_PROVIDER": "bedrock",
    "STRATIGOS_EMBEDDING_CONCURRENCY": "1",
}
"""Sessions embed through Bedrock (InvokeModel) like their chat models, so embedding calls are
recorded and replayed too; one call at a time, because vcrpy puts the original connection
classes back process-wide while it opens a real connection (at record and at replay), so a
connection another thread opens meanwhile would escape the cassette."""


EMBEDDINGS_OFFLINE = {"STRATIGOS_EMBEDDING_PROVIDER": "offline"}
"""Sessions on an OpenAI-compatible server embed offline (no Bedrock traffic to record)."""


def embedding_settings(embedding: Mapping[str, Any] | None) -> dict[str, str | None]:
    """Settings of a recorded session's embedder (a snapshot's ``embedding``: model id and
    dimensions; the defaults when the snapshot has none)."""
    embedding = embedding or {}
    model_id, dimensions = embedding.get("model_id"), embedding.get("dimensions")
    return EMBEDDINGS_ON_BEDROCK | {
        "STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID": str(model_id) if model_id else None,
        "STRATIGOS_EMBEDDING_DIMENSIONS": str(dimensions) if dimensions else None,
    }


TRACING_OFF = {
    "STRATIGOS_TRACING": "off",  # no spans (OTLP, X-Ray or LangSmith) recorded or sent
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
}


def api_settings(api: Api, *, retries: bool) -> dict[str, str]:
    """Settings for the models of a session: its provider, streaming only for
    ``converse-stream`` and ``openai-stream`` sessions, and a single attempt per call at replay
    (a retry would consume a recorded interaction)."""
    if provider_of(api) == "openai":
        env = {
            "STRATIGOS_MODEL_PROVIDER": "openai",
            "STRATIGOS_OPENAI_STREAMING": "true" if api == "openai-stream" else "false",
        }
        if not retries:
            env["STRATIGOS_OPENAI_MAX_RETRIES"] = "0"
        return env
    env = {"STRATIGOS_BEDROCK_STREAMING": "true" if api == "converse-stream" else "false"}
    if not retries:
        env["STRATIGOS_BEDROCK_MAX_ATTEMPTS"] = "1"
    return env


def model_settings(model_ids: Mapping[str, str]) -> dict[str, str]:
    """The settings naming a recorded session's models: Bedrock model ids, or the models of an
    OpenAI-compatible server (manifest ids ``openai:<model>``)."""
    if any(value.startswith("openai:") for value in model_ids.values()):
        models = {role: value.removeprefix("openai:") for role, value in model_ids.items()}
        return {"STRATIGOS_OPENAI_MODELS": json.dumps(models, sort_keys=True)}
    return {"STRATIGOS_BEDROCK_MODEL_IDS": json.dumps(dict(model_ids), sort_keys=True)}


_SECRET_PATTERNS = (
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
    re.compile(r"(?i)aws4-hmac-sha256"),
    re.compile(r"(?i)credential="),
    re.compile(r"(?i)signature="),
    re.compile(r"(?i)x-amz-security-token"),
    re.compile(r"(?i)aws_secret_access_key"),
    re.compile(r"(?i)authorization"),
    re.compile(r"(?i)bearer "),
    re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}"),
)


def secrets_in(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """What in `text` looks like a credential or a signature (patterns and `extra` literals)."""
    found = [p.pattern for p in _SECRET_PATTERNS if p.search(text)]
    found += [f"literal #{i}" for i, value in enumerate(extra) if value and value in text]
    return found


def check_cassette_secrets(path: str | Path) -> None:
    """Raise ValueError when the cassette holds a credential, a signature or the value of an
    AWS credential variable of this process."""
    text = Path(path).read_text(errors="replace")
    values = tuple(
        os.environ.get(k, "")
        for k in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "OPENAI_API_KEY",
            "STRATIGOS_OPENAI_API_KEY",
        )
    )
    found = secrets_in(text, tuple(v for v in values if len(v) >= 8))
    if found:
        raise ValueError(f"cassette {path} contains what looks like credentials: {found}")


def api_of_cassette(path: str | Path) -> Api:
    """The API of a cassette's chat model calls: ``openai-stream`` or ``openai`` (Chat
    Completions, streamed when any request asked to stream), ``converse-stream`` or ``converse``;
    ``invoke`` when it holds InvokeModel (embedding) calls only; ``converse`` when it holds
    none."""
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    uris = [i["request"]["uri"] for i in data.get("interactions") or []]
    if any(u.endswith("/chat/completions") for u in uris):
        bodies = [str(i["request"].get("body") or "") for i in data["interactions"]]
        streamed = any('"stream": true' in b or '"stream":true' in b for b in bodies)
        return "openai-stream" if streamed else "openai"
    if any(u.endswith("/converse-stream") for u in uris):
        return "converse-stream"
    if uris and all(u.endswith("/invoke") for u in uris):
        return "invoke"
    return "converse"
