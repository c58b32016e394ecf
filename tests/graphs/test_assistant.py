"""The strategy-assistant chat with the offline model: routing, memory, the approval interrupt."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from graphs.chat import ChatSession, NothingPendingError
from quant import load_sp500_prices, max_sharpe, mean_returns, sample_covariance, to_returns
from services.strategy_model import wait_for_learning
from services.warm_starts import describe_result_start
from settings import Settings
from store.sqlite import SQLiteStore
from traces.jsonl import check_sequence, read_jsonl
from traces.schema import TraceEvent

SEARCH = (
    "find the target-vol setting that holds up in a bear market with 20 trials "
    "for AAPL, JNJ, KO and XOM since 2010"
)


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("test-thread", settings=Settings())


def test_a_portfolio_then_a_follow_up_about_its_risk(session: ChatSession) -> None:
    events: list[TraceEvent] = []
    first = session.send(
        "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018",
        on_event=events.append,
    )
    returns = to_returns(load_sp500_prices()[["AAPL", "MSFT", "JNJ", "KO"]]).loc["2018":]
    weights = max_sharpe(mean_returns(returns), sample_covariance(returns))
    text = first.replies[-1]
    assert f"AAPL {weights['AAPL']:.1%}" in text and f"MSFT {weights['MSFT']:.1%}" in text
    routed = [e for e in events if e.type == "tool_call" and e.data["tool"] == "Route"]
    assert routed and routed[0].data["args"]["agent"] == "optimizer"

    follow_up = session.send("what's the 99% CVaR of that?")
    assert "99% confidence" in follow_up.replies[-1]
    history = session.history()
    calls = [
        c
        for m in history
        for c in getattr(m, "tool_calls", [])
        if c["name"] == "portfolio_risk_report"
    ]
    portfolio_id = next(
        json.loads(m.content)["portfolio_id"]
        for m in history
        if getattr(m, "name", None) == "optimize_portfolio"
    )
    assert calls[-1]["args"] == {"portfolio_id": portfolio_id, "level": 0.99}


def test_a_search_waits_for_approval_and_runs_when_approved(session: ChatSession) -> None:
    turn = session.send(SEARCH)
    assert turn.replies == [] and turn.pending is not None
    request = turn.pending["request"]
    assert request["universe"] == ["AAPL", "JNJ", "KO", "XOM"]
    assert request["budget"]["max_trials"] == 20
    assert request["scenario_weights"]["bear"] == 2 * request["scenario_weights"]["bull"]
    # "the target-vol setting": the target-vol rule is searched, its weight function fixed
    assert request["search_space"]["weight_function"] == "inverse_vol"
    assert request["search_space"]["target_vol"] == {"low": 0.05, "high": 0.25}
    assert session.pending() == turn.pending
    runs = session.settings.data_dir / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # nothing ran before approval

    done = session.decide("edit", changes={"n_paths": 30, "horizon": 189})
    assert session.pending() is None
    (run_dir,) = list(runs.iterdir())
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "succeeded" and result["n_trials"] == 20
    assert json.loads((run_dir / "request.json").read_text())["n_paths"] == 30
    assert result["explanation"]["text"] in done.replies[-1]
    # the search was asked about the target-vol setting: the answer names the winner's value
    config = result["best"]["config"]
    assert config["weight_function"] == "inverse_vol"
    assert f"Winning volatility target {config['target_vol']:.2%}." in done.replies[-1]

    why = session.send("why did it win?")
    assert result["explanation"]["text"] in why.replies[-1]
    events = read_jsonl(session.directory / "events.jsonl")
    check_sequence(events)
    assert [e.data["status"] for e in events if e.type == "run_finished"] == [
        "interrupted",
        "succeeded",
        "succeeded",
    ]
    assert any(e.type == "progress" and e.data["unit"] == "trials" for e in events)


def test_an_owner_s_search_says_how_it_started(offline_data_dir: Path, tmp_path: Path) -> None:
    """An owner's approved search runs as their job, and its answer says how it started, as
    its report does: the first cold (no model yet), the next from the model the first taught."""
    store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("starts", settings=Settings(), owner="alice", store=store)
    starts = []
    for _ in range(2):
        assert session.send(SEARCH).pending is not None
        reply = session.decide("edit", changes={"n_paths": 30, "horizon": 189}).replies[-1]
        [job_id] = re.findall(r"^Run (job_\w+) succeeded\.", reply)
        start = describe_result_start(store.get_result("alice", job_id).payload)
        assert start and f" Start: {start}. " in reply
        starts.append(start)
        wait_for_learning("alice")  # the job answered first; the owner's model learns it after
    assert starts[0].startswith("cold: no strategy model to start from")
    assert "first from strategy model version 1" in starts[1]


def test_a_rejected_search_runs_nothing(session: ChatSession) -> None:
    session.send(SEARCH)
    turn = session.decide("reject")
    assert turn.replies == ["Cancelled: nothing was run."]
    assert session.pending() is None
    assert not (session.settings.data_dir / "runs").exists()
    with pytest.raises(NothingPendingError):
        session.decide("approve")


def test_an_invalid_edit_is_refused_and_nothing_runs(session: ChatSession) -> None:
    session.send(SEARCH)
    turn = session.decide("edit", changes={"n_paths": -5})
    assert "not valid" in turn.replies[-1]
    assert not (session.settings.data_dir / "runs").exists()


def test_a_search_that_cannot_run_is_explained_instead_of_drafted(session: ChatSession) -> None:
    turn = session.send(
        "find the target-vol setting that holds up in a bear market with 20 trials "
        "for AAPL and KO in 1985-1989"
    )
    assert turn.pending is None and session.pending() is None
    (reply,) = turn.replies
    assert "I could not set up that search" in reply
    assert "start: the range 1985-01-01 to 1989-12-31 holds 0 trading days" in reply, reply
    assert not (session.settings.data_dir / "runs").exists()


@pytest.mark.parametrize("trials", [0, 50_000])
def test_trials_out_of_bounds_are_said_as_the_user_s_not_as_a_failure(
    session: ChatSession, trials: int, caplog: pytest.LogCaptureFixture
) -> None:
    """ "with 0 trials" is the user's value out of the search's bounds (1 to 20,000): said so,
    nothing drafted, the search waiting kept; it was "something went wrong on my side" and a
    logged traceback."""
    bound = "must be at least 1" if trials < 1 else "must be at most 20000"
    with caplog.at_level("WARNING"):
        fresh = session.send(f"find the best vol target for KO and PG with {trials} trials")
        assert fresh.pending is None
        assert f"I could not set up that search: trials: {bound}." in fresh.replies[0], fresh
        waiting = session.send(SEARCH).pending
        changed = session.send(f"make it {trials} trials")
    assert changed.pending == waiting  # the search waiting is kept
    assert f"trials: {bound}" in changed.replies[0], changed.replies
    assert "on my side" not in " ".join(changed.replies + fresh.replies)
    assert not [r for r in caplog.records if "chat turn failed" in r.getMessage()], caplog.text


@pytest.mark.parametrize(
    ("said", "problem"),
    [
        ("with -5 trials", "trials: must be at least 1"),
        (
            "with target vol 500%",
            "volatility target: 500% a year asked, but a volatility target must be above 0% and "
            "at most 100% a year",
        ),
        (
            "with a lookback of 5000 days",
            "lookback 5,000 trading days asked, but it must be a whole number of trading days "
            "from 2 to 2,499",
        ),
    ],
)
def test_values_out_of_bounds_are_refused_as_said(
    session: ChatSession, said: str, problem: str
) -> None:
    """A value out of bounds is refused with the value said: "-5 trials" ran 5 trials, "target
    vol 500%" ran at the leverage cap, "a lookback of 5000 days" was quoted as 500."""
    turn = session.send(f"optimize a vol-targeting strategy for KO and PEP {said}")
    assert turn.pending is None, turn.pending
    assert f"I could not set up that search: {problem}." in turn.replies[0], turn.replies
    assert "of 500," not in turn.replies[0], turn.replies  # the accounting quotes it whole


def test_help_and_stray_confirmations_are_answered_by_the_supervisor(session: ChatSession) -> None:
    assert "search volatility-targeting strategies" in session.send("what can you do?").replies[-1]
    assert "no run waiting" in session.send("go ahead").replies[-1]
    with pytest.raises(ValueError, match="empty"):
        session.send("   ")
    texts = [m.content for m in session.history()]
    assert texts[0] == "what can you do?" and texts[2] == "go ahead" and len(texts) == 4


def _tools_called(events: list[TraceEvent]) -> list[str]:
    return [e.data["tool"] for e in events if e.type == "tool_call" and e.data["tool"] != "Route"]


def _window(session: ChatSession, tickers: list[str]) -> pd.DataFrame:
    """The returns the thread's latest portfolio was built on (its tool result's date range)."""
    built = [
        json.loads(str(m.content))
        for m in session.history()
        if getattr(m, "name", None) == "optimize_portfolio"
    ]
    span = built[-1]["date_range"]
    returns = to_returns(load_sp500_prices()[tickers])
    return returns.loc[span["start"] : span["end"]]


def test_a_thread_never_wears_out(session: ChatSession) -> None:
    """Ten tool-using turns in one thread: every one answers with its tool's numbers (the step
    budget counts per request, not per thread)."""
    asks = [
        "an HRP portfolio of AAPL, MSFT and JNJ",
        "what is its 95% VaR?",
        "max sharpe of KO and PEP",
        "a risk parity portfolio of AAPL, MSFT and JNJ",
    ] * 3
    for text in asks[:10]:
        events: list[TraceEvent] = []
        turn = session.send(text, on_event=events.append)
        assert _tools_called(events), text
        assert "allowed number of steps" not in turn.replies[-1], text
        assert "%" in turn.replies[-1], text


def test_one_message_that_builds_a_portfolio_and_asks_its_risk_answers_both(
    session: ChatSession,
) -> None:
    from quant import hierarchical_risk_parity, risk_report

    events: list[TraceEvent] = []
    turn = session.send(
        "Build an HRP portfolio of AAPL, MSFT, JNJ and XOM and tell me its 95% CVaR",
        on_event=events.append,
    )
    assert _tools_called(events) == ["optimize_portfolio", "portfolio_risk_report"]
    returns = _window(session, ["AAPL", "MSFT", "JNJ", "XOM"])
    weights = hierarchical_risk_parity(returns)
    report = risk_report(weights, returns, level=0.95)
    text = turn.replies[-1]
    assert f"JNJ {weights['JNJ']:.1%}" in text  # the portfolio
    assert f"CVaR {report.cvar_historical:.2%}" in text  # and its risk, of that portfolio


def test_a_risk_question_about_tickers_uses_the_period_it_names(session: ChatSession) -> None:
    from quant import risk_report

    events: list[TraceEvent] = []
    turn = session.send("What is the CVaR of AAPL and KO since 2019?", on_event=events.append)
    assert _tools_called(events) == ["portfolio_risk_report"]
    # the returns of trading days from 2019-01-01 on (the first one is 2 January's)
    returns = to_returns(load_sp500_prices()[["AAPL", "KO"]]).loc["2019-01-01":]
    report = risk_report(pd.Series(0.5, index=returns.columns), returns, level=0.95)
    text = turn.replies[-1]
    assert f"CVaR {report.cvar_historical:.2%}" in text
    assert f"from {returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d}" in text


def test_compare_two_methods_and_then_with_equal_weight(session: ChatSession) -> None:
    from quant import hierarchical_risk_parity, risk_parity, risk_report

    events: list[TraceEvent] = []
    turn = session.send(
        "compare HRP and risk parity for AAPL, MSFT and JNJ", on_event=events.append
    )
    # each portfolio is built (the conversation holds them), then compared in one table
    assert _tools_called(events) == [
        "optimize_portfolio",
        "optimize_portfolio",
        "compare_portfolios",
    ]
    returns = _window(session, ["AAPL", "MSFT", "JNJ"])
    text = turn.replies[-1]
    assert f"JNJ {hierarchical_risk_parity(returns)['JNJ']:.1%}" in text
    assert f"JNJ {risk_parity(sample_covariance(returns))['JNJ']:.1%}" in text
    assert "has the highest Sharpe ratio" in text

    events = []
    turn = session.send("how does it compare with equal weight?", on_event=events.append)
    assert _tools_called(events) == ["portfolio_risk_report", "portfolio_risk_report"]
    equal = risk_report(pd.Series(1 / 3, index=returns.columns), returns, level=0.95)
    assert f"CVaR {equal.cvar_historical:.2%}" in turn.replies[-1]
    assert "equal-weight portfolio of the same stocks" in turn.replies[-1]


def test_unknown_tickers_are_named_with_the_closest_known_ones(session: ChatSession) -> None:
    events: list[TraceEvent] = []
    turn = session.send("an HRP portfolio of AAPL, MSFT and XYZQ", on_event=events.append)
    assert _tools_called(events) == []  # nothing is computed on a guess
    text = turn.replies[-1]
    assert "XYZQ (closest known: " in text and "Nothing was computed" in text
    typo = session.send("an HRP portfolio of AAPL and MSFTT")
    assert "MSFTT (closest known: MSFT" in typo.replies[-1]


def test_a_vague_message_gets_a_specific_question(session: ChatSession) -> None:
    from agents.offline.chat_policies import HELP

    vague = session.send("what should I do?").replies[-1]
    assert vague != HELP and vague.endswith("since 2018'.") and "?" in vague
    named = session.send("hmm, something with AAPL and KO maybe").replies[-1]
    assert named != HELP


def test_a_follow_up_naming_an_earlier_portfolio_reports_that_one(session: ChatSession) -> None:
    """ "the VaR of pf_..." reports the portfolio named, not the latest one; an id that is not in
    the thread is named as unknown, beside the answer for the known one."""
    session.send("an HRP portfolio of AAPL, MSFT and JNJ")
    session.send("a risk parity portfolio of KO and PEP")
    built = [
        json.loads(str(m.content))["portfolio_id"]
        for m in session.history()
        if getattr(m, "name", None) == "optimize_portfolio"
    ]
    first, latest = built
    turn = session.send(f"what is the 99% VaR of {first} and pf_000000?")
    calls = [
        c["args"]
        for m in session.history()
        for c in getattr(m, "tool_calls", [])
        if c["name"] == "portfolio_risk_report"
    ]
    assert calls[-2:] == [
        {"portfolio_id": first, "level": 0.99},
        {"portfolio_id": "pf_000000", "level": 0.99},
    ]
    reply = turn.replies[-1]
    about_first, about_unknown = reply.split("pf_000000: ")
    assert about_first.startswith(f"{first}: At 99% confidence") and latest not in about_first
    assert about_unknown.startswith("no risk report") and "'pf_000000'" in about_unknown
