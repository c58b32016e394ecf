"""A hedged deployment on Alpaca is refused at creation naming the account's options trading
level when it is below what the overlay's orders need (a put: 2; a put spread: 3), read from
the loopback Alpaca stand-in through alpaca-py; a collar (its sold call would be uncovered) and a
tenor of one session (closed before expiry the day it is bought) are refused at any level; each
refusal names `broker`. With the level enough the hedge is accepted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import SecretStr

from devtools.local_alpaca import LocalAlpaca
from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.paper import PaperBroker
from execution.brokers.paper_options import PaperOptionsBroker, PaperOptionsSettings
from execution.hedge import options_level_needed
from execution.rebalance import RuleStrategy
from quant.data import sp500_prices
from quant.strategy import StrategyConfig
from services.errors import InputError
from settings import AlpacaSettings, Settings
from tests.support.hedged import put_overlay_winner
from trading.hedges import check_hedge

PRICES = sp500_prices().loc["2021-01-04":]
SECRET = "alpaca-secret-for-hedge-level-tests"
PUT = StrategyConfig(overlay="put", overlay_strike=0.95, overlay_tenor_days=21)
COLLAR = PUT.model_copy(update={"overlay": "collar", "overlay_call_strike": 1.05})
SPREAD = PUT.model_copy(update={"overlay": "put_spread", "overlay_lower_strike": 0.85})
SYMBOLS = pd.Index(["AAPL", "KO"])


def _stand_in(level: int | None) -> LocalAlpaca:
    """An Alpaca account with an options account at `level` (None: no options account)."""
    paper = PaperBroker(PRICES)
    paper.deposit(100_000.0, datetime(2021, 5, 3, 14, 0, tzinfo=UTC))
    options = (
        None
        if level is None
        else PaperOptionsBroker(PRICES[["AAPL"]], PaperOptionsSettings(level=level))
    )
    stand_in = LocalAlpaca(paper, options=options, key_id="AKALICE", secret_key=SECRET).start()
    stand_in.advance(datetime(2021, 6, 1, 14, 0, tzinfo=UTC))
    return stand_in


@pytest.fixture
def level_2() -> Iterator[LocalAlpaca]:
    stand_in = _stand_in(2)
    yield stand_in
    stand_in.close()


def _check(config: StrategyConfig, stand_in: LocalAlpaca) -> dict[str, Any] | None:
    """`check_hedge` of an AAPL hedge for `config` on the stand-in's Alpaca account."""
    broker = AlpacaBroker("AKALICE", SecretStr(SECRET), url_override=stand_in.url)
    return check_hedge(
        RuleStrategy(config, ("AAPL", "KO")), {"underlying": "AAPL"}, SYMBOLS, "alpaca",
        broker.options_level,
    )  # fmt: skip


def _refusal(config: StrategyConfig, stand_in: LocalAlpaca) -> InputError:
    with pytest.raises(InputError) as refused:
        _check(config, stand_in)
    return refused.value


def test_the_level_an_overlay_needs() -> None:
    assert options_level_needed(StrategyConfig()) == 0
    assert options_level_needed(PUT) == 2
    assert options_level_needed(COLLAR) == options_level_needed(SPREAD) == 3


def test_a_level_below_the_overlay_s_is_refused_naming_both(level_2: LocalAlpaca) -> None:
    refused = _refusal(SPREAD, level_2)
    assert refused.field == "broker"
    assert str(refused) == (
        "broker: the strategy's put_spread overlay needs options trading level 3; the Alpaca "
        "account's options_trading_level is 2"
    )
    assert ("GET", "/v2/account") in level_2.requests
    # level 2 buys puts: the put's hedge is accepted, priced by the default model
    checked = _check(PUT, level_2)
    assert checked is not None and checked["underlying"] == "AAPL"


def test_a_collar_and_a_one_session_tenor_are_refused_on_alpaca_at_any_level() -> None:
    stand_in = _stand_in(3)
    try:
        collar = _refusal(COLLAR, stand_in)
        short = _refusal(PUT.model_copy(update={"overlay_tenor_days": 1}), stand_in)
        spread = _check(SPREAD, stand_in)
    finally:
        stand_in.close()
    assert collar.field == short.field == "broker"
    assert "collar sells calls the Alpaca account could not cover" in str(collar)
    assert "overlay_tenor_days (1) must exceed the sessions between the deployment's" in str(short)
    assert "fires (1) plus 1" in str(short)
    assert spread is not None  # level 3 opens put spreads


def test_an_account_without_options_is_refused_at_level_0() -> None:
    stand_in = _stand_in(None)
    try:
        refused = _refusal(PUT, stand_in)
    finally:
        stand_in.close()
    assert refused.field == "broker"
    assert "needs options trading level 2; the Alpaca account's options_trading_level is 0" in (
        str(refused)
    )


def test_creation_reads_the_owner_s_account_and_an_unreachable_one_names_broker(
    tmp_path: Path,
) -> None:
    from store.sqlite import SQLiteStore
    from trading.deployments import create_deployment

    store = SQLiteStore(tmp_path / "levels.sqlite")
    job_id = put_overlay_winner(store)
    stand_in = _stand_in(1)
    try:
        settings = Settings(
            data_dir=tmp_path,
            alpaca=AlpacaSettings(
                key_id="AKALICE", secret_key=SECRET, base_url=stand_in.url, owner="alice"
            ),
        )

        def create() -> None:
            create_deployment(
                store, "alice", name="hedged on Alpaca", source="optimization", confirm_below_benchmarks=True,
                source_id=job_id, capital=100_000, schedule={"every": "week", "at": "15:45"},
                hedge={"underlying": "AAPL"}, broker="alpaca", settings=settings,
            )  # fmt: skip

        with pytest.raises(InputError) as refused:
            create()
    finally:
        stand_in.close()
    assert refused.value.field == "broker"
    assert "put overlay needs options trading level 2" in str(refused.value)
    assert "options_trading_level is 1" in str(refused.value)
    # the account gone: the level cannot be read, and the refusal says why
    with pytest.raises(InputError) as unreachable:
        create()
    assert unreachable.value.field == "broker"
    assert "the Alpaca account cannot be used" in str(unreachable.value)
    assert store.list_deployments("alice") == []
