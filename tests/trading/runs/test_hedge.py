"""Hedge runs of deployed strategies with an overlay on SQLite, through the real job worker and
the paper options account over the embedded closes (AAPL stands in for a hedge underlying):
the first run buys the planned puts at the model price, a later run settles the expired ones and
buys anew, a broker that fails or refuses dead-letters the hedge order, the hedging kill switch
closes every option and halts hedge runs; what is knowable at creation is refused then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from execution.brokers.base import AccountState, BrokerOrder, OrderRequest
from execution.errors import BrokerUnavailableError
from execution.hedge import HedgeMarket, model_price
from execution.options import parse_occ
from execution.rebalance import FixedWeights, RuleStrategy
from jobs.job_runner import JobRunner
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from services.errors import InputError
from settings import NotificationSettings, Settings, SmtpSettings
from store import Deployment, NewOrder, Store
from tests.store.conftest import FakeClock
from tests.support.hedged import put_overlay_winner
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.execution_jobs import HANDLERS, HEDGE_KIND
from trading.hedges import check_hedge, hedge_account
from trading.kill_switch import hedge_kill_switch, release_hedges
from trading.ledger import Ledger
from trading.queue import RetryPolicy
from trading.runs.hedge import run_hedge, spent_last_year
from trading.runs.outcome import RunOutcome
from trading.scheduling import REBALANCE_KIND

CLOSES = sp500_prices()
CONFIG = StrategyConfig(overlay="put", overlay_strike=0.95, overlay_tenor_days=21)
COLLAR = CONFIG.model_copy(update={"overlay": "collar", "overlay_call_strike": 1.05})
FIRE = datetime(2021, 6, 1, 21, 0, tzinfo=UTC)  # after the session's close
STOCK = AccountState(cash=10_000.0, positions={"AAPL": 300.0, "KO": 500.0})


def _spec(config: StrategyConfig) -> dict[str, object]:
    return {
        "strategy": {"kind": "rule", "config": config.model_dump(mode="json"), "safe_rate": 0.0},
        "universe": ["AAPL", "KO"],
        "capital": 100_000.0,
        "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
        "limits": {"cash_buffer": 0.02},
        "hedge": {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()},
    }


def _active(store: Store, config: StrategyConfig = CONFIG) -> Deployment:
    draft = store.create_deployment("alice", "hedged", "draft", _spec(config))
    return store.update_deployment("alice", draft.id, expected_version=1, status="active")


def _account(store: Store, deployment: Deployment) -> StoredPaperOptionsAccount:
    return StoredPaperOptionsAccount(store, deployment, CLOSES[["AAPL"]])


def _run(
    store: Store, deployment: Deployment, fire: datetime, run_id: str, **kw: object
) -> RunOutcome:
    known = CLOSES[["AAPL", "KO"]].loc[: fire.date().isoformat()]
    return run_hedge(
        store,
        store.get_deployment("alice", deployment.id),
        fire,
        run_id,
        account=kw.pop("account", None) or _account(store, deployment),  # type: ignore[arg-type]
        stock=STOCK,
        closes=known,
        sleep=lambda _: None,
        **kw,  # type: ignore[arg-type]
    )


def _model(symbol: str, day: str) -> float:
    market = HedgeMarket(date.fromisoformat(day), CLOSES["AAPL"].loc[:day])
    return model_price(parse_occ(symbol), market, ImpliedVolModel())


def test_a_rebalance_job_submits_the_hedge_job_which_buys_the_puts_at_the_model_price(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    deployment = _active(store)
    job, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    clock.now = FIRE + timedelta(hours=1)
    runner = JobRunner(
        store,
        handlers=HANDLERS,
        settings=Settings(
            data_dir=tmp_path,
            notifications=NotificationSettings(smtp=SmtpSettings(host="127.0.0.1")),
        ),
        backoff=(0.0,),
    )
    runner.run_once()
    rebalance = runner.results("alice", job.id)
    hedge_job = store.get_job("alice", rebalance["hedge_job"])
    assert hedge_job.kind == HEDGE_KIND and hedge_job.status == "pending"
    for _ in range(3):  # the worker's tick may claim its own job first
        if store.get_job("alice", hedge_job.id).status == "pending":
            runner.run_once()
    result = runner.results("alice", hedge_job.id)
    assert result["outcome"] == "filled" and result["plan"]["action"] == "buy"
    # the paper broker has no option quotes: priced on realised volatility, as the plan says
    assert result["plan"]["volatility"] == {
        "source": "realised",
        "atm_volatility": None,
        "recorded_on": None,
        "reason": "the paper broker has no option quotes: priced on realised volatility",
        "words": "the paper broker has no option quotes: priced on realised volatility",
    }
    [order] = result["plan"]["orders"]
    stock = store.get_broker_account("alice", f"paper-{deployment.id}").state
    held = {f["symbol"]: 0.0 for f in stock["fills"]}
    for fill in stock["fills"]:
        held[fill["symbol"]] += fill["quantity"]
    notional = sum(q * float(CLOSES.loc["2021-06-01", s]) for s, q in held.items())
    spot = float(CLOSES.loc["2021-06-01", "AAPL"])
    assert order["contracts"] == int(notional // (spot * 100))
    assert order["symbol"] == parse_occ(order["symbol"]).symbol
    assert parse_occ(order["symbol"]).strike == round(0.95 * spot)
    [entry] = store.ledger("alice", hedge_account(deployment))
    assert (entry.symbol, entry.side, entry.note) == (order["symbol"], "buy", "option trade")
    assert entry.quantity == order["contracts"]
    assert entry.price == pytest.approx(_model(order["symbol"], "2021-06-02"), rel=1e-12)
    events = [e.type for e in store.deployment_events("alice", deployment.id)]
    assert "hedge_run" in events and "run_finished" in events


def test_expired_puts_settle_at_intrinsic_value_and_the_next_run_buys_anew(store: Store) -> None:
    deployment = _active(store)
    first = _run(store, deployment, FIRE, "run-1")
    [bought] = first.orders
    contract = parse_occ(bought.symbol)
    later = datetime(2021, 7, 6, 21, 0, tzinfo=UTC)  # after the 21-session expiry (July 1st)
    second = _run(store, deployment, later, "run-2")
    # the expired puts settled when the account moved to the fire: the plan buys anew
    assert second.status == "filled" and second.plan["action"] == "buy"
    entries = store.ledger("alice", hedge_account(deployment))
    settlement = [e for e in entries if e.note in ("option exercise", "option expiry")]
    assert len(settlement) == 1 and settlement[0].symbol == bought.symbol
    spot = float(CLOSES.loc[contract.expiry.isoformat(), "AAPL"])
    assert settlement[0].price == pytest.approx(max(contract.strike - spot, 0.0))
    assert settlement[0].quantity == bought.quantity
    book = Ledger(store, "alice", hedge_account(deployment)).book
    assert book.contracts == second.positions
    assert bought.symbol not in book.contracts and len(book.contracts) == 1
    assert book.premiums_paid == pytest.approx(
        sum(e.quantity * 100 * e.price for e in entries if e.note == "option trade")  # type: ignore[operator]
    )


class FlakyAccount:
    """The real paper options account behind a connection that fails the first `failures`
    submissions with a server error."""

    def __init__(self, inner: StoredPaperOptionsAccount, failures: int) -> None:
        self.inner, self.failures, self.calls = inner, failures, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        self.calls += 1
        if self.calls <= self.failures:
            raise BrokerUnavailableError("HTTP 503 from the broker")
        return self.inner.submit(request)


def test_a_broker_failing_more_than_the_retries_dead_letters_the_hedge_order(store: Store) -> None:
    deployment = _active(store)
    flaky = FlakyAccount(_account(store, deployment), failures=3)
    outcome = _run(store, deployment, FIRE, "run-1", account=flaky, retry=RetryPolicy(3, 0.0))
    [order] = outcome.orders
    assert (order.status, order.attempts) == ("dead", 3)
    assert "broker unavailable after 3 attempts: HTTP 503" in order.reason
    assert outcome.status == "failed"
    assert store.ledger("alice", hedge_account(deployment)) == []
    recovered = FlakyAccount(_account(store, deployment), failures=2)
    next_fire = FIRE + timedelta(days=1)
    again = _run(
        store, deployment, next_fire, "run-2", account=recovered, retry=RetryPolicy(3, 0.0)
    )
    assert [o.status for o in again.orders] == ["filled"]
    assert recovered.calls == 3


def test_a_poisoned_hedge_order_goes_to_the_dead_letters_and_its_run_stops(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    deployment = _active(store)
    book = hedge_account(deployment)
    store.enqueue_orders(
        "alice",
        book,
        deployment.id,
        "poisoned",
        [
            NewOrder("hdg-0000000000000000-00-bo", "NOT-AN-OPTION", "buy", 1.0),
            NewOrder("hdg-0000000000000000-01-bo", "AAPL210716P00120000", "buy", 1.0),
        ],
    )
    _run(store, deployment, FIRE, "run-1")
    orders = {o.client_order_id: o for o in store.list_orders("alice", run_id="poisoned")}
    dead = orders["hdg-0000000000000000-00-bo"]
    assert dead.status == "dead" and "not an OCC option symbol" in (dead.reason or "")
    assert dead.attempts == 1
    assert orders["hdg-0000000000000000-01-bo"].status == "canceled"
    # logged as the event the operations alarm counts, with the hedge account named
    [logged] = [r for r in caplog.records if getattr(r, "event", None) == "order_dead_lettered"]
    assert (logged.client_order_id, logged.account) == (dead.client_order_id, book)


def test_the_hedging_kill_switch_closes_every_option_and_halts_hedge_runs(
    store: Store, clock: FakeClock
) -> None:
    deployment = _active(store, COLLAR)
    bought = _run(store, deployment, FIRE, "run-1")
    notional = 300 * CLOSES.loc["2021-06-01", "AAPL"] + 500 * CLOSES.loc["2021-06-01", "KO"]
    contracts = int(notional // (CLOSES.loc["2021-06-01", "AAPL"] * 100))
    assert sorted(bought.positions.values()) == [-contracts, contracts]
    clock.now = datetime(2021, 6, 3, 21, 0, tzinfo=UTC)
    report = hedge_kill_switch(store, "alice", by="cli", sleep=lambda _: None)
    assert report.halted == [deployment.id] and report.failures == []
    assert sorted((row["side"], row["status"]) for row in report.closed) == [
        ("buy", "filled"),
        ("sell", "filled"),
    ]
    assert _account(store, deployment).option_positions() == {}
    book = Ledger(store, "alice", hedge_account(deployment)).book
    assert book.contracts == {}
    closes = store.ledger("alice", hedge_account(deployment))[-2:]
    for entry in closes:
        assert entry.price == pytest.approx(_model(entry.symbol or "", "2021-06-04"), rel=1e-12)
    events = store.deployment_events("alice", deployment.id)
    halted = [e for e in events if e.type == "updated" and "hedging" in e.data["changed"]]
    assert halted[-1].data["reason"] == "the hedging kill switch was pulled"
    assert [e.data["by"] for e in events if e.type == "hedges_closed"] == ["cli"]
    skipped = _run(store, deployment, datetime(2021, 6, 4, 21, 0, tzinfo=UTC), "run-2")
    assert skipped.status == "skipped" and "halted" in skipped.reason
    again = hedge_kill_switch(store, "alice", deployment_id=deployment.id)
    assert again.closed == [] and again.failures == []
    assert release_hedges(store, "alice").released == [deployment.id]
    resumed = _run(store, deployment, datetime(2021, 6, 4, 21, 0, tzinfo=UTC), "run-3")
    assert resumed.status == "filled" and resumed.plan["action"] == "buy"


def test_what_is_knowable_at_creation_is_refused_naming_the_field() -> None:
    symbols = pd.Index(["AAPL", "KO"])
    rule = RuleStrategy(CONFIG, ("AAPL", "KO"))
    with pytest.raises(InputError) as missing:
        check_hedge(rule, None, symbols, "paper")
    assert missing.value.field == "hedge.underlying" and "put overlay" in str(missing.value)
    with pytest.raises(InputError) as unknown:
        check_hedge(rule, {"underlying": "SPY"}, symbols, "paper")
    assert "no prices for 'SPY'" in str(unknown.value)
    with pytest.raises(InputError) as alpaca:
        check_hedge(rule, {"underlying": "AAPL"}, symbols, "alpaca")
    assert alpaca.value.field == "broker"
    with pytest.raises(InputError) as vol:
        check_hedge(rule, {"underlying": "AAPL", "vol_model": {"skew": -1}}, symbols, "paper")
    assert vol.value.field == "hedge.vol_model.skew"
    with pytest.raises(InputError) as none:
        check_hedge(FixedWeights({"AAPL": 1.0}), {"underlying": "AAPL"}, symbols, "paper")
    assert none.value.field == "hedge"
    assert check_hedge(rule, {"underlying": "AAPL"}, symbols, "paper") == {
        "underlying": "AAPL",
        "vol_model": ImpliedVolModel().model_dump(),
    }


def test_the_premium_spent_over_the_last_year_is_read_from_the_hedge_ledger(store: Store) -> None:
    deployment = _active(store, COLLAR)
    bought = _run(store, deployment, FIRE, "run-1")
    entries = store.ledger("alice", hedge_account(deployment))
    paid = sum(e.quantity * 100 * e.price for e in entries if e.side == "buy")  # type: ignore[operator]
    received = sum(e.quantity * 100 * e.price for e in entries if e.side == "sell")  # type: ignore[operator]
    ledger = Ledger(store, "alice", hedge_account(deployment))
    assert bought.status == "filled" and paid > 0 and received > 0
    filled_at = entries[0].time  # the next close after the fire
    assert filled_at > FIRE and spent_last_year(ledger, FIRE) == 0.0
    assert spent_last_year(ledger, filled_at) == pytest.approx(paid - received)
    assert spent_last_year(ledger, filled_at + timedelta(days=365)) == 0.0


def test_the_winner_of_an_optimization_with_an_overlay_needs_its_hedge_underlying(
    tmp_path: Path,
) -> None:
    from store.sqlite import SQLiteStore
    from trading.deployments import create_deployment

    store = SQLiteStore(tmp_path / "winner.sqlite")
    job_id = put_overlay_winner(store)
    fields = {"name": "hedged winner", "source": "optimization", "source_id": job_id,
              "capital": 100_000, "schedule": {"every": "week", "at": "15:45"}}  # fmt: skip
    with pytest.raises(InputError) as missing:  # refused on the hedge before any confirmation
        create_deployment(store, "alice", **fields)  # type: ignore[arg-type]
    assert missing.value.field == "hedge.underlying"
    hedge = {"underlying": "AAPL"}
    with pytest.raises(InputError) as unconfirmed:  # the winner is below its benchmarks
        create_deployment(store, "alice", hedge=hedge, **fields)  # type: ignore[arg-type]
    assert unconfirmed.value.field == "confirm_below_benchmarks"
    deployment = create_deployment(
        store,
        "alice",
        hedge=hedge,
        confirm_below_benchmarks=True,
        **fields,  # type: ignore[arg-type]
    )
    assert deployment.spec["hedge"] == {
        "underlying": "AAPL",
        "vol_model": ImpliedVolModel().model_dump(),
    }
    events = store.deployment_events("alice", deployment.id)
    assert events[0].type == "created"
