"""The shipped cassettes (tests/cassettes) are the built-in sessions: ``pytest tests/replay
--record-cassettes`` records them again before the replay tests (the option comes from the
Stratigos pytest plugin, `devtools.pytest_plugin`; ``--record-cassettes=chat`` records one).
A replay runs in an offline process (`offline_process`, `offline_module`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pytest_plugin import refuse_network


@pytest.fixture(scope="session", autouse=True)
def recorded_cassettes(request: pytest.FixtureRequest) -> list[str]:
    """The built-in cassettes recorded again in this session (none unless asked)."""
    from devtools.pytest_plugin import recording_requested
    from devtools.recording import SESSIONS, record

    names = [name for name in sorted(SESSIONS) if recording_requested(request.config, name)]
    for name in names:
        record(name, target=request.config.getoption("--record-target"))
    return names


def _offline(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No AWS variables, no AWS files, no settings file, and no socket may connect."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "STRATIGOS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home / "home"))
    monkeypatch.chdir(home)
    refuse_network(monkeypatch)


@pytest.fixture
def offline_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """This test runs offline (`_offline`)."""
    from settings.config import get_settings

    _offline(monkeypatch, tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def offline_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """This module's tests run offline (`_offline`)."""
    from settings.config import get_settings

    with pytest.MonkeyPatch.context() as monkeypatch:
        _offline(monkeypatch, tmp_path_factory.mktemp("offline"))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()
