"""Learning a finished optimization job in a process of its own: what `stratigos optimize` asks
for once its job succeeded, so that it answers and exits without waiting for the owner's
strategy model to learn the run (docs/strategy-model.md#training-versions-and-accuracy).

`learn_detached(owner, run_id, settings)` starts `python -m graphs.learn_job OWNER RUN_ID` in a
new session (it outlives the command, and a Ctrl-C at the terminal does not reach it), with the
command's environment and working directory, so it opens the same store. The process reads the
job's request and stored result, rebuilds the search the model learns
(`graphs.search_steps.search_of_result`) and calls `services.strategy_model.learn` while it holds
the owner's learning lock in the data directory (`learning_lock`): two such processes of one
owner learn one after the other, each from the version the other stored (versions are a
compare-and-set in the store besides). What it logs goes to `<data_dir>/learning/learning.log`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from graphs.request import OptimizationRequest
from graphs.search_pipeline import pipeline_workspace
from graphs.search_steps import MODEL, search_of_result
from jobs.pipeline.engines import run_step
from services.strategy_model import learn
from settings import Settings
from settings.file_locks import exclusive
from settings.process_exit import exit_process
from store import Store

MODULE = "graphs.learn_job"
log = logging.getLogger(__name__)


def learning_directory(settings: Settings) -> Path:
    """`<data_dir>/learning` (owner-only; created): the learning locks and log."""
    from settings.files import private_directory

    return private_directory(settings.data_dir / "learning")


def learning_lock(settings: Settings, owner: str) -> AbstractContextManager[None]:
    """`owner`'s learning lock of this data directory (`settings.file_locks.exclusive` on
    `learning/<owner digest>.lock`): held inside the block, waiting for whoever holds it."""
    digest = hashlib.sha256(owner.encode()).hexdigest()[:32]
    return exclusive(learning_directory(settings) / f"{digest}.lock")


def learn_detached(owner: str, run_id: str, settings: Settings) -> None:
    """Start the process that teaches `owner`'s strategy model the succeeded job `run_id` (see
    the module docstring) and return at once; `OSError` when it cannot start."""
    log_path = learning_directory(settings) / "learning.log"
    with open(log_path, "ab") as log_file:  # the child keeps its own descriptor
        os.chmod(log_path, 0o600)
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE, owner, run_id],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
            close_fds=True,
        )
    process.returncode = 0  # detached on purpose: never waited for (no "still running" warning)


def learn_run(
    store: Store,
    owner: str,
    run_id: str,
    request: OptimizationRequest,
    result: Mapping[str, Any],
    settings: Settings,
) -> int | None:
    """Teach `owner`'s strategy model the finished run `run_id` of `request`: the search its
    result holds (`search_of_result`), or for a search pipeline run the training step of its
    workspace; the version stored, or None when there is nothing to learn."""
    if request.pipeline:
        root = pipeline_workspace(run_id, settings)
        run_step("training", root, settings=settings)
        return int(json.loads((root / "training" / MODEL).read_text())["version"])
    search = search_of_result(run_id, request, result)
    return None if search is None else learn(store, owner, search).version


def learn_job(owner: str, run_id: str, settings: Settings) -> int | None:
    """Teach `owner`'s strategy model the succeeded job `run_id` (`learn_run`) under the owner's
    learning lock; the version stored, or None when there is nothing to learn."""
    from store.factory import open_store

    store = open_store(settings)
    try:
        job = store.get_job(owner, run_id)
        if job.status != "succeeded":
            raise ValueError(f"job {run_id} has no result to learn: it is {job.status}")
        result = store.get_result(owner, run_id).payload
        request = OptimizationRequest.model_validate(job.request)
        with learning_lock(settings, owner):
            return learn_run(store, owner, run_id, request, result, settings)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m graphs.learn_job OWNER RUN_ID`: 0 once the model learnt the run (or there was
    nothing to learn), 1 when it could not (logged)."""
    from settings import get_settings
    from settings.logs import configure_logging

    owner, run_id = list(sys.argv[1:] if argv is None else argv)
    settings = get_settings()
    configure_logging(settings)
    try:
        learn_job(owner, run_id, settings)
    except Exception:
        log.exception("the strategy model of %s could not learn run %s", owner, run_id)
        return 1
    return 0


if __name__ == "__main__":
    exit_process(main)
