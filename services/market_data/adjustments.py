"""Whether a table of daily closes is adjusted for splits: a one-day move by exactly a split
ratio is a split the closes were not adjusted for, and such a table is refused, naming the
symbol, the date and the ratio.

Split adjustment divides every close before a split by its ratio (a 4-for-1 split: by 4), so
adjusted closes move by the day's return only. Unadjusted closes fall to 1/4 of the day before on
the split's date (or rise to 10 times on a 1-for-10 reverse split). A close whose ratio to the
previous one is within `SPLIT_TOLERANCE` of a ratio of `SPLIT_RATIOS` is taken for one: real
one-day moves that size are rare (a stock halving in a day), and a file holding one is refused
all the same, saying what was seen (remove or correct the day if the move is real).

Dividends cannot be seen in closes alone (a dividend moves a close by its yield, a few percent
at most, like any day's move): adjusting for them is the data's own promise (Alpaca's bars are
asked for with ``adjustment=all``; a file's closes are taken as adjusted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quant.errors import DataError

SPLIT_RATIOS: tuple[tuple[int, int], ...] = (
    (3, 2),
    (2, 1),
    (3, 1),
    (4, 1),
    (5, 1),
    (8, 1),
    (10, 1),
    (15, 1),
    (20, 1),
    (2, 3),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 8),
    (1, 10),
    (1, 15),
    (1, 20),
    (1, 25),
    (1, 30),
    (1, 50),
    (1, 100),
)
"""Splits looked for, as (new shares, old shares): (4, 1) is a 4-for-1 split, whose unadjusted
close falls to 1/4; (1, 10) a 1-for-10 reverse split, whose close rises tenfold."""
SPLIT_TOLERANCE = 0.01
"""How close (relative) a one-day ratio of closes must be to a split's to be taken for one."""


class UnadjustedSplitError(DataError):
    """A table of closes that holds a split it is not adjusted for (the message names it)."""


def check_split_adjusted(closes: pd.DataFrame) -> None:
    """`UnadjustedSplitError` naming the first (by date) symbol, date and ratio of a one-day move
    of `closes` (daily closes, one column per symbol, positive where present) that is a split's
    (see the module docstring); nothing when there is none."""
    values = closes.to_numpy(dtype=float)
    if len(values) < 2:
        return
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = values[1:] / values[:-1]
    found: tuple[int, int, tuple[int, int]] | None = None
    for new, old in SPLIT_RATIOS:
        expected = old / new
        hits = np.argwhere(np.abs(ratios / expected - 1.0) <= SPLIT_TOLERANCE)
        if len(hits) and (found is None or hits[0][0] < found[0]):
            found = (int(hits[0][0]), int(hits[0][1]), (new, old))
    if found is None:
        return
    row, col, (new, old) = found
    symbol, day = str(closes.columns[col]), pd.Timestamp(closes.index[row + 1]).date()
    before, after = values[row, col], values[row + 1, col]
    kind = f"a {new}-for-{old} split" if new > old else f"a {new}-for-{old} reverse split"
    raise UnadjustedSplitError(
        f"{symbol} closes at {after:g} on {day} after {before:g}: a one-day move of "
        f"{after / before:.4g}, the ratio of {kind}, which the closes are not adjusted for; "
        "give closes adjusted for splits and dividends (if the move is real, correct or remove "
        "that day)"
    )
