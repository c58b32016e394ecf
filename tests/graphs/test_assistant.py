"""The strategy-assistant chat with the offline model: routing, memory, the approval interrupt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphs.chat import ChatSession, NothingPendingError
from graphs.events import TraceEvent, check_sequence, read_jsonl
from quant import load_sp500_prices, max_sharpe, mean_returns, sample_covariance, to_returns
from settings import Settings

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


def test_help_and_stray_confirmations_are_answered_by_the_supervisor(session: ChatSession) -> None:
    assert "search volatility-targeting strategies" in session.send("what can you do?").replies[-1]
    assert "no run waiting" in session.send("go ahead").replies[-1]
    with pytest.raises(ValueError, match="empty"):
        session.send("   ")
    texts = [m.content for m in session.history()]
    assert texts[0] == "what can you do?" and texts[2] == "go ahead" and len(texts) == 4
