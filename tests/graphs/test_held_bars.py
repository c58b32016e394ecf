"""A bar asked of the portfolio held ("did my portfolio fall more than 10% in 2022?", "was it
down in 2022?", "did it gain more than 40% since 2020?") is answered yes or no with its total
return (before: the portfolio was built again over the year, or every figure listed with "Not
used: the 10%"); asked of the names it holds ("did any of my holdings fall more than 10%?",
"are any of my stocks down more than 10%?") the names beyond it are counted. "My stocks" is the
portfolio held ("how volatile have my stocks been?" asked what to do). Checked against pandas
over the embedded closes: a portfolio of fixed weights, rebalanced daily, returns the weighted
mean of its stocks' daily returns."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import WHICH_PORTFOLIO
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ASKED = {
    "did my portfolio fall more than {x}% {w}?": ("fell", True),
    "was my portfolio down more than {x}% {w}?": ("fell", True),
    "did it gain more than {x}% {w}?": ("gained", True),
    "was it down {w}?": ("fell", False),
    "was my portfolio up {w}?": ("gained", False),
}
"""Each question of the portfolio's return: whether it asks a fall or a gain, and whether of a
size (else of its sign)."""


def _window(year: int, since: bool) -> tuple[str, str | None]:
    first = PRICES.loc[: f"{year - 1}-12-31"].index[-1]
    return str(first.date()), None if since else f"{year}-12-31"


def _total_returns(weights: dict[str, float], year: int, since: bool) -> tuple[float, dict]:
    start, end = _window(year, since)
    daily = PRICES[list(weights)].loc[start:end].pct_change().iloc[1:]
    held = (daily * [weights[n] for n in weights]).sum(axis=1) / sum(weights.values())
    each = {n: float((1 + daily[n]).prod() - 1) for n in weights}
    return float((1 + held).prod() - 1), each


def _session() -> ChatSession:
    return ChatSession(f"held-bars-{uuid.uuid4().hex}", settings=Settings())


@SLOW
@given(
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    asked=st.sampled_from(sorted(ASKED)), size=st.integers(1, 40), year=st.integers(2008, 2022),
    since=st.booleans(),
)  # fmt: skip
def test_a_bar_asked_of_the_portfolio_is_yes_or_no(
    offline_data_dir: Path, names: list[str], asked: str, size: int, year: int, since: bool
) -> None:
    session = _session()
    built, _, _ = turn_calls(session, f"build an HRP portfolio of {' '.join(names)}")
    _, weights = built_portfolio(built)
    held, _ = _total_returns(weights, year, since)
    move, sized = ASKED[asked]
    bound = (-size if move == "fell" else size) / 100 if sized else 0.0
    if abs(held - bound) < 0.005:
        return  # the weights as the reply rounds them decide which side it is
    window = f"since {year}" if since else f"in {year}"
    reply, calls, _ = turn_calls(session, asked.format(x=size, w=window))
    assert [c["name"] for c in calls] == ["asset_statistics"], reply  # not built again
    assert "portfolio_id" in calls[0]["args"], calls
    beyond = held < bound if move == "fell" else held > bound
    said = re.match(r"(Yes|No): the portfolio's total return was (-?[\d.]+)%", reply)
    assert said is not None and said[1] == ("Yes" if beyond else "No"), (reply, held)
    assert abs(float(said[2]) / 100 - held) <= 0.002 * (1 + abs(held)), (reply, held)
    assert "Not used" not in reply, reply


@SLOW
@given(
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    size=st.integers(1, 40), year=st.integers(2008, 2022),
    asked=st.sampled_from(("did any of my holdings fall more than {x}% in {y}?",
                           "are any of my stocks down more than {x}% in {y}?",
                           "which of my names fell more than {x}% in {y}?",
                           "did they fall more than {x}% in {y}?")),
)  # fmt: skip
def test_a_bar_asked_of_its_names_counts_them(
    offline_data_dir: Path, names: list[str], size: int, year: int, asked: str
) -> None:
    session = _session()
    built, _, _ = turn_calls(session, f"build an HRP portfolio of {' '.join(names)}")
    _, weights = built_portfolio(built)
    _, each = _total_returns(weights, year, False)
    if any(abs(r + size / 100) < 0.001 for r in each.values()):
        return  # a name at the bar at the tool's precision
    reply, calls, _ = turn_calls(session, asked.format(x=size, y=year))
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    beyond = sorted(n for n, r in each.items() if r < -size / 100)
    many = len(each)
    counted = {0: f"none of the {many}", many: f"all {many}"}.get(
        len(beyond), f"{len(beyond)} of the {many}"
    )
    assert f"By total return, {counted} had a total return below -{size}%" in reply, reply
    if beyond:
        listed = re.search(r"below -\d+% \('[^']*'\): (.+?)\.(?=\s+[A-Z]|\s*$)", reply)
        assert listed is not None and sorted(re.findall(r"([A-Z]+) -", listed[1])) == beyond, reply
    assert "Not used" not in reply, reply


def test_my_stocks_are_the_portfolio_held(offline_data_dir: Path) -> None:
    session = _session()
    reply, calls, _ = turn_calls(session, "how volatile have my stocks been?")
    assert reply == WHICH_PORTFOLIO and calls == [], reply
    built, _, _ = turn_calls(session, "build an HRP portfolio of AAPL KO PEP")
    portfolio_id, _ = built_portfolio(built)
    reply, calls, _ = turn_calls(session, "how volatile have my stocks been since 2020?")
    assert [(c["name"], c["args"].get("portfolio_id")) for c in calls] == [
        ("asset_statistics", portfolio_id)
    ], reply
    assert "had volatility" in reply, reply
