"""How the offline model writes a tool's number: a fraction as a percentage with the decimals
asked for, except when the tool's rounded value sits exactly halfway (the tools round to
significant digits: 0.05395 may be 5.3948% or 5.3952%, so "5.40%" or "5.39%" could be wrong):
then with the digit the tool gave ("5.395%"), never rounded a second time."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["money_text", "percent"]


def percent(value: float | None, decimals: int = 1) -> str:
    """`value` (a fraction) as a percentage with `decimals` decimals, or with every digit the
    tool gave when rounding to `decimals` would be a tie ("n/a" for None)."""
    if value is None:
        return "n/a"
    exact = (Decimal(repr(float(value))) * 100).normalize()
    step = Decimal(1).scaleb(-decimals)
    rounded = exact.quantize(step, rounding=ROUND_HALF_UP)
    if abs(exact - rounded) * 2 == step:  # a tie: either neighbour may be the true value's
        places = -int(exact.as_tuple().exponent)
        return f"{exact:.{places}f}%"
    return f"{rounded:.{decimals}f}%"


def money_text(value: float) -> str:
    """An amount of money in dollars to the cent ("$156,751.97"; a loss keeps its sign)."""
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def amount_text(value: float) -> str:
    """An amount of money in dollars, to the cent only when it has cents ("$20,000",
    "$12,500.50"; a loss keeps its sign)."""
    whole = round(float(value), 2).is_integer()
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}" if whole else money_text(value)
