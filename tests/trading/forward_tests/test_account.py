"""A forward test of an account several strategies share, on a real SQLite store over the
embedded closes, through the shared account's run, its queue, one paper broker and the books,
checked against plain references written here: every order of the account is its strategies'
allocations, and per symbol and decision time the broker sees the buys less the sells; each
strategy's book after a decision time is what trading alone would have made it plus what its
crossed parts saved (slippage and commission); fees and interest split over the books add up
to the account's; each book's interest is its own cash at its own rate, close by close."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution.brokers.paper import PaperBroker, PaperCosts
from execution.ledger import INTEREST_NOTE
from execution.schedule import session_datetimes, trading_sessions
from quant.estimators import PERIODS_PER_YEAR
from services.errors import InputError
from services.market_data import sp500_prices
from store import LedgerEntry, QueuedOrder, Store
from store.sqlite import SQLiteStore
from trading.account_names import shared_paper_account
from trading.forward_tests.account import (
    AccountForwardTestRequest,
    account_forward_test,
    netting_summary,
)

OWNER = "alice"
SYMBOLS = ("AAPL", "KO", "XOM", "PG", "JNJ")
START, END = date(2022, 6, 1), date(2022, 6, 10)


@pytest.fixture(autouse=True)
def _data_dir(offline_data_dir: Path) -> Path:
    return offline_data_dir


def _member(store: Store, name: str, weights: dict[str, float], safe_rate: float) -> str:
    spec = {
        "strategy": {"kind": "weights", "weights": weights, "safe_rate": safe_rate},
        "universe": sorted(weights),
        "capital": 100_000.0,
        "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
        "limits": {"cash_buffer": 0.02, "max_turnover": 2.0},
        "account": shared_paper_account(store, OWNER, "main"),
        "shared_account": True,
        "account_name": "main",
    }
    return store.create_deployment(OWNER, name, "draft", spec).id


weights_of = st.dictionaries(
    st.sampled_from(SYMBOLS), st.floats(0.05, 0.45), min_size=1, max_size=3
).filter(lambda w: sum(w.values()) <= 0.95)
members_of = st.lists(st.tuples(weights_of, st.sampled_from((0.0, 0.01, 0.03, 0.05))),
                      min_size=2, max_size=4)  # fmt: skip
commission = st.sampled_from((0.0, 0.005, 0.01))
bps = st.sampled_from((0.0, 0.5, 2.0))


@contextmanager
def _run(
    members: list[tuple[dict[str, float], float]], costs: PaperCosts
) -> Iterator[tuple[Store, list[str], dict[str, Any]]]:
    """The members on a fresh store's account `main`, forward-tested together."""
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "s.sqlite") as store:
        ids = [_member(store, f"s{i}", w, r) for i, (w, r) in enumerate(members)]
        request = AccountForwardTestRequest("main", START, END, costs=costs)
        result = account_forward_test(store, OWNER, request, sp500_prices(), run_id="job_acct")
        yield store, ids, result


def _orders(store: Store, result: dict[str, Any]) -> dict[str, list[QueuedOrder]]:
    runs: dict[str, list[QueuedOrder]] = defaultdict(list)
    for order in store.list_orders(OWNER, deployment_id=result["test_account"]):
        runs[order.run_id].append(order)
    return runs


def _fills(store: Store, book: str) -> list[LedgerEntry]:
    return [e for e in store.ledger(OWNER, book) if e.kind == "fill"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=members_of, per_share=commission, per_order=st.sampled_from((0.0, 1.0)), in_bps=bps)
def test_fees_and_interest_split_over_the_books_add_up_to_the_account_s(
    members: list[tuple[dict[str, float], float]], per_share: float, per_order: float,
    in_bps: float,
) -> None:  # fmt: skip
    costs = PaperCosts(commission_per_share=per_share, commission_per_order=per_order,
                       commission_bps=in_bps)  # fmt: skip
    with _run(members, costs) as (store, _, result):
        account = store.get_broker_account(OWNER, result["test_account"]).state
        broker_fees = sum(f["fee"] for f in account["fills"])
        broker_interest = sum(f["amount"] for f in account["interest"])
        tests = [m["forward_test_deployment_id"] for m in result["members"]]
        books_fees = sum(e.fee or 0.0 for t in tests for e in _fills(store, t))
        books_interest = sum(
            e.amount or 0.0 for t in tests for e in store.ledger(OWNER, t) if e.note == "interest"
        )
        assert books_fees == pytest.approx(broker_fees, abs=1e-9)
        assert result["fees"] == pytest.approx(broker_fees, abs=1e-9)
        assert sum(m["fees"] for m in result["members"]) == pytest.approx(broker_fees, abs=1e-9)
        assert books_interest == pytest.approx(broker_interest, abs=1e-9)
        assert sum(m["interest"] for m in result["members"]) == pytest.approx(
            result["interest"], abs=1e-9
        )
        if per_share or per_order or in_bps:
            assert broker_fees > 0  # the commission setting is charged
        # every order was charged its commission per order once, on its first fill
        for order in account["orders"]:
            fills = [f for f in account["fills"] if f["order_id"] == order["client_order_id"]]
            for number, fill in enumerate(fills):
                expected = (
                    per_share * fill["quantity"]
                    + in_bps * fill["quantity"] * fill["price"] / 10_000
                    + (per_order if number == 0 else 0.0)
                )
                assert fill["fee"] == pytest.approx(expected, abs=1e-9)
        # the books together are the account
        broker = PaperBroker.restore(sp500_prices(), account)
        cash = sum(m["cash"] for m in result["members"])
        assert cash == pytest.approx(broker.account().cash, abs=1e-6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=members_of, per_share=commission, in_bps=bps)
def test_the_netting_against_a_plain_reference(
    members: list[tuple[dict[str, float], float]], per_share: float, in_bps: float
) -> None:
    costs = PaperCosts(slippage_bps=5.0, commission_per_share=per_share, commission_bps=in_bps)
    closes = sp500_prices()
    with _run(members, costs) as (store, _, result):
        tests = [m["forward_test_deployment_id"] for m in result["members"]]
        fills = {t: _fills(store, t) for t in tests}
        runs = _orders(store, result)
        assert len(runs) == result["netting"]["decision_times"]
        for run in runs.values():
            wants: dict[tuple[str, str], float] = defaultdict(float)  # (symbol, side): shares
            for order in run:
                assert order.allocations
                assert order.quantity == pytest.approx(sum(a.quantity for a in order.allocations))
                wants[(order.symbol, order.side)] += order.quantity
            for symbol in {o.symbol for o in run}:
                net = wants[(symbol, "buy")] - wants[(symbol, "sell")]
                sent = [o for o in run if o.symbol == symbol and o.internal_price is None]
                crossed = [o for o in run if o.symbol == symbol and o.internal_price is not None]
                if abs(net) < 1e-9:
                    assert not sent
                else:  # the broker sees the buys less the sells, on the larger side
                    [order] = sent
                    assert order.side == ("buy" if net > 0 else "sell")
                    assert order.quantity == pytest.approx(abs(net), abs=1e-6)
                assert {o.side for o in crossed} in (set(), {"buy", "sell"})
            _check_books_against_alone(run, fills, costs, closes, result)


def _check_books_against_alone(
    run: list[QueuedOrder],
    fills: dict[str, list[LedgerEntry]],
    costs: PaperCosts,
    closes: pd.DataFrame,
    result: dict[str, Any],
) -> None:
    """Each strategy's cash after the run is its cash trading its own planned orders alone at
    the bar (slippage and commission on every share) plus what its crossed parts saved."""
    ids = {o.client_order_id for o in run}
    saved = netting_summary(run, costs)["members"]
    for member in result["members"]:
        test = member["forward_test_deployment_id"]
        mine = [e for e in fills[test] if e.order_id in ids]
        if not mine:
            continue
        bar = pd.Timestamp(max(e.time for e in mine).astimezone(closes.index.tz).date())
        alone = 0.0
        for order in run:
            part = sum(a.quantity for a in order.allocations if a.deployment_id == test)
            if not part:
                continue
            price = costs.fill_price(order.side, float(closes.loc[bar, order.symbol]))
            fee = costs.commission_per_share * part + costs.commission_bps * part * price / 1e4
            alone += part * price * (-1 if order.side == "buy" else 1) - fee
            held = sum(e.quantity or 0.0 for e in mine if e.order_id == order.client_order_id)
            assert held == pytest.approx(part, abs=1e-6)  # it got exactly its part
        shared = sum(
            (-(e.quantity or 0) * (e.price or 0) - (e.fee or 0))
            if e.side == "buy"
            else (e.quantity or 0) * (e.price or 0) - (e.fee or 0)
            for e in mine
        )
        mine_saved = saved.get(test, {"slippage_saved": 0.0, "commission_saved": 0.0})
        assert shared == pytest.approx(
            alone + mine_saved["slippage_saved"] + mine_saved["commission_saved"], abs=1e-6
        )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=members_of)
def test_each_book_earns_its_own_strategy_s_rate_on_its_own_cash(
    members: list[tuple[dict[str, float], float]],
) -> None:
    sessions = trading_sessions("XNYS", START, END)
    close_times = session_datetimes(sessions["close"])
    with _run(members, PaperCosts()) as (store, _, result):
        for member, (_, rate) in zip(result["members"], members, strict=True):
            entries = sorted(store.ledger(OWNER, member["forward_test_deployment_id"]),
                             key=lambda e: e.time)  # fmt: skip
            booked = {e.time: e.amount or 0.0 for e in entries if e.note == INTEREST_NOTE}
            assert member["cash_rate"] == rate
            expected: dict[Any, float] = {}
            for close in close_times:  # its cash before the close's fills, its interest before
                cash = sum(
                    (e.amount or 0.0)
                    if e.kind == "cash_flow"
                    else ((e.quantity or 0) * (e.price or 0) * (-1 if e.side == "buy" else 1))
                    - (e.fee or 0.0)
                    for e in entries
                    if e.time < close and e.note != INTEREST_NOTE
                ) + sum(v for t, v in expected.items() if t < close)
                amount = max(cash, 0.0) * rate / PERIODS_PER_YEAR
                if amount > 0:
                    expected[close] = amount
            assert booked.keys() == expected.keys()
            for close, amount in expected.items():
                assert booked[close] == pytest.approx(amount, rel=1e-12, abs=1e-12)
            assert member["interest"] == pytest.approx(sum(expected.values()), abs=1e-9)


def test_an_account_without_members_or_history_is_refused_naming_the_field() -> None:
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "s.sqlite") as store:
        with pytest.raises(InputError) as missing:
            account_forward_test(store, OWNER, AccountForwardTestRequest("main", START),
                                 sp500_prices(), run_id="job_x")  # fmt: skip
        assert missing.value.field == "account" and "--account main" in str(missing.value)
        rule = _member(store, "rule", {"KO": 0.5, "PG": 0.5}, 0.02)
        spec = store.get_deployment(OWNER, rule).spec
        spec["strategy"] = {
            "kind": "rule",
            "config": {"target_vol": 0.12, "lookback": 63, "rebalance_every": 5},
            "safe_rate": 0.02,
        }
        store.update_deployment(OWNER, rule, expected_version=1, spec=spec)
        with pytest.raises(InputError) as early:
            too_early = sp500_prices().index[10].date()  # ten sessions of history, not 64
            account_forward_test(store, OWNER, AccountForwardTestRequest("main", too_early),
                                 sp500_prices(), run_id="job_y")  # fmt: skip
        assert early.value.field == "start"
        assert all(d.status == "draft" for d in store.list_deployments(OWNER))  # nothing created


def test_a_resumed_test_trades_an_account_of_its_own() -> None:
    """A forward-test job attempted again (its worker died) abandons the test deployments of the
    attempt before and trades another account: none of the earlier attempt's orders is its."""
    with tempfile.TemporaryDirectory() as folder, SQLiteStore(Path(folder) / "s.sqlite") as store:
        _member(store, "a", {"KO": 0.5}, 0.0)
        _member(store, "b", {"KO": 0.2, "XOM": 0.6}, 0.0)
        request = AccountForwardTestRequest("main", START, date(2022, 6, 3))
        runs = [
            account_forward_test(store, OWNER, request, sp500_prices(), run_id="job_again")
            for _ in range(3)
        ]
        accounts = [r["test_account"] for r in runs]
        assert accounts[1:] == [f"{accounts[0]}-2", f"{accounts[0]}-3"]
        for run in runs:
            orders = store.list_orders(OWNER, deployment_id=run["test_account"])
            tests = {m["forward_test_deployment_id"] for m in run["members"]}
            assert orders and all({a.deployment_id for a in o.allocations} <= tests for o in orders)
            assert [m["final_value"] for m in run["members"]] == [
                m["final_value"] for m in runs[0]["members"]
            ]
