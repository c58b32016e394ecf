"""A portfolio asked at a volatility ("build a portfolio of AAPL, MSFT and KO targeting 25%
volatility", "what's the best portfolio of AAPL and KO with 25% volatility?", "... with
volatility of at most 24%") is the efficient-risk portfolio: the highest expected return with
that volatility or less (an HRP portfolio was built, or each stock's volatility read, the target
said unused); a target below the lowest volatility the stocks reach is refused with the range,
in percent. The weights are checked against cvxpy solving the same problem (mean x 252 and the
sample covariance x 252 of the daily returns over the window)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, built_portfolio
from tests.support.efficient_references import efficient_risk, frontier_ends

RETURNS = load_sp500_prices().pct_change().loc["2018-01-02":"2022-12-28"]
ASKED = (
    "build a portfolio of {names} targeting {vol}% volatility",
    "what's the best portfolio of {names} with {vol}% volatility?",
    "build the highest return portfolio of {names} with volatility of at most {vol}%",
    "what is the optimal mix of {names} for a {vol}% vol",
)


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    where=st.floats(min_value=0.1, max_value=0.9),
    asked=st.sampled_from(ASKED),
)
def test_a_build_at_a_volatility_is_the_efficient_risk_portfolio(
    stocks: list[str], where: float, asked: str
) -> None:
    _, low, _, high = frontier_ends(RETURNS, stocks)
    target = round(100 * (low + where * (high - low)))  # whole percents, as a PM says them
    assume(100 * low + 0.5 < target < 100 * high - 0.5)  # a whole percent clear of its ends
    names = ", ".join(stocks[:-1]) + f" and {stocks[-1]}"
    reply = answer_in_new_thread(asked.format(names=names, vol=target))
    assert reply.startswith("Efficient-risk portfolio (pf_"), reply
    assert "Not used" not in reply, reply
    weights = built_portfolio(reply)[1]
    reference = efficient_risk(RETURNS, stocks, target / 100)
    assert set(weights) == set(stocks)
    assert max(abs(weights[t] - reference[t]) for t in stocks) <= 0.002, (weights, reference)
    assert f"volatility {target:.1f}%" in reply, reply


def test_a_volatility_below_the_reachable_is_refused_with_the_range_in_percent() -> None:
    _, low, _, high = frontier_ends(RETURNS, ["AAPL", "KO"])
    reply = answer_in_new_thread(
        "what's the optimal allocation between AAPL and KO for 15% volatility?"
    )
    assert reply.startswith("I could not build that efficient-risk portfolio of AAPL and KO"), reply
    assert (
        f"target volatility 15.00% is below the minimum achievable volatility {low:.2%}; "
        f"efficient volatilities range from {low:.2%} to {high:.2%}"
    ) in reply
