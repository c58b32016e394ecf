"""Settings values for tests: a helper's defaults and a test's overrides, merged group by group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merged(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`defaults` with `overrides`; a group given in both as dicts keeps the fields of `defaults`
    that `overrides` does not set (`{"api": {"job_workers": 1}}` with
    `{"api": {"cors_origins": [...]}}` sets both)."""
    values = dict(defaults)
    for name, value in overrides.items():
        default = values.get(name)
        both = isinstance(default, Mapping) and isinstance(value, Mapping)
        values[name] = merged(default, value) if both else value
    return values
