"""How the offline model reads an estimate ask ("how would this configuration do in these
scenarios?"): the intent, the StrategyConfig fields and scenarios stated, whatever their order
and spelling (hypothesis), and the neighbouring asks it must leave as they were: backtests,
searches, builds, risk and questions about Stratigos."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.estimate_policies import backtest_offer, estimate_args, not_used
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.about import about_stratigos
from agents.offline.strategy_args import stated_config


def parse(text: str) -> Intent:
    return parse_intent(text, known_tickers())


ESTIMATE_ASKS: list[tuple[str, dict[str, Any], list[str] | None]] = [
    (
        "how would a 10% target vol sigmoid strategy with a 63-day lookback do in a bear market?",
        {"target_vol": 0.1, "weight_function": "sigmoid", "lookback": 63},
        ["bear"],
    ),
    (
        "quick estimate for target_vol 0.12, inverse vol, in the bull and base scenarios",
        {"target_vol": 0.12, "weight_function": "inverse_vol"},
        ["bull", "base"],
    ),
    ("what does my strategy model say about leverage 1.5?", {"max_leverage": 1.5}, None),
    ("estimate target vol 8% without running a search", {"target_vol": 0.08}, None),
]
"""Estimate asks as a portfolio manager words them: (text, the configuration it states, the
scenarios it names; None: all)."""


@pytest.mark.parametrize(
    ("text", "config", "scenarios"),
    [
        *ESTIMATE_ASKS,
        (
            "instant read on a merton strategy, 2x leverage, lookback of 6 months, rebalanced "
            "weekly, in high vol and low vol",
            {
                "weight_function": "merton",
                "lookback": 126,
                "max_leverage": 2.0,
                "rebalance_every": 5,
            },
            ["high_vol", "low_vol"],
        ),
        (
            "model estimate: 15% vol target, inv vol, rebalance every 10 days, with a 90% put, "
            "in a crash",
            {
                "target_vol": 0.15,
                "weight_function": "inverse_vol",
                "rebalance_every": 10,
                "overlay": "put",
                "overlay_strike": 0.9,
            },
            ["bear"],
        ),
        (
            "what would my model predict for a target vol of 9% logistic strategy in every "
            "scenario?",
            {"target_vol": 0.09, "weight_function": "sigmoid"},
            ["bull", "bear", "high_vol", "low_vol", "base"],
        ),
    ],
)
def test_an_estimate_ask_states_its_configuration_and_scenarios(
    text: str, config: dict[str, Any], scenarios: list[str] | None
) -> None:
    intent = parse(text)
    assert intent.intent == "estimate"
    args = estimate_args(intent)
    assert args["config"] == config
    assert args.get("scenarios") == scenarios
    assert not_used(intent, args["config"]) == []


_TARGET_SAID = {
    "pct_before": "a {p}% target vol",
    "pct_after": "target vol {p}%",
    "fraction": "target_vol {f}",
    "vol_target": "a vol target of {p}%",
}
_WEIGHT_SAID = {
    "inverse_vol": ["inverse vol", "inverse volatility", "inv vol", "inverse_vol"],
    "sigmoid": ["sigmoid", "logistic"],
    "merton": ["merton"],
}
_SCENARIO_SAID = {
    "bull": ["bull market", "a bull market", "bull"],
    "bear": ["bear market", "a crash", "a downturn", "bear"],
    "high_vol": ["high vol", "high volatility", "high_vol"],
    "low_vol": ["low volatility", "low vol", "low_vol"],
    "base": ["base case", "the base scenario"],
}
_CADENCE_SAID = {"weekly": 5, "monthly": 21, "quarterly": 63}
_OPENINGS = (
    "quick estimate for {config} in {scenarios}",
    "model estimate: {config}, {scenarios}",
    "estimate {config} in {scenarios} without running a search",
    "how would {config} strategy do in {scenarios}?",
    "what does my strategy model say about {config} in {scenarios}?",
    "instant read on {config} in {scenarios}",
)


@st.composite
def _asks(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    """A generated estimate ask: its text, the config it states and the scenarios it names."""
    config: dict[str, Any] = {}
    parts: list[str] = []
    percent = draw(st.integers(min_value=30, max_value=300)) / 10  # 3% to 30%, tenths
    said = draw(st.sampled_from(sorted(_TARGET_SAID)))
    parts.append(_TARGET_SAID[said].format(p=f"{percent:g}", f=f"{percent / 100:g}"))
    config["target_vol"] = percent / 100
    if draw(st.booleans()):
        function = draw(st.sampled_from(sorted(_WEIGHT_SAID)))
        parts.append(draw(st.sampled_from(_WEIGHT_SAID[function])))
        config["weight_function"] = function
    lookback = draw(st.sampled_from(["none", "days", "months"]))
    if lookback == "days":
        days = draw(st.integers(min_value=5, max_value=250))
        parts.append(draw(st.sampled_from([f"{days}-day lookback", f"lookback of {days} days"])))
        config["lookback"] = days
    elif lookback == "months":
        months = draw(st.integers(min_value=1, max_value=12))
        parts.append(
            draw(st.sampled_from([f"{months}-month lookback", f"lookback {months} months"]))
        )
        config["lookback"] = months * 21
    rebalance = draw(st.sampled_from(["none", "every", *sorted(_CADENCE_SAID)]))
    if rebalance == "every":
        days = draw(st.integers(min_value=1, max_value=99))
        parts.append(f"rebalance every {days} days")
        config["rebalance_every"] = days
    elif rebalance != "none":
        parts.append(f"rebalanced {rebalance}")
        config["rebalance_every"] = _CADENCE_SAID[rebalance]
    if draw(st.booleans()):
        leverage = draw(st.sampled_from([1.25, 1.5, 2.0, 3.0]))
        parts.append(draw(st.sampled_from([f"leverage {leverage:g}", f"{leverage:g}x leverage"])))
        config["max_leverage"] = leverage
    order = draw(st.permutations(parts))
    scenarios = draw(
        st.lists(st.sampled_from(sorted(_SCENARIO_SAID)), min_size=1, max_size=3, unique=True)
    )
    named = " and ".join(draw(st.sampled_from(_SCENARIO_SAID[s])) for s in scenarios)
    opening = draw(st.sampled_from(_OPENINGS))
    return opening.format(config=", ".join(order), scenarios=named), config, scenarios


@settings(max_examples=150, deadline=None)
@given(_asks())
def test_generated_estimate_asks_reach_the_tool_as_stated(
    ask: tuple[str, dict[str, Any], list[str]],
) -> None:
    text, config, scenarios = ask
    intent = parse(text)
    assert intent.intent == "estimate", text
    args = estimate_args(intent)
    assert args["config"] == pytest.approx(config), text
    assert sorted(args["scenarios"]) == sorted(scenarios), text
    assert not_used(intent, args["config"]) == [], text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("backtest a 10% target vol sigmoid strategy since 2015", "backtest"),
        ("how would a 10% target vol strategy have done in 2020?", "backtest"),
        ("how would a 12% target-vol strategy have done since 2018", "backtest"),
        ("find the best target vol for a bear market", "search_strategy"),
        ("search 100 trials for the best target volatility strategy", "search_strategy"),
        ("find the target-vol setting that holds up in a bear market", "search_strategy"),
        ("build me an HRP portfolio of AAPL and MSFT", "optimize_portfolio"),
        ("how would an HRP portfolio of AAPL and KO do in a crash?", "optimize_portfolio"),
        ("what is the 95% CVaR of AAPL and MSFT", "risk_report"),
        ("estimate the VaR of AAPL and MSFT", "risk_report"),
        ("deploy that to paper with weekly rebalancing", "deploy"),
        ("show me the bear and crash scenarios", "scenarios"),
    ],
)
def test_neighbouring_asks_stay_what_they_were(text: str, intent: str) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "how is the strategy model trained?",
        "what does the strategy model learn from?",
        "how do estimates work?",
    ],
)
def test_questions_about_the_strategy_model_stay_questions_about_stratigos(text: str) -> None:
    intent = parse(text)
    assert intent.intent != "estimate" and about_stratigos(intent)


def test_what_a_message_states_beyond_one_configuration_is_named() -> None:
    intent = parse(
        "model estimate for inverse vol and sigmoid on AAPL, target vols between 8% and 12%, "
        "with a 2% risk-free rate, in a bear market"
    )
    assert intent.intent == "estimate"
    config = stated_config(intent)
    assert "weight_function" not in config and "target_vol" not in config
    notes = " | ".join(not_used(intent, config))
    assert "weight functions inverse_vol and sigmoid" in notes
    assert "AAPL" in notes and "target vols 8% to 12%" in notes and "2.0% risk-free" in notes


_SEARCH = {"universe": ["AAPL", "KO", "XOM", "JNJ"], "start": "2010-01-01", "end": "2022-12-28"}


@settings(max_examples=100, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "target_vol": st.integers(min_value=1, max_value=400).map(lambda n: n / 1000),
            "weight_function": st.sampled_from(["inverse_vol", "sigmoid", "merton"]),
            "lookback": st.integers(min_value=2, max_value=999),
            "rebalance_every": st.integers(min_value=1, max_value=999),
            "max_leverage": st.sampled_from([0.5, 1.0, 1.25, 1.5, 2.0, 3.0]),
        },
    )
)
def test_the_backtest_offered_reads_back_as_that_configuration(config: dict[str, Any]) -> None:
    offer = backtest_offer(config, _SEARCH)
    assert offer.startswith("or say 'backtest "), offer
    said = offer.split("'")[1]
    intent = parse(said)
    assert intent.intent == "backtest" and stated_config(intent) == pytest.approx(config)
    assert intent.tickers == tuple(_SEARCH["universe"]) and intent.start == _SEARCH["start"]


def test_an_overlay_is_offered_in_general_words() -> None:
    offer = backtest_offer({"target_vol": 0.1, "overlay": "put", "overlay_strike": 0.9}, _SEARCH)
    assert offer == "or ask me to backtest this configuration on the market history here"


def test_protection_without_a_kind_or_strike_is_named_not_guessed() -> None:
    intent = parse("how would a 10% target vol strategy with protection do in a crash?")
    assert intent.intent == "estimate"
    args = estimate_args(intent)
    assert args == {"config": {"target_vol": 0.1}, "scenarios": ["bear"]}
    [note] = not_used(intent, args["config"])
    assert note.startswith("the option protection: no kind or strike")
