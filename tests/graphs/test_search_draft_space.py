"""The search a chat draft describes: a search asked about the target-vol setting searches the
target-vol rule (its weight function fixed) unless the user opens the weight function; one
volatility target is kept fixed, a range is searched."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.chat import RequestDraft
from graphs.chat_search import describe_request, request_from_draft
from graphs.request import DEFAULT_SPACE


def test_the_target_vol_setting_searches_the_target_vol_rule() -> None:
    request = request_from_draft(RequestDraft(focus=["target_vol"]))
    assert request.search_space["weight_function"] == "inverse_vol"
    assert request.search_space["target_vol"] == DEFAULT_SPACE["target_vol"]
    assert "weight function inverse vol (fixed)" in describe_request(request)


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
    assert f"target vol {target * 100:.4g}% (fixed)" in describe_request(one)
    if width > 0.001:
        ends = request_from_draft(RequestDraft(target_vol_range=[target + width, target]))
        assert ends.search_space["target_vol"] == {"low": target, "high": target + width}
        assert "(fixed)" not in describe_request(ends)
