"""Which names had the best risk-adjusted return ("which of AAPL, MSFT and KO had the best
risk-adjusted returns since 2018?") is a ranking of those names by Sharpe ratio, not a max-Sharpe
portfolio built of them (it was built); a portfolio asked for with the best risk-adjusted return
is still the max-Sharpe build. The order is checked against pandas on the embedded prices."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

RETURNS = load_sp500_prices().pct_change()
VERBS = ("had", "delivered", "has", "showed", "got")


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    verb=st.sampled_from(VERBS),
    year=st.integers(min_value=2005, max_value=2020),
    hyphen=st.sampled_from(("-", " ")),
    plural=st.sampled_from(("", "s")),
)
def test_the_best_risk_adjusted_return_of_names_ranks_them_by_sharpe(
    stocks: list[str], verb: str, year: int, hyphen: str, plural: str
) -> None:
    names = ", ".join(stocks[:-1]) + f" and {stocks[-1]}"
    reply = answer_in_new_thread(
        f"which of {names} {verb} the best risk{hyphen}adjusted return{plural} since {year}?"
    )
    assert "pf_" not in reply and "By total return" not in reply, reply  # no build, no return
    ranked = re.search(r"By Sharpe ratio \(risk-free rate 0%\), highest first: ([^(]+) \(", reply)
    assert ranked is not None, reply
    order = [item.split()[0] for item in ranked[1].split(", ")]
    held = RETURNS.loc[f"{year}-01-01" : "2022-12-28", stocks]
    sharpe = held.mean() / held.std(ddof=1) * np.sqrt(252)
    assert order == list(sharpe.sort_values(ascending=False, kind="stable").index), (order, sharpe)


def test_a_portfolio_with_the_best_risk_adjusted_return_is_still_built() -> None:
    reply = answer_in_new_thread(
        "give me a portfolio of AAPL, MSFT and KO with the best risk adjusted return"
    )
    assert reply.startswith("Max-Sharpe portfolio (pf_"), reply
