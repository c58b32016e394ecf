"""Regular expressions compiled once per installation rather than in every process: the
offline model's rules and the ask accounting's readers hold several hundred patterns, and
compiling them took most of a process's first decision and a tenth of a second of every import
of the ask accounting.

`compile(pattern, flags)` returns the pattern `re.compile` returns (equal to it: same text, flags
and program), built from the program CPython's `re` compiler made for it earlier, kept in a file
beside the sources as bytecode is (`__pycache__/patterns.<interpreter>-<engine>.marshal`, named
by the interpreter's cache tag and the regular-expression engine's magic number, so another
Python never reads it). A pattern is looked up by its text and flags: an edited pattern is a new
key, compiled by `re` and added. The file is written when the process exits, if it compiled
patterns the file did not hold and bytecode may be written (`sys.dont_write_bytecode`); a file
that cannot be read or written is ignored, and a program the engine refuses is compiled again.
Patterns made from what a user wrote (a portfolio's name) are compiled by `re` itself.
"""

from __future__ import annotations

import _sre
import atexit
import contextlib
import marshal
import re
import sys
import threading
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

from settings.files import write_atomic

CACHE_FILE = (
    Path(__file__).parent
    / "__pycache__"
    / f"patterns.{sys.implementation.cache_tag}-{_sre.MAGIC}.marshal"
)
"""Where the compiled programs are kept."""

Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
"""What `_sre.compile` takes after the pattern's text: flags, code, groups, group index, names."""

_lock = threading.Lock()
_programs: dict[tuple[str, int], Program] | None = None
"""The programs by (pattern, flags): the file's, then those compiled in this process."""
_added = False
"""Whether this process compiled a pattern the file did not hold."""
_compiled: dict[tuple[str, int], re.Pattern[str]] = {}
"""The patterns this process made, by (pattern, flags): a reader that builds its patterns as it
reads (several hundred per message) gets the same object again."""


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, from the kept program when there is one."""
    global _added
    key = (pattern, int(flags))
    made = _compiled.get(key)
    if made is not None:
        return made
    with _lock:
        programs = _loaded()
        program = programs.get(key)
    if program is not None:
        with contextlib.suppress(RuntimeError, TypeError, ValueError):  # a refused program
            made = _compiled[key] = _sre.compile(pattern, *program)
            return made
    program = _program(pattern, int(flags))
    compiled: re.Pattern[str] = _sre.compile(pattern, *program)
    _compiled[key] = compiled
    with _lock:
        programs[key] = program
        if not _added and not sys.dont_write_bytecode:
            atexit.register(save)
        _added = True
    return compiled


def compile_all(*texts: str) -> tuple[re.Pattern[str], ...]:
    """Each of `texts` compiled (`compile`), in order."""
    return tuple(compile(text) for text in texts)


def _program(pattern: str, flags: int) -> Program:
    """The program `re._compiler.compile` makes for `pattern` (its steps, kept apart)."""
    parsed = _parser.parse(pattern, flags)
    code = [int(word) for word in _compiler._code(parsed, flags)]  # opcodes are int subclasses
    groupindex: dict[str, int] = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (
        int(flags | parsed.state.flags),
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def _loaded() -> dict[tuple[str, int], Program]:
    """The kept programs, read from `CACHE_FILE` on first use (none if it cannot be read)."""
    global _programs
    if _programs is None:
        _programs = {}
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            data: Any = marshal.loads(CACHE_FILE.read_bytes())
            if isinstance(data, dict):
                _programs = data
    return _programs


def save() -> None:
    """Write the programs known to this process to `CACHE_FILE` (atomically; nothing if it
    cannot be written)."""
    with _lock:
        data = marshal.dumps(dict(_loaded()))
    with contextlib.suppress(OSError):
        CACHE_FILE.parent.mkdir(exist_ok=True)
        write_atomic(CACHE_FILE, data, mode=0o644)  # readable as the sources are
