"""The charts' percentage axes (api/web/charts.js `PERCENT_TICKS`, read by Node.js): at any
step plotly picks for its ticks (1, 2 or 5 times a power of ten; at any zoom), the format has
as many decimals as the step, so that no two ticks read the same (the efficient frontier's axis
read "16%, 16%, 17%, 17%" over 15.5-19.6 %), and no more."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.node_module import node_module

SERVE = """
import { createInterface } from "node:readline";
const charts = await import(process.argv[1]);
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(JSON.stringify(charts.PERCENT_TICKS) + "\\n");
}
"""


@pytest.fixture(scope="module")
def stops() -> Iterator[list[dict[str, Any]]]:
    with node_module("charts.js", SERVE) as js:
        yield js.ask({})


def _format_at(stops: list[dict[str, Any]], dtick: float) -> str:
    """The format of the first stop whose range holds `dtick` (plotly's `tickformatstops`)."""
    for stop in stops:
        low, high = stop["dtickrange"]
        if (low is None or dtick >= low) and (high is None or dtick <= high):
            return str(stop["value"])
    raise AssertionError(f"no stop holds {dtick}")


def _shown(value: float, decimals: int) -> str:
    return f"{value * 100:.{decimals}f}%"


@settings(max_examples=200, deadline=None)
@given(
    mantissa=st.sampled_from([1, 2, 5]),
    power=st.integers(-6, 1),
    first=st.integers(-2000, 2000),
)
def test_ticks_a_round_step_apart_read_apart_with_no_decimal_to_spare(
    stops: list[dict[str, Any]], mantissa: int, power: int, first: int
) -> None:
    step = mantissa * 10.0**power
    decimals = int(_format_at(stops, step)[1:-1])
    ticks = [_shown(k * step, decimals) for k in range(first, first + 6)]
    assert len(set(ticks)) == len(ticks), (step, ticks)
    if decimals:  # one decimal fewer and two ticks of some step read alike
        fewer = [_shown(k * step, decimals - 1) for k in range(0, 10)]
        assert len(set(fewer)) < len(fewer), (step, fewer)


def test_no_round_step_sits_on_a_bound(stops: list[dict[str, Any]]) -> None:
    """Whether plotly reads a bound as inside or outside a stop never changes a format."""
    bounds = [b for stop in stops for b in stop["dtickrange"] if b is not None]
    steps = [m * 10.0**p for m in (1, 2, 5) for p in range(-7, 3)]
    assert not any(math.isclose(b, s) for b in bounds for s in steps)
