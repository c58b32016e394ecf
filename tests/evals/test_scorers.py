"""The scorers on constructed traces: each wrong decision fails its scorer, the right one passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.case_run import ToolCall, Trace
from evals.cases import CaseError, CoreNumber, load_cases, parse_case, select
from evals.prices import PriceTable, catalog_prices
from evals.scorers import (
    SCORERS,
    quoted_numbers,
    score,
    score_answer,
    score_constraints,
    score_core,
    score_grounding,
    score_numbers,
    score_refusal,
    score_tools,
    tool_schema_check,
)
from settings.model_catalog import Prices

RISK = {
    "cvar_historical": 0.03762,
    "var_historical": 0.02355,
    "max_drawdown": 0.3374,
    "level": 0.95,
}


def case(**fields: Any) -> Any:
    return parse_case({"id": "c", "description": "d", "turns": ["hi"], **fields}, "test")


def call(name: str, args: dict[str, Any], data: Any = None) -> ToolCall:
    return ToolCall(name, args, json.dumps(data) if data is not None else "", data, data is None)


def trace(answer: str, *calls: ToolCall, user: str = "", **fields: Any) -> Trace:
    return Trace("c", "offline", list(calls), answer, user, **fields)


@pytest.fixture(scope="module")
def check() -> Any:
    return tool_schema_check()


def test_the_expected_tool_with_matching_valid_arguments_passes(check: Any) -> None:
    c = case(
        expect={
            "tools": [
                {"name": "portfolio_risk_report", "args": {"weights": {"AAPL": 0.5, "KO": 0.5}}}
            ]
        }
    )
    good = call("portfolio_risk_report", {"weights": {"AAPL": 0.5, "KO": 0.5}, "level": 0.95}, RISK)
    assert score_tools(c, trace("", good), check).passed is True


def test_a_wrong_tool_fails(check: Any) -> None:
    c = case(expect={"tools": [{"name": "portfolio_risk_report"}]})
    result = score_tools(c, trace("", call("market_statistics", {"universe": ["AAPL"]}, {})), check)
    assert result.passed is False
    assert "portfolio_risk_report not called" in result.detail


def test_arguments_invalid_against_the_tool_schema_fail(check: Any) -> None:
    c = case(expect={"tools": [{"name": "optimize_portfolio"}]})
    bad = call("optimize_portfolio", {"universe": ["AAPL", "KO"], "method": "astrology"}, {})
    result = score_tools(c, trace("", bad), check)
    assert result.passed is False
    assert "arguments invalid" in result.detail


def test_arguments_that_differ_from_the_expected_subset_fail(check: Any) -> None:
    c = case(expect={"tools": [{"name": "portfolio_risk_report", "args": {"level": 0.99}}]})
    wrong = call("portfolio_risk_report", {"weights": {"AAPL": 1.0}, "level": 0.95}, RISK)
    assert score_tools(c, trace("", wrong), check).passed is False


def test_a_forbidden_tool_fails(check: Any) -> None:
    c = case(expect={"forbidden_tools": ["optimize_portfolio"]})
    built = call("optimize_portfolio", {"method": "hrp"}, {})
    assert score_tools(c, trace("", built), check).passed is False
    assert score_tools(c, trace(""), check).passed is True


def test_numbers_are_matched_at_the_precision_shown_and_as_percentages() -> None:
    report = call("portfolio_risk_report", {}, RISK)
    assert score_numbers(case(), trace("The CVaR is 3.76% and the VaR 2.4%.", report)).passed
    assert score_numbers(case(), trace("The CVaR is 0.0376.", report)).passed
    # 3.77% is not 0.03762 shown at two decimals
    result = score_numbers(case(), trace("The CVaR is 3.77%.", report))
    assert result.passed is False
    assert "3.77%" in result.detail


def test_a_number_in_no_tool_result_fails_but_one_from_the_user_passes() -> None:
    report = call("portfolio_risk_report", {}, RISK)
    invented = trace("At 95% the CVaR is 3.76%, about 12% a year.", report)
    assert score_numbers(case(), invented).passed is False
    quoted = trace("Since 2019 the CVaR is 3.76%.", report, user="CVaR of AAPL since 2019?")
    assert score_numbers(case(), quoted).passed is True


def test_dates_ids_and_citations_are_not_numbers() -> None:
    numbers = quoted_numbers(
        "pf_3a9c1e from 2019-01-02: 1,200 and 3.5% (doc.pdf, p. 2) [doc.pdf, p. 3]"
    )
    assert [(q.value, q.decimals, q.percent) for q in numbers] == [
        (1200.0, 0, False),
        (3.5, 1, True),
        (2.0, 0, False),
    ]


def test_the_index_s_name_is_not_a_number_but_500_elsewhere_is() -> None:
    numbers = quoted_numbers("the S&P 500 index 8.5%; a loss of 500 on S&P 500 futures")
    assert [q.text for q in numbers] == ["8.5%", "500"]


def test_list_item_numbers_are_not_numbers_but_sentences_ending_in_numbers_are() -> None:
    numbers = quoted_numbers("I saved 2 ideas: 1. Defensive: return 7.0%. 2. Growth: 12.5% a year.")
    assert [q.text for q in numbers] == ["2", "7.0%", "12.5%"]
    assert [q.text for q in quoted_numbers("1. Energy. The loss was 3. Then")] == ["3"]


def test_the_core_number_must_be_quoted() -> None:
    c = case(expect={"numbers": [{"metric": "cvar_historical", "weights": {"AAPL": 1.0}}]})
    assert score_core(c, trace("CVaR 3.76%."), lambda n: 0.03762).passed is True
    wrong = score_core(c, trace("CVaR 3.90%."), lambda n: 0.03762)
    assert wrong.passed is False
    assert "not quoted" in wrong.detail


def test_core_value_agrees_with_the_risk_tool() -> None:
    from evals.scorers import core_value
    from tools import build_tools

    tool = next(t for t in build_tools() if t.name == "portfolio_risk_report")
    result = tool.invoke({"weights": {"AAPL": 0.5, "KO": 0.5}, "start": "2019-01-01"})
    result = json.loads(result) if isinstance(result, str) else result
    number = CoreNumber("cvar_historical", {"AAPL": 0.5, "KO": 0.5}, start="2019-01-01")
    assert core_value(number) == pytest.approx(result["cvar_historical"], abs=1e-5)


PASSAGES = {
    "passages": [
        {"citation": "(outlook.pdf, p. 2)", "text": "Brent near 85 dollars supports energy stocks."}
    ]
}


def test_grounded_citations_pass_and_ungrounded_ones_fail() -> None:
    search = call("search_research", {"query": "energy"}, PASSAGES)
    c = case(expect={"citations": ["outlook.pdf"]})
    good = (
        'Your research says: "Brent near 85 dollars supports energy stocks." (outlook.pdf, p. 2).'
    )
    assert score_grounding(c, trace(good, search)).passed is True
    other = "Brent near 85 dollars (outlook.pdf, p. 9)."
    assert score_grounding(c, trace(other, search)).passed is False
    number = "Brent near 95 dollars (outlook.pdf, p. 2)."
    assert score_grounding(c, trace(number, search)).passed is False
    uncited = "Energy stocks look fine."
    result = score_grounding(c, trace(uncited, search))
    assert result.passed is False
    assert "outlook.pdf not cited" in result.detail


def test_a_missing_refusal_fails_and_side_effects_fail() -> None:
    c = case(expect={"refusal": ["don't have the ticker"]})
    assert score_refusal(c, trace("I don't have the ticker ZZZZ.")).passed is True
    assert score_refusal(c, trace("Here is your portfolio.")).passed is False
    saved = call("save_idea", {"title": "x"}, {"idea_id": "idea_1"})
    assert score_refusal(c, trace("I don't have the ticker ZZZZ.", saved)).passed is False
    proposed = trace("I don't have the ticker ZZZZ.", proposed={"universe": ["AAPL"]})
    assert score_refusal(c, proposed).passed is False


def test_a_winner_over_the_limit_fails_the_constraints() -> None:
    c = case(expect={"constraints": {"max_drawdown": 0.25}})
    proposed = {"risk_limits": {"max_drawdown": 0.25, "scenarios": ["bear"]}}
    run = {"best": {"scenarios": {"bear": {"max_drawdown": 0.2}, "bull": {"max_drawdown": 0.4}}}}
    assert score_constraints(c, trace("", proposed=proposed, last_run=run)).passed is True
    over = {"best": {"scenarios": {"bear": {"max_drawdown": 0.3}}}}
    assert score_constraints(c, trace("", proposed=proposed, last_run=over)).passed is False
    unlimited = {"risk_limits": {"max_drawdown": None}}
    assert score_constraints(c, trace("", proposed=unlimited, last_run=run)).passed is False


def test_a_proposal_that_differs_from_the_expected_subset_fails_the_constraints() -> None:
    c = case(expect={"proposed": {"budget": {"max_trials": 40}, "universe": ["AAPL", "KO"]}})
    asked = {"universe": ["AAPL", "KO"], "budget": {"max_trials": 40, "batch_size": 50}}
    assert score_constraints(c, trace("", proposed=asked)).passed is True
    fewer = {"universe": ["AAPL", "KO"], "budget": {"max_trials": 100}}
    result = score_constraints(c, trace("", proposed=fewer))
    assert result.passed is False and "max_trials" in result.detail
    assert score_constraints(c, trace("", proposed={"universe": ["AAPL"]})).passed is False
    nothing = score_constraints(c, trace(""))
    assert nothing.passed is False and "nothing was proposed" in nothing.detail


def test_a_portfolio_over_the_weight_cap_fails_the_constraints() -> None:
    c = case(expect={"constraints": {"max_weight": 0.3}})
    capped = {"weights": {"AAPL": 0.3, "KO": 0.3, "MSFT": 0.3, "JNJ": 0.1}}
    args = {"method": "max_sharpe", "max_weight": 0.3}
    assert score_constraints(c, trace("", call("optimize_portfolio", args, capped))).passed
    over = {"weights": {"AAPL": 0.4, "KO": 0.6}}
    result = score_constraints(c, trace("", call("optimize_portfolio", args, over)))
    assert result.passed is False and "AAPL holds 0.4000 > 0.3" in result.detail
    uncapped = call("optimize_portfolio", {"method": "max_sharpe"}, capped)
    assert score_constraints(c, trace("", uncapped)).passed is False
    assert score_constraints(c, trace("")).passed is False


def test_a_group_over_its_limit_or_a_floor_broken_fails_the_constraints() -> None:
    c = case(expect={"group_limits": {"tech": 0.3}, "constraints": {"min_weight": 0.1}})
    limited = {"method": "min_volatility", "min_weight": 0.1,
               "sector_limits": {"information technology": {"min": 0.0, "max": 0.3}}}  # fmt: skip
    kept = {"weights": {"AAPL": 0.15, "MSFT": 0.15, "KO": 0.4, "PG": 0.3}}
    assert score_constraints(c, trace("", call("optimize_portfolio", limited, kept))).passed
    over = {"weights": {"AAPL": 0.3, "MSFT": 0.2, "KO": 0.4, "PG": 0.1}}
    result = score_constraints(c, trace("", call("optimize_portfolio", limited, over)))
    assert result.passed is False and "tech holds 0.5000 > 0.3" in result.detail
    capped = {"method": "min_volatility", "min_weight": 0.1, "max_weight": 0.3}  # a cap per name
    result = score_constraints(c, trace("", call("optimize_portfolio", capped, kept)))
    assert "called without a tech group limit of 0.3" in result.detail
    under = {"weights": {"AAPL": 0.15, "MSFT": 0.15, "KO": 0.65, "PG": 0.05}}
    result = score_constraints(c, trace("", call("optimize_portfolio", limited, under)))
    assert result.passed is False and "PG holds 0.0500 < 0.1" in result.detail


def test_excluded_phrases_fail_the_answer_and_a_question_acts_on_nothing(check: Any) -> None:
    c = case(expect={"answer_contains": ["netted"], "answer_excludes": ["fewer than"]})
    assert score_answer(c, trace("Their orders are netted.")).passed is True
    said = score_answer(c, trace("They are netted: fewer than 63 sessions"))
    assert said.passed is False and said.detail == "must not say: fewer than"
    question = case(expect={"no_action": True})
    assert score_tools(question, trace("Shared accounts net orders."), check).passed is True
    proposed = score_tools(question, trace("", proposed={"capital": 1.0}), check)
    assert proposed.passed is False and "proposed for approval" in proposed.detail
    saved = score_tools(question, trace("", call("save_idea", {"title": "x"}, {})), check)
    assert saved.passed is False and "save_idea acted" in saved.detail
    with pytest.raises(CaseError, match="no_action must be true or false"):
        case(expect={"no_action": "yes"})


def test_every_scorer_is_defined_and_an_error_fails_completed(check: Any) -> None:
    scores = score(case(), trace("", error="RuntimeError: boom"), check, lambda n: 0.0)
    assert set(scores) == set(SCORERS)
    assert scores["completed"].passed is False
    assert scores["turns"].passed is None


def test_costs_price_each_call_with_cache_tokens_at_their_rates() -> None:
    table = catalog_prices()
    assert table.date == "2026-11-25" and "model_catalog.toml" in table.source
    usage = {"input_tokens": 10_000, "output_tokens": 1_000}
    assert table.call_cost("offline", None, usage) == 0.0
    assert table.call_cost("openai", "gpt-4.1", usage) is None
    cached = {**usage, "cache_read_tokens": 100_000, "cache_write_tokens": 20_000}
    sonnet = (10_000 * 2.0 + 1_000 * 10.0 + 100_000 * 0.10 + 20_000 * 2.50) / 1e6
    assert table.call_cost("bedrock", "us.anthropic.claude-sonnet-5-5", cached) == pytest.approx(
        sonnet
    )
    # Nova's cache prices were not found: a call that used the cache has an unknown cost
    assert table.call_cost("bedrock", "us.amazon.nova-pro-v1:0", usage) == pytest.approx(0.0112)
    assert table.call_cost("bedrock", "us.amazon.nova-pro-v1:0", cached) is None
    mine = PriceTable({"amazon.nova-pro-v1:0": Prices(0.8, 3.2)}, "d", "s")
    assert mine.call_cost(
        "bedrock", "eu.amazon.nova-pro-v1:0", {"input_tokens": 1_000_000}
    ) == pytest.approx(0.8)


def test_the_shipped_cases_load_and_bad_ones_are_refused(tmp_path: Path) -> None:
    cases = load_cases()
    assert len(cases) >= 20
    assert {"numeric", "refusal", "research", "optimization", "tools"} <= {
        t for c in cases for t in c.tags
    }
    with pytest.raises(CaseError, match="turns"):
        parse_case({"id": "x", "description": "d", "turns": []}, "x.toml")
    with pytest.raises(CaseError, match="unknown expect field"):
        case(expect={"tool": []})
    with pytest.raises(CaseError, match="no case nope"):
        select(cases, ids=["nope"])
    saved = case(portfolios={"Staples": {"KO": 0.6, "PG": 0.4}})
    assert saved.portfolios == {"Staples": {"KO": 0.6, "PG": 0.4}}
    with pytest.raises(CaseError, match=r"portfolios\.Staples: every weight must be a number"):
        case(portfolios={"Staples": {"KO": "60%"}})
    with pytest.raises(CaseError, match="portfolios must be a table"):
        case(portfolios=["Staples"])
    (tmp_path / "a.toml").write_text('id = "a"\ndescription = "d"\nturns = [')
    with pytest.raises(CaseError, match=r"a\.toml: not valid TOML"):
        load_cases(tmp_path)


def _conversation(message: str, args: dict[str, Any], answer: str) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    return [
        HumanMessage(message),
        AIMessage("", tool_calls=[{"name": "optimize_portfolio", "args": args, "id": "c1"}]),
        ToolMessage(json.dumps({"weights": {"AAPL": 0.5, "MSFT": 0.5}}), tool_call_id="c1",
                    name="optimize_portfolio"),
        AIMessage(answer),
    ]  # fmt: skip


def test_the_accounting_scorer_fails_an_item_neither_used_nor_named() -> None:
    from evals.scorers import score_accounting

    message = "min vol of AAPL, MSFT and ko capped at 30% per name since 2019"
    args: dict[str, Any] = {
        "universe": ["AAPL", "MSFT"], "method": "min_volatility", "start": "2019-01-01"
    }  # fmt: skip
    silent = "Min vol portfolio: AAPL 50%, MSFT 50%."
    t = trace(silent, messages=_conversation(message, args, silent))
    verdict = score_accounting(case(), t)
    assert verdict.passed is False
    assert "KO (not in the universe used (AAPL, MSFT))" in verdict.detail
    assert "the 30% cap on every asset (the optimize_portfolio call did not take it)" in verdict.detail  # fmt: skip
    owned = silent + " KO was not used: it is not in the data I used. The 30% cap was not applied."
    t = trace(owned, messages=_conversation(message, args, owned))
    verdict = score_accounting(case(), t)
    assert verdict.passed is True
    assert verdict.detail == "named as not used: the 30% cap on every asset; KO"
    args |= {"universe": ["AAPL", "MSFT", "KO"], "max_weight": 0.3}
    t = trace(silent, messages=_conversation(message, args, silent))
    assert score_accounting(case(), t).detail == "every item used"
    assert score_accounting(case(), trace("")).passed is None  # no conversation: n/a
