"""The argument of `optimize_portfolio` that holds each targeted method's target: the return an
efficient-return build reaches at least, the volatility an efficient-risk build keeps to at most
(fractions a year). One definition, light to import: the tool's checks, the offline model's
reading of a target and the ask accounting read it."""

from __future__ import annotations

__all__ = ["TARGET_ARGUMENTS"]

TARGET_ARGUMENTS: dict[str, str] = {
    "efficient_return": "target_return",
    "efficient_risk": "target_volatility",
}
"""Method -> the argument holding its target."""
