"""Questions about each of several names are answered name by name. A drawdown asked of each
name ("the max drawdown of each energy stock since 2018", "of AAPL, MSFT and JNJ individually")
is each name's own, with its dates; it was the drawdown of an equal-weight portfolio, or "Which
portfolio?". A drawdown of names only listed, or of a portfolio ("of an equal weight portfolio
of ...", "... together") is still the portfolio's (the eval cases `drawdown-jnj-pg-pep` and
`ask-lower-drawdown-since`). "How did the banks do in 2022 compared with the
market?" is each bank's return beside the index's; it was a backtest of a 10% target-volatility
strategy nobody asked for. Values are checked against numpy on the same window."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread

RETURNS = to_returns(load_sp500_prices())
SUBJECTS = {
    "AAPL, MSFT and JNJ individually": ["AAPL", "MSFT", "JNJ"],
    "each of KO and PEP": ["KO", "PEP"],
    "each energy stock": sector_tickers(["energy"]),
    "each of the banks": sector_tickers(["banks"]),
    "every staples name": sector_tickers(["staples"]),
}
ASKS = (
    "what is the max drawdown of {s} since {y}?",
    "What's the maximum drawdown of {s} since {y}",
    "max drawdown for {s} since {y}",
)
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _max_drawdown(returns: pd.Series) -> float:
    """The deepest fall of the wealth path from a running peak, the window's start counted."""
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + returns.to_numpy())])
    return float(np.max(1.0 - wealth / np.maximum.accumulate(wealth)))


@SETTINGS
@given(
    ask=st.sampled_from(ASKS),
    subject=st.sampled_from(sorted(SUBJECTS)),
    year=st.integers(2016, 2021),
)
def test_a_drawdown_of_several_names_is_each_names_own(
    offline_data_dir: Path, ask: str, subject: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(s=subject, y=year))
    assert "portfolio (pf_" not in reply and "equal weights" not in reply, reply
    window = RETURNS.loc[f"{year}-01-01" :]
    for name in SUBJECTS[subject]:
        said = re.search(rf"\b{name}: maximum drawdown (\d+\.\d+)% from its peak on ", reply)
        assert said is not None, (name, reply)
        assert abs(float(said.group(1)) / 100 - _max_drawdown(window[name])) <= 0.0001, reply


def test_a_drawdown_of_a_portfolio_of_names_is_the_portfolios(offline_data_dir: Path) -> None:
    for text in (
        "max drawdown of an equal weight portfolio of AAPL, MSFT and JNJ",
        "drawdown of AAPL and KO together",
        "what's the max drawdown of AAPL, MSFT and JNJ?",
    ):
        reply = answer_in_new_thread(text)
        assert "equal weights" in reply and "maximum drawdown was" in reply, reply
        assert not re.search(r"\b[A-Z]+: maximum drawdown", reply), reply


PERFORMED = (
    "how did {s} do in {y} compared with the market?",
    "How did {s} perform in {y}?",
    "how did {s} do in {y} vs the S&P",
)
GROUPS = {"the banks": "banks", "the energy stocks": "energy", "the staples": "staples"}


@SETTINGS
@given(
    ask=st.sampled_from(PERFORMED),
    subject=st.sampled_from(sorted(GROUPS)),
    year=st.integers(2016, 2022),
)
def test_how_a_sector_did_is_each_names_return_beside_the_index(
    offline_data_dir: Path, ask: str, subject: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(s=subject, y=year))
    assert "target-vol" not in reply and "Backtest" not in reply, reply
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    for name in sector_tickers([GROUPS[subject]]):
        said = re.search(rf"\b{name}: a total return of (-?\d+\.\d)%", reply)
        assert said is not None, (name, reply)
        total = float(np.prod(1.0 + window[name].to_numpy()) - 1.0)
        assert abs(float(said.group(1)) / 100 - total) <= 0.0006, (name, reply)
    assert "The S&P 500 index: a total return of" in reply, reply
