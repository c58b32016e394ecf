"""Fixtures shared by the graph tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agents.offline.policies import get_policy, register_policy


@pytest.fixture
def policy_override() -> Iterator[Any]:
    """Register a temporary offline policy for a role; the original is restored afterwards."""
    saved: dict[str, Any] = {}

    def install(role: str, policy: Any) -> None:
        saved.setdefault(role, get_policy(role))
        register_policy(role)(policy)

    yield install
    for role, policy in saved.items():
        register_policy(role)(policy)
