"""The implied-volatility history on the Alpaca stand-in, end to end with no mocks: a deployment
hedged with AAPL options on Alpaca, the scheduler's tick driven by an injected clock every 30
minutes from a Thursday to the next Tuesday (the stand-in's clock moved along), SQLite store.

The history grows by one record per trading day (from Wednesday's, the latest session closed when
the deployment starts, to Monday's; none at the weekend),
each the at-the-money volatility the stand-in's option chain gives (checked against a plain
numpy reference of the stand-in's volatility model); the hedge run on Monday is priced at
Friday's record and says so, and a hedge with no record within its age is priced on realised
volatility, saying why."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devtools.local_alpaca import LocalAlpaca
from execution.hedge import PERIODS_PER_YEAR, sessions_between
from execution.options import parse_occ
from jobs.handlers import JobContext
from jobs.job_runner import JobRunner
from quant.options import option_price
from settings import Settings
from store import Deployment, Job, Store
from tests.store.conftest import FakeClock
from tests.support.trading_day import simulate
from tests.trading.test_alpaca_deployments import (
    PRICES,
    _settings,
    options_stand_in,
    watching_retries,
)
from tests.trading.test_alpaca_hedges import _hedged, _until_done
from trading.day.jobs import DAY_HANDLERS
from trading.day.schedule import submit_day_jobs
from trading.scheduling import REBALANCE_KIND, rebalance_key
from trading.tick_jobs import FIRE_DUE_KIND

THURSDAY = datetime(2021, 6, 3, 12, 0, tzinfo=UTC)  # 08:00 in New York
MONDAY_FIRE = datetime(2021, 6, 7, 19, 45, tzinfo=UTC)  # 15:45 in New York
TUESDAY = datetime(2021, 6, 8, 12, 0, tzinfo=UTC)
RECORDED = [date(2021, 6, 2), date(2021, 6, 3), date(2021, 6, 4), date(2021, 6, 7)]


@pytest.fixture
def alpaca(clock: FakeClock) -> Iterator[LocalAlpaca]:
    stand_in = options_stand_in(2)
    stand_in.advance(THURSDAY)
    yield stand_in
    stand_in.close()


def _day_tick(job: Job, ctx: JobContext) -> dict[str, Any]:
    """The tick's trading-day part alone (`trading.day.schedule`): no rebalance is fired, the
    test runs Monday's itself."""
    return submit_day_jobs(ctx.store, ctx.store.clock(), ctx.settings or Settings()).to_json()


def _day_runner(store: Store, settings: Any) -> JobRunner:
    """The trading day's tick and jobs."""
    handlers = {FIRE_DUE_KIND: _day_tick, **DAY_HANDLERS}
    return JobRunner(store, handlers=handlers, settings=settings, backoff=(0.0,))


def _model_atm(day: date, tenor: int = 30) -> tuple[float, date]:
    """The stand-in's at-the-money volatility of `day` by a plain numpy reference of its model
    (docs/hedging.md: sqrt(rv^2 + 0.01) x (K/S)^-1.5, rv over 21 returns), linear between the
    listed strikes (every 5) around the spot, at the listed Friday nearest `tenor` days."""
    closes = PRICES["AAPL"].loc[: str(day)].to_numpy()
    returns = closes[1:] / closes[:-1] - 1.0
    rv = float(np.std(returns[-21:], ddof=1) * math.sqrt(252))
    spot = float(closes[-1])
    fridays = [day + timedelta(days=d) for d in range(7, 2 * tenor + 1)]
    expiry = min(
        (f for f in fridays if f.weekday() == 4), key=lambda f: abs((f - day).days - tenor)
    )
    low = math.floor(spot / 5) * 5.0
    strikes = np.array([low, low + 5.0])
    vols = np.clip(np.sqrt(rv * rv + 0.01) * (strikes / spot) ** -1.5, 0.05, 3.0)
    return float(np.interp(spot, strikes, vols)), expiry


def test_the_history_grows_by_one_record_per_trading_day_and_prices_the_hedge(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca, alpaca={"data_url": alpaca.url})
    clock.now = THURSDAY
    deployment = _hedged(store, settings)
    runner = _day_runner(store, settings)
    ticks = simulate(
        runner, clock, THURSDAY, TUESDAY, step=timedelta(minutes=30), before_tick=alpaca.advance
    )
    assert ticks == 241
    records = store.iv_history("alice", "AAPL")
    assert [r.day for r in records] == RECORDED  # one a trading day, none at the weekend
    for record in records:
        atm, expiry = _model_atm(record.day)
        assert record.expiry == expiry and record.source == "alpaca"
        assert record.atm_volatility == pytest.approx(atm, rel=1e-9)
        assert record.spot == float(PRICES.loc[str(record.day), "AAPL"])
    # one job per session, each run once
    jobs = [j for j in store.list_jobs("alice", limit=500) if j.kind == "iv_history"]
    assert sorted(j.request["day"] for j in jobs) == [d.isoformat() for d in RECORDED]
    assert all(j.status == "succeeded" and j.attempts == 1 for j in jobs)

    # Monday's hedge (its fire decides on Friday's close) is priced at Friday's record; the
    # stand-in has moved on to Tuesday: its orders fill at Tuesday's close, the hedge's at
    # Wednesday's
    with watching_retries(alpaca, TUESDAY + timedelta(hours=10)) as on_retry:
        job, _ = store.submit_job(  # the fire's job, as the worker's own tick submits it
            "alice",
            REBALANCE_KIND,
            {"deployment_id": deployment.id, "fire": MONDAY_FIRE.isoformat()},
            idempotency_key=rebalance_key(deployment.id, MONDAY_FIRE),
        )
        clock.now = MONDAY_FIRE + timedelta(minutes=1)
        rebalance = _until_done(store, settings, job.id)
        assert rebalance.status == "succeeded", rebalance.error
        on_retry.now = TUESDAY + timedelta(days=1, hours=10)
        hedge_job = _day_result(store, rebalance.id)["hedge_job"]
        assert _until_done(store, settings, hedge_job).status == "succeeded"
    _check_priced_at_the_record(store, deployment)
    # outside the recorded sessions, the empty history says why
    from trading.day.iv_history import empty_history_reason

    assert store.iv_history("alice", "AAPL", until=date(2021, 6, 1)) == []
    assert empty_history_reason(store, "alice", "AAPL", None, date(2021, 6, 1)) == (
        "nothing was recorded for AAPL from the start to 2021-06-01: the history is recorded "
        "after each session's close (the iv_history job), and a session whose chain gave no "
        "volatility has no record (the job's error says why)"
    )

    # the account opened: the next tick snapshots it as Alpaca reports it
    simulate(runner, clock, TUESDAY + timedelta(hours=11), TUESDAY + timedelta(hours=11))
    [snapshot] = store.list_snapshots("alice", deployment.spec["account"])
    reported = alpaca.account.account()  # what GET /v2/account answers now
    assert snapshot.broker == "alpaca" and snapshot.taken_at == datetime(2021, 6, 8, 20, tzinfo=UTC)
    assert snapshot.equity == float(reported["equity"])
    assert snapshot.buying_power == float(reported["buying_power"])
    assert snapshot.cash == float(reported["cash"])
    assert {
        p.symbol: p.quantity for p in snapshot.positions
    } == alpaca.account.broker.account().positions


def _day_result(store: Store, job_id: str) -> dict[str, Any]:
    result = store.get_result("alice", job_id).payload
    assert isinstance(result, dict)
    return result


def _check_priced_at_the_record(store: Store, deployment: Deployment) -> None:
    [event] = [
        e.data for e in store.deployment_events("alice", deployment.id) if e.type == "hedge_run"
    ]
    plan = event["plan"]
    friday = store.iv_history("alice", "AAPL", since=date(2021, 6, 4), until=date(2021, 6, 4))[0]
    assert plan["volatility"] == {
        "source": "observed",
        "atm_volatility": friday.atm_volatility,
        "recorded_on": "2021-06-04",
        "reason": "the at-the-money implied volatility of AAPL Alpaca's quotes gave on 2021-06-04",
        "words": f"priced at {friday.atm_volatility:.2%} implied volatility: the at-the-money "
        "implied volatility of AAPL Alpaca's quotes gave on 2021-06-04",
    }
    [order] = plan["orders"]
    put = parse_occ(order["symbol"])
    spot = float(PRICES.loc["2021-06-04", "AAPL"])
    rate = PERIODS_PER_YEAR * math.log1p(deployment_safe_rate(deployment) / PERIODS_PER_YEAR)
    years = sessions_between("XNYS", date(2021, 6, 4), put.expiry) / PERIODS_PER_YEAR
    vol = friday.atm_volatility * (put.strike / spot) ** -1.5  # the hedge's skew on the level
    expected = float(option_price("put", spot, put.strike, years, rate, vol))
    assert order["model_price"] == pytest.approx(expected, rel=1e-12)


def deployment_safe_rate(deployment: Deployment) -> float:
    from trading.deployments import safe_rate_of

    return safe_rate_of(deployment.spec)


def test_a_hedge_without_a_recent_record_is_priced_on_realised_volatility_and_says_why(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    from store import IVRecord
    from trading.hedge_pricing import hedge_vol_model
    from trading.hedges import vol_model_of

    settings = _settings(tmp_path, alpaca, alpaca={"data_url": alpaca.url})
    deployment = _hedged(store, settings)
    old = IVRecord("alice", "AAPL", date(2021, 5, 20), 0.4, date(2021, 6, 18), 125.0, "alpaca",
                   clock.now)  # fmt: skip
    store.record_iv(old)
    model = vol_model_of(deployment)
    stale = hedge_vol_model(store, "alice", "AAPL", date(2021, 6, 4), model, max_age_days=5)
    assert (stale.source, stale.model) == ("realised", model)
    assert stale.reason == (
        "no implied volatility of AAPL was recorded from 2021-05-30 to 2021-06-04: priced on "
        "realised volatility"
    )
    fresh = hedge_vol_model(store, "alice", "AAPL", date(2021, 5, 24), model, max_age_days=5)
    assert fresh.source == "observed" and fresh.model.observed_atm == 0.4
    assert hedge_vol_model(
        store, "bob", "AAPL", date(2021, 5, 24), model, max_age_days=5
    ).source == ("realised")  # another owner's record prices nothing of alice's
