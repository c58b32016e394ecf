"""`stratigos optimize` answers first and learns after: the command prints its result and exits
while the owner's strategy model has yet to learn the run, in a process of its own that
outlives it (`graphs.learn_job`); two such processes at once both teach the model, one after the
other. The owner's learning lock, which the learners take, is the test's barrier: held by the
test, no learner can store a version until the test lets go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from graphs.learn_job import learning_lock
from settings import LOCAL_OWNER, Settings
from store import Store
from store.factory import open_store
from tests.support.requests import SMALL_REQUEST

DEADLINE_S = 180.0
"""How long the test waits for the learners once it lets them go (a loaded machine)."""


def _optimize(environment: dict[str, str], request: Path) -> dict[str, object]:
    """`stratigos optimize --json` in a process of its own; its result once it exited 0."""
    done = subprocess.run(
        [Path(sys.executable).with_name("stratigos"), "optimize", "--request", str(request),
         "--json", "--quiet"],
        env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _learnt(store: Store) -> list[str]:
    """The runs the local owner's newest model version learnt (none without a model)."""
    latest = store.latest_strategy_model(LOCAL_OWNER)
    return [] if latest is None else list(latest.summary["searches"])


def test_the_command_exits_with_its_result_before_the_model_learns_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    environment = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_MODEL_PROVIDER": "offline",
        "STRATIGOS_CLI_LEARNING": "detached",
    }
    settings = Settings(data_dir=data_dir)
    runs = []
    with learning_lock(settings, LOCAL_OWNER):  # no learner gets past it meanwhile
        for seed in (1, 2):  # two commands: two learners waiting at once
            request = tmp_path / f"request-{seed}.json"
            request.write_text(json.dumps({**SMALL_REQUEST, "seed": seed}))
            result = _optimize(environment, request)
            assert result["status"] == "succeeded" and result["best"]
            runs.append(str(result["manifest"]["run_id"]))  # type: ignore[index]
            store = open_store(settings)
            assert _learnt(store) == []  # the command exited; its run is still to be learnt
            store.close()
    store = open_store(settings)
    deadline = time.monotonic() + DEADLINE_S
    while sorted(_learnt(store)) != sorted(runs) and time.monotonic() < deadline:
        time.sleep(0.2)  # waiting for other processes' work, not standing in for it
    assert sorted(_learnt(store)) == sorted(runs)  # each learnt from the version before it
    latest = store.latest_strategy_model(LOCAL_OWNER)
    assert latest is not None and latest.version == 2
    store.close()
