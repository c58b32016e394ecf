"""Stocks set beside the market ("is AMD riskier than the market?", "is KO safer than the S&P
500 in 2022?", "how risky is AMD compared to the market?" (a risk report of AMD alone before), "how volatile was AMD compared with the S&P 500?") are put in order with the
S&P 500 index by volatility (and maximum drawdown when risk is asked), highest first; they
were a read of the market. After a build, "is it riskier than the market?" sets the portfolio
beside the index. The order and the values are checked against numpy over the index's own
days; a return or a correlation asked against the index keeps the index's own line."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_index, load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread, answers_in_one_thread
from tests.support.drawdowns import deepest_fall

RETURNS = to_returns(load_sp500_prices())
INDEX = load_sp500_index().pct_change().dropna()
INDEX_NAME = "the S&P 500 index"
RISK_ASKS = (
    "is {s} riskier than the market?",
    "is {s} safer than the S&P 500 in {y}?",
    "are {s} less risky than the index in {y}",
    "{s} vs the market in {y}: which is riskier?",
    "is {s} riskier than the overall market?",
    "is {s} safer than the S and P 500 in {y}?",
    "how risky is {s} compared to the market?",
    "how risky was {s} relative to the S&P 500 in {y}?",
)
VOLATILITY_ASKS = (
    "is {s} more volatile than the S&P 500?",
    "how volatile was {s} compared with the s&p in {y}?",
    "{s} volatility vs the market in {y}",
    "is {s} more volatile than the s&p500?",
)
SETTINGS = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _order(reply: str, words: str) -> list[str]:
    line = re.search(rf"By {words}, highest first: (.+?) \(highest", reply)
    assert line is not None, reply
    return [item.rsplit(" ", 1)[0] for item in line.group(1).split(", ")]


def _grouped(reply: str, against: str) -> tuple[list[str], dict[str, list[str]]]:
    """The sides of the reply's grouping against `against`, in the order said, and the names of
    each ("riskier", "safer", "mixed"); the side asked, said to hold none ("None was safer than
    KO on both measures"), has no names."""
    verdict = re.search(
        rf"((?:Riskier|Safer|(?:None|Neither) was (?:riskier|safer)) than {re.escape(against)}"
        r" on [^.]*)\.",
        reply,
    )
    assert verdict is not None, reply
    sides: list[str] = []
    names: dict[str, list[str]] = {"riskier": [], "safer": [], "mixed": []}
    for part in verdict.group(1).split("; "):
        words, _, listed = part.lower().partition(": ")
        side = "mixed" if "one measure" in words else "safer" if "safer" in words else "riskier"
        sides.append(side)
        names[side] = listed.upper().split(", ") if listed else []
    assert len(set(sides)) == len(sides), reply
    return sides, names


def _expected(tickers: list[str], year: int | None) -> dict[str, pd.Series]:
    """Each name's daily returns over the window asked, the index's over the days it has."""
    window = slice(f"{year}-01-01", f"{year}-12-31") if year else slice("2018-01-01", None)
    days = RETURNS.loc[window].index
    out = {t: RETURNS.loc[window, t] for t in tickers}
    out[INDEX_NAME] = INDEX.reindex(days).dropna()
    return out


@SETTINGS
@given(
    ask=st.sampled_from(RISK_ASKS + VOLATILITY_ASKS),
    tickers=st.lists(
        st.sampled_from(["AMD", "AAPL", "KO", "XOM", "JNJ"]), min_size=1, max_size=2, unique=True
    ),
    year=st.integers(2008, 2022),
)
@example(ask=RISK_ASKS[-2], tickers=["AMD"], year=2020)  # a risk report of AMD alone before
@example(ask=RISK_ASKS[-1], tickers=["KO", "XOM"], year=2022)
def test_names_compared_with_the_market_are_ranked_with_the_index(
    offline_data_dir: Path, ask: str, tickers: list[str], year: int
) -> None:
    text = ask.format(s=" and ".join(tickers), y=year)
    reply = answer_in_new_thread(text.lower() if year % 2 else text)
    series = _expected(tickers, year if "{y}" in ask else None)
    volatility = {n: r.std(ddof=1) * np.sqrt(252) for n, r in series.items()}
    orders = {"volatility": volatility}
    if ask in RISK_ASKS:
        orders["maximum drawdown"] = {n: deepest_fall((1 + r).cumprod()) for n, r in series.items()}
    else:
        assert "By maximum drawdown" not in reply, reply
    for words, values in orders.items():
        assert _order(reply, words) == sorted(values, key=lambda n: -values[n]), (text, reply)
    assert "market is in a" not in reply, reply  # not a read of the market's regime
    assert "The S&P 500 index: volatility" not in reply, reply  # said once, in the order


def test_a_return_or_a_correlation_against_the_index_keeps_the_index_s_line(
    offline_data_dir: Path,
) -> None:
    returned = answer_in_new_thread("AAPL return vs the S&P 500 since 2019")
    assert "The S&P 500 index: a total return of " in returned, returned
    assert "By total return" not in returned, returned
    correlated = answer_in_new_thread("how correlated is XOM with the S&P since 2019?")
    days = RETURNS.loc["2019":].index
    expected = RETURNS.loc["2019":, "XOM"].corr(INDEX.reindex(days))
    said = re.search(
        r"Correlation of daily returns with the S&P 500 index: XOM (\d\.\d\d)", correlated
    )
    assert said is not None and abs(float(said.group(1)) - expected) <= 0.006, correlated


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["hrp", "min vol", "risk parity"]),
    tickers=st.lists(
        st.sampled_from(["AAPL", "KO", "XOM", "JNJ", "JPM", "AMD"]), min_size=2, max_size=4,
        unique=True,
    ),
    ask=st.sampled_from(["is it riskier than the market?", "is my portfolio safer than the S&P 500?",
                         "Is this allocation riskier than the market?", "is this mix safer than the S&P?",
                         "is my existing allocation riskier than the market?",
                         "is the allocation riskier than the S&P 500?",
                         "is my current portfolio mix safer than the market?"]),
)  # fmt: skip
def test_a_built_portfolio_is_set_beside_the_index(
    offline_data_dir: Path, method: str, tickers: list[str], ask: str
) -> None:
    built, compared = answers_in_one_thread(
        f"build a {method} portfolio of {', '.join(tickers)} since 2019", ask
    )
    held = built.split(". Expected")[0]
    weights = pd.Series({t: float(w) / 100 for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", held)})
    days = RETURNS.loc["2019-01-01":].index
    daily = RETURNS.loc[days, list(weights.index)] @ weights  # rebalanced daily
    series = {"the portfolio": daily, INDEX_NAME: INDEX.reindex(days).dropna()}
    volatility = {n: 100 * r.std(ddof=1) * np.sqrt(252) for n, r in series.items()}
    deepest = {n: 100 * deepest_fall((1 + r).cumprod()) for n, r in series.items()}
    for words, values in (("volatility", volatility), ("maximum drawdown", deepest)):
        line = re.search(rf"By {words}, highest first: (.+?) \(highest", compared)
        assert line is not None, compared
        shown = dict(item.rsplit(" ", 1) for item in line.group(1).split(", "))
        if abs(values["the portfolio"] - values[INDEX_NAME]) > 0.3:  # weights shown to 0.1%
            assert list(shown) == sorted(values, key=lambda n: -values[n]), compared
        for name, value in values.items():
            assert abs(float(shown[name].rstrip("%")) - value) <= 0.3, (name, value, compared)
    assert "market is in a" not in compared, compared


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=st.sampled_from(["is it", "was it", "is my portfolio", "was the portfolio",
                             "is this portfolio", "is our portfolio", "Is this allocation",
                             "is this mix", "was our allocation", "is my current mix"]),
    comparison=st.sampled_from(["riskier than", "safer than", "more volatile than"]),
    index=st.sampled_from(["the market", "the S&P 500", "the s&p500"]),
    year=st.none() | st.integers(2010, 2021),
)  # fmt: skip
def test_one_portfolio_beside_the_index_with_none_in_the_conversation_asks_which(
    offline_data_dir: Path, subject: str, comparison: str, index: str, year: int | None
) -> None:
    """ "Is it riskier than the market?" as a thread's first message: it has no portfolio yet,
    so the reply asks which, and nothing is computed (it ranked every stock before)."""
    ask = f"{subject} {comparison} {index}" + (f" in {year}" if year else "") + "?"
    reply = answer_in_new_thread(ask)
    assert reply.startswith("Which portfolio or stocks?"), (ask, reply)
    assert reply.endswith("Nothing was computed."), (ask, reply)
    assert "%" not in reply.split("(")[0] and "By volatility" not in reply, (ask, reply)


def test_every_stock_ranked_against_the_market_has_the_index_among_them(
    offline_data_dir: Path,
) -> None:
    """'Which stocks were more volatile than the S&P 500 in 2022?': the index has its place in
    the order of all 20, so the stocks above it are the answer."""
    reply = answer_in_new_thread("which stocks were more volatile than the s&p 500 in 2022?")
    series = _expected(list(RETURNS.columns), 2022)
    volatility = {n: r.std(ddof=1) for n, r in series.items()}
    assert _order(reply, "volatility") == sorted(volatility, key=lambda n: -volatility[n]), reply
    market = answer_in_new_thread("which stock is most correlated with the market?")
    assert "Each pair's correlation is not shown" not in market, market


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(year=st.integers(2008, 2020), ask=st.sampled_from([
    "which stocks were safer than the market since {y}?",
    "which stocks are riskier than the s&p 500 since {y}?",
]))  # fmt: skip
def test_every_stock_against_the_index_is_grouped_by_both_measures(
    offline_data_dir: Path, year: int, ask: str
) -> None:
    """Each stock riskier than the index on both measures, safer on both, or one each way,
    from numpy's volatility and drawdown over the window."""
    reply = answer_in_new_thread(ask.format(y=year))
    days = RETURNS.loc[f"{year}-01-01" :].index
    index = INDEX.reindex(days).dropna()
    mine = (index.std(ddof=1), deepest_fall((1 + index).cumprod()))
    sides, groups = _grouped(reply, INDEX_NAME)
    assert sides[0] == ("safer" if "safer" in ask else "riskier"), reply  # the side asked first
    for ticker in RETURNS.columns:
        r = RETURNS.loc[days, ticker]
        theirs = (r.std(ddof=1), deepest_fall((1 + r).cumprod()))
        if any(abs(a - b) < 0.005 * max(a, b) for a, b in zip(theirs, mine, strict=True)):
            continue  # a near tie: either group may hold it
        group = (
            "riskier"
            if theirs[0] > mine[0] and theirs[1] > mine[1]
            else "safer"
            if theirs[0] < mine[0] and theirs[1] < mine[1]
            else "mixed"
        )
        assert ticker in groups[group], (ticker, group, reply)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pivot=st.sampled_from(["KO", "AAPL", "XOM", "JNJ", "PG"]),
    year=st.integers(2010, 2021),
    ask=st.sampled_from([
        "which stocks were more volatile than {p} in {y}?",
        "which stocks were riskier than {p} in {y}?",
        "which names were safer than {p} in {y}?",
    ]),
)  # fmt: skip
def test_every_stock_is_ranked_beside_a_stock_named_after_than(
    offline_data_dir: Path, pivot: str, year: int, ask: str
) -> None:
    """ "Which stocks were more volatile than KO in 2022?": every stock in order with KO among
    them (it was KO's own volatility alone); for risk, each grouped against KO by volatility and
    maximum drawdown both, against numpy."""
    reply = answer_in_new_thread(ask.format(p=pivot, y=year))
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    volatility = window.std(ddof=1)
    order = _order(reply, "volatility")
    assert sorted(order) == sorted(RETURNS.columns), reply  # every stock, the pivot among them
    for higher, lower in itertools.pairwise(order):  # in numpy's order (ties in either)
        assert volatility[higher] >= volatility[lower] * (1 - 1e-3), (higher, lower, reply)
    if "volatile" in ask:
        return
    deepest = {t: deepest_fall((1 + window[t]).cumprod()) for t in window.columns}
    riskier, safer = [], []
    for ticker in window.columns.drop(pivot):
        pairs = ((volatility[ticker], volatility[pivot]), (deepest[ticker], deepest[pivot]))
        if any(abs(a - b) < 0.005 * max(a, b) for a, b in pairs):
            continue  # a near tie: either group may hold it
        if all(a > b for a, b in pairs):
            riskier.append(ticker)
        elif all(a < b for a, b in pairs):
            safer.append(ticker)
    sides, groups = _grouped(reply, pivot)
    assert sides[0] == ("safer" if "safer" in ask else "riskier"), reply  # the side asked first
    assert set(riskier) <= set(groups["riskier"]), (riskier, reply)
    assert set(safer) <= set(groups["safer"]), (safer, reply)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pivot=st.sampled_from(["KO", "JNJ", "PG"]),
    subject=st.sampled_from(["tech", "energy", "banks", ("AAPL", "MSFT"), ("AMD", "XOM", "GE")]),
    year=st.integers(2010, 2021),
    comparison=st.sampled_from(["riskier", "safer", "more volatile"]),
    sector_after=st.booleans(),
)  # fmt: skip
def test_the_stocks_named_or_a_sector_s_are_ranked_beside_the_stock_after_than(
    offline_data_dir: Path,
    pivot: str,
    subject: str | tuple[str, ...],
    year: int,
    comparison: str,
    sector_after: bool,
) -> None:
    """ "Were AAPL and MSFT riskier than KO?", "which tech stocks were riskier than KO?", "which
    stocks were riskier than KO in tech?": those stocks with KO among them, in order, grouped
    against KO for risk (the named ones were ranked with no word of KO, or read apart when asked
    "more volatile than"; the sector was dropped for every stock)."""
    if isinstance(subject, tuple):
        ask, names = f"were {' and '.join(subject)} {comparison} than {pivot} in {year}?", subject
    else:
        ask = (
            f"which stocks were {comparison} than {pivot} in {subject} in {year}?"
            if sector_after
            else f"which {subject} stocks were {comparison} than {pivot} in {year}?"
        )
        names = tuple(t for t in sector_tickers([subject]) if t in RETURNS.columns)
    reply = answer_in_new_thread(ask)
    order = _order(reply, "volatility")
    assert sorted(order) == sorted({*names, pivot}), (ask, reply)
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    volatility = window.std(ddof=1)
    for higher, lower in itertools.pairwise(order):  # in numpy's order (ties in either)
        assert volatility[higher] >= volatility[lower] * (1 - 1e-3), (higher, lower, reply)
    if comparison == "more volatile":
        return
    deepest = {t: deepest_fall((1 + window[t]).cumprod()) for t in names}
    deepest[pivot] = deepest_fall((1 + window[pivot]).cumprod())
    riskier = [
        t for t in names
        if volatility[t] > volatility[pivot] * 1.005 and deepest[t] > deepest[pivot] * 1.005
    ]  # fmt: skip
    safer = [
        t for t in names
        if volatility[t] < volatility[pivot] / 1.005 and deepest[t] < deepest[pivot] / 1.005
    ]  # fmt: skip
    sides, groups = _grouped(reply, pivot)
    assert sides[0] == comparison, reply  # the side asked first, said to hold none if so
    assert set(riskier) <= set(groups["riskier"]) and set(safer) <= set(groups["safer"]), reply


def test_the_neighbours_of_a_ranking_beside_a_stock_keep_their_reading(
    offline_data_dir: Path,
) -> None:
    """A reviewer's regressions: names listed after "than" are the ones asked of; an exclusion
    leaves its stock out of the ranking beside KO; a question after a ranking ("was that a bad
    year?") keeps every stock; "my portfolio" with none in the conversation asks which; company
    names are ranked beside the company after "than" as its ticker would be."""
    three = answer_in_new_thread("which stock is riskier than KO, AAPL or MSFT?")
    assert sorted(_order(three, "volatility")) == ["AAPL", "KO", "MSFT"], three
    excluded = answer_in_new_thread("which stocks were riskier than KO in 2022, excluding XOM?")
    assert sorted(_order(excluded, "volatility")) == sorted(RETURNS.columns.drop("XOM")), excluded
    ranked = answer_in_new_thread("rank the stocks by volatility in 2022 - was that a bad year?")
    assert sorted(_order(ranked, "volatility")) == sorted(RETURNS.columns), ranked
    which = answer_in_new_thread("which is riskier, my portfolio or the market?")
    assert which.startswith("Which portfolio or stocks?"), which
    named = answer_in_new_thread("were Apple and Microsoft riskier than Coca-Cola in 2022?")
    assert sorted(_order(named, "volatility")) == ["AAPL", "KO", "MSFT"], named
    year = RETURNS.loc["2022"]
    risks = {t: (year[t].std(ddof=1), deepest_fall((1 + year[t]).cumprod())) for t in year}
    riskier = [t for t in ("AAPL", "MSFT") if min(np.subtract(risks[t], risks["KO"])) > 0]
    assert riskier and _grouped(named, "KO")[1]["riskier"] == riskier, named


def test_a_ranking_asked_after_one_stock_ranks_every_stock(offline_data_dir: Path) -> None:
    """ "Which stocks were safer than the market in 2022?" after a question of AMD alone ranks
    every stock (it ranked AMD against the index again: one stock is no ranking), safer first;
    after a build, "which stock was the most volatile?" still ranks the portfolio's stocks, and
    "its worst day" after one stock is that stock's; riskier asked first is said first, and of
    two names none safer is "neither"."""
    replies = answers_in_one_thread(
        "is AMD riskier than the market?", "which stocks were safer than the market in 2022?"
    )
    assert sorted(_order(replies[1], "volatility")) == sorted([*RETURNS.columns, INDEX_NAME])
    sides, groups = _grouped(replies[1], INDEX_NAME)
    assert sides[0] == "safer" and "KO" in groups["safer"], replies[1]
    built = answers_in_one_thread(
        "build a min vol portfolio of AAPL, MSFT and KO", "which stock was the most volatile?"
    )
    assert sorted(_order(built[1], "volatility")) == ["AAPL", "KO", "MSFT"], built[1]
    its = answers_in_one_thread("how did AAPL do in 2022?", "what was its worst day?")[1]
    assert "AAPL: worst day 2022-" in its and "AMD" not in its, its  # "its" is still AAPL
    both = answer_in_new_thread("which stocks were riskier and which were safer than KO in 2022?")
    assert _grouped(both, "KO")[0][0] == "riskier", both  # the side asked first
    two = answer_in_new_thread("were AAPL and MSFT safer than KO in 2022?")  # both riskier in 2022
    assert "Neither was safer than KO on both measures; riskier on both: AAPL, MSFT" in two, two


@SETTINGS
@given(
    pivot=st.sampled_from(["AMD", "KO", "XOM", "JNJ", "MSFT"]),
    year=st.integers(2018, 2022),
    first=st.sampled_from([
        "how volatile was {p} in {y}?", "what was {p}'s max drawdown in {y}?",
        "how did {p} do in {y}?",
    ]),
    then=st.sampled_from([
        "which names were calmer than it?", "were any stocks steadier than that stock?",
        "which stocks were riskier than it?", "which stocks were safer than {p}?",
        "which stock was the most volatile?", "which names were choppier than this one?",
    ]),
)  # fmt: skip
def test_a_ranking_after_a_question_of_one_stock_is_beside_it_over_its_window(
    offline_data_dir: Path, pivot: str, year: int, first: str, then: str
) -> None:
    """ "How volatile was AMD in 2022?" then "which names were calmer than it?": every stock
    ranked beside AMD ("it", "that stock", "this one") over 2022, the window of the question
    before, which names none of its own (it measured AMD alone again, over every year); calmer
    and steadier ask for the safer side first, choppier for the riskier; in numpy's order."""
    reply = answers_in_one_thread(first.format(p=pivot, y=year), then.format(p=pivot))[1]
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    assert f"from {window.index[0]:%Y-%m-%d} to {window.index[-1]:%Y-%m-%d}" in reply, reply
    order = _order(reply, "volatility")
    assert sorted(order) == sorted(RETURNS.columns), reply  # every stock, the pivot among them
    volatility = window.std(ddof=1)
    for higher, lower in itertools.pairwise(order):
        assert volatility[higher] >= volatility[lower] * (1 - 1e-3), (higher, lower, reply)
    if "than" in then:
        sides, groups = _grouped(reply, pivot)
        asked = "riskier" if re.search(r"riskier|choppier", then) else "safer"
        assert sides[0] == asked, reply  # the side asked first
        calmer = [t for t in window.columns.drop(pivot)
                  if volatility[t] < volatility[pivot] * 0.995
                  and deepest_fall((1 + window[t]).cumprod())
                  < deepest_fall((1 + window[pivot]).cumprod()) * 0.995]  # fmt: skip
        assert set(calmer) <= set(groups["safer"]), (calmer, reply)


def test_a_ranking_of_other_stocks_or_over_every_year_keeps_its_own_window(
    offline_data_dir: Path,
) -> None:
    """A reviewer's regressions: after a question of AMD in 2022, a ranking naming other stocks
    ("is AAPL riskier than MSFT?", "... than KO?") or the whole period is over the window it
    gets in a new thread, not 2022; "than it" in a message naming a stock is not AMD ("KO in
    2020: which stocks were riskier than it?" set KO beside AMD)."""
    asks = (
        "which stock was the most volatile over the whole period?",
        "is AAPL riskier than MSFT?",
        "which stocks were riskier than KO?",
    )
    replies = answers_in_one_thread(
        "how volatile was AMD in 2022?", *asks, "KO in 2020: which stocks were riskier than it?"
    )
    window = re.compile(r"from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d")
    for ask, reply in zip(asks, replies[1:4], strict=True):
        alone = answer_in_new_thread(ask)
        assert window.findall(reply)[:1] == window.findall(alone)[:1] != [], (reply, alone)
        assert "2022-01-03 to 2022-12-28" not in reply, reply
    assert sorted(_order(replies[3], "volatility")) == sorted(RETURNS.columns), replies[3]
    assert "AMD" not in replies[4] and "KO" in replies[4], replies[4]  # "it" is not AMD there


@SETTINGS
@given(
    pivot=st.sampled_from(["KO", "AAPL", "XOM", "JNJ", "PG", "MSFT"]),
    year=st.integers(2010, 2022),
    ask=st.sampled_from([
        "which stocks held up better than {p} in {y}?",
        "which names returned more than {p} in {y}?",
        "which stocks had a higher total return than {p} in {y}?",
        "which stocks did better than {p} in {y}?", "which stocks outperformed {p} in {y}?",
        "which names lagged {p} in {y}?",
    ]),
)  # fmt: skip
def test_a_ranking_by_return_beside_a_stock_says_which_were_above_it(
    offline_data_dir: Path, pivot: str, year: int, ask: str
) -> None:
    """ "Which stocks held up better than Coca-Cola in 2022?": those with a higher total return
    than KO's and those with a lower one, then every stock in order (it gave the order alone,
    leaving the reader to find KO in it; "did better than", "outperformed" and "lagged" gave KO
    alone); against numpy's compounded returns."""
    reply = answer_in_new_thread(ask.format(p=pivot, y=year))
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    total = (1 + window).prod() - 1
    said = re.search(
        rf"A higher total return than {pivot} \(([-\d.]+)%\): ([^;]+); lower: ([^.]+)\.", reply
    )
    assert said is not None, reply
    assert float(said.group(1)) == pytest.approx(total[pivot] * 100, abs=0.051), reply
    higher, lower = ([n for n in group.split(", ") if n != "none"] for group in said.groups()[1:])
    assert sorted([*higher, *lower, pivot]) == sorted(RETURNS.columns), reply
    margin = 1e-3
    assert all(total[n] > total[pivot] - margin for n in higher), (higher, reply)
    assert all(total[n] < total[pivot] + margin for n in lower), (lower, reply)
    assert higher == sorted(higher, key=lambda n: -total[n]), reply  # highest first


TICKERS = sorted(RETURNS.columns)
SHOWN = 0.056
"""How far a percentage in a reply may be from numpy's, in points: the tool gives a return to
4 decimals and the reply shows it to 1 (14.152 % is given as 0.1415 and shown as 14.1 %)."""


def _assert_head_to_head(reply: str, first: tuple[str, float], second: tuple[str, float]) -> None:
    """The reply says the first name's total return is above or below the second's (name,
    numpy's total return as a fraction), with both values."""
    said = re.search(
        rf"{re.escape(first[0])} had (a higher|a lower|the same) total return than "
        rf"{re.escape(second[0])}: ([-\d.]+)% against ([-\d.]+)%\.",
        reply,
    )
    assert said is not None, reply
    assert float(said.group(2)) == pytest.approx(first[1] * 100, abs=SHOWN), reply
    assert float(said.group(3)) == pytest.approx(second[1] * 100, abs=SHOWN), reply
    if abs(first[1] - second[1]) > 1e-3:
        assert said.group(1) == ("a higher" if first[1] > second[1] else "a lower"), reply


@SETTINGS
@given(
    pair=st.lists(st.sampled_from(TICKERS), min_size=2, max_size=2, unique=True),
    year=st.integers(2010, 2022),
    ask=st.sampled_from([
        "did {a} beat {b} in {y}?", "did {a} outperform {b} in {y}?",
        "did {a} underperform {b} in {y}?", "did {a} lag {b} in {y}?",
        "has {a} trailed {b} in {y}?",
        "did {a} do better than {b} in {y}?", "did {a} do worse than {b} in {y}?",
        "has {a} done better than {b} in {y}?", "how did {a} do against {b} in {y}?",
        "how did {a} perform vs {b} in {y}?",
    ]),
)  # fmt: skip
def test_did_one_stock_beat_another_says_which_had_the_higher_total_return(
    offline_data_dir: Path, pair: list[str], year: int, ask: str
) -> None:
    """ "Did AAPL beat KO in 2022?": the first stock's total return beside the second's, higher
    or lower, then both in order (it gave a read of the market and their Sharpe ratios); against
    numpy's compounded returns over the year."""
    first, second = pair
    reply = answer_in_new_thread(ask.format(a=first, b=second, y=year))
    total = (1 + RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]).prod() - 1
    _assert_head_to_head(reply, (first, total[first]), (second, total[second]))
    assert sorted(_order(reply, "total return")) == sorted(pair), reply


@SETTINGS
@given(
    stock=st.sampled_from(TICKERS),
    year=st.integers(2010, 2022),
    ask=st.sampled_from([
        "did {s} beat the S&P 500 in {y}?", "did {s} underperform the market in {y}?",
        "did {s} lag the index in {y}?", "did {s} do better than the s&p 500 in {y}?",
        "which stocks beat the market in {y}?", "which stocks lagged the S&P 500 in {y}?",
        "how did {s} do against the S&P 500 in {y}?", "how did {s} perform relative to the market "
        "in {y}?",
    ]),
)  # fmt: skip
def test_did_a_stock_beat_the_index_says_it_beside_the_index_s_total_return(
    offline_data_dir: Path, stock: str, year: int, ask: str
) -> None:
    """ "Did MSFT underperform the S&P 500 in 2022?" says MSFT's total return was lower than the
    index's, with both; "which stocks beat the market in 2022?" names those above the index and
    those below (it gave the order and the index's line, leaving the reader to compare them);
    "how did MSFT do against the S&P 500 in 2022?" too, its year the window, not an episode
    the reply said it did not use; against numpy's compounded returns, the index's over the
    stocks' days."""
    reply = answer_in_new_thread(ask.format(s=stock, y=year))
    assert "Not used" not in reply, reply
    window = RETURNS.loc[f"{year}-01-01" : f"{year}-12-31"]
    total = (1 + window).prod() - 1
    index = float((1 + INDEX.reindex(window.index).dropna()).prod() - 1)
    if "{s}" not in ask:
        said = re.search(
            rf"A higher total return than {INDEX_NAME} \(([-\d.]+)%\): ([^;]+); lower: ([^.]+)\.",
            reply,
        )
        assert said is not None, reply
        assert float(said.group(1)) == pytest.approx(index * 100, abs=SHOWN), reply
        higher, lower = ([n for n in g.split(", ") if n != "none"] for g in said.groups()[1:])
        assert sorted([*higher, *lower]) == TICKERS, reply
        assert all(total[n] > index - 1e-3 for n in higher), (higher, reply)
        assert all(total[n] < index + 1e-3 for n in lower), (lower, reply)
        return
    _assert_head_to_head(reply, (stock, total[stock]), (INDEX_NAME, index))


@pytest.mark.parametrize(
    "ask",
    [
        "how would my portfolio do against KO in a 2008 crash?",
        "how would it perform against the 2008 crisis?",
    ],
)
def test_how_a_portfolio_would_do_against_a_crisis_is_its_replay(
    offline_data_dir: Path, ask: str
) -> None:
    """ "How would my portfolio do against KO in a 2008 crash?" after a build replays the crisis
    (it compared the portfolio's and KO's annualised returns since 2008 and said it had not used
    the crash); only how one did against another ("how did MSFT do against the S&P 500?") sets
    two returns side by side."""
    reply = answers_in_one_thread("build me an HRP portfolio of AAPL, MSFT and JNJ", ask)[-1]
    assert "The 2008 financial crisis (2007-10-09 to 2009-03-09), replayed" in reply, reply
    assert "return than" not in reply and "Not used" not in reply, reply


@SETTINGS
@given(
    ask=st.sampled_from(("how does {s} compare to the S&P in {y}?", "compare {s} to the market in {y}",
                         "how did {s} stack up against the index in {y}?")),
    ticker=st.sampled_from(["AMD", "AAPL", "KO", "XOM", "JNJ"]), year=st.integers(2008, 2022),
)  # fmt: skip
def test_a_stock_compared_to_the_index_is_its_return_beside_the_index_s(
    offline_data_dir: Path, ask: str, ticker: str, year: int
) -> None:
    """ "How does AAPL compare to the S&P in 2022?" (before: a market read of AAPL, the index's
    own figures not given)."""
    reply = answer_in_new_thread(ask.format(s=ticker, y=year))
    series = _expected([ticker], year)
    ours, theirs = ((1 + series[n]).prod() - 1 for n in (ticker, INDEX_NAME))
    side = "higher" if ours > theirs else "lower"
    said = re.search(rf"{ticker} had a {side} total return than the S&P 500 index: "
                     r"(-?[\d.]+)% against (-?[\d.]+)%", reply)  # fmt: skip
    assert said is not None, (reply, ours, theirs)
    assert abs(float(said[1]) / 100 - ours) < 0.0006 * (1 + abs(ours)), reply
    assert abs(float(said[2]) / 100 - theirs) < 0.0006, reply
    assert "market is in a" not in reply, reply


DRAWDOWN_ASKS = (
    "what's the max drawdown of {s} vs the market{y}?",
    "what's the volatility and max drawdown of {s} against the index{y}?",
    "how deep was the drawdown of {s} compared with the S&P 500{y}?",
    "max drawdown and volatility of {s} versus the s&p 500{y}",
)


@SETTINGS
@given(
    ask=st.sampled_from(DRAWDOWN_ASKS),
    tickers=st.lists(
        st.sampled_from(["AMD", "AAPL", "KO", "XOM", "JNJ"]), min_size=1, max_size=2, unique=True
    ),
    weighted=st.booleans(),
    year=st.none() | st.integers(2008, 2022),
)
@example(ask=DRAWDOWN_ASKS[1], tickers=["AAPL"], weighted=False, year=None)
@example(ask=DRAWDOWN_ASKS[3], tickers=["AAPL", "KO"], weighted=True, year=2020)
def test_a_drawdown_asked_against_the_index_sets_the_index_beside_it(
    offline_data_dir: Path, ask: str, tickers: list[str], weighted: bool, year: int | None
) -> None:
    """A maximum drawdown asked of stocks, or of weights given, against the index is ranked with
    the index's (before: the drawdown was left out beside a volatility, or the index was left out
    of a risk report of the names alone, with nothing said of either)."""
    weights = dict(zip(tickers, (60, 40) if len(tickers) == 2 else (100,), strict=True))
    subject = (
        " ".join(f"{w}% {t}" for t, w in weights.items()) if weighted else " and ".join(tickers)
    )
    text = ask.format(s=subject, y=f" in {year}" if year else "")
    reply = answer_in_new_thread(text)
    series = _expected(tickers, year)
    if weighted:
        held = pd.DataFrame({t: series.pop(t) for t in tickers}) @ pd.Series(weights) / 100
        series = {"the portfolio": held, INDEX_NAME: series[INDEX_NAME]}
    deepest = {n: 100 * deepest_fall((1 + r).cumprod()) for n, r in series.items()}
    line = re.search(r"By maximum drawdown, highest first: (.+?) \(highest", reply)
    assert line is not None, (text, reply)
    shown = dict(item.rsplit(" ", 1) for item in line.group(1).split(", "))
    assert set(shown) == set(deepest), (text, reply)
    for name, value in deepest.items():  # one decimal of the tool's four significant digits
        assert abs(float(shown[name].rstrip("%")) - value) <= 0.0551, (name, value, text, reply)
    assert ("By volatility, highest first" in reply) == ("volatility" in ask), (text, reply)
    assert "VaR" not in reply and "Not used" not in reply, (text, reply)
