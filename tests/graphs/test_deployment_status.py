"""How a deployment is doing, asked in the chat ("how is my deployment doing?", "what are my
deployments?", "did it trade?" right after one was approved): no tool reads a deployment's runs
in the chat, so the reply names the deployments approved in the conversation and where their
runs, orders, positions and performance are read, and nothing runs; the store holds exactly the
one deployment approved. Before, another deployment of the same portfolio was proposed (or the
market read)."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from store.sqlite import SQLiteStore
from tests.support.chat_answers import turn_calls

ASKED = (
    "how is my deployment doing?",
    "what are my deployments?",
    "how's the deployment performing?",
    "did the deployment trade yet?",
    "show me my deployments",
    "deployment status?",
)
ITS = ("how is it doing?", "did it trade?", "has it bought anything yet?", "is it running?")


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(asked=st.sampled_from(ASKED), its=st.sampled_from(ITS))
def test_a_deployment_s_state_asked_says_where_it_is_read_and_deploys_nothing(
    tmp_path: Path, asked: str, its: str
) -> None:
    store = SQLiteStore(tmp_path / f"{uuid.uuid4().hex}.sqlite")
    session = ChatSession(f"status-{uuid.uuid4().hex}", settings=Settings(), owner="alice",
                          store=store)  # fmt: skip
    turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    proposed = session.send("deploy it to paper weekly with $100k")
    assert proposed.pending is not None and proposed.pending["kind"] == "deployment"
    session.decide("approve")
    (deployment,) = store.list_deployments("alice")
    for text in (its, asked):
        reply, calls, pending = turn_calls(session, text)
        assert not calls and not pending, (text, reply, calls)
        assert reply.startswith(f"Deployed in this conversation: {deployment.id} (active"), reply
        assert f"`stratigos deploy performance {deployment.id}`" in reply, reply
        assert reply.endswith("Nothing was computed or deployed."), reply
    assert [d.id for d in store.list_deployments("alice")] == [deployment.id]


def test_with_no_deployment_in_the_conversation_it_says_where_they_are_listed() -> None:
    reply, calls, pending = turn_calls(
        ChatSession(f"status-{uuid.uuid4().hex}", settings=Settings()), "what are my deployments?"
    )
    assert not calls and not pending, (reply, calls)
    assert reply.startswith("The chat has no tool that reads") and "stratigos deploy list" in reply


def test_how_is_it_doing_of_a_build_is_its_return_not_a_deployment_s() -> None:
    """Of a build, "how is it doing?" is the portfolio's return over its window, and "lately"
    over the last 63 sessions (before: a market read of its stocks)."""
    session = ChatSession(f"status-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    portfolio_id = built.split("(")[1].split(")")[0]
    for text, start in (("how is it doing?", "2018-01-02"), ("how has it been doing lately?", "")):
        reply, calls, _ = turn_calls(session, text)
        assert [c["args"].get("portfolio_id") for c in calls] == [portfolio_id], (reply, calls)
        assert reply.startswith(f"Statistics from {start}") and "the portfolio (" in reply, reply
        assert "had a total return of" in reply and "deploy" not in reply.lower(), reply
    assert "(63 sessions," in reply, reply
