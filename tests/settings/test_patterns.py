"""Regular expressions from their cache file (`settings.patterns`): each is the pattern `re`
compiles, whether its program was kept or not, and a kept program the engine refuses is compiled
again."""

from __future__ import annotations

import importlib
import marshal
import re
from pathlib import Path

import pytest

from settings import patterns

PATTERNS = (
    (r"(?<!\d)(\d+(?:\.\d+)?)\s*(?:%|percent\b)", 0),
    (r"^- (?P<name>.+?): (?P<id>pf_[0-9a-f]{28})\b", re.MULTILINE),
    (r"\b(?:cap|limit)\s+(?:it|them)\s+at\b", re.IGNORECASE),
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache file of this test's own, nothing loaded from it yet."""
    path = tmp_path / "__pycache__" / "patterns.marshal"
    monkeypatch.setattr(patterns, "CACHE_FILE", path)
    monkeypatch.setattr(patterns, "_programs", None)
    monkeypatch.setattr(patterns, "_compiled", {})
    monkeypatch.setattr(patterns, "_used", set())
    return path


def test_a_kept_program_gives_the_pattern_re_compiles(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [patterns.compile(text, flags) for text, flags in PATTERNS]
    patterns.save()
    assert cache.is_file()
    monkeypatch.setattr(patterns, "_programs", None)  # a new process reads the file
    monkeypatch.setattr(patterns, "_compiled", {})

    def not_compiled(pattern: str, flags: int) -> None:
        raise AssertionError(f"{pattern!r} was compiled again")

    monkeypatch.setattr(patterns, "_program", not_compiled)
    kept = [patterns.compile(text, flags) for text, flags in PATTERNS]
    assert kept == first == [re.compile(text, flags) for text, flags in PATTERNS]
    match = kept[1].search("x\n- Staples: pf_0123456789abcdef0123456789ab tail")
    assert match is not None and match.group("name") == "Staples"


def test_the_warm_step_keeps_only_the_patterns_its_process_asked_for(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`save(used_only=True)`: a kept program no pattern of the process asked for (one since
    edited away) is dropped; those asked for are kept, read from the file or compiled."""
    patterns.compile(*PATTERNS[0])
    patterns.compile(*PATTERNS[1])
    patterns.save()
    monkeypatch.setattr(patterns, "_programs", None)  # a new process reads the file
    monkeypatch.setattr(patterns, "_compiled", {})
    monkeypatch.setattr(patterns, "_used", set())
    patterns.compile(*PATTERNS[1])  # kept
    patterns.compile(*PATTERNS[2])  # compiled now
    patterns.save(used_only=True)
    assert sorted(marshal.loads(cache.read_bytes())) == sorted(PATTERNS[1:])


def test_a_pattern_asked_again_is_the_one_made_before(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [patterns.compile(text, flags) for text, flags in PATTERNS]
    other = patterns.compile(PATTERNS[0][0], re.IGNORECASE)  # the same text, another key
    assert other is not first[0] and other.flags & re.IGNORECASE

    def not_made_again(pattern: str, *program: object) -> None:
        raise AssertionError(f"{pattern!r} was made again")

    monkeypatch.setattr(patterns._sre, "compile", not_made_again)
    again = [patterns.compile(text, flags) for text, flags in PATTERNS]
    assert all(a is f for a, f in zip(again, first, strict=True))


def test_a_program_the_engine_refuses_is_compiled_again(cache: Path) -> None:
    text, flags = PATTERNS[0]
    patterns._loaded()[(text, flags)] = (flags, [0, 1, 2], 0, {}, ())  # not a valid program
    assert patterns.compile(text, flags) == re.compile(text, flags)


def test_an_unreadable_cache_file_is_ignored(cache: Path) -> None:
    cache.parent.mkdir()
    cache.write_bytes(b"not marshal data")
    text, flags = PATTERNS[2]
    assert patterns.compile(text, flags) == re.compile(text, flags)


def test_the_rules_patterns_are_made_by_the_offline_model_module() -> None:
    from agents.offline.intent.scanner import PCT, PCT_RE

    assert re.compile(PCT) == PCT_RE


def _held_patterns(value: object) -> list[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        return [value]
    if isinstance(value, list | tuple):
        return [p for item in value for p in _held_patterns(item)]
    return []


def test_the_ask_accountings_phrasings_are_kept_with_the_offline_models(cache: Path) -> None:
    """Every pattern `graphs.ask_patterns` holds is compiled through the cache (so `make
    bytecode` keeps it and a new process reads its program instead of compiling it)."""
    from graphs import ask_patterns

    importlib.reload(ask_patterns)  # its patterns compiled again, into this test's empty cache
    held = [p for value in vars(ask_patterns).values() for p in _held_patterns(value)]
    assert len(held) > 100
    patterns.save()
    kept = {text for text, _ in marshal.loads(cache.read_bytes())}
    assert [p.pattern for p in held if p.pattern not in kept] == []
