"""What each option hedge kind is called where a user reads it, apart from the strategy's
numerics (`quant.strategy`), so the vocabulary (`services.formatting`) loads no array library."""

from __future__ import annotations

HEDGE_NAMES: dict[str, str] = {
    "put": "protective put",
    "put_spread": "put spread",
    "collar": "collar",
}
"""What each hedge kind is called where a user reads it (singular; the plural adds an s)."""
