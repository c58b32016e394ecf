"""Names beyond a bar ("which stocks fell more than 30% in 2022?", "how many names had
volatility above 40% in 2020?", "did AAPL fall more than 20% in 2022?"): the reply names every
stock beyond it and no other, with how many, and the closest of the rest; the bar is accounted
for, not said to be unused. Before: every stock in order of the measure and "Not used: the 30%
in 'fell more than 30%'"; "how many stocks gained more than 50%" counted days of a 50% move; "a
Sharpe ratio above 1" set up a strategy search. A bar set as a margin over the index ("which
stocks beat the market by more than 10% in 2021?", "which lagged the S&P by over 5%?") is the
index's total return plus or minus the margin (it ranked against the index and said the 10%
unused). Checked against pandas over the embedded closes and index."""

from __future__ import annotations

import math
import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _measures(year: int) -> dict[str, pd.Series]:
    """Each stock's total return, annualised volatility, maximum drawdown (a positive fraction)
    and Sharpe ratio (risk-free 0) over the calendar year, from the close before it."""
    closes = PRICES.loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    daily = closes.pct_change().iloc[1:]
    volatility = daily.std() * math.sqrt(252)
    return {
        "return": closes.iloc[-1] / closes.iloc[0] - 1,
        "volatility": volatility,
        "drawdown": -(closes / closes.cummax() - 1).min(),
        "sharpe": daily.mean() * 252 / volatility,
    }


ASKS: dict[str, tuple[str, str, float, bool, float]] = {
    "fell more than {v}%": ("return", "below", -1.0, False, 0.01),
    "gained more than {v}%": ("return", "above", 1.0, True, 0.01),
    "had volatility above {v}%": ("volatility", "above", 1.0, True, 0.01),
    "had volatility under {v}%": ("volatility", "below", 1.0, False, 0.01),
    "had a max drawdown deeper than {v}%": ("drawdown", "deeper than", 1.0, True, 0.01),
    "had a sharpe ratio above {v}": ("sharpe", "above", 1.0, True, 1.0),
}
"""Each way of asking: the measure, the side the reply says, the bar's sign ("fell more than
30%": a return below -30%), whether the names above it are asked, the unit said (a percentage,
or a ratio)."""


def _listed(reply: str) -> list[str]:
    """The names a reply lists beyond the bar."""
    said = re.search(r"had a [^:;]+?: ((?:[A-Z]+ -?[\d.]+%?(?:, )?)+)\.", reply)
    return re.findall(r"([A-Z]+) -?[\d.]", said[1]) if said else []


@SLOW
@given(
    year=st.integers(2008, 2022), ask=st.sampled_from(sorted(ASKS)), level=st.integers(1, 16),
    opening=st.sampled_from(
        ("which stocks", "how many stocks", "which names", "any stocks that", "list the stocks that")
    ),
)  # fmt: skip
def test_the_names_beyond_a_bar_are_named_and_counted(
    offline_data_dir: Path, year: int, ask: str, level: int, opening: str
) -> None:
    measure, side, sign, above, unit = ASKS[ask]
    said = level * 5 if unit == 0.01 else level / 8  # 5%..80%, or a Sharpe of 0.125..2
    values = _measures(year)[measure]
    bar = sign * said * unit
    assume(((values - bar).abs() > 0.002 * max(1.0, abs(bar))).all())  # none on the bar
    expected = sorted(n for n, x in values.items() if (x > bar if above else x < bar))
    question = f"{opening} {ask.format(v=f'{said:g}')} in {year}?"
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, question)
    assert not pending and [c["name"] for c in calls] == ["asset_statistics"], (question, reply)
    assert "Not used" not in reply, reply
    count = {0: f"none of the {len(values)}", len(values): f"all {len(values)}"}.get(
        len(expected), f"{len(expected)} of the {len(values)}"
    )
    assert f"{count} had a " in reply, (question, reply)
    assert re.search(rf"\b{side} -?{re.escape(f'{said:g}')}%?", reply), reply
    assert sorted(_listed(reply)) == expected, (question, reply)
    if len(expected) < len(values):  # the closest of the rest, by the same measure
        rest = values.drop(expected)
        closest = (rest - bar).abs().idxmin()
        assert re.search(rf"(?i:the closest(?: of the rest)?): {closest} ", reply), (
            question,
            reply,
            closest,
        )


@SLOW
@given(year=st.integers(2008, 2022), ticker=st.sampled_from(STOCKS_ASKED), level=st.integers(1, 12))
def test_one_name_against_a_bar_is_yes_or_no(
    offline_data_dir: Path, year: int, ticker: str, level: int
) -> None:
    """ "Did AAPL fall more than 20% in 2022?" (before: its return, and the 20% said unused)."""
    value = _measures(year)["return"][ticker]
    assume(abs(value + level * 0.05) > 0.002)
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, f"did {ticker} fall more than {level * 5}% in {year}?")
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    answer = "Yes" if value < -level * 0.05 else "No"
    assert f"{answer}: {ticker}'s total return was " in reply, reply
    assert "Not used" not in reply, reply


def test_a_bar_beside_an_action_stays_a_limit(offline_data_dir: Path) -> None:
    """ "Build a portfolio of stocks with volatility below 20%" builds (not a question)."""
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "build a portfolio of stocks with volatility below 20%")
    assert [c["name"] for c in calls] == ["optimize_portfolio"], reply
    assert calls[0]["args"]["target_volatility"] == 0.2


@SLOW
@given(
    year=st.integers(2008, 2022),
    asked=st.sampled_from(
        (
            ("how many names had negative returns in {y}?", False),
            ("which stocks were down in {y}?", False),
            ("which stocks were up in {y}?", True),
            ("which names had positive returns in {y}?", True),
        )
    ),
)
def test_a_return_s_sign_is_a_bar_at_zero(
    offline_data_dir: Path, year: int, asked: tuple[str, bool]
) -> None:
    """ "Which stocks were up in 2022?", "how many names had negative returns?" (before: every
    stock in order, nothing counted)."""
    question, up = asked
    values = _measures(year)["return"]
    expected = sorted(n for n, x in values.items() if (x > 0 if up else x < 0))
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, question.format(y=year))
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    assert f"had a total return {'above' if up else 'below'} 0%" in reply, reply
    assert sorted(_listed(reply)) == expected, reply


def test_a_list_of_names_beyond_a_bar_is_not_the_data_s_coverage(offline_data_dir: Path) -> None:
    """ "List stocks with a drawdown of more than 40% since 2020" (before: the list of stocks
    the data holds, the 40% and the window unused)."""
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "list stocks with a drawdown of more than 40% since 2020")
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    assert "had a maximum drawdown deeper than 40%" in reply and "Not used" not in reply, reply


@SLOW
@given(
    year=st.integers(2008, 2022), margin=st.integers(1, 30),
    asked=st.sampled_from((
        ("which stocks beat the market by more than {m}% in {y}?", True),
        ("which names outperformed the s&p 500 by over {m}% in {y}?", True),
        ("which stocks lagged the market by more than {m}% in {y}?", False),
        ("any names underperform the index by over {m}% in {y}?", False),
    )),
)  # fmt: skip
def test_a_margin_over_the_index_is_the_index_s_return_plus_it(
    offline_data_dir: Path, year: int, margin: int, asked: tuple[str, bool]
) -> None:
    question, beat = asked
    closes = INDEX.loc[INDEX.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    index = closes.iloc[-1] / closes.iloc[0] - 1
    bar = index + (margin if beat else -margin) / 100
    values = _measures(year)["return"]
    assume(((values - bar).abs() > 0.002 * max(1.0, abs(bar))).all())  # none on the bar
    expected = sorted(n for n, x in values.items() if (x > bar if beat else x < bar))
    session = ChatSession(f"bars-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, question.format(m=margin, y=year))
    assert [c["name"] for c in calls] == ["asset_statistics"], reply
    points = "point" if margin == 1 else "points"
    said = re.search(r"had a total return (above|below) (-?[\d.]+)% \('[^']+': the S&P 500 index's "
                     rf"(-?[\d.]+)% (plus|minus) {margin} percentage {points}\)(?:: (.+?))?\."
                     r"(?= The| *$)", reply)  # fmt: skip
    assert said is not None, reply
    assert said[1] == ("above" if beat else "below") and said[4] == ("plus" if beat else "minus")
    assert abs(float(said[3]) / 100 - index) < 0.0006, (reply, index)
    assert abs(float(said[2]) / 100 - bar) < 0.0006 * (1 + abs(bar)), (reply, bar)
    assert sorted(re.findall(r"([A-Z]+) -?[\d.]+%", said[5] or "")) == expected, reply
    assert "Not used" not in reply, reply
