"""`defer_package_index`: a package's `__init__` runs on the first name read from it, not when
one of its modules is imported; every reader still gets every name, once, from one run of the
`__init__`. Each case runs in a process of its own (the deferral changes `sys.modules`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

INDEX = """
import sys
from .alpha import ALPHA
from .beta import BETA
RUNS = getattr(sys, "index_runs", 0) + 1
sys.index_runs = RUNS
{fail}
LATE = "after the failure point"
"""


def _run(program: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(program)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": f"{path}:{Path.cwd()}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def _package(tmp_path: Path, fail: str = "") -> Path:
    index = tmp_path / "outer" / "index"
    index.mkdir(parents=True)
    (tmp_path / "outer" / "__init__.py").write_text("")
    (index / "__init__.py").write_text(INDEX.format(fail=fail))
    (index / "alpha.py").write_text("ALPHA = 'a'\n")
    (index / "beta.py").write_text("BETA = 'b'\n")
    return tmp_path


def test_a_module_imports_without_the_index_and_the_first_name_runs_it_once(
    tmp_path: Path,
) -> None:
    done = _run(
        """
        import sys, threading
        from settings.process_start import defer_package_index
        assert defer_package_index("outer.index")
        assert not defer_package_index("outer.index")  # already there: left alone
        from outer.index.alpha import ALPHA
        assert ALPHA == "a"
        assert "outer.index.beta" not in sys.modules and not hasattr(sys, "index_runs")
        import outer
        assert outer.index is sys.modules["outer.index"]
        got = []
        readers = [threading.Thread(target=lambda: got.append(__import__("outer.index",
                   fromlist=["BETA"]).BETA)) for _ in range(8)]
        for reader in readers: reader.start()
        for reader in readers: reader.join()
        from outer.index import ALPHA as again, RUNS
        assert got == ["b"] * 8 and again == "a" and RUNS == 1 and sys.index_runs == 1
        try:
            outer.index.missing
        except AttributeError as exc:
            assert "missing" in str(exc)
        else:
            raise AssertionError("a missing name was found")
        print("ok")
        """,
        _package(tmp_path),
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_an_index_that_fails_fails_its_reader_and_the_next_read_runs_it_again(
    tmp_path: Path,
) -> None:
    done = _run(
        """
        import sys
        from settings.process_start import defer_package_index
        defer_package_index("outer.index")
        import outer.index
        for _ in range(2):
            try:
                outer.index.LATE
            except RuntimeError as exc:
                print(exc)
        """,
        _package(tmp_path, fail="raise RuntimeError(f'index run {RUNS}')"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["index run 1", "index run 2"]


@pytest.mark.parametrize("name", ["outer.absent", "absent_package.index", "absent_package"])
def test_a_package_not_installed_is_not_deferred(tmp_path: Path, name: str) -> None:
    program = f"""
        from settings.process_start import defer_package_index
        print(defer_package_index({name!r}))
        """
    done = _run(program, _package(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_top_level_package_is_deferred_as_well(tmp_path: Path) -> None:
    top = tmp_path / "toplevel"
    top.mkdir()
    (top / "__init__.py").write_text("import sys\nfrom .alpha import ALPHA\nsys.top_runs = 1\n")
    (top / "alpha.py").write_text("ALPHA = 'a'\n")
    (top / "beta.py").write_text("BETA = 'b'\n")
    done = _run(
        """
        import sys
        from settings.process_start import defer_package_index
        assert defer_package_index("toplevel")
        from toplevel.beta import BETA
        assert BETA == "b" and not hasattr(sys, "top_runs")
        import toplevel
        assert toplevel.ALPHA == "a" and sys.top_runs == 1
        print("ok")
        """,
        tmp_path,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_process_of_ours_runs_langgraph_without_the_deferred_indexes() -> None:
    """What the deferral is for: `exit_process` defers them; LangGraph and LangChain's tracers
    load, and a graph runs, without the 160-odd modules of `langsmith.types` or the LangGraph
    Platform client; a reader of their names gets them."""
    done = _run(
        """
        import sys
        from typing import TypedDict
        from settings.process_exit import exit_process

        def work():
            import langchain_core.tracers.langchain
            from langgraph.graph import END, START, StateGraph

            class State(TypedDict):
                n: int

            graph = StateGraph(State)
            graph.add_node("double", lambda s: {"n": 2 * s["n"]})
            graph.add_edge(START, "double")
            graph.add_edge("double", END)
            assert graph.compile().invoke({"n": 21}) == {"n": 42}
            types = [m for m in sys.modules if m.startswith("langsmith.types.")]
            client = [m for m in ("langgraph_sdk.client", "httpx", "websockets") if m in sys.modules]
            print(len(types), len(client))
            from langsmith.types import Run
            from langsmith.types.run import Run as defined
            from langgraph_sdk import get_client
            from langgraph_sdk.client import get_client as client_defined
            assert Run is defined and get_client is client_defined
            print(len([m for m in sys.modules if m.startswith("langsmith.types.")]) > 100)
            return 0

        exit_process(work)
        """,
        Path.cwd(),
    )
    assert done.returncode == 0, done.stderr
    types, client, all_after = done.stdout.split()
    assert int(types) <= 2 and client == "0" and all_after == "True"
