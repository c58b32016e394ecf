"""Recording agent runs' Bedrock traffic as vcrpy cassettes.

`record(name, script=...)` runs a `Script` (an optimization request or a chat script; see
`devtools.scripts`) against Amazon Bedrock (when AWS credentials are configured and no endpoint
override is set) or else against the local Bedrock-compatible endpoint
(`devtools.local_bedrock.serve()`, with fake credentials), and writes

- ``<dir>/<name>.yaml``: the vcrpy cassette, every Converse / ConverseStream request and every
  InvokeModel (embedding) request, and its response (event streams stored base64), credentials and signatures filtered out, the host
  rewritten to the regional Bedrock host;
- ``<dir>/<name>.snapshot.json``: how to replay it (the script, the Bedrock API, region, model
  ids and the embedding model) and what it produced (`devtools.scripts.run_script`'s ``result`` and ``manifest``).

`recording(name)` is the same as a context manager around any code (the command line's
``optimize --record`` and ``chat --record`` record a person's session as it happens).
Built-in sessions (`SESSIONS`) are the shipped cassettes' scripts. See docs/recording.md.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from devtools.cassettes import (
    CLEARED_AWS,
    EMBEDDINGS_OFFLINE,
    EMBEDDINGS_ON_BEDROCK,
    FAKE_CREDENTIALS,
    TRACING_OFF,
    Api,
    api_of_cassette,
    api_settings,
    cassette_paths,
    check_cassette_secrets,
    environment,
    provider_of,
    vcr_for,
)
from devtools.scripts import (
    Script,
    chat_script,
    embedding_script,
    mcp_script,
    optimization_script,
    run_script,
)
from settings import OPENAI_DEFAULT_BASE_URL

SNAPSHOT_FORMAT = 2
"""Version of the snapshot file layout (2: the script is stored in the snapshot)."""

Target = Literal["auto", "bedrock", "local"]

# --------------------------------------------------------------------------------------------
# Built-in sessions (the shipped cassettes)
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

RISK_REQUEST: dict[str, Any] = {**SMALL_REQUEST, "risk_limits": {"max_drawdown": 0.25}}
"""`SMALL_REQUEST` with a drawdown limit: the risk manager gates each round's candidates."""

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

MCP_MESSAGES: tuple[str, ...] = (
    "What is the 95% CVaR of AAPL and KO since 2019?",
    CHAT_MESSAGES[3],
)
"""The MCP session's user messages: a risk question, then a strategy search (only drafted)."""

EMBEDDING_TEXTS: tuple[str, ...] = (
    "Energy stocks fell 12% in March as crude oil inventories rose.",
    "Utilities and consumer staples are defensive sectors.\nThey hold up in bear markets.",
    "Semiconductor demand drives the technology sector's earnings.",
    "Energy stocks fell 12% in March as crude oil inventories rose.",
    "   ",
)
"""The embedding session's texts: a repeated text is embedded once, a blank one not at all."""


@dataclass(frozen=True)
class Session:
    """A built-in session: its script, the Bedrock API it goes through, and what it shows."""

    name: str
    script: Script
    api: Api
    description: str
    environment: Mapping[str, str] = field(default_factory=dict)
    """Settings the session records with (the previous Claude generation's model ids)."""


def previous_generation() -> dict[str, str]:
    """The strong and fast model ids of the previous Claude generation (the model catalog's),
    as the settings that select them."""
    from settings.model_catalog import model_catalog

    strong, fast = model_catalog().generation_ids("previous")
    return {"STRATIGOS_BEDROCK_STRONG_MODEL_ID": strong, "STRATIGOS_BEDROCK_FAST_MODEL_ID": fast}


CHAT_SCRIPT = chat_script(
    [{"message": m} for m in CHAT_MESSAGES] + [{"decision": "edit", "changes": CHAT_EDIT}]
)
"""The chat session's script: the messages, then the drafted search approved with edits."""

SESSIONS: dict[str, Session] = {
    "optimization": Session(
        "optimization",
        optimization_script(SMALL_REQUEST),
        "converse",
        "the optimization workflow on a small request (Converse)",
    ),
    "chat": Session(
        "chat",
        CHAT_SCRIPT,
        "converse",
        "a chat: a risk question, a portfolio and a follow-up on its risk, then a strategy "
        "search approved with small edits (Converse)",
    ),
    "optimization-risk": Session(
        "optimization-risk",
        optimization_script(RISK_REQUEST),
        "converse",
        "the optimization workflow on a small request with a 25% drawdown limit: the risk "
        "manager, thinking on the current generation's fast model, gates the candidates "
        "(Converse)",
    ),
    "optimization-previous": Session(
        "optimization-previous",
        optimization_script(SMALL_REQUEST),
        "converse",
        "the optimization workflow on a small request, on the previous Claude generation "
        "(Converse)",
        previous_generation(),
    ),
    "chat-previous": Session(
        "chat-previous",
        CHAT_SCRIPT,
        "converse",
        "the chat session on the previous Claude generation (Converse)",
        previous_generation(),
    ),
    "optimization-stream": Session(
        "optimization-stream",
        optimization_script(SMALL_REQUEST),
        "converse-stream",
        "the optimization workflow on a small request, streamed (ConverseStream)",
    ),
    "openai-chat": Session(
        "openai-chat",
        chat_script([{"message": m} for m in CHAT_MESSAGES[:3]]),
        "openai-stream",
        "a chat on an OpenAI-compatible server: a risk question, a portfolio and a follow-up on "
        "its risk (Chat Completions, streamed: tool calls and structured output)",
    ),
    "mcp-chat": Session(
        "mcp-chat",
        mcp_script(list(MCP_MESSAGES)),
        "converse",
        "the chat's agents driving the tools of `stratigos mcp` (stdio, through "
        "langchain-mcp-adapters): a CVaR question answered with portfolio_risk_report, then a "
        "strategy search drafted with draft_strategy_search, which waits for the owner's "
        "approval (Converse)",
    ),
    "embedding": Session(
        "embedding",
        embedding_script(list(EMBEDDING_TEXTS), dimensions=256),
        "invoke",
        "Titan Text Embeddings V2 embeds a few texts at 256 dimensions (InvokeModel)",
    ),
}
"""The built-in sessions by name; `record(name)` uses the session of the same name unless told."""

# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


def real_bedrock_configured() -> bool:
    """True when the settings resolve to Bedrock with no endpoint override (real AWS)."""
    from settings.config import get_settings

    settings = get_settings()
    return settings.models.resolved_provider() == "bedrock" and not settings.bedrock.endpoint_url


@dataclass
class Recording:
    """A recording under way: set `script` and `produced` before the block ends."""

    name: str
    cassette: Path
    snapshot_path: Path
    settings: Any
    script: Script | None = None
    produced: dict[str, Any] | None = None
    description: str = ""
    snapshot: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def recording(
    name: str,
    *,
    directory: str | Path | None = None,
    target: Target = "auto",
    api: Api | None = None,
    own_data_dir: bool = True,
) -> Iterator[Recording]:
    """Record the model traffic of the block into cassette `name`.

    The provider is `api`'s (None: the configured default provider's; ``openai`` for an
    OpenAI-compatible server, else Bedrock). Bedrock (chat models and embeddings): real Bedrock
    (`target` ``bedrock``, or ``auto`` when `real_bedrock_configured()`), else the local endpoint
    on loopback with fake credentials. OpenAI-compatible (embeddings offline): the configured
    server (`target` ``auto`` or ``bedrock`` when the settings resolve to openai), else the
    local OpenAI-compatible endpoint. `api` fixes the Bedrock API (None: as the settings say). With `own_data_dir`
    the block gets a temporary data directory, else it uses the configured one (a person's real
    session). The cassette and snapshot are written only when the block finishes without error
    and has set `Recording.script` and `Recording.produced`; they overwrite earlier ones.
    """
    cassette, snapshot_path = cassette_paths(name, directory)
    provider, use_real = _provider_and_target(api, target)
    cassette.parent.mkdir(parents=True, exist_ok=True)
    partial = cassette.with_suffix(".yaml.partial")
    partial.unlink(missing_ok=True)
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stratigos-rec-")))
        env = _recording_environment(stack, provider, use_real, scratch, own_data_dir)
        if api is not None:
            env |= api_settings(api, retries=True)
        stack.enter_context(environment(env))
        from settings.config import Settings

        settings = Settings()
        current = Recording(name, cassette, snapshot_path, settings)
        recorder = vcr_for(settings.bedrock.region, "all", provider)
        try:
            with recorder.use_cassette(str(partial)):
                yield current
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        if current.script is None or current.produced is None:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"recording {name}: the session set no script or outcome")
        current.snapshot = _snapshot(
            current,
            settings,
            api=api or api_of_cassette(partial),
            provider=provider,
            recorded_against=provider if use_real else "local-endpoint",
        )
    check_cassette_secrets(partial)
    shutil.move(partial, cassette)
    snapshot_path.write_text(json.dumps(current.snapshot, indent=2) + "\n")


def _provider_and_target(api: Api | None, target: Target) -> tuple[str, bool]:
    """The provider a recording goes through (``openai`` or ``bedrock``) and whether to the
    real service (True) or the local endpoint (False); see `recording`."""
    from settings.config import get_settings

    configured = get_settings().models.resolved_provider()
    provider = provider_of(api) if api is not None else configured
    if provider == "openai":
        return "openai", target != "local" and configured == "openai"
    return "bedrock", real_bedrock_configured() if target == "auto" else target == "bedrock"


def _recording_environment(
    stack: contextlib.ExitStack, provider: str, use_real: bool, scratch: Path, own_data_dir: bool
) -> dict[str, str | None]:
    """The environment a recording runs in: tracing off, `provider`'s model and embedding
    settings, the data directory in `scratch` (with `own_data_dir`), and, unless `use_real`,
    a local endpoint started on `stack` (for Bedrock with fake credentials and no AWS files)."""
    env: dict[str, str | None] = {**TRACING_OFF, "STRATIGOS_MODEL_PROVIDER": provider}
    env |= EMBEDDINGS_ON_BEDROCK if provider == "bedrock" else EMBEDDINGS_OFFLINE
    if own_data_dir:
        env["STRATIGOS_DATA_DIR"] = str(scratch)
    if provider == "openai" and not use_real:
        from devtools.local_openai import serve as serve_openai

        server = stack.enter_context(serve_openai())
        env |= {"STRATIGOS_OPENAI_BASE_URL": server.url, "STRATIGOS_OPENAI_API_KEY": None}
    elif not use_real:
        from devtools.local_bedrock import serve

        bedrock = stack.enter_context(serve())
        env |= dict.fromkeys(CLEARED_AWS)
        env |= FAKE_CREDENTIALS
        env |= {
            "STRATIGOS_BEDROCK_ENDPOINT_URL": bedrock.url,
            "AWS_CONFIG_FILE": str(scratch / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    return env


def _snapshot(
    current: Recording, settings: Any, *, api: Api, provider: str, recorded_against: str
) -> dict[str, Any]:
    """The snapshot of a finished recording: its script, the API and provider it went through,
    what it was `recorded_against` (the provider's service, or ``local-endpoint``), the
    settings it ran with, and what the script produced."""
    from agents.models import model_ids

    assert current.script is not None and current.produced is not None  # `recording` checked
    snapshot = {
        "format": SNAPSHOT_FORMAT,
        "name": current.name,
        "description": current.description,
        "script": current.script.canonical(),
        "api": api,
        "provider": provider,
        "recorded_against": recorded_against,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "region": settings.bedrock.region,
        "model_ids": model_ids(settings),
        "embedding": {
            "model_id": settings.embeddings.bedrock_model_id,
            "dimensions": settings.embeddings.dimensions,
        },
        **current.produced,
    }
    if provider == "openai":
        base_path = urlsplit(settings.openai.base_url or OPENAI_DEFAULT_BASE_URL).path
        snapshot["openai_base_path"] = base_path.rstrip("/")
        snapshot["openai_structured_output"] = settings.openai.structured_output
    return snapshot


def stored_script(name: str, directory: str | Path | None = None) -> tuple[Script, Api] | None:
    """The script and API of an existing cassette's snapshot (to record it again), or None."""
    _, snapshot_path = cassette_paths(name, directory)
    if not snapshot_path.is_file():
        return None
    snapshot = json.loads(snapshot_path.read_text())
    if "script" not in snapshot:
        return None
    return Script.model_validate(snapshot["script"]), snapshot["api"]


def record(
    name: str,
    *,
    script: Script | None = None,
    session: str | None = None,
    api: Api | None = None,
    directory: str | Path | None = None,
    target: Target = "auto",
) -> dict[str, Any]:
    """Record cassette `name` and return its snapshot.

    What runs: `script` (through `api`: Converse by default, InvokeModel for an embedding
    script); else the built-in session
    `session` (or the one called `name`); else the script already stored in `name`'s snapshot
    (recording it again). Raises ValueError when there is nothing to run.
    """
    description = ""
    settings_env: dict[str, str] = {}
    if script is None:
        spec = SESSIONS.get(session or name) if session or name in SESSIONS else None
        if session is not None and spec is None:
            raise ValueError(
                f"unknown session {session!r}; sessions: {', '.join(sorted(SESSIONS))}"
            )
        if spec is not None:
            script, api, description = spec.script, api or spec.api, spec.description
            settings_env = dict(spec.environment)
        elif (stored := stored_script(name, directory)) is not None:
            script, api = stored[0], api or stored[1]
        else:
            raise ValueError(
                f"nothing to record for {name!r}: give --request FILE or --chat FILE (or a "
                f"built-in session: {', '.join(sorted(SESSIONS))})"
            )
    api = api or ("invoke" if script.kind == "embedding" else "converse")
    with (
        environment(settings_env),
        recording(name, directory=directory, target=target, api=api) as current,
    ):
        current.script = script
        current.description = description or f"a recorded {script.kind} script"
        current.produced = run_script(script, current.settings)
    return current.snapshot


__all__ = [
    "CHAT_EDIT",
    "CHAT_MESSAGES",
    "EMBEDDING_TEXTS",
    "MCP_MESSAGES",
    "RISK_REQUEST",
    "SESSIONS",
    "SMALL_REQUEST",
    "SNAPSHOT_FORMAT",
    "Recording",
    "Session",
    "real_bedrock_configured",
    "record",
    "recording",
    "stored_script",
]
