"""A cancel that stops nothing leaves the run `success` (`api.agent_protocol.chat_runs`).

agent-chat-ui streams a run with `on_disconnect: "cancel"` and closes the stream once it has
read the answer, so its cancel can reach the server after the turn's last step, before the run
has ended. The run did all it was asked: its record says `success`. A cancel that does stop
something (the turn before a step, or the search job it started while the job runs) still
ends it `interrupted`. Each run is executed as the app executes it (`execute`, the store's
journal on SQLite); the turn is a function of the test that streams the graph's items and
cancels where a client's cancel would land."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langgraph.types import StateSnapshot

from api.agent_protocol.chat_runs import AgentRun, chat_outcome, execute, new_run_id
from api.agent_protocol.run_records import RunTiming, StoreJournal
from store.sqlite import SQLiteStore

OWNER = "alice"
ANSWER = {"messages": [{"type": "ai", "content": "Run job_1 succeeded."}]}


def _snapshot() -> StateSnapshot:
    """The thread after a finished turn: its answer, nothing pending."""
    return StateSnapshot(ANSWER, (), {"configurable": {}}, None, None, None, (), ())


class JobRunner:
    """The run's search jobs: `running` ones can be cancelled (True), ended ones cannot."""

    def __init__(self, running: bool) -> None:
        self.running = running
        self.cancelled: list[str] = []

    def cancel(self, job_id: str) -> bool:
        if not self.running:
            return False
        self.running = False
        self.cancelled.append(job_id)
        return True


def _executed(
    store: SQLiteStore, turn: Callable[[AgentRun, Callable[[Any], None]], None], jobs: JobRunner
) -> tuple[AgentRun, str]:
    """Execute a chat run of `turn` on a new thread: the run and the status its record keeps."""
    thread = store.create_thread(OWNER, "late cancel")
    run = AgentRun(new_run_id(), thread.id, "assistant", OWNER, ("values", "custom"))
    run.cancel_job = jobs.cancel
    store.create_agent_run(
        OWNER, run_id=run.run_id, thread_id=thread.id, assistant_id="assistant", lease_seconds=30
    )
    outcome = chat_outcome(lambda on_chunk: turn(run, on_chunk), _snapshot)
    journal = StoreJournal(store, OWNER, RunTiming(lease_seconds=30, heartbeat_seconds=60))
    execute(run, outcome, lambda: None, journal)
    return run, store.get_agent_run(OWNER, thread.id, run.run_id).status


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "store.sqlite")


STEPS = st.integers(min_value=1, max_value=5)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, with_job=st.booleans())
def test_a_cancel_after_the_last_step_leaves_the_run_a_success(
    store: SQLiteStore, steps: int, with_job: bool
) -> None:
    """The client reads the last step's frame and goes away: its cancel stops nothing (a job
    the run started has ended by then)."""
    jobs = JobRunner(running=False)

    def turn(run: AgentRun, on_chunk: Callable[[Any], None]) -> None:
        if with_job:
            on_chunk(((), "custom", {"type": "job", "job_id": "job_1"}))
        for step in range(steps):
            on_chunk(((), "values", {"step": step}))
        run.cancel("the client disconnected")  # after the last item, before the run ends

    run, recorded = _executed(store, turn, jobs)
    assert (run.status, recorded) == ("success", "success")
    assert jobs.cancelled == []
    assert run.frames[-1] == ("end", {"run_id": run.run_id, "status": "success"})


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, cancelled_at=st.integers(min_value=0, max_value=4))
def test_a_cancel_before_a_step_interrupts_the_run(
    store: SQLiteStore, steps: int, cancelled_at: int
) -> None:
    """A cancel with steps still to come stops the turn at its next item: `interrupted`."""
    seen: list[int] = []

    def turn(run: AgentRun, on_chunk: Callable[[Any], None]) -> None:
        for step in range(steps + 1):
            if step == min(cancelled_at, steps - 1):
                run.cancel("the client disconnected")
            on_chunk(((), "values", {"step": step}))
            seen.append(step)

    run, recorded = _executed(store, turn, JobRunner(running=False))
    assert (run.status, recorded) == ("interrupted", "interrupted")
    assert run.cancel_reason == "the client disconnected"
    assert len(seen) == min(cancelled_at, steps - 1)  # no step after the cancel


def test_a_cancel_that_stops_the_run_s_job_interrupts_the_run(store: SQLiteStore) -> None:
    """A cancel while the run's search job runs cancels the job; its node then ends early
    and the turn returns: `interrupted`."""
    jobs = JobRunner(running=True)

    def turn(run: AgentRun, on_chunk: Callable[[Any], None]) -> None:
        on_chunk(((), "custom", {"type": "job", "job_id": "job_1"}))
        run.cancel("cancelled by the client")  # the job is cancelled, its node ends early
        on_chunk(((), "values", {"step": 0}))  # a run with jobs is not stopped mid-node

    run, recorded = _executed(store, turn, jobs)
    assert jobs.cancelled == ["job_1"]
    assert (run.status, recorded) == ("interrupted", "interrupted")
