"""The shorthand portfolio managers write, written out, for the readers of a message (the
offline model's and the ask accounting's, each otherwise on its own): "bt" a backtest, "tc"
trading costs, "w/o" without, "qtrly rebal" quarterly rebalancing, "6 wks" six weeks, "last 2y"
the last 2 years, "es" expected shortfall, "strats" strategies, "acct" an account, "techs" tech
stocks. Only lower-case words are read (in capitals they may be tickers) and a word is read
whole ("bts" is not "bt")."""

from __future__ import annotations

import re

__all__ = ["SHORTHAND", "expand_shorthand"]

SHORTHAND = {
    "bt": "backtest", "tc": "trading costs", "tcs": "trading costs",
    "w/o": "without", "w/": "with",
    "qtrly": "quarterly", "qtly": "quarterly", "mthly": "monthly", "mnthly": "monthly",
    "wkly": "weekly", "annly": "annually", "rebal": "rebalancing", "rebals": "rebalancing",
    "wk": "week", "wks": "weeks", "mos": "months", "mth": "month",
    "mths": "months", "yr": "year", "yrs": "years",
    "es": "expected shortfall", "strat": "strategy", "strats": "strategies",
    "acct": "account", "accts": "accounts", "techs": "tech stocks",
}  # fmt: skip
"""Each shorthand and what it stands for."""

_WORD = re.compile(
    r"(?<![\w/])(" + "|".join(sorted(map(re.escape, SHORTHAND), key=len, reverse=True)) + r")"
    r"(?![\w/])"
)
_YEARS = re.compile(r"\b(last|past|trailing|prior|previous)\s+(\d{1,2})\s?y\b")
"""A trailing window in years said with "y" after "last" ("last 2y"); "1y vol" alone is read
by the readers as it is."""


def expand_shorthand(text: str) -> str:
    """`text` with each lower-case shorthand of `SHORTHAND` written out, and "last 2y" as "last
    2 years"."""
    text = _YEARS.sub(lambda m: f"{m.group(1)} {m.group(2)} years", text)
    return _WORD.sub(lambda m: SHORTHAND[m.group(1)], text)
