"""How the offline model reads the phrasings of the evaluation set's PM questions
(evals/cases): sectors named as the universe, ranges, lookbacks, levels, the frontier's and the
scenarios' arguments, backtests said as "how would X have done", research asks, asks outside
scope; each with the neighbouring messages it must leave alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from agents.offline.backtest_policies import backtest_args
from agents.offline.chat_args import COMPARES_WITH, frontier_args, scenario_args
from agents.offline.chat_intent import (
    known_tickers,
    window_args,
)
from agents.offline.data_dates import data_end, session_window
from agents.offline.intent import Intent, correct_typos, parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.scope import ORDER_REPLY, PREDICTION_REPLY, out_of_scope
from agents.offline.policies import PolicyInput
from quant.classification import matching
from quant.data import sp500_returns


def parse(text: str) -> Intent:
    return parse_intent(text, known_tickers())


@pytest.mark.parametrize(
    ("text", "tickers"),
    [
        ("risk parity of the healthcare names", ("JNJ", "LLY", "MRK", "PFE", "UNH")),
        ("compare hrp and max sharpe for the energy names since 2017", ("CVX", "RRC", "XOM")),
        ("frontier for the staples with no stock above 40%", ("KO", "PEP", "PG", "WMT")),
        ("how are the banks doing?", ("BAC", "JPM")),
        ("how is tech doing since 2021", ("AAPL", "AMD", "MSFT")),
        ("stress test the pharma space against 2020", ("JNJ", "LLY", "MRK", "PFE")),
        # several, joined
        ("hrp on tech and health care", ("AAPL", "AMD", "MSFT", "JNJ", "LLY", "MRK", "PFE", "UNH")),
        ("hrp on tech + the banks", ("AAPL", "AMD", "MSFT", "BAC", "JPM")),
        ("hrp on banks, staples and energy since 2019",
         ("BAC", "JPM", "KO", "PEP", "PG", "WMT", "CVX", "RRC", "XOM")),
        # joined after a holdings noun, or before one ("tech and bank stocks"), in the singular
        ("max sharpe portfolio of the tech stocks and the banks", ("AAPL", "AMD", "MSFT", "BAC", "JPM")),
        ("volatility of the tech and bank stocks", ("AAPL", "AMD", "MSFT", "BAC", "JPM")),
        ("hrp of energy, bank and tech names",
         ("CVX", "RRC", "XOM", "BAC", "JPM", "AAPL", "AMD", "MSFT")),
        ("sharpe of the financial stocks since 2020", ("BAC", "JPM")),
        ("min vol of the retailers", ("BBY", "HD", "WMT")),
    ],
)  # fmt: skip
def test_a_sector_named_as_the_subject_is_the_universe(text: str, tickers: tuple[str, ...]) -> None:
    assert parse(text).tickers == tickers


@pytest.mark.parametrize(
    "text",
    [
        "max sharpe portfolio of all stocks, no more than 30% in tech",
        "build a min volatility portfolio ex-energy",
        "what is the state of the market",
        "hrp of all the stocks",
        "how are they doing",
    ],
)
def test_limits_exclusions_and_plain_words_are_not_a_sector_universe(text: str) -> None:
    assert parse(text).tickers == ()


def test_sector_aliases_name_their_gics_category_in_one_place() -> None:
    health = [c.ticker for c in matching("health care")]
    assert (
        [c.ticker for c in matching("healthcare")] == health == ["JNJ", "LLY", "MRK", "PFE", "UNH"]
    )
    assert [c.ticker for c in matching("pharma")] == ["JNJ", "LLY", "MRK", "PFE"]
    assert [c.ticker for c in matching("tech")] == ["AAPL", "AMD", "MSFT"]
    assert parse(
        "max sharpe of all stocks with at least 20% in healthcare"
    ).limits.sector_limits == {"healthcare": (0.2, 1.0)}


def test_a_range_on_a_stock_or_a_sector_is_both_its_limits() -> None:
    asset = parse("min vol of AAPL MSFT KO PG JNJ, JNJ between 10% and 25%")
    assert asset.limits.asset_limits == {"JNJ": (0.1, 0.25)}
    assert asset.tickers == ("AAPL", "MSFT", "KO", "PG", "JNJ")
    sector = parse("max sharpe of all stocks with between 10% and 30% in energy")
    assert sector.limits.sector_limits == {"energy": (0.1, 0.3)}


@pytest.mark.parametrize(
    ("text", "sessions"),
    [
        ("max sharpe for LLY MRK UNH PFE over the last 5 years", 1260),
        ("cvar of KO over the last 12 months", 252),
        ("min vol of AAPL MSFT over the past year", 252),
        ("market read of XOM for the last 6 months", 126),
        ("var of JNJ over the previous two years", 504),
    ],
)
def test_a_trailing_window_is_the_last_sessions_of_the_data(text: str, sessions: int) -> None:
    """ "The last N months/years" is the last N x 21 (x 252) sessions of the data, as
    `last_sessions` for a tool that takes it and as the first of those dates for one that
    takes dates (checked against the data's session dates read with numpy)."""
    dates = np.asarray(sp500_returns().index.strftime("%Y-%m-%d"))
    assert data_end() == dates[-1] == "2022-12-28"
    intent = parse(text)
    assert intent.last_sessions == sessions
    assert window_args(intent, sessions=True)["last_sessions"] == sessions
    assert window_args(intent)["start"] == dates[-sessions]
    assert session_window(sessions) == (dates[-sessions], dates[-1])
    assert session_window(sessions, "2020-06-30") == tuple(
        dates[dates <= "2020-06-30"][[-sessions, -1]]
    )
    assert "start" not in window_args(parse("max sharpe for LLY MRK"))


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("what's the var of it at 99%?", 0.99),
        ("expected shortfall of that portfolio @ 99%", 0.99),
        ("cvar of AAPL and KO at 97.5%", 0.975),
        ("what's the cvar of my portfolio?", None),
    ],
)
def test_a_level_after_what_is_measured_is_the_confidence(text: str, level: float | None) -> None:
    assert parse(text).confidence == level


def _inp(text: str) -> PolicyInput:
    from langchain_core.messages import HumanMessage

    return PolicyInput(role="optimizer", messages=[HumanMessage(text)], tools=[])


def test_the_frontier_takes_the_points_and_the_cap_asked() -> None:
    text = "frontier for the staples with no stock above 40%, 20 points"
    args = frontier_args(parse(text), _inp(text))
    assert args == {"universe": ["KO", "PEP", "PG", "WMT"], "points": 20, "max_weight": 0.4}
    plain = "show me the efficient frontier of AAPL and MSFT"
    assert frontier_args(parse(plain), _inp(plain)) == {"universe": ["AAPL", "MSFT"], "points": 10}


def test_scenarios_take_the_names_paths_and_horizon_asked() -> None:
    args = scenario_args(parse("generate bull and bear scenarios for KO PG PEP, 500 paths"), ())
    assert args == {"universe": ["KO", "PG", "PEP"], "n_paths": 500, "names": ["bull", "bear"]}
    two_years = scenario_args(parse("simulate 2 years of paths for AAPL and MSFT"), ())
    assert two_years == {"universe": ["AAPL", "MSFT"], "n_paths": 200, "horizon": 504}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how would a target-vol strategy at 12% have done on KO PG PEP?", "backtest"),
        ("how would a 90% put have held up on AAPL in 2020?", "backtest"),
        ("find the target-vol setting that holds up in a bear market", "search_strategy"),
        ("tune a strategy on XOM CVX RRC with a 90% put hedge", "search_strategy"),
    ],
)
def test_how_a_strategy_would_have_done_is_a_backtest(text: str, intent: str) -> None:
    assert parse(text).intent == intent


def test_a_backtest_takes_the_target_lookback_and_rebalancing_interval() -> None:
    intent = parse("how would a target-vol strategy at 12% have done on KO PG PEP?")
    assert backtest_args(intent, {})["config"] == {"target_vol": 0.12}
    text = "backtest sigmoid weighting with a 63 day lookback on XOM CVX, rebalancing every 10 days"
    config = backtest_args(parse(text), {})["config"]
    assert config == {"weight_function": "sigmoid", "lookback": 63, "rebalance_every": 10}
    assert backtest_args(parse("backtest with a lookback of 42"), {})["config"] == {"lookback": 42}


def _ask(text: str) -> Any:
    return read_analysis(parse(text), known_tickers())


def test_a_stress_or_loss_question_on_a_method_is_asked_of_that_portfolio() -> None:
    stress = _ask("stress test a min vol portfolio of JPM BAC XOM against 2020")
    assert stress.kind == "stress" and stress.episodes == ("covid_2020",)
    loss = _ask("probability a max sharpe portfolio of AAPL MSFT KO loses 20% in bear")
    assert loss.kind == "loss_probability" and loss.threshold == 0.2
    assert _ask("build a max sharpe portfolio of AAPL and KO") is None  # a build, no analysis
    assert _ask("what's the correlation between them since 2020?").kind == "statistics"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what's our 12m expected return on LLY?", "research"),
        ("which stocks are we underweight?", "research"),
        ("what is our house view on pharma", "research"),
        ("what do my documents say about OPEC?", "research"),
        ("my portfolio expected return", "optimize_portfolio"),
        ("our max sharpe portfolio targets?", "optimize_portfolio"),
    ],
)
def test_research_asks_in_a_pms_words(text: str, intent: str) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("buy 100 shares of AAPL for me now", ORDER_REPLY),
        ("place an order to sell my KO", ORDER_REPLY),
        ("what will AAPL trade at next week?", PREDICTION_REPLY),
        ("deploy it to paper weekly", None),
        ("backtest a buy and hold of AAPL", None),
        ("what will the bear case do to it?", None),
    ],
)
def test_orders_and_price_predictions_are_declined(text: str, answer: str | None) -> None:
    assert out_of_scope(text) == answer


def test_comparing_with_the_threads_portfolio_and_against_typos() -> None:
    assert COMPARES_WITH.search("compare it with hrp")
    assert COMPARES_WITH.search("how does that stack up against risk parity?")
    assert not COMPARES_WITH.search("build an hrp portfolio of AAPL and MSFT")
    assert correct_typos("stack up agianst it, again, gains") == "stack up against it, again, gains"
