"""Shares of a portfolio added by a follow-up ("add 10% JNJ", "add 5% PFE and 10% MRK"): the
weights once the shares are bought, the build's limits that hold each added name at its share,
and how the change is said; the question back when there is no portfolio to add to."""

from __future__ import annotations

from typing import Any

from agents.offline.intent import Intent
from agents.offline.intent.amounts import added_shares

__all__ = ["added_at", "added_to_nothing", "pin_added", "share_words"]


def added_at(weights: dict[str, float], shares: dict[str, float]) -> dict[str, float]:
    """`weights` with `shares` of the portfolio bought: each weight scaled by what the shares
    leave (1 - their sum), then each share added to its name's weight ("add 10% KO" with KO at
    30% holds 37%: 30% x 0.9 + 10%)."""
    rest = 1.0 - sum(shares.values())
    out = {t: w * rest for t, w in weights.items()}
    for name, share in shares.items():
        out[name] = out.get(name, 0.0) + share
    return out


def share_words(name: str, share: float, held: float | None, now: float) -> str:
    """A share added in words: "JNJ 10.0%", or for a name held "KO 10.0% (from 30.0% to 37.0%)"."""
    return f"{name} {share:.1%}" + ("" if not held else f" (from {held:.1%} to {now:.1%})")


def pin_added(
    built: dict[str, float], stated: dict[str, float], args: dict[str, Any]
) -> tuple[list[str], str | None]:
    """Hold each name added at a `stated` share (name -> fraction) in the build `args`
    (`asset_limits` min and max, set here) whose weights were `built`: a new name at its share,
    a name held at its weight with the share bought (`added_at`). Returns what changed in words
    ("JNJ added at 10.0%", "KO 10.0% (from 30.0% to 37.0%) added and held"), or why not when a
    weight would be above the build's cap on every stock or its own limit."""
    built = {str(t): float(w) for t, w in built.items()}
    pinned = added_at({t: w for t, w in built.items() if t in stated}, stated)
    every = float(args.get("max_weight") or 1.0)
    limits = args.get("asset_limits") or {}
    for name, weight in pinned.items():
        own = (limits.get(name) or {}).get("max")
        cap, whose = (
            (float(own), f"limit on {name}") if own is not None else (every, "cap on every stock")
        )
        if weight > cap + 1e-9:
            return [], (
                f"Holding {name} at {weight:.1%} would break the {cap:.0%} {whose}; raise the "
                "limit or add less."
            )
    said = []
    for name, share in stated.items():
        args.setdefault("asset_limits", {})[name] = {"min": pinned[name], "max": pinned[name]}
        words = share_words(name, share, built.get(name), pinned[name])
        said.append(f"{words} added and held" if name in built else f"{name} added at {share:.1%}")
    return said, None


def added_to_nothing(intent: Intent, has_subject: bool) -> str | None:
    """The question back when a message adds one name ("what if I add 20% XOM?", "what if I put
    20% in XOM?", "add KO") and the conversation holds no portfolio to add it to (not
    `has_subject`); None otherwise (it read a scenario set or a market read of the name)."""
    if not intent.adds or len(intent.tickers) != 1 or intent.weights or has_subject:
        return None
    if intent.refers_back:  # "would adding 10% PG reduce its CVaR?": which portfolio is asked
        return None
    (name,) = intent.tickers
    share = dict(added_shares(intent.text.lower(), intent.tickers)).get(name)
    said = f"{share:.0%} {name}" if share else name
    one, other = [t for t in ("AAPL", "KO", "MSFT") if t != name][:2]  # an example without it
    return (
        f"Add {said} to which portfolio? Build one first, or give its weights (for example "
        f"'what if I add {said} to 60% {one} 40% {other}?'). Nothing was computed."
    )
