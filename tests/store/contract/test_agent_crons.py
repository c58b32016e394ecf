"""The Agent Protocol cron repository on both backends: per-owner records, the crons due across
owners, and the guarded move of a cron's next run."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB


def test_crons_per_owner_and_due_across_owners(store: Store, clock: FakeClock) -> None:
    soon = clock.now + timedelta(minutes=1)
    later = clock.now + timedelta(hours=1)
    a = store.create_agent_cron(
        ALICE,
        cron_id="c-1",
        thread_id=None,
        schedule="* * * * *",
        next_run_at=soon,
        end_at=None,
        document={"assistant_id": "assistant", "payload": {"input": {"messages": []}}},
    )
    store.create_agent_cron(
        BOB,
        cron_id="c-2",
        thread_id="t-1",
        schedule="0 * * * *",
        next_run_at=later,
        end_at=later,
        document={},
    )
    with pytest.raises(ConflictError):
        store.create_agent_cron(
            ALICE,
            cron_id="c-1",
            thread_id=None,
            schedule="* * * * *",
            next_run_at=soon,
            end_at=None,
            document={},
        )
    assert store.get_agent_cron(ALICE, "c-1") == a
    with pytest.raises(NotFoundError):
        store.get_agent_cron(BOB, "c-1")
    assert [c.cron_id for c in store.list_agent_crons(BOB)] == ["c-2"]
    assert store.due_agent_crons(clock.now) == []
    assert [c.cron_id for c in store.due_agent_crons(soon)] == ["c-1"]
    assert [c.cron_id for c in store.due_agent_crons(later)] == ["c-1", "c-2"]
    # one scheduler moves it on; another that read the same next run writes nothing
    assert store.advance_agent_cron(ALICE, "c-1", was=soon, next_run_at=later + timedelta(1))
    assert not store.advance_agent_cron(ALICE, "c-1", was=soon, next_run_at=later)
    assert store.get_agent_cron(ALICE, "c-1").next_run_at == later + timedelta(1)
    assert [c.cron_id for c in store.due_agent_crons(later)] == ["c-2"]
    # an ended cron is never due again
    assert store.advance_agent_cron(BOB, "c-2", was=later, next_run_at=None)
    assert store.get_agent_cron(BOB, "c-2").next_run_at is None
    assert store.due_agent_crons(later + timedelta(days=9)) == [store.get_agent_cron(ALICE, "c-1")]
    store.delete_agent_cron(ALICE, "c-1")
    with pytest.raises(NotFoundError):
        store.delete_agent_cron(ALICE, "c-1")
    assert store.due_agent_crons(later + timedelta(days=9)) == []


def test_an_update_replaces_what_was_read_and_nothing_newer(store: Store, clock: FakeClock) -> None:
    soon = clock.now + timedelta(minutes=1)
    later = clock.now + timedelta(hours=1)
    read = store.create_agent_cron(
        ALICE,
        cron_id="c-1",
        thread_id=None,
        schedule="* * * * *",
        next_run_at=soon,
        end_at=None,
        document={"enabled": True},
    )
    with pytest.raises(NotFoundError):  # another owner's cron is not there to update
        store.update_agent_cron(
            dataclasses.replace(read, owner=BOB),
            schedule="0 * * * *",
            next_run_at=later,
            end_at=None,
            document={},
        )
    clock.advance(1)
    updated = store.update_agent_cron(
        read, schedule="0 * * * *", next_run_at=later, end_at=later, document={"enabled": True}
    )
    assert updated is not None and updated == store.get_agent_cron(ALICE, "c-1")
    assert (updated.schedule, updated.next_run_at, updated.end_at) == ("0 * * * *", later, later)
    assert updated.updated_at > read.updated_at and updated.created_at == read.created_at
    assert store.due_agent_crons(soon) == [] and store.due_agent_crons(later) == [updated]
    # what was read is stale now: a second writer that read it writes nothing
    assert (
        store.update_agent_cron(
            read, schedule="5 * * * *", next_run_at=soon, end_at=None, document={}
        )
        is None
    )
    # a fire that moved the next run makes a read taken before it stale too
    assert store.advance_agent_cron(ALICE, "c-1", was=later, next_run_at=later + timedelta(1))
    assert (
        store.update_agent_cron(
            updated, schedule="5 * * * *", next_run_at=None, end_at=None, document={}
        )
        is None
    )
    # disabled: no next run, never due, until an update gives it one again
    current = store.get_agent_cron(ALICE, "c-1")
    disabled = store.update_agent_cron(
        current, schedule="0 * * * *", next_run_at=None, end_at=None, document={"enabled": False}
    )
    assert disabled is not None and disabled.next_run_at is None and disabled.end_at is None
    assert store.due_agent_crons(later + timedelta(days=9)) == []
    enabled = store.update_agent_cron(
        disabled, schedule="0 * * * *", next_run_at=later, end_at=None, document={}
    )
    assert store.due_agent_crons(later) == [enabled]
    store.delete_agent_cron(ALICE, "c-1")
    with pytest.raises(NotFoundError):
        store.update_agent_cron(
            enabled, schedule="0 * * * *", next_run_at=None, end_at=None, document={}
        )
