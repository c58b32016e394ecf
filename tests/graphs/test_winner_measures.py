"""A measure of a finished search's winner asked in chat ("what's the winner's Sharpe in the
bear scenario?", "how much of the time is it in cash?", "and its drawdown?") is answered from
the run's results: the winner's path means per scenario, as the result stores them, the average
risky weight said as cash held or wealth borrowed. Before, the first read as a question about
market scenarios (a scenario set of every stock was generated and described) and the second as
no question at all. "Its" after a later question about stocks is about those stocks."""

from __future__ import annotations

import re
from pathlib import Path

from graphs.chat import ChatSession
from services.formatting import METRICS, scenario
from services.strategy_model import wait_for_learning
from settings import Settings
from store.sqlite import SQLiteStore

SEARCH = "find the best vol target for KO, PG and XOM with 12 trials since 2015"
SAID = {"sharpe": "sharpe", "max_drawdown": "drawdown", "cagr": "annual return",
        "volatility": "volatility", "average_weight": "exposure"}  # fmt: skip
ASKS = ("what's the winner's {m}{s}?", "and its {m}{s}?", "what {m} does the strategy have{s}?")
SCENARIOS = ("", "bear", "high_vol")


def test_measures_of_the_winner_are_its_results(offline_data_dir: Path, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("measures", settings=Settings(), owner="alice", store=store)
    assert session.send(SEARCH).pending is not None
    done = session.decide("approve").replies[-1]
    [job_id] = re.findall(r"^Run (job_\w+) succeeded\.", done)
    wait_for_learning("alice")
    by_scenario = store.get_result("alice", job_id).payload["best"]["scenarios"]
    # each phrasing, measure and scenario, within the turns a model is shown (`agents.chat.HISTORY`)
    asked = [(ASKS[i % 3], list(SAID)[i % 5], SCENARIOS[i % 3]) for i in range(10)]
    for ask, metric, named in asked:
        where = f" in the {scenario(named)} scenario" if named else ""
        question = ask.format(m=SAID[metric], s=where)
        turn = session.send(question)
        assert turn.pending is None, question
        answer = turn.replies[-1]
        term = METRICS[metric]
        assert answer.startswith(f"The winner's {term.label} ("), (question, answer)
        shown = [named] if named else list(by_scenario)
        for name in shown:
            value = term.write(by_scenario[name][metric])
            assert f"{scenario(name)} {value}" in answer, (question, name, value, answer)
        assert all(f" {scenario(n)} " not in answer for n in by_scenario if n not in shown)
        assert "Nothing was computed" not in answer and "Used:" not in answer, answer
    cash = session.send("how much of the time is it in cash?").replies[-1]
    weight = by_scenario["bear"]["average_weight"]
    held = (
        f"{(weight - 1) * 100:.2f}% of wealth"
        if weight > 1
        else f"{(1 - weight) * 100:.2f}% in cash"
    )
    assert held in cash and "not how many days the strategy spent in cash" in cash, cash
    for other in ("how volatile is tech?", "what's the sharpe of my holdings?",
                  "what was the drawdown of the other trials?"):  # fmt: skip
        assert not session.send(other).replies[-1].startswith("The winner's"), other
    session.send("what's the volatility of AAPL since 2020?")
    assert "AAPL: Sharpe ratio" in session.send("what's its sharpe?").replies[-1]  # the stock's
    store.close()


def test_the_winner_is_remembered_past_the_messages_a_model_is_shown(
    offline_data_dir: Path,
) -> None:
    """After more questions about stocks than the window of messages a model is shown
    (`agents.chat.HISTORY`), a question naming the winner is still the winner's: the
    search's answer is kept in view (`EARLIER_RUN_MARKER`). Before, "what is the lookback?"
    was the glossary's and "the winner's Sharpe" asked which portfolio."""
    from agents.chat import HISTORY

    session = ChatSession("remembered", settings=Settings())
    assert session.send(SEARCH.replace("12 trials", "6 trials")).pending is not None
    session.decide("approve")
    asides = ("what is the sharpe of KO?", "volatility of XOM since 2019?",
              "what is the drawdown of AAPL?", "sharpe of WMT?")  # fmt: skip
    while len(session.history()) - 2 < HISTORY + 4:  # the run's answer out of the window
        session.send(asides[len(session.history()) % len(asides)])
    assert session.send("what's the winner's sharpe?").replies[-1].startswith("The winner's")
    assert session.send("what is the lookback?").replies[-1].startswith("The winner: lookback")


def test_work_after_the_search_stays_the_latest_subject_past_the_window(
    offline_data_dir: Path,
) -> None:
    """A portfolio built after the search is the latest subject, however long ago: "its" is not
    the winner's once both are out of the window, and a search asked with a trial count and no
    stocks is of the portfolio's stocks, not the earlier search's."""
    from agents.chat import HISTORY

    session = ChatSession("after", settings=Settings())
    assert session.send(SEARCH.replace("12 trials", "6 trials")).pending is not None
    session.decide("approve")
    session.send("build a minimum variance portfolio of AAPL, MSFT and JNJ since 2018")
    drafted = session.send("find the best vol target with 10 trials").pending
    assert drafted is not None and drafted["request"]["universe"] == ["AAPL", "MSFT", "JNJ"]
    assert session.send("no").replies == ["Cancelled: nothing was run."]
    while len(session.history()) < HISTORY + 20:
        session.send("what does cvar mean?")
    assert not session.send("what's its sharpe?").replies[-1].startswith("The winner's")


def test_how_the_winner_did_in_a_scenario_is_its_headline_measures_after_questions_about_stocks(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    """ "How did it do in the bear scenario?" is the winner's Sharpe, annual return and drawdown
    there: right after the search (before, it asked which portfolio) and after a question about
    a stock, which has no scenarios (before, the stock's statistics, the scenario "not used"); a
    portfolio built since is "it" (a portfolio can be stressed). "The high vol scenario" names a
    scenario, not a measure of volatility."""
    store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("did", settings=Settings(), owner="alice", store=store)
    assert session.send(SEARCH.replace("12 trials", "6 trials")).pending is not None
    [job_id] = re.findall(r"^Run (job_\w+) succeeded\.", session.decide("approve").replies[-1])
    wait_for_learning("alice")
    bear = store.get_result("alice", job_id).payload["best"]["scenarios"]["bear"]
    headline = [f"{METRICS[m].label} (" for m in ("sharpe", "cagr", "max_drawdown")]
    for before in (None, "what's the sharpe of KO?", "volatility of XOM since 2019?"):
        if before is not None:
            assert session.send(before).replies[-1].startswith("Statistics")
        answer = session.send("how did it do in the bear scenario?").replies[-1]
        assert answer.startswith("The winner's") and "Used:" not in answer, (before, answer)
        assert all(label in answer for label in headline), answer
        assert f"bear {METRICS['sharpe'].write(bear['sharpe'])}" in answer
        assert "high-volatility" not in answer  # the scenario asked only
    session.send("what's the sharpe of KO?")
    drawdown = session.send("and its drawdown in the high vol scenario?").replies[-1]
    assert drawdown.startswith("The winner's max drawdown") and "volatility (" not in drawdown
    session.send("build a minimum variance portfolio of AAPL, MSFT and JNJ since 2018")
    later = session.send("how did it do in the bear scenario?").replies[-1]
    assert not later.startswith("The winner's") and "the portfolio" in later, later
    store.close()
