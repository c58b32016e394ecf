"""Reading an option hedge from a chat message (agents/offline/intent/hedge.py) and the offline
model's hedge draft (agents/offline/hedge_policies.py)."""

from __future__ import annotations

import pytest

from agents.chat import ProtectionDraft
from agents.offline.chat_intent import known_tickers
from agents.offline.hedge_policies import hedge_draft, hedge_question
from agents.offline.intent import HedgeAsk, parse_intent


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_intent(text, known_tickers())


def test_a_put_with_a_strike_and_a_budget() -> None:
    intent = _parse("add a 90% put overlay with a 2% annual budget")
    assert intent.intent == "search_strategy"
    assert intent.hedge == HedgeAsk(kinds=("put",), strikes=(0.9,), budget=0.02)
    assert intent.risk_limits == {} and intent.target_vol is None and intent.unplaced == ()


def test_how_much_and_which_form_with_a_bear_drawdown_limit() -> None:
    intent = _parse(
        "how much should I spend on protection, and in what form, to keep the bear-scenario "
        "drawdown under 15%?"
    )
    assert intent.intent == "search_strategy"
    assert intent.hedge is not None
    assert intent.hedge.asks_budget and intent.hedge.asks_form
    assert intent.risk_limits == {"max_drawdown": 0.15} and intent.scenarios == ("bear",)
    draft = ProtectionDraft.model_validate(hedge_draft(intent))
    assert draft.kinds == ["none", "put", "put_spread", "collar"]
    assert draft.budget_range == [0.005, 0.05] and draft.tenor_days == [21, 63, 126]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("compare collars and put spreads", HedgeAsk(kinds=("collar", "put_spread"))),
        (
            "search 3-month puts with strikes between 85 and 95% and a budget of 1.5%",
            HedgeAsk(kinds=("put",), strikes=(0.85, 0.95), budget=0.015, tenors=(63,)),
        ),
        (
            "protective puts with tenors of 1, 3 and 6 months, hedge ratio 0.5, roll at expiry",
            HedgeAsk(kinds=("put",), tenors=(21, 63, 126), hedge_ratio=0.5, roll="expiry"),
        ),
        (
            "a collar that rolls early when the price moves",
            HedgeAsk(kinds=("collar",), roll="band"),
        ),
        (
            "compare 95% puts rolled at a 0.05 delta band",
            HedgeAsk(kinds=("put",), strikes=(0.95,), roll="delta", roll_delta_band=0.05),
        ),
        (
            "protective puts that roll at delta, delta band of 0.08, with a 2% budget",
            HedgeAsk(kinds=("put",), budget=0.02, roll="delta", roll_delta_band=0.08),
        ),
        ("add a 3-month 90% put", HedgeAsk(kinds=("put",), strikes=(0.9,), tenors=(63,))),
        ("buy 3-month puts at 90%", HedgeAsk(kinds=("put",), strikes=(0.9,), tenors=(63,))),
        (
            "a 6 month 95% strike put spread",
            HedgeAsk(kinds=("put_spread",), strikes=(0.95,), tenors=(126,)),
        ),
    ],
)
def test_kinds_strikes_tenors_rolls_ratios_and_budgets(text: str, expected: HedgeAsk) -> None:
    assert _parse(text).hedge == expected


@pytest.mark.parametrize(
    "text",
    [
        "put 30% in AAPL and 70% in KO",
        "put it to work on paper, weekly",
        "what do hedge funds hold?",
        "find the target-vol setting that holds up in a bear market",
    ],
)
def test_other_messages_ask_for_no_protection(text: str) -> None:
    intent = _parse(text)
    assert intent.hedge is None
    assert hedge_draft(intent) is None and hedge_question(intent) is None


def test_a_strike_or_budget_is_not_read_as_a_limit_or_a_trial_budget() -> None:
    intent = _parse("puts with a budget of 2.5% and max drawdown 20%")
    assert intent.hedge is not None and intent.hedge.budget == 0.025
    assert intent.budget is None  # not 2 trials
    assert intent.risk_limits == {"max_drawdown": 0.2}


def test_unclear_asks_get_a_question() -> None:
    vague = _parse("hedge my strategy")
    assert (hedge_question(vague) or "").startswith("Which protection should I search")
    unplaced = _parse("add protection at 5%")
    assert unplaced.unplaced == (0.05,)
    assert "What is the 5% for" in (hedge_question(unplaced) or "")
    clear = _parse("hedge my strategy to keep the drawdown under 20%")
    assert hedge_question(clear) is None
    assert hedge_draft(clear) == {
        "kinds": ["none", "put", "put_spread", "collar"],
        "strike_range": [0.85, 0.98],
        "tenor_days": [21, 63, 126],
    }


def test_a_low_put_spread_or_a_high_collar_sells_its_other_leg_beyond_the_bought_strikes() -> None:
    spread = hedge_draft(_parse("a 75% put spread with a 1% budget"))
    assert spread is not None
    assert spread["strike_range"] == [0.75, 0.75] and spread["lower_strike"] == 0.65
    collar = hedge_draft(_parse("collars with strikes between 90 and 110%"))
    assert collar is not None
    assert collar["strike_range"] == [0.9, 1.1] and collar["call_strike"] == 1.2
    usual = hedge_draft(_parse("compare collars and put spreads"))
    assert usual is not None and "lower_strike" not in usual and "call_strike" not in usual


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "add a 90% put, assume a variance risk premium of 0.02 and a flat skew",
            {"variance_risk_premium": 0.02, "skew": 0.0},
        ),
        (
            "add a 90% put priced with 2 variance points, a skew of 2 and a 42-day realised window",
            {"variance_risk_premium": 0.02, "skew": 2.0, "realised_window": 42},
        ),
        ("protective puts with realized vol over the last 63 days", {"realised_window": 63}),
        ("add a 90% put overlay with a 2% annual budget", {}),
    ],
)
def test_the_vol_model_said_in_its_own_terms(text: str, said: dict[str, float]) -> None:
    intent = _parse(text)
    assert intent.hedge is not None and intent.unplaced == ()
    assert dict(intent.hedge.vol_model) == said
    assert intent.hedge.strikes in ((0.9,), ())  # the strike is still the put's
    draft = ProtectionDraft.model_validate(hedge_draft(intent))
    if said:
        assert draft.vol_model is not None
        assert draft.vol_model.model_dump(exclude_none=True) == said
    else:
        assert draft.vol_model is None
    assert hedge_question(intent) is None


def test_implied_vol_points_over_realised_gets_a_question() -> None:
    intent = _parse("add a 90% put overlay and assume implied vol 5 points over realised")
    assert intent.hedge is not None and intent.hedge.vol_points == 0.05
    question = hedge_question(intent)
    assert question is not None
    assert "implied vol 5 points over realised is not one setting" in question
    assert "variance risk premium" in question


def test_a_backtest_with_a_put_is_a_backtest_not_a_search() -> None:
    intent = _parse("backtest a 15% target-vol strategy with a 90% put")
    assert intent.intent == "backtest"
    assert intent.target_vol == 0.15
    assert intent.hedge == HedgeAsk(kinds=("put",), strikes=(0.9,))
    assert _parse("add a 90% put to a 15% target-vol strategy").intent == "search_strategy"
