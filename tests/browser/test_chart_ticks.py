"""The charts' percentage axes (api/web/charts.js `percentTicks`, run by Node.js): for any
values, ticks a round step apart, at most the number asked for, none reading like another
(the efficient frontier's axis read "16%, 16%, 17%, 17%" over 15.5-19.6 %)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.node_module import NodeModule, node_module

SERVE = """
import { createInterface } from "node:readline";
const charts = await import(process.argv[1]);
for await (const line of createInterface({ input: process.stdin })) {
  const [values, most] = JSON.parse(line);
  process.stdout.write(JSON.stringify(charts.percentTicks(values, most)) + "\\n");
}
"""


@pytest.fixture(scope="module")
def charts_js() -> Iterator[NodeModule]:
    with node_module("charts.js", SERVE) as js:
        yield js


def _shown(value: float, tickformat: str) -> str:
    """A tick as d3-format's `.<n>%` writes it (the percentage, n decimals)."""
    decimals = int(tickformat[1:-1])
    text = f"{value * 100:.{decimals}f}%"
    return "0" + text[2:] if text.startswith("-0") and float(text[:-1]) == 0 else text


FRACTIONS = st.floats(-1.0, 5.0, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(
    low=FRACTIONS,
    span=st.floats(1e-4, 3.0),
    inside=st.lists(st.floats(0.0, 1.0), max_size=20),
    most=st.sampled_from([4, 6]),
)
def test_percentage_ticks_are_round_few_and_distinct(
    charts_js: NodeModule, low: float, span: float, inside: list[float], most: int
) -> None:
    values = [low, low + span, *(low + f * span for f in inside)]
    ticks = charts_js.ask([values, most])
    step = ticks["dtick"]
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-9)
    assert any(math.isclose(mantissa, m) for m in (1, 2, 5, 10)), ticks
    first, last = math.ceil(min(values) / step - 1e-9), math.floor(max(values) / step + 1e-9)
    shown = [_shown(k * step, ticks["tickformat"]) for k in range(first, last + 1)]
    assert 2 <= len(shown) <= most + 1, (ticks, values)
    assert len(set(shown)) == len(shown), (ticks, shown)
    # no more decimals than the step needs
    decimals = int(ticks["tickformat"][1:-1])
    assert decimals == 0 or not math.isclose(round(step * 100, decimals - 1), step * 100)


def test_values_without_a_range_get_one_decimal(charts_js: NodeModule) -> None:
    assert charts_js.ask([[0.1, 0.1], 6]) == {"tickformat": ".1%"}
    assert charts_js.ask([[], 6]) == {"tickformat": ".1%"}
