"""`market_data_coverage`: every stock of the market data with its classification and the dates
of its returns, read back from the data itself (the embedded closes, and frames whose stocks
start late or end early); a sector keeps its stocks only; a sector that names nothing, or none
of the data's stocks, is refused naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.classification import classifications, matching
from quant.data import load_sp500_prices, to_returns
from tools import FrameMarketData, ToolContext, build_tools

RETURNS = to_returns(load_sp500_prices())


def _coverage(context: ToolContext, **args: Any) -> dict[str, Any]:
    (tool,) = build_tools(context, ["market_data_coverage"])
    result = tool.invoke(args)
    assert isinstance(result, dict), result
    return result


def test_every_stock_of_the_embedded_data_with_its_classification_and_dates() -> None:
    result = _coverage(ToolContext())
    shipped = classifications()
    assert [s["ticker"] for s in result["stocks"]] == list(RETURNS.columns)
    assert result["count"] == result["of_all"] == RETURNS.shape[1]
    for stock in result["stocks"]:
        held = RETURNS[stock["ticker"]].dropna()
        assert stock["first"] == held.index[0].date().isoformat()
        assert stock["last"] == held.index[-1].date().isoformat()
        assert stock["sessions"] == len(held)
        known = shipped[stock["ticker"]]
        assert (stock["name"], stock["sector"], stock["industry"]) == (
            known.name, known.sector, known.industry
        )  # fmt: skip
    assert result["data_range"] == {
        "start": RETURNS.index[0].date().isoformat(),
        "end": RETURNS.index[-1].date().isoformat(),
        "sessions": len(RETURNS),
    }
    start = RETURNS.index[RETURNS.index >= f"{RETURNS.index[-1].year - 4}-01-01"][0]
    assert result["default_window"]["start"] == start.date().isoformat()
    assert result["index"]["name"] == "S&P 500 index"


@settings(max_examples=25, deadline=None)
@given(
    starts=st.lists(st.integers(0, 200), min_size=3, max_size=3),
    ends=st.lists(st.integers(0, 200), min_size=3, max_size=3),
)
def test_a_stock_listed_late_or_delisted_early_has_its_own_dates(
    starts: list[int], ends: list[int]
) -> None:
    frame = RETURNS[["AAPL", "KO", "XOM"]].iloc[-500:].copy()
    for column, start, end in zip(frame.columns, starts, ends, strict=True):
        frame.iloc[:start, frame.columns.get_loc(column)] = np.nan
        if end:
            frame.iloc[-end:, frame.columns.get_loc(column)] = np.nan
    result = _coverage(ToolContext(data=FrameMarketData(frame)))
    for stock, start, end in zip(result["stocks"], starts, ends, strict=True):
        held = frame[stock["ticker"]].iloc[start : len(frame) - end]
        assert stock["sessions"] == len(held) == 500 - start - end
        assert stock["first"] == held.index[0].date().isoformat()
        assert stock["last"] == held.index[-1].date().isoformat()
    assert result["index"] is None  # a frame without an index


@pytest.mark.parametrize("term", ["banks", "bank", "energy", "tech", "health care", "Financials"])
def test_a_sector_keeps_its_stocks_only(term: str) -> None:
    result = _coverage(ToolContext(), sector=term)
    assert [s["ticker"] for s in result["stocks"]] == [c.ticker for c in matching(term)] != []
    assert result["sector"] == term and result["of_all"] == RETURNS.shape[1]


def test_a_sector_naming_nothing_or_none_of_the_data_is_refused(
    classification_file: Path,
) -> None:
    (tool,) = build_tools(ToolContext(), ["market_data_coverage"])
    for term, words in (
        ("crypto", "names no GICS sector"),
        ("tobacco", "no stock of the market data"),
    ):
        answer = str(tool.invoke({"sector": term}))
        assert "market_data_coverage failed: sector:" in answer and words in answer, answer
    refused = str(tool.invoke({"sector": "x" * 61}))
    assert "sector" in refused and "60" in refused, refused


@settings(max_examples=30, deadline=None)
@given(
    known=st.lists(st.sampled_from(list(RETURNS.columns)), min_size=1, max_size=6),
    unknown=st.lists(st.sampled_from(["TSLA", "NVDA", "zz", "BRK.B"]), max_size=2),
    order=st.randoms(use_true_random=False),
)
def test_the_stocks_named_are_listed_in_order_and_those_missing_said(
    known: list[str], unknown: list[str], order: Any
) -> None:
    asked = [*known, *unknown]
    order.shuffle(asked)
    result = _coverage(ToolContext(), tickers=[t.lower() for t in asked])
    wanted = list(dict.fromkeys(t.upper() for t in asked))
    assert result["tickers"] == wanted
    assert [s["ticker"] for s in result["stocks"]] == [t for t in wanted if t in RETURNS.columns]
    assert result["missing"] == [t for t in wanted if t not in RETURNS.columns]
    assert result["of_all"] == RETURNS.shape[1]
    for stock in result["stocks"]:
        assert stock["sessions"] == len(RETURNS[stock["ticker"]].dropna())


def test_a_sector_and_tickers_together_are_refused() -> None:
    (tool,) = build_tools(ToolContext(), ["market_data_coverage"])
    answer = str(tool.invoke({"sector": "banks", "tickers": ["JPM"]}))
    assert "give sector or tickers, not both" in answer, answer
    assert "tickers" in str(tool.invoke({"tickers": []}))
    assert "tickers: a ticker is empty" in str(tool.invoke({"tickers": ["KO", "  "]}))
