"""The turnover of weights held at a cadence, asked in the chat ("what's the turnover if I
rebalance monthly?" after a build, which drafted a strategy search; "backtest 60% AAPL 40% KO
rebalanced quarterly since 2015"): a backtest of those weights at that cadence, whose reply gives
the weight traded a year at the rebalances after the first purchase, checked against a plain day
loop over units held, written here, on the embedded prices."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()
PERIOD = {"monthly": "M", "quarterly": "Q"}


def _turnover(weights: dict[str, float], first_year: int, cadence: str, last: str | None) -> float:
    """Weight traded a year at the rebalances after the purchase: the weights bought at the close
    before `first_year`'s first session, traded back to at the first session of each new month
    or quarter (not the session after the purchase, nor the last), summed |target - drifted|."""
    closes = CLOSES[list(weights)]
    start = int(closes.index.searchsorted(pd.Timestamp(f"{first_year}-01-01")))
    held = closes.iloc[start - 1 :] if last is None else closes.iloc[start - 1 :].loc[:last]
    target = np.array(list(weights.values()))
    units = target / held.iloc[0].to_numpy()
    cash = 1.0 - target.sum()
    periods = held.index.to_period(PERIOD[cadence])
    traded = 0.0
    for row in range(1, len(held) - 1):
        if row > 1 and periods[row] != periods[row - 1]:
            values = units * held.iloc[row].to_numpy()
            wealth = values.sum() + cash
            traded += float(np.abs(target - values / wealth).sum())
            units, cash = target * wealth / held.iloc[row].to_numpy(), wealth * (1 - target.sum())
    return traded / ((len(held) - 1) / 252)


def _said_turnover(reply: str) -> float:
    said = re.search(r"turnover (\d+(?:\.\d+)?)% a year", reply)
    assert said is not None, reply
    return float(said[1]) / 100


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.integers(min_value=2, max_value=8),
    cadence=st.sampled_from(tuple(PERIOD)),
    year=st.integers(min_value=2006, max_value=2020),
)
def test_weights_backtested_at_a_cadence_say_their_turnover(
    stocks: list[str], share: int, cadence: str, year: int
) -> None:
    weights = {stocks[0]: share / 10, stocks[1]: 1 - share / 10}
    reply = answer_in_new_thread(
        f"backtest {share * 10}% {stocks[0]} {100 - share * 10}% {stocks[1]} rebalanced "
        f"{cadence} since {year}"
    )
    assert f"rebalanced {cadence}" in reply and f"from {year}-01-0" in reply, reply
    assert abs(_said_turnover(reply) - _turnover(weights, year, cadence, None)) <= 0.0005


def test_the_turnover_asked_after_a_build_is_that_of_the_built_weights_at_the_cadence() -> None:
    session = ChatSession(f"turnover-{uuid.uuid4().hex}", settings=Settings())
    built = session.send("build a min variance portfolio of AAPL, KO and XOM").replies[-1]
    portfolio = re.search(r"\((pf_[0-9a-f]+)\)", built)
    assert portfolio is not None, built
    turn = session.send("what's the turnover if I rebalance monthly?")
    assert turn.pending is None, turn.pending  # no strategy search drafted
    reply = turn.replies[-1]
    assert "rebalanced monthly" in reply and "from 2018-01-02 to 2022-12-28" in reply, reply
    assert f"portfolio {portfolio[1]}" in reply.split("Used:", 1)[1]
    held = reply.split("Backtest of", 1)[1].split(", rebalanced", 1)[0]  # "KO 74.7%, AAPL ..."
    shown = dict(re.findall(r"([A-Z]{2,5}) (\d+\.\d)%", held))
    weights = {name: float(value) / 100 for name, value in shown.items()}
    assert set(weights) == {"AAPL", "KO", "XOM"}
    # the weights as the reply rounds them (0.1%): the turnover within a tenth of a point
    assert abs(_said_turnover(reply) - _turnover(weights, 2018, "monthly", None)) <= 0.001
