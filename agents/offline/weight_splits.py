"""New weights said as a split alone ("and if I go 70/30?") for a portfolio of given weights: the
split's shares given to its names in the order the user first named them."""

from __future__ import annotations

__all__ = ["resplit"]


def resplit(
    weights: dict[str, float], split: tuple[float, ...], said_order: tuple[str, ...]
) -> tuple[dict[str, float] | None, str]:
    """The weights `split` (fractions) gives the names of `weights`, taken in `said_order` (the
    tickers of the message that first asked, when it names them all) or else the weights' own
    order, with the change in words; (None, why) when the split has another number of shares."""
    names = [t for t in said_order if t in weights]
    names = names if len(names) == len(weights) else list(weights)
    if len(split) != len(names):
        example = "/".join(f"{100 / len(names):g}" for _ in names)
        return None, f"Give one weight for each of {', '.join(names)} (for example {example})."
    new = dict(zip(names, split, strict=True))
    before = ", ".join(f"{t} {w:.1%}" for t, w in weights.items())
    return new, "weights " + ", ".join(
        f"{t} {w:.1%}" for t, w in new.items()
    ) + f" instead of {before}"
