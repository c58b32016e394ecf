"""An option hedge in the strategy-assistant chat (offline model): the drafted request's search
space over hedge kinds, strikes, tenors and budgets, its bear-scenario drawdown limit, the
approval prompt that lists the hedge, a question when the ask is unclear, and an approved run
whose answer names the winner's hedge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.offline.hedge_policies import BUDGET_RANGE, STRIKE_RANGE, TENORS
from graphs.chat import ChatSession
from graphs.request import OptimizationRequest
from settings import Settings
from tools import ToolContext, build_tools


def tool(context: ToolContext, name: str) -> Any:
    """The tool `name` bound to `context`."""
    return next(t for t in build_tools(context) if t.name == name)


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("protection-thread", settings=Settings())


def _pending(session: ChatSession, text: str) -> tuple[dict[str, Any], str]:
    turn = session.send(text)
    assert turn.replies == [] and turn.pending is not None, turn.replies
    request = turn.pending["request"]
    OptimizationRequest.model_validate(request)  # the draft is a request that can run
    return request, turn.pending["summary"]


def test_how_much_and_in_what_form_to_keep_the_bear_drawdown_under_15_percent(
    session: ChatSession,
) -> None:
    request, summary = _pending(
        session,
        "How much should I spend on protection, and in what form, to keep the bear-scenario "
        "drawdown under 15%?",
    )
    space = request["search_space"]
    assert space["overlay"] == {"choices": ["none", "put", "put_spread", "collar"]}
    assert space["overlay_strike"] == {"low": STRIKE_RANGE[0], "high": STRIKE_RANGE[1]}
    assert space["overlay_tenor_days"] == {"choices": TENORS}
    assert space["overlay_budget"] == {"low": BUDGET_RANGE[0], "high": BUDGET_RANGE[1]}
    limits = request["risk_limits"]
    assert limits["max_drawdown"] == 0.15 and limits["scenarios"] == ["bear"]
    # the approval prompt lists the protection and where the limit applies
    assert (
        "protection: no overlay or protective puts or put spreads or collars; put strike 85% "
        "to 98%; tenor (days) 21 or 63 or 126; annual budget 0.5% to 5%" in summary
    )
    # the limit with its statistic: a bare number is the 95th percentile of the paths (issue 62)
    assert "risk limits max drawdown ≤ 15.00% in 95% of bear paths" in summary
    runs = session.settings.data_dir / "runs"
    assert not runs.exists()  # nothing runs before approval


def test_a_90_percent_put_with_a_2_percent_annual_budget(session: ChatSession) -> None:
    request, summary = _pending(session, "add a 90% put overlay with a 2% annual budget")
    space = request["search_space"]
    assert space["overlay"] == "put"
    assert space["overlay_strike"] == 0.9 and space["overlay_budget"] == 0.02
    assert "overlay_tenor_days" not in space  # not said: the strategy's default tenor
    assert "protection: protective puts; put strike 90%; annual budget 2%" in summary
    assert request["risk_limits"] == {
        "max_drawdown": None,
        "cvar_95": None,
        "var_95": None,
        "scenarios": None,
    }


def test_compare_collars_and_put_spreads(session: ChatSession) -> None:
    request, summary = _pending(
        session, "compare collars and put spreads with 3-month options, rolling early at a band"
    )
    space = request["search_space"]
    assert space["overlay"] == {"choices": ["collar", "put_spread"]}
    assert space["overlay_tenor_days"] == 63 and space["overlay_roll"] == "band"
    assert "protection: collars or put spreads" in summary and "roll at band" in summary


def test_puts_rolled_at_a_delta_band(session: ChatSession) -> None:
    request, summary = _pending(session, "search 90% puts rolled at a 0.05 delta band")
    space = request["search_space"]
    assert space["overlay"] == "put" and space["overlay_strike"] == 0.9
    assert space["overlay_roll"] == "delta" and space["overlay_roll_delta_band"] == 0.05
    assert "roll at delta; roll delta band 0.05" in summary


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("hedge my strategy", "Which protection should I search"),
        ("add protection at 5%", "What is the 5% for"),
    ],
)
def test_an_unclear_ask_for_protection_gets_a_question_not_a_draft(
    session: ChatSession, message: str, asked: str
) -> None:
    turn = session.send(message)
    assert turn.pending is None and session.pending() is None
    assert turn.replies and turn.replies[-1].startswith(asked)


def test_an_approved_protection_search_answers_with_the_winner_s_overlay(
    session: ChatSession,
) -> None:
    _pending(
        session,
        "search protective puts with strikes between 85 and 95% and a 2% budget for AAPL, KO "
        "and XOM since 2010 with 12 trials, drawdown below 50% in a bear market",
    )
    done = session.decide("edit", changes={"n_paths": 20, "horizon": 189})
    (run_dir,) = list((session.settings.data_dir / "runs").iterdir())
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "succeeded"
    config = result["best"]["config"]
    assert config["overlay"] == "put" and 0.85 <= config["overlay_strike"] <= 0.95
    assert (
        f"The winner's protection: protective put: put strike {config['overlay_strike'] * 100:.4g}%"
        in done.replies[-1]
    )


def test_a_low_put_spread_is_drafted_as_a_request_that_can_run(session: ChatSession) -> None:
    request, summary = _pending(session, "search a 75% put spread with a 1% annual budget")
    space = request["search_space"]
    assert space["overlay"] == "put_spread" and space["overlay_strike"] == 0.75
    assert space["overlay_lower_strike"] == 0.65
    assert "put strike 75%; sold put strike 65%; annual budget 1%" in summary


def test_the_answer_says_whether_the_winner_holds_protection(session: ChatSession) -> None:
    _pending(
        session,
        "how much should I spend on protection, and in what form, for AAPL, KO and XOM since "
        "2010 with 12 trials, to keep the bear-scenario drawdown under 50%?",
    )
    done = session.decide("edit", changes={"n_paths": 20, "horizon": 189})
    (run_dir,) = list((session.settings.data_dir / "runs").iterdir())
    config = json.loads((run_dir / "result.json").read_text())["best"]["config"]
    held = config["overlay"] != "none"
    assert ("The winner's protection:" in done.replies[-1]) == held
    assert ("The winner holds no option overlay" in done.replies[-1]) == (not held)


def test_a_stated_vol_model_is_drafted_and_shown_for_approval(session: ChatSession) -> None:
    request, summary = _pending(
        session, "add a 90% put overlay, assume a variance risk premium of 0.02 and a flat skew"
    )
    assert request["search_space"]["overlay"] == "put"
    model = request["vol_model"]
    assert model["variance_risk_premium"] == 0.02 and model["skew"] == 0.0
    assert model["realised_window"] == 21  # not said: the model's default
    assert "options priced with a variance risk premium of 0.02, skew 0, realised vol over " in (
        summary
    )


def test_implied_vol_points_over_realised_is_asked_about_not_guessed(
    session: ChatSession,
) -> None:
    turn = session.send("add a 90% put overlay and assume implied vol 5 points over realised")
    assert turn.pending is None
    text = " ".join(str(r) for r in turn.replies)
    assert "implied vol 5 points over realised is not one setting" in text


def test_a_backtest_with_a_put_reports_what_the_put_cost_and_paid(session: ChatSession) -> None:
    turn = session.send(
        "backtest a 15% target-vol strategy on AAPL, KO and XOM since 2015 with a 90% put and "
        "a 2% annual budget, assume a variance risk premium of 0.02"
    )
    assert turn.pending is None  # a backtest runs at once: no search to approve
    answer = turn.replies[-1]
    # the same backtest through the tool itself gives the numbers the answer quotes
    args = {
        "config": {
            "target_vol": 0.15, "overlay": "put", "overlay_strike": 0.9, "overlay_budget": 0.02,
        },
        "universe": ["AAPL", "KO", "XOM"],
        "start": "2015-01-01",
        "vol_model": {"variance_risk_premium": 0.02},
    }  # fmt: skip
    data = tool(ToolContext(), "backtest_strategy").invoke(args)
    m = data["metrics"]
    assert m["hedge_premium"] > 0
    assert f"CAGR {m['cagr']:.1%}" in answer and f"Sharpe {m['sharpe']:.2f}" in answer
    assert f"maximum drawdown {m['max_drawdown']:.1%}" in answer
    assert f"cost {m['hedge_premium']:.2%} of wealth a year in premiums" in answer
    assert f"paid back {m['hedge_payoff']:.2%}" in answer
    assert "premiums capped at 2.0% of wealth a year" in answer
    assert "variance risk premium of 0.02" in answer
    assert "AAPL, KO, XOM" in answer and not (session.settings.data_dir / "runs").exists()


def test_a_backtest_of_several_overlays_gets_a_question(session: ChatSession) -> None:
    turn = session.send("backtest a 10% target-vol strategy with a collar and a put spread")
    assert turn.pending is None
    assert "A backtest tests one strategy: which overlay should it hold" in turn.replies[-1]


def test_a_delta_band_winner_is_described_with_its_band() -> None:
    from graphs.hedge_search import describe_hedge
    from quant.strategy import StrategyConfig

    config = StrategyConfig(
        overlay="put", overlay_strike=0.9, overlay_roll="delta", overlay_roll_delta_band=0.05
    ).model_dump(mode="json")
    assert describe_hedge(config) == (
        "protective put: put strike 90%, 63-day tenor, roll at expiry or a 0.05 delta band, "
        "hedge ratio 1, no budget cap"
    )
