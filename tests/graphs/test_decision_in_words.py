"""While a search waits for approval, a message that only approves or rejects in words ("yes,
go ahead", "approve", "no, cancel it") is that answer: the search runs, or is rejected, and the
reply says so. Before, any message first rejected the proposal, so "approve" was answered "There
is no run waiting for your approval" with the search just thrown away."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from agents.approval_words import decision_said
from graphs.chat import ChatSession
from settings import Settings

SEARCH = "find the best vol target for KO, PG and XOM with 6 trials since 2015"
APPROVALS = ("approve", "yes, go ahead", "ok run it", "sounds good", "Yes please", "go")
REJECTIONS = ("reject", "no, cancel it", "nope", "don't run it", "cancel")
NOT_DECISIONS = ("make it 8 trials", "yes but with KO only", "what will it cost?", "no, use 2016",
                 "do it for 2016", "yes, 15% please", "go for 12%", "ok, 2016 then", "no 2008",
                 "approve $1,000,000", "no, go ahead")  # fmt: skip
"""Messages that change the proposal (a number, an amount or a share) or say it both ways."""


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(said=st.sampled_from(APPROVALS + REJECTIONS))
def test_an_approval_or_rejection_in_words_answers_the_pending_search(
    offline_data_dir: Path, said: str
) -> None:
    session = ChatSession(f"say-{uuid.uuid4().hex}", settings=Settings())
    assert session.send(SEARCH).pending is not None
    turn = session.send(said, message_id=f"msg-{len(said)}")
    reply = " ".join(turn.replies)
    # the words stay in the conversation, with their id, before the answer to them
    *_, words, answer = session.history()
    assert isinstance(words, HumanMessage) and (words.text, words.id) == (said, f"msg-{len(said)}")
    assert answer.text == turn.replies[-1]
    assert "no run waiting" not in reply, reply
    assert turn.pending is None and session.pending() is None
    if said in APPROVALS:
        assert re.match(r"Run run_\w+ succeeded\.", reply), reply
    else:
        assert reply == "Cancelled: nothing was run.", reply


def test_only_a_bare_answer_is_read_as_one() -> None:
    assert {decision_said(s) for s in APPROVALS} == {"approve"}
    assert {decision_said(s) for s in REJECTIONS} == {"reject"}
    assert {decision_said(s) for s in NOT_DECISIONS} == {None}


def test_an_approval_that_states_a_change_does_not_run_the_search_as_drafted(
    offline_data_dir: Path,
) -> None:
    session = ChatSession(f"say-{uuid.uuid4().hex}", settings=Settings())
    assert session.send(SEARCH).pending is not None
    turn = session.send("do it for 2016")
    assert not any(re.match(r"Run run_\w+ succeeded", r) for r in turn.replies), turn.replies
