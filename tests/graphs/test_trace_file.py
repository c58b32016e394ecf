"""A run's trace file holds whole events only (issue 50): an append that a full disk refuses
part-way is cut off again, so the file ends with the event before; a line a crash left
unfinished is not read as an event and is cut off before the trace is appended to again; the
sequence then goes on without a gap. The full disk is real (`RLIMIT_FSIZE` in a child,
`tests/support/full_disk.py`)."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.settings.test_atomic_writes import Writer
from traces.jsonl import check_sequence, read_jsonl, to_jsonl
from traces.recorder import TraceRecorder
from traces.tracelog import trace_log

RUN = "run_1"


@pytest.fixture(scope="module")
def writer() -> Iterator[Writer]:
    child = Writer()
    yield child
    assert child.process.stdin is not None
    child.process.stdin.close()
    assert child.process.wait(timeout=30) == 0


def events(count: int) -> str:
    """`count` events of a run as JSON lines."""
    recorder = TraceRecorder(RUN)
    return to_jsonl([recorder.warning(f"event {n}") for n in range(count)])


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), count=st.integers(1, 12))
def test_a_line_cut_short_is_no_event_and_the_trace_goes_on_after_the_whole_ones(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, count: int
) -> None:
    text = events(count).encode()
    cut = data.draw(st.integers(0, len(text)), label="cut")
    path = tmp_path_factory.mktemp("trace") / "events.jsonl"
    path.write_bytes(text[:cut])
    whole = text[:cut].count(b"\n") + (1 if text[cut - 1 : cut + 1] == b"}\n" else 0)
    assert len(read_jsonl(path)) == whole  # a whole event missing only its newline counts
    with trace_log(path, RUN) as log:
        log.emit([log.recorder.warning("after")])
    again = read_jsonl(path)
    check_sequence(again)
    assert len(again) == whole + 1 and again[-1].data["message"] == "after"
    assert path.read_bytes().endswith(b"\n")


@pytest.mark.parametrize("limit", [1, 150, 700, 1_500, 4_000])
def test_a_full_disk_stops_the_trace_after_a_whole_event(
    writer: Writer, tmp_path: Path, limit: int
) -> None:
    path = tmp_path / "events.jsonl"
    answer = writer.ask({"path": str(path), "events": 100, "limit": limit})
    assert answer["errno"] == errno.EFBIG  # the disk filled before the hundredth event
    written = read_jsonl(path)
    assert len(written) == answer["emitted"] and path.stat().st_size <= limit
    assert path.read_bytes().endswith(b"\n") or not path.read_bytes()
    with trace_log(path, RUN) as log:  # the disk has room again: the run goes on
        log.emit([log.recorder.warning("after")])
    check_sequence(read_jsonl(path))
