"""Instrument kinds: what an order, a fill or a position is in. One pipeline trades both kinds
(`trading.queue`); the kind decides how an order is sent and how its fills are booked.

- `stock`: shares of a listed company or fund, named by its ticker (``AAPL``); quantities are
  shares (fractional where the account allows), prices per share.
- `option`: listed option contracts, named by their OCC symbol (``SPY250620P00500000``,
  `execution.options`); quantities are whole contracts, prices per share of the underlying, and
  every amount is x `CONTRACT_MULTIPLIER` (100) shares per contract.
"""

from __future__ import annotations

from typing import Literal

from execution.options import CONTRACT_MULTIPLIER, is_option_symbol

InstrumentKind = Literal["stock", "option"]
INSTRUMENT_KINDS: tuple[InstrumentKind, ...] = ("stock", "option")


def instrument_kind(symbol: str) -> InstrumentKind:
    """The kind of the instrument `symbol` names: an OCC symbol is an option, anything else a
    stock."""
    return "option" if is_option_symbol(symbol) else "stock"


def multiplier(kind: InstrumentKind) -> int:
    """Shares of the underlying per unit of quantity: 1 for a stock, 100 for an option."""
    return CONTRACT_MULTIPLIER if kind == "option" else 1
