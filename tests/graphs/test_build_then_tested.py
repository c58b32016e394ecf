"""A build asked with how it is held or what to test it on ("build a portfolio of AAPL and KO
rebalanced monthly since 2019", "... since 2019 and backtest it", "... and stress test it in the
2020 crash") builds the portfolio the message asks (the default method when it names none) and
answers about *that* portfolio: the build first, then its backtest at the cadence and costs
said, over the window it was built on (before: the cadence was silently dropped, or the
universe was backtested at equal weights); and given weights asked how they "would have done"
are backtested as given (before: a volatility-targeting strategy on equal weights, the weights
said unused). The backtest's total return is checked against a plain day loop over units held,
written here, on the embedded prices."""

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
from tests.support.chat_answers import (
    STOCKS_ASKED,
    answer_in_new_thread,
    built_portfolio,
    tool_args,
)

CLOSES = load_sp500_prices()
PERIOD = {"monthly": "M", "quarterly": "Q"}
BUILDS_HELD = (
    "build a portfolio of {names} rebalanced {cadence} since {year}",
    "build a portfolio of {names} since {year} and backtest it rebalanced {cadence}",
    "create a portfolio of {names} since {year}, rebalanced {cadence}",
    "make me a portfolio of {names} rebalanced {cadence}{costs} since {year}",
)


def _total_return(weights: dict[str, float], first_year: int, cadence: str) -> float:
    """Total return of `weights` bought at the close before `first_year`'s first session and
    traded back to at the first session of each new month or quarter (not the session after
    the purchase, nor the last), with no costs, to the data's last close (the weights scaled to
    sum to 1)."""
    closes = CLOSES[list(weights)]
    start = int(closes.index.searchsorted(pd.Timestamp(f"{first_year}-01-01")))
    held = closes.iloc[start - 1 :]
    target = np.array(list(weights.values()))
    target = target / target.sum()  # a reply's weights, rounded, may sum to 100.1%
    units = target / held.iloc[0].to_numpy()
    periods = held.index.to_period(PERIOD[cadence])
    for row in range(1, len(held) - 1):
        if row > 1 and periods[row] != periods[row - 1]:
            wealth = float((units * held.iloc[row].to_numpy()).sum())
            units = target * wealth / held.iloc[row].to_numpy()
    return float((units * held.iloc[-1].to_numpy()).sum()) - 1.0


def _said(pattern: str, reply: str) -> re.Match[str]:
    found = re.search(pattern, reply)
    assert found is not None, (pattern, reply)
    return found


def _total_said(reply: str) -> float:
    """The total return a backtest's reply gives ("total return 1,454.5%"), as a fraction."""
    return float(_said(r"total return (-?[\d,]+\.\d)%", reply)[1].replace(",", "")) / 100


def _shown_weights(text: str) -> dict[str, float]:
    """The weights a reply lists ("KO 69.4%, AAPL 30.6%"), as fractions."""
    return {
        name: float(value) / 100 for name, value in re.findall(r"([A-Z]{2,5}) (\d+\.\d)%", text)
    }


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    template=st.sampled_from(BUILDS_HELD),
    cadence=st.sampled_from(tuple(PERIOD)),
    year=st.integers(min_value=2008, max_value=2019),
    costs=st.sampled_from((0, 10, 25)),
)
def test_a_build_said_with_how_it_is_held_is_built_then_backtested_so(
    stocks: list[str], template: str, cadence: str, year: int, costs: int
) -> None:
    names = " and ".join([", ".join(stocks[:-1]), stocks[-1]])
    said_costs = f" with {costs} bps costs" if costs and "{costs}" in template else ""
    text = template.format(names=names, cadence=cadence, year=year, costs=said_costs)
    session = ChatSession(f"held-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(text)
    assert turn.pending is None, turn.pending
    reply = turn.replies[-1]
    built = tool_args(session, "optimize_portfolio")
    tested = tool_args(session, "backtest_weights")
    assert len(built) == 1 and built[0]["method"] == "hrp", built  # the default method
    assert len(tested) == 1, tested
    assert reply.startswith("HRP portfolio (pf_"), reply
    portfolio, weights = built_portfolio(reply)
    assert tested[0]["portfolio_id"] == portfolio  # the portfolio built, not equal weights
    assert tested[0]["rebalance"] == cadence and tested[0].get("cost_bps", 0) == (
        costs if said_costs else 0
    )
    # over the window it was built on, and the portfolio a build asked alone in a new thread is
    assert built[0]["start"] == tested[0]["start"] == f"{year}-01-01"
    alone = answer_in_new_thread(f"build a portfolio of {names} since {year}")
    assert built_portfolio(alone)[1] == weights
    how = f"{costs} bps costs" if said_costs else "no trading costs"
    _said(rf"Backtest of [^:]*, rebalanced {cadence} with {how}", reply)
    _said(rf"from {year}-01-0\d to 2022-12-28", reply)
    if not said_costs:
        total = _total_said(reply)
        # the weights as the reply rounds them (0.1%): the wealth within 0.2%
        assert abs(total - _total_return(weights, year, cadence)) <= 0.002 * (1 + total), weights


@settings(max_examples=4, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.integers(min_value=1, max_value=9),
    year=st.integers(min_value=2006, max_value=2020),
    verb=st.sampled_from(("done", "performed", "fared")),
)
def test_given_weights_asked_how_they_would_have_done_are_backtested_as_given(
    stocks: list[str], share: int, year: int, verb: str
) -> None:
    weights = {stocks[0]: share / 10, stocks[1]: 1 - share / 10}
    reply = answer_in_new_thread(
        f"how would {share * 10}% {stocks[0]} and {100 - share * 10}% {stocks[1]} have {verb} "
        f"since {year}?"
    )
    assert "target" not in reply and "Not used" not in reply, reply  # no strategy, weights used
    shown = _said(r"^Backtest of ([^:]*?), rebalanced monthly with no trading costs", reply)
    assert _shown_weights(shown[1]) == {t: round(w, 3) for t, w in weights.items()}
    total = _total_said(reply)  # to a tenth of a percent, or four significant digits
    assert abs(total - _total_return(weights, year, "monthly")) <= 0.0005 * (1 + abs(total))


def test_a_build_asked_with_a_stress_test_is_stressed_as_built() -> None:
    session = ChatSession(f"stressed-{uuid.uuid4().hex}", settings=Settings())
    reply = session.send(
        "build me a portfolio of AAPL, MSFT and JNJ since 2018 and stress test it in the 2020 crash"
    ).replies[-1]
    portfolio = _said(r"^HRP portfolio \((pf_[0-9a-f]+)\)", reply)[1]
    stressed = tool_args(session, "stress_test")
    assert [a.get("portfolio_id") for a in stressed] == [portfolio], stressed
    assert f"Stress test of portfolio {portfolio}" in reply and "Covid crash" in reply, reply
