"""The profile enforced where portfolios are put to work: deployments refuse excluded tickers and
take the profile's notification preferences by default."""

from __future__ import annotations

import pytest

from services.errors import InputError
from services.profiles import add_exclusion, excluded_holdings, get_profile, update_profile
from store import Store
from trading.deployments import create_deployment

WEEKLY = {"every": "week", "at": "15:45"}


def _portfolio(store: Store, weights: dict[str, float]) -> str:
    items = [{"asset": a, "weight": w} for a, w in weights.items()]
    return store.create_portfolio("alice", "core", {"weights": items}).id


def test_a_deployment_holding_an_excluded_ticker_is_refused(store: Store) -> None:
    source = _portfolio(store, {"AAPL": 0.5, "XOM": 0.5})
    add_exclusion(store, "alice", "oil & gas")
    with pytest.raises(InputError) as caught:
        create_deployment(
            store, "alice", name="core", source="portfolio", source_id=source,
            capital=10_000, schedule=WEEKLY,
        )  # fmt: skip
    assert caught.value.field == "source_id"
    assert "XOM left out: your profile excludes oil & gas (Exxon Mobil, Integrated Oil & Gas)" in (
        caught.value.problem
    )
    assert store.list_deployments("alice") == []
    allowed = _portfolio(store, {"AAPL": 0.5, "KO": 0.5})
    deployment = create_deployment(
        store, "alice", name="core", source="portfolio", source_id=allowed,
        capital=10_000, schedule=WEEKLY,
    )  # fmt: skip
    assert deployment.spec["universe"] == ["AAPL", "KO"]


def test_a_deployment_takes_the_profile_notifications_unless_given(store: Store) -> None:
    destinations = [{"channel": "email", "address": "pm@example.com"}]
    update_profile(store, "alice", {"notifications": {"destinations": destinations}})
    source = _portfolio(store, {"AAPL": 1.0})
    default = create_deployment(
        store, "alice", name="a", source="portfolio", source_id=source,
        capital=10_000, schedule=WEEKLY,
    )  # fmt: skip
    [dest] = default.spec["notifications"]["destinations"]
    assert dest["address"] == "pm@example.com" and "limit_breach" in dest["kinds"]
    own = create_deployment(
        store, "alice", name="b", source="portfolio", source_id=source,
        capital=10_000, schedule=WEEKLY, notifications={"destinations": []},
    )  # fmt: skip
    assert own.spec["notifications"]["destinations"] == []


def test_excluded_holdings_ignore_zero_weights(store: Store) -> None:
    profile = add_exclusion(store, "alice", "AMD")
    assert excluded_holdings(profile, {"AMD": 0.0, "KO": 1.0}) == []
    [hit] = excluded_holdings(get_profile(store, "alice"), {"AMD": 0.1, "KO": 0.9})
    assert (hit.ticker, hit.exclusion) == ("AMD", "AMD")


def test_a_run_whose_universe_the_profile_empties_fails_saying_why(
    store: Store, offline_data_dir: object
) -> None:
    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest

    request = OptimizationRequest.model_validate({"universe": ["AMD"], "n_paths": 10})
    add_exclusion(store, "alice", "AMD")  # e.g. added after the request was submitted
    job_id, result = run_job_here(store, "alice", request)
    assert result["status"] == "failed"
    assert "AMD left out: your profile excludes AMD" in result["reason"]
    assert store.get_job("alice", job_id).status == "failed"


def test_a_deployment_holds_only_the_assets_its_optimization_held(
    store: Store, offline_data_dir: object
) -> None:
    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest
    from services.profiles import remove_exclusion
    from tests.support.requests import SMALL_REQUEST

    universe = ["AAPL", "MSFT", "XOM", "CVX", "KO"]
    request = OptimizationRequest.model_validate({**SMALL_REQUEST, "universe": universe})
    add_exclusion(store, "alice", "oil & gas")  # leaves XOM and CVX out of the run
    job_id, result = run_job_here(store, "alice", request)
    assert result["dataset"]["assets"] == ["AAPL", "MSFT", "KO"]
    remove_exclusion(store, "alice", "oil & gas")  # lifted after the run: the run did not hold them
    deployment = create_deployment(
        store, "alice", name="winner", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
        capital=10_000, schedule=WEEKLY,
    )  # fmt: skip
    assert deployment.spec["universe"] == ["AAPL", "MSFT", "KO"]
    add_exclusion(store, "alice", "KO")  # a later exclusion of an asset it held is refused
    with pytest.raises(InputError) as caught:
        create_deployment(
            store, "alice", name="winner", source="optimization", confirm_below_benchmarks=True, source_id=job_id,
            capital=10_000, schedule=WEEKLY,
        )  # fmt: skip
    assert caught.value.field == "source_id" and "KO left out" in caught.value.problem
