"""An equal-weight portfolio asked for ("build an equal weight portfolio of AAPL, MSFT and KO",
"give me an equal weight portfolio of the tech names", "equal weight AAPL MSFT KO") is said as
the portfolio it is (each stock's weight, that no optimizer chose them, its annualised return and
Sharpe ratio) before its risk. Before, the reply was the risk report alone ("At 95% confidence
the one-day VaR is ..."), with no weights, return or Sharpe ratio. The numbers are numpy's here:
daily rebalanced equal weights over the window the reply names, the mean daily return times 252
and that over the annualised volatility (risk-free rate 0)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED

RETURNS = to_returns(load_sp500_prices())
ASKS = ("build an equal weight portfolio of {s}", "give me an equal-weighted portfolio of {s}",
        "equal weight {s}", "I want an equal weight portfolio of {s} please")  # fmt: skip
HEAD = re.compile(
    r"Equal-weight portfolio: (?P<held>[^(]+) \(each stock the same weight; no optimizer\)\. "
    r"Annualised return (?P<ret>-?[\d.]+)%, Sharpe ratio (?P<sharpe>-?[\d.]+) \(risk-free rate 0%\)"
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    ask=st.sampled_from(ASKS),
    spaced=st.booleans(),
)
def test_an_equal_weight_portfolio_asked_for_is_said_with_its_weights_return_and_sharpe(
    offline_data_dir: Path, stocks: list[str], ask: str, spaced: bool
) -> None:
    listed = " ".join(stocks) if spaced else ", ".join(stocks[:-1]) + " and " + stocks[-1]
    session = ChatSession(f"equal-{uuid.uuid4().hex}", settings=Settings())
    reply = session.send(ask.format(s=listed)).replies[-1]
    head = HEAD.match(reply)
    assert head is not None, reply
    share = f"{1 / len(stocks):.1%}"
    assert head["held"] == ", ".join(f"{t} {share}" for t in stocks), reply
    start, end = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", reply).groups()  # type: ignore[union-attr]
    daily = RETURNS.loc[start:end, stocks].to_numpy().mean(axis=1)
    annual = 252 * daily.mean()
    sharpe = annual / (daily.std(ddof=1) * np.sqrt(252))
    assert abs(float(head["ret"]) - 100 * annual) <= 0.051, (head["ret"], annual)
    assert abs(float(head["sharpe"]) - sharpe) <= 0.0051, (head["sharpe"], sharpe)
