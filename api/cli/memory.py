"""`stratigos memory list | forget KEY | forget --all`: what the assistant remembers about the
command line's owner (local) across chat threads, and the profile settings they set; `--json`
prints JSON instead of text. Forgetting an exclusion memory also removes the exclusion from the
profile (the output says so)."""

from __future__ import annotations

import argparse
from typing import Any

from api.cli.arguments import add_json_flag, command_group, print_result
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER, open_local_store


def memory_command(args: argparse.Namespace) -> int:
    """Run one `memory` action."""
    from services.memories import Forgotten, forget, forget_all, what_is_known
    from settings import get_settings
    from store.memories import memory_store

    store = open_local_store()
    with memory_store(get_settings()) as memories:
        if args.memory_command == "list":
            known = what_is_known(memories, store, LOCAL_OWNER)
            lines = [f"profile {name}: {value}" for name, value in known.from_profile.items()]
            lines += [f"{m.key}  {m.created_at:%Y-%m-%d %H:%M}  {m.text}" for m in known.memories]
            print_result(args, known.to_json(), "\n".join(lines) or "Nothing is remembered.")
            return 0
        if args.all == (args.key is not None):
            raise UsageError("memory forget: give a KEY or --all (not both)")
        done: list[Forgotten] = (
            forget_all(memories, store, LOCAL_OWNER)
            if args.all
            else [forget(memories, store, LOCAL_OWNER, args.key)]
        )
    text = "\n".join(_forgotten_line(f) for f in done) or "Nothing to forget."
    print_result(args, {"forgotten": [f.to_json() for f in done], "count": len(done)}, text)
    return 0


def _forgotten_line(done: Any) -> str:
    line = f"Forgot {done.memory.key}: {done.memory.text}"
    if done.removed:
        line += f" (removed from the profile's exclusions: {', '.join(done.removed)})"
    if done.kept:
        line += f" (still in the profile: {', '.join(done.kept)})"
    return line


def add_memory_parser(commands: Any) -> None:
    """The `memory` command's parser."""
    sub = command_group(
        commands,
        "memory",
        help="what the assistant remembers about you: list, forget",
        description="The long-term memory of the command line's owner (local): facts remembered "
        "in `stratigos chat` and the profile settings you set. See docs/profiles.md.",
    )
    sub.add_parser("list", help="the memories and the profile settings you set")
    forget = sub.add_parser("forget", help="forget one memory (and the exclusions it added)")
    forget.add_argument("key", nargs="?", help="the memory's key (mem_ and 12 hex digits)")
    forget.add_argument("--all", action="store_true", help="forget every memory")
    add_json_flag(sub)
