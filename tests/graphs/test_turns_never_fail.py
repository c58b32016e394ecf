"""Never a traceback in a conversation (issue 61): whole threads through the assistant graph on
SQLite, with messages of the generated PM language (`tests.agents.pm_language`) and mutations of
them (tickers in any case, numbers, percentages, dates, negations, typos, unknown words
inserted), end every turn with a well-formed reply or an approval to give, and no exception
escapes. A failure inside a turn (the model's rules, the accounting, a tool) is answered in the
project's words and the next turn works (`graphs.turn_guard`), shown here by injecting one.

`STRATIGOS_THREADS` threads a run (default 200), each of one to three turns.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession, ChatTurn
from graphs.turn_guard import UNCHECKED, failure_reply
from settings import Settings, get_settings
from tests.support.pm_language import TICKERS, asks, between, follow_up_for, sampled
from tests.support.pm_language_render import follow_up_text, rendered

THREADS = int(os.environ.get("STRATIGOS_THREADS", "200"))
PYTHON_ERRORS = re.compile(
    r"Traceback \(most recent call last\)|\bFile \"|\b(?:Type|Key|Value|Attribute|Index|Name|"
    r"ZeroDivision|Assertion|Runtime|UnboundLocal|Lookup)Error\b|<class '|object at 0x"
)
"""What a reply in the project's words never holds."""
FAILED = failure_reply("specialist").split(":")[0]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One SQLite data directory and the offline model for the module's threads."""
    path = tmp_path_factory.mktemp("threads") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRATIGOS_DATA_DIR", str(path))
        patch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        yield path
    get_settings.cache_clear()


INSERTS = st.one_of(
    st.sampled_from(TICKERS).flatmap(lambda t: st.sampled_from([t, t.lower(), t.title()])),
    st.integers(-50, 3000).map(str),
    st.floats(0.01, 250, allow_nan=False).map(lambda f: f"{f:.2f}%"),
    st.sampled_from(["2015-03-04", "since 1999", "2031", "2008-2009", "last 40 years", "ytd"]),
    st.sampled_from(["not", "can't", "no", "never", "without", "don't hold more than"]),
    st.sampled_from(["zorblax", "TSLA", "qwerty", "ARKK", "$", "≤", "/", "—", "..."]),
)
"""What a mutation inserts into a message."""


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` with words inserted, swapped letters (typos) or words dropped."""
    words = text.split()
    for _ in range(draw(between(0, 3))):
        how = draw(sampled(("insert", "typo", "drop")))
        at = draw(between(0, max(0, len(words) - 1)))
        if how == "insert" or not words:
            words.insert(at, draw(INSERTS))
        elif how == "typo" and len(words[at]) > 3:
            i = draw(between(0, len(words[at]) - 2))
            w = words[at]
            words[at] = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        elif len(words) > 1:
            words.pop(at)
    return " ".join(words) or "hm"


@st.composite
def threads(draw: st.DrawFn) -> list[str]:
    """One to three messages: a generated ask, then follow-ups of it or other asks, mutated."""
    ask = draw(asks())
    said = [draw(rendered(ask))]
    for _ in range(draw(between(0, 2))):
        if ask.kind in ("build", "risk", "backtest", "estimate") and draw(st.booleans()):
            try:
                follow = draw(follow_up_for(ask))
            except AssertionError:  # an ask no follow-up of the generator changes
                follow = None
            if follow is not None:
                said.append(draw(follow_up_text(follow, ask)))
                continue
        said.append(draw(rendered(draw(asks()))))
    return [draw(mutated(text)) if draw(st.booleans()) else text for text in said]


def _well_formed(turn: ChatTurn) -> None:
    assert turn.replies or turn.pending, "a turn ended without a reply or a proposal"
    for reply in turn.replies:
        assert reply.strip(), "an empty reply"
        assert not PYTHON_ERRORS.search(reply), reply
        assert FAILED not in reply, reply  # nothing failed inside the turn
        assert UNCHECKED not in reply, reply
    if turn.pending is not None:
        assert isinstance(turn.pending.get("summary"), str) and turn.pending["summary"].strip()
        assert not PYTHON_ERRORS.search(turn.pending["summary"]), turn.pending["summary"]


@settings(max_examples=THREADS, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(messages=threads())
def test_no_turn_of_a_generated_thread_fails(data_dir: Path, messages: list[str]) -> None:
    session = ChatSession(f"never-fails-{uuid.uuid4().hex[:10]}", settings=Settings())
    for text in messages:
        _well_formed(session.send(text))


def test_a_failure_inside_a_turn_is_answered_and_the_next_turn_works(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule of the offline model that raises, then an ask accounting that raises: each turn
    answers in the project's words, and the thread goes on."""
    import agents.offline.workflow_policies as policies
    import graphs.assistant as assistant

    session = ChatSession("fails-once", settings=Settings())
    first = session.send("hrp of aapl, msft and ko capped at 40%")
    assert "HRP portfolio" in first.replies[-1]

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unhashable type: 'dict'")

    with monkeypatch.context() as patch:
        patch.setattr(policies, "follow_up_chat", broken)
        turn = session.send("now min vol instead")
    assert turn.replies == [failure_reply("specialist")]
    with monkeypatch.context() as patch:
        patch.setattr(assistant, "checked_answer", broken)
        turn = session.send("what's its 99% cvar?")
    assert "CVaR" in turn.replies[-1] and turn.replies[-1].endswith(UNCHECKED)
    again = session.send("same but max sharpe")
    _well_formed(again)
    assert "max-Sharpe" in again.replies[-1] or "Sharpe" in again.replies[-1], again.replies
