"""Given weights set anew ("rebalance 60% AAPL 40% KO", "how should I rebalance 50/50 AAPL KO?"):
a portfolio built on their stocks (HRP, the default method), each weight's change from the one
given, and the weights counted as used. "Rebalance my portfolio" with none in the conversation
asks which, and the holdings given next are the ones rebuilt. Before, the first was a 10%
target-vol strategy backtested with the weights said unused, and the second built every stock of
the data. The weights built on two stocks are checked against inverse-variance weights from
pandas (what HRP is for two assets)."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import WHICH_PORTFOLIO
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

PRICES = load_sp500_prices()
ASKS = ("rebalance {a}% {x} {b}% {y}", "how should I rebalance {a}% {x} and {b}% {y}?")


def _inverse_variance(names: list[str], reply: str) -> dict[str, float]:
    span = re.search(r"estimated from (\S+) to (\S+) \(", reply)
    assert span is not None, reply
    before = PRICES.loc[: span[1]].index[-2]  # the close the first return is from
    variances = PRICES[names].loc[before : span[2]].pct_change().iloc[1:].var()
    inverse = 1 / variances
    return dict(inverse / inverse.sum())


def _changes(reply: str) -> dict[str, tuple[float, float, float]]:
    against = re.search(r"Against your weights: (.+?)\.(?:\s|$)", reply)
    assert against is not None, reply
    moves = re.findall(r"([A-Z]+) from ([\d.]+)% to ([\d.]+)% \(([+-][\d.]+) points\)", against[1])
    return {t: (float(a), float(b), float(p)) for t, a, b, p in moves}


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.integers(10, 90),
)
def test_given_weights_rebalanced_are_set_beside_a_build_on_their_stocks(
    ask: str, pair: list[str], share: int
) -> None:
    session = ChatSession(f"rebalance-{uuid.uuid4().hex}", settings=Settings())
    text = ask.format(a=share, x=pair[0], b=100 - share, y=pair[1])
    reply, calls, _ = turn_calls(session, text)
    assert [(c["name"], sorted(c["args"]["universe"])) for c in calls] == [
        ("optimize_portfolio", sorted(pair))
    ], (reply, calls)
    _, built = built_portfolio(reply)
    expected = _inverse_variance(pair, reply)
    assert all(abs(built[t] - expected[t]) <= 0.0006 for t in pair), (reply, expected)
    changes = _changes(reply)
    assert sorted(changes) == sorted(pair), reply
    for name, given_share in ((pair[0], share), (pair[1], 100 - share)):
        before, after, points = changes[name]
        assert before == given_share and abs(after / 100 - built[name]) < 1e-9, reply
        assert abs(points - round(after - before, 1)) <= 0.1001, reply
    assert "Not used" not in reply and "target-vol" not in reply, reply


def test_my_portfolio_rebalanced_with_none_held_is_asked_about_then_rebuilt() -> None:
    session = ChatSession(f"rebalance-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "rebalance my portfolio")
    assert reply == WHICH_PORTFOLIO and calls == [], (reply, calls)
    reply, calls, _ = turn_calls(session, "60% AAPL 40% KO")
    assert [(c["name"], sorted(c["args"]["universe"])) for c in calls] == [
        ("optimize_portfolio", ["AAPL", "KO"])
    ], calls
    assert "AAPL from 60.0% to " in reply and "KO from 40.0% to " in reply, reply
    reply, calls, _ = turn_calls(session, "optimise our book")
    assert [(c["name"], sorted(c["args"]["universe"])) for c in calls] == [
        ("optimize_portfolio", ["AAPL", "KO"])
    ], calls
    other = ChatSession(f"rebalance-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(other, "build my portfolio")  # a build asked: no question
    assert [c["name"] for c in calls] == ["optimize_portfolio"], (reply, calls)
