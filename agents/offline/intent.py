"""Intent and slot parsing of a portfolio manager's chat message, by rules (regular expressions).

`parse_intent(text, known_tickers)` returns an `Intent`: what the user wants (one of
`INTENTS`) and the slots found in the text (tickers, method, percentages as fractions, dates,
scenarios, weight functions, target volatility, trial budget, risk limits, ...). It is what the
offline supervisor uses to route a message and to turn a conversation into a request; it never
guesses beyond the text: a slot that isn't mentioned stays empty.

The intent is chosen by scoring cue phrases per intent (a method name counts for
``optimize_portfolio``, "trials" for ``search_strategy``, "CVaR" for ``risk_report``, ...);
``approve`` / ``reject`` are short confirmations or refusals without actionable content
("go ahead", "no, cancel"); a message that asks what the assistant can do is ``help``; one that
matches nothing is ``smalltalk`` if it is a greeting or thanks, else ``unclear`` (the supervisor
then asks a question about what is missing).

Before parsing, common misspellings of the domain's key words are corrected ("buld" -> "build",
"sharp" -> "sharpe", `correct_typos`). Upper-case words that look like tickers but are not in the
data are kept as `unknown_tickers`, so that they are named instead of silently dropped.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from quant.regimes import REGIME_NAMES, RegimeName

IntentName = Literal[
    "optimize_portfolio",
    "risk_report",
    "market_overview",
    "scenarios",
    "backtest",
    "search_strategy",
    "explain",
    "approve",
    "reject",
    "help",
    "smalltalk",
    "unclear",
]
INTENTS: tuple[IntentName, ...] = (
    "optimize_portfolio",
    "risk_report",
    "market_overview",
    "scenarios",
    "backtest",
    "search_strategy",
    "explain",
    "approve",
    "reject",
    "help",
    "smalltalk",
    "unclear",
)
Method = Literal["hrp", "risk_parity", "min_volatility", "max_sharpe", "frontier"]


@dataclass(frozen=True)
class Intent:
    """A parsed chat message. Empty slots mean "not mentioned".

    - `tickers`: known symbols in order of mention; `all_tickers` when the user asks for the
      whole universe ("all stocks", "the entire universe").
    - `numbers`: plain numbers outside dates and percentages; `percentages`: every percentage,
      as a fraction ("10%", "10 percent" -> 0.10).
    - `start` / `end`: ISO dates ("since 2018" -> start 2018-01-01; "2015-2019" -> 2015-01-01 to
      2019-12-31); `lookback_years` for "the last 5 years".
    - `scenarios`, `weight_functions`, `parameters` (StrategyConfig fields mentioned, e.g.
      ``target_vol``), `target_vol` (fraction), `budget` (trials), `confidence` ("95% CVaR" ->
      0.95), `risk_limits` (``max_drawdown``, ``cvar``, ``var``, ``volatility`` as fractions,
      ``min_sharpe``), `revision` (the user changes an earlier request: "instead", "switch to").
    - `methods`: every portfolio method named, in order ("compare HRP and risk parity");
      `unknown_tickers`: upper-case ticker-like words not in the data; `asks_risk`: the message
      also asks for a risk measure (VaR, CVaR, drawdown, volatility of a portfolio);
      `equal_weight`: it mentions the equal-weight portfolio; `portfolio_ids`: portfolio ids
      named, in order (a conversation's ``pf_`` + 6 hex digits, or a saved portfolio's ``pf_`` +
      28 hex digits).
    """

    intent: IntentName
    text: str
    tickers: tuple[str, ...] = ()
    all_tickers: bool = False
    method: Method | None = None
    numbers: tuple[float, ...] = ()
    percentages: tuple[float, ...] = ()
    start: str | None = None
    end: str | None = None
    lookback_years: float | None = None
    scenarios: tuple[RegimeName, ...] = ()
    weight_functions: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    target_vol: float | None = None
    budget: int | None = None
    confidence: float | None = None
    risk_limits: dict[str, float] = field(default_factory=dict)
    revision: bool = False
    methods: tuple[Method, ...] = ()
    unknown_tickers: tuple[str, ...] = ()
    asks_risk: bool = False
    equal_weight: bool = False
    portfolio_ids: tuple[str, ...] = ()

    def universe(self, known_tickers: Sequence[str]) -> list[str]:
        """The tickers asked for: all known ones for `all_tickers`, else those mentioned."""
        return list(known_tickers) if self.all_tickers else list(self.tickers)

    def slots(self) -> dict[str, Any]:
        """The non-empty slots as a dict (for prompts, logs and tests)."""
        return {
            key: value
            for key, value in asdict(self).items()
            if key not in ("intent", "text") and value not in (None, (), {}, False)
        }


def parse_intent(text: str, known_tickers: Sequence[str]) -> Intent:
    """Parse `text` into an `Intent`; tickers are recognised only among `known_tickers`."""
    portfolio_ids = tuple(dict.fromkeys(_PORTFOLIO_ID.findall(text)))
    text = correct_typos(_PORTFOLIO_ID.sub(" ", text))
    scan = _Scanner(text)
    methods = _all_methods(scan.free)
    start, end = _dates(scan)
    lookback = _lookback(scan)
    budget = _budget(scan)
    confidence = _confidence(scan)
    target_vol = _target_vol(scan)
    limits = _risk_limits(scan)
    percentages = _percentages(scan)
    revision = bool(_REVISION.search(scan.low))
    method = _method(scan)
    numbers = _numbers(scan)
    slots: dict[str, Any] = {
        "tickers": _tickers(text, known_tickers),
        "all_tickers": bool(_ALL_TICKERS.search(scan.low)),
        "method": method,
        "numbers": numbers,
        "percentages": percentages,
        "start": start,
        "end": end,
        "lookback_years": lookback,
        "scenarios": _scenarios(scan.low),
        "weight_functions": _found(_WEIGHT_FUNCTIONS, scan.low),
        "parameters": _found(_PARAMETERS, scan.low),
        "target_vol": target_vol,
        "budget": budget,
        "confidence": confidence,
        "risk_limits": limits,
        "revision": revision,
    }
    extras: dict[str, Any] = {
        "methods": methods,
        "unknown_tickers": _unknown_tickers(text, known_tickers),
        "asks_risk": bool(_RISK_ASK.search(scan.low)),
        "equal_weight": bool(_EQUAL_WEIGHT.search(scan.low)),
        "portfolio_ids": portfolio_ids,
    }
    return Intent(intent=_classify(scan, slots), text=text, **slots, **extras)


_PORTFOLIO_ID = re.compile(r"\bpf_(?:[0-9a-f]{28}|[0-9a-f]{6})\b")
_RISK_ASK = re.compile(r"\bc?var\b|value at risk|expected shortfall|\bdrawdown|\brisk report\b")
_EQUAL_WEIGHT = re.compile(r"\bequal[\s-]*weight\w*|\b1\s*/\s*n\b|\bnaive portfolio\b")

_VOCABULARY = (
    "build",
    "sharpe",
    "portfolio",
    "volatility",
    "parity",
    "drawdown",
    "frontier",
    "hierarchical",
    "optimize",
    "optimise",
    "compare",
)
"""Words whose misspellings `correct_typos` repairs."""

_NOT_TYPOS = frozenset(
    [
        "share",
        "shares",
        "shape",
        "shapes",
        "volatile",
        "research",
        "built",
        "guild",
        "parties",
        "party",
        "frontiers",
    ]
)
"""Real words close to a `_VOCABULARY` word, never "corrected"."""


def correct_typos(text: str) -> str:
    """`text` with misspelled key words replaced ("buld" -> "build", "sharp" -> "sharpe",
    "portfolo" -> "portfolio"): words of 4+ letters within a similarity of 0.8 of one."""
    import difflib

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low in _VOCABULARY or low in _NOT_TYPOS or word.isupper():
            return word
        close = difflib.get_close_matches(low, _VOCABULARY, n=1, cutoff=0.8)
        return close[0] if close else word

    return re.sub(r"\b[A-Za-z]{4,}\b", fix, text)


def _all_methods(free: str) -> tuple[Method, ...]:
    """Every method named, in order of first mention (none after "instead of" / "not")."""
    cleared = re.sub(
        rf"(?:instead of|rather than|not)\s+(?:the\s+|a\s+)?(?:{_ANY_METHOD})", " ", free
    )
    hits: dict[Method, int] = {}
    for name, pattern in _METHODS:
        if hit := re.search(pattern, cleared):
            hits[name] = hit.start()
    return tuple(sorted(hits, key=lambda name: hits[name]))


_NOT_TICKERS = frozenset(
    [
        "I",
        "A",
        "HRP",
        "VAR",
        "CVAR",
        "CAGR",
        "ETF",
        "ETFS",
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "OK",
        "PM",
        "AM",
        "MAX",
        "MIN",
        "AND",
        "OR",
        "THE",
        "OF",
        "IN",
        "ON",
        "US",
        "UK",
        "EU",
        "AI",
        "CEO",
        "CFO",
        "YTD",
        "QTD",
        "MTD",
        "IRR",
        "NAV",
        "GDP",
        "CPI",
        "FED",
        "VIX",
        "BPS",
        "MDD",
        "DD",
        "TPE",
        "GBM",
        "VS",
        "ALL",
        "PDF",
        "CSV",
        "JSON",
        "API",
        "ID",
        "ME",
        "MY",
        "IS",
        "IT",
        "TO",
        "BE",
        "DO",
        "SO",
        "NO",
        "YES",
        "HI",
        "SP",
        "S",
        "P",
        "N",
        "RP",
        "MV",
        "ERC",
        "IVP",
        "ES",
    ]
)
"""Upper-case words that are not tickers (finance acronyms and short English words)."""


def _unknown_tickers(text: str, known: Sequence[str]) -> tuple[str, ...]:
    words = re.findall(r"\b[A-Za-z][A-Za-z.]*\b", text)
    shouted = [w for w in words if len(w) > 1 and w.isupper()]
    if len(shouted) * 2 > len(words):
        return ()  # all capitals: no way to tell tickers from words
    known_set = {t.upper() for t in known}
    found: dict[str, None] = {}
    for match in re.finditer(r"\$?\b([A-Z][A-Z.]{0,5})\b", text):
        token = match.group(1).rstrip(".")
        if token and token not in known_set and token not in _NOT_TICKERS:
            found.setdefault(token, None)
    return tuple(found)


# --------------------------------------------------------------------------------------------
# Scanning helpers
# --------------------------------------------------------------------------------------------


class _Scanner:
    """The lower-cased text plus a copy in which consumed spans are blanked out."""

    def __init__(self, text: str) -> None:
        self.low = " ".join(text.lower().replace("’", "'").split())
        self.free = self.low

    def consume(self, match: re.Match[str], group: int = 0) -> None:
        a, b = match.span(group)
        self.free = self.free[:a] + " " * (b - a) + self.free[b:]


_NUM = r"(\d+(?:\.\d+)?)"
_PCT = _NUM + r"\s*(?:%|percent\b|per cent\b|pct\b)"
_PCT_RE = re.compile(_PCT)


def _fraction(number: str, percent: bool = True) -> float:
    value = float(number)
    return value / 100.0 if percent or value > 1.0 else value


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_DATE = re.compile(
    r"\b(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"|(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\s+(\d{4})"
    r"|((?:19|20)\d{2})(?![\d.,]|\s*(?:%|percent|pct|trials?|paths?|evaluations?|evals?|"
    r"iterations?|days?|samples?|simulations?|points?|configs?|candidates?|bps|basis)))\b"
)
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|to|through|thru|until|till|and)\s*")
_START_CUE = re.compile(r"(?:since|from|starting(?: in| from)?|after|beginning(?: in)?|as of)\s*$")
_END_CUE = re.compile(r"(?:until|till|to|through|thru|up to|before|ending(?: in)?|end of)\s*$")


def _date_bounds(match: re.Match[str]) -> tuple[str, str]:
    if match.group(1):
        y, m, d = int(match.group(1)), int(match.group(2)), int(match.group(3))
        iso = f"{y:04d}-{m:02d}-{d:02d}"
        return iso, iso
    if match.group(4):
        y, m = int(match.group(5)), _MONTHS[match.group(4)]
        last = calendar.monthrange(y, m)[1]
        return f"{y:04d}-{m:02d}-01", f"{y:04d}-{m:02d}-{last:02d}"
    y = int(match.group(6))
    return f"{y:04d}-01-01", f"{y:04d}-12-31"


def _dates(scan: _Scanner) -> tuple[str | None, str | None]:
    matches = list(_DATE.finditer(scan.low))
    start: str | None = None
    end: str | None = None
    i = 0
    while i < len(matches):
        match = matches[i]
        lo, hi = _date_bounds(match)
        before = scan.low[: match.start()]
        nxt = matches[i + 1] if i + 1 < len(matches) else None
        if nxt and _RANGE_JOIN.fullmatch(scan.low[match.end() : nxt.start()]):
            start, end = lo, _date_bounds(nxt)[1]
            scan.consume(match)
            scan.consume(nxt)
            i += 2
            continue
        if _END_CUE.search(before):
            end = hi
        elif _START_CUE.search(before) or start is None:
            start = lo
            if re.search(r"\b(?:in|during|for|over)\s*$", before):
                end = hi
        scan.consume(match)
        i += 1
    return start, end


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "a": 1}
_LOOKBACK = re.compile(
    r"\b(?:last|past|previous|trailing|recent)\s+(\d+(?:\.\d+)?|one|two|three|four|five|ten)?"
    r"\s*(years?|decades?)\b"
)


def _lookback(scan: _Scanner) -> float | None:
    match = _LOOKBACK.search(scan.free)
    if not match:
        return None
    raw = match.group(1) or "1"
    count = float(_WORD_NUMBERS[raw]) if raw in _WORD_NUMBERS else float(raw)
    scan.consume(match)
    return count * (10.0 if match.group(2).startswith("decade") else 1.0)


# --------------------------------------------------------------------------------------------
# Numbers with a meaning
# --------------------------------------------------------------------------------------------

_BUDGET = re.compile(
    r"\b(\d[\d,]*)\s*(?:trials?|evaluations?|evals?|iterations?|configs?|configurations?|"
    r"candidates?|samples?)\b"
    r"|\b(?:budget|n_trials|max trials)\s*(?:of|:|=|to)?\s*(\d[\d,]*)\b(?!\s*%)"
)


def _budget(scan: _Scanner) -> int | None:
    match = _BUDGET.search(scan.free)
    if not match:
        return None
    scan.consume(match)
    return int((match.group(1) or match.group(2)).replace(",", ""))


_TAIL_METRIC = r"(c?var|value[\s-]at[\s-]risk|expected shortfall|conditional value[\s-]at[\s-]risk)"
_CONFIDENCE = [
    re.compile(
        _PCT + r"\s*(?:confidence\s+)?(?:level\s+)?(?:one[\s-]day\s+|daily\s+)?" + _TAIL_METRIC
    ),
    re.compile(_TAIL_METRIC + r"\s*(?:at|@)\s*(?:the\s+)?(?:a\s+)?" + _PCT),
    re.compile(r"confidence(?:\s+level)?\s*(?:of|at|=|:)?\s*" + _PCT),
    re.compile(_PCT + r"\s*(?:confidence|level)\b"),
]


def _confidence(scan: _Scanner) -> float | None:
    for pattern in _CONFIDENCE:
        match = pattern.search(scan.free)
        if match:
            group = next(i for i in range(1, 3) if (match.group(i) or "")[:1].isdigit())
            value = float(match.group(group)) / 100.0
            if 0.5 <= value < 1.0:
                scan.consume(match, group)
                return value
    return None


_TARGET_VOL = [
    re.compile(
        r"(?:target(?:ing|ed)?[\s_-]*vol(?:atility)?|vol(?:atility)?[\s_-]*target)"
        r"\s*(?:of|at|to|=|:|around|about|near|level of)?\s*(?:of\s+)?(?:about\s+)?"
        + _NUM
        + r"\s*(%|percent\b|pct\b)?"
    ),
    re.compile(
        _PCT
        + r"\s*(?:annual(?:ised|ized)?\s+)?(?:target[\s_-]*vol(?:atility)?|vol(?:atility)?[\s_-]*target)"
    ),
    re.compile(r"target(?:ing)?\s+(?:an?\s+)?" + _PCT + r"\s*(?:annual(?:ised|ized)?\s+)?vol"),
]


def _target_vol(scan: _Scanner) -> float | None:
    for n, pattern in enumerate(_TARGET_VOL):
        match = pattern.search(scan.free)
        if match:
            percent = n > 0 or bool(match.group(2))
            scan.consume(match, 1)
            return _fraction(match.group(1), percent)
    return None


_LIMIT_METRICS = {
    "max_drawdown": r"(?:max(?:imum)?\.?[\s-]+)?draw[\s-]?downs?|\bmdd\b",
    "cvar": r"\bcvar\b|expected shortfall|conditional value[\s-]at[\s-]risk",
    "var": r"\bvar\b|value[\s-]at[\s-]risk",
    "volatility": r"(?<!target )(?<!target-)\bvol(?:atility)?\b",
}
_COMPARATOR = (
    r"(?:under|below|less than|lower than|at most|no more than|no greater than|not (?:above|over|"
    r"exceeding|more than)|within|up to|capped at|limited to|limit of|cap of|<=|≤|<|of|max(?:imum)?"
    r"(?: of)?|:|=)"
)
_KEEP = r"(?:(?:should|must|to|has to|needs to)\s+)?(?:(?:be|stay|remain|kept|keep it)\s+)?"


def _risk_limits(scan: _Scanner) -> dict[str, float]:
    limits: dict[str, float] = {}
    for name, metric in _LIMIT_METRICS.items():
        forward = re.compile(rf"(?:{metric})\s*{_KEEP}{_COMPARATOR}?\s*{_PCT}")
        backward = re.compile(rf"{_COMPARATOR}\s+{_PCT}\s+(?:of\s+)?(?:{metric})")
        for pattern in (forward, backward):
            match = pattern.search(scan.free)
            if match is None:
                continue
            value = _fraction(match.group(1))
            if name in ("cvar", "var") and value >= 0.5:
                continue  # "CVaR 95%" is a confidence level, not a limit
            limits[name] = value
            scan.consume(match)
            break
    sharpe = re.search(
        r"sharpe(?: ratio)?\s*(?:of\s+)?(?:above|over|at least|greater than|>=|>|≥)\s*" + _NUM,
        scan.free,
    )
    if sharpe:
        limits["min_sharpe"] = float(sharpe.group(1))
        scan.consume(sharpe)
    return limits


def _percentages(scan: _Scanner) -> tuple[float, ...]:
    """Every percentage of the text (including those read as limits or targets)."""
    values = tuple(_fraction(m.group(1)) for m in _PCT_RE.finditer(scan.low))
    for match in _PCT_RE.finditer(scan.free):
        scan.consume(match)
    return values


def _numbers(scan: _Scanner) -> tuple[float, ...]:
    """Plain numbers outside dates and percentages (budgets and others included)."""
    visible = scan.low
    for pattern in (_DATE, _PCT_RE):
        visible = pattern.sub(lambda m: " " * len(m.group(0)), visible)
    found = re.finditer(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w.%])", visible)
    return tuple(float(m.group(1).replace(",", "")) for m in found)


# --------------------------------------------------------------------------------------------
# Words with a meaning
# --------------------------------------------------------------------------------------------

_METHODS: list[tuple[Method, str]] = [
    ("hrp", r"\bhrp\b|hierarchical(?:[\s-]+risk[\s-]+parity)?"),
    ("risk_parity", r"risk[\s_-]*parity|equal[\s-]*risk(?:[\s-]*contributions?)?|\berc\b"),
    (
        "min_volatility",
        r"\bmin(?:imum|imal|imise|imize)?[\s_-]*(?:vol(?:atility)?|variance|var|risk)\b"
        r"|lowest[\s-]*(?:vol(?:atility)?|risk|variance)|least volatile|\bgmv\b",
    ),
    (
        "max_sharpe",
        r"\bmax(?:imum|imal|imise|imize)?[\s_-]*sharpe|tangency|(?:highest|best)\s+sharpe"
        r"|best risk[\s-]adjusted",
    ),
    ("frontier", r"\bfrontier\b"),
]
_ANY_METHOD = "|".join(f"(?:{p})" for _, p in _METHODS)


def _method(scan: _Scanner) -> Method | None:
    for match in re.finditer(
        rf"(?:instead of|rather than|not)\s+(?:the\s+|a\s+)?(?:{_ANY_METHOD})", scan.free
    ):
        scan.consume(match)
    best: tuple[int, Method] | None = None
    for name, pattern in _METHODS:
        hit = re.search(pattern, scan.free)
        if hit and (best is None or hit.start() < best[0]):
            best = (hit.start(), name)
    if best is None:
        return None
    for _, pattern in _METHODS:
        for match in re.finditer(pattern, scan.free):
            scan.consume(match)
    return best[1]


_SCENARIO_PATTERNS: dict[RegimeName, str] = {
    "bull": r"\bbull(?:ish|s)?\b|\brally\b|\bboom\b",
    "bear": r"\bbear(?:ish|s)?\b|\bcrash\w*|\bdownturns?\b|\brecessions?\b|sell[\s-]?off|\bcrisis\b",
    "high_vol": r"\bhigh[\s_-]*vol(?:atility)?\b|\bvolatile markets?\b|\bturbulen\w*",
    "low_vol": r"\blow[\s_-]*vol(?:atility)?\b|\bcalm\b|\bquiet markets?\b",
    "base": r"\bbase[\s_-]?(?:case|line|scenario)\b|\bnormal (?:market|conditions|regime)s?\b",
}


def _scenarios(low: str) -> tuple[RegimeName, ...]:
    if re.search(r"\b(?:all|every|each)(?: of the)?(?: five| 5)? scenarios?\b", low):
        return REGIME_NAMES
    hits = [(m.start(), name) for name, p in _SCENARIO_PATTERNS.items() if (m := re.search(p, low))]
    return tuple(name for _, name in sorted(hits))


_WEIGHT_FUNCTIONS = {
    "inverse_vol": r"inverse[\s_-]*vol(?:atility)?|\binv[\s_-]?vol\b",
    "sigmoid": r"\bsigmoid\b|\blogistic\b",
    "merton": r"\bmerton\b",
}
_PARAMETERS = {
    "target_vol": r"target[\s_-]*vol|vol(?:atility)?[\s_-]*target",
    "weight_function": r"weight(?:ing)?[\s_-]*(?:function|rule)",
    "lookback": r"look[\s_-]*back|estimation window",
    "rebalance_every": r"rebalanc\w*",
    "max_leverage": r"leverage",
    "risk_aversion": r"risk[\s_-]*aversion|\bgamma\b",
    "steepness": r"steepness|\bkappa\b",
    "cost_bps": r"\bcosts?\b|\bfees?\b|\bbps\b|basis points|cost_bps",
    "sleeve": r"\bsleeve\b",
}


def _found(patterns: dict[str, str], low: str) -> tuple[str, ...]:
    hits = [(m.start(), name) for name, p in patterns.items() if (m := re.search(p, low))]
    return tuple(name for _, name in sorted(hits))


_ALL_TICKERS = re.compile(
    r"\ball (?:the |of the |our )?(?:\d+ )?(?:assets|stocks|tickers|names|equities|securities|"
    r"holdings|companies)\b|\b(?:whole|entire|full) (?:universe|dataset|s&p)\b|\bevery (?:stock|"
    r"asset|ticker)\b|\bthe universe\b"
)
_COMPANY_NAMES = {
    "apple": "AAPL",
    "microsoft": "MSFT",
    "johnson & johnson": "JNJ",
    "johnson and johnson": "JNJ",
    "j&j": "JNJ",
    "jpmorgan": "JPM",
    "jp morgan": "JPM",
    "exxon": "XOM",
    "chevron": "CVX",
    "coca-cola": "KO",
    "coca cola": "KO",
    "pepsi": "PEP",
    "pepsico": "PEP",
    "pfizer": "PFE",
    "procter": "PG",
    "merck": "MRK",
    "walmart": "WMT",
    "home depot": "HD",
    "general electric": "GE",
    "bank of america": "BAC",
    "best buy": "BBY",
    "eli lilly": "LLY",
    "unitedhealth": "UNH",
    "range resources": "RRC",
    "nvidia": "NVDA",
    "amazon": "AMZN",
    "alphabet": "GOOGL",
    "google": "GOOGL",
    "tesla": "TSLA",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = _words(
    "all and any are can for has how its not now one our out the was who why you use run set "
    "max min var vol new top low big buy key pay per see way bear bull base"
)


def _tickers(text: str, known: Sequence[str]) -> tuple[str, ...]:
    known_set = {t.upper(): t for t in known}
    hits: list[tuple[int, str]] = []
    for match in re.finditer(r"\$?\b([A-Za-z][A-Za-z0-9.\-]{0,6})\b", text):
        token = match.group(1).rstrip(".-")
        upper = token.upper()
        if upper not in known_set:
            continue
        explicit = token.isupper() or match.group(0).startswith("$")
        if explicit or (len(token) >= 3 and token.lower() not in _STOPWORDS):
            hits.append((match.start(), known_set[upper]))
    low = text.lower()
    for name, ticker in _COMPANY_NAMES.items():
        if ticker in known_set and (m := re.search(rf"\b{re.escape(name)}", low)):
            hits.append((m.start(), known_set[ticker]))
    seen: dict[str, None] = {}
    for _, ticker in sorted(hits):
        seen.setdefault(ticker, None)
    return tuple(seen)


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

_REVISION = re.compile(
    r"\binstead\b|\brather\b|\bswitch (?:to|it|over)\b|\bchange (?:it |that |this |the \w+ )?to\b"
    r"|\bmake it\b|\bactually\b|\buse \w+(?: \w+)? now\b"
)
_APPROVE_STRONG = _words(
    "yes yeah yep yup ok okay sure approve approved confirm confirmed proceed go lgtm do launch "
    "ship run start agreed"
)
_APPROVE_PHRASE = re.compile(r"\b(?:sounds|looks) (?:good|great|fine)\b|\bperfect\b|fine by me")
_APPROVE_FILLER = _words(
    "please thanks thank you now then it that this the ahead for with plan looks sounds let's "
    "lets i and all right alright good great fine perfect by me that's it's"
)
_REJECT_STRONG = _words(
    "no nope nah not cancel cancelled abort stop reject rejected don't dont never forget scrap "
    "drop decline declined"
)
_REJECT_FILLER = _words(
    "please thanks it that this the run plan i mind do changed my actually let's lets want to "
    "now thank you go ahead"
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|thanks|thank you|cheers|"
    r"how are you|nice|great|cool|bye|goodbye)\b"
)
_HELP = re.compile(
    r"\bhelp\b|what can you do|what do you do|how do i\b|how does (?:this|it) work|\bcommands?\b"
    r"|\busage\b|\bcapabilit\w*|what (?:can|should) i ask"
)

_CUES: dict[IntentName, list[tuple[str, float]]] = {
    "search_strategy": [
        (
            r"\bhyper[\s-]?param\w*|\btun(?:e|ing)\b|\bsweep\b|grid search|random search|\btpe\b"
            r"|\boptuna\b|\bcalibrat\w*",
            3.0,
        ),
        (r"\bsearch\b", 2.0),
        (r"\btrials?\b", 3.0),
        (r"\bsettings?\b|\bparameters?\b|\bparams\b|\bconfig(?:uration)?s?\b", 1.5),
        (
            r"\b(?:find|identify|pick|choose|look for)\b.*\b(?:best|optimal|robust|right|ideal)\b",
            1.0,
        ),
        (r"\bholds? up\b|\brobust\w*\b", 1.0),
        (r"\bstrateg(?:y|ies)\b", 1.0),
        (
            r"\boptimi[sz]\w*\s+(?:the\s+|my\s+)?(?:strategy|parameters|settings|allocation rule)",
            3.0,
        ),
    ],
    "backtest": [
        (r"\bback[\s-]?test\w*", 5.0),
        (
            r"\bhow (?:would|did|does) .*\b(?:perform\w*|do|done|fare\w*)\b|historical(?:ly)? "
            r"performance|track record",
            2.0,
        ),
    ],
    "optimize_portfolio": [
        (r"\bportfolios?\b", 1.0),
        (r"\b(?:build|construct|create|make|allocate|allocation|weights?|rebalance|invest)\b", 1.0),
        (r"\boptimi[sz]\w*", 1.0),
    ],
    "risk_report": [
        (
            r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|tail risk|risk report"
            r"|risk contributions?|how risky|risk profile|\brisk metrics\b",
            3.0,
        ),
        (r"\bdrawdowns?\b", 1.5),
        (r"\brisk\b", 0.5),
    ],
    "scenarios": [
        (r"\bscenarios?\b", 3.0),
        (r"stress[\s-]?test\w*|monte carlo|\bsimulat\w*|\bwhat if\b", 3.0),
        (r"\bpaths?\b", 1.0),
    ],
    "market_overview": [
        (
            r"\bregimes?\b|\btrend\w*|\bcorrelat\w*|overview|\bstatistics\b|\bstats\b"
            r"|market (?:conditions|state)",
            2.0,
        ),
        (r"\bmarkets?\b", 1.0),
        (r"\bhow (?:is|are|'s) (?:the )?markets?\b", 3.0),
    ],
    "explain": [
        (
            r"\bexplain\w*|\bwhy\b|how come|\breason\w*|walk me through|what drove|\bjustify|"
            r"rationale|\binterpret\w*",
            3.0,
        ),
    ],
}
_PRIORITY: tuple[IntentName, ...] = (
    "search_strategy",
    "backtest",
    "risk_report",
    "optimize_portfolio",
    "scenarios",
    "market_overview",
    "explain",
)
_QUESTION = re.compile(r"^(?:what|what's|whats|how|show|give|compute|calculate|tell|report)\b")


def _actionable(slots: dict[str, Any]) -> bool:
    keys = ("tickers", "method", "numbers", "percentages", "scenarios", "start", "budget")
    return any(slots[k] for k in keys) or bool(slots["risk_limits"])


def _classify(scan: _Scanner, slots: dict[str, Any]) -> IntentName:
    low = scan.low
    words = re.findall(r"[a-z']+", low)
    actionable = _actionable(slots) or slots["revision"]
    if words and not actionable:
        word_set = set(words)
        if word_set & _REJECT_STRONG and word_set <= _REJECT_STRONG | _REJECT_FILLER:
            return "reject"
        approving = bool(word_set & _APPROVE_STRONG) or bool(_APPROVE_PHRASE.search(low))
        if approving and word_set <= _APPROVE_STRONG | _APPROVE_FILLER:
            return "approve"
        if re.search(r"\b(?:cancel|abort|reject|scrap)\b", low) or re.match(
            r"(?:no|nope|nah)\b", low
        ):
            return "reject"
    scores: dict[IntentName, float] = {}
    for intent, cues in _CUES.items():
        text = scan.free if intent == "risk_report" else low  # limits don't ask for a report
        scores[intent] = sum(weight for pattern, weight in cues if re.search(pattern, text))
    if slots["method"]:
        scores["optimize_portfolio"] += 3.0
    if slots["budget"]:
        scores["search_strategy"] += 3.0
    if slots["risk_limits"]:
        scores["search_strategy"] += 1.0
    if slots["weight_functions"] or slots["parameters"] or slots["target_vol"] is not None:
        scores["search_strategy"] += 1.0
    if slots["confidence"] is not None:
        scores["risk_report"] += 1.0
    if scores["risk_report"] >= 1.5 and _QUESTION.match(low):
        scores["risk_report"] += 2.0
    if slots["scenarios"]:
        scores["scenarios"] += 1.0
    best = max(_PRIORITY, key=lambda name: (scores[name], -_PRIORITY.index(name)))
    if _HELP.search(low) and scores[best] < 3.0:
        return "help"
    if scores[best] > 0:
        return best
    if slots["tickers"] or slots["all_tickers"]:
        return "market_overview"
    return "smalltalk" if _GREETING.match(low) else "unclear"
