"""`market_statistics`' bull and bear markets by the 20% rule (`phases`): the index's and each
asset's, read on the embedded closes from the data's first up to the window's end, against the
plain reference of the rule (`tests.support.bear_market_rule`); a read of many assets gives the
index's alone and says why, and every read stays within the tool's result budget."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_index, load_sp500_prices
from tests.support.bear_market_rule import phases_by_the_rule
from tools import ToolContext
from tools.market import MAX_PHASE_ASSETS, MarketStatisticsArgs, market_statistics

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
CONTEXT = ToolContext()
RESULT_BUDGET = 4096
"""Characters of a tool result the chat sends the model (tests/tools/test_market_tools.py)."""


def reference(closes: pd.Series, end: pd.Timestamp) -> tuple[Any, ...]:
    """The phase at `end` by the reference, the dates the last two phases began at, and the
    move since the last began."""
    upto = closes.loc[:end]
    phases = phases_by_the_rule(upto.to_numpy(dtype=float))
    if not phases:
        return (None, None, None, None, None)
    (phase, at), *rest = reversed(phases)
    before = rest[0] if rest else (None, None)
    move = float(upto.iloc[-1] / upto.iloc[at] - 1.0)
    day = None if before[1] is None else str(upto.index[before[1]].date())
    return (phase, str(upto.index[at].date()), before[0], day, move)


def said(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["phase"], row["since"], row["before"], row["before_since"], row["move"])


def matches(row: dict[str, Any], closes: pd.Series, end: pd.Timestamp) -> None:
    phase, since, before, before_since, move = reference(closes, end)
    assert said(row)[:4] == (phase, since, before, before_since), (row, phase, since)
    assert (row["move"] is None) == (move is None)
    if move is not None:
        assert abs(row["move"] - move) <= 5e-4 * abs(move) + 1e-9, (row, move)


@settings(max_examples=15, deadline=None)
@given(
    universe=st.lists(
        st.sampled_from(list(PRICES.columns)), min_size=1, max_size=MAX_PHASE_ASSETS, unique=True
    ),
    start=st.integers(1995, 2020),
    years=st.integers(1, 3),
)
def test_each_asset_and_the_index_follow_the_rule_on_the_whole_history(
    universe: list[str], start: int, years: int
) -> None:
    args = MarketStatisticsArgs(universe=universe, start=str(start), end=str(start + years - 1))
    result = market_statistics(CONTEXT, args)
    assert len(json.dumps(result, allow_nan=False)) < RESULT_BUDGET
    phases = result["phases"]
    end = pd.Timestamp(result["date_range"]["end"])
    matches(phases["index"], INDEX, end)
    assert sorted(phases["per_asset"]) == sorted(universe)
    for ticker, row in phases["per_asset"].items():
        matches(row, PRICES[ticker], end)
        window = PRICES[ticker].loc[result["date_range"]["start"] : end]
        # the fall below the highest close of the window (or of the close it starts from)
        level = PRICES[ticker].loc[:end].iloc[-len(window) - 1 :]
        assert abs(row["below_high"] - (1 - level.iloc[-1] / level.max())) < 1e-3, row


def test_a_read_of_more_assets_gives_the_index_s_phase_alone_and_says_why() -> None:
    many = list(PRICES.columns[: MAX_PHASE_ASSETS + 1])
    phases = market_statistics(CONTEXT, MarketStatisticsArgs(universe=many))["phases"]
    assert "per_asset" not in phases and phases["index"]["phase"] in ("bull", "bear")
    assert f"at most {MAX_PHASE_ASSETS} assets, not {len(many)}" in phases["per_asset_not_given"]
