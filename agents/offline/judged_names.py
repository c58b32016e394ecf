"""The one name an answer judged best or worst ("Worst by total return: AMD (the lowest).",
`agents.offline.statistic_words.judged_line`) or picked at an end ("Lowest by volatility: JNJ
(17.5%)."), as the subject of a message that refers back to
one name ("what was the worst stock in 2022?", then "how volatile was it?": AMD over 2022).
Read from the answer's text, as a reader of the conversation would."""

from __future__ import annotations

from settings import patterns

__all__ = ["judged_name"]

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


def judged_name(message: str, answer: str) -> str | None:
    """The one name `answer` judged best or worst when `message` refers back to one name;
    None when it does not, or the answer judged none or several."""
    if not _ONE_REFERRED.search(message.lower()):
        return None
    judged = set(_JUDGED.findall(answer))
    return judged.pop() if len(judged) == 1 else None
