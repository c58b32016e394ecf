"""The `stratigos` command line (see docs/cli.md for every command with an example).

Exit codes: 0 success; 1 a run that failed (or did not reproduce, for `replay`), or an
operational error (store unreachable, disk); 2 a usage error: bad arguments, an invalid or
missing input file, an unknown job, run or key id, a request the store refused (`replay` and
`record` keep their documented 0/1 contract); 3 no model could be reached (the service kept
throttling or was unavailable: the work is kept, retry or `stratigos resume` later). Errors are
one line naming the problem and what to do, never a traceback (``--debug`` shows it). Heavy modules (the graphs, the API app, uvicorn) are imported by the
command that needs them, so `stratigos --help` stays fast.

One module per group of commands: `parser` (the arguments), `optimize` (`optimize`, `resume`,
`demo`), `chat`, `jobs` (`jobs`, `cleanup`), `keys`, `deploy`, `docs` (the documents library), `ideas` (investment ideas), `memory` (what the assistant remembers), `market_data` (`market-data`), `profile`, `serve`, `mcp` (the MCP server on stdio), `evals` (`eval`: the evaluation harness), `developer` (`record`, `replay`,
`bedrock-local` and the `--record` options: the only module that reaches `devtools`), `errors`
(how failures become exit codes and one-line messages), `warm` and `warm_process` (the warm
process that runs later `chat -m` turns without loading the assistant again: docs/cli.md).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from api.cli.parser import build_parser
from settings.process_exit import exit_process

COMMANDS: dict[str, str] = {
    "demo": "api.cli.optimize:demo_command",
    "optimize": "api.cli.optimize:optimize_command",
    "resume": "api.cli.optimize:resume_command",
    "chat": "api.cli.chat:chat_command",
    "cleanup": "api.cli.jobs:cleanup_command",
    "record": "api.cli.developer:record_command",
    "replay": "api.cli.developer:replay_command",
    "bedrock-local": "api.cli.developer:bedrock_local_command",
    "jobs": "api.cli.jobs:jobs_command",
    "keys": "api.cli.keys:keys_command",
    "deploy": "api.cli.deploy:deploy_command",
    "docs": "api.cli.docs:docs_command",
    "ideas": "api.cli.ideas:ideas_command",
    "memory": "api.cli.memory:memory_command",
    "export": "api.cli.owner_data:owner_data_command",
    "import": "api.cli.owner_data:owner_data_command",
    "erase": "api.cli.owner_data:owner_data_command",
    "market-data": "api.cli.market_data:market_data_command",
    "profile": "api.cli.profile:profile_command",
    "serve": "api.cli.serve:serve_command",
    "mcp": "api.cli.mcp:mcp_command",
    "eval": "api.cli.evals:eval_command",
    "estimate": "api.cli.estimate:estimate_command",
}
"""Command -> "module:function" running it; the module is imported when its command runs, so
one command never loads another's dependencies (and `--help` loads none)."""


def command_function(name: str) -> Callable[[argparse.Namespace], int]:
    """The function running command `name` (its module imported now)."""
    module, _, function = COMMANDS[name].partition(":")
    run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return run


MODEL_COMMANDS = frozenset({"chat", "optimize", "resume", "demo", "serve"})
"""Commands whose agents call models: their model settings are checked before they start."""


def check_models() -> None:
    """Refuse, before any model call, Bedrock model settings the model catalog says cannot work
    (`agents.model_checks`: a ValueError, so one line and exit 2); warnings are logged."""
    from agents.model_checks import check_model_settings
    from settings import get_settings

    check_model_settings(get_settings())


def command() -> NoReturn:
    """The `stratigos` executable: `main()`, then exit with its code, the heap frozen out of the
    cyclic collector first (`settings.process_exit`: about 0.75 s of an `optimize` run).
    `main` itself freezes nothing: tests call it in their own process and go on."""
    exit_process(main)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (0 ok, 1 failed, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command not in COMMANDS:
        parser.error(f"unknown command {args.command}")
    if args.command == "chat":
        return chat_here_or_warm(args, sys.argv[1:] if argv is None else list(argv))
    if args.command == "mcp":  # the client's `initialize` answered before anything loads
        from api.cli.mcp import answer_early

        args.mcp_early = answer_early()
    return run_parsed(args)


def chat_here_or_warm(args: argparse.Namespace, argv: list[str]) -> int:
    """Run `chat` in a warm process when one can take it (`api.cli.warm`), else here (and
    then keep one warm for the next `chat -m`)."""
    from api.cli import warm

    if args.stop_warm:
        if args.message is not None or args.thread is not None or warm.needs_own_process(args):
            print("stratigos chat: error: --stop-warm takes no other option", file=sys.stderr)
            return 2
        directory = warm.runtime_directory() if warm.supported() else None
        stopped = warm.stop_warm_processes(directory) if directory is not None else []
        print(f"stopped {len(stopped)} warm chat process{'es' if len(stopped) != 1 else ''}")
        return 0
    found = warm.target() if warm.eligible(args) else None
    if found is None:
        return run_parsed(args)
    try:
        code = warm.run_turn(found, argv)
    except warm.WarmTurnLost as exc:
        print(f"stratigos chat: error: {exc}; the thread may hold the turn", file=sys.stderr)
        return 1
    except BrokenPipeError:  # as in run_parsed: the reader went away
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # the warm process interrupts the turn when this one goes
        print("stratigos chat: interrupted", file=sys.stderr)
        return 130
    if code is not None:
        return code
    code = run_parsed(args)
    warm.keep_warm(found)
    return code


def run_parsed(args: argparse.Namespace) -> int:
    """Run the parsed command `args` in this process; returns its exit code."""
    command = command_function(args.command)
    from api.cli.errors import error_message, exit_code, is_expected
    from api.cli.tracing import command_span

    try:
        if args.command in MODEL_COMMANDS:
            check_models()
        with command_span(args.command):
            return command(args)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): what it read was enough; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"stratigos {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not is_expected(exc):
            raise
        if args.debug:  # the traceback, then the same message and exit code as without
            traceback.print_exc()
        print(f"stratigos {args.command}: error: {error_message(exc)}", file=sys.stderr)
        if args.command in ("replay", "record"):
            return 1  # their documented contract: 0 reproduced / recorded, 1 otherwise
        return exit_code(exc)
