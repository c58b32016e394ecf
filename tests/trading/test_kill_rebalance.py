"""SIGKILL of the worker after every store write of a rebalance job: the next worker takes the
job over and ends it with the ledger and paper account of an uninterrupted run, no order placed
twice (`tests/support/kill_rebalance.py`)."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import kill_rebalance, kill_shared_alpaca
from tests.support.forked import forkserver_runner


@pytest.fixture(scope="module")
def fork() -> Callable[..., int]:
    """Run a `kill_rebalance` or `kill_shared_alpaca` function in a process forked from one fork
    server for the module; its exit code. The children run no workflow: the server imports
    the execution services, not `WARM_IMPORTS`."""
    preload = dict.fromkeys([*kill_rebalance.PRELOAD, *kill_shared_alpaca.PRELOAD])
    return forkserver_runner(list(preload), warm_imports=False)


@pytest.mark.slow
def test_a_rebalance_killed_after_any_store_write_is_finished_exactly_once(
    tmp_path: Path, fork: Callable[..., int]
) -> None:
    reference = tmp_path / "reference.json"
    assert fork(kill_rebalance.run_until_killed, tmp_path / "clean", None, reference) == 0
    recorded = json.loads(reference.read_text())
    writes = recorded["writes"]
    assert {
        "save_broker_account",
        "update_orders",
        "append_ledger",
        "record_executions",
        "complete_job",
    } <= set(writes)
    assert len(recorded["essence"]["ledger"]) == 4  # the capital and three fills
    assert ["run_finished", "filled", 3] in recorded["essence"]["events"]
    for k in range(1, len(writes) + 1):
        data_dir = tmp_path / f"killed-{k}"
        code = fork(kill_rebalance.run_until_killed, data_dir, k, tmp_path / "unused.json")
        assert code == -signal.SIGKILL, f"write {k} ({writes[k - 1]}): not killed ({code})"
        assert fork(kill_rebalance.take_over, data_dir, reference) == 0, (
            f"killed after write {k} ({writes[k - 1]})"
        )
    print(f"\n{len(writes)} store writes, killed after each: finished exactly every time")


@pytest.mark.slow
def test_a_netted_rebalance_killed_after_any_store_write_is_finished_exactly_once(
    tmp_path: Path, fork: Callable[..., int]
) -> None:
    """Two strategies sharing a paper account, their targets conflicting on KO: a worker killed
    after any store write of their rebalance jobs leaves jobs the next worker finishes with the
    uninterrupted run's books, crossings, paper account and events: no fill doubled or lost."""
    reference, template = tmp_path / "reference.json", tmp_path / "template"
    assert fork(kill_rebalance.prepare_shared, template) == 0
    run = kill_rebalance.run_shared_until_killed
    assert fork(run, tmp_path / "clean", None, reference, template) == 0
    recorded = json.loads(reference.read_text())
    writes = recorded["writes"]
    assert {"enqueue_orders", "update_orders", "record_executions", "complete_job"} <= set(writes)
    sent = {order[0] for order in recorded["essence"]["broker"]}
    crossings = [o for o in recorded["essence"]["queue"] if o[1] == "filled" and o[0] not in sent]
    assert len(crossings) == 2  # KO bought by A from B inside the account
    for k in range(1, len(writes) + 1):
        data_dir = tmp_path / f"killed-{k}"
        code = fork(run, data_dir, k, tmp_path / "unused.json", template)
        assert code == -signal.SIGKILL, f"write {k} ({writes[k - 1]}): not killed ({code})"
        assert fork(kill_rebalance.take_over_shared, data_dir, reference) == 0, (
            f"killed after write {k} ({writes[k - 1]})"
        )
    print(f"\n{len(writes)} store writes, killed after each: finished exactly every time")


@pytest.mark.slow
def test_a_netted_alpaca_rebalance_killed_after_any_store_write_is_finished_exactly_once(
    tmp_path: Path, fork: Callable[..., int]
) -> None:
    """Two strategies sharing the owner's Alpaca account (the loopback stand-in, in this
    process: it outlives the killed workers) open it and trade their first netted rebalance: a
    worker killed after any store write leaves jobs the next worker finishes with the
    uninterrupted run's openings, books, queue and events, and Alpaca with the same orders,
    each placed once, shares and cash."""
    reference = tmp_path / "reference.json"
    with kill_shared_alpaca.stand_in() as alpaca:
        run = kill_shared_alpaca.run_until_killed
        assert fork(run, tmp_path / "clean", alpaca.url, None, reference) == 0
        expected_alpaca = kill_shared_alpaca.at_alpaca(alpaca)
    recorded = json.loads(reference.read_text())
    writes = recorded["writes"]
    assert {"update_deployment", "append_ledger", "enqueue_orders", "record_executions"} <= set(
        writes
    )
    [ko] = [o for o in recorded["essence"]["queue"] if o[0].endswith("-01")]
    assert [a[0] for a in ko[3]] == ["a", "b"]  # KO: one order, both strategies' parts
    assert len(expected_alpaca["orders"]) == kill_shared_alpaca.ORDERS
    for k in range(1, len(writes) + 1):
        data_dir, report = tmp_path / f"killed-{k}", tmp_path / f"killed-{k}.json"
        with kill_shared_alpaca.stand_in() as alpaca:
            code = fork(run, data_dir, alpaca.url, k, tmp_path / "unused.json")
            assert code == -signal.SIGKILL, f"write {k} ({writes[k - 1]}): not killed ({code})"
            taken = fork(kill_shared_alpaca.take_over, data_dir, alpaca.url, report)
            assert taken == 0, f"killed after write {k} ({writes[k - 1]})"
            assert kill_shared_alpaca.at_alpaca(alpaca) == expected_alpaca, f"write {k}"
        assert json.loads(report.read_text()) == recorded["essence"], f"write {k}"
    print(f"\n{len(writes)} store writes, killed after each: finished exactly every time")
