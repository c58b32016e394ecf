"""Running `stratigos` commands in-process in tests."""

from __future__ import annotations

import pytest

from api.cli import main


def fails(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 2) -> str:
    assert main(list(argv)) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err
