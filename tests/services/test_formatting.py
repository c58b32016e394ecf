"""The one number formatter and the vocabulary: each format checked against Python's own
format mini-language (a reference we did not write) over whole classes of numbers, the
vocabulary covering every StrategyConfig field, metric, statistic, scenario and agent, and a
configuration described without the settings it does not read."""

from __future__ import annotations

import json
import math
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
