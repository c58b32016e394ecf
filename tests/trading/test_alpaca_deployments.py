"""Deployments on Alpaca, end to end with no mocks: the Alpaca side is the loopback stand-in
`devtools.local_alpaca` (a paper broker underneath, whose orders and fills are the oracle), the
store is SQLite, rebalance jobs run through the real job worker with an injected clock.

Orders fill at Alpaca in real time: the stand-in fills them when the test moves its time. A
run's first attempt sends the orders and finds them working (transient); the test moves the
stand-in's time when the worker announces its retry (the worker's own log record, in the worker's
thread, before the retry), and the retry finds them filled."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.base import OrderRequest
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.errors import DeploymentStateError
from execution.options import parse_occ
from jobs.job_runner import JobRunner
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from services.errors import InputError
from settings import Settings
from store import Deployment, Job, Store
from tests.store.conftest import FakeClock
from tests.support.settings import merged
from trading.deployment_views import check_run_now
from trading.deployments import change_status, create_deployment
from trading.execution_jobs import HANDLERS
from trading.forward_tests.paper import ForwardTestRequest, forward_test
from trading.kill_switch import kill_switch
from trading.scheduling import REBALANCE_KIND, fire_due

PRICES = sp500_prices().loc["2021-01-01":]
OPENED = datetime(2021, 5, 3, 14, 0, tzinfo=UTC)  # the Alpaca account is funded then
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 in New York, before the close
AFTER_THE_CLOSE = datetime(2021, 6, 1, 21, 0, tzinfo=UTC)
ACCOUNT_CASH = 80_000.0
CAPITAL = 50_000.0
SECRET = "alpaca-secret-for-deployment-tests"
ORDERS = ("POST", "/v2/orders")


@pytest.fixture
def alpaca(clock: FakeClock) -> Iterator[LocalAlpaca]:
    """The owner's Alpaca account, funded on `OPENED`, at the clock's time (the morning of the
    fire's session)."""
    paper = PaperBroker(PRICES, fractional=True)
    paper.deposit(ACCOUNT_CASH, OPENED)
    stand_in = LocalAlpaca(paper, key_id="AKALICE", secret_key=SECRET).start()
    stand_in.advance(clock.now)
    yield stand_in
    stand_in.close()


def options_stand_in(level: int) -> LocalAlpaca:
    """The owner's Alpaca account with an options account at `level` over AAPL, funded on
    `OPENED` (started; the caller closes it)."""
    paper = PaperBroker(PRICES, fractional=True)
    paper.deposit(ACCOUNT_CASH, OPENED)
    options = PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(level=level))
    return LocalAlpaca(paper, options=options, key_id="AKALICE", secret_key=SECRET).start()


def _settings(tmp_path: Path, server: LocalAlpaca, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "notifications": {"smtp": {"host": "127.0.0.1"}},
        "alpaca": {
            "key_id": server.key_id,
            "secret_key": SECRET,
            "base_url": server.url,
            "owner": "alice",
        },
        "execution": {"retry_seconds": 0.0},
    }
    return Settings(**merged(values, overrides))


def _portfolio(store: Store, owner: str = "alice") -> str:
    weights = [{"asset": "AAPL", "weight": 0.5}, {"asset": "KO", "weight": 0.45}]
    return store.create_portfolio(owner, "pair", {"weights": weights}).id


def _create(store: Store, settings: Settings, owner: str = "alice") -> Deployment:
    return create_deployment(
        store, owner, name="pair on Alpaca", source="portfolio", source_id=_portfolio(store, owner),
        capital=CAPITAL, schedule={"every": "session", "at": "15:45"},
        limits={"cash_buffer": 0.02}, broker="alpaca", settings=settings,
    )  # fmt: skip


def _active(store: Store, settings: Settings) -> Deployment:
    return change_status(store, "alice", _create(store, settings).id, "active")


def _runner(store: Store, settings: Settings, **options: Any) -> JobRunner:
    return JobRunner(store, handlers=HANDLERS, settings=settings, backoff=(0.0,), **options)


def _posted(alpaca: LocalAlpaca) -> int:
    """Order submissions the stand-in received."""
    return sum(1 for request in alpaca.requests if request == ORDERS)


def _placed(alpaca: LocalAlpaca) -> list[str]:
    """The statuses of the orders placed at the stand-in (its paper broker's own record)."""
    return [order["status"] for order in alpaca.account.broker.state()["orders"]]


def _run_at_fire(
    store: Store, clock: FakeClock, settings: Settings, deployment: Deployment, **options: Any
) -> Job:
    """The rebalance job of `deployment` at `FIRE`, run a minute later by a worker with
    `options`, as it ended."""
    job, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    clock.now = FIRE + timedelta(minutes=1)
    _runner(store, settings, **options).run_once()
    return store.get_job("alice", job.id)


class _OnRetry(logging.Handler):
    """Moves the stand-in's time when the worker announces that it will retry a job whose
    orders are still working."""

    def __init__(self, alpaca: LocalAlpaca, now: datetime) -> None:
        super().__init__()
        self.alpaca, self.now, self.retries = alpaca, now, 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "still working at the broker" in message and "retrying in" in message:
            self.retries += 1
            self.alpaca.advance(self.now)


@contextmanager
def watching_retries(alpaca: LocalAlpaca, now: datetime) -> Iterator[_OnRetry]:
    """An `_OnRetry` listening to the job worker's log while the block runs."""
    handler = _OnRetry(alpaca, now)
    logger = logging.getLogger("jobs.worker")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def on_retry(alpaca: LocalAlpaca) -> Iterator[_OnRetry]:
    with watching_retries(alpaca, AFTER_THE_CLOSE) as handler:
        yield handler


# -- creating ----------------------------------------------------------------------------------


def test_an_alpaca_deployment_names_its_account_and_endpoint_never_its_keys(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    deployment = _create(store, _settings(tmp_path, alpaca))
    assert deployment.spec["broker"] == "alpaca"
    assert deployment.spec["account"] == "alpaca-PA0000LOCAL"
    assert deployment.spec["alpaca_endpoint"] == "paper"
    assert SECRET not in str(deployment.spec) and alpaca.key_id not in str(deployment.spec)


@pytest.mark.parametrize(
    ("owner", "overrides", "problem"),
    [
        (
            "alice",
            {"alpaca": {"key_id": None, "secret_key": None}},
            "set STRATIGOS_ALPACA_KEY_ID",
        ),
        ("bob", {}, "no Alpaca account is configured for owner 'bob'"),
        ("alice", {"alpaca": {"secret_key": "wrong-secret"}}, r"401\): request is not authorized"),
    ],
    ids=["not configured", "another owner's account", "keys refused"],
)
def test_an_account_the_owner_cannot_trade_is_refused_naming_broker(
    store: Store,
    tmp_path: Path,
    alpaca: LocalAlpaca,
    owner: str,
    overrides: dict[str, Any],
    problem: str,
) -> None:
    settings = _settings(tmp_path, alpaca, **overrides)
    with pytest.raises(InputError, match=problem) as refused:
        _create(store, settings, owner)
    assert refused.value.field == "broker"
    assert "wrong-secret" not in str(refused.value) and SECRET not in str(refused.value)
    assert store.list_deployments(owner) == []


def test_an_account_is_traded_by_one_deployment_not_retired(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    first = _create(store, settings)
    with pytest.raises(InputError, match=f"already traded by deployment {first.id}") as refused:
        _create(store, settings)
    assert refused.value.field == "broker"
    # a second one that got in anyway (e.g. created at the same moment) cannot be activated
    twin = store.create_deployment("alice", "twin", "draft", first.spec)
    with pytest.raises(DeploymentStateError, match=f"already traded by deployment {first.id}"):
        change_status(store, "alice", twin.id, "active")
    change_status(store, "alice", twin.id, "retired")
    change_status(store, "alice", first.id, "active")  # its twin retired: nothing in the way
    change_status(store, "alice", first.id, "retired")
    assert _create(store, settings).spec["account"] == first.spec["account"]


# -- running -----------------------------------------------------------------------------------


def test_a_run_sends_its_orders_once_and_the_retry_finds_them_filled_at_alpaca(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    clock.now = FIRE + timedelta(minutes=1)
    alpaca.advance(FIRE)
    [job_id] = fire_due(store, clock.now).submitted
    runner = _runner(store, settings)
    runner.run_once()

    job = store.get_job("alice", job_id)
    assert (job.status, job.attempts, on_retry.retries) == ("succeeded", 2, 1)
    assert _posted(alpaca) == 2  # the retry synced the orders sent by the first attempt
    result = runner.results("alice", job_id)
    assert result["outcome"] == "filled" and len(result["orders"]) == 2
    opening = store.get_deployment("alice", deployment.id).spec["account_opening"]
    assert opening == {
        "cash": ACCOUNT_CASH,
        "outside_cash": ACCOUNT_CASH - CAPITAL,
        "at": FIRE.isoformat(),
    }
    reconciliation = result["reconciliation"]
    assert reconciliation["matches"] is True
    assert reconciliation["outside_cash"] == ACCOUNT_CASH - CAPITAL
    at_alpaca = alpaca.account.broker.account()
    assert reconciliation["broker_cash"] == pytest.approx(at_alpaca.cash)
    # the deployment's cash decided the orders: about its capital was invested, not the account's
    invested = sum(f.quantity * f.price for f in alpaca.account.broker.fills())
    assert CAPITAL * 0.9 < invested < CAPITAL
    ledger = store.ledger("alice", deployment.id)
    assert (ledger[0].entry_id, ledger[0].amount) == ("capital", CAPITAL)
    assert sorted((e.symbol, e.quantity, e.price) for e in ledger[1:]) == sorted(
        (f.symbol, f.quantity, f.price) for f in alpaca.account.broker.fills()
    )

    # the same fire again: the scheduler claims a fire once; a second job for it (submitted
    # by hand) is refused by the queue's client order ids and sends nothing
    assert fire_due(store, clock.now).submitted == []
    again, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": FIRE.isoformat()}
    )
    while runner.run_once() is not None:  # this minute's tick, then the job
        pass
    duplicate = store.get_job("alice", again.id)
    assert duplicate.status == "failed" and "is taken by another of your orders" in (
        duplicate.error or ""
    )
    assert _posted(alpaca) == 2 and _placed(alpaca) == ["filled", "filled"]
    assert len(store.ledger("alice", deployment.id)) == len(ledger)


def test_an_account_holding_positions_at_the_first_run_fails_it_with_the_reason(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    owners_own = AlpacaBroker(alpaca.key_id, SecretStr(SECRET), url_override=alpaca.url)
    owners_own.submit(OrderRequest("mine-XOM", "XOM", "buy", 10))
    alpaca.advance(AFTER_THE_CLOSE)
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    failed = _run_at_fire(store, clock, settings, deployment)
    assert failed.status == "failed" and failed.attempts == 1
    assert "holds positions (10 XOM)" in (failed.error or "")
    assert "nothing was traded" in (failed.error or "")
    assert _posted(alpaca) == 1 and store.ledger("alice", deployment.id) == []  # the owner's
    assert "account_opening" not in store.get_deployment("alice", deployment.id).spec


def test_an_account_with_less_cash_than_the_capital_fails_the_first_run_with_the_amounts(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    alpaca.account.broker.deposit(-40_000, clock.now)  # a withdrawal after the creation
    alpaca.advance(FIRE)
    failed = _run_at_fire(store, clock, settings, deployment)
    assert failed.status == "failed"
    assert "holds 40,000.00 in cash, less than the deployment's capital 50,000.00" in (
        failed.error or ""
    )
    assert _posted(alpaca) == 0


@pytest.mark.parametrize(
    ("status", "outcome", "reason"),
    [
        (403, "rejected", "Alpaca refused (submit order"),
        (503, "dead", "Alpaca answered 503"),
    ],
)
def test_alpaca_refusing_or_failing_the_orders_fails_the_run_with_its_reason(
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    alpaca: LocalAlpaca,
    status: int,
    outcome: str,
    reason: str,
) -> None:
    settings = _settings(tmp_path, alpaca, execution={"max_attempts": 2})
    deployment = _active(store, settings)
    alpaca.advance(FIRE)
    alpaca.fail_next(4, status, request=ORDERS)  # every submission of the run's two orders
    failed = _run_at_fire(store, clock, settings, deployment)
    assert failed.status == "failed" and failed.attempts == 1
    assert "RunFailedError" in (failed.error or "") and reason in (failed.error or "")
    orders = store.list_orders("alice", deployment_id=deployment.id)
    assert {o.status for o in orders} >= {outcome}
    assert _placed(alpaca) == []


def test_the_kill_switch_cancels_an_alpaca_deployment_s_orders_at_alpaca(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    alpaca.advance(FIRE)
    stopped = _run_at_fire(store, clock, settings, deployment, max_attempts=1)
    assert stopped.status == "failed"  # its orders sent, still working at Alpaca
    assert _placed(alpaca) == ["new", "new"]

    report = kill_switch(store, "alice", account=deployment.spec["account"], settings=settings)
    assert report.paused == [deployment.id] and report.failures == []
    assert len(report.canceled_orders) == 2
    assert _placed(alpaca) == ["canceled", "canceled"]
    assert store.open_orders("alice", deployment.spec["account"]) == []


def test_the_account_s_history_before_the_first_run_stays_out_of_the_ledger(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    owners_own = AlpacaBroker(alpaca.key_id, SecretStr(SECRET), url_override=alpaca.url)
    owners_own.submit(OrderRequest("mine-buy", "XOM", "buy", 10))
    alpaca.advance(AFTER_THE_CLOSE)
    owners_own.submit(OrderRequest("mine-sell", "XOM", "sell", 10))
    alpaca.advance(AFTER_THE_CLOSE + timedelta(days=1))  # sold: cash only again
    fire = FIRE + timedelta(days=2)
    alpaca.advance(fire)
    on_retry.now = AFTER_THE_CLOSE + timedelta(days=2)
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    job, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": fire.isoformat()}
    )
    clock.now = fire + timedelta(minutes=1)
    runner = _runner(store, settings)
    runner.run_once()
    assert store.get_job("alice", job.id).status == "succeeded"
    result = runner.results("alice", job.id)
    cash_at_opening = store.get_deployment("alice", deployment.id).spec["account_opening"]["cash"]
    assert cash_at_opening != ACCOUNT_CASH  # the round trip gained or lost
    assert result["reconciliation"]["matches"] is True
    assert result["reconciliation"]["outside_cash"] == pytest.approx(cash_at_opening - CAPITAL)
    ledger = store.ledger("alice", deployment.id)
    assert ledger[0].entry_id == "capital" and {e.symbol for e in ledger[1:]} == {"AAPL", "KO"}


def test_alpaca_unreachable_while_the_account_is_read_makes_the_attempt_transient(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca, on_retry: _OnRetry
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    alpaca.advance(FIRE)
    alpaca.fail_next(1, 503, request=("GET", "/v2/account"))
    job = _run_at_fire(store, clock, settings, deployment)
    # 1: the account unreachable; 2: the orders sent, working; 3: filled
    assert (job.status, job.attempts, on_retry.retries) == ("succeeded", 3, 1)
    assert _posted(alpaca) == 2 and _placed(alpaca) == ["filled", "filled"]


def test_a_fire_the_market_data_cannot_price_is_refused_for_alpaca_s_reason(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    check_run_now(deployment, FIRE)  # the data holds the last close before it: no refusal
    late = datetime(2024, 7, 1, 19, 45, tzinfo=UTC)
    with pytest.raises(InputError, match="the prices are stale") as refused:
        check_run_now(deployment, late)
    assert "paper broker" not in str(refused.value)
    job, _ = store.submit_job(
        "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": late.isoformat()}
    )
    clock.now = late
    _runner(store, settings).run_once()
    failed = store.get_job("alice", job.id)
    assert failed.status == "failed" and "the market data ends on 2022-12-28" in (
        failed.error or ""
    )
    assert _posted(alpaca) == 0


def test_a_forward_test_of_an_alpaca_deployment_trades_its_own_paper_account(
    store: Store, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    deployment = _create(store, _settings(tmp_path, alpaca))
    result = forward_test(
        store,
        "alice",
        ForwardTestRequest(deployment.id, date(2022, 1, 3), end=date(2022, 3, 31)),
        sp500_prices(),
        run_id="job_ft",
    )
    test = store.get_deployment("alice", result["forward_test_deployment_id"])
    assert not {"broker", "account", "alpaca_endpoint", "account_opening"} & set(test.spec)
    assert store.get_broker_account("alice", f"paper-{test.id}").state["fills"]
    assert alpaca.requests == [
        ("GET", "/v2/account/configurations"),
        ("GET", "/v2/account"),
    ]  # the check at creation only


def test_the_kill_switch_records_an_order_filled_meanwhile_with_its_fills(
    store: Store, clock: FakeClock, tmp_path: Path, alpaca: LocalAlpaca
) -> None:
    settings = _settings(tmp_path, alpaca)
    deployment = _active(store, settings)
    alpaca.advance(FIRE)
    stopped = _run_at_fire(store, clock, settings, deployment, max_attempts=1)
    assert stopped.status == "failed" and _placed(alpaca) == ["new", "new"]
    alpaca.advance(AFTER_THE_CLOSE)  # they filled at Alpaca; the store still has them sent
    assert _placed(alpaca) == ["filled", "filled"]
    kill_switch(store, "alice", account=deployment.spec["account"], settings=settings)
    orders = store.list_orders("alice", deployment_id=deployment.id)
    fills = [e for e in store.ledger("alice", deployment.id) if e.kind == "fill"]
    assert [o.status for o in orders] == ["filled", "filled"]
    for order in orders:
        mine = [e.quantity or 0.0 for e in fills if e.order_id == order.client_order_id]
        assert mine and sum(mine) == pytest.approx(order.filled_quantity)


# -- option cash on the shared account ------------------------------------------------------


def _hedged_after_a_first_run(
    store: Store, clock: FakeClock, tmp_path: Path, stand_in: LocalAlpaca, on_retry: _OnRetry
) -> tuple[Settings, Deployment]:
    """A deployment on `stand_in` whose first run bought its shares, then given a hedge on
    AAPL (as if its strategy held an overlay)."""
    on_retry.alpaca, on_retry.now = stand_in, AFTER_THE_CLOSE
    stand_in.advance(FIRE)
    settings = _settings(tmp_path, stand_in)
    deployment = _active(store, settings)
    assert _run_at_fire(store, clock, settings, deployment).status == "succeeded"
    deployment = store.get_deployment("alice", deployment.id)
    hedge = {"underlying": "AAPL", "vol_model": ImpliedVolModel().model_dump()}
    return settings, store.update_deployment(
        "alice", deployment.id, expected_version=deployment.version,
        spec={**deployment.spec, "hedge": hedge},
    )  # fmt: skip


def test_the_hedge_s_option_cash_stays_out_of_the_stock_reconciliation(
    store: Store, clock: FakeClock, tmp_path: Path, on_retry: _OnRetry
) -> None:
    """Alpaca keeps one cash balance for shares and options: a premium paid for the hedge's puts
    lowers the account's cash, and the stock ledger (shares only) must neither see a mismatch
    nor decide with cash that paid for options."""
    stand_in = options_stand_in(3)
    try:
        settings, deployment = _hedged_after_a_first_run(store, clock, tmp_path, stand_in, on_retry)
        # the hedge buys 3 puts at Alpaca between the fires: the account's cash drops
        owners = AlpacaBroker("AKALICE", SecretStr(SECRET), url_override=stand_in.url)
        put = parse_occ("AAPL210716P00120000")
        owners.submit(OrderRequest("hdg-put", put.symbol, "buy", 3, "buy_to_open"))
        stand_in.advance(AFTER_THE_CLOSE + timedelta(days=1))
        [bought] = owners.option_fills()
        assert bought.cash_change < -100
        fire = FIRE + timedelta(days=2)
        stand_in.advance(fire)
        on_retry.now = AFTER_THE_CLOSE + timedelta(days=2)
        job, _ = store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": fire.isoformat()}
        )
        clock.now = fire + timedelta(minutes=1)
        runner = _runner(store, settings)
        while store.get_job("alice", job.id).status == "pending":  # the minute's tick, the job
            assert runner.run_once() is not None
        assert store.get_job("alice", job.id).status == "succeeded"
        result = runner.results("alice", job.id)
        reconciliation = result["reconciliation"]
    finally:
        stand_in.close()
    assert reconciliation["matches"] is True
    # outside: the cash beyond the capital at the opening, plus the premium paid (negative)
    assert reconciliation["outside_cash"] == pytest.approx(
        ACCOUNT_CASH - CAPITAL + bought.cash_change
    )
    assert reconciliation["broker_cash"] == pytest.approx(reconciliation["ledger_cash"])
    assert store.get_deployment("alice", deployment.id).status == "active"


def test_a_hedge_fill_while_the_run_reads_the_account_is_not_a_mismatch(
    store: Store, clock: FakeClock, tmp_path: Path, on_retry: _OnRetry
) -> None:
    """The hedge's option order fills at Alpaca between the run's reading of the option cash
    and of the account (the stand-in fills it as the account is read): the run reads both
    again until they agree, so it neither decides with the premium's cash nor sees a
    reconciliation mismatch (which would pause the deployment)."""
    stand_in = options_stand_in(3)
    try:
        settings, deployment = _hedged_after_a_first_run(store, clock, tmp_path, stand_in, on_retry)
        fire = FIRE + timedelta(days=2)
        stand_in.advance(fire - timedelta(minutes=5))
        owners = AlpacaBroker("AKALICE", SecretStr(SECRET), url_override=stand_in.url)
        put = "AAPL210716P00120000"
        owners.submit(OrderRequest("hdg-put", put, "buy", 3, "buy_to_open"))
        stand_in.advance(fire)
        assert owners.option_fills() == []  # still working when the run starts
        close = AFTER_THE_CLOSE + timedelta(days=2)
        stand_in.before_next(("GET", "/v2/account"), lambda: stand_in.advance(close))
        on_retry.now = close + timedelta(days=1)
        job, _ = store.submit_job(
            "alice", REBALANCE_KIND, {"deployment_id": deployment.id, "fire": fire.isoformat()}
        )
        clock.now = fire + timedelta(minutes=1)
        runner = _runner(store, settings)
        while store.get_job("alice", job.id).status in ("pending", "running"):
            assert runner.run_once() is not None
        assert store.get_job("alice", job.id).status == "succeeded"
        reconciliation = runner.results("alice", job.id)["reconciliation"]
        [bought] = owners.option_fills()
    finally:
        stand_in.close()
    assert bought.time <= close  # it filled during the run
    assert reconciliation["matches"] is True
    assert reconciliation["outside_cash"] == pytest.approx(
        ACCOUNT_CASH - CAPITAL + bought.cash_change
    )
    assert store.get_deployment("alice", deployment.id).status == "active"
