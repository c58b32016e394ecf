"""After the warm step (`python -m api.warm_patterns`), a new process that reads the warm
messages (their intent, the supervisor's routing and the optimizer's draft, on the offline model,
and their items, the ask accounting's) compiles none of the patterns of the offline model, the
ask accounting or the chat reading with `re`'s compiler, nor any through `settings.patterns` that
the step did not keep: each is built from its kept program.

Both processes keep their programs in a cache file of this test's own (`CACHE_FILE` set before
anything is compiled), never in the checkout's; neither writes bytecode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN_PACKAGES = ("agents", "graphs", "services", "research", "settings")
"""The packages whose patterns are the project's own here (`prompts` may not import `settings`:
the layers), as directories of the checkout."""

SETUP = """
import sys
from pathlib import Path
from settings import patterns
patterns.CACHE_FILE = Path(sys.argv[1])
"""

WARM = (
    SETUP
    + """
from api import warm_patterns
warm_patterns.main()
"""
)

READ = (
    SETUP
    + """
import json, os, re
from re import _compiler

compiled_by_re = []
compiled_again = []


def caller():
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(os.path.dirname(re.__file__)):
        frame = frame.f_back
    return None if frame is None else frame.f_code.co_filename


def counted_compile(pattern, flags=0, _compile=_compiler.compile):
    compiled_by_re.append([caller(), str(pattern)])
    return _compile(pattern, flags)


def counted_program(pattern, flags, _program=patterns._program):
    compiled_again.append(pattern)
    return _program(pattern, flags)


_compiler.compile = counted_compile
patterns._program = counted_program
re.compile("a probe of the count", re.IGNORECASE)

import tempfile
from langchain_core.messages import HumanMessage
from agents.chat import draft_request, route_message
from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from api.warm_patterns import MESSAGES
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from settings import Settings
from settings.groups.models import ModelSettings

with tempfile.TemporaryDirectory() as directory:
    settings = Settings(data_dir=Path(directory), models=ModelSettings(provider="offline"))
    for message in MESSAGES:
        parse_intent(message, known_tickers())
        route_message([HumanMessage(message)], settings=settings)
        draft_request([HumanMessage(message)], settings=settings)
        ask_items(message, vocabulary(settings))
print(json.dumps({"by_re": compiled_by_re, "again": compiled_again}))
"""
)


def _run(program: str, cache: Path, data: Path) -> str:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "STRATIGOS_DATA_DIR": str(data),
        "STRATIGOS_MODEL_PROVIDER": "offline",
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program), str(cache)],
        capture_output=True, text=True, timeout=300, check=False, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_new_process_after_the_warm_step_compiles_no_pattern_of_its_own(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "__pycache__" / "patterns.marshal"
    _run(WARM, cache, tmp_path / "warm-data")
    assert cache.is_file()
    read = json.loads(_run(READ, cache, tmp_path / "read-data").splitlines()[-1])
    callers = [caller for caller, _ in read["by_re"]]
    assert "<string>" in callers  # the probe: `re`'s compiler is counted
    own = [
        (str(Path(caller).relative_to(ROOT)), pattern)
        for caller, pattern in read["by_re"]
        if caller is not None
        and caller.startswith(str(ROOT) + os.sep)
        and Path(caller).relative_to(ROOT).parts[0] in OWN_PACKAGES
    ]
    assert own == []
    assert read["again"] == []
