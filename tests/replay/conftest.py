"""The shipped cassettes (tests/cassettes) are the built-in sessions: ``pytest tests/replay
--record-cassettes`` records them again before the replay tests (the option comes from the
Stratigos pytest plugin, `devtools.pytest_plugin`; ``--record-cassettes=chat`` records one)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def recorded_cassettes(request: pytest.FixtureRequest) -> list[str]:
    """The built-in cassettes recorded again in this session (none unless asked)."""
    from devtools.pytest_plugin import recording_requested
    from devtools.recording import SESSIONS, record

    names = [name for name in sorted(SESSIONS) if recording_requested(request.config, name)]
    for name in names:
        record(name, target=request.config.getoption("--record-target"))
    return names
