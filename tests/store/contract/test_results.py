"""The results contract on both backends: results small and large, the result check, trials."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from store.aws import AWSStore
from store.base import Store
from store.common import decode_cursor
from store.errors import ConflictError, InvalidResultError, NotFoundError
from store.jobs import OPTIMIZATION_KIND
from store.results import Trial
from tests.store.conftest import INLINE_LIMIT, s3_keys
from tests.support.store_contract import ALICE, running_job


def test_result_small_and_roundtrip(store: Store) -> None:
    job_id = running_job(store)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job_id)
    payload = {"best": {"sharpe": 1.2345678901234567, "weights": {"A": 0.25, "B": 0.75}}}
    job = store.complete_job(ALICE, job_id, payload, worker="w1")
    assert job.status == "succeeded" and job.lease_owner is None
    result = store.get_result(ALICE, job_id)
    assert result.payload == payload
    assert result.location == "inline"
    assert result.size_bytes == len(json.dumps(payload, separators=(",", ":")).encode())
    # a second completion is refused (the job is no longer running)
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job_id, {"other": 1})
    assert store.get_result(ALICE, job_id).payload == payload


def test_result_large_payload(store: Store) -> None:
    job_id = running_job(store)
    rng = random.Random(3)
    payload = {"trials": [[rng.random() for _ in range(20)] for _ in range(2000)]}
    store.complete_job(ALICE, job_id, payload)
    result = store.get_result(ALICE, job_id)
    assert result.payload == payload
    assert result.size_bytes > INLINE_LIMIT
    if type(store).__name__ == "AWSStore":
        assert result.location.startswith("s3://")
    else:
        assert result.location == "inline"


def test_no_result_for_a_job_that_is_not_running(store: Store) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job.id, {"x": 1})  # still pending
    store.transition(ALICE, job.id, ["pending"], "cancelled")
    big = {"blob": "x" * (INLINE_LIMIT * 2)}
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job.id, big)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    assert store.get_job(ALICE, job.id).status == "cancelled"


def optimization_result(
    status: str | None = "succeeded", n: int = 3, **changes: Any
) -> dict[str, Any]:
    """A result document of an optimization job with `n` trials (plus `changes`)."""
    trials = [{"trial": i, "objective": i / 10} for i in range(n)]
    best = {"trial": n - 1, "config": {"target_vol": 0.1}, "objective": (n - 1) / 10}
    return {"status": status, "best": best, "trials": trials, "n_trials": n} | changes


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"status": "failed", "reason": "database is locked"}, "stating status 'failed'"),
        (optimization_result(status="cancelled"), "stating status 'cancelled'"),
        (optimization_result(n=0), "holds 0 trials of 0"),
        (optimization_result(n_trials=5), "counts 5 trials but holds 3"),
        (optimization_result(trials=None), "holds 0 trials of 3"),
        (optimization_result(best=None), "no best configuration"),
        (optimization_result(best={"trial": 0}), "no best configuration"),
        (optimization_result(status=None), "states no status"),
        ([1, 2, 3], "must be a JSON object"),
        # large enough to go to S3 on the AWS backend: refused before the upload
        (optimization_result(n=2000, best=None, blob="x" * INLINE_LIMIT), "no best configuration"),
    ],
)
def test_an_incomplete_optimization_result_is_refused_and_nothing_is_written(
    store: Store, document: Any, problem: str
) -> None:
    """The job stays running without a result: `succeeded` only comes with a complete one."""
    job, _ = store.submit_job(ALICE, OPTIMIZATION_KIND, {"n": 1})
    store.claim(ALICE, job.id, "w1", 60)
    with pytest.raises(InvalidResultError, match=problem):
        store.complete_job(ALICE, job.id, document, worker="w1")
    after = store.get_job(ALICE, job.id)
    assert after.status == "running" and after.lease_owner == "w1"
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    if isinstance(store, AWSStore):
        assert s3_keys(store) == []


def test_any_job_s_result_stating_a_failure_or_missing_trials_is_refused(store: Store) -> None:
    job_id = running_job(store)  # another kind: only the rules for every result apply
    for document in ({"status": "failed"}, {"trials": [1, 2], "n_trials": 3}):
        with pytest.raises(InvalidResultError):
            store.complete_job(ALICE, job_id, document, worker="w1")
    assert store.get_job(ALICE, job_id).status == "running"
    assert store.complete_job(ALICE, job_id, [1, 2], worker="w1").status == "succeeded"


def test_a_complete_optimization_result_succeeds_also_partial_without_a_best(
    store: Store,
) -> None:
    for document in (optimization_result(), optimization_result("partial", best=None)):
        job, _ = store.submit_job(ALICE, OPTIMIZATION_KIND, {"n": len(document)})
        store.claim(ALICE, job.id, "w1", 60)
        assert store.complete_job(ALICE, job.id, document, worker="w1").status == "succeeded"
        assert store.get_result(ALICE, job.id).payload == document


def test_no_other_write_makes_a_job_succeeded(store: Store) -> None:
    job_id = running_job(store)
    with pytest.raises(ValueError, match="complete_job"):
        store.transition(ALICE, job_id, ["running"], "succeeded", worker="w1")
    with pytest.raises(NotFoundError):
        store.complete_job(ALICE, "job_missing", optimization_result())
    assert store.get_job(ALICE, job_id).status == "running"


def test_trials_pagination_covers_every_row_once(store: Store) -> None:
    job_id = running_job(store)
    numbers = list(range(537))
    random.Random(5).shuffle(numbers)
    for start in range(0, 537, 100):
        store.put_trials(
            ALICE,
            job_id,
            [Trial(n, {"n": n, "score": n / 3}) for n in numbers[start : start + 100]],
        )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = store.trials(ALICE, job_id, cursor=cursor, limit=50)
        seen += [t.number for t in page.items]
        assert all(t.data == {"n": t.number, "score": t.number / 3} for t in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(range(537))
    assert pages == 11


def test_trials_rewrite_and_growth_between_pages(store: Store) -> None:
    job_id = running_job(store)
    store.put_trials(ALICE, job_id, [Trial(n, {"v": 0}) for n in range(10)])
    first = store.trials(ALICE, job_id, limit=6)
    assert [t.number for t in first.items] == list(range(6))
    # a resumed batch rewrites trials 4..11: no duplicates, new ones appear after the cursor
    store.put_trials(ALICE, job_id, [Trial(n, {"v": 1}) for n in range(4, 12)])
    rest = store.trials(ALICE, job_id, cursor=first.next_cursor, limit=100)
    assert [t.number for t in rest.items] == list(range(6, 12))
    assert rest.next_cursor is None
    assert all(t.data == {"v": 1} for t in rest.items)
    with pytest.raises(ValueError):
        store.trials(ALICE, job_id, cursor="not-a-cursor")
    with pytest.raises(NotFoundError):
        store.put_trials(ALICE, "job_missing", [Trial(0, {})])
    assert decode_cursor(first.next_cursor) == 5
