"""Weight limits, exclusions and asks a portfolio build cannot keep, read from a message.

- a cap on every weight ("at most 30% in any stock", "capped at 30% per name", "no position
  above 30%"; also read by `numbers.read_max_weight`) and a floor ("at least 2% in each",
  "minimum 5% per stock");
- limits on named assets ("at most 10% in XOM", "XOM capped at 10%", "at least 15% in Coca-Cola",
  "JNJ between 10% and 25%")
  and on sectors or industries ("no more than 40% in tech", "energy below 20%", "at least 10%
  in banks"): a target is an asset when it is a ticker or company name, a sector when the
  classification knows the term (`quant.classification.matching`, "tech" read as information
  technology);
- exclusions ("without XOM", "excluding energy", "ex-banks", "no Apple", "drop KO");
- what a portfolio build cannot keep, kept to be said in the reply: leverage ("1.5x
  leverage", "levered"), short positions ("allow shorts", "long-short"), a benchmark to track
  ("relative to the S&P 500", "tracking error against SPY").

Every limit is a fraction of capital; a reader consumes what it reads from the scanner's free
text, so a number is given one meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.offline.intent.scanner import PCT, Scanner, fraction
from agents.offline.intent.words import read_tickers
from quant.classification import matching

_CAP = (
    r"(?:at most|no more than|not more than|up to|max(?:imum)?(?: of)?|cap(?:ped)?(?: at)?|"
    r"limit(?:ed)?(?: to| at)?|below|under|less than|<=|≤)"
)
_FLOOR = r"(?:at least|no less than|not less than|min(?:imum)?(?: of)?|floor(?:ed)?(?: at)?|>=|≥)"
_HOLDING = r"(?:stock|asset|name|position|holding|ticker|company|share|equity|security)s?"
_EVERY = rf"(?:any|each|every|a single|one|single|per|all)\s+(?:single\s+)?{_HOLDING}\b"
_WORD = r"\b(?!(?:and|or|but|with|while|per|each|any|every|in|on|at|to|for|of)\b)[a-z&$.\-]+"
_TARGET = rf"((?:the\s+)?{_WORD}(?:\s+{_WORD}){{0,2}})"


@dataclass(frozen=True)
class LimitAsk:
    """The weight limits and exclusions of a message (see the module docstring): `max_weight`
    and `min_weight` on every asset, `asset_limits` (ticker -> (min, max)), `sector_limits`
    (term -> (min, max)), `excluded` tickers and sector terms, and `unsupported`: what the
    message asks that a long-only, fully invested portfolio build cannot keep, in words."""

    max_weight: float | None = None
    min_weight: float | None = None
    asset_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    sector_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    excluded_sectors: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the message states no limit, exclusion or unsupported ask."""
        return self == LimitAsk()


def read_limits(scan: Scanner, known: Sequence[str], max_weight: float | None) -> LimitAsk:
    """The limits of the message in `scan` (see the module docstring); `max_weight` is the cap
    on every weight already read (`numbers.read_max_weight`)."""
    cap = max_weight if max_weight is not None else _every(scan, _CAP)
    floor = _every(scan, _FLOOR)
    assets: dict[str, tuple[float, float]] = {}
    sectors: dict[str, tuple[float, float]] = {}
    for target, low, high, match in _ranges(scan):
        kind, name = _resolve(target, known)
        if kind is not None and low <= high:
            scan.consume(match)
            (assets if kind == "asset" else sectors)[name] = (low, high)
    for bound, comparator in (("max", _CAP), ("min", _FLOOR)):
        for target, value, match in _targeted(scan, comparator):
            kind, name = _resolve(target, known)
            if kind is None:
                continue
            scan.consume(match)
            book = assets if kind == "asset" else sectors
            low, high = book.get(name, (0.0, 1.0))
            book[name] = (low, value) if bound == "max" else (value, high)
    excluded, excluded_sectors = _exclusions(scan, known)
    return LimitAsk(
        max_weight=cap,
        min_weight=floor,
        asset_limits=assets,
        sector_limits=sectors,
        excluded=excluded,
        excluded_sectors=excluded_sectors,
        unsupported=_unsupported(scan),
    )


def _every(scan: Scanner, comparator: str) -> float | None:
    """A limit on every weight: "<comparator> X% in/per <every holding>", "X% cap per name"
    (floor: "X% minimum per name"), "no holding above X%" (below), "<every holding>
    <comparator> X%"."""
    cap = comparator == _CAP
    noun = r"(?:cap|limit|max(?:imum)?)" if cap else r"(?:floor|min(?:imum)?)"
    side = (
        r"(?:above|over|more than|exceeding|larger than|bigger than)"
        if cap
        else r"(?:below|under|less than|smaller than)"
    )
    patterns = [
        rf"{comparator}\s*{PCT}\s*(?:in|per|of|on|for|to)?\s*{_EVERY}",
        rf"\bcap(?:ped)?\s+(?:it\s+|them\s+|(?:the\s+)?weights?\s+)?at\s+{PCT}(?!\s*(?:in|on|for|of)\b)"
        if cap
        else rf"\bfloor(?:ed)?\s+(?:it\s+|them\s+|(?:the\s+)?weights?\s+)?at\s+{PCT}(?!\s*(?:in|on|for|of)\b)",
        rf"{PCT}\s*{noun}\s*(?:per|for each|in each|on each|on any)\s+{_HOLDING}\b",
        rf"(?:no|none of the)\s+{_HOLDING}\s*{side}\s*{PCT}",
        rf"{_EVERY}\s*(?:weight\s*)?(?:should be\s*|must be\s*|is\s*)?{comparator}\s*{PCT}",
    ]
    for pattern in patterns:
        match = re.search(pattern, scan.free)
        if match:
            value = fraction(next(g for g in match.groups() if g is not None))
            if 0.0 < value <= 1.0:
                scan.consume(match)
                return value
    return None


def _targeted(scan: Scanner, comparator: str) -> list[tuple[str, float, re.Match[str]]]:
    """(target words, limit, match) of "<comparator> X% in/on/for <target>" and "<target>
    <comparator> X%", in order of appearance, not overlapping."""
    found = []
    forward = re.compile(rf"{comparator}\s*{PCT}\s*(?:in|on|for|to|of|into)\s+{_TARGET}")
    backward = re.compile(
        rf"{_TARGET}\s+(?:weight\s+|exposure\s+|allocation\s+)?(?:is\s+|at\s+|should be\s+|"
        rf"must be\s+|to\s+|kept\s+)?{comparator}\s*{PCT}"
    )
    for pattern, pct_group, target_group in ((forward, 1, 2), (backward, 2, 1)):
        for match in list(pattern.finditer(scan.free)):
            if pattern is backward and _RISK_BEFORE.search(scan.free[: match.start()][-30:]):
                continue  # "the CVaR of AAPL below 5%" limits a risk measure, not a weight
            value = fraction(match.group(pct_group))
            if 0.0 <= value <= 1.0:
                found.append((match.start(), match.group(target_group), value, match))
    found.sort(key=lambda item: item[0])
    kept: list[tuple[str, float, re.Match[str]]] = []
    end = -1
    for start, target, value, match in found:
        if start >= end:
            kept.append((target, value, match))
            end = match.end()
    return kept


_BETWEEN = rf"(?:between|from)\s+{PCT}\s*(?:and|to|-|–)\s*{PCT}"


def _ranges(scan: Scanner) -> list[tuple[str, float, float, re.Match[str]]]:
    """(target words, low, high, match) of "<target> between X% and Y%" and "between X% and
    Y% in <target>"."""
    found = []
    backward = re.compile(
        rf"{_TARGET}\s+(?:weight\s+|exposure\s+|allocation\s+)?(?:(?:is|at|should be|must be|"
        rf"kept|held)\s+)?{_BETWEEN}"
    )
    forward = re.compile(rf"{_BETWEEN}\s*(?:in|on|for|of|into)\s+{_TARGET}")
    for pattern, target_group in ((backward, 1), (forward, 3)):
        for match in pattern.finditer(scan.free):
            pcts = [g for i, g in enumerate(match.groups(), 1) if i != target_group]
            found.append((match.group(target_group), fraction(pcts[0]), fraction(pcts[1]), match))
    return found


_GROUP_WORD = r"[a-z&\-]+"
_SECTOR_SUBJECTS = (
    re.compile(
        rf"\b((?:{_GROUP_WORD}\s+)?{_GROUP_WORD})\s+(?:names|stocks|sector|shares|companies"
        r"|equities|basket|space)\b"
    ),
    re.compile(rf"\bhow (?:are|is|did|have|were) (?:the\s+)?((?:{_GROUP_WORD}\s+)?{_GROUP_WORD})"),
    re.compile(
        rf"\b(?:of|for|on|in|across|among)\s+(?:the\s+|my\s+|our\s+)?((?:{_GROUP_WORD}\s+)?"
        rf"{_GROUP_WORD})\s*(?=$|[?,.;!]|\s(?:since|from|over|between|in|with|and|during|"
        r"for|at|to|under|without|excluding|no|capped)\b)"
    ),
)


def read_sector_universe(scan: Scanner) -> tuple[str, ...]:
    """The sectors or industries a message names as what to work on ("the energy names",
    "healthcare stocks", "a frontier for the staples"), in order; run after the limits and
    exclusions were consumed, so "no more than 30% in tech" is not a universe."""
    found: dict[str, None] = {}
    for pattern in _SECTOR_SUBJECTS:
        for match in pattern.finditer(scan.free):
            words = match.group(1).split()
            for head in (" ".join(words), words[-1], words[0]):
                if head not in ("the", "my", "our", "all", "any", "each") and matching(head):
                    found.setdefault(head, None)
                    scan.consume(match, 1)
                    break
    return tuple(found)


def sector_tickers(terms: Sequence[str]) -> list[str]:
    """The classified tickers the sector terms name, in order ("tech" -> AAPL, AMD, MSFT)."""
    found: dict[str, None] = {}
    for term in terms:
        for item in matching(term):
            found.setdefault(item.ticker, None)
    return list(found)


_RISK_BEFORE = re.compile(
    r"\b(?:c?var|value at risk|drawdowns?|vol(?:atility)?|sharpe|returns?|beta|loss(?:es)?)\b"
    r"(?:\s+(?:of|for|on))?\s*$"
)


def _resolve(target: str, known: Sequence[str]) -> tuple[str | None, str]:
    """What a limit's target words name: ("asset", ticker), ("sector", term) or (None, ""),
    trying the longest run of its first words first ("consumer staples stocks" -> the consumer
    staples sector; "xom" -> XOM)."""
    words = target.strip().removeprefix("the ").split()
    for size in range(len(words), 0, -1):
        head = " ".join(words[:size])
        head = re.sub(r"\s+(?:sector|stocks|names|shares|companies)$", "", head)
        tickers = read_tickers(head.upper() if len(head) <= 5 else head, known)
        if len(tickers) == 1:
            return "asset", tickers[0]
        if re.fullmatch(r"[a-z&\s\-]+", head) and matching(head):
            return "sector", head
    return None, ""


_EXCLUDE = re.compile(
    r"(?:\b(?:without|excluding|exclude|except|drop|dropping|remove|removing|minus|no|not)\s+"
    rf"|\bex-\s*)((?:the\s+)?{_WORD}(?:\s+{_WORD})?"
    rf"(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s+nor\s+){_WORD})*)"
)


def _exclusions(scan: Scanner, known: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tickers and sector terms the message leaves out ("without XOM and CVX",
    "ex-energy")."""
    tickers: list[str] = []
    sectors: list[str] = []
    for match in _EXCLUDE.finditer(scan.free):
        named = False
        for part in re.split(r"\s*,\s*|\s+and\s+|\s+or\s+|\s+nor\s+", match.group(1)):
            kind, name = _resolve(part, known)
            if kind == "asset" and name not in tickers:
                tickers.append(name)
            elif kind == "sector" and name not in sectors:
                sectors.append(name)
            else:
                continue
            named = True
        if named:
            scan.consume(match)
    return tuple(tickers), tuple(sectors)


_LEVERAGE = re.compile(
    r"(?<!\d)(\d+(?:\.\d+)?)\s*x\s+(?:leverage|levered|gross)|\blever(?:age|ed)\b|\bon margin\b"
)
_SHORTS = re.compile(
    r"\b(?:allow(?:ing)?\s+)?short(?:s|ing| positions| selling| sales)\b|\blong[\s/-]short\b"
)
_BENCHMARK = re.compile(
    r"\b(?:relative to|against|versus|vs\.?|benchmark(?:ed)? (?:to|against)|tracking error "
    r"(?:to|against|vs\.?|versus)|track(?:ing)?)\s+(?:the\s+)?(s&p(?: 500)?|spy|the index|index|"
    r"msci [a-z]+|[a-z]+ index)"
)


def _unsupported(scan: Scanner) -> tuple[str, ...]:
    """What the message asks that a long-only, fully invested build cannot keep, in words."""
    said = []
    if match := _LEVERAGE.search(scan.free):
        amount = f" of {match.group(1)}x" if match.group(1) else ""
        said.append(
            f"leverage{amount}: portfolios here are fully invested and unlevered (a strategy "
            "search can lever its risky sleeve: max_leverage)"
        )
    if _SHORTS.search(scan.free):
        said.append("short positions: portfolios here are long-only")
    if match := _BENCHMARK.search(scan.free):
        said.append(
            f"tracking {match.group(1)}: portfolios are built on their own risk and return, not "
            "against a benchmark (its beta and tracking error can be reported)"
        )
    return tuple(said)
