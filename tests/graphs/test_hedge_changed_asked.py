"""A hedge changed in a follow-up of a hedged backtest ("and the collar?", "what about a put
spread instead?", "and without the hedge?", "try a 95% strike", "same with a 6-month put", "now
with a 115% call collar", "and with a 2% budget?") backtests the same strategy with the hedge changed, said in the
reply's "Changed from" line; the numbers are those of `backtest_strategy` called with the
changed configuration (before: the glossary's entry for the word, nothing computed). The cost
or the outcome of the hedge asked with no window ("how much did the hedge cost?", "how did the
collar do?") is what the latest hedged backtest measured, nothing computed (before: the
documentation quoted or the glossary's entry). "And what is a
collar?" is still the glossary's."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant.hedge_names import HEDGE_NAMES, hedge_outcome_words
from settings import Settings
from tests.support.chat_answers import tool_args
from tools import ToolContext
from tools.strategy.backtest import backtest_strategy
from tools.strategy.schemas import BacktestArgs

KIND_ASKS = {
    "collar": (
        "and the collar?",
        "what about with a collar instead?",
        "with a collar?",
        "make that a collar",
    ),
    "put_spread": (
        "try a put spread",
        "and a put spread?",
        "how about a put spread instead?",
        "swap to a put spread",
    ),
    "none": ("and without the hedge?", "what if it were unhedged?", "same with no hedge"),
}
"""Follow-ups that change only the hedge's kind, by the kind they ask for."""


def _hedged_session(strike: int, year: int) -> ChatSession:
    session = ChatSession(f"hedge-change-{uuid.uuid4().hex}", settings=Settings())
    reply = session.send(
        f"backtest a 10% target-vol strategy with a {strike}% put on AAPL and KO in {year}"
    ).replies[-1]
    assert "Its protective put" in reply, reply
    return session


def _metrics(args: dict) -> dict:
    return backtest_strategy(ToolContext(), BacktestArgs.model_validate(args))["metrics"]


@settings(max_examples=6, deadline=None)
@given(
    strike=st.sampled_from((85, 90, 95)),
    year=st.integers(2008, 2022),
    kind=st.sampled_from(sorted(KIND_ASKS)),
    data=st.data(),
)
def test_the_hedge_s_kind_changed_is_the_same_strategy_backtested_with_it(
    strike: int, year: int, kind: str, data: st.DataObject
) -> None:
    session = _hedged_session(strike, year)
    reply = session.send(data.draw(st.sampled_from(KIND_ASKS[kind]))).replies[-1]
    first, last = tool_args(session, "backtest_strategy")
    assert last == {**first, "config": {**first["config"], "overlay": kind}}, (first, last)
    named = "no hedge" if kind == "none" else f"a {HEDGE_NAMES[kind]}"
    assert reply.startswith(
        f"Changed from your previous request: {named} in place of a protective put."
    ), reply
    metrics = _metrics(last)
    assert f"CAGR {metrics['cagr']:.1%}, volatility {metrics['volatility']:.1%}" in reply
    if kind == "none":
        assert "premiums" not in reply, reply
    else:
        cost = hedge_outcome_words(
            metrics["hedge_premium"], metrics["hedge_payoff"], metrics["hedge_carry"]
        )
        assert f"Its {HEDGE_NAMES[kind]} (strike {strike}%" in reply and cost in reply, reply
    assert session.pending() is None


def test_a_strike_a_tenor_and_a_call_are_changed_field_by_field() -> None:
    session = _hedged_session(90, 2022)
    steps = (
        ("try a 95% strike", {"overlay_strike": 0.95}, "strike 95% instead of 90%"),
        ("same with a 6-month put", {"overlay_tenor_days": 126}, "tenor 126 days"),
        (
            "now with a 115% call collar",
            {"overlay": "collar", "overlay_call_strike": 1.15},
            "a collar in place of a protective put; sold call 115%.",
        ),
        (
            "what about a call at 120%",
            {"overlay_call_strike": 1.2},
            "sold call 120% instead of 115%",
        ),
        ("and with a 2% budget?", {"overlay_budget": 0.02}, "premiums capped at 2.0% of wealth"),
        (
            "and roll it early at a band instead",
            {"overlay_roll": "band"},
            "roll rule band instead of expiry",
        ),
    )
    config = dict(tool_args(session, "backtest_strategy")[0]["config"])
    for ask, fields, said in steps:
        reply = session.send(ask).replies[-1]
        config.update(fields)
        last = tool_args(session, "backtest_strategy")[-1]
        assert last["config"] == config, (ask, last)
        assert reply.startswith("Changed from your previous request: ") and said in reply, reply
        metrics = _metrics(last)
        assert f"Sharpe {metrics['sharpe']:.2f}" in reply, (ask, reply)


@settings(max_examples=4, deadline=None)
@given(
    ask=st.sampled_from(
        ("how much did the hedge cost?", "how did the collar do?", "did the hedge help?",
         "what did our collar cost us?", "how has the protection performed?")
    )
)  # fmt: skip
def test_the_cost_asked_with_no_window_is_the_latest_backtest_s_nothing_computed(
    ask: str,
) -> None:
    session = _hedged_session(90, 2021)
    session.send("and the collar?")
    reply = session.send(ask).replies[-1]
    calls = tool_args(session, "backtest_strategy")
    assert len(calls) == 2, calls  # nothing computed for the cost
    metrics = _metrics(calls[-1])
    cost = hedge_outcome_words(
        metrics["hedge_premium"], metrics["hedge_payoff"], metrics["hedge_carry"]
    )
    assert f"maximum drawdown of {metrics['max_drawdown']:.1%}" in reply, reply
    assert reply.startswith(
        "In your latest backtest (AAPL, KO, 2021-01-04 to 2021-12-31), the collar (strike 90%, sold call 110%"
    ), reply
    assert cost in reply and "Nothing new was computed" in reply, reply


def test_what_a_hedge_is_stays_the_glossary_s_after_a_hedged_backtest() -> None:
    session = _hedged_session(90, 2022)
    for ask in ("and what is a collar?", "what's a put spread?", "and what does a collar mean?"):
        reply = session.send(ask).replies[-1]
        assert "(docs/glossary.md" in reply, (ask, reply)
    assert len(tool_args(session, "backtest_strategy")) == 1


@settings(max_examples=5, deadline=None)
@given(year=st.integers(2008, 2022), budget=st.sampled_from((1, 2, 3)))
def test_premiums_read_above_their_cap_say_why(year: int, budget: int) -> None:
    session = ChatSession(f"budget-{uuid.uuid4().hex}", settings=Settings())
    reply = session.send(
        f"backtest a 10% target-vol strategy with a 95% put and a {budget}% budget on AAPL and "
        f"KO in {year}"
    ).replies[-1]
    (args,) = tool_args(session, "backtest_strategy")
    assert args["config"]["overlay_budget"] == budget / 100, args
    premium = _metrics(args)["hedge_premium"]
    said = f"premiums above the {budget}.0% cap because each purchase is capped" in reply
    assert said == (round(premium, 4) > budget / 100), (premium, reply)
    # the reason said: each purchase at most the cap for its 63-day tenor, the last one's tenor
    # running past the window's end (premiums are fractions of the wealth at each purchase)
    days = backtest_strategy(ToolContext(), BacktestArgs.model_validate(args))["history"][
        "evaluated_days"
    ]
    purchases = -(-days // 63)
    assert premium <= budget / 100 * purchases * 63 / days + 1e-4, (premium, days)


@given(
    premium=st.floats(-0.5, 0.5, allow_nan=False),
    payoff=st.floats(-0.5, 0.5, allow_nan=False),
)
def test_a_hedge_s_outcome_never_says_a_negative_amount(premium: float, payoff: float) -> None:
    words = hedge_outcome_words(premium, payoff, premium - payoff)
    assert "-" not in words, words
    for value, said in ((premium, "took in"), (payoff, "lost"), (premium - payoff, "net gain")):
        assert (said in words) == (float(f"{value:.4f}") < 0), words  # below zero as shown
    for value in (premium, payoff, premium - payoff):
        assert f"{abs(value):.2%}" in words, (value, words)  # rounded once
