"""`exit_process` ends a process with the code its work returns (or the exception it raised,
as Python would), every object then alive frozen out of the cyclic collector's reach; `atexit`
handlers still run. Each case runs in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROGRAM = """
import atexit, gc, sys
from settings.process_exit import exit_process

cycles = []
for _ in range(1000):  # garbage-to-be in reference cycles, as a loaded process holds
    node = {{}}
    node["self"] = node
    cycles.append(node)
atexit.register(lambda: print(f"frozen {{gc.get_freeze_count()}}", file=sys.stderr))

def work():
    {body}

exit_process(work)
"""


@pytest.mark.parametrize(
    ("body", "code", "said"),
    [
        ("return 0", 0, ""),
        ("return 3", 3, ""),
        ("return None", 0, ""),
        ("raise SystemExit(5)", 5, ""),
        ("raise SystemExit('stopped: why')", 1, "stopped: why"),
        ("raise RuntimeError('the work failed')", 1, "RuntimeError: the work failed"),
    ],
)
def test_the_process_exits_with_its_work_s_code_its_objects_frozen(
    body: str, code: int, said: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(body=body)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    assert said in done.stderr
    frozen = [line for line in done.stderr.splitlines() if line.startswith("frozen ")]
    assert len(frozen) == 1, done.stderr  # the atexit handler ran
    assert int(frozen[0].split()[1]) > 1000  # the cycles and everything else alive


LOADING = """
import gc, json, sys
from settings.process_exit import exit_process, loading

collections = []
gc.callbacks.append(lambda phase, info: collections.append(phase) if phase == "start" else None)

def work():
    {before}
    frozen_before = gc.get_freeze_count()
    with loading():
        loaded = [{{"node": [i]}} for i in range(200_000)]  # containers, as modules hold
        during = len(collections)
    print(json.dumps({{"during": during, "frozen": gc.get_freeze_count() - frozen_before,
                      "enabled": gc.isenabled(), "kept": len(loaded)}}))
    return 0

{run}
"""


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("own_process", [True, False])
def test_loading_pauses_the_collector_and_freezes_what_it_loaded_only_in_a_process_of_ours(
    enabled: bool, own_process: bool
) -> None:
    program = LOADING.format(
        before="" if enabled else "gc.disable()",
        run="exit_process(work)" if own_process else "sys.exit(work())",
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["during"] == 0  # 400,000 containers made, and no collection ran meanwhile
    assert report["enabled"] is enabled  # the collector as it was before
    if own_process:
        assert report["frozen"] >= 400_000  # what the block made, frozen out of later collections
    else:
        assert report["frozen"] == 0  # a test or an embedding program: nothing frozen
