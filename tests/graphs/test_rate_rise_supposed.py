"""A rise of interest rates supposed ("what happens to a portfolio of AAPL, MSFT and KO if rates
rise 100bps?", "... if rates rose 1%?", "what happens if rates rise 100bps?" after a build) is answered with what the
tools have: no rate model, so the reply says the move is not applied as such and replays the
2022 rate shock on the portfolio instead (before: an HRP portfolio was built, or the chat asked
what to do, the move said unused); a cut is not answered with a shock. The replayed loss is
checked against pandas: the weights bought at the close of the episode's first session, held to
the close of its last."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import (
    STOCKS_ASKED,
    answer_in_new_thread,
    built_portfolio,
    tool_args,
)

CLOSES = load_sp500_prices()
RISES = (
    "what happens to a portfolio of {names} if rates rise {bps}bps?",
    "how would {names} do if the fed hikes {bps} bps?",
    "what if yields go up by {bps} basis points, for a portfolio of {names}?",
    "how would {names} do if rates rose {pct}%?",
    "what happens to {names} if interest rates go up {pct} percent?",
    "{names}: what would a {pct}% rate hike do?",
)
"""A rise said in basis points or in percent (`pct`: the same rise, 1% = 100 bps)."""


def _episode_return(weights: dict[str, float]) -> float:
    """The 2022 rate shock (2022-01-03 to 2022-10-12) on `weights` bought at its first close."""
    first, last = CLOSES.loc["2022-01-03"], CLOSES.loc["2022-10-12"]
    return sum(w * float(last[t] / first[t]) for t, w in weights.items()) - 1.0


def _replayed_loss(reply: str) -> float:
    said = re.search(r"2022 rate shock \(2022-01-03 to 2022-10-12\), replayed on the weights "
                     r"bought at its start: the portfolio (loses|gains) (\d+\.\d)%", reply)  # fmt: skip
    assert said is not None, reply
    return (-1 if said[1] == "loses" else 1) * float(said[2]) / 100


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    bps=st.integers(min_value=10, max_value=300),
    said=st.sampled_from(RISES),
)
def test_a_rise_of_rates_supposed_replays_the_2022_rate_shock_and_says_so(
    stocks: list[str], bps: int, said: str
) -> None:
    names = ", ".join(stocks[:-1]) + f" and {stocks[-1]}"
    reply = answer_in_new_thread(said.format(names=names, bps=bps, pct=f"{bps / 100:g}"))
    assert f"No tool here models interest rates, so a {bps} bps rise is not applied" in reply
    assert "pf_" not in reply, reply  # nothing built
    assert f"Not used: the +{bps} bps rate move" in reply, reply  # not a "percentage"
    weights = {t: 1 / len(stocks) for t in stocks}
    # the tool's four significant digits (0.1805 of 0.18046), then the reply's 0.1% (18.1%)
    assert abs(_replayed_loss(reply) - _episode_return(weights)) <= 0.0005 + 0.00005 + 1e-9


def test_a_rise_of_rates_after_a_build_replays_the_shock_on_the_built_portfolio() -> None:
    session = ChatSession(f"rates-{uuid.uuid4().hex}", settings=Settings())
    built = session.send("build a portfolio of AAPL, MSFT and KO since 2018").replies[-1]
    portfolio, weights = built_portfolio(built)
    reply = session.send("what happens if rates rise 100bps?").replies[-1]
    assert [a.get("portfolio_id") for a in tool_args(session, "stress_test")] == [portfolio]
    assert [a.get("episodes") for a in tool_args(session, "stress_test")] == [["rates_2022"]]
    # the weights as the build's reply rounds them (0.1%)
    assert abs(_replayed_loss(reply) - _episode_return(weights)) <= 0.002


def test_a_cut_of_rates_is_not_answered_with_a_shock() -> None:
    reply = answer_in_new_thread("what happens to AAPL if rates fall 100bps?")
    assert "rate shock" not in reply.split("Used:")[0], reply
    assert "Not used: the -100 bps rate move (no tool here models interest rates" in reply
