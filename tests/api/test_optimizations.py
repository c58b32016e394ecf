"""Optimization jobs over HTTP: submit, status, list, cancel, results, tenancy."""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.caching import IMMUTABLE_CACHE
from graphs.request import DEFAULT_SPACE
from store import Trial
from store.common import encode_cursor
from tests.api.conftest import Api, assert_error

SMALL = {"budget": {"max_trials": 40, "batch_size": 10}, "n_paths": 20, "seed": 3}


def wait_done(api: Api, job_id: str, headers: dict[str, str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.client.get(f"/v1/optimizations/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def finished(api: Api) -> dict[str, Any]:
    """One small optimization of alice's, run to the end by the app's worker."""
    response = api.client.post("/v1/optimizations", json=SMALL, headers=api.alice)
    assert response.status_code == 202, response.text
    job = wait_done(api, response.json()["id"], api.alice)
    assert job["status"] == "succeeded", job
    return job


def test_submit_answers_202_with_location_and_a_pending_job(queued: Api) -> None:
    response = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice)
    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/v1/optimizations/{job['id']}"
    assert job["status"] == "pending"
    assert job["request"]["budget"]["max_trials"] == 40
    stored = queued.store.get_job("alice", job["id"])
    assert stored.status == "pending" and stored.kind == "optimization"


def test_idempotency_key_returns_the_first_job_and_refuses_another_request(queued: Api) -> None:
    headers = {**queued.alice, "Idempotency-Key": "form-42"}
    first = queued.client.post("/v1/optimizations", json=SMALL, headers=headers).json()
    again = queued.client.post("/v1/optimizations", json=SMALL, headers=headers).json()
    assert again["id"] == first["id"]
    other = {**SMALL, "seed": 4}
    assert_error(
        queued.client.post("/v1/optimizations", json=other, headers=headers), 409, "CONFLICT"
    )


def test_results_of_a_pending_job_are_409_naming_the_status(queued: Api) -> None:
    job = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    error = assert_error(
        queued.client.get(f"/v1/optimizations/{job['id']}/results", headers=queued.alice),
        409,
        "CONFLICT",
        "status",
    )
    assert "pending" in error["message"]


def test_cancel_a_pending_job_then_again_is_idempotent(queued: Api) -> None:
    job = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    url = f"/v1/optimizations/{job['id']}"
    first = queued.client.delete(url, headers=queued.alice)
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    assert queued.client.delete(url, headers=queued.alice).json()["status"] == "cancelled"
    assert queued.store.get_job("alice", job["id"]).status == "cancelled"


def test_list_filters_by_status_and_only_shows_the_callers_jobs(queued: Api) -> None:
    mine = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    queued.client.delete(f"/v1/optimizations/{mine['id']}", headers=queued.alice)
    theirs = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.bob).json()
    cancelled = queued.client.get("/v1/optimizations?status=cancelled", headers=queued.alice).json()
    assert mine["id"] in [j["id"] for j in cancelled]
    assert all(j["status"] == "cancelled" for j in cancelled)
    everything = queued.client.get("/v1/optimizations", headers=queued.alice).json()
    assert theirs["id"] not in [j["id"] for j in everything]
    assert_error(
        queued.client.get("/v1/optimizations?status=sleeping", headers=queued.alice),
        422,
        "VALIDATION_ERROR",
        "status",
    )


def test_the_limit_counts_optimizations_not_the_owner_s_other_jobs(queued: Api) -> None:
    job = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    for n in range(3):  # newer jobs of another kind (a deployment's rebalances)
        queued.store.submit_job("alice", "rebalance", {"n": n})
    listed = queued.client.get("/v1/optimizations?limit=1", headers=queued.alice).json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_another_owner_gets_404_everywhere(queued: Api) -> None:
    job = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    base = f"/v1/optimizations/{job['id']}"
    for method, path in [
        ("GET", base),
        ("GET", f"{base}/results"),
        ("GET", f"{base}/events?wait=0"),
        ("DELETE", base),
    ]:
        assert_error(queued.client.request(method, path, headers=queued.bob), 404, "NOT_FOUND")
    assert queued.store.get_job("alice", job["id"]).status == "pending"


def test_invalid_requests_name_the_field(queued: Api) -> None:
    bad = {**SMALL, "n_paths": 1}
    assert_error(
        queued.client.post("/v1/optimizations", json=bad, headers=queued.alice),
        422,
        "VALIDATION_ERROR",
        "body.n_paths",
    )
    unknown = {**SMALL, "universe": ["AAPL", "NOPE"]}
    assert_error(
        queued.client.post("/v1/optimizations", json=unknown, headers=queued.alice),
        422,
        "VALIDATION_ERROR",
        "body.universe.NOPE",
    )
    extra = {**SMALL, "colour": "blue"}
    assert_error(
        queued.client.post("/v1/optimizations", json=extra, headers=queued.alice),
        422,
        "VALIDATION_ERROR",
        "body.colour",
    )
    malformed = queued.client.post(
        "/v1/optimizations",
        content=b'{"n_paths": ',
        headers={**queued.alice, "content-type": "application/json"},
    )
    assert_error(malformed, 400, "BAD_REQUEST", "body")


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"start": "1800-01-01", "end": "1800-12-31"}, "body.start", "0 trading days"),
        ({"start": "2022-06-01"}, "body.start", "at least 252"),
        ({"scenario_weights": {"bull": -1.0}}, "body.scenario_weights.bull", "at least 0"),
        ({"scenario_weights": {"bull": 0.0, "bear": 0.0}}, "body.scenario_weights", "sum"),
        (
            {"scenarios": ["bull", "bear"], "scenario_weights": {"base": 1.0}},
            "body.scenario_weights.base",
            "not among the request's scenarios",
        ),
        (
            {"search_space": {**DEFAULT_SPACE, "target_vol": {"low": 0.3, "high": 0.1}}},
            "body.search_space.target_vol",
            "low",
        ),
        (
            {"scenarios": ["bull"], "risk_limits": {"cvar_95": 0.05, "scenarios": ["bear"]}},
            "body.risk_limits.scenarios",
            "bear",
        ),
        ({"horizon": 100}, "body.search_space.lookback", "horizon"),
        ({"end": "2001-01-01", "start": "2002-01-01"}, "body.end", "after start"),
    ],
)
def test_work_that_cannot_run_is_refused_at_submission(
    queued: Api, change: dict[str, Any], field: str, fragment: str
) -> None:
    """Everything knowable at submission is checked there: 422 naming the field, no job."""
    before = len(queued.store.list_jobs("alice", limit=500))
    response = queued.client.post(
        "/v1/optimizations", json={**SMALL, **change}, headers=queued.alice
    )
    error = assert_error(response, 422, "VALIDATION_ERROR")
    assert field in [d["field"] for d in error["details"]], error
    assert fragment in error["message"], error
    assert len(queued.store.list_jobs("alice", limit=500)) == before


def test_a_finished_job_reports_full_progress(api: Api, finished: dict[str, Any]) -> None:
    assert finished["progress"] == {"done": 40, "total": 40, "fraction": 1.0}
    assert finished["started_at"] and finished["finished_at"]
    assert_error(
        api.client.delete(f"/v1/optimizations/{finished['id']}", headers=api.alice),
        409,
        "CONFLICT",
    )


def _result(api: Api, job_id: str) -> dict[str, Any]:
    return dict(api.store.get_result("alice", job_id).payload)


def test_trial_pages_cover_every_trial_once_in_order(api: Api, finished: dict[str, Any]) -> None:
    stored = _result(api, finished["id"])["trials"]
    rows: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = api.client.get(
            f"/v1/optimizations/{finished['id']}/results?{query}", headers=api.alice
        ).json()
        assert body["trials"]["total"] == len(stored)
        rows += body["trials"]["items"]
        pages += 1
        cursor = body["trials"]["next_cursor"]
        if cursor is None:
            break
    assert pages == -(-len(stored) // 7)
    assert rows == stored


def test_sorted_trials_follow_the_column(api: Api, finished: dict[str, Any]) -> None:
    url = f"/v1/optimizations/{finished['id']}/results"
    first = api.client.get(f"{url}?sort=bear.sharpe&order=desc&limit=15", headers=api.alice)
    body = first.json()
    second = api.client.get(
        f"{url}?sort=bear.sharpe&order=desc&limit=15&cursor={body['trials']['next_cursor']}",
        headers=api.alice,
    ).json()
    values = [r["bear.sharpe"] for r in body["trials"]["items"] + second["trials"]["items"]]
    expected = sorted(
        (r["bear.sharpe"] for r in _result(api, finished["id"])["trials"]), reverse=True
    )
    assert values == expected[:30]
    ascending = api.client.get(f"{url}?sort=objective&order=asc&limit=5", headers=api.alice).json()
    objectives = [r["objective"] for r in ascending["trials"]["items"]]
    assert objectives == sorted(r["objective"] for r in _result(api, finished["id"])["trials"])[:5]
    assert_error(
        api.client.get(f"{url}?sort=nonsense", headers=api.alice), 422, "VALIDATION_ERROR", "sort"
    )
    assert_error(
        api.client.get(f"{url}?cursor=%21%21", headers=api.alice), 400, "BAD_REQUEST", "cursor"
    )


@pytest.fixture(scope="module")
def stored_result(queued: Api) -> str:
    """A succeeded job of alice's with three trials, stored as its worker would."""
    store = queued.store
    job, _ = store.submit_job("alice", "optimization", SMALL)
    store.claim("alice", job.id, "tests", 30)
    trials = [{"trial": n, "objective": float(n)} for n in range(3)]
    store.put_trials("alice", job.id, [Trial(n, row) for n, row in enumerate(trials)])
    best = {"config": {"target_vol": 0.1}}
    store.complete_job(
        "alice", job.id, {"status": "succeeded", "n_trials": 3, "trials": trials, "best": best}
    )
    return str(job.id)


TRIAL_CURSOR = re.compile(r"0|[1-9][0-9]{0,17}")
"""What a page of trials gives as `next_cursor`, and so what the schema admits."""

MADE_UP = st.one_of(
    st.from_regex(r"\A[0-9]{1,20}\Z"),  # positions, some past what the schema admits
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30),
    st.integers().map(encode_cursor),  # the store's own cursors, naming any position
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cursor=MADE_UP, sort=st.sampled_from(["", "&sort=objective"]))
def test_any_cursor_the_schema_admits_is_a_page_and_any_other_a_400_on_the_cursor(
    queued: Api, stored_result: str, cursor: str, sort: str
) -> None:
    """A made-up cursor is 400 in the project's format on `query.cursor` exactly when the
    schema says it is not one; every cursor the schema admits names a position, and answers a
    page (empty past the end), so no schema-valid request is refused (schemathesis needs no
    exception for the route). A position past 2**63 - 1 was a 500 on SQLite."""
    response = queued.client.get(
        f"/v1/optimizations/{stored_result}/results",
        params={"cursor": cursor, "limit": 2},
        headers=queued.alice,
    )
    if TRIAL_CURSOR.fullmatch(cursor):
        assert response.status_code == 200, response.text
        page = response.json()["trials"]
        assert all(row["trial"] > int(cursor) for row in page["items"]) or sort
        assert page["next_cursor"] is None or TRIAL_CURSOR.fullmatch(page["next_cursor"])
    else:
        assert_error(response, 400, "BAD_REQUEST", "query.cursor")


def test_pages_of_trials_chain_their_cursors(queued: Api, stored_result: str) -> None:
    url = f"/v1/optimizations/{stored_result}/results?limit=2"
    for sort in ("", "&sort=objective&order=asc"):
        first = queued.client.get(url + sort, headers=queued.alice).json()["trials"]
        cursor = first["next_cursor"]
        assert cursor is not None and TRIAL_CURSOR.fullmatch(cursor)
        second = queued.client.get(f"{url}{sort}&cursor={cursor}", headers=queued.alice).json()
        rows = first["items"] + second["trials"]["items"]
        assert [row["trial"] for row in rows] == [0, 1, 2]
        assert second["trials"]["next_cursor"] is None


def test_chart_data_matches_the_result(api: Api, finished: dict[str, Any]) -> None:
    body = api.client.get(f"/v1/optimizations/{finished['id']}/results", headers=api.alice).json()
    result = _result(api, finished["id"])
    charts = body["charts"]
    # convergence: one point per batch, the running best of the batch objectives
    assert [p["best_objective"] for p in charts["convergence"]] == result["convergence"]
    assert [p["trials"] for p in charts["convergence"]] == [10, 20, 30, 40]
    best_so_far = []
    best = -float("inf")
    for batch in range(4):
        batch_rows = [r for r in result["trials"] if r["batch"] == batch]
        best = max(best, *(r["objective"] for r in batch_rows if r["feasible"]))
        best_so_far.append(best)
    assert [p["best_objective"] for p in charts["convergence"]] == pytest.approx(best_so_far)
    scenarios = list(result["best"]["scenarios"])
    assert sorted(charts["risk_return"]) == sorted(scenarios)
    for scenario in scenarios:
        points = charts["risk_return"][scenario]
        assert len(points) == len(result["trials"])
        first = result["trials"][0]
        assert points[0]["volatility"] == first[f"{scenario}.volatility"]
        assert points[0]["cagr"] == first[f"{scenario}.cagr"]
    assert [bar["scenario"] for bar in charts["scenario_bars"]] == scenarios
    for row in charts["risk"]:
        metrics = result["best"]["scenarios"][row["scenario"]]
        assert row["cvar_95"] == metrics["cvar_95"] >= row["var_95"] == metrics["var_95"] > 0
    assert body["best"]["config"] == result["best"]["config"]
    assert body["config_summary"]["n_trials"] == 40
    assert body["explanation"]["text"]
    assert body["manifest"]["run_id"] == finished["id"]
    # the data it used and where it ends; the benchmarks with the index, and what they compare
    assert body["dataset"] == result["dataset"] and body["dataset"]["data_end"] == "2022-12-28"
    assert body["benchmarks_missing"] == {}
    assert "market" in {row["strategy"] for row in body["benchmarks"]}
    assert "and the market index (the S&P 500 of the embedded data)" in body["benchmark_note"]
    assert "in excess of the request's 2.00% safe rate" in body["benchmark_note"]
    # whether the winner beats its benchmarks, as the result holds it, consistent with its edge
    verdict = body["benchmark_verdict"]
    assert verdict == result["benchmark_verdict"]
    scores = body["edge"]["scores"]
    below = verdict["below"]
    assert set(below) == {n for n, score in scores.items() if not body["edge"]["winner"] > score}
    assert [scores[n] for n in below] == sorted((scores[n] for n in below), reverse=True)
    assert verdict["beats"] is (not verdict["below"])
    json.dumps(body, allow_nan=False)


def test_report_is_a_self_contained_page_of_the_callers_job(
    api: Api, finished: dict[str, Any]
) -> None:
    url = f"/v1/optimizations/{finished['id']}/report"
    response = api.client.get(url, headers=api.alice)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert finished["id"] in page
    assert "<script src=" not in page and '<link rel="stylesheet" href="http' not in page
    start = page.index('id="data-convergence"')
    payload = page[page.index(">", start) + 1 : page.index("</script>", start)]
    assert json.loads(payload)["best_objective"] == _result(api, finished["id"])["convergence"]
    assert_error(api.client.get(url, headers=api.bob), 404, "NOT_FOUND")


def test_report_of_a_pending_job_is_409(queued: Api) -> None:
    job = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    response = queued.client.get(f"/v1/optimizations/{job['id']}/report", headers=queued.alice)
    assert_error(response, 409, "CONFLICT", "status")


def test_a_succeeded_job_s_results_may_be_cached_for_the_caller_only(
    api: Api, finished: dict[str, Any], queued: Api
) -> None:
    """Final answers say so, keyed on the caller's credentials (`api.caching`); everything
    that can still change, and every error, says nothing of caching."""
    base = f"/v1/optimizations/{finished['id']}"
    for url in (f"{base}/results", f"{base}/results?limit=5&sort=objective", f"{base}/report"):
        response = api.client.get(url, headers=api.alice)
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE_CACHE
        assert response.headers["vary"] == "Authorization, X-Api-Key"
    assert IMMUTABLE_CACHE == "max-age=30, s-maxage=30, immutable"
    for response in (
        api.client.get(base, headers=api.alice),  # the job's status
        api.client.get("/v1/optimizations", headers=api.alice),
        api.client.get(f"{base}/results", headers=api.bob),  # 404
    ):
        assert "cache-control" not in response.headers and "vary" not in response.headers
    pending = queued.client.post("/v1/optimizations", json=SMALL, headers=queued.alice).json()
    for kind in ("results", "report"):
        url = f"/v1/optimizations/{pending['id']}/{kind}"
        response = queued.client.get(url, headers=queued.alice)
        assert response.status_code == 409 and "cache-control" not in response.headers


def test_results_say_how_the_search_started_as_the_command_line_and_report_do(
    api: Api, finished: dict[str, Any]
) -> None:
    """`warm_start` (the outcome stored in the result, with its sentence) on the results, the
    brief of every door that shows one (`config_summary`) and the report."""
    from services.warm_starts import describe_result_start, describe_warm_start

    stored = _result(api, finished["id"])["warm_start"]
    base = f"/v1/optimizations/{finished['id']}"
    results = api.client.get(f"{base}/results", headers=api.alice).json()
    words = describe_warm_start(stored)
    assert results["warm_start"] == {**stored, "words": words}
    assert results["config_summary"]["warm_start"] == results["warm_start"]
    for name in ("note", "reference", "trials_saved", "trials_to_reference", "stopped"):
        assert name in results["warm_start"]
    report = api.client.get(f"{base}/report", headers=api.alice).text
    assert html.escape(f"Start: {words}") in report
    # the report's sentence, for a page (the results page's "Start" row)
    start = describe_result_start(_result(api, finished["id"]))
    assert start and results["config_summary"]["start"] == start
    assert html.escape(f"Start: {start}") in report
    cold = api.client.post(
        "/v1/optimizations", json={**SMALL, "warm_start": False}, headers=api.alice
    ).json()
    assert wait_done(api, cold["id"], api.alice)["status"] == "succeeded"
    asked = api.client.get(f"/v1/optimizations/{cold['id']}/results", headers=api.alice).json()
    assert asked["warm_start"] is None and asked["config_summary"]["warm_start"] is None
    assert asked["config_summary"]["start"] == "cold (asked for)"
