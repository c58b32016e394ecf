"""The offline model's reading of memory asks (`agents.offline.intent.memory`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.offline.chat_intent import known_tickers
from agents.offline.intent.memory import MemoryAsk, exclusion_terms, read_memory_ask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "remember that I never hold tobacco",
            MemoryAsk("remember", fact="I never hold tobacco", exclusions=("tobacco",)),
        ),
        (
            "Please remember that I never hold tobacco or AMD stocks.",
            MemoryAsk(
                "remember", fact="I never hold tobacco or AMD stocks", exclusions=("tobacco", "AMD")
            ),
        ),
        ("no AMD", MemoryAsk("remember", fact="no AMD", exclusions=("AMD",), bare=True)),
        (
            "never tobacco",
            MemoryAsk("remember", fact="never tobacco", exclusions=("tobacco",), bare=True),
        ),
        (
            "exclude energy stocks",
            MemoryAsk("remember", fact="exclude energy stocks", exclusions=("energy",), bare=True),
        ),
        (
            "remember that I prefer low turnover",
            MemoryAsk("remember", fact="I prefer low turnover"),
        ),
        ("What do you know about me?", MemoryAsk("recall")),
        ("list my memories", MemoryAsk("recall")),
        ("forget that", MemoryAsk("forget")),
        ("forget that I never hold tobacco", MemoryAsk("forget", about="i never hold tobacco")),
        ("forget mem_0123456789ab", MemoryAsk("forget", key="mem_0123456789ab")),
        ("forget everything", MemoryAsk("forget_all")),
        ("please forget all my memories", MemoryAsk("forget_all")),
    ],
)
def test_memory_asks_are_read(text: str, expected: MemoryAsk, classification_file: Path) -> None:
    assert read_memory_ask(text, known_tickers(), classification_file) == expected


def test_a_bare_industry_statement_needs_the_industry_classified(classification_file: Path) -> None:
    # The embedded classification knows banks (BAC, JPM) but no tobacco stock; the supplied
    # file classifies MO and PM as Tobacco.
    assert read_memory_ask("no banks", known_tickers()) == MemoryAsk(
        "remember", fact="no banks", exclusions=("banks",), bare=True
    )
    assert read_memory_ask("never tobacco", known_tickers()) is None
    assert read_memory_ask("never tobacco", known_tickers(), classification_file) == MemoryAsk(
        "remember", fact="never tobacco", exclusions=("tobacco",), bare=True
    )


@pytest.mark.parametrize(
    "text",
    ["no, cancel", "no thanks", "forget it", "never mind", "no", "build an HRP portfolio of AMD"],
)
def test_refusals_and_other_messages_are_not_memory_asks(text: str) -> None:
    assert read_memory_ask(text, known_tickers()) is None


def test_a_statement_without_an_exclusion_states_none() -> None:
    assert exclusion_terms("I prefer low turnover") == []
    assert exclusion_terms("I don't hold any tobacco companies") == ["tobacco"]
