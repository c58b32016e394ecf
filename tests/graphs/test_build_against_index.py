"""A portfolio asked for against the S&P 500 index ("give me a portfolio that beats the S&P",
"build a portfolio with less risk than the market", "... and compare it to the S&P") is built
and then set against the index over the window it was estimated on: total return, volatility and
maximum drawdown of both, whether it beat the index's return with less risk, and that this is
in-sample (before: "give me a portfolio that beats the S&P" ranked the stocks by return, and a
build "with less risk than the S&P" never said how its risk compared)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quant.data import sp500_index_returns
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

ASKS = ("give me a {m}portfolio", "build me a {m}portfolio", "I want a {m}portfolio",
        "find me a {m}portfolio", "build a {m}portfolio")  # fmt: skip
AGAINST = ("that beats the S&P", "with less risk than the S&P", "that outperforms the market",
           "and compare it to the S&P 500", "with lower volatility than the index",
           "that beats the S&P with less risk", "and compare its risk to the market")  # fmt: skip
COMPARED = re.compile(
    r"Held at these weights \(rebalanced monthly\) from (\S+) to (\S+), against the S&P 500 "
    r"index over the same days: total return (\S+)% against (\S+)%, volatility (\S+)% against "
    r"(\S+)%, maximum drawdown (\S+)% against (\S+)%\. (It [^.]+\.) In-sample: the weights were "
    r"estimated on this window"
)


def _verdict(total: float, index_total: float, vol: float, index_vol: float) -> str:
    """The verdict as the reply must give it (a plain re-statement of the rule)."""
    beat, calmer = total > index_total, vol < index_vol
    if beat:
        return "It beat the index's return with " + (
            "less risk (lower volatility)." if calmer else "more risk (higher volatility)."
        )
    if calmer:
        return "It did not beat the index's return; it had less risk (lower volatility)."
    return "It neither beat the index's return nor had less risk (lower volatility)."


@settings(max_examples=8, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    method=st.sampled_from(("", "HRP ", "min vol ", "max sharpe ", "risk parity ")),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=0, max_size=4, unique=True),
    against=st.sampled_from(AGAINST),
    since=st.sampled_from(("", " since 2015", " since 2019")),
)
@example(ask="give me a {m}portfolio", method="", stocks=[], against="that beats the S&P", since="")
@example(ask="build me a {m}portfolio", method="max sharpe ", stocks=[],
         against="and compare it to the S&P 500", since="")  # fmt: skip
def test_a_portfolio_asked_against_the_index_is_built_and_set_against_it(
    ask: str, method: str, stocks: list[str], against: str, since: str
) -> None:
    of = f" of {', '.join(stocks)}" if len(stocks) > 1 else ""
    reply = answer_in_new_thread(f"{ask.format(m=method)}{of} {against}{since}")
    assert re.match(r"^\S+ portfolio \(pf_", reply), reply
    compared = COMPARED.search(reply)
    assert compared is not None, reply
    start, end = compared[1], compared[2]
    estimated = re.search(r"estimated from (\S+) to (\S+) \(", reply)
    assert estimated is not None and (estimated[1], estimated[2]) == (start, end), reply
    index = sp500_index_returns().loc[start:end]
    # the index's own return over those days (the tool keeps 4 significant digits, then 0.1%)
    assert float(compared[4]) == pytest.approx(100 * ((1 + index).prod() - 1), abs=0.06), reply
    total, index_total, vol, index_vol = (float(compared[i]) for i in (3, 4, 5, 6))
    assert compared[9] == _verdict(total, index_total, vol, index_vol), reply


def test_which_stocks_beat_the_index_is_still_a_ranking_and_a_plain_build_is_not_compared() -> None:
    ranking = answer_in_new_thread("which stocks beat the S&P since 2020?")
    assert "A higher total return than the S&P 500 index" in ranking
    assert "Held at these weights" not in ranking
    build = answer_in_new_thread("build me a min vol portfolio of KO, PEP and JNJ")
    assert build.startswith("Min-volatility portfolio") and "S&P 500" not in build


INDEX_LINE = re.compile(
    r"The S&P 500 index over the same days: return (-?\S+)% a year, volatility (\S+)%, Sharpe "
    r"ratio (-?\S+) \(risk-free rate 0%\), maximum drawdown (\S+)%\. A higher return than the "
    r"index: ([^;]+); a lower volatility: ([^;]+); a shallower maximum drawdown: ([^.]+)\."
)
ROW = re.compile(
    r"(\S+) \(pf_\w+\): return (-?\S+)% a year, volatility (\S+)%, Sharpe ratio \S+ \(risk-free "
    r"rate 0%\), maximum drawdown (\S+)%"
)


def _named(said: str) -> set[str]:
    return set() if said == "none" else set(re.split(r", | and ", said))


@settings(max_examples=6, deadline=None)
@given(
    methods=st.lists(st.sampled_from(("min vol", "HRP", "risk parity", "max sharpe")),
                     min_size=2, max_size=3, unique=True),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=0, max_size=4, unique=True),
    against=st.sampled_from(("and compare them to the S&P", "against the market",
                             "compared with the S&P 500")),
    since=st.sampled_from(("", " since 2015")),
)  # fmt: skip
@example(methods=["min vol", "risk parity"], stocks=[], against="and compare them to the S&P",
         since="")  # fmt: skip
def test_portfolios_of_several_methods_compared_to_the_index_have_its_line_beside_them(
    methods: list[str], stocks: list[str], against: str, since: str
) -> None:
    """ "build a min vol and a risk parity portfolio and compare them to the S&P": the index over
    the comparison's sessions (return a year as mean x 252, volatility, Sharpe ratio, maximum
    drawdown, checked against the index series) and which portfolios did better on each (before:
    the portfolios only, no index)."""
    of = f" of {', '.join(stocks)}" if len(stocks) > 1 else ""
    reply = answer_in_new_thread(
        f"build a {' and a '.join(methods)} portfolio{of} {against}{since}"
    )
    window = re.search(r"^Compared from (\S+) to (\S+) \(", reply)
    line = INDEX_LINE.search(reply)
    assert window is not None and line is not None, reply
    index = sp500_index_returns().loc[window[1] : window[2]]
    wealth = (1 + index).cumprod()
    reference = {
        1: 100 * index.mean() * 252,
        2: 100 * index.std(ddof=1) * 252**0.5,
        3: index.mean() / index.std(ddof=1) * 252**0.5,
        4: 100 * float((1 - wealth / wealth.cummax().clip(lower=1)).max()),
    }
    for group, value in reference.items():
        assert float(line[group]) == pytest.approx(value, abs=0.06 if group != 3 else 0.006), (
            group, value, reply,
        )  # fmt: skip
    rows = {m[1]: tuple(float(m[i]) for i in (2, 3, 4)) for m in ROW.finditer(reply)}
    assert len(rows) == len(methods), reply
    index_said = (float(line[1]), float(line[2]), float(line[4]))
    for group, k, sign in ((5, 0, 1), (6, 1, -1), (7, 2, -1)):
        clear = {name: row for name, row in rows.items() if abs(row[k] - index_said[k]) > 0.1}
        better = {name for name, row in clear.items() if sign * (row[k] - index_said[k]) > 0}
        assert _named(line[group]) & set(clear) == better, (group, reply)  # ties as shown aside
