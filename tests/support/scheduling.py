"""How `make unit` shares the suite between pytest-xdist workers (`-n <cores + 1> --dist
loadgroup`).

A test module is one unit of work: its module- and package-scoped fixtures (servers, apps, a
synthesized CDK app, a browser) are built once, on one worker. Modules that declare the same
group, `pytestmark = pytest.mark.xdist_group("name")`, form one unit together: what must not run
on two workers at once (the local Ray clusters) is one group. A group is declared for a whole
module only; a worker refuses a test marked otherwise.

The units holding tests marked `slow` are handed out first, so that no worker is left alone with
a long harness at the end of the run.

The scheduler is ours rather than xdist's `loadgroup`, for two reasons of the locked versions:
xdist 3.8 names a test's group by rewriting its `_nodeid`, which pytest 9.2 no longer reads (the
groups were silently ignored), and xdist keys its work by node id while schemathesis 4.32 gives
all the items of one test function the same node id (xdist ran 1 of the 100 tests of
`tests/api/test_schemathesis.py`). Here the work is tracked by item index, and a module's group
is read from its source.
"""

from __future__ import annotations

import ast
import functools
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from xdist.report import report_collection_diff
from xdist.workermanage import WorkerController, parse_tx_spec_config

LOW_WATERMARK = 2
"""A worker is given its next unit when it has this many tests or fewer still to run."""

RUNNABLE = 2
"""A worker runs a test only once it knows the one after it (or that none comes: shutdown), so a
worker is handed units until it holds this many tests, or is told that no more come."""


@functools.cache
def module_group(path: str) -> str | None:
    """The `xdist_group` a test module declares in its `pytestmark` (None: none)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
            continue
        for call in ast.walk(node.value) if node.value is not None else ():
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "xdist_group"
            ):
                arguments = [*call.args, *(k.value for k in call.keywords if k.arg == "name")]
                if len(arguments) != 1 or not isinstance(arguments[0], ast.Constant):
                    raise pytest.UsageError(f"{path}: xdist_group needs one literal name")
                return str(arguments[0].value)
    return None


def unit_of(nodeid: str, rootpath: Path) -> str:
    """The unit of work of the test `nodeid`: its module's group, else its module."""
    module = nodeid.split("::", 1)[0]
    group = module_group(str(rootpath / module)) if module.endswith(".py") else None
    return f"group {group}" if group else module


def _marked_group(item: pytest.Item) -> str | None:
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name"))
        for mark in item.iter_markers("xdist_group")
    }
    if not names:
        return None
    declared = module_group(str(item.path)) if item.path.suffix == ".py" else None
    if names != {declared}:
        raise pytest.UsageError(
            f"{item.nodeid}: an xdist_group is declared for a whole module, in its pytestmark "
            f"(tests/support/scheduling.py); found {sorted(names)}"
        )
    return declared


def check_groups(items: Sequence[pytest.Item]) -> None:
    """Every `xdist_group` mark comes from its module's `pytestmark` (the scheduler reads no
    other)."""
    for item in items:
        _marked_group(item)


def slow_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place: the units holding `slow` tests first, then the others; in
    collection order otherwise, each unit's tests together."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        group = _marked_group(item)
        unit = f"group {group}" if group else item.nodeid.split("::", 1)[0]
        units.setdefault(unit, []).append(item)
    slow = [u for u, members in units.items() if any(i.get_closest_marker("slow") for i in members)]
    order = slow + [u for u in units if u not in slow]
    items[:] = [item for unit in order for item in units[unit]]


class UnitScheduling:
    """pytest-xdist scheduling of whole units (`unit_of`), in the workers' collection order
    (`slow_first`), each unit to the next worker that is nearly done with its own."""

    def __init__(self, config: pytest.Config, log: Any | None = None) -> None:
        self.config = config
        self.numnodes = len(parse_tx_spec_config(config))
        self.log = log.unitsched if log is not None else (lambda *args: None)
        self.collection: list[str] | None = None
        self.collections: dict[WorkerController, list[str]] = {}
        self.queue: deque[list[int]] = deque()
        self.assigned: dict[WorkerController, dict[int, bool]] = {}

    @property
    def nodes(self) -> list[WorkerController]:
        return list(self.assigned)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.collections) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.queue:
            return False
        return all(self._pending(node) < LOW_WATERMARK for node in self.assigned)

    @property
    def has_pending(self) -> bool:
        return bool(self.queue) or any(self._pending(node) for node in self.assigned)

    def add_node(self, node: WorkerController) -> None:
        assert node not in self.assigned
        self.assigned[node] = {}

    def add_node_collection(self, node: WorkerController, collection: Sequence[str]) -> None:
        assert node in self.assigned
        self.collections[node] = list(collection)

    def mark_test_complete(
        self, node: WorkerController, item_index: int, duration: float = 0
    ) -> None:
        self.assigned[node][item_index] = True
        self._reschedule(node)

    def mark_test_pending(self, item: str) -> None:
        raise NotImplementedError

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        raise NotImplementedError

    def remove_node(self, node: WorkerController) -> str | None:
        """Forget `node`; when it died with tests left, the one it was running (reported as
        crashed) and the rest back at the head of the queue."""
        pending = [index for index, done in self.assigned.pop(node).items() if not done]
        if not pending:
            return None
        assert self.collection is not None
        crashed, rest = pending[0], pending[1:]
        if rest:
            self.queue.appendleft(rest)
        for other in self.assigned:
            self._reschedule(other)
        return self.collection[crashed]

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is not None:
            for node in self.nodes:
                self._reschedule(node)
            return
        if not self._same_collections():
            self.log("**Different tests collected, aborting run**")
            return
        self.collection = next(iter(self.collections.values()))
        if not self.collection:
            return
        units: dict[str, list[int]] = {}
        for index, nodeid in enumerate(self.collection):
            units.setdefault(unit_of(nodeid, self.config.rootpath), []).append(index)
        self.queue.extend(units.values())
        for node in self.nodes[len(self.queue) :]:  # more workers than units
            del self.assigned[node]
            node.shutdown()
        for node in self.nodes:
            self._reschedule(node)

    def _pending(self, node: WorkerController) -> int:
        return sum(not done for done in self.assigned[node].values())

    def _reschedule(self, node: WorkerController) -> None:
        """Hand `node` more work when it is nearly done; tell it when no more comes (it then runs
        the test it held back)."""
        if node.shutting_down:
            return
        if self.queue and self._pending(node) <= LOW_WATERMARK:
            self._assign(node)
        if not self.queue:
            node.shutdown()

    def _assign(self, node: WorkerController) -> None:
        """The next unit to `node`, and more while it holds fewer than `RUNNABLE` tests: a worker
        given one test alone would wait for the end of the run to start it."""
        while self.queue:
            unit = self.queue.popleft()
            self.assigned[node].update(dict.fromkeys(unit, False))
            node.send_runtest_some(unit)
            if self._pending(node) >= RUNNABLE:
                return

    def _same_collections(self) -> bool:
        (first, reference), *others = self.collections.items()
        same = True
        for node, collection in others:
            difference = report_collection_diff(
                reference, collection, first.gateway.id, node.gateway.id
            )
            if difference:
                same = False
                self.log(difference)
                report = pytest.CollectReport(
                    nodeid=node.gateway.id, outcome="failed", longrepr=difference, result=[]
                )
                self.config.hook.pytest_collectreport(report=report)
        return same
