"""What each option hedge kind is called, and what a hedge cost said, where a user reads it,
apart from the strategy's numerics (`quant.strategy`), so the vocabulary
(`services.formatting`) loads no array library."""

from __future__ import annotations

HEDGE_NAMES: dict[str, str] = {
    "put": "protective put",
    "put_spread": "put spread",
    "collar": "collar",
}
"""What each hedge kind is called where a user reads it (singular; the plural adds an s)."""


def hedge_outcome_words(premium: float, payoff: float, carry: float) -> str:
    """What a hedge cost and paid back, its annual `premium`, `payoff` and net `carry`
    (premium - payoff) as fractions of wealth a year: "cost 3.87% of wealth a year in premiums
    and paid back 0.00%, a net cost (carry) of 3.87% a year". A premium below zero (a collar's
    call sold for more than its put cost) is said as premiums taken in, a payoff below zero as
    a loss on the options sold (the call ending in the money)."""

    def shown_below_zero(value: float) -> bool:  # as shown: -0.00001 is "0.00%"
        return f"{value:.2%}".startswith("-") and f"{value:.2%}" != "-0.00%"

    paid = (
        f"took in {-premium:.2%} of wealth a year in premiums (the options sold brought in "
        "more than those bought cost)"
        if shown_below_zero(premium)
        else f"cost {abs(premium):.2%} of wealth a year in premiums"
    )
    paid += (
        f" and lost {-payoff:.2%} on the options it sold (they ended in the money)"
        if shown_below_zero(payoff)
        else f" and paid back {abs(payoff):.2%}"
    )
    net = (
        f"a net gain of {-carry:.2%} a year (negative carry)"
        if shown_below_zero(carry)
        else f"a net cost (carry) of {abs(carry):.2%} a year"
    )
    return f"{paid}, {net}"
