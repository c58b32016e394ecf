"""A command for the warm launcher's tests (`python -m tests.support.launched_command ...`):
prints what a process can tell about itself (its pid, its parent's, `STRATIGOS_TEST_MARK` in
its environment and in the settings, its arguments) as one JSON line, then acts on its first
argument: `exit:<n>` exits with status n, `raise` raises, `sleep` waits until killed."""

from __future__ import annotations

import json
import os
import sys
import threading

from settings import get_settings


def main(arguments: list[str]) -> int:
    """Print the process's facts, then act on `arguments[0]` (module docstring)."""
    facts = {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "mark": os.environ.get("STRATIGOS_TEST_MARK"),
        "data_dir": str(get_settings().data_dir),
        "argv": arguments,
    }
    print(json.dumps(facts), flush=True)
    action = arguments[0]
    if action == "raise":
        raise RuntimeError("the command failed on purpose")
    if action == "sleep":
        threading.Event().wait()
    return int(action.removeprefix("exit:"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
