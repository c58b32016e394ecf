"""The weights a portfolio manager's message gives, as the ask accounting reads them
(`graphs.ask_items`): shares of named tickers said in a phrasing of a whole portfolio (slashes,
pairs, bare numbers or fractions that make 100%) or one by one ("40% KO", "KO 40%")."""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from graphs import ask_patterns as P
from settings import patterns

S = TypeVar("S")


class WeightScan(Protocol[S]):
    """What the reading needs of the accounting's scan: its masked view, its subjects (the
    marks `¤` of tickers in the view, by position) and where to put what it read."""

    subjects: dict[int, S]

    def view(self) -> str: ...

    def claim(self, start: int, end: int) -> None: ...

    def said(self, m: re.Match[str]) -> str: ...

    def subjects_in(self, start: int, end: int) -> list[S]: ...

    def weight(self, subject: S, value: float, said: str) -> None: ...


_EACH = patterns.compile(rf"{P.PCT}\s+each\s+(?:of\s+|in\s+)?{P.TICKERS}")
_SLASHED = patterns.compile(
    r"(?<![\d.])(?P<nums>\d+(?:\.\d+)?%?(?:\s*/\s*\d+(?:\.\d+)?%?)+)\s+(?:(?:in|of)\s+)?"
    r"(?P<s>¤+(?:\s*(?:/|,|and)?\s*¤+)+)"
)
_PAIRS = patterns.compile(
    r"(?<![\d.])(?P<a>\d+(?:\.\d+)?)%?\s+(?P<s>¤+)\s*/\s*(?P<b>\d+(?:\.\d+)?)%?\s+(?P<t>¤+)"
)
_NUMBERS_RUN = patterns.compile(r"(?<![\d.%])(?:\d+(?:\.\d+)?\s+¤+(?:\s*,\s*|\s+and\s+|\s+)?){2,}")
"""Bare numbers before tickers ("50 jpm 50 bac", "60 aapl, 40 ko")."""
_NUMBER_SHARE = patterns.compile(r"(?P<n>\d+(?:\.\d+)?)\s+(?P<s>¤+)")
_FRACTIONS_RUN = patterns.compile(
    r"(?<!¤)(?:¤+\s*(?:=\s*)?(?:0?\.\d+|1\.0*)(?![\d%])(?:\s*,\s*|\s+and\s+|\s+)?){2,}"
)
"""Fractions after tickers ("aapl .5 msft .3 jpm .2", "KO 0.6 PG 0.4")."""
_FRACTION_SHARE = patterns.compile(r"(?P<s>¤+)\s*(?:=\s*)?(?P<n>0?\.\d+|1\.0*)")
_BEFORE = patterns.compile(rf"{P.PCT}\s+(?:in\s+|of\s+)?(?P<s>¤+)")
"""A percentage before a ticker ("40% KO")."""
_AFTER = patterns.compile(
    rf"(?<!¤)(?P<s>¤+)\s+(?:at\s+|@\s*|=\s*|:\s*)?{P.PCT}"
    r"(?!\s*(?:each|-|(?:annual(?:ised|ized)?\s+)?vol(?:atility)?\b))"
)
"""A percentage after a ticker ("KO 40%"; not "KO at 12% volatility", a target)."""


def read_weights(scan: WeightScan[S]) -> None:
    """Read the weights `scan`'s message gives into its items: "25% each in AAPL, KO and XOM",
    "60/40 AAPL/KO", "60% AAPL / 40% KO", "50 jpm 50 bac", "aapl .5 msft .3 jpm .2", "40% KO",
    "KO 40%"; each phrasing's words claimed, so no later reading takes them again."""
    view = scan.view()
    for m in _EACH.finditer(view):
        for subject in scan.subjects_in(m.start("s"), m.end("s")):
            scan.weight(subject, float(m.group("p")) / 100.0, scan.said(m))
        scan.claim(m.start(), m.end())
    for m in _SLASHED.finditer(scan.view()):
        numbers = [float(n.rstrip("%")) for n in m.group("nums").split("/")]
        subjects = scan.subjects_in(m.start("s"), m.end("s"))
        if len(numbers) == len(subjects) and abs(sum(numbers) - 100.0) < 0.5:
            for subject, number in zip(subjects, numbers, strict=True):
                scan.weight(subject, number / 100.0, scan.said(m))
            scan.claim(m.start(), m.end())
    for m in _PAIRS.finditer(scan.view()):
        a, b = float(m.group("a")), float(m.group("b"))
        if abs(a + b - 100.0) < 0.5:
            scan.weight(scan.subjects[m.start("s")], a / 100.0, scan.said(m))
            scan.weight(scan.subjects[m.start("t")], b / 100.0, scan.said(m))
            scan.claim(m.start(), m.end())
    # bare numbers before tickers that make 100 ("50 jpm 50 bac", "60 aapl, 40 ko")
    _making_a_whole(scan, _NUMBERS_RUN, _NUMBER_SHARE, whole=100.0)
    # fractions after tickers that make 1 ("aapl .5 msft .3 jpm .2", "KO 0.6 PG 0.4")
    _making_a_whole(scan, _FRACTIONS_RUN, _FRACTION_SHARE, whole=1.0)
    before, after = _BEFORE.search(scan.view()), _AFTER.search(scan.view())
    order = (
        (_AFTER, _BEFORE)
        if after is not None and (before is None or after.start() < before.start())
        else (_BEFORE, _AFTER)
    )
    for pattern in order:
        for m in pattern.finditer(scan.view()):
            scan.weight(scan.subjects[m.start("s")], float(m.group("p")) / 100.0, scan.said(m))
            scan.claim(m.start(), m.end())


def _making_a_whole(
    scan: WeightScan[S], run: re.Pattern[str], share: re.Pattern[str], whole: float
) -> None:
    """Read each run of shares (`run`; each a number `n` beside a subject `s`, `share`) whose
    numbers sum to `whole` (to within half a percent of it) as the portfolio's weights."""
    for m in run.finditer(scan.view()):
        found = list(share.finditer(m.group(0)))
        if abs(sum(float(f.group("n")) for f in found) - whole) < 0.005 * whole:
            for f in found:
                subject = scan.subjects[m.start() + f.start("s")]
                scan.weight(subject, float(f.group("n")) / whole, scan.said(m))
            scan.claim(m.start(), m.end())
