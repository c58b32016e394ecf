"""New weights said as a split alone ("and if I go 70/30?") for a portfolio of given weights, or
beside a portfolio built: the split's shares given to its names in the order the user first
named them."""

from __future__ import annotations

from typing import Any

from agents.offline.method_names import method_name

__all__ = ["resplit", "split_beside_build"]


def resplit(
    weights: dict[str, float], split: tuple[float, ...], said_order: tuple[str, ...]
) -> tuple[dict[str, float] | None, str]:
    """The weights `split` (fractions) gives the names of `weights`, taken in `said_order` (the
    tickers of the message that first asked, when it names them all) or else the weights' own
    order, with the change in words; (None, why) when the split has another number of shares."""
    names = [t for t in said_order if t in weights]
    names = names if len(names) == len(weights) else list(weights)
    if len(split) != len(names):
        shares = [100 // len(names)] * len(names)
        shares[0] += 100 - sum(shares)  # whole percents that sum to 100: 34/33/33
        example = "/".join(str(share) for share in shares)
        return None, f"Give one weight for each of {', '.join(names)} (for example {example})."
    new = dict(zip(names, split, strict=True))
    before = ", ".join(f"{t} {w:.1%}" for t, w in weights.items())
    return new, "weights " + ", ".join(
        f"{t} {w:.1%}" for t, w in new.items()
    ) + f" instead of {before}"


def split_beside_build(
    build: dict[str, Any], split: tuple[float, ...], said_order: tuple[str, ...]
) -> tuple[dict[str, Any] | None, str]:
    """ "And 70/30?" after a build: `compare_portfolios` arguments setting the portfolio built
    (`build`, an `optimize_portfolio` result) beside the weights `split` gives its names (in
    `said_order`, as `resplit`), over the sessions it was estimated on, with the change in
    words; (None, why) when the split has another number of shares than the build has names."""
    built = {str(t): float(w) for t, w in (build.get("weights") or {}).items()}
    weights, why = resplit(built, split, said_order)
    if weights is None:
        return None, why
    label = "/".join(f"{100 * w:g}" for w in weights.values())
    span = build.get("date_range") or {}
    window = {key: span[key] for key in ("start", "end") if span.get(key)}
    said = ", ".join(f"{t} {w:.1%}" for t, w in weights.items())
    method = method_name(str(build.get("method")))
    return (
        {"portfolio_ids": [build["portfolio_id"]], "portfolios": {label: weights}, **window},
        f"the {label} portfolio ({said}) beside the {method} portfolio {build['portfolio_id']}",
    )
