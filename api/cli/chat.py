"""`stratigos chat`: a conversation with the strategy assistant, one message or interactive."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from api.cli.developer import record_chat
from api.cli.errors import UsageError
from api.cli.local import LOCAL_OWNER
from settings.process_exit import loading


def chat_command(args: argparse.Namespace) -> int:
    with loading():
        from graphs.chat import ChatSession

    decided = args.approve or args.reject or args.edit is not None
    if args.json and not (decided or args.message is not None):
        raise UsageError("--json needs --message or a decision (--approve, --reject, --edit)")
    changes = None
    if args.edit is not None:
        try:
            changes = json.loads(args.edit)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--edit is not valid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(changes, dict):
            raise UsageError("--edit must be a JSON object, e.g. '{\"n_paths\": 100}'")
    if args.record is None:
        return converse(args, ChatSession(args.thread, owner=LOCAL_OWNER), changes)
    if args.thread is not None or decided:
        raise UsageError("--record starts a new thread: leave out --thread and the decisions")
    return record_chat(args, changes, converse)


def converse(args: argparse.Namespace, session: Any, changes: dict[str, Any] | None) -> int:
    """The chat itself: the decision and message given as options, or an interactive loop.
    `session` is a `ChatSession` (or a recorder with the same methods)."""
    from api.reports.terminal import TerminalRenderer
    from graphs.chat import ChatTurn

    decided = args.approve or args.reject or args.edit is not None
    renderer = TerminalRenderer(sys.stderr if args.json else sys.stdout, quiet=args.quiet)
    turns: list[ChatTurn] = []

    def show(turn: ChatTurn) -> None:
        renderer.close()
        turns.append(turn)
        if args.json:
            return
        for text in turn.replies:
            print(f"\nassistant> {text}")
        for saved in turn.saved:
            print(f"(saved to your portfolios as {saved.portfolio_id}: {saved.name})")
        if turn.pending is not None:
            print(f"\nApproval needed: {turn.pending['summary']}")

    if decided:
        action = "approve" if args.approve else "reject" if args.reject else "edit"
        show(session.decide(action, changes=changes, on_event=renderer.handle))
    if args.message is not None:
        show(session.send(args.message, on_event=renderer.handle))
    if decided or args.message is not None:
        pending = turns[-1].pending  # the thread's state after the last turn, as it left it
        if args.json:
            payload = {
                "thread_id": session.thread_id,
                "replies": [text for turn in turns for text in turn.replies],
                "pending": pending,
                "saved_portfolios": [
                    dataclasses.asdict(saved) for turn in turns for saved in turn.saved
                ],
            }
            print(json.dumps(payload, indent=2, default=str))
        elif pending is not None:
            print(
                f"Answer with: stratigos chat --thread {session.thread_id} --approve | --reject "
                "| --edit JSON"
            )
        return 0
    print(f"Stratigos assistant (thread {session.thread_id}); an empty line or Ctrl-D quits.")
    while True:
        try:
            text = input("\nyou> ").strip()
        except EOFError:
            return 0
        if not text:
            return 0
        turn = session.send(text, on_event=renderer.handle)
        show(turn)
        while turn.pending is not None:
            try:
                answer = input("approve / edit / reject? ").strip().lower()
                if answer.startswith("e"):
                    edits = json.loads(input("changes to the request as JSON: ") or "{}")
            except EOFError:
                print(
                    "\nNo answer (the input ended): the proposed run was not started. Answer "
                    f"later with: stratigos chat --thread {session.thread_id} --approve | "
                    "--reject | --edit JSON"
                )
                return 0
            except json.JSONDecodeError as exc:
                print(f"not valid JSON ({exc.msg}); answer again")
                continue
            if answer.startswith("a") or answer in ("y", "yes"):
                turn = session.decide("approve", on_event=renderer.handle)
            elif answer.startswith("e"):
                turn = session.decide("edit", changes=edits, on_event=renderer.handle)
            elif answer.startswith("r") or answer in ("n", "no"):
                turn = session.decide("reject", on_event=renderer.handle)
            else:
                print("answer approve, edit or reject")
                continue
            show(turn)
