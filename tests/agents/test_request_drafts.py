"""A search waiting for approval drafted back (`agents.offline.request_drafts.draft_of_request`)
is the same search: for any draft the optimizer can give, the request made of it, drafted back
and made again, is that request, field for field (what a change of a waiting search is drafted
from: "make it 8 trials" must keep everything else)."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.chat import RequestDraft
from agents.decisions import SearchedParameter
from agents.offline.request_drafts import draft_of_request
from graphs.chat_search import request_from_draft
from quant.regime_names import REGIME_NAMES
from services.errors import InputError

TICKERS = ("AAPL", "KO", "PG", "XOM", "JNJ", "MSFT")
RULES = ("inverse_vol", "sigmoid", "merton")
FRACTION = st.floats(0.01, 0.6, allow_nan=False).map(lambda x: round(x, 4))


def _pair(low: float, high: float) -> Any:
    return st.tuples(st.floats(low, high), st.floats(low, high)).map(
        lambda p: sorted(round(x, 4) for x in p)
    ) | st.floats(low, high).map(lambda x: [round(x, 4)] * 2)


def _optional(strategy: Any) -> Any:
    return st.none() | strategy


PROTECTION = st.fixed_dictionaries(
    {"kinds": st.lists(st.sampled_from(["none", "put", "put_spread", "collar"]), min_size=1,
                       max_size=3, unique=True)},
    optional={
        "strike_range": _pair(0.85, 0.99),
        "lower_strike": st.floats(0.6, 0.8).map(lambda x: round(x, 3)),
        "call_strike": st.floats(1.05, 1.3).map(lambda x: round(x, 3)),
        "tenor_days": st.lists(st.sampled_from([21, 63, 126, 252]), min_size=1, max_size=3,
                               unique=True),
        "roll": st.sampled_from(["expiry", "band", "delta"]),
        "roll_delta_band": st.floats(0.05, 0.3).map(lambda x: round(x, 3)),
        "hedge_ratio_range": _pair(0.25, 1.0),
        "budget_range": _pair(0.005, 0.05),
        "vol_model": st.fixed_dictionaries(
            {},
            optional={
                "variance_risk_premium": st.floats(0.0, 0.05).map(lambda x: round(x, 4)),
                "skew": st.floats(0.0, 3.0).map(lambda x: round(x, 3)),
                "realised_window": st.integers(10, 126),
            },
        ),
    },
)  # fmt: skip

DRAFTS = st.fixed_dictionaries(
    {},
    optional={
        "universe": st.lists(st.sampled_from(TICKERS), min_size=1, max_size=5, unique=True),
        "start": st.sampled_from(["2012-01-01", "2015-06-01", "2018-01-01"]),
        "end": st.sampled_from(["2021-12-31", "2022-06-30"]),
        "target_vol_range": _pair(0.03, 0.4),
        "weight_functions": st.lists(st.sampled_from(RULES), min_size=1, max_size=3, unique=True),
        "fixed": st.fixed_dictionaries(
            {},
            optional={
                "lookback": st.integers(10, 252),
                "rebalance_every": st.sampled_from([1, 5, 21, 63]),
                "max_leverage": st.sampled_from([1.0, 1.5, 2.0]),
            },
        ),
        "scenarios": st.lists(st.sampled_from(REGIME_NAMES), min_size=1, unique=True),
        "scenario_weights": st.dictionaries(
            st.sampled_from(REGIME_NAMES), st.sampled_from([1.0, 2.0, 3.0]), min_size=1
        ),
        "risk_limits": st.fixed_dictionaries(
            {},
            optional={
                "max_drawdown": FRACTION,
                "cvar_95": FRACTION,
                "var_95": FRACTION,
                "scenarios": st.lists(st.sampled_from(REGIME_NAMES), min_size=1, unique=True),
            },
        ),
        "max_trials": st.integers(1, 2000),
        "protection": PROTECTION,
        "focus": st.lists(
            st.sampled_from(get_args(SearchedParameter)), min_size=1, max_size=3, unique=True
        ),
    },
)
"""Drafts as the optimizer gives them (`agents.chat.RequestDraft`), valid or not as requests."""


def _request(draft: dict[str, Any]) -> dict[str, Any] | None:
    """The request `draft` makes, as JSON; None for one no request can be made of."""
    try:
        return request_from_draft(RequestDraft.model_validate(draft)).model_dump(mode="json")
    except (ValueError, InputError):  # pydantic's ValidationError is a ValueError
        return None


@settings(max_examples=400, deadline=None)
@given(draft=DRAFTS)
def test_a_request_drafted_back_makes_the_same_request(draft: dict[str, Any]) -> None:
    request = _request(draft)
    if request is None:
        return  # a draft the request refuses never waits for approval
    back = draft_of_request(request, draft.get("focus", ()))
    RequestDraft.model_validate(back)  # a draft the optimizer could have given
    assert _request(back) == request


def test_the_draft_of_a_waiting_search_states_its_universe_window_budget_and_hedge() -> None:
    request = _request(
        {
            "universe": ["KO", "PG"],
            "start": "2015-01-01",
            "max_trials": 8,
            "fixed": {"rebalance_every": 21},
            "protection": {"kinds": ["none", "put"], "budget_range": [0.01, 0.02]},
        }
    )
    assert request is not None
    back = draft_of_request(request)
    assert back["universe"] == ["KO", "PG"] and back["start"] == "2015-01-01"
    assert back["max_trials"] == 8 and back["fixed"] == {"rebalance_every": 21}
    assert back["protection"]["kinds"] == ["none", "put"]
    assert back["protection"]["budget_range"] == [0.01, 0.02]
