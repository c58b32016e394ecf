"""Creating deployments from a saved portfolio or a finished optimization, and their lifecycle,
on a real SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution.errors import DeploymentStateError
from execution.rebalance import FixedWeights, RuleStrategy
from graphs.job_handlers import run_job_here
from graphs.request import OptimizationRequest
from services.errors import InputError
from services.formatting import ratio
from store import ConflictError, NotFoundError, Store
from store.sqlite import SQLiteStore
from trading.deployments import change_status, create_deployment, deployed_strategy

WEEKLY = {"every": "week", "at": "15:45"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def _portfolio(store: Store, owner: str = "alice") -> str:
    weights = [{"asset": "AAPL", "weight": 0.6}, {"asset": "KO", "weight": 0.4}]
    return store.create_portfolio(owner, "core", {"weights": weights}).id


def _optimized(store: Store, fixed: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """A finished small optimization of alice's over three stocks, with `fixed` parameters."""
    request = OptimizationRequest.model_validate(
        {
            "universe": ["AAPL", "KO", "XOM"],
            "n_paths": 10,
            "horizon": 126,
            "search_space": {"target_vol": {"low": 0.05, "high": 0.2}, **fixed},
            "budget": {"max_trials": 4, "batch_size": 4},
            "max_risk_rounds": 0,
        }
    )
    return run_job_here(store, "alice", request)


def test_a_portfolio_is_deployed_as_fixed_weights_in_draft(store: Store) -> None:
    deployment = create_deployment(
        store, "alice", name="core on paper", source="portfolio", source_id=_portfolio(store),
        capital=100_000, schedule=WEEKLY, limits={"max_position": 0.5},
    )  # fmt: skip
    assert deployment.status == "draft" and deployment.spec["capital"] == 100_000.0
    assert deployment.spec["schedule"]["every"] == "week"
    assert deployment.spec["limits"]["max_position"] == 0.5
    strategy = deployed_strategy(deployment.spec)
    assert isinstance(strategy, FixedWeights) and dict(strategy.weights) == {"AAPL": 0.6, "KO": 0.4}


def test_the_winner_of_an_optimization_is_deployed_as_its_rule(store: Store) -> None:
    job_id, result = _optimized(store, {"lookback": 42})
    assert result["status"] in ("succeeded", "partial")
    deployment = create_deployment(
        store, "alice", name="winner", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
        capital=50_000, schedule={"every": "month", "on": "last", "at": "15:30"},
    )  # fmt: skip
    strategy = deployed_strategy(deployment.spec)
    assert isinstance(strategy, RuleStrategy)
    assert strategy.config.model_dump(mode="json") == result["best"]["config"]
    assert strategy.universe == ("AAPL", "KO", "XOM") and strategy.safe_rate == 0.02
    other = next(t for t in result["trials"] if t["trial"] != result["best"]["trial"])
    of_trial = create_deployment(
        store, "alice", name="trial", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
        trial=other["trial"], capital=50_000, schedule=WEEKLY,
    )  # fmt: skip
    config = deployed_strategy(of_trial.spec).config  # type: ignore[union-attr]
    assert config.target_vol == other["target_vol"] != result["best"]["config"]["target_vol"]
    assert config.lookback == 42 and of_trial.spec["source"]["trial"] == other["trial"]
    assert (
        f"trial {other['trial']} of {job_id}, not its winner"
        in (of_trial.spec["strategy"]["notes"][0])
    )
    for arguments, field in (
        ({"source": "optimization", "source_id": job_id, "trial": 99}, "source.trial"),
        ({"source": "portfolio", "source_id": _portfolio(store), "trial": 0}, "source.trial"),
    ):
        with pytest.raises(InputError) as raised:
            create_deployment(
                store,
                "alice",
                name="x",
                capital=1,
                schedule=WEEKLY,
                **arguments,  # type: ignore[arg-type]
            )
        assert raised.value.field == field
    with pytest.raises(NotFoundError):
        create_deployment(
            store, "bob", name="x", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
            capital=1, schedule=WEEKLY,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capital": 0}, "capital"),
        ({"capital": float("nan")}, "capital"),
        ({"capital": 1e308}, "capital"),  # no broker account holds it
        ({"capital": 1e-300}, "capital"),
        ({"capital": 0.5}, "capital"),
        ({"schedule": {"every": "fortnight"}}, "schedule.every"),
        ({"schedule": {"cron": "0 12 31 2 *"}}, "schedule"),
        ({"schedule": {"every": "week", "colour": "red"}}, "schedule"),
        ({"limits": {"max_turnover": -1}}, "limits.max_turnover"),
        ({"source": "fund"}, "source"),
    ],
)
def test_what_cannot_be_deployed_is_refused_naming_the_field(
    store: Store, changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {
        "name": "x", "source": "portfolio", "source_id": _portfolio(store), "capital": 10.0,
        "schedule": WEEKLY,
    }  # fmt: skip
    with pytest.raises(InputError) as raised:
        create_deployment(store, "alice", **(arguments | changes))  # type: ignore[arg-type]
    assert raised.value.field == field
    assert store.list_deployments("alice") == []


def test_the_lifecycle_is_kept_and_stale_changes_lose(store: Store) -> None:
    deployment = create_deployment(
        store, "alice", name="core", source="portfolio", source_id=_portfolio(store),
        capital=1_000, schedule=WEEKLY,
    )  # fmt: skip
    assert change_status(store, "alice", deployment.id, "active").status == "active"
    assert change_status(store, "alice", deployment.id, "paused").version == 3
    with pytest.raises(DeploymentStateError, match="a paused deployment cannot become draft"):
        change_status(store, "alice", deployment.id, "draft")  # type: ignore[arg-type]
    change_status(store, "alice", deployment.id, "retired")
    with pytest.raises(DeploymentStateError, match="retired is final"):
        change_status(store, "alice", deployment.id, "active")
    with pytest.raises(ConflictError):
        store.update_deployment("alice", deployment.id, expected_version=3, status="active")


def test_a_winner_that_would_borrow_deploys_with_its_leverage_capped_unless_told_otherwise(
    store: Store,
) -> None:
    request = OptimizationRequest.model_validate(
        {
            "universe": ["AAPL", "KO"],
            "n_paths": 10,
            "horizon": 126,
            "search_space": {"target_vol": {"low": 0.1, "high": 0.2}, "max_leverage": 1.5},
            "budget": {"max_trials": 2, "batch_size": 2},
            "max_risk_rounds": 0,
        }
    )
    job_id, _ = run_job_here(store, "alice", request)
    arguments = {
        "name": "levered", "source": "optimization", "source_id": job_id, "capital": 1_000.0,
        "schedule": WEEKLY, "confirm_below_benchmarks": True,
    }  # fmt: skip
    with pytest.raises(InputError) as raised:
        create_deployment(store, "alice", cap_leverage=False, **arguments)  # type: ignore[arg-type]
    assert raised.value.field == "cap_leverage"
    assert "1.50x" in raised.value.message and "--" not in raised.value.message
    assert raised.value.message.count("cash account") == 1  # said once
    for cap in (None, True):  # the default caps it, as asking does
        capped = create_deployment(store, "alice", cap_leverage=cap, **arguments)  # type: ignore[arg-type]
        strategy = deployed_strategy(capped.spec)
        assert isinstance(strategy, RuleStrategy) and strategy.config.max_leverage == 1.0
        assert any("capped from 1.50x to 1.00x" in n for n in capped.spec["strategy"]["notes"])


def _with_benchmark_scores(store: Store, job_id: str, scores: dict[str, float]) -> str:
    """A copy of alice's optimization `job_id` whose benchmarks scored `scores` on its
    objective, stored as its worker would store it."""
    job = store.get_job("alice", job_id)
    result = store.get_result("alice", job_id).payload
    copy, _ = store.submit_job("alice", job.kind, job.request)
    store.claim("alice", copy.id, "tests", 30)
    edge = {**result["edge"], "scores": scores}
    store.complete_job("alice", copy.id, {**result, "edge": edge})
    return str(copy.id)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=st.lists(st.floats(-0.5, 0.5).filter(lambda g: abs(g) > 1e-9), min_size=1, max_size=3))
def test_a_winner_below_its_benchmarks_deploys_only_when_confirmed(
    store: Store, gaps: list[float]
) -> None:
    """Refused (on `confirm_below_benchmarks`, the largest gap in words) exactly when some
    benchmark scores at least the winner's objective; deployed when confirmed, the spec's notes
    saying so."""
    job_id = _optimized_once(store)
    objective = store.get_result("alice", job_id).payload["best"]["objective"]
    names = ["buy_and_hold", "market", "equal_weight"]
    scores = {name: objective - gap for name, gap in zip(names, gaps, strict=False)}
    source = _with_benchmark_scores(store, job_id, scores)
    arguments = {
        "name": "below", "source": "optimization", "source_id": source, "capital": 1_000.0,
        "schedule": WEEKLY,
    }  # fmt: skip
    below = any(gap < 0 for gap in gaps)
    before = len(store.list_deployments("alice"))
    if below:
        with pytest.raises(InputError) as raised:
            create_deployment(store, "alice", **arguments)  # type: ignore[arg-type]
        assert raised.value.field == "confirm_below_benchmarks"
        message = raised.value.message
        assert message.startswith("The winner does not beat ")
        assert f"a gap of {ratio(-min(gaps))}" in message and "--" not in message
        assert len(store.list_deployments("alice")) == before
    else:
        create_deployment(store, "alice", **arguments)  # type: ignore[arg-type]
    confirmed = create_deployment(
        store,
        "alice",
        confirm_below_benchmarks=True,
        **arguments,  # type: ignore[arg-type]
    )
    notes = confirmed.spec["strategy"]["notes"]
    assert any("does not beat its benchmarks" in n for n in notes) == below


def _optimized_once(store: Store) -> str:
    """A succeeded optimization of alice's: the one made for an earlier example of the test
    (hypothesis's examples share the test's store), else a new one."""
    for job in store.list_jobs("alice", statuses=["succeeded"]):
        return str(job.id)
    return _optimized(store, {"rebalance_every": 21})[0]


def _next_session_fire_dates() -> set[str]:
    from datetime import UTC, datetime

    from execution.schedule import Schedule

    daily = Schedule(every="session", at="15:45")
    first = daily.next_fire(datetime.now(UTC))
    assert first is not None
    return {first.astimezone(daily.time_zone).date().isoformat()}


def test_without_a_schedule_a_rule_trades_on_its_own_cadence_from_its_first_fire(
    store: Store,
) -> None:
    job_id, _ = _optimized(store, {"rebalance_every": 17})
    before = _next_session_fire_dates()
    draft = create_deployment(
        store, "alice", name="own cadence", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
        capital=50_000, schedule={"at": "15:45"},
    )  # fmt: skip
    expected = before | _next_session_fire_dates()
    schedule = draft.spec["schedule"]
    assert (schedule["every"], schedule["interval"]) == ("session", 17)
    assert schedule["anchor"] in expected
    assert draft.spec["schedule_source"] == "strategy"
    assert draft.spec["fire_price"] == "session_close"  # a paper run decides on the fill close
    # a draft activated later counts from its first fire then, not from its creation
    stale = {**draft.spec, "schedule": {**schedule, "anchor": "2020-01-02"}}
    draft = store.update_deployment("alice", draft.id, expected_version=draft.version, spec=stale)
    before = _next_session_fire_dates()
    active = change_status(store, "alice", draft.id, "active")
    assert active.spec["schedule"]["anchor"] in before | _next_session_fire_dates()
    # a schedule the user gives is kept as given
    weekly = create_deployment(
        store, "alice", name="weekly", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
        capital=50_000, schedule=WEEKLY,
    )  # fmt: skip
    assert weekly.spec["schedule"]["every"] == "week"
    assert weekly.spec["schedule_source"] == "given"
    portfolio = create_deployment(
        store, "alice", name="core", source="portfolio", source_id=_portfolio(store),
        capital=10_000,
    )  # fmt: skip
    assert (portfolio.spec["schedule"]["every"], portfolio.spec["schedule"]["on"]) == (
        "week",
        "first",
    )
