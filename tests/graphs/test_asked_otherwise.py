"""Questions said another way than the one first read: "which month was worst for AAPL in
2022?" (the end after the month; it was a market read), "how many stocks beat the market in
2021?" (it was a market read; now the ranking against the index, with the count said), a
question ending "and why?" (the "why" alone was read and nothing computed; now the question is
answered and the reply says what prices cannot say), "what was the best sector in 2021?" (it
asked what to do), a greeting before a question ("yo how'd the market do in 2020" backtested a
strategy) and "em" for "them" after a ranking. Checked against pandas over the embedded
closes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.why_too import WHY_NOT_SAID
from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
LEVELS = load_sp500_index()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _year(frame: pd.DataFrame | pd.Series, year: int) -> pd.DataFrame | pd.Series:
    return frame.loc[frame.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]


def _ask(message: str) -> tuple[str, list[dict[str, object]]]:
    session = ChatSession(f"otherwise-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, message)
    return reply, calls


@SLOW
@given(
    ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2005, 2022),
    end=st.sampled_from(("best", "worst")), unit=st.sampled_from(("month", "day")),
)  # fmt: skip
def test_which_month_or_day_was_worst_names_it(
    offline_data_dir: Path, ticker: str, year: int, end: str, unit: str
) -> None:
    daily = _year(PRICES[ticker], year).pct_change().iloc[1:]
    values = daily if unit == "day" else (1 + daily).groupby(daily.index.to_period("M")).prod() - 1
    pick = values.idxmax() if end == "best" else values.idxmin()
    reply, calls = _ask(f"which {unit} was {end} for {ticker} in {year}?")
    assert [c["name"] for c in calls] == ["asset_statistics"], (reply, calls)
    said = re.search(rf"{ticker}: {end} {unit} (\S+) \(", reply)
    shown = str(pick) if unit == "month" else pick.date().isoformat()
    assert said is not None and said[1] == shown, (reply, shown)


@SLOW
@given(year=st.integers(2005, 2022))
def test_how_many_stocks_beat_the_market_is_counted(offline_data_dir: Path, year: int) -> None:
    closes, levels = _year(PRICES, year), _year(LEVELS, year)
    stocks = closes.iloc[-1] / closes.iloc[0] - 1
    index = levels.iloc[-1] / levels.iloc[0] - 1
    if (abs(stocks - index) < 1e-3).any():
        return  # a stock level with the index at the tool's precision
    reply, calls = _ask(f"how many stocks beat the market in {year}?")
    assert [c["name"] for c in calls] == ["asset_statistics"], (reply, calls)
    beat, others = int((stocks > index).sum()), len(stocks)
    counted = {0: f"None of the {others}", others: f"All {others}"}.get(
        beat, f"{beat} of the {others}"
    )
    assert f"{counted} had a higher total return." in reply, (reply, beat)


@SLOW
@given(
    question=st.sampled_from((
        "which month was worst for {t} in {y}", "did {t} beat KO in {y}",
        "how volatile was {t} in {y}", "what was the best sector in {y}",
    )),
    ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2005, 2022),
    why=st.sampled_from((" and why?", ", and why?", " - why?", " and how come?")),
)  # fmt: skip
def test_a_question_ending_and_why_is_answered_then_says_what_prices_cannot(
    offline_data_dir: Path, question: str, ticker: str, year: int, why: str
) -> None:
    asked = question.format(t=ticker, y=year)
    alone, calls = _ask(asked + "?")
    assert calls, alone
    reply, with_why = _ask(asked + why)
    assert [c["args"] for c in with_why] == [c["args"] for c in calls], (with_why, calls)
    answer = alone.split("\n\nUsed: ")[0]
    assert reply.startswith(f"{answer}\n\n{WHY_NOT_SAID}"), (reply, answer)


@SLOW
@given(
    asked=st.sampled_from(
        ("what's the expected return?", "expected return?", "and the expected return")
    )
)
def test_the_expected_return_after_a_build_is_the_build_s(
    offline_data_dir: Path, asked: str
) -> None:
    session = ChatSession(f"otherwise-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, "hrp of tech and staples since 2020")
    expected = re.search(r"Expected return (-?\d+\.\d)%", built)
    assert expected is not None, built
    reply, calls, _ = turn_calls(session, asked)
    assert [c["name"] for c in calls] == ["asset_statistics"], (reply, calls)
    assert "portfolio_id" in calls[0]["args"], calls
    assert f"({expected[1]}% a year annualised" in reply, (reply, expected[1])


@SLOW
@given(
    ticker=st.sampled_from(STOCKS_ASKED), share=st.integers(5, 30),
    said=st.sampled_from(("what if I put {s}% in {t}?", "what if we move {s}% into {t}",
                          "what if I add {s}% {t}?", "add {s}% {t}")),
)  # fmt: skip
def test_a_share_put_in_one_name_is_added_to_the_build_or_asked_about(
    offline_data_dir: Path, ticker: str, share: int, said: str
) -> None:
    message = said.format(s=share, t=ticker)
    alone, calls = _ask(message)  # no portfolio to add it to: which one? (a scenario set)
    assert calls == [] and alone.startswith(f"Add {share}% {ticker} to which portfolio?"), alone
    session = ChatSession(f"otherwise-{uuid.uuid4().hex}", settings=Settings())
    others = [t for t in ("JNJ", "PG", "HD") if t != ticker]
    turn_calls(session, f"build an hrp portfolio of {' '.join(others)}")
    reply, calls, _ = turn_calls(session, message)
    assert [c["name"] for c in calls] == ["optimize_portfolio"], (message, reply, calls)
    limits = calls[0]["args"]["asset_limits"][ticker]
    assert limits == {"min": share / 100, "max": share / 100}, calls
    assert sorted(calls[0]["args"]["universe"]) == sorted([*others, ticker]), calls


@SLOW
@given(
    opener=st.sampled_from(("yo", "hey,", "Hi!", "ok so", "thanks.", "um")),
    question=st.sampled_from(
        (
            "how'd the market do in {y}",
            "how did the market do in {y}?",
            "what was the best stock in {y}?",
            "which stock was the calmest in {y}?",
        )
    ),
    year=st.integers(2008, 2022),
)
def test_a_greeting_before_a_question_changes_nothing(
    offline_data_dir: Path, opener: str, question: str, year: int
) -> None:
    """Before: "yo how'd the market do in 2020" and "ok so how did the market do in 2020?"
    backtested a 10% target-vol strategy of all twenty stocks; the question alone read the
    index."""
    asked = question.format(y=year)
    alone, alone_calls = _ask(asked)
    greeted, greeted_calls = _ask(f"{opener} {asked}")
    said = [(c["name"], c["args"]) for c in greeted_calls]
    assert said == [(c["name"], c["args"]) for c in alone_calls] and greeted == alone, greeted
    assert "backtest" not in {name.split("_")[0] for name, _ in said}


def test_em_after_a_ranking_is_its_picks(offline_data_dir: Path) -> None:
    """ "bt em eq wt since 2022" after a ranking backtests the names it showed (before: "em"
    was not read as "them", and all twenty were backtested under a target-vol strategy)."""
    session = ChatSession(f"otherwise-{uuid.uuid4().hex}", settings=Settings())
    ranked, _, _ = turn_calls(session, "top 3 stocks by sharpe in 2021")
    shown = re.search(r"highest first: (.+?)\.$", ranked, re.MULTILINE)
    assert shown is not None, ranked
    picks = re.findall(r"([A-Z]+) -?\d", shown[1])
    reply, calls, _ = turn_calls(session, "bt em eq wt since 2022")
    assert [c["name"] for c in calls] == ["backtest_weights"], (reply, calls)
    assert sorted(calls[0]["args"]["universe"]) == sorted(picks)
    sharpe = _year(PRICES, 2021).pct_change().iloc[1:]
    best = (sharpe.mean() / sharpe.std()).nlargest(3).index
    assert sorted(picks) == sorted(best)


@SLOW
@given(
    year=st.integers(2008, 2022), count=st.integers(2, 5),
    measure=st.sampled_from(("", " by return")),
)  # fmt: skip
def test_an_end_counted_with_no_noun_is_a_ranking_and_the_other_end_follows(
    offline_data_dir: Path, year: int, count: int, measure: str
) -> None:
    """ "top 3 by return in 2021" and "top 3 in 2020" asked what to do; "and the bottom 3?"
    after them is the other end of the twenty, not the 3 just shown."""
    closes = _year(PRICES, year)
    returns = (closes.iloc[-1] / closes.iloc[0] - 1).sort_values()
    session = ChatSession(f"otherwise-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, f"top {count}{measure} in {year}")
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    top = re.search(rf"the {count} highest of 20, highest first: (.+?)\.(?:\s|$)", reply)
    assert top is not None and re.findall(r"([A-Z]+) -?\d", top[1]) == list(
        returns.index[::-1][:count]
    ), reply
    reply, calls, _ = turn_calls(session, f"and the bottom {count}?")
    bottom = re.search(rf"the {count} lowest of 20, lowest first: (.+?)\.(?:\s|$)", reply)
    assert bottom is not None, reply
    assert re.findall(r"([A-Z]+) -?\d", bottom[1]) == list(returns.index[:count]), reply
