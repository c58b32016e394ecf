"""Why a built portfolio holds what it holds ("explain this portfolio", "why is KO weighted so
heavily?", "why so little AAPL?"), asked after a build, is answered by the offline chat with the
method's rule and each stock's weight beside its volatility, its mean correlation with the
others and its share of the portfolio's risk, over the window the portfolio was built on. The
figures are checked against numpy on the same window (the risk shares as w_i (Sigma w)_i /
w' Sigma w), and a min-volatility portfolio's risk shares against its weights (at that minimum,
long only and with no cap, they are equal). After a finished strategy search, "explain" is still
the search's explanation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agents.offline.intent import parse_intent
from agents.offline.policies import PolicyInput
from agents.offline.weight_explanations import WHY_WEIGHTS, asks_why_weights, portfolio_to_explain
from quant import load_sp500_prices, to_returns
from tests.support.chat_answers import answers_in_one_thread

RETURNS = to_returns(load_sp500_prices())
METHODS = {
    "min vol": "min_volatility",
    "HRP": "hrp",
    "risk parity": "risk_parity",
    "max sharpe": "max_sharpe",
    "inverse volatility": "inverse_volatility",
}
ASKS = (
    "explain this portfolio",
    "why is {t} weighted so heavily?",
    "why so little {t}?",
    "how were the weights chosen?",
    "can you walk me through the portfolio",
)
LINE = re.compile(
    r"([A-Z]+) (\d+\.\d)% \(volatility (\d+\.\d)% a year, mean correlation with the others "
    r"(-?\d\.\d\d), (\d+\.\d)% of the portfolio's risk\)"
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(sorted(METHODS)),
    tickers=st.lists(
        st.sampled_from(["AAPL", "KO", "PG", "XOM", "JPM", "JNJ", "MSFT"]),
        min_size=3,
        max_size=5,
        unique=True,
    ),
    ask=st.sampled_from(ASKS),
    pick=st.integers(0, 4),
)
def test_why_a_built_portfolio_holds_what_it_holds(
    offline_data_dir: Path, method: str, tickers: list[str], ask: str, pick: int
) -> None:
    named = tickers[pick % len(tickers)]
    built, why = answers_in_one_thread(
        f"build a {method} portfolio of {', '.join(tickers)} since 2019",
        ask.format(t=named),
    )
    held = built.split(". Expected")[0]
    weights = {t: float(w) / 100 for t, w in re.findall(r"([A-Z]+) (\d+\.\d)%", held)}
    lines = {m[0]: m[1:] for m in LINE.findall(why)}
    assert sorted(lines) == sorted(tickers), why
    window = RETURNS.loc["2019-01-01":, tickers]
    cov = window.cov().to_numpy()
    corr = window.corr().to_numpy()
    shown = np.array([float(lines[t][0]) / 100 for t in tickers])
    assert np.allclose(shown, [weights.get(t, 0.0) for t in tickers], atol=1e-3), why
    share = shown * (cov @ shown) / (shown @ cov @ shown)  # from the shown (rounded) weights
    for k, ticker in enumerate(tickers):
        weight, vol, mean_corr, risk = (float(v) for v in lines[ticker])
        assert abs(vol - 100 * window[ticker].std(ddof=1) * np.sqrt(252)) <= 0.06, why
        assert abs(mean_corr - (corr[k].sum() - 1) / (len(tickers) - 1)) <= 0.006, why
        assert abs(risk - 100 * share[k]) <= 0.6, (ticker, why)  # weights shown to 0.1%
        if METHODS[method] == "min_volatility":
            assert abs(risk - weight) <= 0.15, (ticker, why)  # equal at the minimum
    if "{t}" in ask:
        assert why.startswith(f"{named} is the "), why  # the stock asked about comes first
        calm = sorted(tickers, key=lambda t: window[t].std())
        place = calm.index(named)
        said = re.match(rf"{named} is the (?:(\d+)\w\w )?(least|most) volatile", why)
        assert said is not None, why
        got = len(tickers) - 1 if said.group(2) == "most" else int(said.group(1) or 1) - 1
        assert got == place, why
    assert "Not used" not in why, why


def test_a_why_question_not_about_weights_is_not_explained_as_one() -> None:
    for text in ("why did tech fall in 2022?", "why is the market down today?",
                 "explain the sharpe ratio", "why is volatility high?", "why no puts?"):  # fmt: skip
        assert WHY_WEIGHTS.search(text) is None, text
    built = {"portfolio_id": "pf_1", "method": "hrp"}
    known = ["AAPL", "KO", "XOM"]
    for text in ("explain this portfolio", "why is KO weighted so heavily?", "why no XOM?",
                 "why is AAPL the smallest?", "what drives the weights?", "why is KO so high?",
                 "why did it pick KO over AAPL?", "explain the HRP portfolio",
                 "why isn't aapl in there?", "explain why ko is so big", "why does it hold 30% ko?",
                 "why did hrp pick KO", "why does hrp like ko", "why so little xom?",
                 "why these 5?", "why these stocks?", "why did you pick these?",
                 "how were these chosen?", "why did the hrp pick these names?",
                 "why those three names"):  # fmt: skip
        assert asks_why_weights(parse_intent(text, known), built), text
    for text in ("why no puts?", "explain the max sharpe portfolio", "why did energy fall?",
                 "why did the portfolio lose so much in 2008?", "why are the losses so heavy?",
                 "why is the volatility so high?", "why these returns?",
                 "why these two are better than the rest is unclear"):  # fmt: skip
        assert not asks_why_weights(parse_intent(text, known), built), text
    assert not asks_why_weights(parse_intent("explain this portfolio", known), None)


def _built(call_id: str) -> list[AIMessage | ToolMessage]:
    data = '{"portfolio_id": "pf_1", "method": "hrp", "weights": {"KO": 1.0}}'
    call = {"name": "optimize_portfolio", "args": {}, "id": call_id, "type": "tool_call"}
    return [AIMessage("", tool_calls=[call]), ToolMessage(data, tool_call_id=call_id)]


def test_the_portfolio_explained_is_the_latest_build_after_any_finished_search() -> None:
    done = AIMessage("Run run_0a1b2c succeeded: the winner ...")
    ask = HumanMessage("explain this portfolio")
    built_then_run = _input([HumanMessage("hrp"), *_built("c1"), done, ask])
    assert portfolio_to_explain(built_then_run) is None  # the search's explanation answers
    found = portfolio_to_explain(_input([done, HumanMessage("hrp"), *_built("c2"), ask]))
    assert found is not None and found["portfolio_id"] == "pf_1"
    assert portfolio_to_explain(_input([ask])) is None


def _input(messages: list[BaseMessage]) -> PolicyInput:
    return PolicyInput(role="supervisor", messages=messages, tools=[])


def test_other_ways_of_asking_reach_the_explanation(offline_data_dir: Path) -> None:
    built, outside, high, method = answers_in_one_thread(
        "build a risk parity portfolio of AAPL, KO and PG",
        "why no AMD?",
        "why is KO so high?",
        "explain the risk parity portfolio",
    )
    pid = re.search(r"\((pf_[0-9a-f]+)\)", built)
    assert pid is not None, built
    assert outside.startswith(
        "AMD was not among the stocks the portfolio was built from (AAPL, KO and PG)"
    ), outside
    assert high.startswith("KO is the ") and "the risk-parity rule gives it" in high, high
    assert f"({pid.group(1)})" in method and "Each stock's weight" in method, method


def test_a_capped_min_volatility_portfolio_says_its_risk_shares_differ(
    offline_data_dir: Path,
) -> None:
    _, why, loss = answers_in_one_thread(
        "build a min vol portfolio of KO, PEP, PG, JNJ, XOM and AAPL with at most 25% in any stock",
        "explain the weights",
        "why did the portfolio lose so much in 2008?",
    )
    lines = {m[0]: m[1:] for m in LINE.findall(why)}
    apart = [t for t, (w, _, _, r) in lines.items() if abs(float(w) - float(r)) > 0.5]
    assert apart and "Here a weight limit binds, so the risk shares differ from the weights" in why
    assert "With no weight limit binding" in why, why  # the rule says when shares equal weights
    assert loss.startswith("No strategy search has finished in this conversation"), loss
    assert "Each stock's weight" not in loss, loss  # no weight explanation for a loss


def test_more_stocks_than_the_correlations_cover_is_said(offline_data_dir: Path) -> None:
    """Above 12 stocks the statistics give no pairs' correlations: the explanation and a
    correlation asked of every stock say so, with the count, instead of leaving them out."""
    _, why = answers_in_one_thread(
        "build a min vol portfolio of every stock", "explain the weights"
    )
    lines = {m[0] for m in LINE.findall(why)}
    assert not lines and "mean correlation" not in why.split("No mean correlation")[0], why
    assert "No mean correlation is shown: " in why and "not 20" in why, why
    [every] = answers_in_one_thread("correlation of all the stocks since 2020")
    assert "Each pair's correlation is not shown: " in every and "not 20" in every, every


LEFT_OUT_ASKS = ("which stocks did it leave out?", "which names got zero weight?",
                 "what did it drop?", "which ones were left out?",
                 "which stocks did the portfolio exclude?")  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stocks=st.lists(st.sampled_from(sorted(RETURNS.columns)), min_size=3, max_size=8, unique=True),
    method=st.sampled_from(["max sharpe", "min vol", "HRP"]),
    ask=st.sampled_from(LEFT_OUT_ASKS),
)
def test_which_stocks_a_build_left_out_are_said_first(
    offline_data_dir: Path, stocks: list[str], method: str, ask: str
) -> None:
    """ "Which stocks did it leave out?" after a build was help text; now the stocks it holds
    none of, read from the build's own weights (or that it leaves none out), then why."""
    built, answer = answers_in_one_thread(f"build a {method} portfolio of {', '.join(stocks)}", ask)
    shown = dict(re.findall(r"\b([A-Z]{1,5}) (\d+\.\d)%", built.split(" Expected return")[0]))
    assert set(shown) == set(stocks), built
    zero = sorted(t for t, w in shown.items() if float(w) == 0.0)
    if zero:
        said = re.match(r"It holds none of (.+?) \((\d+) of the (\d+) stocks", answer)
        assert said is not None, answer
        assert re.split(r", | and ", said[1]) == zero and int(said[2]) == len(zero), answer
        assert int(said[3]) == len(stocks), answer
    else:
        assert answer.startswith(f"It leaves none out: it holds every one of the {len(stocks)}")
    assert "Each stock's weight" in answer, answer
