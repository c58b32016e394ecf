"""The one number formatter and the vocabulary: each format checked against Python's own
format mini-language (a reference we did not write) over whole classes of numbers, the
vocabulary covering every StrategyConfig field, metric, statistic, scenario and agent, and a
configuration described without the settings it does not read."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prompts.roles import AGENT_ROLES
from quant.limits import STATISTICS
from quant.metrics import PATH_METRICS
from quant.regime_names import REGIME_NAMES
from quant.strategy import StrategyConfig
from services import formatting as F

FINITE = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


def _decimal(value: float, places: int) -> float:
    return float(f"{value:.{places}f}")


@given(FINITE)
def test_percent_has_two_decimals_and_reads_back_as_the_fraction(value: float) -> None:
    text = F.percent(value)
    assert text.endswith("%") and "." in text and len(text.split(".")[1]) == 3
    assert float(text[:-1].replace(",", "")) == pytest.approx(_decimal(value * 100, 2), abs=0.006)
    signed = F.percent(value, signed=True)
    if round(value * 100, 2) not in (0.0, -0.0):
        assert signed[0] == ("+" if value > 0 else "-")
    assert signed.lstrip("+") == text


@given(FINITE)
def test_ratio_money_count_and_multiple_follow_the_reference(value: float) -> None:
    assert float(F.ratio(value).replace(",", "")) == pytest.approx(_decimal(value, 2), abs=0.006)
    money = F.money(value)
    assert money.replace("-", "").startswith("$")
    assert money.startswith("-") == (value < 0 and round(abs(value), 2) > 0)
    assert float(money.replace("$", "").replace(",", "")) == pytest.approx(
        _decimal(value, 2), abs=0.006
    )
    assert F.count(value) == f"{round(value):,}"
    assert F.multiple(value).endswith("x")


def test_the_examples_of_the_issue() -> None:
    assert F.percent(0.1742) == "17.42%"
    assert F.percent(0.5682, signed=True) == "+56.82%"
    assert F.money(156751.97) == "$156,751.97" and F.money(-112.66) == "-$112.66"
    assert F.count(1257) == "1,257"
    assert F.ratio(1.07312) == "1.07"
    assert F.day(date(2022, 12, 28)) == "2022-12-28" == F.day(datetime(2022, 12, 28, 9, 30))
    assert F.parameter("target_vol", 0.1742) == "volatility target 17.42%"
    assert F.parameter("lookback", 63) == "lookback 63 trading days"
    assert F.parameter("max_leverage", 1.5) == "leverage 1.50x"
    assert F.limit_sentence("max_drawdown", 0.25, "p95", "bear", 0.231) == (
        "max drawdown ≤ 25.00% in 95% of bear paths: 23.10%"
    )
    assert (
        F.limit_sentence("cvar_95", 0.03, "mean")
        == "daily 95% CVaR ≤ 3.00% on the mean of the paths"
    )
    assert F.limit_sentence("max_drawdown", 0.2, "worst", "high_vol") == (
        "max drawdown ≤ 20.00% on the worst high-volatility path"
    )


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, "x"])
def test_a_missing_number_is_written_once_the_same_way(missing: object) -> None:
    for writer in (F.percent, F.ratio, F.money, F.count, F.multiple, F.days, F.bps):
        assert writer(missing) == F.MISSING


def test_the_vocabulary_names_everything_the_pages_show() -> None:
    vocabulary = F.vocabulary()
    json.dumps(vocabulary)  # plain JSON
    assert set(vocabulary["parameters"]) == set(StrategyConfig.model_fields)
    assert set(vocabulary["metrics"]) == set(PATH_METRICS)
    assert set(vocabulary["statistics"]) == set(STATISTICS)
    assert set(vocabulary["scenarios"]) == set(REGIME_NAMES)
    assert set(vocabulary["agents"]) == set(AGENT_ROLES)
    for term in [*vocabulary["parameters"].values(), *vocabulary["metrics"].values()]:
        assert term["format"] in vocabulary["formats"] or term["format"] == "choice"
        assert "_" not in term["label"]
    for rules in vocabulary["formats"].values():
        assert rules["example"]


@given(
    st.builds(
        StrategyConfig,
        weight_function=st.sampled_from(["inverse_vol", "sigmoid", "merton"]),
        target_vol=st.floats(0.01, 1.0),
        max_leverage=st.floats(0.5, 3.0),
        overlay=st.sampled_from(["none", "put", "put_spread", "collar"]),
    )
)
def test_a_configuration_is_described_in_words_without_what_it_does_not_read(
    config: StrategyConfig,
) -> None:
    text = F.config_sentence(config)
    assert "_" not in text and "{" not in text
    unused = config.unused_parameters()
    for name, term in F.PARAMETERS.items():
        if name in unused:
            assert f"{term.label} " not in text.replace("weight rule", "")
    if config.overlay == "none":
        assert "hedge" not in text and "strike" not in text
    else:
        assert F.PARAMETERS["overlay"].choices[config.overlay] in text  # type: ignore[index]
    assert F.multiple(config.max_leverage) in text


@st.composite
def search_spaces(draw: st.DrawFn) -> dict[str, object]:
    """A valid search space: some ranges and choices searched, some fields fixed."""
    space: dict[str, object] = {}
    if draw(st.booleans()):
        low = draw(st.floats(0.02, 0.2))
        space["target_vol"] = {"low": low, "high": low + draw(st.floats(0.01, 0.3))}
    if draw(st.booleans()):
        space["lookback"] = {"low": 21, "high": draw(st.sampled_from([42, 63, 126, 252]))}
    if draw(st.booleans()):
        space["weight_function"] = {
            "choices": draw(
                st.lists(st.sampled_from(["inverse_vol", "sigmoid", "merton"]), min_size=1,
                         max_size=3, unique=True)
            )
        }  # fmt: skip
    if draw(st.booleans()):
        space["overlay"] = {"choices": ["none", draw(st.sampled_from(["put", "collar"]))]}
    if draw(st.booleans()) or not space:
        space["max_leverage"] = {"low": 1.0, "high": draw(st.floats(1.5, 3.0))}
    if draw(st.booleans()):
        space["cost_bps"] = draw(st.floats(0.0, 20.0))
    return space


@given(search_spaces())
def test_a_search_space_is_written_in_words_with_every_range_and_value(
    space: dict[str, object],
) -> None:
    """No field name or raw choice reaches the words; every searched setting is named with its
    range in its format, every fixed one with its value, the rest with their defaults."""
    text = F.space_words(space)
    assert "_" not in text
    for name, spec in space.items():
        term = F.PARAMETERS[name]
        assert term.label in text or (name == "overlay" and "hedge" in text)
        if isinstance(spec, dict) and "low" in spec:
            assert F.format_value(spec["high"], term.format) in text
        elif isinstance(spec, dict):
            for choice in spec["choices"]:
                assert F.format_value(choice, "choice", term.choices) in text
        else:
            assert term.phrase(spec) in text
    defaults = StrategyConfig()
    if "max_leverage" not in space:
        assert F.PARAMETERS["max_leverage"].phrase(defaults.max_leverage) in text


@given(
    st.sampled_from(list(F.PARAMETERS)[1:8]),
    st.floats(0.0, 1.0),
    st.sampled_from(sorted(REGIME_NAMES)),
    st.floats(1.0, 3.0),
)
def test_plausibility_warnings_are_written_in_words(
    name: str, fraction: float, regime: str, exposure: float
) -> None:
    """Each warning names its setting and scenario in words and its numbers in their formats:
    never a field name or an unrounded number."""
    term = F.PARAMETERS[name]
    low, high = (0.05, 0.25) if term.format == "percent" else (1.0, 9.0)
    value = low + fraction * (high - low)
    texts = [
        F.plausibility_words(
            {
                "code": "search_edge",
                "parameter": name,
                "value": value,
                "end": "high",
                "low": low,
                "high": high,
            }
        ),
        F.plausibility_words(
            {"code": "leverage", "scenario": regime, "average_weight": exposure, "level": 1.0}
        ),
        F.plausibility_words(
            {"code": "one_scenario", "scenario": regime, "share": fraction, "level": 0.6}
        ),
    ]
    for text in texts:
        assert "_" not in text and not re.search(r"\d\.\d{3}", text)
    assert texts[0].startswith(f"the winner's {term.phrase(value)} is at the high end")
    assert f"search range, {F.range_words(name, low, high)}:" in texts[0]
    assert f"in the {F.scenario(regime)} scenario" in texts[1]
    assert F.percent(exposure, digits=0) in texts[1]
    assert f"{F.percent(fraction, digits=0)} of the objective" in texts[2]


@given(st.lists(st.text(alphabet="abcxyz ", min_size=1, max_size=6), max_size=6))
def test_listed_joins_items_as_a_sentence(items: list[str]) -> None:
    text = F.listed(items)
    if len(items) < 2:
        assert text == "".join(items)
    else:
        head, _, last = text.rpartition(" and ")
        assert last == items[-1] and head == ", ".join(items[:-1])
    assert F.listed(["a", "b"], "or") == "a or b"
