"""A portfolio asked at a return ("build a portfolio of AAPL and KO with at least 15% return",
"the lowest-risk portfolio of ... returning at least 18%") is the efficient-return portfolio:
the lowest volatility whose expected return reaches it (HRP or min-volatility was built, the
return said unused); a return above the best stock's is refused with the range in percent. A
percentage said alone after a targeted build ("and 30%?", "what about 20% vol?") builds it again
at that target (it asked what to do, or read each stock's volatility); a return or a volatility
said after any build ("what about a 20% return?" after HRP) builds the efficient-return (or
-risk) portfolio of its stocks at it, the earlier method said replaced (the market was read, the
20% said unused). Weights are checked
against cvxpy solving the same problem (mean x 252 and the sample covariance x 252 of the daily
returns over the window)."""

from __future__ import annotations

import uuid

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import (
    STOCKS_ASKED,
    answer_in_new_thread,
    answers_in_one_thread,
    built_portfolio,
)
from tests.support.efficient_references import efficient_return, efficient_risk, frontier_ends

RETURNS = load_sp500_prices().pct_change().loc["2018-01-02":"2022-12-28"]
ASKED = (
    "build a portfolio of {names} with at least {ret}% return",
    "build a portfolio of {names} targeting a {ret}% annual return",
    "what's the lowest-risk portfolio of {names} returning at least {ret}%?",
    "give me the least volatile mix of {names} with a minimum of {ret}% expected return",
)


def _names(stocks: list[str]) -> str:
    return ", ".join(stocks[:-1]) + f" and {stocks[-1]}"


def _close(weights: dict[str, float], reference: dict[str, float]) -> bool:
    return (
        set(weights) == set(reference)
        and max(abs(weights[t] - reference[t]) for t in reference) <= 0.002
    )


def _whole_percent_inside(low: float, high: float, where: float) -> int:
    """A whole percent between `low` and `high` (fractions) at `where` of the way, kept a half
    percent clear of both ends."""
    target = round(100 * (low + where * (high - low)))
    assume(100 * low + 0.5 < target < 100 * high - 0.5)
    return target


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    where=st.floats(min_value=0.1, max_value=0.9),
    asked=st.sampled_from(ASKED),
)
def test_a_build_at_a_return_is_the_efficient_return_portfolio(
    stocks: list[str], where: float, asked: str
) -> None:
    low_return, _, high_return, _ = frontier_ends(RETURNS, stocks)
    target = _whole_percent_inside(low_return, high_return, where)
    reply = answer_in_new_thread(asked.format(names=_names(stocks), ret=target))
    assert reply.startswith("Efficient-return portfolio (pf_"), reply
    assert "Not used" not in reply, reply
    weights = built_portfolio(reply)[1]
    assert _close(weights, efficient_return(RETURNS, stocks, target / 100)), (
        weights,
        stocks,
        target,
    )
    assert f"Expected return {target:.1f}%" in reply, reply


@settings(max_examples=4, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    first=st.floats(min_value=0.1, max_value=0.9),
    second=st.floats(min_value=0.1, max_value=0.9),
    follow_up=st.sampled_from(("and {v}%?", "what about {v}% vol?", "try {v}% instead")),
)
def test_a_percentage_after_a_volatility_targeted_build_moves_its_target(
    stocks: list[str], first: float, second: float, follow_up: str
) -> None:
    _, low, _, high = frontier_ends(RETURNS, stocks)
    before, after = (_whole_percent_inside(low, high, where) for where in (first, second))
    assume(before != after)
    built, moved = answers_in_one_thread(
        f"build a portfolio of {_names(stocks)} targeting {before}% volatility",
        follow_up.format(v=after),
    )
    assert built.startswith("Efficient-risk portfolio (pf_"), built
    assert moved.startswith(
        "Changed from your previous request: target volatility "
        f"{after:.1f}% instead of {before:.1f}%. Efficient-risk portfolio (pf_"
    ), moved
    assert "Not used" not in moved, moved
    assert _close(built_portfolio(moved)[1], efficient_risk(RETURNS, stocks, after / 100)), moved


def test_a_percentage_after_a_return_targeted_build_moves_its_target() -> None:
    low, _, high, _ = frontier_ends(RETURNS, ["AAPL", "KO"])
    before, after = round(100 * low) + 2, round(100 * high) - 2
    built, moved = answers_in_one_thread(
        f"build a portfolio of AAPL and KO targeting a {before}% annual return", f"and {after}%?"
    )
    assert built.startswith("Efficient-return portfolio (pf_"), built
    assert moved.startswith(
        f"Changed from your previous request: target return {after:.1f}% instead of "
        f"{before:.1f}%. Efficient-return portfolio (pf_"
    ), moved
    assert _close(built_portfolio(moved)[1], efficient_return(RETURNS, ["AAPL", "KO"], after / 100))


BUILDS = {
    "hrp": ("build an HRP portfolio of {names}", "HRP"),
    "max_sharpe": ("build a max sharpe portfolio of {names}", "max-Sharpe"),
    "min_volatility": ("build the least volatile portfolio of {names}", "min-volatility"),
    "efficient_risk": ("build a portfolio of {names} targeting {v}% volatility", None),
}
"""A build before the return is said: how it is asked and its method's name in replies (None:
a targeted build, whose target the return replaces)."""


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    where=st.floats(min_value=0.1, max_value=0.9),
    built=st.sampled_from(sorted(BUILDS)),
    said=st.sampled_from(
        ("what about a {r}% return?", "and a return of {r}%?", "how about {r}% annual return")
    ),
)
def test_a_return_said_after_any_build_builds_the_efficient_return_portfolio(
    stocks: list[str], where: float, built: str, said: str
) -> None:
    low, low_volatility, high, high_volatility = frontier_ends(RETURNS, stocks)
    target = _whole_percent_inside(low, high, where)
    volatility = _whole_percent_inside(low_volatility, high_volatility, where)
    asked, name = BUILDS[built]
    first, moved = answers_in_one_thread(
        asked.format(names=_names(stocks), v=volatility), said.format(r=target)
    )
    assert "Not used" not in first, first
    instead = (
        f"instead of target volatility {volatility:.1f}%"
        if name is None
        else f"(the efficient-return portfolio instead of the {name} one)"
    )
    assert moved.startswith(
        f"Changed from your previous request: target return {target:.1f}% {instead}. "
        "Efficient-return portfolio (pf_"
    ), moved
    assert "Not used" not in moved, moved  # the earlier method or volatility was replaced
    assert _close(built_portfolio(moved)[1], efficient_return(RETURNS, stocks, target / 100)), moved


def test_a_volatility_said_after_a_build_with_no_target_builds_the_efficient_risk_one() -> None:
    _, low, _, high = frontier_ends(RETURNS, ["AAPL", "MSFT", "KO"])
    target = round(100 * (low + high) / 2)
    moved = answers_in_one_thread(
        "build a max sharpe portfolio of AAPL, MSFT and KO", f"what about {target}% vol?"
    )[1]
    assert moved.startswith(
        f"Changed from your previous request: target volatility {target:.1f}% (the "
        "efficient-risk portfolio instead of the max-Sharpe one). Efficient-risk portfolio (pf_"
    ), moved
    assert "Not used" not in moved, moved
    reference = efficient_risk(RETURNS, ["AAPL", "MSFT", "KO"], target / 100)
    assert _close(built_portfolio(moved)[1], reference), moved


def test_a_return_above_the_best_stock_s_is_refused_with_the_range_in_percent() -> None:
    low, _, high, _ = frontier_ends(RETURNS, ["AAPL", "KO"])
    reply = answer_in_new_thread("build a portfolio of AAPL and KO with at least 40% return")
    assert reply == (
        "I could not build that efficient-return portfolio of AAPL and KO: target return 40.00% "
        f"is above the largest achievable return {high:.2%}; efficient returns range from "
        f"{low:.2%} to {high:.2%}."
    )


def test_a_percentage_after_a_build_with_no_target_is_not_taken_as_one() -> None:
    reply = answers_in_one_thread("build an HRP portfolio of AAPL and KO", "and 30%?")[1]
    assert "Changed from your previous request" not in reply, reply
    assert "the 30% in 'and 30%'" in reply, reply


def test_a_return_said_with_other_asks_after_a_build_is_not_a_rebuild() -> None:
    """A return beside a leverage or a scenario ("and a 20% return with 2x leverage?") is no
    target of the build before: it was rebuilt unchanged, or given the leverage and refused
    with a raw tool error ("leverage: is not a field here")."""
    for said in ("and a 20% return with 2x leverage?", "what about a 20% return in the bear case?"):
        session = ChatSession(f"return-beside-{uuid.uuid4().hex}", settings=Settings())
        session.send("build an HRP portfolio of AAPL and KO")
        turn = session.send(said)  # a search drafted for approval has no reply yet
        reply = " ".join(turn.replies)
        assert turn.pending is not None or reply, said
        assert "is not a field" not in reply, reply
        assert not reply.startswith(("HRP portfolio", "Changed from your previous request")), reply
