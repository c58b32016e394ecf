"""The developer commands: `record`, `replay`, `bedrock-local` and the `--record` options of
`optimize` and `chat` (the only module of the command line that imports `devtools`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.cli.errors import UsageError, read_json_object
from api.cli.local import run_job


def bedrock_local_command(args: argparse.Namespace) -> int:
    from devtools.local_bedrock.__main__ import main as serve_local

    return serve_local(["--host", args.host, "--port", str(args.port)])


def run_job_recorded(
    request: Any, args: argparse.Namespace, sink: Any
) -> tuple[str, dict[str, Any]]:
    """`run_job` with its Bedrock traffic recorded as cassette ``args.record``."""
    from devtools.recording import recording
    from devtools.scripts import manifest_subset, optimization_outcome, optimization_script

    if args.key is not None:
        raise UsageError("--record runs a new job: leave out --key")
    event_types: list[str] = []

    def collect(event: Any) -> None:
        event_types.append(event.type)
        sink(event)

    with recording(args.record, directory=args.record_dir, own_data_dir=False) as current:
        run_id, result = run_job(request, None, collect)
        current.script = optimization_script(request.model_dump(mode="json"))
        current.description = "recorded with stratigos optimize --record"
        current.produced = {
            "result": optimization_outcome(result, str(result.get("status")))
            | {"event_types": event_types},
            "manifest": manifest_subset(result.get("manifest")),
        }
    out = sys.stderr if args.json else sys.stdout
    print(recorded_lines(current.snapshot, current.cassette, current.snapshot_path), file=out)
    return run_id, result


def record_command(args: argparse.Namespace) -> int:
    from devtools.cassettes import cassette_paths
    from devtools.recording import record
    from devtools.scripts import optimization_script, read_chat_file, read_mcp_file

    script = None
    if args.request is not None:
        request = read_json_object(args.request, "request file")
        script = optimization_script(request, str(args.request))
    elif args.chat is not None:
        script = read_chat_file(args.chat)
    elif args.mcp is not None:
        script = read_mcp_file(args.mcp)
    snapshot = record(
        args.name,
        script=script,
        session=args.session,
        api=args.api,
        directory=args.dir,
        target=args.target,
    )
    where = "Amazon Bedrock" if snapshot["recorded_against"] == "bedrock" else "the local endpoint"
    print(f"Recorded {snapshot['script']['kind']} ({snapshot['api']}) against {where}.")
    print(recorded_lines(snapshot, *cassette_paths(args.name, args.dir)))
    return 0


def recorded_lines(snapshot: dict[str, Any], cassette: Path, snapshot_path: Path) -> str:
    """What a recording produced, its files and the command that replays it."""
    result = snapshot["result"]
    if "turns" in result:
        what = f"{len(result['turns'])} chat steps, {len(result['runs'])} runs"
    else:
        what = f"{result.get('n_trials')} trials, status {result.get('status')}"
    return "\n".join(
        [
            f"  {what}, {len(result.get('event_types', []))} trace events",
            f"  cassette: {cassette} ({cassette.stat().st_size} bytes)",
            f"  snapshot: {snapshot_path}",
            f"  replay:   stratigos replay {cassette}",
        ]
    )


def replay_command(args: argparse.Namespace) -> int:
    from devtools.run_replay import replay_reference

    reports = [replay_reference(ref, cassettes=args.dir) for ref in args.refs]
    if args.json:
        documents = [
            {"name": r.name, "reproduced": r.reproduced, "error": r.error, "diff": r.diff}
            for r in reports
        ]
        print(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    else:
        print("\n".join(report.summary() for report in reports))
    return 0 if all(report.reproduced for report in reports) else 1


def record_chat(
    args: argparse.Namespace,
    changes: dict[str, Any] | None,
    converse: Callable[[argparse.Namespace, Any, dict[str, Any] | None], int],
) -> int:
    """`stratigos chat --record`: the conversation `converse` holds, its Bedrock traffic recorded
    as cassette ``args.record``."""
    from devtools.recording import recording
    from devtools.scripts import ChatRecorder
    from graphs.chat import ChatSession

    with recording(args.record, directory=args.record_dir, own_data_dir=False) as current:
        recorder = ChatRecorder(ChatSession())
        code = converse(args, recorder, changes)
        current.script = recorder.script()
        current.description = "recorded with stratigos chat --record"
        current.produced = recorder.outcome()
    out = sys.stderr if args.json else sys.stdout
    print(recorded_lines(current.snapshot, current.cassette, current.snapshot_path), file=out)
    return code
