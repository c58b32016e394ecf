"""The question just answered, asked again of other names ("and for KO?", "what about MSFT?",
"same for the banks"): the request's names replaced by those named, everything else kept. Names
asked held equally ("the max drawdown of AAPL": AAPL 100%; "the CVaR of AAPL and KO": 50% each)
are replaced at equal weights; weights the message gave are a portfolio of its own, not names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["change_subject"]


def change_subject(args: dict[str, Any], subject: Sequence[str], weights_given: bool) -> str | None:
    """Replace in `args` (in place) the request's names by `subject`; the change in words ("KO
    instead of AAPL"), or None when the request holds no names to replace (a portfolio by its id,
    weights given: `weights_given` when its message stated them)."""
    weights = args.get("weights")
    implied = isinstance(weights, dict) and bool(weights) and not weights_given
    implied = implied and max(weights.values()) - min(weights.values()) < 1e-9  # type: ignore[union-attr]
    key = "weights" if implied else "universe"
    if key not in args or (key == "universe" and weights) or args.get("portfolio_id"):
        return None
    before = ", ".join(str(t) for t in args[key])
    shares = {t: 1.0 / len(subject) for t in subject}
    args[key] = shares if key == "weights" else list(subject)
    return f"{', '.join(subject)} instead of {before}"
