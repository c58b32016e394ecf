"""Hypothesis' settings stay one level deep on parametrized property tests.

Hypothesis' pytest plugin (6.170) gives each parametrized invocation of a `@given` test new
settings whose parent is the function's current settings, and stores them on the function that
every invocation shares: after n invocations each settings lookup walks n parents (a test
parametrized over 700 request fields spent ~10 ms an invocation on it) and past ~960 the walk
exceeds the recursion limit and the test fails. This hook, run before the plugin's, gives the
function back its own settings before each invocation, so the plugin's wrapper is the only one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

_OWN_SETTINGS: dict[Any, Any] = {}
"""A `@given` test function -> the settings it had before its first invocation."""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Restore the settings of the test function of `item` before Hypothesis' plugin wraps
    them."""
    test: Any = getattr(item, "obj", None)
    function: Any = getattr(test, "__func__", test)
    own = getattr(function, "_hypothesis_internal_use_settings", None)  # None: not a @given test
    if own is not None:
        function._hypothesis_internal_use_settings = _OWN_SETTINGS.setdefault(function, own)
    return (yield)
