"""A question choosing between the stocks the conversation worked on, naming none ("which is
riskier?", "which is more volatile?", "compare them since 2010"), is asked of those stocks: of
the conversation's subject when it holds several, or of the single stocks of its latest turns
("what is AAPL's beta?" then "and MSFT?"). Before, "which is riskier?" after the volatility of
AAPL and MSFT asked what to do, and "which is more volatile?" after "and MSFT?" gave MSFT's
volatility alone. The ranking is checked against the closing prices."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings

PRICES = load_sp500_prices()
TICKERS = sorted(PRICES.columns)
FIRST = ("what is {t}'s beta?", "how volatile is {t}?", "what's the sharpe of {t}?")
NEXT = ("and {t}?", "what about {t}?", "and {t}")
WHICH = ("which is more volatile?", "which one is more volatile?", "so which is more volatile?",
         "which of them is more volatile?")  # fmt: skip


def _volatility(ticker: str, start: str, end: str) -> float:
    """Annualised volatility of daily simple returns (ddof 1) over the sessions start..end."""
    prices = PRICES[ticker].dropna()
    returns = prices.pct_change().loc[start:end].dropna()
    return float(np.std(returns.to_numpy(), ddof=1) * np.sqrt(252))


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(TICKERS), min_size=2, max_size=3, unique=True),
    first=st.sampled_from(FIRST),
    following=st.sampled_from(NEXT),
    which=st.sampled_from(WHICH),
)
def test_which_after_single_stocks_asks_of_all_of_them(
    stocks: list[str], first: str, following: str, which: str
) -> None:
    session = ChatSession(f"which-{uuid.uuid4().hex}", settings=Settings())
    session.send(first.format(t=stocks[0]))
    for ticker in stocks[1:]:
        session.send(following.format(t=ticker))
    reply = session.send(which).replies[-1]
    assert f"Used: {', '.join(sorted(stocks))}; " in reply, reply
    window = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", reply)
    assert window is not None, reply
    ranked = re.search(r"By volatility, highest first: ([^(]+)\(", reply)
    assert ranked is not None, reply
    said = re.findall(r"([A-Z.]+) \d+\.\d%", ranked[1])
    expected = sorted(stocks, key=lambda t: -_volatility(t, window[1], window[2]))
    assert said == expected, (said, expected, reply)


def test_which_and_them_after_several_stocks_and_what_keeps_its_own_reading() -> None:
    session = ChatSession(f"which-{uuid.uuid4().hex}", settings=Settings())
    session.send("what's the volatility of AAPL and MSFT?")
    riskier = session.send("which is riskier?").replies[-1]
    assert "AAPL was the riskier of the two on both measures" in riskier, riskier
    compared = session.send("compare them since 2010").replies[-1]
    assert "Used: AAPL, MSFT; 2010-01-04 to 2022-12-28" in compared, compared
    session.send("what's the volatility of XOM?")
    calmer = session.send("which stocks were calmer than it?").replies[-1]
    assert "Safer than XOM on both measures" in calmer, calmer  # every stock, not AAPL and MSFT
