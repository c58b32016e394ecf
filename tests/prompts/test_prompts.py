"""Prompt files: one per agent role, versioned, hashed for the run manifest."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from prompts import (
    PROMPTS_DIR,
    load_guide,
    load_prompt,
    load_prompts,
    prompt_hashes,
    prompt_versions,
)
from prompts.roles import AGENT_ROLES

TOOL_NAMES = {
    "market_analysis": ["market_statistics"],
    "optimizer": ["run_strategy_search", "sensitivity_analysis", "search_results"],
    "risk_manager": ["portfolio_risk_report", "backtest_strategy"],
    "explanation": ["sensitivity_analysis"],
    "supervisor": ["market_statistics", "optimize_portfolio", "run_strategy_search"],
}


@pytest.fixture
def prompt_copy(tmp_path: Path) -> Path:
    for role in AGENT_ROLES:
        shutil.copy(PROMPTS_DIR / f"{role}.md", tmp_path / f"{role}.md")
    return tmp_path


def test_every_agent_role_has_a_prompt() -> None:
    prompts = load_prompts()
    assert set(prompts) == set(AGENT_ROLES)
    for role, prompt in prompts.items():
        assert prompt.role == role
        assert prompt.version >= 1
        assert len(prompt.text) > 500  # a real system prompt, not a stub
        assert not prompt.text.startswith("version")
        for tool in TOOL_NAMES[role]:
            assert f"`{tool}`" in prompt.text, (role, tool)


def test_prompts_state_the_unit_conventions() -> None:
    for prompt in load_prompts().values():
        assert "positive numbers meaning losses" in prompt.text, prompt.role
        assert "annualised" in prompt.text, prompt.role


def test_hash_is_sha256_of_the_file_bytes() -> None:
    for role, digest in prompt_hashes().items():
        assert digest == hashlib.sha256((PROMPTS_DIR / f"{role}.md").read_bytes()).hexdigest()
    assert prompt_hashes() == prompt_hashes()  # stable


def test_hash_changes_when_the_text_changes(prompt_copy: Path) -> None:
    before = prompt_hashes(prompt_copy)
    assert before == prompt_hashes()  # a byte-identical copy has the same hashes
    path = prompt_copy / "optimizer.md"
    path.write_bytes(path.read_bytes() + b"\nOne more sentence.\n")
    after = prompt_hashes(prompt_copy)
    assert after["optimizer"] != before["optimizer"]
    assert {r: h for r, h in after.items() if r != "optimizer"} == {
        r: h for r, h in before.items() if r != "optimizer"
    }
    assert load_prompt("optimizer", prompt_copy).text.endswith("One more sentence.")


def test_version_is_parsed(prompt_copy: Path) -> None:
    assert set(prompt_versions().values()) == {1}
    path = prompt_copy / "risk_manager.md"
    body = path.read_text(encoding="utf-8").split("\n", 1)[1]
    path.write_text("version: 12\n" + body, encoding="utf-8")
    prompt = load_prompt("risk_manager", prompt_copy)
    assert prompt.version == 12
    assert prompt.text == load_prompt("risk_manager").text
    assert prompt.sha256 != load_prompt("risk_manager").sha256


@pytest.mark.parametrize("first_line", ["", "version: 0", "version: one", "# Risk manager", "v: 1"])
def test_bad_version_line_is_rejected(prompt_copy: Path, first_line: str) -> None:
    path = prompt_copy / "supervisor.md"
    path.write_text(first_line + "\nSome text.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="version"):
        load_prompt("supervisor", prompt_copy)


def test_empty_prompt_is_rejected(prompt_copy: Path) -> None:
    (prompt_copy / "supervisor.md").write_text("version: 2\n\n  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="no text"):
        load_prompt("supervisor", prompt_copy)


def test_unknown_role_names_the_known_roles() -> None:
    with pytest.raises(KeyError, match="known roles: supervisor, market_analysis"):
        load_prompt("trader")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_prompt("explanation", tmp_path)


def test_the_memory_guide_names_its_tools_and_the_conventions() -> None:
    from prompts import GUIDES, load_guide

    guide = load_guide("memory")
    assert GUIDES == ("memory",) and guide.version >= 1
    for tool in ("remember_fact", "recall_memories", "forget_memory"):
        assert f"`{tool}`" in guide.text
    assert "positive numbers meaning losses" in guide.text and "annualised" in guide.text
    with pytest.raises(KeyError, match="memory"):
        load_guide("supervisor")


@pytest.mark.parametrize("kept", ["size", "modification time"])
def test_an_edited_prompt_is_read_anew(prompt_copy: Path, kept: str) -> None:
    """A prompt read before is reused only while its file keeps its modification time and size:
    an edit that keeps either one is still read."""
    path = prompt_copy / "explanation.md"
    before = load_prompt("explanation", prompt_copy)
    status = path.stat()
    body = path.read_text(encoding="utf-8")
    if kept == "size":
        edited = body.replace("a", "b", 1)  # the same length
        assert edited != body
    else:
        edited = body + "\nOne more sentence."
    path.write_text(edited, encoding="utf-8")
    mtime = status.st_mtime_ns + (1_000 if kept == "size" else 0)
    os.utime(path, ns=(status.st_atime_ns, mtime))
    after = load_prompt("explanation", prompt_copy)
    assert after.sha256 == hashlib.sha256(edited.encode()).hexdigest() != before.sha256
    assert load_prompt("explanation", prompt_copy) == after


@pytest.mark.parametrize("kept", ["size", "modification time"])
def test_an_unchanged_guide_is_reused_and_an_edited_one_read_anew(
    tmp_path: Path, kept: str
) -> None:
    """The chat reads the memory guide on every model call of a signed-in user's turn: while its
    file keeps its modification time and size, what was read is reused (not parsed again); an
    edit that keeps either one is read."""
    from prompts import load_guide

    path = tmp_path / "memory.md"
    shutil.copy(PROMPTS_DIR / "memory.md", path)
    before = load_guide("memory", tmp_path)
    assert load_guide("memory", tmp_path) is before  # reused, not read again
    status = path.stat()
    body = path.read_text(encoding="utf-8")
    edited = body.replace("a", "b", 1) if kept == "size" else body + "\nOne more sentence."
    assert edited != body
    path.write_text(edited, encoding="utf-8")
    mtime = status.st_mtime_ns + (1_000 if kept == "size" else 0)
    os.utime(path, ns=(status.st_atime_ns, mtime))
    after = load_guide("memory", tmp_path)
    assert after.sha256 == hashlib.sha256(edited.encode()).hexdigest() != before.sha256
    assert load_guide("memory", tmp_path) is after
    with pytest.raises(FileNotFoundError):
        load_guide("memory", tmp_path / "elsewhere")


def test_a_prompt_file_is_named_once_per_role_and_directory(
    prompt_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agents load their prompt on every model call: its file's path is made once per role and
    directory (making and hashing a `Path` each time cost more than the file's `os.stat`)."""
    import prompts

    named: list[tuple[str, object]] = []
    path_of = prompts.prompt_path

    def counted(role: str, directory: str | Path | None = None) -> Path:
        named.append((role, directory))
        return path_of(role, directory)

    monkeypatch.setattr(prompts, "prompt_path", counted)
    first = load_prompt("explanation", prompt_copy)
    assert load_prompt("explanation", prompt_copy) is first
    assert load_prompt("explanation", prompt_copy) is first
    assert named == [("explanation", prompt_copy)]
    assert load_prompt("supervisor", prompt_copy).role == "supervisor"
    assert named == [("explanation", prompt_copy), ("supervisor", prompt_copy)]


def test_the_default_directory_is_read_on_every_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt or guide loaded from the default directory once is loaded from wherever
    `PROMPTS_DIR` points later (a replay's altered prompts), not from the first one's path."""
    import prompts

    before = load_prompt("market_analysis"), load_guide("memory")
    altered = tmp_path / "prompts"
    altered.mkdir()
    for path in prompts.PROMPTS_DIR.glob("*.md"):
        shutil.copy(path, altered / path.name)
    for name in ("market_analysis", "memory"):
        path = altered / f"{name}.md"
        path.write_text(path.read_text() + "\nPrefer the base scenario when in doubt.\n")
    monkeypatch.setattr(prompts, "PROMPTS_DIR", altered)
    after = load_prompt("market_analysis"), load_guide("memory")
    for old, new in zip(before, after, strict=True):
        assert new.text.startswith(old.text)
        assert new.text.endswith("\n\nPrefer the base scenario when in doubt.")
        assert new.sha256 != old.sha256
