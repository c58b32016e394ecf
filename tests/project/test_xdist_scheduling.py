"""How `make unit` shares the suite between pytest-xdist workers (`tests/support/scheduling.py`):
whole modules, or declared groups of them, per worker; every collected test sent exactly once,
even where two share a node id."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.scheduling import UnitScheduling, check_groups, module_group, unit_of

ROOT = Path(__file__).resolve().parents[2]


@dataclass(eq=False)
class FakeWorker:
    """What the scheduler uses of xdist's `WorkerController`."""

    name: str
    sent: list[list[int]] = field(default_factory=list)
    shutting_down: bool = False

    @property
    def gateway(self) -> Any:
        return type("Gateway", (), {"id": self.name})()

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(list(indices))

    def shutdown(self) -> None:
        self.shutting_down = True


def _scheduler(tmp_path: Path, workers: int) -> UnitScheduling:
    config: Any = type(
        "Config",
        (),
        {"rootpath": tmp_path, "getvalue": lambda self, name: [f"{workers}*popen"]},
    )()
    return UnitScheduling(config)


def _modules(tmp_path: Path, collection: list[str]) -> list[str]:
    for nodeid in collection:
        (tmp_path / nodeid.split("::")[0]).touch()
    return collection


def _suite(tmp_path: Path) -> list[str]:
    (tmp_path / "test_a.py").write_text("def test_1(): pass\n")
    (tmp_path / "test_b.py").write_text(
        'import pytest\n\npytestmark = pytest.mark.xdist_group("ray")\n'
    )
    (tmp_path / "test_c.py").write_text(
        'import pytest\n\npytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="ray")]\n'
    )
    return [
        "test_a.py::test_1",
        "test_a.py::test_2",
        "test_b.py::test_1",
        "test_c.py::test_1[x]",
        "test_c.py::test_1[x]",  # schemathesis' items of one function share their node id
        "test_a.py::test_3",
    ]


def test_a_module_s_group_is_read_from_its_pytestmark(tmp_path: Path) -> None:
    collection = _suite(tmp_path)
    assert module_group(str(tmp_path / "test_a.py")) is None
    assert module_group(str(tmp_path / "test_b.py")) == "ray"
    assert module_group(str(tmp_path / "test_c.py")) == "ray"
    assert [unit_of(nodeid, tmp_path) for nodeid in collection] == [
        "test_a.py",
        "test_a.py",
        "group ray",
        "group ray",
        "group ray",
        "test_a.py",
    ]


def test_the_suite_declares_the_ray_and_cdk_groups() -> None:
    assert module_group(str(ROOT / "tests/jobs/test_ray_backend.py")) == "ray"
    assert module_group(str(ROOT / "tests/graphs/test_compute_backends.py")) == "ray"
    assert module_group(str(ROOT / "tests/infra/test_stacks.py")) == "cdk"


def test_every_test_is_sent_once_whole_units_at_a_time(tmp_path: Path) -> None:
    collection = _suite(tmp_path)
    sched = _scheduler(tmp_path, 2)
    first, second = FakeWorker("gw0"), FakeWorker("gw1")
    for worker in (first, second):
        sched.add_node(worker)  # type: ignore[arg-type]
        sched.add_node_collection(worker, collection)  # type: ignore[arg-type]
    assert sched.collection_is_completed
    sched.schedule()
    assert first.sent == [[0, 1, 5]] and second.sent == [[2, 3, 4]]
    for worker, indices in ((first, [0, 1, 5]), (second, [2, 3, 4])):
        assert sched.has_pending
        for index in indices:
            sched.mark_test_complete(worker, index)  # type: ignore[arg-type]
        assert worker.shutting_down  # nothing left to hand out: it may run its last test
    assert sched.tests_finished and not sched.has_pending
    assert first.sent == [[0, 1, 5]] and second.sent == [[2, 3, 4]]


def test_a_worker_gets_the_next_unit_when_nearly_done(tmp_path: Path) -> None:
    collection = _modules(tmp_path, [f"test_{m}.py::test_{i}" for m in "abc" for i in range(4)])
    sched = _scheduler(tmp_path, 1)
    worker = FakeWorker("gw0")
    sched.add_node(worker)  # type: ignore[arg-type]
    sched.add_node_collection(worker, collection)  # type: ignore[arg-type]
    sched.schedule()
    assert worker.sent == [[0, 1, 2, 3]]
    sched.mark_test_complete(worker, 0)  # type: ignore[arg-type]
    assert worker.sent == [[0, 1, 2, 3]]  # three left
    sched.mark_test_complete(worker, 1)  # type: ignore[arg-type]
    assert worker.sent == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert not worker.shutting_down


def test_a_worker_is_never_left_holding_one_test_while_work_remains(tmp_path: Path) -> None:
    # a worker runs a test once it knows the next one: one test alone would wait for the end
    collection = _modules(
        tmp_path, ["test_a.py::test_1", "test_b.py::test_1", "test_b.py::test_2", "test_c.py::t"]
    )
    sched = _scheduler(tmp_path, 2)
    first, second = FakeWorker("gw0"), FakeWorker("gw1")
    for worker in (first, second):
        sched.add_node(worker)  # type: ignore[arg-type]
        sched.add_node_collection(worker, collection)  # type: ignore[arg-type]
    sched.schedule()
    assert first.sent == [[0], [1, 2]]  # the one-test unit and the next
    assert second.sent == [[3]] and second.shutting_down  # the last unit: told nothing follows
    assert not first.shutting_down
    sched.mark_test_complete(first, 0)  # type: ignore[arg-type]
    assert first.shutting_down and first.sent == [[0], [1, 2]]  # told at its next report
    for index in (1, 2):
        sched.mark_test_complete(first, index)  # type: ignore[arg-type]
    sched.mark_test_complete(second, 3)  # type: ignore[arg-type]
    assert sched.tests_finished and not sched.has_pending


def test_a_crashed_worker_s_test_is_reported_and_the_rest_handed_out_again(tmp_path: Path) -> None:
    collection = _modules(tmp_path, [f"test_{m}.py::test_{i}" for m in "ab" for i in range(3)])
    sched = _scheduler(tmp_path, 2)
    first, second = FakeWorker("gw0"), FakeWorker("gw1")
    for worker in (first, second):
        sched.add_node(worker)  # type: ignore[arg-type]
        sched.add_node_collection(worker, collection)  # type: ignore[arg-type]
    sched.schedule()
    sched.mark_test_complete(first, 0)  # type: ignore[arg-type]
    assert sched.remove_node(first) == "test_a.py::test_1"  # type: ignore[arg-type]
    replacement = FakeWorker("gw2")
    sched.add_node(replacement)  # type: ignore[arg-type]
    sched.schedule()
    assert replacement.sent == [[2]]


@dataclass
class FakeItem:
    """What `check_groups` reads of a test item."""

    path: Path
    marks: list[pytest.Mark]

    @property
    def nodeid(self) -> str:
        return f"{self.path.name}::test_one"

    def iter_markers(self, name: str) -> list[pytest.Mark]:
        return [mark for mark in self.marks if mark.name == name]


def test_a_group_is_declared_for_a_whole_module(tmp_path: Path) -> None:
    _suite(tmp_path)
    ray = pytest.mark.xdist_group("ray").mark
    check_groups([FakeItem(tmp_path / "test_b.py", [ray])])  # type: ignore[list-item]
    check_groups([FakeItem(tmp_path / "test_a.py", [])])  # type: ignore[list-item]
    with pytest.raises(pytest.UsageError, match="declared for a whole module"):
        check_groups([FakeItem(tmp_path / "test_a.py", [ray])])  # type: ignore[list-item]
