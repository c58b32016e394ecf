"""The Agent Protocol cron repository on both backends: per-owner records, the crons due across
owners, and the guarded move of a cron's next run."""

from __future__ import annotations

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
