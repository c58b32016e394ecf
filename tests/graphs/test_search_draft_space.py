"""The search a chat draft describes: a search asked about the target-vol setting searches the
target-vol rule (its weight function fixed) unless the user opens the weight function; one
volatility target is kept fixed, a range is searched; a cadence, lookback or leverage the user
states is kept in every trial (issue 63: "rebalanced monthly" was searched over 5-63 days)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.chat import RequestDraft
from graphs.chat_search import NAMED_AT_MOST, describe_request, request_from_draft
from graphs.request import DEFAULT_SPACE
from quant.horizons import MAX_LOOKBACK
from quant.regime_names import REGIME_NAMES
from quant.tuning.space import SearchSpace
from services.errors import InputError
from services.formatting import listed
from services.market_data.providers import sp500_assets


def test_the_target_vol_setting_searches_the_target_vol_rule() -> None:
    request = request_from_draft(RequestDraft(focus=["target_vol"]))
    assert request.search_space["weight_function"] == "inverse_vol"
    assert request.search_space["target_vol"] == DEFAULT_SPACE["target_vol"]
    assert "weight rule inverse volatility (fixed)" in describe_request(request)


def test_a_weight_function_the_user_opens_is_searched() -> None:
    both = request_from_draft(RequestDraft(focus=["target_vol", "weight_function"]))
    assert both.search_space["weight_function"] == DEFAULT_SPACE["weight_function"]
    named = request_from_draft(
        RequestDraft(focus=["target_vol"], weight_functions=["sigmoid", "merton"])
    )
    assert named.search_space["weight_function"] == {"choices": ["sigmoid", "merton"]}
    assert "(fixed)" not in describe_request(named)
    plain = request_from_draft(RequestDraft())  # no setting named: the whole default space
    assert plain.search_space == DEFAULT_SPACE


@given(st.floats(0.01, 0.6), st.floats(0.0, 0.3))
def test_one_vol_target_is_fixed_and_a_range_searched(target: float, width: float) -> None:
    one = request_from_draft(RequestDraft(target_vol_range=[target, target]))
    assert one.search_space["target_vol"] == target
    assert f"volatility target {target * 100:.4g}% (fixed)" in describe_request(one)
    if width > 0.001:
        ends = request_from_draft(RequestDraft(target_vol_range=[target + width, target]))
        assert ends.search_space["target_vol"] == {"low": target, "high": target + width}
        assert "(fixed)" not in describe_request(ends)


@given(
    st.integers(2, 231), st.integers(1, 252), st.floats(0.05, 3.0)
)  # lookback: 21 of 252 days measured
def test_settings_the_user_states_are_kept_in_every_trial(
    lookback: int, every: int, leverage: float
) -> None:
    """A stated cadence, lookback or leverage is the search's fixed value (days whole even
    when a model writes 21.0), said as fixed in the approval; the rest is searched as before."""
    fixed = {"lookback": float(lookback), "rebalance_every": every, "max_leverage": leverage}
    request = request_from_draft(RequestDraft(fixed=fixed))
    space = request.search_space
    assert space["lookback"] == lookback and isinstance(space["lookback"], int)
    assert space["rebalance_every"] == every and isinstance(space["rebalance_every"], int)
    assert space["max_leverage"] == leverage
    assert SearchSpace(dict(space)).fixed.keys() >= {"lookback", "rebalance_every", "max_leverage"}
    said = describe_request(request)
    assert f"lookback {lookback} trading day" in said and "(fixed)" in said
    assert f"rebalancing every {every} trading day" in said
    assert space["target_vol"] == DEFAULT_SPACE["target_vol"]
    assert space["weight_function"] == DEFAULT_SPACE["weight_function"]


_FRACTION = st.floats(1.01, 200).filter(lambda v: not v.is_integer())
_REFUSED = st.one_of(
    st.tuples(st.just("lookback"), st.one_of(st.integers(-100, 1), _FRACTION)),
    st.tuples(st.just("lookback"), st.integers(MAX_LOOKBACK + 1, 10**6)),
    st.tuples(st.just("rebalance_every"), st.one_of(st.integers(-100, 0), _FRACTION)),
    st.tuples(st.just("max_leverage"), st.one_of(st.floats(-10, 0), st.floats(3.0001, 100))),
)


@given(_REFUSED)
def test_a_stated_setting_no_strategy_takes_is_refused_in_words(refused: tuple[str, float]) -> None:
    """ "5x leverage", "a 1-day lookback": refused naming the field, in words (no class names)."""
    name, value = refused
    with pytest.raises(InputError) as error:
        request_from_draft(RequestDraft(fixed={name: value}))
    assert error.value.field == f"fixed.{name}"
    assert "must be" in error.value.message
    assert "StrategyConfig" not in error.value.message and "{" not in error.value.message


@given(
    weights=st.dictionaries(
        st.sampled_from(sorted(REGIME_NAMES)), st.sampled_from([1.0, 2.0, 3.0]), min_size=1
    ),
    limited=st.lists(st.sampled_from(sorted(REGIME_NAMES)), min_size=2, unique=True),
)
def test_the_approval_names_scenarios_in_words(
    weights: dict[str, float], limited: list[str]
) -> None:
    """The approval's summary says "high-volatility", not the code name "high_vol", for the
    scenarios searched, their weights and the scenarios a limit applies to."""
    draft = RequestDraft(
        scenario_weights=weights,
        risk_limits={"max_drawdown": 0.2, "scenarios": limited},
    )
    said = describe_request(request_from_draft(draft))
    assert not re.search(r"\b(?:high|low)_vol\b", said), said
    assert "high-volatility" in said and "low-volatility" in said, said  # every scenario searched


@given(st.lists(st.sampled_from(sp500_assets()), min_size=1, max_size=20, unique=True))
def test_the_approval_names_the_stocks_searched(universe: list[str]) -> None:
    """ "Strategy search on 3 assets": the approval did not say which; now each stock up to
    `NAMED_AT_MOST`, else their count and the first three."""
    said = describe_request(request_from_draft(RequestDraft(universe=universe)))
    if len(universe) <= NAMED_AT_MOST:
        assert said.startswith(f"Strategy search on {listed(universe)}, "), said
    else:
        shown = ", ".join(universe[:3])
        assert said.startswith(
            f"Strategy search on {len(universe)} stocks ({shown} and {len(universe) - 3} more), "
        ), said
    assert "target vol" not in said and "inverse_vol" not in said, said
