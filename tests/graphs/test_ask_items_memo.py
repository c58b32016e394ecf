"""A thread's messages are read once (`graphs.ask_items_memo`): a kept reading is given again only
for the same message, cited text and an equal vocabulary, and is always what a fresh reading
gives; a changed vocabulary (other tickers, names, groups or sessions) reads the message again."""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.ask_items import ask_items
from graphs.ask_vocabulary import Vocabulary, vocabulary
from quant.classification import EMBEDDED_CLASSIFICATION_FILE
from settings import Settings
from tests.support.pm_language import asks
from tests.support.pm_language_render import rendered

VOCAB: Vocabulary = vocabulary()
READ = inspect.unwrap(ask_items)


def _anew(vocab: Vocabulary) -> Vocabulary:
    """An equal vocabulary of objects of its own (what a process with other closes reads)."""
    sessions = None if vocab.sessions is None else pd.DatetimeIndex(list(vocab.sessions))
    return replace(vocab, tickers=frozenset(list(vocab.tickers)), names=dict(vocab.names),
                   groups=dict(vocab.groups), sessions=sessions)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cited=st.sampled_from(["", "Expected return 12.5%, volatility 20.1%."]))
def test_a_kept_reading_is_what_a_fresh_reading_gives(data: st.DataObject, cited: str) -> None:
    message = data.draw(asks().flatmap(rendered))
    fresh = READ(message, VOCAB, cited)
    first = ask_items(message, VOCAB, cited)
    again = ask_items(message, _anew(VOCAB), cited)  # an equal vocabulary, built anew
    assert first == again == fresh
    again.clear()
    assert ask_items(message, VOCAB, cited) == fresh  # the caller's list is its own


def test_a_changed_vocabulary_reads_the_message_again() -> None:
    message = "min vol of AAPL, msft and the banks over the last 6 months, capped at 40%"
    assert any(i.value == "AAPL" for i in ask_items(message, VOCAB))
    no_apple = replace(VOCAB, tickers=VOCAB.tickers - {"AAPL"})
    assert ask_items(message, no_apple) == READ(message, no_apple)
    shorter = replace(VOCAB, sessions=VOCAB.sessions[:-21] if VOCAB.sessions is not None else None)
    assert ask_items(message, shorter) == READ(message, shorter)
    assert ask_items(message, shorter) != ask_items(message, VOCAB)  # "last 6 months" moved
    no_groups = replace(VOCAB, groups={})
    assert ask_items(message, no_groups) == READ(message, no_groups)
    assert ask_items(message, no_groups) != ask_items(message, VOCAB)  # "the banks" unread


def test_the_vocabulary_is_made_once_while_the_data_and_classification_are_the_same(
    tmp_path: Path,
) -> None:
    """A turn's accounting asks for the vocabulary on every answer: the same market data and
    classification file give the same one; another classification file, another. (Made here:
    the tests before this one on its worker may have made others since `VOCAB`.)"""
    chosen = Settings()
    made = vocabulary(chosen)
    assert vocabulary(chosen) is made
    assert vocabulary(Settings()) is made  # equal settings, another object
    assert made.tickers == VOCAB.tickers and made.classification_file == VOCAB.classification_file
    other = tmp_path / "classification.csv"
    other.write_bytes(EMBEDDED_CLASSIFICATION_FILE.read_bytes())
    moved = vocabulary(Settings(classification_file=other))
    assert moved is not made and moved.classification_file == other
    assert moved.tickers == made.tickers
    again = vocabulary(chosen)
    assert again is not moved and again.classification_file == made.classification_file
