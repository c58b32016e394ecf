"""What a model reads: the agents' versioned prompt files (`prompts/<role>.md`) and, in
`prompts.canonical`, the one canonical form of the data in its messages (tasks, tool results,
context), which the tools and the agents both use.

Each file starts with a line `version: N` (a positive integer), then the system prompt text.
`load_prompt(role)` reads one; its `sha256` (of the file's bytes) goes into every run's manifest
through `prompt_hashes()`, so a run records exactly which prompts it used.

This package imports nothing of ours (agents import it); the role names are `prompts.roles`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prompts.roles import AGENT_ROLES

PROMPTS_DIR = Path(__file__).resolve().parent
"""Where the packaged prompt files live."""


_VERSION_LINE = re.compile(r"version:\s*([1-9][0-9]*)\s*")


@dataclass(frozen=True)
class Prompt:
    """One agent's system prompt: `text` (without the version line), `version`, and the
    `sha256` hex digest of the whole file's bytes."""

    role: str
    text: str
    version: int
    sha256: str


def prompt_path(role: str, directory: str | Path | None = None) -> Path:
    """The file of `role`'s prompt; KeyError naming the known roles if `role` is unknown."""
    if role not in AGENT_ROLES:
        raise KeyError(f"no prompt for role {role!r}; known roles: {', '.join(AGENT_ROLES)}")
    return Path(directory or PROMPTS_DIR) / f"{role}.md"


def parse_prompt(role: str, raw: bytes) -> Prompt:
    """A `Prompt` from a prompt file's bytes (UTF-8; first line `version: N`)."""
    text = raw.decode("utf-8")
    first, _, rest = text.partition("\n")
    match = _VERSION_LINE.fullmatch(first.strip("\ufeff\r"))
    if match is None:
        raise ValueError(
            f"prompt file of role {role!r} must start with a line 'version: N' (N a positive "
            f"integer); got {first[:60]!r}"
        )
    body = rest.strip()
    if not body:
        raise ValueError(f"prompt file of role {role!r} has no text after its version line")
    return Prompt(
        role=role, text=body, version=int(match.group(1)), sha256=hashlib.sha256(raw).hexdigest()
    )


def load_prompt(role: str, directory: str | Path | None = None) -> Prompt:
    """Read `role`'s prompt from `directory` (default: this package's directory): the file as it
    is now (what an earlier call read is reused while the file keeps its modification time and
    size: agents load their prompt on every model call).

    Raises KeyError for an unknown role, FileNotFoundError if the file is missing and
    ValueError if it lacks the version line or text.
    """
    return _read(role, _file_of(role, directory or PROMPTS_DIR, prompt_path))


def _read(name: str, path: str) -> Prompt:
    """The prompt file `path` of `name` as it is now: what an earlier call read while the file
    keeps its modification time and size, else read again."""
    status = os.stat(path)
    stamp = (name, status.st_mtime_ns, status.st_size)
    read = _READ.get(path)
    if read is not None and read[0] == stamp:
        return read[1]
    with open(path, "rb") as file:
        prompt = parse_prompt(name, file.read())
    _READ[path] = (stamp, prompt)
    return prompt


@functools.lru_cache(maxsize=256)
def _file_of(
    name: str, directory: str | Path | None, path_of: Callable[[str, str | Path | None], Path]
) -> str:
    """`path_of(name, directory)` as a string, made once per name and directory (a `Path`
    made and hashed on every model call cost more than the file's `os.stat`). Callers pass the
    directory itself, never None for the default: `PROMPTS_DIR` is read on every call."""
    return str(path_of(name, directory))


_READ: dict[str, tuple[tuple[str, int, int], Prompt]] = {}
"""The prompts (and guides) read, by file, with the name and the file's modification time (ns)
and size when read."""


GUIDES: tuple[str, ...] = ("memory",)
"""Instructions added to the agents' system prompts in some conversations only (`memory`: for a
signed-in user, whose long-term memory the chat keeps), in files `prompts/<name>.md` of the same
form as the roles' prompts."""


def guide_path(name: str, directory: str | Path | None = None) -> Path:
    """The file of the guide `name`; KeyError naming the known guides if `name` is unknown."""
    if name not in GUIDES:
        raise KeyError(f"no guide {name!r}; known guides: {', '.join(GUIDES)}")
    return Path(directory or PROMPTS_DIR) / f"{name}.md"


def load_guide(name: str, directory: str | Path | None = None) -> Prompt:
    """Read the guide `name` (one of `GUIDES`; KeyError naming them otherwise): the file as it
    is now, reused as `load_prompt` reuses a prompt (the chat reads it on every model call of
    a signed-in user's turn)."""
    return _read(name, _file_of(name, directory or PROMPTS_DIR, guide_path))


def load_prompts(directory: str | Path | None = None) -> dict[str, Prompt]:
    """Every role's prompt."""
    return {role: load_prompt(role, directory) for role in AGENT_ROLES}


def prompt_hashes(directory: str | Path | None = None) -> dict[str, str]:
    """`{role: sha256}` of every prompt file, for the run manifest."""
    return {role: prompt.sha256 for role, prompt in load_prompts(directory).items()}


def prompt_versions(directory: str | Path | None = None) -> dict[str, int]:
    """`{role: version}` of every prompt file."""
    return {role: prompt.version for role, prompt in load_prompts(directory).items()}


__all__ = [
    "AGENT_ROLES",
    "GUIDES",
    "PROMPTS_DIR",
    "Prompt",
    "guide_path",
    "load_guide",
    "load_prompt",
    "load_prompts",
    "parse_prompt",
    "prompt_hashes",
    "prompt_path",
    "prompt_versions",
]
