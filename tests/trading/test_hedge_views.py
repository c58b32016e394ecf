"""The hedge views value an option its ledger still holds after its expiry at what it settles
for (its intrinsic value at the expiry session's close, as the paper account books it), not at
a later close: the view before the account books the settlement and the view after it agree to
the cent. Every view names what priced the options: the paper broker's realised volatility, or
on Alpaca the implied volatility the history recorded at most `iv_max_age_days` before each
close (read once, the same as the store's own look-up close by close)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from execution.options import parse_occ
from quant.data import sp500_prices
from quant.options import ImpliedVolModel
from settings import Settings
from store import IVRecord, Store
from tests.support.hedged import hedged_deployment, hedged_spec
from trading.accounts.paper import StoredPaperOptionsAccount
from trading.deployment_views import hedge_report
from trading.hedge_pricing import hedge_vol_model
from trading.hedge_values import view_pricing
from trading.hedges import hedge_account
from trading.ledger import Ledger
from trading.queue import sync

PRICES = sp500_prices()
BOUGHT = datetime(2022, 6, 1, 21, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_an_option_held_past_its_expiry_is_worth_its_settlement_not_the_last_close(
    store: Store,
) -> None:
    deployment, bought = hedged_deployment(store, "alice", fire=BOUGHT)
    held = dict(bought.positions or {})
    assert held and all(parse_occ(s).expiry < date(2022, 12, 1) for s in held)
    before = hedge_report(store, deployment, LATER, PRICES)
    assert before["priced_on"] == PRICES.index[-1].date().isoformat()  # after every expiry
    aapl = PRICES["AAPL"]
    for mark in before["marks"]:
        contract = parse_occ(mark["symbol"])
        at_expiry = float(aapl.loc[: pd.Timestamp(contract.expiry)].iloc[-1])
        assert mark["price"] == contract.intrinsic(at_expiry)
        settlement = mark["settlement"]
        assert settlement["amount"] == pytest.approx(mark["market_value"])
        expected = (
            "expiry"
            if mark["price"] == 0
            else "exercise"
            if mark["contracts"] > 0
            else "assignment"
        )
        assert settlement["event"] == expected
        assert contract.expiry.isoformat() in settlement["words"]
    # not what the legs would be worth at the data's last close (AAPL fell after the expiry)
    at_last = sum(
        m["contracts"] * 100 * parse_occ(m["symbol"]).intrinsic(float(aapl.iloc[-1]))
        for m in before["marks"]
    )
    assert abs(before["market_value"] - at_last) > 1_000
    # the account moves past the expiry and books the settlements: the hedge is worth the same
    account = StoredPaperOptionsAccount(store, deployment, PRICES[["AAPL"]])
    account.advance(datetime(2022, 12, 28, 22, tzinfo=UTC))
    book = hedge_account(deployment)
    sync(store, "alice", book, account, Ledger(store, "alice", book))
    after = hedge_report(store, deployment, LATER, PRICES)
    assert after["positions"] == {} and after["marks"] == []
    assert after["pnl"] == pytest.approx(before["pnl"], abs=1e-9)
    assert after["settlements"] - before["settlements"] == pytest.approx(
        sum(m["market_value"] for m in before["marks"]), abs=1e-9
    )


def test_every_hedge_view_names_the_paper_broker_s_realised_volatility(store: Store) -> None:
    deployment, _ = hedged_deployment(store, "alice")
    report = hedge_report(store, deployment, LATER, PRICES)
    assert report["volatility"]["source"] == "realised"
    assert report["volatility"]["words"] == (
        "the paper broker has no option quotes: priced on realised volatility"
    )
    assert all(mark["settlement"] is None for mark in report["marks"])  # still open


def _record(store: Store, owner: str, day: date, level: float) -> None:
    expiry, recorded_at = day + timedelta(days=30), datetime(2022, 1, 1, tzinfo=UTC)
    store.record_iv(IVRecord(owner, "AAPL", day, level, expiry, 150.0, "alpaca", recorded_at))


def test_an_alpaca_hedge_is_priced_at_the_recorded_level_as_its_account_does(
    store: Store,
) -> None:
    spec = {**hedged_spec(), "broker": "alpaca"}
    deployment = store.create_deployment("alice", "alpaca hedge", "draft", spec)
    recorded = {date(2022, 3, 1): 0.31, date(2022, 3, 2): 0.29, date(2022, 3, 10): 0.35}
    for day, level in recorded.items():
        _record(store, "alice", day, level)
    _record(store, "bob", date(2022, 3, 4), 0.9)  # another owner's record is never read
    settings = Settings()
    max_age = settings.trading_day.iv_max_age_days
    days = [date(2022, 2, 28) + timedelta(days=n) for n in range(20)]
    sources = view_pricing(store, deployment, days, settings)
    model = ImpliedVolModel.model_validate(spec["hedge"]["vol_model"])
    for day, source in zip(days, sources, strict=True):
        one = hedge_vol_model(store, "alice", "AAPL", day, model, max_age_days=max_age)
        assert source == one, day
    assert {s.source for s in sources} == {"observed", "realised"}
    assert all(s.atm_volatility != 0.9 for s in sources)
    assert "no implied volatility of AAPL was recorded" in sources[0].reason
    paper = store.create_deployment("alice", "paper hedge", "draft", hedged_spec())
    assert {s.source for s in view_pricing(store, paper, days, settings)} == {"realised"}
