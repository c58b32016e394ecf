"""Each calendar year's return ("returns of LLY by year", "how did KO and PEP do each year since
2015?", "XOM's yearly returns to June 2022", "which bank did best each year?"): the offline chat
answers with every year of the window, a year cut by the window's edge marked with the sessions
it counts, the index's years beside them, and, for a ranking, each year's highest and lowest
name. The years are checked against the closes of the embedded market data (numpy)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents.offline.intent.measures import measures_named
from agents.offline.intent.targets import sector_tickers
from agents.offline.intent.trading_terms import cadence_named
from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answer_in_new_thread

PRICES = load_sp500_prices()
RETURNS_OF = to_returns(PRICES)
ASKS = (
    "returns of {s} by year from {a} to {b}",
    "how did {s} do each year between {a} and {b}?",
    "show me {s} yearly returns from {a} to {b}",
    "{s} year by year performance, {a} to {b}",
    "calendar year returns of {s} from {a} through {b}",
    "annual returns of {s} from {a} to {b}",
    "what were {s} annual returns between {a} and {b}?",
    "{s} returns per year {a}-{b}",
    "what were the anual returns of {s} from {a} to {b}?",  # misspelt
)
SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _years(reply: str, name: str) -> dict[int, float]:
    """The years an answer gives `name` (percent, one decimal)."""
    line = re.search(
        rf"{re.escape(name)}: [^\n]*?by calendar year "
        r"((?:(?:19|20)\d\d -?\d+\.\d%(?: \([^)]*\))?(?:, )?)+)",
        reply,
    )
    assert line is not None, reply
    found = re.findall(r"((?:19|20)\d\d) (-?\d+\.\d)%", line.group(1))
    return {int(year): float(value) for year, value in found}


def _expected(ticker: str, first: int, last: int) -> dict[int, float]:
    """Each year's return from the closes: the last close of the year over the last close of
    the year before (the window starts at the close before its first session)."""
    closes = PRICES[ticker].loc[f"{first - 1}-01-01" : f"{last}-12-31"].dropna()
    last_close = closes.groupby(closes.index.year).last()
    return {
        year: 100 * (last_close[year] / last_close[year - 1] - 1)
        for year in range(first, last + 1)
        if year in last_close and year - 1 in last_close
    }


@SETTINGS
@given(
    ask=st.sampled_from(ASKS),
    tickers=st.lists(
        st.sampled_from(["AAPL", "KO", "LLY", "XOM", "JPM"]), min_size=1, max_size=3, unique=True
    ),
    first=st.integers(2001, 2020),
    span=st.integers(1, 4),
)
@example(ask=ASKS[-1], tickers=["KO"], first=2015, span=3)  # "anual": a misspelling repaired
def test_each_calendar_year_s_return_is_the_year_s_closes(
    offline_data_dir: Path, ask: str, tickers: list[str], first: int, span: int
) -> None:
    last = min(first + span, 2021)
    subject = " and ".join(tickers)
    reply = answer_in_new_thread(ask.format(s=subject, a=first, b=last))
    for ticker in tickers:
        got = _years(reply, ticker)
        expected = _expected(ticker, first, last)
        assert got.keys() == expected.keys(), (reply, expected)
        for year, value in expected.items():
            # one decimal of the tool's four significant digits: two roundings
            assert abs(got[year] - value) <= 0.06, (ticker, year, reply)
        if len(expected) > 2:  # the window's years are whole
            best, worst = max(expected, key=expected.get), min(expected, key=expected.get)
            said = rf"{ticker}: [^\n]*?; best year {best} \(-?[\d.]+%\), worst {worst} "
            assert re.search(said, reply), (ticker, reply)
    assert "The S&P 500 index: " in reply and "Not used" not in reply, reply


def test_a_year_cut_by_the_window_says_what_it_counts(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("XOM's yearly returns from 2019 to june 2022")
    assert list(_years(reply, "XOM")) == [2019, 2020, 2021, 2022], reply
    assert not re.search(r"XOM: [^\n]*?2019 -?[\d.]+% \(", reply), reply  # a whole year
    closes = PRICES["XOM"]
    cut = closes.loc["2022-06-30"] / closes.loc[:"2021-12-31"].iloc[-1] - 1
    assert f"2022 {100 * cut:.1f}% (2022-01-03 to 2022-06-30 only)" in reply, reply
    late = answer_in_new_thread("KO's returns by year from march 2021")
    cut = (
        r"KO: [^\n]*?2021 -?[\d.]+% \(2021-03-01 to 2021-12-31 only\), 2022 -?[\d.]+% \(2022-01-03"
    )
    assert re.search(cut, late), late  # and 2022 where the data ends


def test_which_name_did_best_each_year_names_each_year_s_ends(offline_data_dir: Path) -> None:
    reply = answer_in_new_thread("which bank did best each year from 2015 to 2021?")
    banks = sector_tickers(["banks"])
    line = re.search(r"Each calendar year's highest return: (.+?)\.(?: |$)", reply)
    assert line is not None, reply
    said = re.findall(r"(\d{4}) ([A-Z]+) -?[\d.]+% \(lowest ([A-Z]+)", line.group(1))
    yearly = pd.DataFrame({t: _expected(t, 2015, 2021) for t in banks})
    assert [(int(y), hi, lo) for y, hi, lo in said] == [
        (year, row.idxmax(), row.idxmin()) for year, row in yearly.iterrows()
    ]


def test_a_cadence_said_with_each_year_is_not_the_years_asked() -> None:
    for text in (
        "backtest 60/40 AAPL KO rebalanced every year",
        "what if I invest $1,000 each year in KO",
        "rebalance the portfolio once each year",
    ):
        assert "by_year" not in measures_named(text.lower()), text
    assert "by_year" in measures_named("how did ko do in each year since 2010?")
    assert "by_year" not in measures_named("how did ko do this year to date?")


def test_given_weights_each_year_are_the_portfolio_s_rebalanced_daily(
    offline_data_dir: Path,
) -> None:
    reply = answer_in_new_thread("how did 60% AAPL 40% KO do each year since 2019?")
    line = re.search(
        r"the portfolio \(AAPL 60\.0%, KO 40\.0%\) [^;]*; by calendar year ([^.]+\.\d%(?:, [^,.]+\.\d%)*)",
        reply,
    )
    assert line is not None, reply
    got = {int(y): float(v) for y, v in re.findall(r"(\d{4}) (-?\d+\.\d)%", line.group(1))}
    daily = RETURNS_OF["AAPL"] * 0.6 + RETURNS_OF["KO"] * 0.4
    daily = daily.loc["2019-01-01":]
    expected = (1 + daily).groupby(daily.index.year).prod() - 1
    assert got.keys() == set(expected.index), reply
    for year, value in expected.items():
        assert abs(got[year] - 100 * value) <= 0.06, (year, reply)
    assert "rebalanced annually" not in reply, reply  # "each year" is no cadence


def test_the_returns_of_each_period_name_no_cadence() -> None:
    for text in ("how did it do each year", "show me the yearly returns", "monthly returns of KO",
                 "returns for every quarter"):  # fmt: skip
        assert cadence_named(text) is None, text
    for text, cadence in (("rebalance yearly", "annually"), ("rebalanced every year", "annually"),
                          ("monthly rebalancing", "monthly")):  # fmt: skip
        assert cadence_named(text) == cadence, text


def test_which_sector_did_best_each_year_ranks_the_sectors_each_year(
    offline_data_dir: Path,
) -> None:
    from quant.classification import classify

    reply = answer_in_new_thread("which sector did best each year since 2019?")
    line = re.search(r"Each calendar year's highest return: (.+?)\. The sectors'", reply)
    assert line is not None, reply
    said = re.findall(
        r"(\d{4}) ([A-Z][A-Za-z ]+?) -?[\d.]+% \(lowest ([A-Z][A-Za-z ]+?) -?[\d.]", line.group(1)
    )
    window = RETURNS_OF.loc["2019-01-01":]
    sectors: dict[str, list[str]] = {}
    for ticker in window.columns:
        sectors.setdefault(classify(ticker).sector, []).append(ticker)  # type: ignore[union-attr]
    held = pd.DataFrame({s.title(): window[m].mean(axis=1) for s, m in sectors.items()})
    yearly = (1 + held).groupby(held.index.year).prod() - 1
    assert [(int(y), hi, lo) for y, hi, lo in said] == [
        (year, row.idxmax(), row.idxmin()) for year, row in yearly.iterrows()
    ], reply


def test_the_index_s_years_are_over_the_days_it_has() -> None:
    """An index that lacks a day of the window: its years are compounded over the days it has,
    the stocks' over theirs."""
    from quant import load_sp500_index
    from tools.context import ToolContext
    from tools.market_frames import FrameMarketData
    from tools.statistics import StatisticsArgs, asset_statistics

    index = load_sp500_index().pct_change().dropna()
    gappy = index.drop(pd.Timestamp("2021-06-01"))
    context = ToolContext(data=FrameMarketData(RETURNS_OF, gappy))
    args = StatisticsArgs(universe=["KO"], start="2021-01-01", end="2021-12-31", by_year=True)
    data = asset_statistics(context, args)
    [year] = data["index"]["calendar_years"]
    expected = (1 + gappy.loc["2021"]).prod() - 1
    assert abs(year["return"] - expected) <= 5e-4 * abs(expected) and not year["cut"]
    [ko] = data["assets"]["KO"]["calendar_years"]
    assert abs(ko["return"] - ((1 + RETURNS_OF["KO"].loc["2021"]).prod() - 1)) <= 5e-4


def test_words_near_by_year_that_ask_no_years() -> None:
    assert "by_year" not in measures_named("what will ko return by year end?")
    assert "by_year" not in measures_named("monthly returns of ko in each of the last 3 months")
    assert "by_year" in measures_named("annual returns of aapl in each of the last 5 years")
    assert "by_year" in measures_named("what were ko's best and worst years since 2010?")
    assert "by_year" in measures_named("what was xom's worst year since 2000?")
    assert "by_year" in measures_named("how did an investment in ko do each year since 2016?")
    assert "by_year" not in measures_named("what if i invest $1,000 each year in ko")
    for annualised in ("expected", "average", "mean", "typical"):  # one figure a year
        assert "by_year" not in measures_named(f"what are the {annualised} annual returns of ko")
    assert "by_year" not in measures_named("what's ko's annual return?")
    assert "by_year" not in measures_named("what's ko's return per year?")


def test_the_data_s_last_year_is_cut_where_the_data_ends(offline_data_dir: Path) -> None:
    """The market data ends on 2022-12-28, before 2022's last sessions: 2022 is a part year,
    and when it is the best or the worst year it is named so, with its sessions (the S&P 500's
    2022, -20%, is its worst year since 2019)."""
    reply = answer_in_new_thread("how did KO do each year since 2019?")
    assert re.search(r"KO: [^\n]*?2022 -?[\d.]+% \(2022-01-03 to 2022-12-28 only\)", reply), reply
    closes = PRICES["KO"]
    yearly = _expected("KO", 2019, 2021)
    yearly[2022] = 100 * (closes.iloc[-1] / closes.loc[:"2021-12-31"].iloc[-1] - 1)
    best, worst = max(yearly, key=yearly.__getitem__), min(yearly, key=yearly.__getitem__)
    named = {year: rf"{year} \(-?[\d.]+%(?:, 2022-01-03 to 2022-12-28 only)?\)" for year in yearly}
    assert re.search(rf"KO: [^\n]*?; best year {named[best]}, worst {named[worst]}", reply), reply
    index = re.search(r"The S&P 500 index: [^\n]*?, worst 2022 \((-\d+\.\d)%, 2022-01-03", reply)
    assert index is not None and float(index.group(1)) < -19, reply
