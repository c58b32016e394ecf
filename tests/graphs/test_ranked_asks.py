"""Questions that ask which name stands out, or for the names in order of a measure ("which of
the banks had the best Sharpe ratio in 2021?", "which of KO, PEP and PG is the least
volatile?", "rank the 20 stocks by volatility over the last year"), are answered with the names
in that order, highest first, and which is highest and lowest; they built a max-Sharpe or
min-volatility portfolio, or asked what to do. The order is checked against numpy on the same
window."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread
from tests.support.drawdowns import deepest_fall

RETURNS = to_returns(load_sp500_prices())
SUBJECTS = {
    "the banks": sector_tickers(["banks"]),
    "KO, PEP and PG": ["KO", "PEP", "PG"],
    "JPM, BAC and XOM": ["JPM", "BAC", "XOM"],
}
ASKS = {
    "which of {s} had the best sharpe in 2021?": "sharpe",
    "Which of {s} had the highest Sharpe ratio in 2021": "sharpe",
    "which of {s} is the least volatile in 2021?": "volatility",
    "which of {s} was the most volatile in 2021?": "volatility",
    "rank {s} by volatility in 2021": "volatility",
}
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _order(reply: str, words: str) -> list[str]:
    """The names in order from the highest (a ranking asked of the low end alone, "the least
    volatile", is given from the lowest: read back)."""
    line = re.search(
        rf"By {re.escape(words)}, (highest|lowest) first: (.+?) \((?:highest|lowest)", reply
    )
    assert line is not None, reply
    names = [item.split()[0] for item in line.group(2).split(", ")]
    return names if line.group(1) == "highest" else names[::-1]


def _measured(window: pd.DataFrame, measure: str) -> pd.Series:
    vol = window.std(ddof=1) * np.sqrt(252)
    return window.mean() * 252 / vol if measure == "sharpe" else vol


@SETTINGS
@given(ask=st.sampled_from(sorted(ASKS)), subject=st.sampled_from(sorted(SUBJECTS)))
def test_which_name_stands_out_is_answered_in_order(
    offline_data_dir: Path, ask: str, subject: str
) -> None:
    reply = answer_in_new_thread(ask.format(s=subject))
    assert "portfolio (pf_" not in reply  # no portfolio built
    names = SUBJECTS[subject]
    measure = ASKS[ask]
    words = "Sharpe ratio (risk-free rate 0%)" if measure == "sharpe" else "volatility"
    order = _order(reply, words)
    expected = _measured(RETURNS.loc["2021-01-01":"2021-12-31", names], measure)
    assert order == list(expected.sort_values(ascending=False).index), reply
    low_end = "least" in ask  # "which is the least volatile?": from the lowest
    assert (f"lowest first: {order[-1]} " in reply) == low_end, reply
    ends = (
        f"(lowest {order[-1]}, highest {order[0]})"
        if low_end
        else (f"(highest {order[0]}, lowest {order[-1]})")
    )
    assert ends in reply
    if measure == "volatility":  # the tool's four significant digits, shown to 0.1 point
        shown = dict(re.findall(r"([A-Z]+) (\d+\.\d)%", reply.split(" first:")[1]))
        for name in names:
            assert abs(float(shown[name]) / 100 - expected[name]) <= 0.0006, (name, reply)


def test_which_stock_without_names_ranks_every_stock(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("which stock was the most volatile last year?")
    order = _order(reply, "volatility")
    window = RETURNS.iloc[-252:]
    assert order == list(_measured(window, "volatility").sort_values(ascending=False).index)
    assert reply.startswith(f"Statistics from {window.index[0].date()}")


def test_a_portfolio_asked_for_by_its_measure_is_still_built(offline_data_dir: Path) -> None:
    assert answer_in_new_thread(
        "the portfolio with the best sharpe for AAPL, KO and XOM"
    ).startswith("Max-Sharpe portfolio (pf_")
    assert answer_in_new_thread("the lowest volatility mix of KO PEP PG").startswith(
        "Min-volatility portfolio (pf_"
    )


MOVES = {
    "fell the most": False,
    "dropped the most": False,
    "lost the most": False,
    "declined most": False,
    "fell the least": True,
    "gained the most": True,
    "did best": True,
    "would lose the most": False,
    "would have lost the most": False,
    "would gain the most": True,
}
"""A move asked about -> whether the answer lists the highest return first (a fall asked
about: the biggest fall first); "would" asks how the names would have done over the window."""
SECTORS = {
    "the banks stocks": "banks",
    "the tech stocks": "tech",
    "the energy names": "energy",
    "the banks": "banks",
    "the staples": "staples",
}
"""How a sector is said -> its term: with a noun after it, or a plural term alone."""


def _total_return_order(reply: str, highest_first: bool) -> list[str]:
    first = "highest" if highest_first else "lowest"
    line = re.search(
        rf"By total return, (?:the \d+ \w+ of \d+, )?{first} first: (.+?)(?: \({first}|\. )", reply
    )
    assert line is not None, reply
    return [item.split()[0] for item in line.group(1).split(", ")]


@SETTINGS
@given(
    move=st.sampled_from(sorted(MOVES)),
    sector=st.sampled_from(sorted(SECTORS)),
    year=st.integers(2008, 2022),
)
def test_which_fell_the_most_is_the_total_return_from_the_biggest_fall(
    offline_data_dir: Path, move: str, sector: str, year: int
) -> None:
    reply = answer_in_new_thread(f"which of {sector} {move} in {year}?")
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31", sector_tickers([SECTORS[sector]])]
    total = ((1 + window).prod() - 1).sort_values(ascending=not MOVES[move])
    assert _total_return_order(reply, MOVES[move]) == list(total.index)


@SETTINGS
@given(
    pair=st.lists(st.sampled_from(sorted(RETURNS.columns)), min_size=2, max_size=2, unique=True),
    move=st.sampled_from(["would lose more", "would have lost more", "would fall more"]),
    year=st.integers(2008, 2022),
)
def test_which_of_two_would_lose_more_in_a_year_is_their_return_over_it(
    offline_data_dir: Path, pair: list[str], move: str, year: int
) -> None:
    """The year named is the window; the stock with the lower total return over it comes first."""
    reply = answer_in_new_thread(f"which {move} in {year}, {pair[0]} or {pair[1]}?")
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31", pair]
    total = ((1 + window).prod() - 1).sort_values()
    assert _total_return_order(reply, False) == list(total.index)
    assert reply.startswith(f"Statistics from {window.index[0].date()} to "), reply


def test_the_top_stocks_by_return_are_every_stock_s_highest(offline_data_dir: Path) -> None:
    top = answer_in_new_thread("show me the top 5 stocks by return since 2020")
    since = (1 + RETURNS.loc["2020-01-01":]).prod() - 1
    best = ", ".join(since.sort_values(ascending=False).index[:5])
    listed = re.search(r"the 5 highest of 20, highest first: ((?:[A-Z]+ [\d.]+%(?:, )?)+)", top)
    assert listed is not None, top  # the five asked for, of every stock of the data
    assert ", ".join(item.split()[0] for item in listed.group(1).split(", ")) == best


def test_equal_weights_of_a_sector_are_measured_as_a_portfolio(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread(
        "how did an equal weight portfolio of the staples do in 2022 vs the S&P?"
    )
    staples = sector_tickers(["staples"])
    held = ", ".join(f"{t} 25.0%" for t in staples)
    assert reply.startswith("Statistics from 2022-01-03"), reply
    assert f"the portfolio ({held}) had a total return of" in reply
    assert "strategy" not in reply.split("Used:")[0]  # no target-vol strategy backtested


def test_the_worst_drawdown_among_a_sector_is_each_stock_s(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("what was the worst drawdown among the energy stocks since 2015?")
    window = RETURNS.loc["2015-01-01":, sector_tickers(["energy"])]
    wealth = (1 + window).cumprod()
    depth = (1 - wealth / np.maximum(wealth.cummax(), 1.0)).max()
    order = _order(reply, "maximum drawdown")
    assert order == list(depth.sort_values(ascending=False).index), reply
    shown = dict(re.findall(r"([A-Z]+) (\d+\.\d)%", reply.split("highest first:")[1]))
    for name in order:
        assert abs(float(shown[name]) / 100 - depth[name]) <= 0.0006, (name, reply)


def test_a_correlation_with_the_index_is_each_stock_s(offline_data_dir: Path) -> None:
    from quant import load_sp500_index

    market = to_returns(load_sp500_index()).iloc[:, 0]
    reply = answer_in_new_thread("correlation of the banks with the market since 2020")
    banks = sector_tickers(["banks"])
    line = re.search(r"with the S&P 500 index: ((?:[A-Z]+ -?\d\.\d\d(?:, )?)+)", reply)
    assert line is not None, reply
    shown = dict(re.findall(r"([A-Z]+) (-?\d\.\d\d)", line.group(1)))
    window = RETURNS.loc["2020-01-01":, banks]
    for name in banks:
        expected = np.corrcoef(window[name], market.loc[window.index])[0, 1]
        assert abs(float(shown[name]) - expected) <= 0.005, (name, reply)
    assert "Correlation of daily returns: BAC and JPM" in reply  # and between the stocks
    single = answer_in_new_thread("how correlated is XOM with the S&P?")
    assert "Correlation of daily returns with the S&P 500 index: XOM 0." in single
    assert "needs at least two stocks" not in single


def _sectors_held(year: int) -> pd.DataFrame:
    """Each sector of the data held at equal weights, rebalanced daily, over `year`: the mean of
    its stocks' daily returns."""
    from quant.classification import classify

    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    sectors: dict[str, list[str]] = {}
    for ticker in RETURNS.columns:
        sectors.setdefault(classify(ticker).sector, []).append(ticker)  # type: ignore[union-attr]
    return pd.DataFrame({s: window[m].mean(axis=1) for s, m in sectors.items()})


SECTOR_ASKS = {
    "which sector did best in {y}?": "return",
    "rank the sectors by volatility in {y}": "volatility",
    "Which sector had the highest Sharpe ratio in {y}?": "sharpe",
}


@SETTINGS
@given(ask=st.sampled_from(sorted(SECTOR_ASKS)), year=st.integers(2008, 2022))
def test_which_sector_stands_out_ranks_every_sector_at_equal_weights(
    offline_data_dir: Path, ask: str, year: int
) -> None:
    """Each sector of the data held at equal weights, rebalanced daily (the mean of its stocks'
    daily returns), put in order of the measure asked; it asked what to do."""
    reply = answer_in_new_thread(ask.format(y=year))
    measure = SECTOR_ASKS[ask]
    words = {"return": "total return", "volatility": "volatility",
             "sharpe": "Sharpe ratio (risk-free rate 0%)"}[measure]  # fmt: skip
    line = re.search(rf"By {re.escape(words)}, highest first: (.+?) \(highest", reply)
    assert line is not None, reply
    shown = re.findall(r"([A-Z][A-Za-z ]+?) (-?\d+\.\d+)%?(?:, |$)", line.group(1))
    held = _sectors_held(year)
    expected = (1.0 + held).prod() - 1.0 if measure == "return" else _measured(held, measure)
    order = list(expected.sort_values(ascending=False).index)
    assert [name for name, _ in shown] == order, reply
    for name, value in shown:
        scale = 1.0 if measure == "sharpe" else 100.0
        shown_to = 0.06 if measure != "sharpe" else 0.006  # one decimal of a %, or two
        assert abs(float(value) - expected[name] * scale) <= shown_to, (name, reply)


def test_stocks_ranked_within_each_sector_are_not_the_sectors_ranked(
    offline_data_dir: Path,
) -> None:
    reply = answer_in_new_thread("which stock is the most volatile in each sector?")
    assert "Each sector held at equal weights" not in reply, reply
    most = RETURNS.loc["2018-01-01":].std().idxmax()  # the default window's most volatile
    assert f"By volatility, highest first: {most} " in reply, reply
    reply = answer_in_new_thread("which sector had the worst day in 2020?")  # no order to rank by
    assert "worst day" in reply and "By " not in reply, reply


RISK_ASKS = (
    "which is riskier, {a} or {b}?",
    "is {a} riskier than {b}?",
    "{a} vs {b}: which is safer?",
    "which is the more defensive, {a} or {b}, in {y}?",
    "which is safer, {a} or {b}, in {y}",
    "which is less risky, {a} or {b}?",
    "which has lower risk, {a} or {b}?",
    "does {a} carry more risk than {b}?",
)
PAIRS = (("AAPL", "KO"), ("XOM", "JNJ"), ("tech", "staples"), ("the banks", "energy"))


@SETTINGS
@given(ask=st.sampled_from(RISK_ASKS), pair=st.sampled_from(PAIRS), year=st.integers(2008, 2022))
def test_which_is_riskier_sets_volatility_and_drawdown_side_by_side(
    offline_data_dir: Path, ask: str, pair: tuple[str, str], year: int
) -> None:
    """Stocks or sectors (each at equal weights, rebalanced daily) compared by their risk are
    put in order of volatility and of maximum drawdown, highest first."""
    text = ask.format(a=pair[0], b=pair[1], y=year)
    text = text.lower() if year % 2 else text  # lower-case tickers too
    reply = answer_in_new_thread(text)
    window = (
        RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"] if "{y}" in ask else RETURNS.loc["2018":]
    )
    bare = [p.removeprefix("the ") for p in pair]
    named = {p: [p] if p.isupper() else sector_tickers([p]) for p in bare}
    assert all(named.values()), named
    held = pd.DataFrame({n: window[members].mean(axis=1) for n, members in named.items()})
    riskier: dict[str, str] = {}
    for words, values in (
        ("volatility", held.std(ddof=1) * np.sqrt(252)),
        ("maximum drawdown", pd.Series({n: deepest_fall((1 + held[n]).cumprod()) for n in held})),
    ):
        line = re.search(rf"By {words}, highest first: (.+?) \(highest", reply)
        assert line is not None, (text, reply)
        shown = [item.rsplit(" ", 1)[0].lower() for item in line.group(1).split(", ")]
        assert shown == [n.lower() for n in values.sort_values(ascending=False).index], reply
        riskier[words] = values.idxmax()
    safer = any(word in ask for word in ("safer", "defensive", "less risky", "lower risk"))
    other = {n: next(m for m in named if m != n) for n in named}  # the other side of each
    side = "safer" if safer else "riskier"  # the side asked is said first
    first = {w: other[n] if safer else n for w, n in riskier.items()}
    if riskier["volatility"] == riskier["maximum drawdown"]:
        verdict = (
            rf"(?i){re.escape(first['volatility'])} was the {side} of the two on both measures"
        )
    else:
        verdict = (
            rf"(?i)neither was the {side} on both measures: {re.escape(first['volatility'])} had"
        )
    assert re.search(verdict, reply), (text, reply)


def test_words_of_a_fall_or_a_comparison_elsewhere_leave_the_question_as_it_was(
    offline_data_dir: Path,
) -> None:
    """A fall said of the market, not of what is ranked, keeps the ranking highest first; "than"
    inside a build's limits neither adds a sector nor makes the builds a comparison."""
    fell = answer_in_new_thread(
        "which stocks had the highest sharpe ratio in 2022 when the market fell?"
    )
    assert "By Sharpe ratio (risk-free rate 0%), highest first: " in fell, fell
    staples = answer_in_new_thread("build a min vol portfolio of staples with less risk than tech")
    used = re.search(r"Used: ([A-Z, ]+);", staples)
    assert used is not None and used.group(1) == ", ".join(sector_tickers(["staples"])), staples
    both = answer_in_new_thread(
        "build HRP and risk parity portfolios of AAPL, KO, PG and XOM with no stock more than 40%"
    )
    assert both.startswith("HRP portfolio (pf_") and "Risk-parity portfolio (pf_" in both, both


@pytest.mark.parametrize(
    "ask",
    [
        "which stocks would lose the most if rates rise 200bps?",
        "which of AAPL, MSFT and KO would lose the most in a recession?",
        "which names lose the most when the market drops?",
        "which banks would lose the most if the fed hikes in 2023?",
    ],
)
def test_a_loss_supposed_is_not_a_ranking_by_past_return(ask: str) -> None:
    """'Lose' ranks by the total return only over a window named, not in a supposed event."""
    analysis = read_analysis(parse_intent(ask, known_tickers()), known_tickers())
    assert analysis is None or "return" not in analysis.measures, (ask, analysis)


@pytest.mark.parametrize(
    ("ask", "start", "highest_first"),
    [
        ("which would lose more since 2020, XOM or CVX?", "2020", False),
        ("which stocks would lose the most in 2022 with rates rising?", "2022", False),
        ("which would lose more in 2008, XOM or CVX, given rates were falling?", "2008", False),
        ("which 5 names would lose the least in 2022?", "2022", True),
    ],
)
def test_a_loss_over_a_window_named_is_ranked_by_its_return(
    offline_data_dir: Path, ask: str, start: str, highest_first: bool
) -> None:
    reply = answer_in_new_thread(ask)
    assert reply.startswith(f"Statistics from {start}-"), reply
    order = _total_return_order(reply, highest_first)
    end = "2022-12-31" if "since" in ask else f"{start}-12-31"
    window = RETURNS.loc[f"{start}-01-01" : end, order]
    total = ((1 + window).prod() - 1).sort_values(ascending=not highest_first)
    assert order == list(total.index)[: len(order)], reply


@pytest.mark.parametrize(
    "ask", ["if I put 30% in energy would that be too concentrated?", "do you think an overweight "
    "in energy would pay off?"]
)  # fmt: skip
def test_a_sector_before_would_outside_a_ranking_is_no_universe(ask: str) -> None:
    assert parse_intent(ask, known_tickers()).intent != "market_overview", ask


def test_the_three_that_would_lose_the_most_in_a_year_are_the_three_lowest(
    offline_data_dir: Path,
) -> None:
    reply = answer_in_new_thread("which 3 stocks would lose the most in 2022?")
    window = RETURNS.loc["2022-01-01":"2022-12-31"]
    lowest = ((1 + window).prod() - 1).sort_values().index[:3]
    listed = re.findall(r"([A-Z]+) -?\d+\.\d%", reply.split("lowest first:")[1].split("(")[0])
    assert listed == list(lowest), reply


@SETTINGS
@given(
    names=st.lists(
        st.sampled_from(("KO", "PEP", "PG", "JNJ", "WMT")), min_size=3, max_size=3, unique=True
    ),
    measure=st.sampled_from(("volatility", "risk")),
    year=st.integers(2008, 2022),
)
def test_the_lowest_volatility_asked_of_stocks_is_a_ranking_not_a_method(
    offline_data_dir: Path, names: list[str], measure: str, year: int
) -> None:
    """ "which of KO, PEP and PG had the lowest volatility last year?" ranks the stocks and says
    nothing of a method (the ask accounting read "lowest volatility" as the min-volatility
    method and said it unused)."""
    reply = answer_in_new_thread(
        f"which of {names[0]}, {names[1]} and {names[2]} had the lowest {measure} in {year}?"
    )
    assert "By volatility" in reply, reply
    assert "Not used" not in reply and "method" not in reply, reply


SECTOR_ENDS = {
    "what is the safest sector in {y}?": True,
    "which is the most defensive sector in {y}?": True,
    "what's the riskiest sector in {y}?": False,
    "what was the riskiest industry in {y}?": False,
}
"""A sector at an end of risk asked of (it asked what to do, or ranked the stocks): whether
the safe end is asked."""


@SETTINGS
@given(ask=st.sampled_from(sorted(SECTOR_ENDS)), year=st.integers(2008, 2022))
def test_the_safest_or_riskiest_sector_ranks_every_sector_on_volatility(
    offline_data_dir: Path, ask: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(y=year))
    safe = SECTOR_ENDS[ask]
    assert reply.startswith("Each sector held at equal weights"), reply
    line = re.search(rf"By volatility, {'lowest' if safe else 'highest'} first: (.+?) \(", reply)
    assert line is not None, reply
    shown = re.findall(r"([A-Z][A-Za-z ]+?) (\d+\.\d)%(?:, |$)", line.group(1))
    vol = _measured(_sectors_held(year), "volatility")
    assert [name for name, _ in shown] == list(vol.sort_values(ascending=safe).index), reply
    for name, value in shown:
        assert abs(float(value) - vol[name] * 100) <= 0.06, (name, reply)


@pytest.mark.parametrize("ticker", ["AAPL", "XOM", "KO", "JPM"])
def test_which_sector_a_stock_is_in_is_the_data_s_record_of_it(
    offline_data_dir: Path, ticker: str
) -> None:
    from quant.classification import classify

    sector = classify(ticker).sector  # type: ignore[union-attr]
    for ask in (f"which sector is {ticker} in?", f"what sector is {ticker}?"):
        reply = answer_in_new_thread(ask)
        assert re.match(rf"{ticker} \([^,]+, {sector}\) is in the market data", reply), reply
