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
(how failures become exit codes and one-line messages).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

from api.cli.chat import chat_command
from api.cli.deploy import deploy_command
from api.cli.developer import bedrock_local_command, record_command, replay_command
from api.cli.docs import docs_command
from api.cli.errors import error_message, exit_code, is_expected
from api.cli.evals import eval_command
from api.cli.ideas import ideas_command
from api.cli.jobs import cleanup_command, jobs_command
from api.cli.keys import keys_command
from api.cli.market_data import market_data_command
from api.cli.mcp import mcp_command
from api.cli.memory import memory_command
from api.cli.optimize import demo_command, optimize_command, resume_command
from api.cli.parser import build_parser
from api.cli.profile import profile_command
from api.cli.serve import serve_command
from api.cli.tracing import command_span

MODEL_COMMANDS = frozenset({"chat", "optimize", "resume", "demo", "serve"})
"""Commands whose agents call models: their model settings are checked before they start."""


def check_models() -> None:
    """Refuse, before any model call, Bedrock model settings the model catalog says cannot work
    (`agents.model_checks`: a ValueError, so one line and exit 2); warnings are logged."""
    from agents.model_checks import check_model_settings
    from settings import get_settings

    check_model_settings(get_settings())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (0 ok, 1 failed, 2 usage error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    commands = {
        "demo": demo_command,
        "optimize": optimize_command,
        "resume": resume_command,
        "chat": chat_command,
        "cleanup": cleanup_command,
        "record": record_command,
        "replay": replay_command,
        "bedrock-local": bedrock_local_command,
        "jobs": jobs_command,
        "keys": keys_command,
        "deploy": deploy_command,
        "docs": docs_command,
        "ideas": ideas_command,
        "memory": memory_command,
        "market-data": market_data_command,
        "profile": profile_command,
        "serve": serve_command,
        "mcp": mcp_command,
        "eval": eval_command,
    }
    command = commands.get(args.command)
    if command is None:
        parser.error(f"unknown command {args.command}")
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
