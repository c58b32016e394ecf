"""The server's C heaps (api.memory): the C library is looked up once per process, so giving an
upload's free pages back starts no process (`ctypes.util.find_library` runs `ldconfig -p`)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from api.memory import cap_malloc_arenas, release_free_memory

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heaps: Linux")


@glibc
def test_the_arena_cap_is_set_on_glibc() -> None:
    assert cap_malloc_arenas() is True


@glibc
def test_giving_free_pages_back_starts_no_process_after_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(release_free_memory(), bool)  # the first call may look the library up
    started: list[Any] = []

    def no_process(args: Any, *rest: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    for _ in range(3):
        assert isinstance(release_free_memory(), bool)
    assert started == []
