"""Recording agent runs' Bedrock traffic as vcrpy cassettes, and replaying them offline.

A **scripted session** (`SESSIONS`) drives a graph the way a user would: the optimization
workflow on a small request, or a chat with tool calls and an approval interrupt. `record(name)`
runs one against Amazon Bedrock (when AWS credentials are configured and no endpoint override is
set) or else against the local Bedrock-compatible endpoint (`devtools.local_bedrock.serve()`, with
fake credentials), and writes

- ``<dir>/<name>.yaml``: the vcrpy cassette, every Converse / ConverseStream request and its
  response (event streams stored base64), credentials and signatures filtered out, the host
  rewritten to the regional Bedrock host ``https://bedrock-runtime.{region}.amazonaws.com``;
- ``<dir>/<name>.snapshot.json``: how to replay it (session, Bedrock API, region, model ids) and
  what the graph produced: best configuration, trial count, explanation text, the sequence of
  trace event types, and a subset of the run manifest (hashes of the request, prompts, tool
  schemas and data; seed; provider and model ids).

`replay(name)` runs the same session with vcrpy in record mode ``none`` against a Bedrock client
with no endpoint URL, fake credentials and no retries, and compares the outcome with the
snapshot (`ReplayReport.reproduced`, `ReplayReport.diff`). Requests match on method, host, path
and the JSON body's ``system``, ``messages`` and ``toolConfig`` (`bedrock_body_matcher`), so
parallel branches get their own responses; a request the cassette does not hold fails the run
with botocore's ``HTTPClientError`` ("Can't play back ...").

The Bedrock API (``converse`` or ``converse-stream``) is part of a session: langchain-aws streams
(ConverseStream) for Claude model ids whenever the graph is streamed with LangGraph's
``messages`` mode, which is how Stratigos runs graphs; the ``converse`` sessions turn streaming
off with the setting ``STRATIGOS_BEDROCK_STREAMING=false``. A cassette replays only in the mode it was
recorded in. See docs/recording.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from graphs.events import TraceEvent

SNAPSHOT_FORMAT = 1
"""Version of the snapshot file layout."""

CASSETTES_DIR = Path(__file__).resolve().parents[1] / "tests" / "cassettes"
"""Where cassettes go by default: the repository's ``tests/cassettes``."""

FILTERED_HEADERS: tuple[str, ...] = (
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "user-agent",
    "x-amz-content-sha256",
)
"""Request headers never written to a cassette (signatures, tokens, per-call ids)."""

MATCH_ON: tuple[str, ...] = ("method", "host", "path", "bedrock_body")
"""How a request finds its recorded interaction."""

BODY_KEYS: tuple[str, ...] = ("system", "messages", "toolConfig")
"""The request body fields `bedrock_body_matcher` compares."""

FAKE_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "AKIDREPLAYFAKE000000",
    "AWS_SECRET_ACCESS_KEY": "replay-fake-secret-not-a-credential",
}
"""botocore signs every request, so a replay needs some credentials: these, never real ones."""

Api = Literal["converse", "converse-stream"]

# --------------------------------------------------------------------------------------------
# Scripted sessions
# --------------------------------------------------------------------------------------------

SMALL_REQUEST: dict[str, Any] = {
    "universe": ["AAPL", "JNJ", "KO", "XOM"],
    "start": "2010-01-01",
    "end": "2022-12-28",
    "n_paths": 20,
    "horizon": 126,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.25},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 84, "step": 21},
        "rebalance_every": {"low": 5, "high": 40, "step": 5},
        "cost_bps": 5.0,
    },
    "budget": {"max_trials": 12, "batch_size": 6},
    "seed": 7,
}
"""A small, fast optimization request (two batches of six trials, 20 paths per scenario)."""

CHAT_MESSAGES: tuple[str, ...] = (
    "What is the CVaR of AAPL and KO since 2019?",
    "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018",
    "what's the 99% CVaR of that?",
    "find the target-vol setting that holds up in a bear market with 20 trials "
    "for AAPL, JNJ, KO and XOM since 2010",
)
"""The chat session's user messages; the last one drafts a strategy search (an approval)."""

CHAT_EDIT: dict[str, Any] = {
    "n_paths": 20,
    "horizon": 126,
    "search_space": SMALL_REQUEST["search_space"],
    "budget": {"max_trials": 12, "batch_size": 6},
}
"""The edit the chat session approves the drafted search with (small, so it runs fast)."""


@dataclass(frozen=True)
class Session:
    """A scripted session: which script (`kind`) and which Bedrock API it goes through."""

    name: str
    kind: Literal["optimization", "chat"]
    api: Api
    description: str


SESSIONS: dict[str, Session] = {
    "optimization": Session(
        "optimization",
        "optimization",
        "converse",
        "the optimization workflow on a small request (Converse)",
    ),
    "chat": Session(
        "chat",
        "chat",
        "converse",
        "a chat: a risk question, a portfolio and a follow-up on its risk, then a strategy "
        "search approved with small edits (Converse)",
    ),
    "optimization-stream": Session(
        "optimization-stream",
        "optimization",
        "converse-stream",
        "the optimization workflow on a small request, streamed (ConverseStream)",
    ),
}
"""The scripted sessions by name; `record(name)` uses the session of the same name unless told."""

_RUN_ID = re.compile(r"\brun_[0-9a-f]{12}\b")


def _normalise_ids(text: str) -> str:
    """Replace generated run ids by ``run_<id>`` (they differ on every execution)."""
    return _RUN_ID.sub("run_<id>", text)


def _optimization_outcome(result: dict[str, Any] | None, status: str) -> dict[str, Any]:
    result = result or {}
    best = result.get("best") or {}
    return {
        "status": result.get("status", status),
        "best_config": best.get("config"),
        "best_objective": best.get("objective"),
        "n_trials": result.get("n_trials"),
        "explanation": (result.get("explanation") or {}).get("text"),
    }


MANIFEST_KEYS: tuple[str, ...] = (
    "request_hash",
    "seed",
    "model_provider",
    "model_ids",
    "prompt_hashes",
    "tool_schema_hash",
    "dataset",
    "budgets",
)
"""The manifest fields a snapshot keeps and a replay compares (not times, versions or usage)."""


def manifest_subset(manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields of a run manifest that must be equal when a run is reproduced."""
    manifest = manifest or {}
    out = {key: manifest.get(key) for key in MANIFEST_KEYS}
    dataset = out.get("dataset")
    if isinstance(dataset, Mapping):
        out["dataset"] = dataset.get("sha256")
    return out


def _run_optimization_session(settings: Any) -> dict[str, Any]:
    from graphs.request import OptimizationRequest
    from graphs.run import run_optimization

    events: list[TraceEvent] = []
    request = OptimizationRequest.model_validate(SMALL_REQUEST)
    outcome = run_optimization(
        request, run_id="run_recorded", on_event=events.append, settings=settings
    )
    result = _optimization_outcome(outcome.result, outcome.status)
    result["event_types"] = [e.type for e in events]
    return {"result": result, "manifest": manifest_subset((outcome.result or {}).get("manifest"))}


def _run_chat_session(settings: Any) -> dict[str, Any]:
    from graphs.chat import ChatSession

    # a new thread each time: the assistant keeps each thread's tools (and their artifact
    # counters, which name portfolios) for the life of the process
    session = ChatSession(f"recorded-chat-{uuid.uuid4().hex[:8]}", settings=settings)
    turns: list[dict[str, Any]] = []
    event_types: list[str] = []
    for text in CHAT_MESSAGES:
        events: list[TraceEvent] = []
        turn = session.send(text, on_event=events.append)
        event_types += [e.type for e in events]
        turns.append(
            {
                "message": text,
                "replies": [_normalise_ids(r) for r in turn.replies],
                "tools": [e.data["tool"] for e in events if e.type == "tool_call"],
                "pending": turn.pending is not None,
            }
        )
    if session.pending() is None:
        raise RuntimeError("the chat session's search did not ask for approval")
    events = []
    turn = session.decide("edit", changes=CHAT_EDIT, on_event=events.append)
    event_types += [e.type for e in events]
    turns.append(
        {
            "message": "<approve with edits>",
            "replies": [_normalise_ids(r) for r in turn.replies],
            "tools": [e.data["tool"] for e in events if e.type == "tool_call"],
            "pending": turn.pending is not None,
        }
    )
    runs = sorted((settings.data_dir / "runs").glob("*/result.json"))
    if len(runs) != 1:
        raise RuntimeError(f"the approved search should have made one run, found {len(runs)}")
    stored = json.loads(runs[0].read_text())
    result = _optimization_outcome(stored, stored.get("status", "failed"))
    result["event_types"] = event_types
    result["turns"] = turns
    return {"result": result, "manifest": manifest_subset(stored.get("manifest"))}


_SCRIPTS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "optimization": _run_optimization_session,
    "chat": _run_chat_session,
}

# --------------------------------------------------------------------------------------------
# vcrpy configuration
# --------------------------------------------------------------------------------------------


def regional_host(region: str) -> str:
    """``https://bedrock-runtime.{region}.amazonaws.com``."""
    return f"https://bedrock-runtime.{region}.amazonaws.com"


def _body_json(request: Any) -> dict[str, Any] | None:
    body = request.body
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def bedrock_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the JSON bodies' ``system``, ``messages`` and ``toolConfig`` are equal.

    Raises AssertionError naming the first field that differs (vcrpy's matcher protocol).
    Other fields (``inferenceConfig``, ``toolChoice``, ...) and the JSON formatting are ignored.
    """
    a, b = _body_json(r1), _body_json(r2)
    if a is None or b is None:
        if r1.body != r2.body:
            raise AssertionError("bodies differ (not JSON)")
        return
    for key in BODY_KEYS:
        if a.get(key) != b.get(key):
            raise AssertionError(f"request bodies differ in {key!r}")


def _normalise_request(region: str) -> Callable[[Any], Any]:
    host = regional_host(region)

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
        if name.lower() in ("date", "x-amzn-requestid"):
            del headers[name]
    return response


def vcr_for(region: str, record_mode: str) -> Any:
    """The vcrpy `VCR` used to record (``record_mode="all"``) and replay (``"none"``)."""
    import vcr

    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=list(FILTERED_HEADERS),
        before_record_request=_normalise_request(region),
        before_record_response=_normalise_response,
        decode_compressed_response=True,
        serializer="yaml",
    )
    recorder.register_matcher("bedrock_body", bedrock_body_matcher)
    return recorder


# --------------------------------------------------------------------------------------------
# Process environment for a session
# --------------------------------------------------------------------------------------------

_CLEARED_AWS = (
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
def _environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables; restore them and the settings cache."""
    from settings.config import get_settings

    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


_TRACING_OFF = {
    "LANGSMITH_TRACING": "false",
    "LANGSMITH_TRACING_V2": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGCHAIN_TRACING": "false",
}


def _api_env(api: Api, *, retries: bool) -> dict[str, str]:
    """Settings for the Bedrock models of a session: plain Converse for ``converse`` sessions
    (streaming off), and a single attempt per call at replay (a retry would consume a recorded
    interaction)."""
    env = {"STRATIGOS_BEDROCK_STREAMING": "true" if api == "converse-stream" else "false"}
    if not retries:
        env["STRATIGOS_BEDROCK_MAX_ATTEMPTS"] = "1"
    return env


def _model_env(model_ids: Mapping[str, str]) -> dict[str, str]:
    return {"STRATIGOS_BEDROCK_MODEL_IDS": json.dumps(dict(model_ids), sort_keys=True)}


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


def cassette_paths(name: str, directory: str | Path | None = None) -> tuple[Path, Path]:
    """``(<dir>/<name>.yaml, <dir>/<name>.snapshot.json)``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError(f"cassette name {name!r}: use letters, digits, '.', '_' and '-'")
    folder = Path(directory) if directory is not None else CASSETTES_DIR
    return folder / f"{name}.yaml", folder / f"{name}.snapshot.json"


def real_bedrock_configured() -> bool:
    """True when the settings resolve to Bedrock with no endpoint override (real AWS)."""
    from settings.config import get_settings

    settings = get_settings()
    return settings.resolved_model_provider() == "bedrock" and not settings.bedrock_endpoint_url


def record(
    name: str,
    *,
    session: str | None = None,
    directory: str | Path | None = None,
    target: Literal["auto", "bedrock", "local"] = "auto",
) -> dict[str, Any]:
    """Run scripted session `session` (default: the one named `name`) and write its cassette
    and snapshot (overwriting earlier ones). Returns the snapshot.

    `target` ``auto`` records against Bedrock when `real_bedrock_configured()`, else against
    the local endpoint on loopback; ``bedrock`` / ``local`` force one.
    """
    spec = SESSIONS.get(session or name)
    if spec is None:
        raise ValueError(
            f"unknown session {session or name!r}; sessions: {', '.join(sorted(SESSIONS))}"
        )
    cassette, snapshot_path = cassette_paths(name, directory)
    use_real = real_bedrock_configured() if target == "auto" else target == "bedrock"
    cassette.parent.mkdir(parents=True, exist_ok=True)
    partial = cassette.with_suffix(".yaml.partial")
    partial.unlink(missing_ok=True)
    with contextlib.ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stratigos-rec-")))
        env: dict[str, str | None] = {
            **_TRACING_OFF,
            "STRATIGOS_DATA_DIR": str(data_dir),
            "STRATIGOS_MODEL_PROVIDER": "bedrock",
        }
        if not use_real:
            from devtools.local_bedrock import serve

            bedrock = stack.enter_context(serve())
            env |= dict.fromkeys(_CLEARED_AWS)
            env |= FAKE_CREDENTIALS
            env |= {
                "STRATIGOS_BEDROCK_ENDPOINT_URL": bedrock.url,
                "AWS_CONFIG_FILE": str(data_dir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(data_dir / "no-aws-credentials"),
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        stack.enter_context(_environment(env | _api_env(spec.api, retries=True)))
        from agents.models import model_ids
        from settings.config import Settings

        settings = Settings()
        region = settings.bedrock_region
        ids = model_ids(settings)
        with vcr_for(region, "all").use_cassette(str(partial)):
            produced = _SCRIPTS[spec.kind](settings)
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "name": name,
        "session": spec.name,
        "description": spec.description,
        "api": spec.api,
        "recorded_against": "bedrock" if use_real else "local-endpoint",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "region": region,
        "model_ids": ids,
        **produced,
    }
    check_cassette_secrets(partial)
    shutil.move(partial, cassette)
    snapshot_path.write_text(json.dumps(snapshot, indent=2, sort_keys=False) + "\n")
    return snapshot


_SECRET_PATTERNS = (
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
    re.compile(r"(?i)aws4-hmac-sha256"),
    re.compile(r"(?i)credential="),
    re.compile(r"(?i)signature="),
    re.compile(r"(?i)x-amz-security-token"),
    re.compile(r"(?i)aws_secret_access_key"),
    re.compile(r"(?i)authorization"),
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
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    )
    found = secrets_in(text, tuple(v for v in values if len(v) >= 8))
    if found:
        raise ValueError(f"cassette {path} contains what looks like credentials: {found}")


# --------------------------------------------------------------------------------------------
# Replaying
# --------------------------------------------------------------------------------------------


@dataclass
class ReplayReport:
    """The outcome of a replay: whether it reproduced the snapshot, and how it differs."""

    name: str
    reproduced: bool
    expected: dict[str, Any]
    actual: dict[str, Any] | None
    diff: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        """A readable report: "reproduced exactly", or the error and the differences."""
        if self.reproduced:
            return f"{self.name}: reproduced exactly"
        lines = [f"{self.name}: NOT reproduced"]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += [f"  {line}" for line in self.diff]
        return "\n".join(lines)


def load_snapshot(name: str, directory: str | Path | None = None) -> dict[str, Any]:
    """The snapshot saved with cassette `name`."""
    _, path = cassette_paths(name, directory)
    if not path.is_file():
        raise FileNotFoundError(f"no snapshot {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def resolve_cassette(ref: str | Path) -> tuple[str, Path]:
    """``(name, directory)`` of a cassette given as a name in tests/cassettes or a path to its
    ``.yaml`` (or ``.snapshot.json``). Raises FileNotFoundError if there is none."""
    text = str(ref)
    if text.endswith(".snapshot.json"):
        text = text[: -len(".snapshot.json")] + ".yaml"
    path = Path(text)
    if path.suffix != ".yaml" and len(path.parts) == 1:
        path = CASSETTES_DIR / f"{text}.yaml"
    if path.is_file():
        return path.stem, path.parent
    raise FileNotFoundError(f"no cassette {ref} (looked for {path})")


def list_cassettes(directory: str | Path | None = None) -> list[str]:
    """Names of the cassettes (with a snapshot) in `directory`, sorted."""
    folder = Path(directory) if directory is not None else CASSETTES_DIR
    return sorted(
        p.name[: -len(".snapshot.json")]
        for p in folder.glob("*.snapshot.json")
        if (folder / (p.name[: -len(".snapshot.json")] + ".yaml")).is_file()
    )


def replay_environment(snapshot: Mapping[str, Any], data_dir: str | Path) -> dict[str, str | None]:
    """The environment a replay runs in: Bedrock with no endpoint URL, the recording's region
    and model ids, fake credentials only (every other AWS variable removed, the shared AWS
    files pointed at paths that do not exist), no instance metadata, no LangSmith tracing."""
    data_dir = Path(data_dir)
    env: dict[str, str | None] = dict.fromkeys(_CLEARED_AWS)
    env |= FAKE_CREDENTIALS
    env |= _TRACING_OFF
    env |= _model_env(snapshot["model_ids"])
    env |= {
        "AWS_CONFIG_FILE": str(data_dir / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(data_dir / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": None,
        "AWS_REGION": None,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "bedrock",
        "STRATIGOS_BEDROCK_ENDPOINT_URL": None,
        "STRATIGOS_BEDROCK_REGION": str(snapshot["region"]),
        "STRATIGOS_BEDROCK_MAX_ATTEMPTS": "1",
    }
    return env


def run_session_under_replay(
    name: str, directory: str | Path | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replay cassette `name` (record mode ``none``) and return ``(snapshot, produced)``.

    Raises whatever the run raises: an unmatched request surfaces as botocore's
    ``HTTPClientError`` (vcrpy's ``CannotOverwriteExistingCassetteException``).
    """
    snapshot = load_snapshot(name, directory)
    cassette, _ = cassette_paths(name, directory)
    spec = SESSIONS[snapshot["session"]]
    api: Api = snapshot.get("api", spec.api)
    with contextlib.ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stratigos-rep-")))
        environment = replay_environment(snapshot, data_dir) | _api_env(api, retries=False)
        stack.enter_context(_environment(environment))
        from settings.config import Settings

        settings = Settings()
        with vcr_for(snapshot["region"], "none").use_cassette(
            str(cassette), allow_playback_repeats=False
        ):
            produced = _SCRIPTS[spec.kind](settings)
    return snapshot, produced


def compare(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Readable differences between two JSON-like values (empty when equal)."""
    where = path or "<root>"
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        out: list[str] = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing (expected {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{sub}: unexpected {_short(actual[key])}")
            else:
                out += compare(expected[key], actual[key], sub)
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if expected == actual:
            return []
        if all(isinstance(x, str) for x in expected + actual):
            return _sequence_diff(expected, actual, where)
        out = []
        if len(expected) != len(actual):
            out.append(f"{where}: {len(expected)} items expected, got {len(actual)}")
        for i, (a, b) in enumerate(zip(expected, actual, strict=False)):
            out += compare(a, b, f"{path}[{i}]")
        return out
    if expected != actual:
        return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 200) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sequence_diff(expected: list[str], actual: list[str], where: str) -> list[str]:
    import difflib

    lines = [f"{where}: sequences differ ({len(expected)} expected, {len(actual)} got)"]
    diff = difflib.unified_diff(expected, actual, "expected", "actual", n=2, lineterm="")
    lines += [f"  {line}" for line in list(diff)[2:42]]
    return lines


def replay(name: str, directory: str | Path | None = None) -> ReplayReport:
    """Replay cassette `name` offline and compare its outcome with the snapshot."""
    snapshot = load_snapshot(name, directory)
    expected = {"result": snapshot["result"], "manifest": snapshot["manifest"]}
    try:
        _, produced = run_session_under_replay(name, directory)
    except Exception as exc:
        return ReplayReport(name, False, expected, None, [], error=f"{type(exc).__name__}: {exc}")
    diff = compare(expected, produced)
    return ReplayReport(name, not diff, expected, produced, diff)


__all__ = [
    "CASSETTES_DIR",
    "FAKE_CREDENTIALS",
    "FILTERED_HEADERS",
    "MATCH_ON",
    "SESSIONS",
    "ReplayReport",
    "Session",
    "bedrock_body_matcher",
    "cassette_paths",
    "check_cassette_secrets",
    "compare",
    "list_cassettes",
    "load_snapshot",
    "manifest_subset",
    "real_bedrock_configured",
    "record",
    "regional_host",
    "replay",
    "replay_environment",
    "resolve_cassette",
    "run_session_under_replay",
    "secrets_in",
    "vcr_for",
]
