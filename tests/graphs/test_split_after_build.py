"""A split said alone after a build ("and 70/30?", "what about 50/30/20?") sets the portfolio
built beside the split given to its names in the order the user named them, over the sessions
it was built on (`compare_portfolios`; before: "What would you like me to do"); a split of
another number of shares is refused with an example that sums to 100. The split's return a year
and volatility are checked against pandas on the embedded prices."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, tool_args

RETURNS = load_sp500_prices().pct_change()
SPLITS_SAID = ("and {split}?", "what about {split}?", "how about {split} instead?")


@st.composite
def _shares(draw: st.DrawFn, count: int) -> list[int]:
    """`count` whole percents of at least 5 that sum to 100."""
    cuts = sorted(
        draw(st.lists(st.integers(1, 19), min_size=count - 1, max_size=count - 1, unique=True))
    )
    return [5 * (b - a) for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    year=st.integers(min_value=2008, max_value=2019),
    said=st.sampled_from(SPLITS_SAID),
    data=st.data(),
)
def test_a_split_after_a_build_is_set_beside_the_build(
    stocks: list[str], year: int, said: str, data: st.DataObject
) -> None:
    shares = data.draw(_shares(len(stocks)))
    split = "/".join(str(s) for s in shares)
    session = ChatSession(f"split-{uuid.uuid4().hex}", settings=Settings())
    built = session.send(f"build a portfolio of {' and '.join(stocks)} since {year}").replies[-1]
    portfolio = built_portfolio(built)[0]
    reply = session.send(said.format(split=split)).replies[-1]
    weights = {t: s / 100 for t, s in zip(stocks, shares, strict=True)}  # in the order named
    compared = tool_args(session, "compare_portfolios")
    assert compared == [
        {
            "portfolio_ids": [portfolio],
            "portfolios": {split: weights},
            "start": compared[0]["start"],
            "end": "2022-12-28",
        }
    ], compared
    assert compared[0]["start"].startswith(f"{year}-01-0"), compared  # the build's sessions
    line = re.search(
        rf"{re.escape(split)}: return (-?\d+\.?\d*)% a year, volatility (\d+\.?\d*)%", reply
    )
    assert line is not None, reply
    held = RETURNS.loc[compared[0]["start"] : "2022-12-28", list(weights)]
    daily = held.to_numpy() @ np.array(list(weights.values()))
    mean, vol = float(np.mean(daily)) * 252, float(np.std(daily, ddof=1)) * np.sqrt(252)
    for shown, reference in ((float(line[1]), mean), (float(line[2]), vol)):
        assert abs(shown / 100 - reference) <= 0.0006 + 0.005 * abs(reference), (shown, reference)
    assert f"HRP ({portfolio})" in reply, reply


def test_a_split_of_another_number_of_shares_is_refused_with_an_example() -> None:
    session = ChatSession(f"split-{uuid.uuid4().hex}", settings=Settings())
    session.send("build a min variance portfolio of AAPL, MSFT and KO since 2018")
    reply = session.send("and 70/30?").replies[-1]
    assert reply.startswith("Give one weight for each of AAPL, MSFT, KO (for example 34/33/33)")
    assert "Nothing was computed" in reply and not tool_args(session, "compare_portfolios")
