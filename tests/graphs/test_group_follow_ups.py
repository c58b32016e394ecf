"""A question of sectors asked again changed: "and in 2021?" after "vol of tech vs staples in
2022" measures each sector again over 2021 (before: the last sector alone, called "the
portfolio", the other said unused); "what about tech?" after "how did energy do in 2022?" is
the tech names at equal weights (before: "the portfolio"); "and for KO?" is KO's own figures
(before: "the portfolio (KO 100.0%)"); "compare the energy names to the banks" measures each
sector (before: the energy names alone). Checked against pandas over the embedded closes: a
sector at equal weights rebalanced daily returns the mean of its stocks' daily returns."""

from __future__ import annotations

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
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SECTORS = {"tech": "the tech names", "energy": "the energy names", "staples": "the staples",
           "banks": "the banks"}  # fmt: skip
"""The sectors asked of, and how a reply names each."""


def _equal_weight_return(members: list[str], year: int) -> float:
    closes = PRICES[members].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    daily = closes.pct_change().iloc[1:].mean(axis=1)
    return float((1 + daily).prod() - 1)


def _said_return(reply: str, name: str) -> float:
    said = re.search(rf"{name} at equal weights \([^)]*\) had a total return of (-?[\d.]+)%", reply)
    assert said is not None, (name, reply)
    return float(said[1]) / 100


def _session() -> ChatSession:
    return ChatSession(f"groups-{uuid.uuid4().hex}", settings=Settings())


@SLOW
@given(
    pair=st.lists(st.sampled_from(sorted(SECTORS)), min_size=2, max_size=2, unique=True),
    first=st.integers(2010, 2022), then=st.integers(2010, 2022),
)  # fmt: skip
def test_a_window_change_measures_every_sector_again(
    offline_data_dir: Path, pair: list[str], first: int, then: int
) -> None:
    session = _session()
    turn_calls(session, f"return of {pair[0]} vs {pair[1]} in {first}")
    reply, calls, _ = turn_calls(session, f"and in {then}?")
    members = [sector_tickers([s]) for s in pair]
    assert [sorted(c["args"]["weights"]) for c in calls] == [sorted(m) for m in members], reply
    assert all(c["args"]["start"] == f"{then}-01-01" for c in calls), calls
    assert "the portfolio" not in reply and "Not used" not in reply, reply
    for sector, held in zip(pair, members, strict=True):
        expected = _equal_weight_return(held, then)
        assert abs(_said_return(reply, SECTORS[sector]) - expected) < 0.0006, (reply, expected)


@SLOW
@given(pair=st.lists(st.sampled_from(sorted(SECTORS)), min_size=2, max_size=2, unique=True),
       year=st.integers(2010, 2022))  # fmt: skip
def test_another_sector_named_is_that_sector(
    offline_data_dir: Path, pair: list[str], year: int
) -> None:
    session = _session()
    turn_calls(session, f"how did {pair[0]} do in {year}?")
    reply, calls, _ = turn_calls(session, f"what about {pair[1]}?")
    held = sector_tickers([pair[1]])
    assert [sorted(c["args"]["weights"]) for c in calls] == [sorted(held)], reply
    assert f"{SECTORS[pair[1]]} instead of {SECTORS[pair[0]]}" in reply, reply
    assert "the portfolio" not in reply, reply
    expected = _equal_weight_return(held, year)
    assert abs(_said_return(reply, SECTORS[pair[1]]) - expected) < 0.0006, (reply, expected)


def test_a_stock_named_in_a_sector_s_place_is_measured_alone(offline_data_dir: Path) -> None:
    session = _session()
    turn_calls(session, "how did energy do in 2022?")
    reply, calls, _ = turn_calls(session, "and for KO?")
    assert [c["args"].get("universe") for c in calls] == [["KO"]], (reply, calls)
    assert "weights" not in calls[0]["args"] and "the portfolio" not in reply, reply
    closes = PRICES["KO"].loc["2021-12-31":"2022-12-31"]
    said = re.search(r"KO: a total return of (-?[\d.]+)%", reply)
    assert (
        said is not None
        and abs(float(said[1]) / 100 - (closes.iloc[-1] / closes.iloc[0] - 1)) < 0.0006
    )


@SLOW
@given(
    pair=st.lists(st.sampled_from(sorted(SECTORS)), min_size=2, max_size=2, unique=True),
    year=st.integers(2010, 2022), joined=st.sampled_from(("to", "with", "vs", "and")),
)  # fmt: skip
def test_sectors_compared_are_each_measured_at_equal_weights(
    offline_data_dir: Path, pair: list[str], year: int, joined: str
) -> None:
    """ "Compare the energy names to the banks in 2022" (before: the energy names alone, the
    banks said unused; "compare tech with staples" asked what to do)."""
    session = _session()
    reply, calls, _ = turn_calls(session, f"compare {pair[0]} {joined} {pair[1]} in {year}")
    members = [sector_tickers([s]) for s in pair]
    assert [sorted(c["args"]["weights"]) for c in calls] == [sorted(m) for m in members], reply
    assert "Not used" not in reply, reply
    for sector, held in zip(pair, members, strict=True):
        expected = _equal_weight_return(held, year)
        assert abs(_said_return(reply, SECTORS[sector]) - expected) < 0.0006, (reply, expected)
