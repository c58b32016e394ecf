"""The offline model's readers of what a portfolio manager writes (issue 34), each on families of
phrasings rather than one wording: limits on every weight, on named assets and on sectors;
negations and benchmarks; the one window reader; weights given; swaps; research asks; and how
a tool's number is written. Each family lists neighbouring messages the reader must leave alone.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from agents.offline.chat_intent import known_tickers, named_portfolios
from agents.offline.formats import percent
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.analysis import judged_measure, read_analysis
from agents.offline.intent.spelled import spelled_percentages
from quant.data import sp500_returns


def parse(text: str) -> Intent:
    return parse_intent(text, known_tickers())


@pytest.mark.parametrize(
    ("text", "cap", "floor"),
    [
        ("min vol of AAPL MSFT JPM XOM, weights capped at thirty percent", 0.3, None),
        ("min vol of AAPL MSFT JPM XOM with a 30% position limit", 0.3, None),
        ("min vol on KO PG JNJ XOM CVX, max 25% each", 0.25, None),
        ("min vol on KO PG JNJ XOM CVX max 25% each", 0.25, None),
        ("hrp on AAPL MSFT JPM XOM CVX, thirty percent max per stock", 0.3, None),
        ("low vol mix of aapl msft jpm xom, keep each position under 30pct", 0.3, None),
        ("lowest-risk allocation across KO PG PEP WMT, no name bigger than 30%", 0.3, None),
        ("max sharpe weights for LLY UNH HD WMT KO with nothing over 25%", 0.25, None),
        ("a min-vol book for KO PG PEP WMT JNJ where no single stock exceeds 25%", 0.25, None),
        ("hrp but only with KO PG PEP WMT, 40% max in a single name", 0.4, None),
        ("max sharpe on AAPL MSFT JNJ KO PG, capped at twenty-five per cent a name", 0.25, None),
        ("limit each one to 20% pls", 0.2, None),
        ("and if I cap each at 20%?", 0.2, None),
        ("cap them all at 15%", 0.15, None),
        ("keep everything under 25%", 0.25, None),
        ("min vol for all 20 stocks, each between 2% and 10%", 0.1, 0.02),
        ("risk parity on JPM BAC XOM CVX KO PG, every weight between 5 and 30 percent", 0.3, 0.05),
        ("max sharpe for all stocks, at least 1% and at most 12% per stock", 0.12, 0.01),
        (
            "max sharpe on six names, no position over 20 percent and at least 5 percent in each",
            0.2,
            0.05,
        ),
        ("min vol for KO PG PEP WMT JNJ with a 10% floor on each name", None, 0.1),
        ("min vol on AAPL MSFT JPM XOM, minimum 15% in every stock", None, 0.15),
        # the "%" left out before a limit on every weight
        ("min vol on AAPL MSFT JNJ KO, no more than 40 in any name", 0.4, None),
        ("a portfolio of healthcare stocks with max 40% in any one", 0.4, None),
        ("min vol of AAPL MSFT KO PG JNJ with no more than 25% in any single one", 0.25, None),
        ("hrp on AAPL MSFT JNJ KO, max 25 per stock, at least 5 each", 0.25, 0.05),
        # said alone as a clause of the build
        ("hrp on AAPL MSFT JPM XOM, max 25%", 0.25, None),
        ("min vol on AAPL MSFT JPM XOM, no more than 30% in the last 3 years", 0.3, None),
        ("min vol on AAPL MSFT JPM XOM, ceiling 40% per stock, floor 5%", 0.4, 0.05),
        ("min vol on AAPL MSFT JPM XOM, at least 5% in every stock, max 30%", 0.3, 0.05),
        # not a limit on every weight
        ("hrp on AAPL MSFT JPM XOM, max 25% drawdown", None, None),
        ("hrp on AAPL MSFT JPM XOM, max 25% in tech", None, None),
        ("min vol AAPL MSFT JPM XOM, at least 40% JPM and tech no more than 40%", None, None),
        ("keep drawdown no more than 25%", None, None),
        ("min vol of all stocks, energy capped at 10 percent", None, None),
        ("hrp on AAPL MSFT JNJ KO, max 2 per sector", None, None),
        ("min vol of all stocks with no more than 30% in any one sector", None, None),
    ],
)
def test_limits_on_every_weight(text: str, cap: float | None, floor: float | None) -> None:
    limits = parse(text).limits
    assert (limits.max_weight, limits.min_weight) == (cap, floor)


@pytest.mark.parametrize(
    ("text", "assets", "sectors"),
    [
        ("min vol AAPL MSFT JPM XOM, at least 40% JPM and tech no more than 40%",
         {"JPM": (0.4, 1.0)}, {"tech": (0.0, 0.4)}),
        ("max sharpe of AAPL MSFT KO PG JNJ with at least 25% KO", {"KO": (0.25, 1.0)}, {}),
        ("min vol for AAPL MSFT JPM XOM with no more than 15% XOM", {"XOM": (0.0, 0.15)}, {}),
        ("max sharpe on LLY UNH JNJ PFE MRK, cap LLY at 20%", {"LLY": (0.0, 0.2)}, {}),
        ("min vol on KO PG PEP WMT JNJ, keep Walmart under 10%", {"WMT": (0.0, 0.1)}, {}),
        ("min vol of AAPL MSFT JNJ KO PG with Apple at no more than 10 percent",
         {"AAPL": (0.0, 0.1)}, {}),
        ("min vol on JPM BAC XOM CVX KO, JPM and BAC at most 15% each",
         {"JPM": (0.0, 0.15), "BAC": (0.0, 0.15)}, {}),
        ("min vol on the staples with PG between 20% and 40%", {"PG": (0.2, 0.4)}, {}),
        ("max sharpe across the whole universe but keep financials under 15% and skip AMD",
         {}, {"financials": (0.0, 0.15)}),
        ("min vol of all stocks, energy capped at 10 percent", {}, {"energy": (0.0, 0.1)}),
        ("max sharpe on every stock with healthcare at least 25% and tech at most 20%",
         {}, {"healthcare": (0.25, 1.0), "tech": (0.0, 0.2)}),
        # a cap after the universe's list is on every weight, not on its last ticker
        ("min vol on KO PG PEP WMT capped at 25%", {}, {}),
        # shares in words and "then" for "than"
        ("min vol across all names with at most a fifth in tech", {}, {"tech": (0.0, 0.2)}),
        ("max sharpe of all stocks, tech no more then 25%", {}, {"tech": (0.0, 0.25)}),
        ("min vol of every stock, banks up to a quarter", {}, {"banks": (0.0, 0.25)}),
    ],
)  # fmt: skip
def test_limits_on_named_assets_and_sectors(
    text: str, assets: dict[str, Any], sectors: dict[str, Any]
) -> None:
    limits = parse(text).limits
    assert limits.asset_limits == assets
    assert limits.sector_limits == sectors


@pytest.mark.parametrize(
    ("text", "excluded", "tickers"),
    [
        ("max sharpe across the whole universe but keep financials under 15% and skip AMD",
         ("AMD",), ()),
        ("min vol for all names, banks no more than 8% and avoid RRC", ("RRC",), ()),
        ("max sharpe on AAPL MSFT JPM XOM KO PG but nothing in XOM", ("XOM",),
         ("AAPL", "MSFT", "JPM", "XOM", "KO", "PG")),
        ("max sharpe AAPL MSFT JPM XOM excluding XOM, benchmark SPY", ("XOM",),
         ("AAPL", "MSFT", "JPM", "XOM")),
        ("swap XOM for WMT", ("XOM",), ("WMT",)),
        ("replace XOM with WMT and rebuild", ("XOM",), ("WMT",)),
        ("take out JPM, put in BAC", ("JPM",), ("BAC",)),
        ("swap in JNJ for WMT and rerun", ("WMT",), ("JNJ",)),
        ("substitute MRK for PFE", ("PFE",), ("MRK",)),
        ("use WMT instead of XOM", ("XOM",), ("WMT",)),
        ("switch to risk parity for AAPL and KO", (), ("AAPL", "KO")),
        # "ex" without its hyphen
        ("max sharpe on AAPL MSFT AMD ex AMD", ("AMD",), ("AAPL", "MSFT", "AMD")),
        ("ex ante vol of AAPL and KO", (), ("AAPL", "KO")),
        # "cut" and "ditch" as a name taken out; "cut X to 10%" is a limit, "cut costs" no name
        ("cut XOM", ("XOM",), ()),
        ("ditch KO and PG", ("KO", "PG"), ()),
        ("cut XOM to 10%", (), ("XOM",)),
        ("cut XOM by half", (), ("XOM",)),
    ],
)  # fmt: skip
def test_exclusions_and_swaps(text: str, excluded: tuple[str, ...], tickers: tuple) -> None:
    intent = parse(text)
    assert intent.limits.excluded == excluded
    assert intent.tickers == tickers
    swapped = text.split()[0] in ("swap", "replace", "take", "substitute", "use")
    assert intent.adds == swapped
    if swapped:  # the thread's universe, less the ticker taken out, plus the one put in
        thread = ("AAPL", "XOM", "JPM", "PFE", "WMT")
        changed = [t for t in thread if t not in excluded]
        assert intent.universe(known_tickers(), thread) == [
            *changed,
            *(t for t in tickers if t not in changed),
        ]


@pytest.mark.parametrize(
    ("text", "kept", "unsupported"),
    [
        ("min vol AAPL MSFT over 2019-2021, long only, no leverage",
         ("long-only", "no leverage"), ()),
        ("hrp for JNJ KO PG PEP, no shorting and no margin", ("long-only", "no leverage"), ()),
        ("risk parity of KO PG PEP WMT without leverage or short positions",
         ("long-only", "no leverage"), ()),
        ("max sharpe of AAPL MSFT JNJ KO, unlevered and long-only", ("no leverage", "long-only"), ()),
        ("max sharpe of AAPL and KO with 1.5x leverage, allow shorts", (),
         ("leverage of 1.5x", "short positions")),
        ("max sharpe AAPL MSFT JPM excluding XOM, benchmark SPY", (), ("tracking spy",)),
        ("hrp on AAPL MSFT KO with SPY as the benchmark", (), ("tracking spy",)),
        ("risk parity of AAPL MSFT JNJ KO relative to the S&P 500", (), ("tracking s&p 500",)),
    ],
)  # fmt: skip
def test_negations_are_kept_and_what_cannot_be_is_said(
    text: str, kept: tuple[str, ...], unsupported: tuple[str, ...]
) -> None:
    intent = parse(text)
    assert set(intent.limits.kept) == set(kept)
    assert [u.split(":")[0] for u in intent.limits.unsupported] == list(unsupported)
    assert intent.unknown_tickers == ()  # SPY named as the benchmark is not an unknown ticker
    if "no leverage" in kept:
        assert "max_leverage" not in intent.parameters


def test_an_index_is_an_unknown_ticker_unless_it_is_the_benchmark_or_the_market() -> None:
    assert parse("what's the CVaR of SPY?").unknown_tickers == ("SPY",)
    assert parse("if SPX drops 20% what happens to 60% JPM 40% BAC").unknown_tickers == ()


DATES = np.asarray(sp500_returns().index.strftime("%Y-%m-%d"))


@pytest.mark.parametrize(
    ("text", "start", "end", "sessions"),
    [
        ("what's the 95% CVaR of AAPL over the last 12 months?", None, None, 252),
        ("99% VaR of MSFT over the last 6 months", None, None, 126),
        ("cvar of KO and PG for the last 3 months", None, None, 63),
        ("describe the regime for XOM CVX over the last two years", None, None, 504),
        ("how correlated were KO and PEP over the last 18 months?", None, None, 378),
        ("max drawdown of JNJ in the past year", None, None, 252),
        ("volatility over the previous quarter", None, None, 63),
        ("returns over the last decade", None, None, 2520),
        ("correlation of XOM and CVX in 2020", "2020-01-01", "2020-12-31", None),
        ("how did JPM do between 2017 and 2019?", "2017-01-01", "2019-12-31", None),
        ("CVaR of AAPL and KO over 2019-2021, please", "2019-01-01", "2021-12-31", None),
        ("min vol AAPL MSFT over 2019-2021.", "2019-01-01", "2021-12-31", None),
        ("VaR of JNJ since March 2020", "2020-03-01", None, None),
        ("return on MSFT from 2015", "2015-01-01", None, None),
        ("hrp until 2019", None, "2019-12-31", None),
        ("go back to 2012", "2012-01-01", None, None),
        # "of" a year after a noun is that year; the start of a year is a start
        ("the best performing stocks of 2021", "2021-01-01", "2021-12-31", None),
        # a measure just before a bare year is that year's ("AAPL return 2005")
        ("AAPL return 2005", "2005-01-01", "2005-12-31", None),
        ("KO vol 2020", "2020-01-01", "2020-12-31", None),
        ("XOM and CVX correlation 2015", "2015-01-01", "2015-12-31", None),
        ("MSFT sharpe ratio 2019?", "2019-01-01", "2019-12-31", None),
        ("AAPL returns 2019 onwards", "2019-01-01", None, None),
        ("AAPL 2005", "2005-01-01", None, None),
        ("volatility of AAPL since the start of 2019", "2019-01-01", None, None),
        ("hrp of KO and PEP from the beginning of 2020", "2020-01-01", None, None),
        ("extend the window back to 2015", "2015-01-01", None, None),
        # a year by its last two digits: with an apostrophe after any window word, without one
        # after "since" or "in" where the phrase ends
        ("what's the max dd on JPM since 08", "2008-01-01", None, None),
        ("KO since '95", "1995-01-01", None, None),
        ("whats teh sharpe on aapl since 08 lol", "2008-01-01", None, None),
        ("AAPL from ‘12 to ‘16", "2012-01-01", "2016-12-31", None),
        ("KO return in 08?", "2008-01-01", "2008-12-31", None),
        ("vary the target vol from 10 to 20%", None, None, None),
        # a rolling window's length is no window ("rolling 1y sharpe": over the default one)
        ("what's the rolling 1y sharpe of JNJ look like?", None, None, None),
        ("rebalance in 10 days", None, None, None),
        # a measure's own window, not the question's
        ("protective puts with realized vol over the last 63 days", None, None, None),
        ("probability of losing 10% over the next 6 months", None, None, None),
    ],
)
def test_one_window_reader_for_every_question(
    text: str, start: str | None, end: str | None, sessions: int | None
) -> None:
    intent = parse(text)
    assert (intent.start, intent.end, intent.last_sessions) == (start, end, sessions)


@pytest.mark.parametrize(
    ("text", "weights"),
    [
        ("95% CVaR of KO 40%, PG 30%, PEP 30% since 2019", {"KO": 0.4, "PG": 0.3, "PEP": 0.3}),
        ("what's the 95% CVaR of 40% KO, 30% PG and 30% PEP?", {"KO": 0.4, "PG": 0.3, "PEP": 0.3}),
        ("VaR of a 50/50 AAPL AMD portfolio", {"AAPL": 0.5, "AMD": 0.5}),
        ("max drawdown of 40 AAPL / 60 WMT since 2016", {"AAPL": 0.4, "WMT": 0.6}),
        ("how much would 70/30 JNJ/PG lose if stocks tank 20%?", {"JNJ": 0.7, "PG": 0.3}),
        ("risk report on 25% each AAPL KO XOM JNJ",
         {"AAPL": 0.25, "KO": 0.25, "XOM": 0.25, "JNJ": 0.25}),
        ("what if the market drops 35% for 40% AAPL 60% JNJ", {"AAPL": 0.4, "JNJ": 0.6}),
        ("VaR of 30% AAPL, 30% MSFT, 40% JNJ at 99% over the past year",
         {"AAPL": 0.3, "MSFT": 0.3, "JNJ": 0.4}),
        # an equal share said as a fraction
        ("vol of 1/3 each AAPL MSFT JPM", dict.fromkeys(("AAPL", "MSFT", "JPM"), 1 / 3)),
        ("risk report on a quarter each in AAPL, KO, XOM and JNJ",
         dict.fromkeys(("AAPL", "KO", "XOM", "JNJ"), 0.25)),
        # limits are not weights
        ("min vol AAPL MSFT JPM XOM, at least 40% JPM and tech no more than 40%", {}),
        ("max sharpe on LLY UNH JNJ PFE MRK, cap LLY at 20%", {}),
        ("min vol of AAPL and KO with at most 60% in KO and 40% in AAPL", {}),
    ],
)  # fmt: skip
def test_weights_given_are_the_portfolio(text: str, weights: dict[str, float]) -> None:
    intent = parse(text)
    assert intent.weights == pytest.approx(weights)
    if weights:
        assert intent.risk_limits == {}  # "CVaR of 40% KO" is not a 40% CVaR limit


def test_a_confidence_level_after_the_weights_is_still_read() -> None:
    intent = parse("VaR of 30% AAPL, 30% MSFT, 40% JNJ at 99% over the past year")
    assert intent.confidence == 0.99 and intent.last_sessions == 252


@pytest.mark.parametrize(
    ("text", "confidence", "horizon"),
    [
        ("99% 10-day VaR of AAPL", 0.99, 10),
        ("99% 1-day VaR of AAPL", 0.99, 1),
        ("97.5% 5-day CVaR of KO", 0.975, 5),
        ("99.9% VaR of AAPL", 0.999, None),
        # the level and the horizon after the metric, in desk shorthand
        ("var 99 10d AAPL", 0.99, 10),
        ("cvar 97.5% 5d KO", 0.975, 5),
        ("VaR of AAPL at 99% over 10 days", 0.99, 10),
    ],
)
def test_a_confidence_level_is_read_exactly_beside_a_hyphenated_horizon(
    text: str, confidence: float, horizon: int | None
) -> None:
    """Exactly: 99.9% is 0.999, which a level check `<= 0.999` accepts."""
    intent = parse(text)
    assert (intent.confidence, intent.horizon_days) == (confidence, horizon)


@pytest.mark.parametrize(
    ("text", "kind", "slots"),
    [
        ("how would a portfolio of 40 AAPL / 60 WMT have performed since 2016 with quarterly "
         "rebalancing?", "backtest_weights", {"rebalance": "quarterly"}),
        ("what would 30% XOM 70% KO have returned from 2015 with annual rebalancing and 10bps "
         "costs", "backtest_weights", {"rebalance": "annually", "cost_bps": 10.0}),
        ("if spx falls 25% how much do i lose on 50/50 AAPL AMD", "stress", {"market_move": -0.25}),
        ("what does the bear scenario do to an equal-weight JPM BAC KO PG book, in dollars on 1m?",
         "stress", {"bear_case": True, "capital": 1e6}),
        ("stress test 30% JPM 70% KO for the 2008 financial crisis, $2 million book", "stress",
         {"episodes": ("gfc_2008",), "capital": 2e6}),
        ("and in the 2020 covid selloff and 2022?", "stress",
         {"episodes": ("covid_2020", "rates_2022")}),
        ("how would that portfolio have done in the GFC?", "stress", {"episodes": ("gfc_2008",)}),
        ("hrp vs min vol on KO PG PEP WMT since 2018, which has the better sharpe?", "compare",
         {"judged_on": "sharpe_ratio"}),
        ("what was the worst day for that portfolio in 2020?", "statistics",
         {"measures": ("worst_day",)}),
        ("what's the beta of that portfolio since 2021?", "statistics", {"measures": ("beta",)}),
        # a build stays a build, a backtest of a strategy stays one
        ("build a min vol portfolio of AAPL MSFT", None, {}),
        ("backtest a 10% target vol strategy on AAPL MSFT JNJ since 2015", None, {}),
        ("how did 50/50 KO PG do since 2015?", "statistics", {"measures": ("return",)}),
        ("how did that portfolio do in 2022?", "statistics", {"measures": ("return",)}),
        ("what did AAPL do in 2019?", "statistics", {"measures": ("return",)}),
        ("what did the banks do in 2008?", "statistics", {"measures": ("return",)}),
        ("which stock won in 2021?", "statistics", {"measures": ("return",), "ranked": True}),
        ("how'd XOM fare in 2014?", "statistics", {"measures": ("return",)}),
        # weights said held with a cadence or costs: a backtest of them, not a strategy search
        ("give me a 60/40 of AAPL and KO rebalanced quarterly with 10bps costs since 2012",
         "backtest_weights", {"rebalance": "quarterly", "cost_bps": 10.0}),
        ("60/40 AAPL KO rebalanced monthly since 2015", "backtest_weights",
         {"rebalance": "monthly"}),
        ("what's the rolling 1y sharpe of JNJ look like?", "statistics", {"rolling": 252}),
        ("who won between XOM and CVX in 2022?", "statistics",
         {"measures": ("return",), "ranked": True}),
        ("who did better in 2021, AAPL or MSFT?", "statistics",
         {"measures": ("return",), "ranked": True}),
        ("which sector has been the best since 2015?", "statistics",
         {"measures": ("return",), "ranked": True}),
        ("how did energy hold up in 2020", "statistics", {"measures": ("return",)}),
        ("how much did BAC fall in 2008?", "statistics", {"measures": ("return",)}),
        ("what's the YTD on MSFT?", "statistics", {"measures": ("return",)}),
        ("how much would 100k in AAPL in 2010 be worth at the end of 2020?", "backtest_weights",
         {"capital": 100_000}),
        # a future "hold up" stays a stress test
        ("how would 50/50 KO PG hold up in the GFC?", "stress", {"episodes": ("gfc_2008",)}),
        ("if the market sells off 15%, what happens to 50% JNJ 50% XOM?", "stress",
         {"market_move": -0.15}),
    ],
)  # fmt: skip
def test_questions_reach_the_tool_that_answers_them(
    text: str, kind: str | None, slots: dict[str, Any]
) -> None:
    ask = read_analysis(parse(text), known_tickers())
    assert (ask.kind if ask else None) == kind
    for key, value in slots.items():
        assert getattr(ask, key) == value, key


def test_a_comparison_is_judged_on_the_measure_asked_not_on_a_method_s_name() -> None:
    assert judged_measure("which of hrp or equal weight gives lower drawdown") == "max_drawdown"
    assert judged_measure("compare equal weight vs min vol for KO PG") is None
    assert judged_measure("min vol or max sharpe: which is less volatile?") == "volatility"


@pytest.mark.parametrize(
    "text",
    [
        "are we bullish on XOM?",
        "do we like Exxon?",
        "where do we see brent going?",
        "expected return for pg in our forcasts",
        "how do we feel about range resources?",
        "any thoughts from the desk on Coca-Cola?",
        "are we bearish on natural gas producers?",
        "whats the house forcast for brent",
        "bullish or bearish on chevron?",
        "where does the team stand on KO",
        "is exxon overweight in our book?",
        "what return do we expect from Coca-Cola over the next year?",
    ],
)
def test_the_house_view_asked_in_other_words_is_research(text: str) -> None:
    assert parse(text).intent == "research"


@pytest.mark.parametrize(
    "text",
    [
        "find the target-vol setting that holds up in a bear market",
        "simulate a bull and a bear market for AAPL",
        "build a max sharpe portfolio of KO PG",
    ],
)
def test_scenarios_builds_and_searches_are_not_research(text: str) -> None:
    assert parse(text).intent != "research"


def test_a_saved_portfolio_named_by_the_user_is_read_as_its_id() -> None:
    staples, growth = "pf_" + "a" * 28, "pf_" + "b" * 28
    system = (
        "The user's saved portfolios (when they name one, e.g. 'my Staples portfolio', pass its "
        f"id as portfolio_id):\n- Staples: {staples} (KO 40%, PEP 30%)\n- Growth: {growth} (AAPL "
        "60%, AMD 40%)"
    )
    assert named_portfolios("CVaR of my Staples portfolio?", system) == f"CVaR of {staples}?"
    assert named_portfolios("how risky is the Growth book", system) == f"how risky is {growth}"
    assert named_portfolios("risk parity of the staples", system) == "risk parity of the staples"
    intent = parse(named_portfolios("stress my staples portfolio against 2008", system))
    assert intent.portfolio_ids == (staples,) and intent.tickers == ()


def test_the_saved_portfolios_names_are_read_with_patterns_made_once_per_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a decision reads its message once per policy, with the same list of (up to 20) saved
    # portfolios: their patterns are made at the first reading, not at every one
    ids = [f"pf_{i:028x}" for i in range(20)]
    system = "The user's saved portfolios:\n" + "\n".join(
        f"- Book {i} of 2026-11-{i + 1:02d}: {pid} (KO 40%)" for i, pid in enumerate(ids)
    )
    first = named_portfolios("CVaR of my Book 7 of 2026-11-08 portfolio?", system)
    assert first == f"CVaR of {ids[7]}?"

    def made_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("a saved portfolio's pattern was made again")

    monkeypatch.setattr(re, "compile", made_again)
    for _ in range(3):
        assert named_portfolios("stress the Book 12 of 2026-11-13 book", system) == (
            f"stress {ids[12]}"
        )


def test_spelled_out_percentages_are_digits() -> None:
    assert spelled_percentages("capped at thirty percent") == "capped at 30 percent"
    assert spelled_percentages("twenty-five per cent a name") == "25 per cent a name"
    assert spelled_percentages("Ninety Nine pct, five %") == "99 pct, 5 %"
    assert spelled_percentages("a hundred percent") == "100 percent"
    assert spelled_percentages("the same four stocks, three ideas") == (
        "the same four stocks, three ideas"
    )


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        (0.03758, 2, "3.76%"),
        (0.05395, 2, "5.395%"),  # a tie: 5.39% or 5.40% could be wrong, the tool's digit is kept
        (-0.0125, 2, "-1.25%"),
        (0.1234, 1, "12.3%"),
        (0.1, 1, "10.0%"),
        (None, 1, "n/a"),
    ],
)
def test_a_tool_s_number_is_not_rounded_twice(
    value: float | None, decimals: int, shown: str
) -> None:
    assert percent(value, decimals) == shown


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("rp on AAPL JPM XOM", "risk_parity"),
        ("RP on AAPL JPM XOM", "risk_parity"),
        ("mean-variance on AAPL MSFT KO", "max_sharpe"),
        ("MVO of AAPL MSFT KO", "max_sharpe"),
        ("markowitz weights for AAPL MSFT KO", "max_sharpe"),
        # maximum diversification is not offered: risk parity is the closest (the accounting
        # says the method asked was not used)
        ("max diversification on AAPL MSFT KO XOM", "risk_parity"),
        ("most diversified portfolio of AAPL MSFT KO XOM", "risk_parity"),
        ("max div on AAPL MSFT KO XOM", "risk_parity"),
        # neighbours
        ("mean-variance frontier of AAPL MSFT KO", "frontier"),
        ("max div yield stocks: AAPL MSFT KO", None),
        ("rpm of the engines", None),
    ],
)
def test_a_method_said_in_desk_shorthand_is_that_method(text: str, method: str | None) -> None:
    assert parse(text).method == method


@pytest.mark.parametrize(
    "text", ["eq wt AAPL MSFT KO", "ew AAPL MSFT KO vs hrp", "EW portfolio of AAPL MSFT KO",
             "equal wt AAPL MSFT KO", "eq-weight AAPL MSFT KO"],
)  # fmt: skip
def test_equal_weight_said_in_shorthand_is_the_equal_weight_portfolio(text: str) -> None:
    intent = parse(text)
    assert intent.equal_weight
    assert intent.tickers == ("AAPL", "MSFT", "KO") and not intent.unknown_tickers


@pytest.mark.parametrize(
    ("text", "costs"),
    [
        ("backtest 60% AAPL 40% KO with rates up 100bps", None),
        ("backtest 60% AAPL 40% KO if the fed hikes 50 bps", None),
        ("backtest 60% AAPL 40% KO through a 50bp rate hike", None),
        ("backtest 60% AAPL 40% KO with 10bps costs, rates up 100bps", 10.0),
        ("backtest 60% AAPL 40% KO with 10 bps", 10.0),
    ],
)
def test_a_move_of_interest_rates_is_not_a_trading_cost(text: str, costs: float | None) -> None:
    intent = parse(text)
    asked = read_analysis(intent, known_tickers())
    assert asked is not None and asked.kind == "backtest_weights"
    assert asked.cost_bps == costs


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my target allocation is 60% KO 40% PG, what's its drawdown?", "risk_report"),
        ("our target weights are 60% KO 40% PG: how risky?", "risk_report"),
        # neighbours: a target the house holds is research
        ("what's our price target on AAPL", "research"),
        ("what is the house target for XOM", "research"),
    ],
)
def test_target_weights_are_weights_and_the_house_s_target_is_research(
    text: str, intent: str
) -> None:
    parsed = parse(text)
    assert parsed.intent == intent
    assert bool(parsed.weights) == (intent == "risk_report")


def test_a_statistic_of_target_weights_is_answered_on_them() -> None:
    intent = parse("target weights AAPL 50% MSFT 50%, vol?")
    asked = read_analysis(intent, known_tickers())
    assert asked is not None and asked.kind == "statistics"
    assert asked.weights == {"AAPL": 0.5, "MSFT": 0.5} and asked.measures == ("volatility",)


@pytest.mark.parametrize(
    ("text", "strikes"),
    [
        ("how would a 10% otm put hedge have helped KO in 2020?", (0.9,)),
        ("add a 5% out-of-the-money put to the strategy", (0.95,)),
        ("backtest a vol target strategy on KO with a 15% OTM put", (0.85,)),
        ("a 90% put overlay", (0.9,)),
    ],
)
def test_a_put_said_by_how_far_out_of_the_money_is_its_strike(
    text: str, strikes: tuple[float, ...]
) -> None:
    hedge = parse(text).hedge
    assert hedge is not None and hedge.kinds == ("put",) and hedge.strikes == strikes


@pytest.mark.parametrize(
    ("text", "tickers", "unknown"),
    [
        ("compare msft & aapl & googl since 2019", ("MSFT", "AAPL"), ("GOOGL",)),
        ("aapl & msft & nvda?", ("AAPL", "MSFT"), ("NVDA",)),
        ("ko & pg & jnj", ("KO", "PG", "JNJ"), ()),
        ("xom and build", ("XOM",), ()),  # a list's last word after one ticker may be a word
        ("aapl and msft and more", ("AAPL", "MSFT"), ()),
    ],
)
def test_the_last_of_a_lower_case_list_of_tickers_is_a_ticker_when_the_list_says_so(
    text: str, tickers: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    intent = parse(text)
    assert (intent.tickers, intent.unknown_tickers) == (tickers, unknown)
