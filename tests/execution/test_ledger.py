"""The ledger's FIFO lots, P&L and time-weighted return against a plain reference: every share
is its own lot in a queue, and returns are compounded period by period by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execution.errors import LedgerError
from execution.ledger import Book, CashFlow, Fill, time_weighted_return

T0 = datetime(2024, 1, 2, 16, 0, tzinfo=UTC)


def _fill(i: int, symbol: str, side: str, quantity: float, price: float, fee: float = 0.0) -> Fill:
    return Fill(f"f{i}", f"o{i}", symbol, side, quantity, price, fee, T0 + timedelta(days=i))  # type: ignore[arg-type]


def _reference(trades: list[tuple[str, str, int, float, float]]) -> tuple[dict[str, float], float]:
    """Realised P&L per symbol and cash, one share at a time: each bought share carries its price
    plus its share of the buy's fee; a sell closes the oldest shares and spreads its fee."""
    queues: dict[str, list[float]] = {}
    realised: dict[str, float] = {}
    cash = 0.0
    for symbol, side, quantity, price, fee in trades:
        queue = queues.setdefault(symbol, [])
        if side == "buy":
            queue.extend([price + fee / quantity] * quantity)
            cash -= quantity * price + fee
        else:
            closed = [queue.pop(0) for _ in range(quantity)]
            realised[symbol] = realised.get(symbol, 0.0) + sum(
                price - fee / quantity - basis for basis in closed
            )
            cash += quantity * price - fee
    return realised, cash


@st.composite
def _trades(draw: st.DrawFn) -> list[tuple[str, str, int, float, float]]:
    held = {"AAA": 0, "BBB": 0}
    out = []
    for _ in range(draw(st.integers(1, 25))):
        symbol = draw(st.sampled_from(sorted(held)))
        sell = held[symbol] > 0 and draw(st.booleans())
        price = draw(st.floats(1.0, 500.0))
        fee = draw(st.floats(0.0, 5.0))
        if sell:
            quantity = draw(st.integers(1, held[symbol]))
            held[symbol] -= quantity
            out.append((symbol, "sell", quantity, price, fee))
        else:
            quantity = draw(st.integers(1, 40))
            held[symbol] += quantity
            out.append((symbol, "buy", quantity, price, fee))
    return out


@settings(max_examples=200, deadline=None)
@given(_trades())
def test_fifo_realised_pnl_and_cash_match_a_share_by_share_reference(
    trades: list[tuple[str, str, int, float, float]],
) -> None:
    fills = [_fill(i, s, side, q, p, f) for i, (s, side, q, p, f) in enumerate(trades)]
    book = Book.replay(fills)
    realised, cash = _reference(trades)
    positions = book.positions()
    for symbol, value in realised.items():
        assert positions[symbol].realised_pnl == pytest.approx(value, rel=1e-9, abs=1e-6)
    assert book.cash == pytest.approx(cash, rel=1e-9, abs=1e-6)
    held = {
        s: sum(q if side == "buy" else -q for s2, side, q, _, _ in trades if s2 == s)
        for s in positions
    }
    assert {s: p.quantity for s, p in positions.items()} == pytest.approx(held)


def test_a_worked_example_with_fees_and_unrealised_pnl() -> None:
    fills = [
        _fill(0, "KO", "buy", 10, 50.0, fee=1.0),  # lot 1: basis 501, 50.1 a share
        _fill(1, "KO", "buy", 10, 60.0, fee=1.0),  # lot 2: basis 601, 60.1 a share
        _fill(2, "KO", "sell", 15, 70.0, fee=1.5),  # closes lot 1 and 5 of lot 2
    ]
    book = Book.replay([CashFlow("c0", 2_000.0, T0 - timedelta(days=1)), *fills])
    (ko,) = book.positions().values()
    assert ko.realised_pnl == pytest.approx(15 * 70 - 1.5 - (501 + 5 * 60.1))
    assert ko.quantity == 5 and ko.cost_basis == pytest.approx(5 * 60.1)
    assert book.cash == pytest.approx(2_000 - 501 - 601 + 15 * 70 - 1.5)
    assert book.unrealised_pnl({"KO": 65.0}) == pytest.approx(5 * 65 - 5 * 60.1)
    assert book.market_value({"KO": 65.0}) == pytest.approx(book.cash + 5 * 65)
    assert book.fees == pytest.approx(3.5)


def test_a_sell_of_more_than_is_held_is_refused_and_bad_fills_are_named() -> None:
    with pytest.raises(LedgerError, match="sells 11 KO but 10 are held"):
        Book.replay([_fill(0, "KO", "buy", 10, 50.0), _fill(1, "KO", "sell", 11, 55.0)])
    with pytest.raises(LedgerError, match="f3: price must be positive"):
        _fill(3, "KO", "buy", 1, float("nan"))
    with pytest.raises(LedgerError, match="no price for held symbols: KO"):
        Book.replay([_fill(0, "KO", "buy", 1, 50.0)]).market_value({})


def test_time_weighted_return_ignores_deposits_and_withdrawals() -> None:
    # +10% then -5% then +2%, with a deposit before period 1 and a withdrawal before period 2
    values, flows = [], [1_000.0, 500.0, -300.0]
    start = 0.0
    for flow, r in zip(flows, [0.10, -0.05, 0.02], strict=True):
        start = (start + flow) * (1 + r)
        values.append(start)
    expected = 1.10 * 0.95 * 1.02 - 1
    assert time_weighted_return(values, flows) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(LedgerError, match="period 1 starts with 0"):
        time_weighted_return([1_000.0, 0.0], [1_000.0, -1_000.0])
