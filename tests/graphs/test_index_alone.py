"""The S&P 500 index asked of alone, on what a market read does not give ("what was the best
month for the S&P in 2020?", "the worst day for the market", "monthly returns of the S&P 500 in
2022", "how many days did the market fall more than 3%?", "the 3 worst days", "S&P 500 returns
by year"), is answered with the index's own figures (it was a market read that did not answer
it). Checked against pandas over the embedded index levels."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import turn_calls

LEVELS = load_sp500_index()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
INDEX = ("the S&P", "the S&P 500", "the market", "the broad market", "the s&p 500")


def _daily(year: int) -> pd.Series:
    """The index's daily returns over `year`, from the close before its first session."""
    levels = LEVELS.loc[LEVELS.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    return levels.pct_change().iloc[1:]


def _monthly(year: int) -> pd.Series:
    daily = _daily(year)
    return (1 + daily).groupby(daily.index.to_period("M")).prod() - 1


def _ask(message: str) -> tuple[str, dict[str, object]]:
    session = ChatSession(f"index-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, message)
    assert [c["name"] for c in calls] == ["asset_statistics"], (message, reply, calls)
    assert reply.startswith("The S&P 500 index from "), reply
    return reply, calls[0]["args"]


@SLOW
@given(
    year=st.integers(2001, 2022),
    index=st.sampled_from(INDEX),
    end=st.sampled_from(("best", "worst")),
)
def test_the_index_s_best_or_worst_month_and_day(
    offline_data_dir: Path, year: int, index: str, end: str
) -> None:
    months, days = _monthly(year), _daily(year)
    reply, _ = _ask(f"what was the {end} month for {index} in {year}?")
    month = months.idxmax() if end == "best" else months.idxmin()
    said = re.search(rf"{end} month (\d{{4}}-\d\d) \((-?\d+\.\d)%\)", reply)
    assert said is not None and said[1] == str(month), (reply, month)
    assert abs(float(said[2]) - 100 * months[month]) <= 0.0551, (reply, months[month])
    reply, _ = _ask(f"what was the {end} day for {index} in {year}?")
    day = days.idxmax() if end == "best" else days.idxmin()
    said = re.search(rf"{end} day (\d{{4}}-\d\d-\d\d) \((-?\d+\.\d+)%\)", reply)
    assert said is not None and said[1] == day.date().isoformat(), (reply, day)
    assert abs(float(said[2]) - 100 * days[day]) <= 0.0051, (reply, days[day])


@SLOW
@given(year=st.integers(2001, 2022), index=st.sampled_from(INDEX))
def test_the_index_s_months_and_its_days_beyond_a_move(
    offline_data_dir: Path, year: int, index: str
) -> None:
    months = _monthly(year)
    reply, args = _ask(f"monthly returns of {index} in {year}")
    assert args.get("by_month") is True, args
    said = dict(re.findall(r"(\d{4}-\d\d) (-?\d+\.\d)%", reply.split("by calendar month")[1]))
    assert list(said) == [str(m) for m in months.index], reply
    for month, value in said.items():
        assert abs(float(value) - 100 * months[pd.Period(month)]) <= 0.0551, (month, reply)
    days = _daily(year)
    reply, args = _ask(f"how many days did {index} fall more than 2% in {year}?")
    down, up = int((days < -0.02).sum()), int((days > 0.02).sum())
    assert f"{down} sessions down more than 2.0% and {up} up more than 2.0%, of {len(days)}" in (
        reply
    ), reply


@SLOW
@given(year=st.integers(2001, 2022), built=st.booleans())
def test_it_after_a_read_of_the_market_is_the_index_over_the_read_s_year(
    offline_data_dir: Path, year: int, built: bool
) -> None:
    days, months = _daily(year), _monthly(year)
    wealth = (1 + days).cumprod()
    depth = float((1 - wealth / wealth.cummax().clip(lower=1.0)).max())
    session = ChatSession(f"index-{uuid.uuid4().hex}", settings=Settings())
    if built:  # a portfolio of the thread's is not what "its" means after the market's read
        turn_calls(session, "build a min vol portfolio of AAPL, KO and XOM")
    turn_calls(session, f"how did the market do in {year}?")
    for message, pattern, value in (
        ("what's its max drawdown?", r"maximum drawdown (\d+\.\d+)%", depth),
        ("and what was its worst month?", r"worst month \S+ \((-?\d+\.\d)%\)", months.min()),
    ):
        reply, calls, _ = turn_calls(session, message)
        assert [c["name"] for c in calls] == ["asset_statistics"], (message, reply, calls)
        assert (calls[0]["args"]["start"], calls[0]["args"]["end"]) == (
            f"{year}-01-01", f"{year}-12-31",
        ), calls  # fmt: skip
        assert reply.startswith("The S&P 500 index from "), reply
        said = re.search(pattern, reply)
        assert said is not None and abs(float(said[1]) - 100 * value) <= 0.0551, (reply, value)


@SLOW
@given(
    year=st.integers(2001, 2022), index=st.sampled_from(INDEX), built=st.booleans(),
    then=st.sampled_from(("and when did it recover?", "and how long did it take to recover?",
                          "and what was its worst month?")),
)  # fmt: skip
def test_it_after_the_index_in_the_same_question_is_the_index(
    offline_data_dir: Path, year: int, index: str, built: bool, then: str
) -> None:
    """ "What was the max drawdown of the S&P in 2008 and when did it recover?" (it asked which
    portfolio; after a build, "it" carried the build's method into the question's accounting)."""
    wealth = (1 + _daily(year)).cumprod()
    depth = float((1 - wealth / wealth.cummax().clip(lower=1.0)).max())
    session = ChatSession(f"index-{uuid.uuid4().hex}", settings=Settings())
    if built:
        turn_calls(session, "build an HRP portfolio of AAPL, KO and XOM")
    message = f"what was the max drawdown of {index} in {year} {then}"
    reply, calls, _ = turn_calls(session, message)
    assert [c["name"] for c in calls] == ["asset_statistics"], (message, reply, calls)
    assert reply.startswith("The S&P 500 index from "), reply
    said = re.search(r"maximum drawdown (\d+\.\d+)% from its peak on \S+ to its trough on", reply)
    assert said is not None and abs(float(said[1]) - 100 * depth) <= 0.0051, (reply, depth)
    assert "Not used" not in reply, reply
