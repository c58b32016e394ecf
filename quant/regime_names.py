"""The names of the market regimes (and of the scenarios simulated from their days), apart from
their numerics (`quant.regimes`), so requests and schemas that name them load no array library."""

from __future__ import annotations

from typing import Literal, get_args

RegimeName = Literal["bull", "bear", "high_vol", "low_vol", "base"]
"""A market regime, and the scenario simulated from its days."""
REGIME_NAMES: tuple[RegimeName, ...] = get_args(RegimeName)
"""Every scenario name, in the canonical order that also fixes each scenario's random stream."""
