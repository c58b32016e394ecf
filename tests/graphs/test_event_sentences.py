"""Every trace event carries a sentence in words (`TraceEvent.text`): for any agent, step and
data shape the schema accepts, one sentence without JSON or code names; the decisions of the
supervisor and the risk manager said as a person would say them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from prompts.roles import AGENT_ROLES
from traces.schema import EVENT_TYPES, TraceEvent
from traces.sentences import STEP_WORDS

WORDS = st.text(st.characters(codec="ascii", categories=["L", "Zs"]), min_size=1, max_size=20)
DATA: dict[str, Any] = {
    "run_started": st.fixed_dictionaries(
        {"graph": st.sampled_from(["optimization", "assistant"]), "resumed": st.booleans()}
    ),
    "node_started": st.just({}),
    "node_finished": st.just({}),
    "message_delta": st.fixed_dictionaries({"text": WORDS}),
    "reasoning": st.fixed_dictionaries({"text": WORDS, "chars": st.integers(0, 10**6)}),
    "tool_call": st.fixed_dictionaries(
        {
            "tool": st.sampled_from(
                [
                    "Route",
                    "MarketView",
                    "SearchPlan",
                    "BatchDecision",
                    "RiskDecision",
                    "Explanation",
                    "market_statistics",
                    "stress_test",
                ]
            ),
            "args": st.fixed_dictionaries(
                {},
                optional={
                    "agent": st.sampled_from(AGENT_ROLES),
                    "approve": st.booleans(),
                    "candidate": st.integers(0, 2),
                    "require_hedge": st.booleans(),
                    "action": st.sampled_from(["continue", "stop"]),
                    "method": st.sampled_from(["tpe", "random", "grid"]),
                    "run_search": st.booleans(),
                },
            ),
        }
    ),
    "tool_result": st.fixed_dictionaries(
        {
            "tool": st.sampled_from(["market_statistics", "stress_test"]),
            "summary": WORDS,
            "is_error": st.booleans(),
        }
    ),
    "progress": st.fixed_dictionaries(
        {"done": st.integers(0, 10**4), "total": st.none() | st.integers(1, 10**4)},
        optional={"best": st.floats(-5, 5), "metric": st.just("Sharpe")},
    ),
    "warning": st.fixed_dictionaries({"message": WORDS}),
    "error": st.fixed_dictionaries({"message": WORDS}),
    "run_finished": st.fixed_dictionaries(
        {"status": st.sampled_from(["succeeded", "partial", "failed", "interrupted", "cancelled"])}
    ),
}


@st.composite
def events(draw: st.DrawFn) -> TraceEvent:
    kind = draw(st.sampled_from(EVENT_TYPES))
    return TraceEvent(
        run_id="run",
        seq=1,
        ts=datetime(2026, 11, 27, tzinfo=UTC),
        type=kind,
        agent=draw(st.none() | st.sampled_from(AGENT_ROLES)),
        node=draw(st.none() | st.sampled_from(sorted(STEP_WORDS))),
        data=draw(DATA[kind]),
    )


@given(events())
def test_every_event_reads_as_a_sentence(event: TraceEvent) -> None:
    text = event.text
    assert text.strip()
    if event.type != "message_delta":
        assert "{" not in text and '"' not in text
        assert not any(f" {role} " in f" {text} " for role in AGENT_ROLES if "_" in role)
        assert not any(node in text for node in STEP_WORDS if "_" in node)
    assert TraceEvent.from_json(event.to_json()) == event  # kept as written


def test_the_decisions_are_said_in_words() -> None:
    def said(tool: str, args: dict[str, Any], agent: str) -> str:
        data = {"tool": tool, "args": args}
        when = datetime(2026, 11, 27, tzinfo=UTC)
        return TraceEvent(run_id="r", seq=1, ts=when, type="tool_call", agent=agent, data=data).text  # type: ignore[arg-type]

    assert said("Route", {"agent": "risk_manager"}, "supervisor") == (
        "The supervisor sent the message to the risk manager."
    )
    assert said("RiskDecision", {"approve": True, "candidate": 1}, "risk_manager") == (
        "The risk manager approved candidate 1."
    )
    assert "asked for an option hedge" in said(
        "RiskDecision", {"approve": False, "require_hedge": True}, "risk_manager"
    )
