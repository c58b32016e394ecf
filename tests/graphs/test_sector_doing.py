"""How a sector has been doing ("how's tech been doing?", "how have the banks done since 2019?",
"how're the staples doing lately?") is a market read of its stocks that says each one's
annualised return beside the index's (before: no return of any of them, only the best and worst
Sharpe ratio, and "how's tech ..." asked what to do). "Lately" and "these days" are the last
quarter's sessions. Checked against pandas over the embedded closes and index."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from quant import load_sp500_prices
from quant.data import load_sp500_index
from services.windows import LATELY_SESSIONS
from tests.support.chat_answers import answer_in_new_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
ASKS = (
    "how's {s} been doing {w}?", "how has {s} done {w}?", "how are the {s} doing {w}?",
    "how're the {s} doing {w}?", "how’s {s} doing {w}?", "how have the {s} performed {w}?",
)  # fmt: skip
SECTORS = ("tech", "banks", "staples", "energy", "healthcare names")
WINDOWS = ("since 2019", "since 2015", "lately", "these days", "in 2021")


def _annualised(closes: pd.DataFrame | pd.Series, window: str) -> pd.DataFrame | pd.Series:
    """The mean daily return x 252 over the window said (its first day's return from the
    close before it)."""
    if window in ("lately", "these days"):
        chosen = closes.iloc[-(LATELY_SESSIONS + 1) :]
    else:
        year = int(window[-4:])
        last = f"{year}-12-31" if window.startswith("in") else None
        chosen = closes.loc[closes.loc[: f"{year - 1}-12-31"].index[-1] : last]
    return chosen.pct_change().iloc[1:].mean() * 252


@settings(max_examples=10, deadline=None)
@given(ask=st.sampled_from(ASKS), sector=st.sampled_from(SECTORS), window=st.sampled_from(WINDOWS))
def test_a_sector_s_doing_says_each_stock_s_return_beside_the_index(
    ask: str, sector: str, window: str
) -> None:
    reply = answer_in_new_thread(ask.format(s=sector, w=window))
    members = sector_tickers([sector.split()[0]])
    said = re.search(r"Annualised return \(mean daily return x 252\): ([^;]+); the S&P 500 index "
                     r"(-?[\d.]+)%\.", reply)  # fmt: skip
    assert said is not None, reply
    shown = dict(re.findall(r"([A-Z]+) (-?[\d.]+)%", said[1]))
    assert sorted(shown) == sorted(members), reply
    expected = _annualised(PRICES[members], window)
    for name, value in shown.items():
        assert abs(float(value) / 100 - expected[name]) <= 0.0006, (reply, expected)
    assert list(shown) == list(expected.sort_values(ascending=False).index), reply
    assert abs(float(said[2]) / 100 - _annualised(INDEX, window)) <= 0.0006, reply
    assert "Not used" not in reply, reply
