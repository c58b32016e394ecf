"""The building blocks of the command line's parsers: argument types (whole numbers with a
lower bound, ports, ISO 8601 times), command groups with actions (`stratigos docs add`,
`stratigos jobs list`) that share options, and `print_result` (a command's answer as text or,
with `--json`, JSON)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


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


class InstalledVersion(argparse.Action):
    """`--version`: prints `<prog> <version of the installed distribution>` and exits; the
    package metadata is read only when the option is given (it costs tens of milliseconds)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show the installed version and exit")
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from importlib.metadata import version

        print(f"{parser.prog} {version(parser.prog)}")  # on stdout, as argparse's own action
        parser.exit()


positive_int = int_at_least(1)
"""An argparse type: a whole number >= 1."""

non_negative_int = int_at_least(0)
"""An argparse type: a whole number >= 0."""


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (a free one) to 65535."""
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {value}")
    return value


def utc_time(text: str) -> datetime:
    """An argparse type: an ISO 8601 time; UTC when it names no zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def command_group(commands: Any, name: str, help: str, description: str) -> Any:
    """Add the command `name` whose actions follow it (`stratigos NAME ACTION`); the actions'
    subparsers, whose choice is `args.<name>_command`."""
    group = commands.add_parser(name, help=help, description=description)
    return group.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def add_to_actions(actions: Any, *flags: str, **options: Any) -> None:
    """Add the option `flags` (with argparse's `options`) to every action of a command group."""
    for command in actions.choices.values():
        command.add_argument(*flags, **options)


def print_result(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print `data` as indented JSON when the command was given `--json`, else `text`."""
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


def add_json_flag(actions: Any) -> None:
    """Add `--json` (print JSON instead of text) to every action of a command group."""
    add_to_actions(actions, "--json", action="store_true", help="print JSON")
