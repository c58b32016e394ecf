"""A maximum drawdown named beside another statistic ("what's the beta and max drawdown of KO
since 2015?", "skew and max drawdown of XOM in 2020") is given with it, each stock's deepest fall
with its peak and trough; before, the drawdown was left out (or the other statistic, the risk
report answering instead) and neither was said. The depth and dates are checked against a plain
loop over the embedded closes."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread
from tests.support.drawdowns import deepest_fall

RETURNS = to_returns(load_sp500_prices())
BESIDE = {
    "sortino ratio": "Sortino ratio ",
    "beta": "beta ",
    "skew": "skewness ",
    "sharpe ratio": "Sharpe ratio ",
    "worst month": "worst month ",
}
"""Another statistic asked, and how the reply names it (beside the volatility, a drawdown is the
risk report's, which leads with it: `test_drawdown_asked_first`)."""
ASKS = (
    "what's the {m} and max drawdown of {s}{y}?",
    "{m} and drawdown of {s}{y}",
    "what was the max drawdown and the {m} of {s}{y}?",
)


def _deepest(ticker: str, year: int | None) -> tuple[float, str]:
    """The stock's deepest fall over the window asked (percent) and the day of its trough."""
    window = slice(f"{year}-01-01", f"{year}-12-31") if year else slice("2018-01-01", None)
    returns = RETURNS.loc[window, ticker]
    wealth = (1 + returns).cumprod()
    falls = 1 - wealth / wealth.cummax().clip(lower=1.0)
    return 100 * deepest_fall(wealth), str(falls.idxmax().date())


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ask=st.sampled_from(ASKS),
    measure=st.sampled_from(sorted(BESIDE)),
    tickers=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    year=st.none() | st.integers(2008, 2022),
)
@example(ask=ASKS[0], measure="beta", tickers=["KO"], year=None)
@example(ask=ASKS[1], measure="skew", tickers=["XOM"], year=2020)
def test_a_drawdown_named_beside_another_statistic_is_given_with_it(
    offline_data_dir: Path, ask: str, measure: str, tickers: list[str], year: int | None
) -> None:
    text = ask.format(m=measure, s=" and ".join(tickers), y=f" in {year}" if year else "")
    reply = answer_in_new_thread(text)
    for ticker in tickers:
        line = re.search(rf"\b{ticker}: ([^\n]*?)(?:\. [A-Z]|\.$|\.\n)", reply)
        assert line is not None, (text, reply)
        assert BESIDE[measure] in line.group(1), (text, reply)
        said = re.search(
            r"maximum drawdown (\d+\.\d+)% from its peak on \S+ to its trough on (\S+),",
            line.group(1),
        )
        depth, trough = _deepest(ticker, year)
        assert said is not None, (text, reply)
        assert abs(float(said.group(1)) - depth) <= 0.0051 and said.group(2) == trough, (
            ticker, depth, trough, text, reply,
        )  # fmt: skip
    assert "VaR" not in reply and "Not used" not in reply, (text, reply)
