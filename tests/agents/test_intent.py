"""Intent and slot parsing of portfolio-manager chat messages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent import INTENTS, correct_typos, parse_intent
from agents.offline.intent.typos import normalised
from agents.offline.intent.words import COMPANY_NAMES

KNOWN = ["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO"]
KNOWN += ["LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"]

# (message, expected intent, expected slots: each listed slot must equal this value)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "build me a max sharpe portfolio of AAPL, MSFT and JNJ since 2018",
        "optimize_portfolio",
        {"tickers": ("AAPL", "MSFT", "JNJ"), "method": "max_sharpe", "start": "2018-01-01"},
    ),
    ("what's the 95% CVaR of that", "risk_report", {"confidence": 0.95, "risk_limits": {}}),
    (
        # ids are named, in order and once; their hex digits are never numbers, dates or tickers
        "what is the 99% VaR of pf_01a2047d29c8680dc8f152912bbd, pf_2019ab and pf_2019ab?",
        "risk_report",
        {
            "portfolio_ids": ("pf_01a2047d29c8680dc8f152912bbd", "pf_2019ab"),
            "confidence": 0.99,
            "numbers": (),
            "start": None,
            "tickers": (),
        },
    ),
    (
        "find the target-vol setting that holds up in a bear market",
        "search_strategy",
        {"scenarios": ("bear",), "parameters": ("target_vol",), "target_vol": None},
    ),
    (
        "run 300 trials with max drawdown under 20%",
        "search_strategy",
        {"budget": 300, "risk_limits": {"max_drawdown": 0.20}, "percentages": (0.20,)},
    ),
    ("approve", "approve", {}),
    ("go ahead", "approve", {}),
    ("Yes, please proceed.", "approve", {}),
    ("ok sounds good", "approve", {}),
    ("LGTM", "approve", {}),
    ("no, cancel", "reject", {}),
    ("Cancel.", "reject", {}),
    ("don't run it", "reject", {}),
    ("never mind", "reject", {}),
    ("nope", "reject", {}),
    ("use risk parity instead", "optimize_portfolio", {"method": "risk_parity", "revision": True}),
    (
        "no, switch to HRP rather than max sharpe",
        "optimize_portfolio",
        {"method": "hrp", "revision": True},
    ),
    (
        "Optimise a minimum variance portfolio for the whole universe from 2016-01-01 to 2020-12-31",
        "optimize_portfolio",
        {
            "method": "min_volatility",
            "all_tickers": True,
            "start": "2016-01-01",
            "end": "2020-12-31",
        },
    ),
    (
        "show me the efficient frontier of apple, microsoft and Exxon with max weight 30%",
        "optimize_portfolio",
        {"method": "frontier", "tickers": ("AAPL", "MSFT", "XOM"), "percentages": (0.30,)},
    ),
    (
        "hierarchical risk parity on $KO $PEP $PG between 2010 and 2015",
        "optimize_portfolio",
        {
            "method": "hrp",
            "tickers": ("KO", "PEP", "PG"),
            "start": "2010-01-01",
            "end": "2015-12-31",
        },
    ),
    (
        "equal risk contribution weights for JPM and BAC, 2015-2019",
        "optimize_portfolio",
        {"method": "risk_parity", "start": "2015-01-01", "end": "2019-12-31"},
    ),
    (
        "How risky is my max sharpe portfolio? Give me VaR at 99%",
        "risk_report",
        {"confidence": 0.99, "method": "max_sharpe"},
    ),
    ("what are the risk contributions of the current portfolio", "risk_report", {}),
    ("show the expected shortfall and drawdown of the HRP book", "risk_report", {"method": "hrp"}),
    (
        "what's the current market regime and the correlation between AAPL and MSFT?",
        "market_overview",
        {"tickers": ("AAPL", "MSFT")},
    ),
    ("how are markets doing over the last 3 years", "market_overview", {"last_sessions": 756}),
    (
        "stress test the portfolio in high volatility and bear scenarios with 1000 paths",
        "scenarios",
        {"scenarios": ("high_vol", "bear"), "numbers": (1000.0,)},
    ),
    (
        "generate all scenarios",
        "scenarios",
        {"scenarios": ("bull", "bear", "high_vol", "low_vol", "base")},
    ),
    ("simulate a market crash", "scenarios", {"scenarios": ("bear",)}),
    (
        "backtest inverse vol with a target vol of 12% since March 2020",
        "backtest",
        {"weight_functions": ("inverse_vol",), "target_vol": 0.12, "start": "2020-03-01"},
    ),
    (
        "how would the sigmoid rule have performed in 2008?",
        "backtest",
        {"weight_functions": ("sigmoid",), "start": "2008-01-01", "end": "2008-12-31"},
    ),
    (
        "tune sigmoid and merton over target vol and lookback, 2,000 trials, CVaR below 3%",
        "search_strategy",
        {
            "weight_functions": ("sigmoid", "merton"),
            "parameters": ("target_vol", "lookback"),
            "budget": 2000,
            "risk_limits": {"cvar": 0.03},
        },
    ),
    (
        "search for the best config with a 10 percent vol target and max drawdown 15%",
        "search_strategy",
        {"target_vol": 0.10, "risk_limits": {"max_drawdown": 0.15}},
    ),
    (
        "keep drawdown no more than 25% and sharpe above 0.8",
        "search_strategy",
        {"risk_limits": {"max_drawdown": 0.25, "min_sharpe": 0.8}},
    ),
    (
        "why did the 63-day lookback win?",
        "explain",
        {"parameters": ("lookback",), "numbers": (63.0,)},
    ),
    ("explain the results", "explain", {}),
    ("what can you do?", "help", {}),
    ("help", "help", {}),
    ("would you help me?", "help", {}),
    ("did the put help in 2012?", "unclear", {"start": "2012-01-01", "end": "2012-12-31"}),
    ("hello!", "smalltalk", {}),
    ("thanks a lot", "smalltalk", {}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), CASES, ids=[c[0][:40] for c in CASES])
def test_phrasings(text: str, intent: str, slots: dict[str, Any]) -> None:
    parsed = parse_intent(text, KNOWN)
    assert parsed.intent == intent, parsed
    for key, value in slots.items():
        got = getattr(parsed, key)
        if isinstance(value, float):
            assert got == pytest.approx(value), key
        elif isinstance(value, dict):
            assert got.keys() == value.keys(), key
            for k, v in value.items():
                assert got[k] == pytest.approx(v), (key, k)
        else:
            assert got == value, key


ONE_MESSAGE_PER_INTENT = {
    "optimize_portfolio": "build me an HRP portfolio of AAPL and MSFT",
    "risk_report": "what is the 95% CVaR of AAPL and MSFT",
    "market_overview": "give me a market overview of AAPL and MSFT",
    "scenarios": "show me the bear and crash scenarios",
    "backtest": "backtest a target vol strategy since 2015",
    "estimate": "how would a 10% target vol sigmoid strategy do in a bear market?",
    "search_strategy": "search 100 trials for the best target volatility strategy",
    "deploy": "deploy that to paper with weekly rebalancing",
    "save_idea": "save that as an idea",
    "propose_ideas": "give me three defensive ideas given my research and the current regime",
    "explain": "why did it win?",
    "research": "what does my research say about energy stocks?",
    "approve": "go ahead",
    "reject": "no, cancel",
    "help": "what can you do?",
    "smalltalk": "hello there",
    "unclear": "purple elephants",
}


@pytest.mark.parametrize("intent", INTENTS)
def test_every_intent_is_reached_by_a_message(intent: str) -> None:
    assert parse_intent(ONE_MESSAGE_PER_INTENT[intent], KNOWN).intent == intent


def test_idea_messages() -> None:
    saved = (
        "save that as an idea",
        "Save this as an investment idea please",
        "keep it as an idea",
        "save KO and PG as an idea",
    )
    for text in saved:
        assert parse_intent(text, KNOWN).intent == "save_idea", text
    proposed = (
        "give me three defensive ideas given my research and the current regime",
        "any investment ideas for AAPL and MSFT?",
        "suggest 2 growth ideas",
    )
    for text in proposed:
        assert parse_intent(text, KNOWN).intent == "propose_ideas", text
    assert parse_intent("build me an HRP portfolio of AAPL and MSFT", KNOWN).intent != "save_idea"


def test_tickers_only_from_the_known_universe() -> None:
    parsed = parse_intent("max sharpe on AAPL, TSLA, nvda, msft and ge", KNOWN)
    # TSLA and NVDA are not in the universe (and are named); lower-case "msft" and "ge" in a
    # list of tickers are tickers
    assert parsed.tickers == ("AAPL", "MSFT", "GE")
    assert parsed.unknown_tickers == ("TSLA", "NVDA")
    assert parse_intent("the GE and HD stocks", KNOWN).tickers == ("GE", "HD")
    assert parse_intent("risk parity on all stocks", KNOWN).universe(KNOWN) == KNOWN
    assert parse_intent("risk parity on KO", KNOWN).universe(KNOWN) == ["KO"]


@pytest.mark.parametrize(
    ("said", "ticker"), [("BofA", "BAC"), ("bofa", "BAC"), ("Coke", "KO"), ("Lilly", "LLY")]
)
def test_a_company_s_short_name_is_its_ticker(said: str, ticker: str) -> None:
    """ "Did JPM beat BofA?" is of BAC (it answered JPM alone, BofA read as nothing)."""
    parsed = parse_intent(f"did JPM beat {said} over the past 3 years?", KNOWN)
    assert set(parsed.tickers) == {"JPM", ticker} and not parsed.unknown_tickers, parsed


@pytest.mark.parametrize("name", sorted(COMPANY_NAMES))
def test_a_company_named_in_any_case_is_its_ticker_and_no_other(name: str) -> None:
    """ "J&J" and "P&G" were read as the unknown tickers J and G; any company name, written as
    a PM would, is its ticker (or that ticker said to be missing), never letters of it."""
    ticker = COMPANY_NAMES[name]
    for said in {name, name.upper(), name.title(), name.replace("&", " & ").title()}:
        parsed = parse_intent(f"did JPM beat {said} over the past 3 years?", KNOWN)
        if ticker in KNOWN:
            assert set(parsed.tickers) == {"JPM", ticker}, (said, parsed)
            assert parsed.unknown_tickers == (), (said, parsed)
        else:
            assert parsed.tickers == ("JPM",), (said, parsed)
            assert parsed.unknown_tickers == (ticker,), (said, parsed)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=30),
    name=st.sampled_from(sorted(COMPANY_NAMES)),
    odd=st.sampled_from(["\u017f", "\u212a", "\u0130", "\u0131", "\ufb00", "\u00df"]),
)
def test_a_company_name_beside_any_characters_reads_without_failing(
    before: str, name: str, odd: str
) -> None:
    """Characters that match a name's letters only under Unicode's case folding ("Pepſi": the
    long s, the Kelvin sign) are no name: the reading ended in a KeyError on them."""
    for said in (name.replace("s", odd).replace("k", odd), f"{before} {name} {odd}"):
        parse_intent(f"did JPM beat {said} over the past 3 years?", KNOWN)


def test_years_in_counts_are_not_dates() -> None:
    parsed = parse_intent("run 2000 trials with 2010 paths", KNOWN)
    assert parsed.budget == 2000 and parsed.start is None


def test_end_only_and_month_ranges() -> None:
    parsed = parse_intent("hrp until 2019", KNOWN)
    assert (parsed.start, parsed.end) == (None, "2019-12-31")
    parsed = parse_intent("min vol from Feb 2020 to Jun 2021", KNOWN)
    assert (parsed.start, parsed.end) == ("2020-02-01", "2021-06-30")


def test_slots_dict_lists_only_what_was_said() -> None:
    parsed = parse_intent("max sharpe on JNJ since 2018", KNOWN)
    assert parsed.slots() == {
        "tickers": ("JNJ",),
        "method": "max_sharpe",
        "methods": ("max_sharpe",),
        "start": "2018-01-01",
    }


@settings(max_examples=40, deadline=None)
@given(
    value=st.decimals(min_value=0, max_value=99, places=2).map(str),
    unit=st.sampled_from(["%", " %", " percent", " pct"]),
)
def test_percentages_are_fractions(value: str, unit: str) -> None:
    parsed = parse_intent(f"keep volatility under {value}{unit}", KNOWN)
    assert parsed.percentages == pytest.approx((float(value) / 100,))
    assert parsed.risk_limits == {"volatility": pytest.approx(float(value) / 100)}


@settings(max_examples=30, deadline=None)
@given(first=st.integers(1990, 2021), span=st.integers(0, 10), join=st.sampled_from(["-", " to "]))
def test_year_ranges(first: int, span: int, join: str) -> None:
    last = first + span
    parsed = parse_intent(f"backtest {first}{join}{last}", KNOWN)
    assert (parsed.start, parsed.end) == (f"{first}-01-01", f"{last}-12-31")
    assert parsed.numbers == ()


FEW = ("AAPL", "MSFT", "JNJ", "KO", "XOM", "PEP")


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("buld me a max sharp portfolio of AAPL and KO", "max_sharpe"),
        ("bulid a risk partiy portfolio of AAPL and KO", "risk_parity"),
        ("an hierarchical portfolo of AAPL and KO", "hrp"),
    ],
)
def test_misspelled_key_words_are_understood(text: str, method: str) -> None:
    intent = parse_intent(text, FEW)
    assert intent.intent == "optimize_portfolio" and intent.method == method
    assert intent.tickers == ("AAPL", "KO")


NEAR_KEY_WORDS = (
    "share", "shared", "shaped", "volatile", "volatilities", "research", "part", "partly",
    "party", "comparable", "compress", "explore", "expose", "exposed", "forest", "again",
    "gained", "built",
)  # fmt: skip
"""English words within a similarity of 0.8 of a key word (found by running the repair over
the words of the docs and of the installed packages' sources)."""


@given(words=st.lists(st.sampled_from(NEAR_KEY_WORDS), min_size=1, max_size=6))
def test_real_words_near_key_words_are_left_alone(words: list[str]) -> None:
    text = " ".join(words)
    assert correct_typos(text) == text
    assert correct_typos("is XOM part of the data?") == "is XOM part of the data?"


NEAR_ANALYSIS_WORDS = (
    "annual", "manually", "works", "words", "worth", "change", "cancel", "created", "creation",
    "related", "relation", "corrected", "correction", "marker", "stores", "turns", "balance",
    "balanced", "unbalanced", "replacing", "quarters", "smoothly", "comprise", "manual",
)  # fmt: skip
"""English words within a similarity of 0.8 of a word the analysis readers repair (found by
running `normalised` over the words of the docs and of the installed packages' sources):
"annual returns" were read as "annually returns", "what would change" as "chance"."""


@given(words=st.lists(st.sampled_from(NEAR_ANALYSIS_WORDS), min_size=1, max_size=6))
def test_real_words_near_the_analysis_words_are_left_alone(words: list[str]) -> None:
    text = " ".join(words)
    assert normalised(text) == text


@pytest.mark.parametrize(
    ("typo", "word"),
    [("corelation", "correlation"), ("probabilty", "probability"), ("bactest", "backtest"),
     ("quartely", "quarterly"), ("drawdwon", "drawdown"), ("scenaro", "scenario"),
     ("anual", "annual"), ("anually", "annually")],
)  # fmt: skip
def test_misspelt_analysis_words_are_still_repaired(typo: str, word: str) -> None:
    assert normalised(f"the {typo} of ko and pep") == f"the {word} of ko and pep"


def test_unknown_upper_case_tickers_are_kept_not_dropped() -> None:
    intent = parse_intent("an HRP portfolio of AAPL, MSFT and XYZQ with a 95% CVaR", FEW)
    assert intent.tickers == ("AAPL", "MSFT") and intent.unknown_tickers == ("XYZQ",)
    assert parse_intent("BUILD AN HRP PORTFOLIO OF AAPL AND MSFT", FEW).unknown_tickers == ()


def test_every_method_named_and_the_extra_asks_are_slots() -> None:
    compare = parse_intent("compare HRP and risk parity for AAPL, MSFT and JNJ", FEW)
    assert compare.methods == ("hrp", "risk_parity")
    both = parse_intent("an HRP portfolio of AAPL and KO and tell me its 95% CVaR", FEW)
    assert both.methods == ("hrp",) and both.asks_risk and both.confidence == 0.95
    assert parse_intent("how does it compare with equal weight?", FEW).equal_weight
    assert parse_intent("use risk parity instead of HRP for AAPL", FEW).methods == ("risk_parity",)


def test_a_message_that_says_nothing_actionable_is_unclear_not_help() -> None:
    assert parse_intent("what should I do?", FEW).intent == "unclear"
    assert parse_intent("help", FEW).intent == "help"


@pytest.mark.parametrize(
    ("text", "cap"),
    [
        ("max sharpe portfolio of AAPL and KO with at most 30% in any stock", 0.30),
        ("a portfolio of AAPL, MSFT and KO with no stock above 25%", 0.25),
        ("min volatility of AAPL, KO and PG, max weight 40%", 0.40),
        ("min volatility portfolio of AAPL and KO with weights capped at 60 percent", 0.60),
        ("min volatility portfolio of AAPL and KO with a max drawdown of 20%", None),
        ("an HRP portfolio of AAPL and KO", None),
    ],
)
def test_weight_caps(text: str, cap: float | None) -> None:
    intent = parse_intent(text, KNOWN)
    assert intent.max_weight == cap
    if cap is not None:
        assert intent.risk_limits == {}  # the cap is not read as a risk limit too


def test_questions_about_the_house_view_are_research() -> None:
    """A view, outlook or forecast asked of "us" is a research question, however phrased; a
    build or a backtest that mentions one stays what it is."""
    research = (
        "what is the oil price forecast?",
        "what's our view on energy?",
        "what do we think about XOM?",
        "our take on KO?",
        "what's the expected return for JNJ in our forecasts?",
        "what does the house outlook say about gas producers?",
        "how do we rate PG?",
        "what does our desk expect for rates?",
    )
    for text in research:
        assert parse_intent(text, KNOWN).intent == "research", text
    assert parse_intent("what is the volatility forecast for AAPL?", KNOWN).intent != "research"
    assert parse_intent(
        "build a min-vol portfolio of AAPL and MSFT with our view", KNOWN
    ).intent == ("optimize_portfolio")
    assert parse_intent("backtest our view on XOM since 2019", KNOWN).intent == "backtest"


@given(
    words=st.sampled_from(
        ["a safer mix", "a less risky portfolio", "a lower-risk portfolio", "a less volatile mix",
         "the least risky allocation", "a safer portfolio"]
    ),
    verb=st.sampled_from(["give me", "build", "I want", "can you make"]),
    names=st.sampled_from(["AAPL, AMD and PG", "KO and XOM", "JPM, BAC and JNJ"]),
)  # fmt: skip
def test_a_safer_portfolio_asked_for_is_the_least_volatile_one(
    words: str, verb: str, names: str
) -> None:
    intent = parse_intent(f"{verb} {words} of {names}", (*FEW, "AMD", "PG", "JPM", "BAC", "JNJ"))
    assert intent.intent == "optimize_portfolio" and intent.method == "min_volatility", intent
    compared = parse_intent(f"is {names.split(',')[0].split()[0]} safer than KO?", FEW)
    assert compared.method != "min_volatility"


@given(
    first=st.integers(1995, 2015),
    span=st.integers(1, 6),
    parts=st.tuples(
        st.sampled_from(["", "early ", "mid ", "mid-", "late ", "the middle of ",
                         "the first half of ", "the second half of "]),
        st.sampled_from(["", "early ", "mid ", "late ", "the middle of ", "the first half of ",
                         "the second half of "])),
)  # fmt: skip
def test_a_part_of_a_year_bounds_the_window(first: int, span: int, parts: tuple[str, str]) -> None:
    """'from 2008 to mid 2012' ends on 2012-06-30; 'since mid-2015' starts on 2015-07-01; the
    year itself is read as before when no part is said (the end year was dropped)."""
    starts = {
        "": "01-01",
        "early ": "01-01",
        "mid ": "07-01",
        "mid-": "07-01",
        "late ": "09-01",
        "the middle of ": "07-01",
        "the first half of ": "01-01",
        "the second half of ": "07-01",
    }
    ends = {
        "": "12-31",
        "early ": "04-30",
        "mid ": "06-30",
        "late ": "12-31",
        "the middle of ": "06-30",
        "the first half of ": "06-30",
        "the second half of ": "12-31",
    }
    last = first + span
    ranged = parse_intent(f"vol of KO from {parts[0]}{first} to {parts[1]}{last}", FEW)
    assert (ranged.start, ranged.end) == (
        f"{first}-{starts[parts[0]]}",
        f"{last}-{ends[parts[1]]}",
    )
    since = parse_intent(f"backtest 50/50 KO/XOM since {parts[0]}{first}", FEW)
    assert (since.start, since.end) == (f"{first}-{starts[parts[0]]}", None)
    until = parse_intent(f"vol of KO until {parts[1]}{last}", FEW)
    assert (until.start, until.end) == (None, f"{last}-{ends[parts[1]]}")


def test_words_near_the_new_readings_keep_their_own() -> None:
    """'rebalance annual' is a cadence; 'is AAPL related to MSFT' a correlation; a comparison of
    methods on a safer portfolio builds the methods named, not the least volatile too."""
    from agents.offline.intent.measures import measures_named
    from agents.offline.intent.trading_terms import cadence_named

    assert cadence_named("backtest 60% aapl 40% ko, rebalance annual") == "annually"
    assert cadence_named("rebalanced on an annual basis") == "annually"
    assert cadence_named("annual returns of ko") is None
    assert "correlation" in measures_named("is aapl related to msft")
    which = parse_intent(
        "which makes a less risky portfolio for AAPL and KO: hrp or risk parity?", FEW
    )
    assert which.methods == ("hrp", "risk_parity"), which.methods
    assert correct_typos("is it riskier then KO?") == "is it riskier than KO?"
