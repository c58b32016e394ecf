"""Dollars as every page, CLI line and reply writes them, spelled out here from the documented
rule (docs/api.md "Vocabulary": a "$", thousands separators, cents, the sign before the "$",
and an amount that rounds to zero unsigned) to check the formatter against."""

from __future__ import annotations


def dollars(value: float) -> str:
    """`value` in dollars: 1628.8 -> "$1,628.80", -392.06 -> "-$392.06", -0.001 -> "$0.00"."""
    text = f"${abs(value):,.2f}"
    return f"-{text}" if value < 0 and text != "$0.00" else text
