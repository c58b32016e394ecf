"""The command line's arguments: every command, its options and their checks."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from api.cli.evals import add_eval_parser
from api.cli.local import LOCAL_OWNER
from api.cli.memory import add_memory_parser
from api.cli.profile import add_profile_parser
from api.cli.request_flags import add_request_flags
from store import JOB_STATUSES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `stratigos` command."""
    parser = argparse.ArgumentParser(
        prog="stratigos",
        description="Stratigos: a multi-agent strategy assistant for dynamic asset allocation.",
    )
    parser.add_argument("--version", action="version", version=f"stratigos {version('stratigos')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    add_request_flags(optimize)
    _trace_options(optimize)
    _record_options(optimize)

    resume = commands.add_parser(
        "resume", help="continue an optimization run from its last checkpoint"
    )
    resume.add_argument("run_id", help="the run to resume (see the data directory's runs/)")
    _trace_options(resume)

    cleanup = commands.add_parser(
        "cleanup",
        help="archive finished jobs older than N days and drop expired cache entries",
        description="Retention: jobs that finished more than --days ago are archived (their "
        "trials and trace move to the archive; the job and its result stay readable), and "
        "expired results-cache entries are dropped. Safe to run repeatedly (e.g. daily).",
    )
    cleanup.add_argument("--days", type=float, default=30.0, help="archive after this many days")
    cleanup.add_argument("--json", action="store_true", help="print the report as JSON")

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
    _record_options(chat)

    record = commands.add_parser(
        "record",
        help="record an agent run's Bedrock traffic as a vcrpy cassette",
        description="Run an optimization request (--request), a chat script (--chat), a "
        "built-in session (--session, or NAME itself) or, for an existing cassette, the script "
        "stored in its snapshot, against Amazon Bedrock when AWS credentials are configured, "
        "else against the local Bedrock endpoint; write DIR/NAME.yaml and "
        "DIR/NAME.snapshot.json. See docs/recording.md.",
    )
    record.add_argument("name", help="cassette name")
    script = record.add_mutually_exclusive_group()
    script.add_argument(
        "--session", help="built-in session: optimization, chat or optimization-stream"
    )
    script.add_argument("--request", type=Path, help="an OptimizationRequest as a JSON file")
    script.add_argument(
        "--chat",
        type=Path,
        help="a chat script: a text file with one message per line and /approve, /reject or "
        "/edit {json} lines, or JSON steps",
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

    local = commands.add_parser(
        "bedrock-local",
        help="run the local Bedrock Runtime endpoint (offline model) in the foreground",
        description="A Bedrock Runtime-compatible endpoint (Converse, ConverseStream) backed by "
        "the deterministic offline model; Ctrl-C stops it. See docs/local-bedrock.md.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    local.add_argument("--port", type=int, default=8765, help="port (0: a free one)")

    _jobs_parser(commands)
    _keys_parser(commands)
    _deploy_parser(commands)
    _docs_parser(commands)
    _ideas_parser(commands)
    add_memory_parser(commands)
    add_profile_parser(commands)
    add_eval_parser(commands)

    serve = commands.add_parser(
        "serve",
        help="run the Stratigos API (and web UI) with uvicorn",
        description="Serve the FastAPI app on HOST:PORT. A session API key for owner 'local' is "
        "created, printed in the web UI's address, and revoked when the server stops (Ctrl-C).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument("--port", type=_port, default=8000, help="port (0: a free one)")
    serve.add_argument(
        "--workers-in-process",
        type=non_negative_int,
        metavar="N",
        help="job worker threads inside the server (0: jobs run in separate workers; "
        "default: the api_job_workers setting)",
    )
    return parser


def _jobs_parser(commands: Any) -> None:
    jobs = commands.add_parser(
        "jobs",
        help="list, show and cancel jobs",
        description="Jobs of an owner in the configured store (the command line's own jobs "
        "belong to owner 'local'; --owner inspects another owner's).",
    )
    sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
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
    for command in (listing, show, cancel):
        command.add_argument(
            "--owner", default=LOCAL_OWNER, help=f"the jobs' owner (default {LOCAL_OWNER})"
        )
        command.add_argument("--json", action="store_true", help="print JSON")


def _utc_time(text: str) -> datetime:
    """An ISO 8601 time; UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _docs_parser(commands: Any) -> None:
    docs = commands.add_parser(
        "docs",
        help="the documents library: add, list, show, delete and search documents",
        description="Add PDF, xlsx, CSV, JSON, Markdown and text files to the local owner's "
        "documents library (parsed, chunked and indexed) and search them. "
        "See docs/documents.md.",
    )
    sub = docs.add_subparsers(dest="docs_command", metavar="ACTION", required=True)
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
        "--from", dest="uploaded_from", type=_utc_time, metavar="TIME",
        help="only documents uploaded at or after (ISO 8601; UTC if no zone)",
    )  # fmt: skip
    search.add_argument(
        "--to", dest="uploaded_to", type=_utc_time, metavar="TIME",
        help="only documents uploaded before (ISO 8601; UTC if no zone)",
    )  # fmt: skip
    sub.add_parser("reindex", help="rebuild the search index from the stored documents")
    for command in sub.choices.values():
        command.add_argument("--json", action="store_true", help="print JSON")


def _ideas_parser(commands: Any) -> None:
    from store.ideas import IDEA_STATUSES

    ideas = commands.add_parser(
        "ideas",
        help="investment ideas: add, list, show, change status, optimize, delete",
        description="The local owner's investment ideas. Expected return and risk are computed "
        "from the market data, never given. See docs/ideas.md.",
    )
    sub = ideas.add_subparsers(dest="ideas_command", metavar="ACTION", required=True)
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
    for command in sub.choices.values():
        command.add_argument("--json", action="store_true", help="print JSON")


def _deploy_parser(commands: Any) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="put a portfolio or an optimization's winner to work on a paper account",
        description="Deployments of the command line's owner (local): create one (a draft, or "
        "--activate), move it through its lifecycle, forward-test it over past market data, "
        "read its orders, ledger and positions, export its ledger.",
    )
    sub = deploy.add_subparsers(dest="deploy_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="deploy a portfolio or an optimization's winner")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--portfolio", metavar="PF_ID", help="a saved portfolio's weights")
    source.add_argument(
        "--optimization",
        metavar="JOB_ID",
        help="a succeeded optimization's winner ('last': the newest)",
    )
    create.add_argument("--trial", type=int, metavar="N",
                        help="with --optimization: its trial N instead of its winner")  # fmt: skip
    create.add_argument("--capital", type=float, required=True, help="currency, e.g. 100000")
    create.add_argument("--name", help="a display name (default: the source)")
    create.add_argument(
        "--every", choices=("session", "week", "month", "quarter"), default="week",
        help="rebalance each session or once a week/month/quarter (default week)",
    )  # fmt: skip
    create.add_argument("--on", choices=("first", "last"), default="first",
                        help="the period's first or last session (default first)")  # fmt: skip
    create.add_argument("--at", default="15:45", help="local exchange time HH:MM (default 15:45)")
    create.add_argument("--cron", help="a cron expression instead of --every/--on/--at")
    create.add_argument("--calendar", default="XNYS", help="exchange calendar (default XNYS)")
    create.add_argument("--catch-up", choices=("latest", "all", "none"), default="latest",
                        help="what happens to fires missed while nothing ran")  # fmt: skip
    for name, text in (
        ("--max-turnover", "traded value / equity allowed per run (default 1)"),
        ("--min-trade-value", "smallest trade worth making, currency (default 1)"),
        ("--cash-buffer", "fraction of equity kept in cash (default 0.01)"),
        ("--max-position", "largest weight of one symbol (default 1)"),
        ("--max-drawdown", "pause when the account falls this far from its peak"),
    ):
        create.add_argument(name, type=float, help=text)
    create.add_argument("--notify-email", action="append", metavar="ADDRESS",
                        help="send its alerts to this address (repeatable)")  # fmt: skip
    create.add_argument("--notify-webhook", action="append", metavar="URL",
                        help="post its alerts to this Slack-compatible webhook (repeatable)")  # fmt: skip
    create.add_argument("--notify-fills", action="store_true", help="also notify every fill")
    create.add_argument("--notify-daily", action="store_true", help="also the daily summary")
    create.add_argument(
        "--cap-leverage", action="store_true",
        help="deploy a winner whose max_leverage exceeds 1 with it capped at 1 (cash account)",
    )  # fmt: skip
    create.add_argument(
        "--broker", choices=("paper", "alpaca"), default="paper",
        help="paper (default): its own simulated account; alpaca: the local owner's Alpaca "
        "account (STRATIGOS_ALPACA_* settings; see docs/brokers.md)",
    )  # fmt: skip
    create.add_argument(
        "--hedge-underlying", metavar="SYMBOL",
        help="the option hedge's underlying (e.g. SPY) of a strategy with an overlay",
    )  # fmt: skip
    create.add_argument("--activate", action="store_true", help="activate it at once")
    listing = sub.add_parser("list", help="the deployments, oldest first")
    kill = sub.add_parser(
        "kill", help="pause every deployment, cancel their runs and open orders at once"
    )
    kill.add_argument("--account", help="only the deployments trading this broker account")
    hedge_switches = []
    for action, text in (
        ("hedge-kill", "halt every option hedge and close the options they hold"),
        ("hedge-release", "let halted option hedges trade again"),
    ):
        switch = sub.add_parser(action, help=text)
        switch.add_argument("--deployment", metavar="ID", help="only this deployment's hedge")
        hedge_switches.append(switch)
    commands_with_id = []
    for action, text in (
        ("show", "what is deployed, capital, schedule and limits"),
        ("activate", "start firing the schedule"),
        ("pause", "stop firing the schedule (positions are kept)"),
        ("resume", "fire the schedule again"),
        ("retire", "end the deployment for good"),
        ("orders", "the execution queue's orders and what became of them"),
        ("hedges", "its option hedge: positions, premiums, hedge orders and dead letters"),
        ("ledger", "every fill and cash flow"),
        ("positions", "cash, positions and P&L at the last close"),
        ("performance", "the account against its backtest, drawdown, weight drift"),
        ("events", "what happened to it: lifecycle, who and why, fires, runs' outcomes"),
        ("forward-test", "paper-trade it over past market data and compare with its backtest"),
        ("export", "store the ledger as a CSV or Parquet export and write it to a file"),
    ):
        command = sub.add_parser(action, help=text)
        command.add_argument("deployment_id")
        commands_with_id.append(command)
        if action == "events":
            command.add_argument("--after", type=int, default=0, metavar="SEQ",
                                 help="only the events after this one")  # fmt: skip
            command.add_argument("--follow", action="store_true",
                                 help="keep printing new events until it is retired")  # fmt: skip
        if action == "ledger":
            command.add_argument(
                "--format", choices=("json", "csv", "parquet"),
                help="JSON rows, CSV or Parquet (default: a readable listing)",
            )  # fmt: skip
            command.add_argument(
                "--csv", dest="format", action="store_const", const="csv",
                help="the same as --format csv",
            )  # fmt: skip
            command.add_argument(
                "--output", type=Path, metavar="FILE",
                help="write to FILE instead of printing (required for parquet)",
            )  # fmt: skip
        if action == "export":
            command.add_argument("--format", choices=("csv", "parquet"), required=True,
                                 help="the file's format")  # fmt: skip
            command.add_argument("--output", type=Path, metavar="FILE", required=True,
                                 help="where to write the stored file")  # fmt: skip
        if action == "forward-test":
            command.add_argument("--start", required=True, help="first session, YYYY-MM-DD")
            command.add_argument("--end", help="last session (default: the end of the data)")
    for command in (create, listing, kill, *hedge_switches, *commands_with_id):
        command.add_argument("--json", action="store_true", help="print JSON")


def _keys_parser(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="API keys authenticate callers of the API (header x-api-key). The store "
        "keeps only a keyed hash: a new key is shown once, when it is created.",
    )
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a key (shown only now)")
    create.add_argument("--name", help="a label for the key (default: cli-<timestamp>)")
    listing = sub.add_parser("list", help="the owner's keys (metadata only), oldest first")
    revoke = sub.add_parser("revoke", help="revoke a key: it stops authenticating at once")
    revoke.add_argument("key_id")
    for command in (create, listing, revoke):
        command.add_argument("--owner", required=True, help="whose keys")
        command.add_argument("--json", action="store_true", help="print JSON")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


positive_int = int_at_least(1)


non_negative_int = int_at_least(0)


def _port(text: str) -> int:
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {value}")
    return value


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
