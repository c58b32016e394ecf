"""A trace continued again in the same process is read only as far as it grew (issue 63), and
continues exactly as reading it whole would: whatever happened to the file between two turns —
events another process appended, a line cut short, the file deleted and written anew (another
run), cut back, or another thread's file continued in between — `trace_log` starts from the
recorder and the last event of `TraceRecorder.resume` over the whole file, and the process
remembers at most `CACHED_FILES` files. (Two real server processes taking turns on one thread:
`tests/api/test_chat_serve.py`.)"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, ToolMessage

import traces.continuation as continuation
from bounded_lru import BoundedLru
from traces.jsonl import check_sequence, mend, read_jsonl, to_jsonl
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent
from traces.tracelog import trace_log

_ids = itertools.count()


def _state(recorder: TraceRecorder) -> tuple[Any, ...]:
    """What a resumed recorder carries over from the stored trace."""
    return (
        recorder.run_id,
        recorder.start_seq,
        recorder.next_seq,
        recorder._seen_messages,
        recorder._emitted_calls,
        recorder._emitted_results,
        recorder._call_names,
    )


def _turn(recorder: TraceRecorder, calls: int) -> list[TraceEvent]:
    """A turn's events: a reply with `calls` tool calls, their results, the run's ends."""
    n = next(_ids)
    tool_calls = [{"name": "tool", "args": {"k": i}, "id": f"c{n}_{i}"} for i in range(calls)]
    reply = AIMessage(content=f"reply {n}", id=f"m{n}", tool_calls=tool_calls)
    meta = {"langgraph_node": "specialist"}
    events = [recorder.run_started("assistant")]
    events += recorder.events_from_chunk(("messages", (reply, meta)))
    for call in tool_calls:
        result = ToolMessage(content="done", tool_call_id=call["id"], name="tool", id=f"t{n}")
        events += recorder.events_from_chunk(("messages", (result, meta)))
    events += recorder.flush() + recorder.run_finished("succeeded")
    return events


def _whole(path: Path, run_id: str) -> tuple[tuple[Any, ...], TraceEvent | None]:
    """The recorder's state and the last event from reading the whole (mended) file."""
    if path.is_file():
        mend(path)
    events = read_jsonl(path) if path.is_file() else []
    recorder = TraceRecorder.resume(events) if events else TraceRecorder(run_id)
    return _state(recorder), events[-1] if events else None


def _append(path: Path, events: list[TraceEvent]) -> None:
    """What another process's turn leaves: its events appended to the file."""
    with path.open("ab") as fh:
        fh.write(to_jsonl(events).encode())


OPS = st.lists(
    st.tuples(
        st.sampled_from(["turn", "other process", "torn", "replaced", "cut back"]),
        st.sampled_from(["a", "b"]),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_a_continued_trace_starts_where_reading_it_whole_would(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, str, int]]
) -> None:
    directory = tmp_path_factory.mktemp("threads")
    for op, name, size in ops:
        path = directory / name / "events.jsonl"
        path.parent.mkdir(exist_ok=True)
        if op == "turn":
            expected = _whole(path, name)
            with trace_log(path, name) as log:
                assert (_state(log.recorder), log.last) == expected
                log.emit(_turn(log.recorder, size))
        elif op == "other process":
            previous = []
            if path.is_file():
                mend(path)
                previous = read_jsonl(path)
            other = TraceRecorder.resume(previous) if previous else TraceRecorder(name)
            _append(path, _turn(other, size))
        elif op == "torn" and path.is_file():
            line = to_jsonl([TraceRecorder(name).warning("cut")])
            with path.open("ab") as fh:
                fh.write(line[: 1 + size * 7].encode())
        elif op == "replaced":
            if path.exists():
                os.unlink(path)
            _append(path, _turn(TraceRecorder(f"{name}-{next(_ids)}"), size))
        elif op == "cut back" and path.is_file():
            lines = path.read_bytes().splitlines(keepends=True)
            path.write_bytes(b"".join(lines[: len(lines) * size // 4]))
    for name in ("a", "b"):
        path = directory / name / "events.jsonl"
        if path.is_file():
            expected = _whole(path, name)
            with trace_log(path, name) as log:
                assert (_state(log.recorder), log.last) == expected
            if events := read_jsonl(path):
                check_sequence(events, start_seq=events[0].seq)


def test_a_process_remembers_a_bounded_number_of_traces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(continuation, "_READ", BoundedLru(3))  # `CACHED_FILES` of 3
    paths = [tmp_path / f"t{n}" / "events.jsonl" for n in range(5)]
    for path in paths:
        with trace_log(path, path.parent.name) as log:
            log.emit(_turn(log.recorder, 1))
        with trace_log(path, path.parent.name) as log:  # remembered from here on
            assert log.last is not None and log.last.type == "run_finished"
    remembered = continuation._READ.keys()
    assert len(remembered) == 3
    assert remembered == [os.path.abspath(p) for p in paths[-3:]]
