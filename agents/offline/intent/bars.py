"""A bar a ranking question sets every name against ("which stocks fell more than 30% in 2022?",
"how many names had a Sharpe ratio above 1?", "which stocks had volatility under 20%?", "any
stock with a max drawdown deeper than 50%?"): the measure, the side and the value. The answer
names the names beyond it (`agents.offline.analysis_answers`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings import patterns

__all__ = ["Bar", "bar_said"]


@dataclass(frozen=True)
class Bar:
    """The bar of a ranking question: `measure` a key of `agents.offline.statistic_words.
    RANKED_BY` (``return``, ``volatility``, ``drawdown_dates``, ``sharpe_ratio``, ``beta``);
    the names `above` `value` asked for, else those below; `inclusive` when said "at least" or
    "at most"; `value` in the measure's units (a fraction for the total return, volatility and
    drawdown depth, signed for the return: "fell more than 30%" is a return below -0.30; a
    number for the Sharpe ratio and beta); `said` the words that set it, as asked;
    `beside_index` when `value` is a margin over the index's figure ("beat the market by more
    than 10%": a total return above the S&P 500 index's plus 0.10)."""

    measure: str
    above: bool
    inclusive: bool
    value: float
    said: str
    beside_index: bool = False

    def holds(self, value: float) -> bool:
        """Whether a name's `value` of the measure is beyond the bar."""
        if self.above:
            return value >= self.value if self.inclusive else value > self.value
        return value <= self.value if self.inclusive else value < self.value


_ABOVE = r"more than|over|above|greater than|higher than|bigger than|larger than|in excess of"
_BELOW = r"less than|under|below|lower than|smaller than"
_SIDE = rf"(?P<side>{_ABOVE}|{_BELOW}|at least|at most|deeper than|worse than)"
_PERCENT = (
    r"(?P<value>[-+]?\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)"
    r"(?!\s*(?:each\b|per\b|apiece\b|in\s+(?!\d{4}\b|the\s+(?:last|past|first|year)\b)))"
)
"""A percentage, not one of a weight ("at least 1% in each", "at least 30% in staples")."""
_NUMBER = (
    r"(?P<value>[-+]?\d{1,2}(?:\.\d+)?)(?!\d|\.\d|\s*(?:%|percent|pct|bps?|basis|years?|days?))"
)
_FALL = (
    r"fell|fall(?:en|s)?|dropped|drop|lost|lose|declined|decline|sank|slumped|plunged"
    r"|(?:(?:were|was|is|are|been)(?:\s+(?:it|they|my\s+portfolio|the\s+portfolio))?"
    r"|stocks?|names|holdings|positions|shares|ones|any) down"
)
_RISE = (
    r"gained|gain|rose|rise|risen|returned|return|climbed|grew|grown|rallied"
    r"|(?:(?:were|was|is|are|been)(?:\s+(?:it|they|my\s+portfolio|the\s+portfolio))?"
    r"|stocks?|names|holdings|positions|shares|ones|any) up"
)
_GAP = (
    r"(?:\s+(?:of|was|were|is|are|has|had|have|been|a|an|the|its|their|annual(?:i[sz]ed)?|daily"
    r"|realised|realized|max(?:imum)?|ratios?|that|which|each|every|one)){0,3}\s+"
)
"""The words a measure and its side may have between them ("volatility of more than", "a
Sharpe ratio was above", "drawdowns that were deeper than"), nothing else: "min vol of all
stocks but at least 30% in staples" sets no bar."""

_SUBJECT_SAID = patterns.compile(r"^(?:stocks?|names|holdings|positions|shares|ones|any)\s+")
"""The subject before "down" or "up" ("stocks down more than 10%"), not quoted as the bar."""

_INDEX = r"(?:the\s+)?(?:market|s&p(?:\s?500)?|index|spx|spy|benchmark)"
_BY_MARGIN = rf"\s+{_INDEX}\s+by\s+(?:{_SIDE}\s+)?{_PERCENT}"
"""A margin over the index ("the market by more than 10%"; "by 10%" alone is at least 10)."""

_SAID: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("return", "beat", patterns.compile(
        rf"\b(?:beat|beats|beaten|outperform(?:ed|s)?|outdid|outdone|topped){_BY_MARGIN}"
    )),
    ("return", "lag", patterns.compile(
        rf"\b(?:lag(?:ged|s)?|trail(?:ed|s)?|underperform(?:ed|s)?){_BY_MARGIN}"
    )),
    ("return", "fall", patterns.compile(rf"\b(?:{_FALL})\s+(?:by\s+)?{_SIDE}\s+{_PERCENT}")),
    ("return", "rise", patterns.compile(
        rf"\b(?:{_RISE})s?\s+(?:of\s+|by\s+)?{_SIDE}\s+{_PERCENT}"
    )),
    ("drawdown_dates", "depth", patterns.compile(
        rf"\b(?:draw[\s-]?downs?|drew\s+down){_GAP}{_SIDE}\s+{_PERCENT}"
    )),
    ("drawdown_dates", "depth", patterns.compile(
        rf"\b{_SIDE}\s+{_PERCENT}\s+(?:max(?:imum)?\s+)?draw[\s-]?downs?\b"
    )),
    ("volatility", "level", patterns.compile(
        rf"\bvol(?:atility|atilities|s)?\b{_GAP}{_SIDE}\s+{_PERCENT}"
    )),
    ("volatility", "level", patterns.compile(
        rf"\b{_SIDE}\s+{_PERCENT}\s+(?:annual(?:i[sz]ed)?\s+)?vol(?:atility)?\b"
    )),
    ("sharpe_ratio", "level", patterns.compile(
        rf"\bsharpe(?:\s+ratios?|s)?\b{_GAP}{_SIDE}\s+{_NUMBER}"
    )),
    ("beta", "level", patterns.compile(rf"\bbetas?\b{_GAP}{_SIDE}\s+{_NUMBER}")),
)  # fmt: skip
"""Each measure a bar is set on, how its value is said, and the words that set it: a fall
("fell more than 30%": a return below -30%), a rise ("gained over 50%", "a return above 20%"), a
depth ("a drawdown deeper than 40%"), a level ("volatility under 20%", "a Sharpe ratio above
1")."""


_SIGN_VERB = r"were|was|is|are|been|end(?:ed|s)?|finish(?:ed|es)?|close[ds]?|go|goes|went|gone"
_SIGNED = r"(?P<who>(?:it|they|my\s+portfolio|the\s+portfolio|[a-z]{1,5}(?=\s+(?:down|up)\b))\s+)?"
"""What was up or down, between the verb and the sign ("was it down?", "was aapl up?")."""
_NOT_A_SIZE = r"(?!\s+(?:by|more|less|over|under|at|above|below|\d))"
_SIGNS = (
    (False, patterns.compile(
        r"\b(?:negative|losing)\s+(?:total\s+)?returns?\b|\blost\s+money\b"
        rf"|\b(?:{_SIGN_VERB})\s+{_SIGNED}(?:down|lower|negative|in the red)\b{_NOT_A_SIZE}"
    )),
    (True, patterns.compile(
        r"\b(?:positive)\s+(?:total\s+)?returns?\b|\bmade\s+money\b"
        rf"|\b(?:{_SIGN_VERB})\s+{_SIGNED}(?:up|higher|positive|in the green)\b{_NOT_A_SIZE}"
    )),
)  # fmt: skip
"""A return's sign said as a bar ("which stocks had negative returns?", "which were up in
2022?", "did KO end higher?"): a total return above or below 0."""


def bar_said(low: str) -> Bar | None:
    """The bar a lower-cased ranking question sets, or None when it sets none (the first said
    when it sets several; a return's sign when no size is said)."""
    found = [(m, measure, how) for measure, how, p in _SAID if (m := p.search(low)) is not None]
    if not found:
        signed = ((above, m) for above, p in _SIGNS if (m := p.search(low)) is not None)
        if (sign := next(signed, None)) is None:
            return None
        said = sign[1].group(0)
        if sign[1]["who"]:  # "was it down": 'was down', the subject is no part of the bar
            said = said.replace(sign[1]["who"], "", 1)
        return Bar("return", sign[0], False, 0.0, said)
    match, measure, how = min(found, key=lambda f: f[0].start())
    side = match["side"] or "at least"  # "beat the market by 10%": by 10 points at least
    above = not re.fullmatch(_BELOW, side) and side != "at most"
    value = float(match["value"])
    if how in ("fall", "depth", "lag"):
        value = abs(value)
    if how in ("fall", "lag"):  # "fell more than 30%": a return below -30%; "less than 10%":
        value, above = -value, not above  # above -10%; "lagged it by 5%": 5 below its return
    scale = 1.0 if measure in ("sharpe_ratio", "beta") else 0.01
    said = _SUBJECT_SAID.sub("", match.group(0))  # "stocks down more than 10%": from "down"
    inclusive = side in ("at least", "at most")
    return Bar(measure, above, inclusive, value * scale, said, how in ("beat", "lag"))
