"""Regular expressions compiled once per installation rather than in every process: the
offline model's rules and the ask accounting's readers hold several hundred patterns, and
compiling them took most of a process's first decision and a tenth of a second of every import
of the ask accounting.

`compile(pattern, flags)` returns the pattern `re.compile` returns (equal to it: same text, flags
and program), built from the program CPython's `re` compiler made for it earlier, kept in a file
beside the sources as bytecode is (`__pycache__/patterns.<interpreter>-<engine>.<format>.marshal`,
named by the interpreter's cache tag and the regular-expression engine's magic number, so another
Python never reads it). A program's code is kept as bytes (the engine's code words), so reading
the file costs a millisecond however many patterns it holds; a pattern's code becomes the list the
engine takes only when the pattern is first asked for. A pattern is looked up by its text and
flags: an edited pattern is a new key, compiled by `re` and added. The file is written when the
process exits, if it compiled patterns the file did not hold and bytecode may be written
(`sys.dont_write_bytecode`); `save(used_only=True)` (the warm step) keeps only the patterns the
process asked for, so the programs of patterns since edited away are dropped. A file that cannot
be read or written is ignored, and a program the engine refuses is compiled again.

Patterns made from what a user wrote (a portfolio's name, a term of a memory) are compiled by `re`
itself, never through `compile`: the kept set must not grow with what users write. Patterns made
from the project's own words (its rules, the tools' schemas, the tickers of the data) go through
`compile`; a module holds them compiled (a reader's hot loop calls the pattern's own methods).
"""

from __future__ import annotations

import _sre
import atexit
import contextlib
import marshal
import re
import sys
import threading
from array import array
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

from settings.files import write_atomic

FORMAT = "code-bytes"
"""The file's layout (a program's code as bytes): part of its name, so a file of another layout is
never read."""
CACHE_FILE = (
    Path(__file__).parent
    / "__pycache__"
    / f"patterns.{sys.implementation.cache_tag}-{_sre.MAGIC}.{FORMAT}.marshal"
)
"""Where the compiled programs are kept."""

_CODE_TYPE = next(t for t in "IL" if array(t).itemsize == _sre.CODESIZE)
"""The array type of the engine's code words."""

Program = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
"""What `_sre.compile` takes after the pattern's text (flags, code, groups, group index, names),
the code as the bytes of its words."""

_lock = threading.Lock()
_programs: dict[tuple[str, int], Program] | None = None
"""The programs by (pattern, flags): the file's, then those compiled in this process."""
_added = False
"""Whether this process compiled a pattern the file did not hold."""
_used: set[tuple[str, int]] = set()
"""The (pattern, flags) this process asked for."""
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
        _used.add(key)
    if program is not None:
        with contextlib.suppress(RuntimeError, TypeError, ValueError, OverflowError):  # refused
            flags_, code, groups, groupindex, indexgroup = program
            words = array(_CODE_TYPE, code).tolist()
            made = _sre.compile(pattern, flags_, words, groups, groupindex, indexgroup)
            _compiled[key] = made
            return made
    program = _program(pattern, int(flags))
    flags_, code, groups, groupindex, indexgroup = program
    words = array(_CODE_TYPE, code).tolist()
    compiled: re.Pattern[str] = _sre.compile(pattern, flags_, words, groups, groupindex, indexgroup)
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
    code = array(_CODE_TYPE, _compiler._code(parsed, flags)).tobytes()
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


def save(used_only: bool = False) -> None:
    """Write the programs known to this process to `CACHE_FILE` (atomically; nothing if it
    cannot be written); with `used_only`, those of the patterns this process asked for alone."""
    with _lock:
        programs = _loaded()
        if used_only:
            programs = {key: programs[key] for key in sorted(_used) if key in programs}
        data = marshal.dumps(dict(programs))
    with contextlib.suppress(OSError):
        CACHE_FILE.parent.mkdir(exist_ok=True)
        write_atomic(CACHE_FILE, data, mode=0o644)  # readable as the sources are
