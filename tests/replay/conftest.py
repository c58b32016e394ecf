"""Pytest plugin for the cassette replay tests: ``--record-cassettes`` re-records them first.

    pytest tests/replay --record-cassettes                 # every scripted session
    pytest tests/replay --record-cassettes=chat            # some (comma-separated names)
    pytest tests/replay --record-cassettes --record-target=local

Recording goes to Amazon Bedrock when AWS credentials are configured (and no
``STRATIGOS_BEDROCK_ENDPOINT_URL`` is set), else to the local endpoint on loopback; see
docs/recording.md. The option is defined here, so give ``tests/replay`` (or a file in it) on
the command line for pytest to know it.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cassettes", "recording Bedrock cassettes (tests/cassettes)")
    group.addoption(
        "--record-cassettes",
        nargs="?",
        const="all",
        default=None,
        metavar="NAMES",
        help="re-record the scripted sessions' cassettes before the replay tests "
        "(all, or comma-separated names: optimization,chat,optimization-stream)",
    )
    group.addoption(
        "--record-target",
        choices=["auto", "bedrock", "local"],
        default="auto",
        help="where --record-cassettes records: auto (Bedrock if credentials are configured, "
        "else the local endpoint), bedrock or local",
    )


@pytest.fixture(scope="session", autouse=True)
def recorded_cassettes(request: pytest.FixtureRequest) -> list[str]:
    """The cassettes re-recorded in this session (none unless --record-cassettes)."""
    from devtools.recording import SESSIONS, record

    option = request.config.getoption("--record-cassettes")
    if not option:
        return []
    names = sorted(SESSIONS) if option == "all" else [n.strip() for n in option.split(",") if n]
    target = request.config.getoption("--record-target")
    for name in names:
        record(name, target=target)
    return names
