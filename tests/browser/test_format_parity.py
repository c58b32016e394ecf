"""The web UI's formatter (api/web/format.js, run by Node.js) writes every number, parameter,
configuration and risk limit as services/formatting.py does (the reports, the command line and
the chat's replies), for generated values: any float (ties of the last decimal, negative zero,
huge, tiny, NaN, infinities), integers, None; every parameter of the vocabulary; random
strategy configurations; every limit, statistic and scenario.

One Node.js process for the module reads requests as JSON lines and answers each with the
texts format.js writes; the vocabulary it uses is the API's (`services.formatting.vocabulary`).
The tests skip, saying why, where Node.js is missing (`make system-deps` installs it)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quant.limits import LIMIT_METRICS, STATISTICS
from quant.regime_names import REGIME_NAMES
from quant.strategy import StrategyConfig
from services import formatting
from tests.support.node_module import NodeModule, node_module

SERVE = """
import { createInterface } from "node:readline";
const f = await import(process.argv[1]);
const number = (v) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const writers = {
  percent: f.percent,
  signed_percent: f.signedPercent,
  ratio: f.ratio,
  multiple: f.multiple,
  money: f.money,
  count: f.count,
  days: f.days,
  bps: f.bps,
  date: f.isoDate,
};
for await (const line of createInterface({ input: process.stdin })) {
  const ask = JSON.parse(line);
  let answer;
  if (ask.vocabulary) {
    f.setVocabulary(ask.vocabulary);
    answer = "ok";
  } else if (ask.format) answer = ask.values.map((v) => writers[ask.format](number(v)));
  else if (ask.parameter) answer = ask.values.map((v) => f.parameter(ask.parameter, number(v)));
  else if (ask.configs) answer = ask.configs.map((c) => f.configSentence(c));
  else if (ask.limits) answer = ask.limits.map((l) => f.limitSentence(l.metric, l.limit, l.statistic, l.scenario, l.value));
  process.stdout.write(JSON.stringify(answer) + "\\n");
}
"""

PYTHON_FORMATS: dict[str, Callable[[Any], str]] = {
    "percent": formatting.percent,
    "signed_percent": lambda v: formatting.percent(v, signed=True),
    "ratio": formatting.ratio,
    "multiple": formatting.multiple,
    "money": formatting.money,
    "count": formatting.count,
    "days": formatting.days,
    "bps": formatting.bps,
}

ANY_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e7, max_value=1e7),
    st.integers(-(10**6), 10**6).map(lambda n: n / 1000),
    # exact ties of the last decimal shown (2, 1 or 0 decimals; a percentage's after x 100):
    # Python rounds them to even, JavaScript's toFixed and Intl away from zero
    st.integers(-(10**6), 10**6).map(lambda k: (2 * k + 1) / 8),
    st.integers(-(10**6), 10**6).map(lambda k: (2 * k + 1) / 800),
    st.integers(-(10**6), 10**6).map(lambda k: (2 * k + 1) / 4),
    st.integers(-(10**6), 10**6).map(lambda k: (2 * k + 1) / 2),
    st.integers(-(10**18), 10**18),
    st.none(),
)


def _wire(value: Any) -> Any:
    """A value as JSON can carry it to Node.js (NaN and infinities as names)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


@pytest.fixture(scope="module")
def format_js() -> Iterator[NodeModule]:
    with node_module("format.js", SERVE) as js:
        assert js.ask({"vocabulary": formatting.vocabulary()}) == "ok"
        yield js


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TIES = sorted(
    {
        sign * (2 * k + 1) / denominator
        for k in range(0, 400)
        for denominator in (2, 4, 8, 800, 8000)
        for sign in (1, -1)
    }
)
"""Exact ties of the last decimal shown (0, 1 or 2 decimals, a percentage's after x 100) and
their neighbours' signs: where Python rounds to even and JavaScript's toFixed away from zero."""


@pytest.mark.parametrize("fmt", sorted(PYTHON_FORMATS))
def test_ties_and_edges_are_written_the_same(format_js: NodeModule, fmt: str) -> None:
    values = [*TIES, 0.0, -0.0, 5e-324, -5e-324, 1e21, -1e21, 1e300, 2**53 + 2, None]
    values += [math.nan, math.inf, -math.inf]
    written = format_js.ask({"format": fmt, "values": [_wire(v) for v in values]})
    assert written == [PYTHON_FORMATS[fmt](v) for v in values]


@FAST
@given(fmt=st.sampled_from(sorted(PYTHON_FORMATS)), values=st.lists(ANY_NUMBER, max_size=40))
def test_numbers_are_written_the_same(format_js: NodeModule, fmt: str, values: list[Any]) -> None:
    written = format_js.ask({"format": fmt, "values": [_wire(v) for v in values]})
    assert written == [PYTHON_FORMATS[fmt](v) for v in values]


@FAST
@given(values=st.lists(st.one_of(st.dates(), st.none()), max_size=20))
def test_dates_are_iso(format_js: NodeModule, values: list[Any]) -> None:
    texts = [None if v is None else v.isoformat() for v in values]
    assert format_js.ask({"format": "date", "values": texts}) == [formatting.day(v) for v in values]


@FAST
@given(
    name=st.sampled_from(sorted(formatting.PARAMETERS)),
    values=st.lists(st.floats(min_value=0, max_value=1e4), max_size=20),
)
def test_each_parameter_is_said_the_same(
    format_js: NodeModule, name: str, values: list[float]
) -> None:
    term = formatting.PARAMETERS[name]
    said: list[Any] = sorted(term.choices or {}) if term.format == "choice" else list(values)
    assert format_js.ask({"parameter": name, "values": said}) == [
        formatting.parameter(name, v) for v in said
    ]


CONFIGS = st.fixed_dictionaries(
    {
        "target_vol": st.floats(min_value=0.01, max_value=1),
        "weight_function": st.sampled_from(["inverse_vol", "sigmoid", "merton"]),
        "lookback": st.integers(2, 252),
        "rebalance_every": st.integers(1, 63),
        "max_leverage": st.floats(min_value=0.1, max_value=3),
        "risk_aversion": st.floats(min_value=0.1, max_value=20),
        "steepness": st.floats(min_value=0.1, max_value=30),
        "cost_bps": st.floats(min_value=0, max_value=50),
        "overlay": st.sampled_from(["none", "put", "put_spread", "collar"]),
        "overlay_strike": st.floats(min_value=0.85, max_value=0.99),
        "overlay_tenor_days": st.sampled_from([21, 63, 126, 252]),
        "overlay_roll": st.sampled_from(["expiry", "band", "delta"]),
        "overlay_hedge_ratio": st.floats(min_value=0.1, max_value=2),
        "overlay_budget": st.one_of(st.none(), st.floats(min_value=0.001, max_value=0.5)),
    }
)


@FAST
@given(configs=st.lists(CONFIGS, min_size=1, max_size=10))
def test_configurations_are_said_the_same(
    format_js: NodeModule, configs: list[dict[str, Any]]
) -> None:
    dumped = [StrategyConfig.model_validate(c).model_dump(mode="json") for c in configs]
    assert format_js.ask({"configs": dumped}) == [formatting.config_sentence(c) for c in dumped]


LIMITS = st.fixed_dictionaries(
    {
        "metric": st.sampled_from(LIMIT_METRICS),
        "limit": st.floats(min_value=0.0001, max_value=1),
        "statistic": st.sampled_from(STATISTICS),
        "scenario": st.one_of(st.none(), st.sampled_from(REGIME_NAMES)),
        "value": st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
    }
)


@FAST
@given(limits=st.lists(LIMITS, min_size=1, max_size=20))
def test_limits_are_said_the_same(format_js: NodeModule, limits: list[dict[str, Any]]) -> None:
    assert format_js.ask({"limits": limits}) == [
        formatting.limit_sentence(
            row["metric"], row["limit"], row["statistic"], row["scenario"], row["value"]
        )
        for row in limits
    ]
