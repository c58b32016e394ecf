"""Two sectors' correlation asked ("how correlated are tech stocks with energy?", "the
correlation between banks and energy in 2022") is the mean correlation of the pairs of one stock
of each, with the lowest and highest pair, then each group's own for comparison (it listed every
pair, within groups too, and their mean). Checked against pandas over the embedded closes."""

from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.intent.targets import sector_tickers
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
SECTORS = ("tech", "energy", "staples", "banks")
ASKED = (
    "how correlated are {a} stocks with {b}?",
    "what's the correlation between {a} and {b} in {y}?",
    "correlation of {a} vs {b} in {y}",
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair=st.sampled_from(list(itertools.permutations(SECTORS, 2))),
    asked=st.sampled_from(ASKED), year=st.integers(2010, 2022),
)  # fmt: skip
def test_two_sectors_correlation_is_across_them_then_within_each(
    offline_data_dir: Path, pair: tuple[str, str], asked: str, year: int
) -> None:
    first, second = pair
    ones, others = ([t for t in sector_tickers([s]) if t in PRICES] for s in pair)
    message = asked.format(a=first, b=second, y=year)
    closes = PRICES if "{y}" not in asked else PRICES.loc[: f"{year}-12-31"]
    if "{y}" in asked:
        closes = closes.loc[closes.loc[: f"{year - 1}-12-31"].index[-1] :]
    else:
        closes = closes.loc[closes.loc[:"2017-12-31"].index[-1] :]  # the default window
    matrix = closes[ones + others].pct_change().iloc[1:].corr()
    across = {(a, b): matrix.loc[a, b] for a in ones for b in others}
    session = ChatSession(f"groups-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, message)
    assert [c["name"] for c in calls] == ["asset_statistics"], (message, calls)
    assert sorted(calls[0]["args"]["universe"]) == sorted(ones + others), calls
    said = re.search(
        rf"between {first} and {second}, each of {', '.join(ones)} with each of "
        rf"{', '.join(others)}: mean (-?\d\.\d\d) \({len(across)} pairs; lowest (\w+) and (\w+) "
        r"(-?\d\.\d\d), highest (\w+) and (\w+) (-?\d\.\d\d)\)",
        reply,
    )
    assert said is not None, (message, reply)
    mean = sum(across.values()) / len(across)
    assert abs(float(said[1]) - mean) <= 0.0051, (reply, mean)
    low, high = min(across, key=across.__getitem__), max(across, key=across.__getitem__)
    assert {said[2], said[3]} == set(low) and {said[5], said[6]} == set(high), (reply, low, high)
    assert "Within each group, for comparison:" in reply, reply
