"""The root span of a CLI command (docs/tracing.md): `stratigos <command>`, flushed at its end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from settings import get_settings
from settings.tracing import configure_tracing, flush_tracing, span

UNTRACED = {"serve", "mcp"}
"""Commands without a root span: the long-running servers (`serve` traces each request instead,
`api.tracing`)."""


@contextmanager
def command_span(command: str) -> Iterator[None]:
    """Install the tracing the settings ask for and trace `command` as one span; its spans are
    exported before the command returns. Settings that do not validate are left for the
    command to report (it reads them too): then nothing is traced."""
    try:
        settings = get_settings()
    except (ValueError, OSError):  # invalid values (ValidationError), a bad or unreadable file
        yield
        return
    if not configure_tracing(settings) or command in UNTRACED:
        yield
        return
    try:
        with span(f"stratigos {command}", {"stratigos.command": command}):
            yield
    finally:
        flush_tracing()
