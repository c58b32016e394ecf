"""The one name an answer judged best or worst ("Worst by total return: AMD (the lowest).",
`agents.offline.statistic_words.judged_line`) or picked at an end ("Lowest by volatility: JNJ
(17.5%)."), as the subject of a message that refers back to
one name ("what was the worst stock in 2022?", then "how volatile was it?": AMD over 2022).
The names several answers judged one each ("the highest?", "and the lowest?") are the subject of
a message that refers back to them ("backtest the two"). The names at one end of a ranking the
answer showed ("the 3 highest of 20, highest first: HD
2.43, MSFT 2.11, PFE 2.09") are the subject of a message that refers back to several ("backtest
them equally weighted since 2022": HD, MSFT and PFE, not the twenty ranked). Read from the
answer's text, as a reader of the conversation would."""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import chain

from services.formatting import listed
from settings import patterns

__all__ = ["judged_name", "names_in_place", "referred_names"]

_JUDGED = patterns.compile(
    r"\b(?:Best|Worst|Better|Worse|Highest|Lowest|Deepest|Shallowest) by [^:]+?: "
    r"([A-Z][A-Z.]{0,5}) \("
)
"""A name an answer judged best or worst, or picked at an end of a measure ("Lowest by
volatility: JNJ (17.5%).", `agents.offline.statistic_words.picked_line`)."""
_ONE_REFERRED = patterns.compile(
    r"\b(?:it|its|it's|that (?:stock|one|name)|this (?:stock|one)|the (?:winner|loser))\b"
)
"""Words that refer back to one name ("how volatile was it?", "and that stock's beta?")."""


def judged_name(message: str, answer: str) -> tuple[str, ...] | None:
    """The name `answer` judged best or worst when `message` refers back to one name; the names
    it judged when it judged one per measure and they differ ("the calmest": PG by volatility,
    MSFT by drawdown: both); None when the message does not refer back or the answer judged
    none."""
    if not _ONE_REFERRED.search(message.lower()):
        return None
    judged = tuple(dict.fromkeys(_JUDGED.findall(answer)))
    return judged or None


_END_SHOWN = patterns.compile(
    r"\bthe \d+ (?P<end>highest|lowest) of \d+, (?:highest|lowest) first: (?P<names>.+?)"
    r"(?:;|\.(?=\s|$))"
)
"""The names at one end of a ranking an answer showed, with their values."""
_NAME_SHOWN = patterns.compile(r"(?:^|, )([A-Z][A-Z.]{0,5}) -?\d")
_SEVERAL_REFERRED = patterns.compile(
    r"\b(?:them|they|their|theirs|those|these)\b|\bthe (?:top|bottom) (?:\d+|two|three|four|five)\b"
)
"""Words that refer back to several names ("backtest them", "those 3", "the top 3")."""
_OTHER_END = patterns.compile(r"\bthe (top|bottom) (\d+|two|three|four|five)\b")
_ENDS = {"top": "highest", "bottom": "lowest"}
"""An end of a ranking named ("the bottom 3"): the names shown only when the answer showed
that end ("the 3 lowest of 20")."""


def shown_names(message: str, answer: str) -> tuple[str, ...] | None:
    """The names at the ends of a ranking `answer` showed (the top 3, or the top 3 and the
    bottom 3; a name at the ends of two measures once), when `message` refers back to several; None when it does not, or the answer
    showed no end of a ranking."""
    low = message.lower()
    if not _SEVERAL_REFERRED.search(low):
        return None
    if (other := _OTHER_END.search(low)) is not None and not _END_SHOWN.search(answer):
        whole = _ranked_end(other, answer)  # "backtest the top 3" after a whole ranking shown
        return tuple(whole) if len(whole) > 1 else None
    if other is not None and f"{_ENDS[other[1]]} of" not in answer:
        return None  # "and the bottom 3?" after the top 3: the other end, not the names shown
    shown = (
        name for end in _END_SHOWN.finditer(answer) for name in _NAME_SHOWN.findall(end["names"])
    )
    names = tuple(dict.fromkeys(shown))  # a name at the end of two measures, once
    return names if len(names) > 1 else None


_RANKED_SHOWN = patterns.compile(
    r"\bBy [^.:;]+?, (?P<end>highest|lowest) first: (?P<names>.+?)(?: \(|;|\.(?=\s|$))"
)
"""A whole ranking an answer showed ("By total return, highest first: RRC 166.1%, PFE 66.70%,
..., MRK 1.75% (highest RRC, lowest MRK).")."""
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5}
_OWN_RANKING = patterns.compile(
    r"\s*(?:stocks?\s+|names\s+|ones\s+)?(?:by\b|in\s+\d{4}|of\s+(?:the\s+)?(?:\d{4}|year|decade)"
    r"|during\b|over\s+the\b|performers|winners|losers|gainers|(?:best|worst)\b)"
)
"""A ranking of its own said after "the top 3" ("the top 3 by Sharpe in 2019", "the top 3
performers of 2020"): ranked afresh (`agents.offline.ranked_picks`), not read off the one shown."""


def _ranked_end(named: re.Match[str], answer: str) -> list[str]:
    """The names at the end `named` ("the top 3": the 3 highest) of the whole ranking `answer`
    showed, from that end; [] when it showed none, fewer names than asked, or the message says a
    ranking of its own after it (`_OWN_RANKING`)."""
    ranked = _RANKED_SHOWN.search(answer)
    if ranked is None or _OWN_RANKING.match(named.string, named.end()):
        return []
    names = _NAME_SHOWN.findall(ranked["names"])
    if ranked["end"] != _ENDS[named[1].lower()]:
        names.reverse()
    count = int(named[2]) if named[2].isdigit() else _COUNTS[named[2].lower()]
    return names[:count] if count <= len(names) else []


_PAIR_REFERRED = patterns.compile(
    r"\b(?:both|the two|these two|those two|the pair|them|they|their|those|these)\b"
)
"""Words that refer back to the names several answers judged ("backtest the two", "compare
them", "both")."""


def judged_in_turns(message: str, answers: Iterable[str]) -> tuple[str, ...] | None:
    """The names the latest `answers` (latest first) judged one each, oldest first, when
    `message` refers back to several ("which stock had the highest return in 2021?", "and the
    lowest?", then "backtest the two since 2022": RRC and MRK); None when it does not, or fewer
    than two answers in a row judged one name."""
    if not _PAIR_REFERRED.search(message.lower()):
        return None
    names: list[str] = []
    for answer in answers:
        judged = tuple(dict.fromkeys(_JUDGED.findall(answer)))
        if len(judged) != 1:
            break
        names.insert(0, judged[0])
    names = list(dict.fromkeys(names))
    return tuple(names) if len(names) > 1 else None


_END_NAMED = patterns.compile(
    r"\bthe (top|bottom) (\d+|two|three|four|five)(?: (?:stocks|names|picks|ones|of them))?\b"
)
"""An end of a ranking named as its subject ("backtest the top 3 equally weighted")."""


def ends_in_place(message: str, answer: str) -> str:
    """`message` with each end of a ranking it names ("the top 3") written as the names
    `answer` showed at that end ("backtest the top 3 equally weighted since 2022" after "the 3
    highest of 20, highest first: HD 2.43, MSFT 2.11, PFE 2.09" is "backtest HD, MSFT and PFE
    equally weighted since 2022"); an end the answer did not show is left as said (the other
    end is `shown_names`' None)."""
    ends = {end["end"]: _NAME_SHOWN.findall(end["names"]) for end in _END_SHOWN.finditer(answer)}

    def names(named: re.Match[str]) -> str:
        shown = ends.get(_ENDS[named[1].lower()], []) if ends else _ranked_end(named, answer)
        return listed(shown) if len(shown) > 1 else named[0]

    return _END_NAMED.sub(names, message)


def referred_names(message: str, answers: Iterable[str]) -> tuple[str, ...] | None:
    """The names `message` refers back to as several: those at the ends of a ranking the last
    of `answers` (latest first) showed (`shown_names`), else those the latest answers judged
    one each (`judged_in_turns`); None when neither."""
    later = iter(answers)
    last = next(later, "")
    return shown_names(message, last) or judged_in_turns(message, chain([last], later))


def names_in_place(message: str, answers: Iterable[str]) -> str:
    """`message` with the names it refers back to written out: an end of the ranking the last
    answer showed (`ends_in_place`), or the words that refer to the names the latest answers
    judged one each ("backtest the two since 2022" after "the highest?" and "the lowest?" is
    "backtest RRC and MRK since 2022")."""
    later = iter(answers)
    last = next(later, "")
    if shown_names(message, last) is not None:
        return ends_in_place(message, last)
    judged = judged_in_turns(message, chain([last], later))
    return message if judged is None else _PAIR_REFERRED.sub(listed(judged), message, count=1)
