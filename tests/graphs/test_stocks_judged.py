"""Stocks set side by side and judged: "compare AAPL and MSFT on drawdown in 2022" gives each
stock's maximum drawdown (before: the drawdown of a portfolio holding them at equal weights);
"which had the better Sharpe ratio, AAPL or MSFT?" names the better one, by the measure's better
side; "which one is better?" right after a comparison is judged on the measures compared, over
the same window (before: a read of the market over the default window, whose "best" and "worst"
Sharpe ratio could read 0.85 and 0.85). Every judgement is checked against a plain reference
computed here from the embedded prices."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, answers_in_one_thread

PRICES = load_sp500_prices()
YEARS = st.integers(min_value=2008, max_value=2022)
PAIRS = st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True)


def _year(year: int) -> pd.DataFrame:
    """The prices of `year`, from the close of the session before it (as the tools measure)."""
    before = PRICES.loc[: f"{year - 1}-12-31"].iloc[-1:]
    return pd.concat([before, PRICES.loc[str(year)]])


def _since(year: int) -> pd.DataFrame:
    before = PRICES.loc[: f"{year - 1}-12-31"].iloc[-1:]
    return pd.concat([before, PRICES.loc[f"{year}-01-01" :]])


def max_drawdown(prices: pd.Series) -> float:
    """The deepest fall from a running peak, a positive fraction."""
    values = prices.to_numpy(dtype=float)
    return float(np.max(1.0 - values / np.maximum.accumulate(values)))


def reference(measure: str, prices: pd.Series) -> float:
    """The measure of one stock over the window of `prices` (the ordering is what is checked:
    the Sharpe ratio's annualisation and the volatility's scale do not change it)."""
    daily = prices.pct_change().dropna().to_numpy(dtype=float)
    if measure == "drawdown":
        return max_drawdown(prices)
    if measure == "volatility":
        return float(daily.std(ddof=1))
    if measure == "return":
        return float(prices.iloc[-1] / prices.iloc[0] - 1.0)
    return float(daily.mean() / daily.std(ddof=1))  # the Sharpe ratio, risk-free rate 0


LOWER_IS_BETTER = {"drawdown", "volatility"}
SAID = {"drawdown": "max drawdown", "volatility": "volatility", "return": "total return",
        "sharpe": "sharpe ratio"}  # fmt: skip
WORDS = {"drawdown": "maximum drawdown", "volatility": "volatility", "return": "total return",
         "sharpe": "Sharpe ratio (risk-free rate 0%)"}  # fmt: skip


def the_better(measure: str, prices: pd.DataFrame, stocks: list[str], better: bool) -> str:
    values = {stock: reference(measure, prices[stock]) for stock in stocks}
    lower_wins = (measure in LOWER_IS_BETTER) == better
    return (min if lower_wins else max)(values, key=values.__getitem__)


def _distinct(measure: str, prices: pd.DataFrame, stocks: list[str]) -> bool:
    """Whether the stocks' values are far enough apart that the tool's six digits order them."""
    a, b = (reference(measure, prices[stock]) for stock in stocks)
    return abs(a - b) > 1e-4 * max(abs(a), abs(b), 1e-9)


COMPARED_ON_DRAWDOWN = (
    "compare {a} and {b} on drawdown in {year}",
    "how do {a} and {b} compare on max drawdown in {year}?",
    "compare the drawdowns of {a} and {b} in {year}",
    "{a} versus {b}: maximum drawdown in {year}",
)


@settings(max_examples=8, deadline=None)
@given(stocks=PAIRS, year=YEARS, ask=st.sampled_from(COMPARED_ON_DRAWDOWN))
def test_stocks_compared_on_drawdown_get_each_one_s_drawdown(
    stocks: list[str], year: int, ask: str
) -> None:
    reply = answer_in_new_thread(ask.format(a=stocks[0], b=stocks[1], year=year))
    assert "equal weights" not in reply and "Not used" not in reply, reply
    prices = _year(year)
    for stock in stocks:
        said = re.search(rf"\b{stock}: maximum drawdown (\d+\.\d+)%", reply)
        assert said is not None, reply
        assert abs(float(said[1]) / 100 - max_drawdown(prices[stock])) < 6e-5, (stock, reply)


JUDGED = (
    ("which had the {side} {measure} in {year}, {a} or {b}?", True),
    ("in {year}, which of {a} and {b} had the {side} {measure}?", True),
    ("which was worse on {measure} in {year}: {a} or {b}?", False),
)


@settings(max_examples=10, deadline=None)
@given(
    stocks=PAIRS,
    year=YEARS,
    measure=st.sampled_from(sorted(SAID)),
    ask=st.sampled_from(JUDGED),
)
def test_which_is_better_names_the_better_side_of_the_measure(
    stocks: list[str], year: int, measure: str, ask: tuple[str, bool]
) -> None:
    text, better = ask
    prices = _year(year)
    if not _distinct(measure, prices, stocks):
        return
    reply = answer_in_new_thread(
        text.format(side="better", measure=SAID[measure], year=year, a=stocks[0], b=stocks[1])
    )
    word = "Better" if better else "Worse"
    said = re.search(rf"{word} by {re.escape(WORDS[measure])}: (\w+) \(the (\w+)\)", reply)
    assert said is not None, reply
    assert said[1] == the_better(measure, prices, stocks, better), reply


@settings(max_examples=6, deadline=None)
@given(
    stocks=PAIRS,
    year=st.integers(min_value=2008, max_value=2020),
    measures=st.lists(st.sampled_from(sorted(SAID)), min_size=1, max_size=2, unique=True),
    follow_up=st.sampled_from(("which one is better?", "so which is better?", "which was worse?")),
)
def test_which_one_is_better_after_a_comparison_is_judged_on_what_was_compared(
    stocks: list[str], year: int, measures: list[str], follow_up: str
) -> None:
    compared = " and ".join(SAID[m] for m in measures)
    first, reply = answers_in_one_thread(
        f"compare {stocks[0]} and {stocks[1]} on {compared} since {year}", follow_up
    )
    window = re.search(r"^Statistics from (\S+) to (\S+) ", first)
    assert window is not None, first
    assert reply.startswith(window[0]), (first, reply)  # the comparison's window, kept
    prices = _since(year)
    better = "worse" not in follow_up
    for measure in measures:
        if not _distinct(measure, prices, stocks):
            continue
        word = "Better" if better else "Worse"
        said = re.search(rf"{word} by {re.escape(WORDS[measure])}: (\w+) ", reply)
        assert said is not None, (measure, reply)
        assert said[1] == the_better(measure, prices, stocks, better), (measure, reply)


@settings(max_examples=6, deadline=None)
@given(
    stocks=PAIRS,
    year=st.integers(min_value=2008, max_value=2022),
    read=st.sampled_from(
        ("how volatile were {a} and {b} in {y}?", "give me a market read of {a} and {b} for {y}")
    ),
    follow_up=st.sampled_from(("which one was better?", "which was worse?", "so which is better")),
)
def test_which_one_was_better_after_a_market_read_keeps_its_window(
    stocks: list[str], year: int, read: str, follow_up: str
) -> None:
    """After a market read of two stocks over a year, "which one was better?" is judged on
    the Sharpe ratio the read ranked them by, over that year (before: a market read over the
    default window)."""
    first, reply = answers_in_one_thread(read.format(a=stocks[0], b=stocks[1], y=year), follow_up)
    assert f"From {year}-01-0" in first and "market is in a" in first, first  # the year's read
    assert reply.startswith(f"Statistics from {year}-"), (first, reply)
    assert re.search(rf"to {year}-12-\d\d \(", reply), reply
    prices = _year(year)
    if _distinct("sharpe", prices, stocks):
        word = "Worse" if "worse" in follow_up else "Better"
        said = re.search(rf"{word} by {re.escape(WORDS['sharpe'])}: (\w+) ", reply)
        assert said is not None, reply
        assert said[1] == the_better("sharpe", prices, stocks, word == "Better"), reply


@settings(max_examples=6, deadline=None)
@given(
    stocks=PAIRS,
    year=st.integers(min_value=2008, max_value=2022),
    report=st.sampled_from(("how risky were {a} and {b} in {y}?", "what was the 95% CVaR of {a} and {b} in {y}?")),
    follow_up=st.sampled_from(
        (("which one was worse?", False), ("which is riskier?", False), ("so which was safer?", True),
         ("which one was better?", True))
    ),
)  # fmt: skip
def test_which_was_worse_after_a_risk_report_judges_each_stock_on_its_measures(
    stocks: list[str], year: int, report: str, follow_up: tuple[str, bool]
) -> None:
    """After a risk report of two stocks held together, "which one was worse?" (or riskier,
    safer) judges each stock on the report's volatility and maximum drawdown over its window
    (before: "what would you like me to do")."""
    text, better = follow_up
    first, reply = answers_in_one_thread(report.format(a=stocks[0], b=stocks[1], y=year), text)
    assert "equal weights" in first, first  # the two held together
    assert reply.startswith(f"Statistics from {year}-"), (first, reply)
    assert re.search(rf"to {year}-12-\d\d \(", reply), reply
    prices = _year(year)
    word = "Better" if better else "Worse"
    for measure in ("volatility", "drawdown"):
        if _distinct(measure, prices, stocks):
            said = re.search(rf"{word} by {re.escape(WORDS[measure])}: (\w+) ", reply)
            assert said is not None, (measure, reply)
            assert said[1] == the_better(measure, prices, stocks, better), (measure, reply)


@settings(max_examples=4, deadline=None)
@given(stocks=PAIRS, year=st.integers(min_value=2008, max_value=2022))
def test_a_second_question_which_is_better_keeps_what_the_first_was_judged_on(
    stocks: list[str], year: int
) -> None:
    """ "Which was better?" after a market read is judged on its Sharpe ratio over its year; "and
    which was worse?" after that is too (before: a market read over the default window)."""
    _, first, second = answers_in_one_thread(
        f"how volatile were {stocks[0]} and {stocks[1]} in {year}?",
        "which was better?",
        "and which was worse?",
    )
    assert second.startswith(f"Statistics from {year}-"), (first, second)
    prices = _year(year)
    if _distinct("sharpe", prices, stocks):
        said = re.search(rf"Worse by {re.escape(WORDS['sharpe'])}: (\w+) ", second)
        assert said is not None, second
        assert said[1] == the_better("sharpe", prices, stocks, False), second


ASKED_ALONE = (
    "what's the {measure} of {a} since {year}?",
    "{a}'s {measure} since {year}?",
    "how was {a}'s {measure} since {year}",
)
OTHER_STOCK = ("and {b}?", "what about {b}?", "same for {b}", "ok and {b}")


@settings(max_examples=10, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    year=st.integers(min_value=2008, max_value=2020),
    measure=st.sampled_from(sorted(SAID)),
    ask=st.sampled_from(ASKED_ALONE),
    other=st.sampled_from(OTHER_STOCK),
    follow_up=st.sampled_from(("which is better?", "which one is better?", "so which is best?")),
)
def test_which_is_better_after_each_stock_was_asked_alone_judges_them_on_what_was_asked(
    stocks: list[str], year: int, measure: str, ask: str, other: str, follow_up: str
) -> None:
    """KO's Sharpe ratio since 2015, then "and PEP?", then "which is better?" judges KO and PEP
    on the Sharpe ratio since 2015 (before: a market read of them over the default window, or
    the help text after one-stock risk reports)."""
    first, *others = stocks
    replies = answers_in_one_thread(
        ask.format(measure=SAID[measure], a=first, year=year),
        *(other.format(b=stock) for stock in others),
        follow_up,
    )
    reply = replies[-1]
    assert reply.startswith(f"Statistics from {year}-01-0"), replies
    assert re.search(r"to 2022-12-28 \(", reply), reply
    assert f"Used: {', '.join(sorted(stocks))};" in reply, reply
    prices = _since(year)
    values = {stock: reference(measure, prices[stock]) for stock in stocks}
    best = (min if measure in LOWER_IS_BETTER else max)(values, key=values.__getitem__)
    if all(
        abs(values[best] - v) > 1e-4 * max(abs(v), 1e-9) for s, v in values.items() if s != best
    ):
        said = re.search(rf"Best by {re.escape(WORDS[measure])}: (\w+) ", reply) or re.search(
            rf"Better by {re.escape(WORDS[measure])}: (\w+) ", reply
        )
        assert said is not None, reply
        assert said[1] == best, (values, reply)


@settings(max_examples=6, deadline=None)
@given(
    stocks=PAIRS,
    years=st.integers(min_value=1, max_value=5),
    follow_up=st.sampled_from(("which is better?", "which one is riskier?", "so which was safer?")),
)
def test_which_is_better_after_one_stock_risk_reports_judges_them_on_their_measures(
    stocks: list[str], years: int, follow_up: str
) -> None:
    """AAPL's maximum drawdown over the last 3 years, then "and MSFT?", then "which is better?"
    judges the two on the maximum drawdown over those 3 years (before: the help text)."""
    _, report, reply = answers_in_one_thread(
        f"what's the max drawdown of {stocks[0]} over the last {years} years?",
        f"and {stocks[1]}?",
        follow_up,
    )
    window = re.search(r"from (\d{4}-\d\d-\d\d) to 2022-12-28 \(", report)
    assert window is not None, report
    assert reply.startswith(f"Statistics from {window[1]} to 2022-12-28 "), (report, reply)
    assert f"Used: {', '.join(sorted(stocks))};" in reply, reply
    before = PRICES.loc[: window[1]].iloc[-2:-1]
    prices = pd.concat([before, PRICES.loc[window[1] :]])
    better = "riskier" not in follow_up
    word = "Better" if better else "Worse"
    if _distinct("drawdown", prices, stocks):
        said = re.search(rf"{word} by maximum drawdown: (\w+) ", reply)
        assert said is not None, reply
        assert said[1] == the_better("drawdown", prices, stocks, better), reply


@settings(max_examples=8, deadline=None)
@given(
    pair=PAIRS,
    first=st.integers(min_value=2005, max_value=2020),
    later=st.integers(1, 2),
    judge=st.sampled_from(("which is better?", "which one's better?")),
)
def test_stocks_read_over_other_windows_are_judged_over_one_and_it_is_said(
    pair: list[str], first: int, later: int, judge: str
) -> None:
    """ "how has KO done since 2015?", "and PEP since 2019?", "which is better?": both judged
    over the later window, said with KO's earlier window (before: the later window, silently);
    read over the same window, nothing is said."""
    a, b = pair
    second = first + later
    *_, judged = answers_in_one_thread(
        f"how has {a} done since {first}?", f"and {b} since {second}?", judge
    )
    assert judged.startswith(f"Statistics from {second}-01-0"), judged
    said = re.search(
        rf"Read earlier over other windows: {a} from ({first}-01-0\d) to (\S+)\. Compared here "
        rf"over the same days for all, ({second}-01-0\d) to (\S+) \(the latest window asked\)\.",
        judged,
    )
    assert said is not None, judged
    prices = _since(second)[pair]
    assert said[3] == str(prices.index[1].date()) and said[4] == str(prices.index[-1].date())
    returns = prices.iloc[-1] / prices.iloc[0] - 1.0
    better = a if returns[a] > returns[b] else b
    if abs(returns[a] - returns[b]) > 2e-3:
        assert f"Better by total return: {better} (the higher)." in judged, (returns, judged)
    *_, alike = answers_in_one_thread(
        f"how has {a} done since {second}?", f"and {b}?", "which is better?"
    )
    assert alike.startswith(f"Statistics from {second}-01-0") and "Read earlier" not in alike
