"""Bull and bear markets by the 20% rule, said: whether the index, or each stock asked about, is
in a bull or a bear market at the end of the market read's window (`market_statistics`'
`phases`, `quant.market_phase`), with the close it began at and where the last close stands."""

from __future__ import annotations

from typing import Any

__all__ = ["phase_sentence", "phase_verdict"]


def _rule(fall: str) -> str:
    """The rule with its threshold (`fall`, a percentage), as an answer states it."""
    return (
        f"a bear market begins once a close is {fall} or more below the highest close before "
        f"it, a bull market once a close is {fall} or more above the lowest close since"
    )


_TURN = {"bear": "peak", "bull": "low"}
"""The close each phase begins at."""


def phase_sentence(name: str, row: dict[str, Any], end: str, fall: str, past: bool = False) -> str:
    """Where `name` stands at the close of `end` by the rule (its threshold `fall`): its phase,
    the close it began at (and the phase it ended), the move since, and the fall below the
    window's highest close (`row`: one entry of `phases`); said in the past tense when asked
    of the `past`."""
    verb = "was" if past else "is"
    high = f"the window's highest close ({row['high']})"
    below = float(row["below_high"])
    phase = row.get("phase")
    if phase is None:
        return (
            f"{name} has not moved {fall} from a high or a low in the data up to {end}, so "
            f"the rule names no bull or bear market; it closed {end} {below:.1%} below {high}."
        )
    began = f"a {phase} market that began at its {_TURN[phase]} of {row['since']}"
    if (before := row.get("before")) is not None:
        began += f" (ending the {before} market that began at its {_TURN[before]} of "
        began += f"{row['before_since']})"
    if phase == "bear":
        return (
            f"{name} {verb} in {began}: it closed {end} {-float(row['move']):.1%} below that peak."
        )
    where = f" and {below:.1%} below {high}" if below > 0 else ", a new high"
    return (
        f"{name} {verb} in {began}: it closed {end} {float(row['move']):.1%} above that low{where}."
    )


def _held(asked: str, row: dict[str, Any], start: str, past: bool) -> bool:
    """Whether the phase `asked` held at the window's end or, asked of the past, at any time of
    the window from `start` (the phase before the last, when that began inside it)."""
    if row.get("phase") == asked:
        return True
    return past and row.get("before") == asked and str(row.get("since")) >= start


def phase_verdict(
    asked: str,
    rows: dict[str, dict[str, Any]],
    window: tuple[str, str],
    threshold: float,
    past: bool = False,
) -> str:
    """The answer to "is X in a bear (bull) market?" (`asked`: "bear", "bull" or "either") by the
    rule of `threshold` (a fraction), for each of `rows` (name -> its `phases` entry) over
    `window` (first and last date): yes or no first when one is asked about (asked of the
    `past`: at any time of the window), then where each stands."""
    start, end = window
    fall = f"{threshold:.0%}"
    said = " ".join(phase_sentence(name, row, end, fall, past) for name, row in rows.items())
    if len(rows) != 1 or asked == "either":
        return f"By the {fall} rule ({_rule(fall)}): {said}"
    (row,) = rows.values()
    yes = "Yes" if _held(asked, row, start, past) else "No"
    return f"{yes}, by the {fall} rule ({_rule(fall)}): {said}"
