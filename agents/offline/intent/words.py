"""Words with a meaning: methods, scenarios, weight functions, parameters, tickers and company
names (and upper-case words that look like tickers but are not in the data)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agents.offline.intent.names import Method
from agents.offline.intent.scanner import Scanner
from quant.classification import matching
from quant.regime_names import REGIME_NAMES, RegimeName
from services.spelling import typo_of
from settings import patterns


def read_all_methods(free: str) -> tuple[Method, ...]:
    """Every method named, in order of first mention (none after "instead of" / "not")."""
    cleared = _NOT_A_METHOD.sub(" ", free)
    hits: dict[Method, int] = {}
    for name, pattern in _METHOD_PATTERNS:  # each read once: "hierarchical risk parity": HRP
        found = list(pattern.finditer(cleared))
        if found:
            hits[name] = found[0].start()
        for hit in found:
            cleared = (
                cleared[: hit.start()] + " " * (hit.end() - hit.start()) + cleared[hit.end() :]
            )
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
        "EW",
        "MV",
        "MVO",
        "ERC",
        "IVP",
        "ES",
        "GFC",
        "COVID",
        "YOY",
        "PNL",
        "PL",
        "LOL",
        "PLS",
        "FYI",
        "ASAP",
        # the software's own words, in questions about Stratigos ("do I need AWS credentials?")
        "AWS",
        "CLI",
        "MCP",
        "UI",
        "URL",
        "SQL",
        "LLM",
        "SSO",
        "MFA",
        "IAM",
        "VPN",
        "OS",
        "SDK",
        "HTTP",
        "REST",
        "SMTP",
        "SES",
        "SQS",
        "CDK",
        "EC2",
    ]
)
"""Upper-case words that are not tickers (finance acronyms and short English words)."""


def read_unknown_tickers(text: str, known: Sequence[str]) -> tuple[str, ...]:
    """Ticker-like words that are not in the data, in order: upper-case ones ("TSLA"), the
    lower-case members of a list of tickers ("aapl, tsla and ko": TSLA) and companies named
    whose ticker is not in the data ("tesla")."""
    known_set = {t.upper() for t in known}
    words = [w for w in _WORD.findall(text) if w.upper() not in known_set]
    shouted = [w for w in words if len(w) > 1 and w.isupper()]
    found: dict[str, None] = {}
    if len(shouted) * 2 <= len(words):  # else capitals: words or tickers? no way to tell
        # a company's name is not read for tickers ("J&J" is JNJ, not J)
        unnamed = _COMPANY_WORDS.sub(lambda m: " " * len(m[0]), text)
        for match in _SHOUTED.finditer(unnamed):
            token = match.group(1).rstrip(".")
            if token and token not in known_set and token not in _NOT_TICKERS:
                found.setdefault(token, None)
    for match in _WEIGHTED.finditer(text):  # "50% TLT": a ticker however the message is written
        if (token := match.group(1).rstrip(".")) not in known_set and token not in _NOT_TICKERS:
            found.setdefault(token, None)
    for token in [*_listed_words(text, known_set), *_mistyped_in_runs(text, known_set)]:
        found.setdefault(token, None)
    for ticker, _ in _company_names(text, whole=True):
        if ticker not in known_set:
            found.setdefault(ticker, None)
    return tuple(found)


_WEIGHTED = patterns.compile(
    r"(?<![\w.])\d{1,3}(?:\.\d+)?\s*%\s+(?:of\s+|in\s+)?\$?([A-Z][A-Z.]{0,5})\b"
)
"""An upper-case word after a weight ("50% TLT", "40% in GLD"): a ticker however many capitals
the message has."""
_WORD = patterns.compile(r"\b[A-Za-z][A-Za-z.]*\b")
"""A word of letters and dots."""
_SHOUTED = patterns.compile(r"\$?\b([A-Z][A-Z.]{0,5})\b")
"""An upper-case word that may be a ticker (group 1)."""
_LIST_ITEM = patterns.compile(r"\$?[A-Za-z][A-Za-z.]*")
"""A word of a list of tickers."""

_LIST = patterns.compile(
    r"(?<![\w$])\$?[a-z][a-z.]{0,5}(?:(?:\s*[,/]\s*|\s+(?:and|&|or|plus)\s+|\s*,\s*(?:and|&)"
    r"\s+)\$?[a-z][a-z.]{0,5}){1,}(?![\w$])",
    re.IGNORECASE,
)


_LIST_END = patterns.compile(
    r"\s*(?:$|[.,;:?!)]|(?:since|between|during|until|capped|rebalanced|weighted)\b)",
    re.IGNORECASE,
)
"""What may follow the last word of a list of tickers (its end, or a phrase of the ask)."""


def _listed_words(text: str, known_set: set[str]) -> list[str]:
    """The lower-case words of a list of tickers that are not in the data ("aapl, tsla and ko":
    TSLA): a list of single words joined by commas, slashes or "and", at least one of them a
    known ticker written in lower case (its last word too when the list ends there and has a
    comma or two known tickers before it: "msft & aapl & googl since 2019"); a common word
    ("aapl, msft and more") is not a ticker."""
    found = []
    for match in _LIST.finditer(text):
        items = [w.lstrip("$").rstrip(".") for w in _LIST_ITEM.findall(match[0])]
        items = [w for w in items if w.lower() not in ("and", "or", "plus")]
        if not any(w.upper() in known_set and w.islower() for w in items):
            continue  # "limit, RRC": tickers written in capitals make a lower-case word a word
        listed = "," in match[0] or sum(w.upper() in known_set for w in items[:-1]) > 1
        if not _LIST_END.match(text, match.end()) or not listed:
            items = items[:-1]  # "bac, banks at most 20%", "xom and build": not a ticker
        for word in items:
            upper = word.upper()
            lowered = word.lower()
            if (
                word.islower()
                and upper not in known_set
                and 2 <= len(word) <= 5
                and lowered not in _STOPWORDS
                and lowered not in _SHORT_WORDS
                and lowered not in _COMMON_WORDS
                and upper not in _NOT_TICKERS
                and lowered not in COMPANY_NAMES
                and not matching(lowered)
            ):
                found.append(upper)
    return found


_SPACED = patterns.compile(r"(?<![\w$.])[a-z]{2,5}(?:[ \t]+[a-z]{2,5}){2,}(?![\w$])")


def _mistyped_in_runs(text: str, known_set: set[str]) -> list[str]:
    """Lower-case words one edit from a known ticker in a run of short words joined by spaces
    that holds two known tickers or more ("hrp on appl msft jpm": APPL, which the reply asks
    about); common words ("and", "for") are not tickers."""
    found = []
    for run in _SPACED.finditer(text):
        words = run.group(0).split()
        if sum(w.upper() in known_set for w in words) < 2:
            continue
        for word in words:
            if (
                word.upper() not in known_set
                and word not in _STOPWORDS
                and word not in _SHORT_WORDS
                and word not in _COMMON_WORDS
                and word.upper() not in _NOT_TICKERS
                and not ANY_METHOD_PATTERN.fullmatch(word)  # "erc": risk parity, not RRC
                and typo_of(word.upper(), known_set) is not None
            ):
                found.append(word.upper())
    return found


_HAD = ("had", "has", "have", "got", "delivered", "offered", "showed", "gave", "produced")
"""Verbs of a name that has a measure at its best ("which stock had the best Sharpe ratio?"):
the best named after them is a ranking of names, not the max-Sharpe method."""
_METHODS: list[tuple[Method, str]] = [
    ("hrp", r"\bhrp\b|hierarchical(?:[\s-]+risk[\s-]+parity)?"),
    (
        "inverse_volatility",  # a portfolio so weighted; a search's "inverse vol" is its rule
        r"\b(?:inverse|inv)[\s_-]*vol(?:atility)?(?:[\s_-]*(?:weight(?:ed|s|ing)?|parity))?\s+"
        r"(?:portfolio|mix|allocation|basket|book|weights?)\b"
        r"|\b(?:inverse|inv)[\s_-]*vol(?:atility)?[\s_-]+weighted\b"
        r"|\b(?:1|one)\s*/\s*(?:vol(?:atility)?|sigma|σ)[\s_-]*weight(?:ed|s|ing)?\b"
        r"|\b(?:weight\w*|allocat\w*)\s+(?:[\w,]+\s+){0,8}?(?:by|in proportion to"
        r"|proportional(?:ly)? to)\s+(?:(?:the|their|its)\s+)?(?:inverse(?:\s+(?:of\s+)?(?:the\s+"
        r"|their\s+|its\s+)?)?|1\s*/\s*)vol(?:atility)?\b"
        r"|\bnaive[\s_-]*risk[\s_-]*parity\b",
    ),
    (
        "risk_parity",
        r"risk[\s_-]*parity|equal[\s-]*risk(?:[\s-]*contributions?)?|\berc\b|\brp\b"
        # maximum diversification is not offered: risk parity is its closest method here,
        # and the ask accounting says the method asked was not used
        r"|\bmax(?:imum|imal|imise|imize)?[\s_-]*div(?:ersification|ersified)?\b(?!\s+yield)"
        r"|\bmost[\s-]+diversified\b",
    ),
    (
        "min_volatility",
        r"\bmin(?:imum|imal|imise|imize)?[\s_-]*(?:vol(?:atility)?|variance|var|risk)\b"
        r"|(?<!\bis the )(?<!\bwas the )(?<!\bhad the )(?<!\bhas the )(?:lowest[\s-]*(?:vol(?:atility)?"
        r"|risk|variance)|least volatile)"
        # "which is the least volatile?", "the 3 least volatile stocks" are questions
        r"\b(?!\s+(?:stocks?|names?|companies|shares|tickers|equities|sectors?|ones?)\b"
        r"(?!\s+(?:portfolio|mix|allocation|basket|book|blend)\b))|\bgmv\b"
        r"|\blow[\s-]*(?:vol(?:atility)?|risk|variance)\s+(?:mix|portfolio|allocation|basket|book"
        r"|blend|weights?|weighting|version)\b"
        # a defensive portfolio is read as the least volatile one (the reply names the method);
        # one held is described, not asked for ("I run a defensive book", "my conservative mix")
        r"|\b(?:(?:give|build|make|want|need|create|construct|get|design)\s+(?:me\s+|us\s+)?"
        r"(?:a|an|the)\s+(?:(?:less|least)[\s-]+risky|lower[\s-]+risk|less[\s-]+volatile|safer)"
        r"|(?<!\brun a )(?<!\bmanage a )(?<!\bhave a )(?<!\bown a )(?<!\bhold a )(?<!\bmy )(?<!\bour )"
        r"(?:defensive|conservative|safest|safe|low[\s-]*beta))\s+(?:mix|portfolio|allocation"
        r"|basket|book|blend)\b",
    ),
    (
        "max_sharpe",  # mean-variance optimisation with no other target: the tangency portfolio
        r"\bmax(?:imum|imal|imise|imize)?[\s_-]*sharpe?\b|tangency"
        # "which bank had the best Sharpe ratio?" (or "the best risk-adjusted return") asks which
        # name has it, not for a portfolio
        r"|"
        + "".join(rf"(?<!\b{verb} the )" for verb in _HAD)
        + r"(?:(?:highest|best)\s+sharpe|best risk[\s-]adjusted)"
        r"|\bmean[\s-]*variance\b(?![\s-]+(?:efficient\s+)?frontier)|\bmvo\b|\bmarkowitz\b",
    ),
    ("frontier", r"\bfrontier\b"),
]


ANY_METHOD = "|".join(f"(?:{p})" for _, p in _METHODS)
ANY_METHOD_PATTERN = patterns.compile(ANY_METHOD)
_METHOD_PATTERNS = [(name, patterns.compile(text)) for name, text in _METHODS]
_NOT_A_METHOD = patterns.compile(
    rf"(?:instead of|rather than|not)\s+(?:the\s+|a\s+)?(?:{ANY_METHOD})"
)
"""A method said not to be wanted ("instead of HRP")."""


def read_method(scan: Scanner) -> Method | None:
    for match in _NOT_A_METHOD.finditer(scan.free):
        scan.consume(match)
    best: tuple[int, Method] | None = None
    for name, pattern in _METHOD_PATTERNS:
        hit = pattern.search(scan.free)
        if hit and (best is None or hit.start() < best[0]):
            best = (hit.start(), name)
    if best is None:
        return None
    for _, pattern in _METHOD_PATTERNS:
        for match in pattern.finditer(scan.free):
            scan.consume(match)
    return best[1]


_SCENARIO_TEXTS: dict[RegimeName, str] = {
    "bull": r"\bbull(?:ish|s)?\b|\brally\b|\bboom\b",
    "bear": r"\bbear(?:ish|s)?\b|\bcrash\w*|\bdownturns?\b|\brecessions?\b|sell[\s-]?off|\bcrisis\b",
    "high_vol": r"\bhigh[\s_-]*vol(?:atility)?\b|\bvolatile markets?\b|\bturbulen\w*",
    "low_vol": r"\blow[\s_-]*vol(?:atility)?\b|\bcalm\b|\bquiet markets?\b",
    "base": r"\bbase[\s_-]?(?:case|line|scenarios?)\b|\bnormal (?:market|conditions|regime)s?\b",
}
_SCENARIO_PATTERNS = {name: patterns.compile(text) for name, text in _SCENARIO_TEXTS.items()}
_EVERY_SCENARIO = patterns.compile(r"\b(?:all|every|each)(?: of the)?(?: five| 5)? scenarios?\b")


def read_scenarios(low: str) -> tuple[RegimeName, ...]:
    if _EVERY_SCENARIO.search(low):
        return REGIME_NAMES
    hits = [(m.start(), name) for name, p in _SCENARIO_PATTERNS.items() if (m := p.search(low))]
    return tuple(name for _, name in sorted(hits))


WEIGHT_FUNCTIONS = {
    "inverse_vol": patterns.compile(r"inverse[\s_-]*vol(?:atility)?|\binv[\s_-]?vol\b"),
    "sigmoid": patterns.compile(r"\bsigmoid\b|\blogistic\b"),
    "merton": patterns.compile(r"\bmerton\b"),
}


PARAMETERS = {
    "target_vol": patterns.compile(r"target[\s_-]*vol|vol(?:atility)?[\s_-]*target"),
    "weight_function": patterns.compile(r"weight(?:ing)?[\s_-]*(?:function|rule|scheme|method)"),
    "lookback": patterns.compile(r"look[\s_-]*back|estimation window"),
    "rebalance_every": patterns.compile(r"rebalanc\w*"),
    "max_leverage": patterns.compile(r"leverage"),
    "risk_aversion": patterns.compile(r"risk[\s_-]*aversion|\bgamma\b"),
    "steepness": patterns.compile(r"steepness|\bkappa\b"),
    "cost_bps": patterns.compile(r"\bcosts?\b|\bfees?\b|\bbps\b|basis points|cost_bps"),
    "sleeve": patterns.compile(r"\bsleeve\b"),
}


def read_mentioned(said: Mapping[str, re.Pattern[str]], low: str) -> tuple[str, ...]:
    """The names of `said` whose pattern `low` matches, in order of their first match."""
    hits = [(m.start(), name) for name, p in said.items() if (m := p.search(low))]
    return tuple(name for _, name in sorted(hits))


OWNED_AFTER = (
    r"(?!\s+(?:(?:that|which)\s+)?(?:we|i)\s+(?:own|hold|have)\b|\s+(?:held|owned)\b"
    r"|\s+(?:in|of)\s+(?:my|our|it|this|that|the(?:\s+[\w-]+){0,3}?\s+portfolio)\b)"
)
"""What follows "all the stocks" or "every stock" when they are the user's own holdings ("all the
stocks we own", "every stock in my portfolio"), not every stock of the data."""
ALL_TICKERS = patterns.compile(
    r"(?:\ball (?:the |of the |our )?(?:\d+ )?(?:assets|stocks|tickers|names|equities|securities|"
    r"holdings|companies)\b|\bevery (?:stock|asset|ticker)\b)" + OWNED_AFTER
    + r"|\b(?:whole|entire|full) (?:universe|dataset|s&p)\b|\bthe universe\b"
)  # fmt: skip


COMPANY_NAMES = {  # lower case -> ticker
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
    "p&g": "PG",
    "merck": "MRK",
    "walmart": "WMT",
    "home depot": "HD",
    "general electric": "GE",
    "bank of america": "BAC",
    "bofa": "BAC",
    "coke": "KO",
    "lilly": "LLY",
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
"""Companies' names and short names a message may use for their tickers ("Coke", "P&G")."""


def _normal_name(written: str) -> str:
    """A company name as `COMPANY_NAMES` keys it: lower case, one space between words, none
    around "&" ("J & J" -> "j&j")."""
    return _AMPERSAND.sub("&", " ".join(written.lower().split()))


_AMPERSAND = patterns.compile(r"\s*&\s*")


_TICKER_OF_NAME = {_normal_name(name): ticker for name, ticker in COMPANY_NAMES.items()}
_NAMES = "|".join(
    r"\s*&\s*".join(r"\s+".join(map(re.escape, part.split())) for part in name.split("&"))
    for name in sorted(_TICKER_OF_NAME, key=len, reverse=True)
)
_COMPANY_START = patterns.compile(rf"\b(?:{_NAMES})", re.IGNORECASE | re.ASCII)
"""A company name of `COMPANY_NAMES` beginning a word, in any case and spacing ("J & J"; ASCII
case only: "ſ" is no "s", so every match is a key of `_TICKER_OF_NAME` once lower-cased)."""
_COMPANY_WORDS = patterns.compile(rf"\b(?:{_NAMES})\b", re.IGNORECASE | re.ASCII)
"""A company name of `COMPANY_NAMES` written as whole words, in any case and spacing."""


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS = words(
    "all and any are can for has how its not now one our out the was who why you use run set "
    "max min var vol new top low big buy key pay per see way bear bull base"
)
_SHORT_WORDS = words(
    "a i am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we ye yo "
    "vs pm ai ex eg ie re dd pe uk eu id ev tv pc hr ad ma mo pa ps qa ty ah"
)
"""Two-letter words read as words when written in lower case (a lower-case "ko" is KO)."""
_COMMON_WORDS = words(
    "about after again also back both bonds cash each else etc even ever from gold have here "
    "into just like list many more most much must name names need next only other others over "
    "rest same some such than that them then there these they this those very what when where "
    "which while will with your yours stock stocks fund funds index mix book data risk build "
    "redo rerun run test check show give make try drop add swap keep cap caps hold sell buy "
    "then plot chart table again too well put get let got pick sort rank list print take bring "
    "throw toss into out limit limits floor floors pct bps cost costs alone day days week weeks "
    "month months year years yr yrs safe safer safest risky less"
)
"""Words of a list of tickers that are not tickers ("aapl, msft and more"), and words that end
a phrase before one ("a 30% position limit, ko at least 5%", "over 3 yrs, ko and pg")."""


def _company_names(text: str, whole: bool = False) -> list[tuple[str, int]]:
    """The tickers of the company names of `COMPANY_NAMES` in `text`, each with where it is
    first named (a name's start must begin a word; with `whole`, its end must end one)."""
    found: dict[str, int] = {}
    for match in (_COMPANY_WORDS if whole else _COMPANY_START).finditer(text):
        found.setdefault(_TICKER_OF_NAME[_normal_name(match[0])], match.start())
    return list(found.items())


_TOKEN = patterns.compile(r"\$?\b([A-Za-z][A-Za-z0-9.\-]{0,6})\b")
"""A word that may be a ticker (group 1), optionally after "$"."""


def read_tickers(text: str, known: Sequence[str]) -> tuple[str, ...]:
    known_set = {t.upper(): t for t in known}
    hits: list[tuple[int, str]] = []
    for match in _TOKEN.finditer(text):
        token = match.group(1).rstrip(".-")
        upper = token.upper()
        if upper not in known_set:
            continue
        explicit = token.isupper() or match.group(0).startswith("$")
        lowered = token.lower()
        word = lowered in (_STOPWORDS if len(token) >= 3 else _SHORT_WORDS)
        if explicit or (len(token) >= 2 and not word):
            hits.append((match.start(), known_set[upper]))
    for ticker, start in _company_names(text):
        if ticker in known_set:
            hits.append((start, known_set[ticker]))
    seen: dict[str, None] = {}
    for _, ticker in sorted(hits):
        seen.setdefault(ticker, None)
    return tuple(seen)
