"""Long-term memory in the chat with the offline model: an exclusion stated in one thread is
remembered, added to the profile and enforced in a new thread of the same owner; "what do you
know about me?" lists it; forgetting it lifts the exclusion; another owner's threads know
nothing; a thread without an owner keeps nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, SystemMessage

from graphs.chat import ChatSession
from services.memories import list_memories
from services.profiles import get_profile
from settings import Settings, get_settings
from store import Store
from store.memories import memory_store
from store.sqlite import SQLiteStore

PORTFOLIO = "build an HRP portfolio of XOM, CVX, AAPL and MSFT"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def _session(store: Store, thread: str, owner: str | None = "alice") -> ChatSession:
    return ChatSession(thread, settings=Settings(), owner=owner, store=store)


def _weights(session: ChatSession) -> dict[str, float]:
    """The weights of the last portfolio the thread built (its tool result)."""
    import json

    for message in reversed(session.history()):
        if message.type == "tool" and getattr(message, "name", "") == "optimize_portfolio":
            data = json.loads(str(message.content))
            return {str(k): float(v) for k, v in data["weights"].items()}
    raise AssertionError("no portfolio was built")


def test_an_exclusion_remembered_in_one_thread_is_enforced_in_the_next(
    offline_data_dir: Path, store: Store
) -> None:
    first = _session(store, "mem-a")
    said = first.send("remember that I never hold energy stocks").replies[-1]
    assert "energy" in said and "every portfolio" in said
    assert get_profile(store, "alice").exclusions == ["energy"]

    second = _session(store, "mem-b")  # a new thread: its conversation is empty
    built = second.send(PORTFOLIO).replies[-1]
    assert "XOM left out: your profile excludes energy" in built
    assert "CVX left out: your profile excludes energy" in built
    assert set(_weights(second)) == {"AAPL", "MSFT"}
    known = second.send("What do you know about me?").replies[-1]
    assert "Your profile excludes energy" in known and "I never hold energy stocks" in known

    with memory_store(get_settings()) as memories:
        (memory,) = list_memories(memories, "alice")
    assert memory.exclusions == ["energy"]

    forgot = second.send("forget that I never hold energy stocks").replies[-1]
    assert "removed energy from your profile's exclusions" in forgot
    assert get_profile(store, "alice").exclusions == []
    second.send(PORTFOLIO)
    assert set(_weights(second)) == {"XOM", "CVX", "AAPL", "MSFT"}
    assert (
        "I don't know anything about you" in second.send("what do you know about me?").replies[-1]
    )


def test_every_agent_of_a_turn_is_told_what_is_known(
    offline_data_dir: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agents.chat

    _session(store, "mem-h").send("remember that I never hold energy stocks")
    seen: list[tuple[str, list[str]]] = []
    original = agents.chat.chat_conversation

    def spy(role: Any, *args: Any, **kwargs: Any) -> list[BaseMessage]:
        conversation = original(role, *args, **kwargs)
        seen.append((role, [m.text for m in conversation if isinstance(m, SystemMessage)]))
        return conversation

    monkeypatch.setattr(agents.chat, "chat_conversation", spy)
    _session(store, "mem-i").send(PORTFOLIO)
    assert [role for role, _ in seen] == ["supervisor", "optimizer"]
    for _, system in seen:
        assert any("`remember_fact`" in text for text in system)  # the memory guide
        assert any("exclusions, enforced in every portfolio: energy" in text for text in system)
        assert any("I never hold energy stocks" in text for text in system)
    seen.clear()
    _session(store, "mem-j", owner="bob").send(PORTFOLIO)
    for _, system in seen:
        assert any("`remember_fact`" in text for text in system)
        assert not any("from earlier conversations" in text for text in system)
    seen.clear()
    _session(store, "mem-k", owner=None).send(PORTFOLIO)
    assert seen
    for _, system in seen:
        assert not any("`remember_fact`" in text for text in system)


def test_forget_that_forgets_the_memory_just_made_and_no_amd_is_an_exclusion(
    offline_data_dir: Path, store: Store
) -> None:
    session = _session(store, "mem-c")
    assert "excludes AMD" in session.send("no AMD").replies[-1]
    assert get_profile(store, "alice").exclusions == ["AMD"]
    session.send("remember that I prefer low turnover")
    built = session.send("build a min volatility portfolio of AMD, KO and PEP").replies[-1]
    assert "AMD left out: your profile excludes AMD" in built
    assert "AMD" not in _weights(session)
    forgot = session.send("forget that").replies[-1]
    assert "low turnover" in forgot and "removed" not in forgot
    assert get_profile(store, "alice").exclusions == ["AMD"]
    assert "Forgotten" in session.send("forget everything").replies[-1]
    assert get_profile(store, "alice").exclusions == []


@pytest.mark.usefixtures("classification_file")
def test_another_owner_knows_nothing_and_no_owner_keeps_nothing(
    offline_data_dir: Path, store: Store
) -> None:
    _session(store, "mem-d").send("remember that I never hold tobacco")
    assert get_profile(store, "alice").exclusions == ["tobacco"]
    bob = _session(store, "mem-e", owner="bob")
    assert "I don't know anything about you" in bob.send("what do you know about me?").replies[-1]
    bob.send(PORTFOLIO)
    assert set(_weights(bob)) == {"XOM", "CVX", "AAPL", "MSFT"}
    nobody = _session(store, "mem-f", owner=None)
    assert "only for a signed-in user" in nobody.send("remember that I never hold AMD").replies[-1]
    with memory_store(get_settings()) as memories:
        assert list_memories(memories, "bob") == []
    assert [m.type for m in nobody.history() if isinstance(m, SystemMessage)] == []


def test_an_unknown_exclusion_is_refused_and_nothing_is_remembered(
    offline_data_dir: Path, store: Store
) -> None:
    said = _session(store, "mem-g").send("remember that I never hold widgets").replies[-1]
    assert "could not remember" in said and "widgets" in said
    with memory_store(get_settings()) as memories:
        assert list_memories(memories, "alice") == []
    assert get_profile(store, "alice").version == 0


@pytest.mark.usefixtures("classification_file")
def test_a_bare_exclusion_of_an_industry_the_configured_classification_knows_is_remembered(
    offline_data_dir: Path, store: Store
) -> None:
    # Only the configured file (MO, PM: Tobacco) makes "never tobacco" an exclusion statement:
    # the shipped classification of the embedded tickers has no tobacco stock.
    said = _session(store, "mem-g").send("never tobacco").replies[-1]
    assert "tobacco" in said and get_profile(store, "alice").exclusions == ["tobacco"]
