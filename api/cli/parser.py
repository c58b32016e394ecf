"""The command line's arguments: every command, its options and their checks (the commands'
own modules add theirs: `deploy`, `memory`, `profile`, `eval`)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from api.cli.arguments import (
    InstalledVersion,
    add_json_flag,
    add_to_actions,
    command_group,
    non_negative_int,
    port,
    positive_int,
    utc_time,
)
from api.cli.deploy_parser import add_deploy_parser
from api.cli.estimate import add_estimate_parser
from api.cli.evals import add_eval_parser
from api.cli.market_data import add_market_data_parser
from api.cli.memory import add_memory_parser
from api.cli.owner_data import add_owner_data_parsers
from api.cli.profile import add_profile_parser
from api.cli.request_flags import add_request_flags
from settings.owners import LOCAL_OWNER
from store.jobs import JOB_STATUSES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `stratigos` command."""
    parser = argparse.ArgumentParser(
        prog="stratigos",
        description="Stratigos: a multi-agent strategy assistant for dynamic asset allocation.",
    )
    parser.add_argument("--version", action=InstalledVersion)
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (for bug reports)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (
        _demo_parser,
        _optimize_parsers,
        _cleanup_parser,
        _chat_parser,
        _record_parser,
        _replay_parser,
        _bedrock_local_parser,
        _jobs_parser,
        _keys_parser,
        add_deploy_parser,
        _docs_parser,
        _ideas_parser,
        add_memory_parser,
        add_owner_data_parsers,
        add_market_data_parser,
        add_profile_parser,
        add_eval_parser,
        add_estimate_parser,
        _serve_parser,
        _mcp_parser,
    ):
        add(commands)
    return parser


def _demo_parser(commands: Any) -> None:
    """`demo`: classic portfolios on the embedded data, risk out of sample."""
    demo = commands.add_parser(
        "demo",
        help="HRP, risk parity, min-volatility and max-Sharpe portfolios on the embedded S&P 500 data",
        description="Estimate classic portfolios on a training window of the embedded S&P 500 data "
        "and report their risk over the following test window.",
    )
    demo.add_argument(
        "--train-start", default="2015-01-01", help="first day of the training window"
    )
    demo.add_argument("--split", default="2020-01-01", help="first day of the test window")
    demo.add_argument(
        "--end", default=None, help="last day of the test window (default: last day of data)"
    )
    demo.add_argument(
        "--risk-free-rate",
        type=float,
        default=0.02,
        help="annual risk-free rate, e.g. 0.02 for 2%%",
    )
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _optimize_parsers(commands: Any) -> None:
    """`optimize` (the main job) and `resume` (a run from its last checkpoint)."""
    optimize = commands.add_parser(
        "optimize",
        help="run the multi-agent strategy optimization (the main job)",
        description="Find the volatility-targeting configuration that holds up best across "
        "market scenarios: market analysis, batched hyperparameter search, a risk gate and an "
        "explanation, with the agents' trace shown live. Writes result.json, report.md and a "
        "self-contained report.html to the run's directory.",
    )
    optimize.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    optimize.add_argument(
        "--trials", type=positive_int, help="override the trial budget (max_trials)"
    )
    optimize.add_argument("--paths", type=positive_int, help="override the paths per scenario")
    optimize.add_argument(
        "--key",
        help="idempotency key: submitting the same key again shows that job instead of a new run",
    )
    optimize.add_argument(
        "--cold",
        action="store_true",
        help="start cold: not from your strategy model's most promising configurations "
        "(the request's warm_start: false)",
    )
    optimize.add_argument(
        "--pipeline",
        action="store_true",
        help="run the search as the search pipeline: the request's own decisions, no agents "
        "(the request's pipeline: true; engine STRATIGOS_COMPUTE_PIPELINE_ENGINE, here or ray)",
    )
    add_request_flags(optimize)
    _trace_options(optimize)
    _record_options(optimize)

    resume = commands.add_parser(
        "resume", help="continue an optimization run from its last checkpoint"
    )
    resume.add_argument("run_id", help="the run to resume (see the data directory's runs/)")
    _trace_options(resume)


def _cleanup_parser(commands: Any) -> None:
    """`cleanup`: archive finished jobs, drop expired cache entries."""
    cleanup = commands.add_parser(
        "cleanup",
        help="archive finished jobs older than N days and drop expired cache entries",
        description="Retention: jobs that finished more than --days ago are archived (their "
        "trials and trace move to the archive; the job and its result stay readable), and "
        "expired results-cache entries are dropped. Safe to run repeatedly (e.g. daily).",
    )
    cleanup.add_argument("--days", type=float, default=30.0, help="archive after this many days")
    cleanup.add_argument("--json", action="store_true", help="print the report as JSON")


def _chat_parser(commands: Any) -> None:
    """`chat`: the strategy assistant, interactive or one message at a time."""
    chat = commands.add_parser(
        "chat",
        help="chat with the strategy assistant (interactive, or one message with --message)",
        description="Ask about the market, portfolios and their risk, or ask for a strategy "
        "search; a search waits for your approval before it runs.",
    )
    chat.add_argument("--message", "-m", help="send one message and exit")
    chat.add_argument("--thread", help="continue this thread (default: a new one)")
    decision = chat.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="approve the pending run")
    decision.add_argument("--reject", action="store_true", help="reject the pending run")
    decision.add_argument(
        "--edit", metavar="JSON", help="edit the pending run, e.g. '{\"n_paths\": 100}', and run it"
    )
    chat.add_argument(
        "--quiet", action="store_true", help="show the replies only, not the agents' trace"
    )
    chat.add_argument(
        "--json",
        action="store_true",
        help="print the turn's replies and pending approval as JSON (with --message or a "
        "decision; the trace goes to stderr)",
    )
    chat.add_argument(
        "--stop-warm",
        action="store_true",
        help="stop your warm processes of chat -m (they also stop by themselves when idle: "
        "STRATIGOS_CHAT_KEEP_WARM_SECONDS) and exit",
    )
    _record_options(chat)


def _record_parser(commands: Any) -> None:
    """`record`: an agent run's Bedrock traffic as a cassette."""
    record = commands.add_parser(
        "record",
        help="record an agent run's Bedrock traffic as a vcrpy cassette",
        description="Run an optimization request (--request), a chat script (--chat), an MCP "
        "script (--mcp), a built-in session (--session, or NAME itself) or, for an existing cassette, the script "
        "stored in its snapshot, against Amazon Bedrock when AWS credentials are configured, "
        "else against the local Bedrock endpoint; write DIR/NAME.yaml and "
        "DIR/NAME.snapshot.json. See docs/recording.md.",
    )
    record.add_argument("name", help="cassette name")
    script = record.add_mutually_exclusive_group()
    script.add_argument(
        "--session", help="built-in session: optimization, chat, mcp-chat, embedding, ..."
    )
    script.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    script.add_argument(
        "--chat",
        type=Path,
        help="a chat script: a text file with one message per line and /approve, /reject or "
        "/edit {json} lines, or JSON steps",
    )
    script.add_argument(
        "--mcp",
        type=Path,
        help="an MCP script: a text file with one user message per line (or JSON steps); the "
        "agents drive the tools of `stratigos mcp`, and what they draft waits for approval",
    )
    record.add_argument(
        "--api",
        choices=["converse", "converse-stream"],
        help="Bedrock API (default: the session's, else converse)",
    )
    record.add_argument(
        "--dir", type=Path, help="cassette directory (default: tests/cassettes in a checkout)"
    )
    record.add_argument(
        "--target",
        choices=["auto", "bedrock", "local"],
        default="auto",
        help="auto: Bedrock when credentials are configured and no endpoint override is set, "
        "else the local endpoint",
    )


def _replay_parser(commands: Any) -> None:
    """`replay`: cassettes offline, or stored runs again, compared."""
    replay = commands.add_parser(
        "replay",
        help="replay cassettes offline, or re-execute stored runs, and check they reproduce",
        description="CASSETTE (a name in the cassette directory or a .yaml path): replay its "
        "script offline (no model is called) and compare with its snapshot. RUN_ID: run the "
        "stored request again and compare best config, trials, explanation and trace event "
        "types with the stored run. Exit code 0 when every one reproduced, 1 otherwise.",
    )
    replay.add_argument("refs", nargs="+", metavar="RUN_ID|CASSETTE")
    replay.add_argument(
        "--dir", type=Path, help="cassette directory (default: tests/cassettes in a checkout)"
    )
    replay.add_argument("--json", action="store_true", help="print the reports as JSON")


def _bedrock_local_parser(commands: Any) -> None:
    """`bedrock-local`: the local Bedrock Runtime endpoint."""
    local = commands.add_parser(
        "bedrock-local",
        help="run the local Bedrock Runtime endpoint (offline model) in the foreground",
        description="A Bedrock Runtime-compatible endpoint (Converse, ConverseStream) backed by "
        "the deterministic offline model; Ctrl-C stops it. See docs/local-bedrock.md.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    local.add_argument("--port", type=int, default=8765, help="port (0: a free one)")


def _serve_parser(commands: Any) -> None:
    """`serve`: the API and web UI with uvicorn."""
    serve = commands.add_parser(
        "serve",
        help="run the Stratigos API (and web UI) with uvicorn",
        description="Serve the FastAPI app on HOST:PORT. A session API key for owner 'local' is "
        "created, printed in the web UI's address, and revoked when the server stops (Ctrl-C).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=port, default=8000, help="port (0: a free one)")
    serve.add_argument(
        "--workers-in-process",
        type=non_negative_int,
        metavar="N",
        help="job worker threads inside the server, its processes together (0: jobs run in "
        "separate workers; default: the api_job_workers setting)",
    )
    serve.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="server processes sharing the port, the store, the data directory and the job "
        "worker threads; each has its own request limits, threads and store connections "
        "(default: the api_processes setting, one per core, at most 4)",
    )


def _mcp_parser(commands: Any) -> None:
    """`mcp`: the MCP server on stdio."""
    commands.add_parser(
        "mcp",
        help="serve the assistant's tools to MCP clients (Claude Desktop, Claude Code, VS Code)",
        description="Serve the assistant's tools, drafts of searches and deployments (which wait "
        "for your approval), your portfolios, runs and documents, and PM workflow prompts over "
        "the Model Context Protocol on stdin/stdout, as owner 'local' (docs/mcp.md).",
    )


def _jobs_parser(commands: Any) -> None:
    """`jobs list | show | cancel`: the jobs of an owner in the configured store."""
    sub = command_group(
        commands,
        "jobs",
        help="list, show and cancel jobs",
        description="Jobs of an owner in the configured store (the command line's own jobs "
        "belong to owner 'local'; --owner inspects another owner's).",
    )
    listing = sub.add_parser("list", help="the owner's jobs, newest first")
    listing.add_argument(
        "--status",
        action="append",
        choices=JOB_STATUSES,
        help="only jobs in this status (repeatable)",
    )
    listing.add_argument(
        "--limit", type=positive_int, default=20, help="at most N jobs (default 20, max 1000)"
    )
    show = sub.add_parser(
        "show", help="a job's status, progress, timings, error and best configuration"
    )
    show.add_argument("job_id")
    cancel = sub.add_parser("cancel", help="cancel a pending or running job")
    cancel.add_argument("job_id")
    owner = f"the jobs' owner (default {LOCAL_OWNER})"
    add_to_actions(sub, "--owner", default=LOCAL_OWNER, help=owner)
    add_json_flag(sub)


def _keys_parser(commands: Any) -> None:
    """`keys create | list | revoke`: the API keys of an owner."""
    sub = command_group(
        commands,
        "keys",
        help="create, list and revoke API keys",
        description="API keys authenticate callers of the API (header x-api-key). The store "
        "keeps only a keyed hash: a new key is shown once, when it is created.",
    )
    create = sub.add_parser("create", help="create a key (shown only now)")
    create.add_argument("--name", help="a label for the key (default: cli-<timestamp>)")
    sub.add_parser("list", help="the owner's keys (metadata only), oldest first")
    revoke = sub.add_parser("revoke", help="revoke a key: it stops authenticating at once")
    revoke.add_argument("key_id")
    add_to_actions(sub, "--owner", required=True, help="whose keys")
    add_json_flag(sub)


def _docs_parser(commands: Any) -> None:
    """`docs add | list | show | delete | search | reindex`: the documents library."""
    sub = command_group(
        commands,
        "docs",
        help="the documents library: add, list, show, delete and search documents",
        description="Add PDF, xlsx, CSV, JSON, Markdown and text files to the local owner's "
        "documents library (parsed, chunked and indexed) and search them. "
        "See docs/documents.md.",
    )
    add = sub.add_parser("add", help="parse, chunk, store and index files")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    sub.add_parser("list", help="the documents, newest first")
    for action, text in (
        ("show", "a document's metadata and its first chunks' references"),
        ("delete", "delete a document, its chunks, its original and its vectors"),
    ):
        sub.add_parser(action, help=text).add_argument("document_id")
    search = sub.add_parser("search", help="the passages that best match a query")
    search.add_argument("query", help="what to look for")
    search.add_argument("-k", type=int, default=5, help="how many passages (1-50; default 5)")
    search.add_argument(
        "--mode", choices=("hybrid", "bm25", "vector"), default="hybrid",
        help="hybrid (default: full-text and vectors, fused), bm25 or vector",
    )  # fmt: skip
    search.add_argument(
        "--fusion", choices=("scores", "rrf"), default="scores",
        help="how hybrid fuses the lists: scores (default) or rrf (reciprocal rank fusion)",
    )  # fmt: skip
    search.add_argument(
        "--document", action="append", dest="document_ids", metavar="DOC_ID",
        help="only this document (repeatable)",
    )  # fmt: skip
    search.add_argument(
        "--from", dest="uploaded_from", type=utc_time, metavar="TIME",
        help="only documents uploaded at or after (ISO 8601; UTC if no zone)",
    )  # fmt: skip
    search.add_argument(
        "--to", dest="uploaded_to", type=utc_time, metavar="TIME",
        help="only documents uploaded before (ISO 8601; UTC if no zone)",
    )  # fmt: skip
    sub.add_parser("reindex", help="rebuild the search index from the stored documents")
    add_json_flag(sub)


def _ideas_parser(commands: Any) -> None:
    """`ideas add | list | status | optimize | show | delete`: the local owner's ideas."""
    from store.ideas import IDEA_STATUSES

    sub = command_group(
        commands,
        "ideas",
        help="investment ideas: add, list, show, change status, optimize, delete",
        description="The local owner's investment ideas. Trailing return and risk are computed "
        "from the market data (statistics of the past, not forecasts), never given. See "
        "docs/ideas.md.",
    )
    add = sub.add_parser("add", help="add an idea (status proposed)")
    add.add_argument("tickers", nargs="+", metavar="TICKER")
    add.add_argument("--title", required=True)
    add.add_argument("--thesis", required=True)
    add.add_argument("--short", action="store_true", help="a short idea (default long)")
    add.add_argument("--horizon-days", type=positive_int, help="trading days (default 63)")
    add.add_argument("--horizon-until", type=date.fromisoformat, help="a date (YYYY-MM-DD)")
    add.add_argument("--weight", action="append", metavar="TICKER=W", help="default equal")
    add.add_argument(
        "--lookback-days", type=positive_int, default=252, help="daily returns the numbers use"
    )
    add.add_argument(
        "--passage", action="append", metavar="DOC:CHUNK:QUOTE", help="a document passage"
    )
    add.add_argument("--run", action="append", metavar="JOB_ID", help="an optimization run")
    add.add_argument("--deployment", action="append", metavar="DEPLOYMENT_ID")
    listing = sub.add_parser("list", help="the ideas, newest first")
    listing.add_argument("--status", choices=IDEA_STATUSES)
    listing.add_argument("--ticker")
    listing.add_argument("--from", dest="since", type=date.fromisoformat, metavar="DATE")
    listing.add_argument("--to", dest="until", type=date.fromisoformat, metavar="DATE")
    listing.add_argument("--limit", type=positive_int, default=50)
    listing.add_argument("--cursor")
    status = sub.add_parser("status", help="move an idea to another status")
    status.add_argument("idea_id")
    status.add_argument("status", choices=IDEA_STATUSES)
    status.add_argument("--reason", default="", help="why (recorded)")
    optimize = sub.add_parser("optimize", help="submit an accepted idea as an optimization job")
    optimize.add_argument("idea_id")
    optimize.add_argument(
        "--run-here", action="store_true", help="run the job in this process and wait"
    )
    for action, text in (("show", "an idea in full"), ("delete", "delete an idea")):
        sub.add_parser(action, help=text).add_argument("idea_id")
    add_json_flag(sub)


def _trace_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    command.add_argument(
        "--quiet", action="store_true", help="show progress and warnings only, not the agents' text"
    )


def _record_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--record",
        metavar="NAME",
        help="record this session's Bedrock traffic as cassette NAME (against Bedrock when "
        "configured, else the local endpoint); replay it with `stratigos replay NAME`",
    )
    command.add_argument(
        "--record-dir",
        type=Path,
        help="where --record writes (default: tests/cassettes in a checkout, else ./cassettes)",
    )
