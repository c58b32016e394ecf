"""Retiring a paper deployment whose hedge holds options: the options are closed in cash at
their model price at the last close of the market data, in its paper options account and its
hedge ledger, before it is retired (real SQLite store, the paper options account over the
embedded closes; AAPL stands in for a hedge underlying)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from execution.deployment import DeploymentStateError
from execution.hedge import HedgeMarket, model_price
from execution.options import parse_occ
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from store import Store
from tests.support.hedged import hedged_deployment, hedged_spec
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.hedges import hedge_account
from trading.ledger import Ledger
from trading.lifecycle import move, retire

CLOSES = sp500_prices()
LAST_CLOSE = CLOSES.index[-1].date()  # 2022-12-28


def _model(symbol: str) -> float:
    day = LAST_CLOSE.isoformat()
    market = HedgeMarket(LAST_CLOSE, CLOSES["AAPL"].loc[:day])
    return model_price(parse_occ(symbol), market, ImpliedVolModel())


def test_retiring_a_paper_hedge_closes_its_options_at_the_last_model_price(
    store: Store,
) -> None:
    deployment, bought = hedged_deployment(store, "alice")  # a collar expiring after the data
    held = dict(bought.positions)
    assert sorted(held.values())[0] < 0 < sorted(held.values())[1]
    assert all(parse_occ(symbol).expiry > LAST_CLOSE for symbol in held)
    retired = retire(store, "alice", deployment.id, by="cli")
    assert retired.status == "retired"
    account = StoredPaperOptionsAccount(store, deployment, CLOSES[["AAPL"]])
    assert account.option_positions() == {}
    entries = store.ledger("alice", hedge_account(deployment))
    settled = {e.symbol: e for e in entries if e.note == "option close_out"}
    assert set(settled) == set(held)
    for symbol, contracts in held.items():
        entry = settled[symbol]
        assert entry.side == ("sell" if contracts > 0 else "buy")  # the long put sold, the call
        assert entry.quantity == abs(contracts)  # bought back
        assert entry.price == pytest.approx(_model(symbol), rel=1e-12)
        assert entry.time.date() == LAST_CLOSE
    assert Ledger(store, "alice", hedge_account(deployment)).book.contracts == {}
    # the account has ended: a second close-out settles nothing
    assert account.close_out(datetime.now(UTC)) == []


def test_a_paper_hedge_that_never_traded_retires_at_once(store: Store) -> None:
    draft = store.create_deployment("alice", "hedged", "draft", hedged_spec())
    active = store.update_deployment("alice", draft.id, expected_version=1, status="active")
    assert move(store, "alice", active.id, "paused", by="cli").status == "paused"
    assert move(store, "alice", active.id, "retired", by="cli").status == "retired"
    assert store.ledger("alice", hedge_account(active)) == []
    with pytest.raises(DeploymentStateError):  # once retired, it stays retired
        retire(store, "alice", active.id)
