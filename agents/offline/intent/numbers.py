"""Numbers with a meaning: trial budgets, confidence levels, volatility targets, risk limits."""

from __future__ import annotations

from agents.offline.intent.dates import DATE
from agents.offline.intent.scanner import NUM, PCT, PCT_RE, Scanner, fraction
from settings import patterns

_BUDGET = patterns.compile(
    r"((?<![\w.,-])(?<!\d\s)-(?=\d))?\b(\d[\d,]*)\s*(?:trials?|evaluations?|evals?|iterations?|configs?"
    r"|configurations?|candidates?|samples?)\b"
    r"|\b(?:budget|n_trials|max trials)\s*(?:of|:|=|to)?\s*((?<![\w.,-])-(?=\d))?(\d[\d,]*)\b(?!\s*%)"
)


def read_budget(scan: Scanner) -> int | None:
    """The trial budget said ("300 trials", "a budget of 1,000"), negative when said with a
    minus sign ("-5 trials": refused by the request's bound, not read as 5)."""
    match = _BUDGET.search(scan.free)
    if not match:
        return None
    scan.consume(match)
    minus, digits = (match.group(1), match.group(2)) if match.group(2) else match.group(3, 4)
    count = int(digits.replace(",", ""))
    return -count if minus else count


_TAIL_METRIC = r"(c?var|value[\s-]at[\s-]risk|expected shortfall|conditional value[\s-]at[\s-]risk)"

_COUNT = r"(\d{1,3}|one|two|three|four|five|ten)"
_SPAN = r"(days?|d|trading[\s-]days?|sessions?|weeks?|wks?|months?)"
_SPAN_SESSIONS = {"d": 1, "day": 1, "trading": 1, "session": 1, "week": 5, "wk": 5, "month": 21}
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
_RISK_HORIZON = [
    patterns.compile(  # "10-day 99% VaR", "a 2-week CVaR", "10d var"
        rf"(?<![\w.]){_COUNT}[\s-]?{_SPAN}\b(?:[\s-]+(?:horizon|holding[\s-]period))?(?=\s*"
        rf"(?:\d+(?:\.\d+)?\s*%?\s*)?(?:confidence\s+)?(?:level\s+)?{_TAIL_METRIC})"
    ),
    patterns.compile(  # "the VaR ... over 10 days", "CVaR for a 2-week horizon"
        rf"{_TAIL_METRIC}[^.?!;]{{0,60}}?\b(?:over|for|across|at|on)\s+(?:a\s+|an\s+|the\s+next\s+)?"
        rf"{_COUNT}[\s-]?{_SPAN}\b(?:[\s-]+(?:horizon|holding[\s-]period))?"
    ),
    patterns.compile(  # "var 99 10d", "CVaR 97.5% 2 weeks": the level between, or none
        rf"{_TAIL_METRIC}\s+(?:at\s+|@\s*)?(?:\d{{2}}(?:\.\d+)?\s*%?\s+)?{_COUNT}[\s-]?{_SPAN}\b"
    ),
    patterns.compile(
        rf"\b(?:horizon|holding[\s-]period)\s+(?:of\s+)?(?:a\s+)?{_COUNT}[\s-]?{_SPAN}\b"
    ),
    patterns.compile(rf"(?<![\w.]){_COUNT}[\s-]?{_SPAN}[\s-]+(?:horizon|holding[\s-]period)\b"),
]


_LOSS_SPAN = patterns.compile(
    r"\blos(?:e|es|ing)\b[^.?!]{0,40}?\b(?:in|over|during)\s+(?:a|one|1|any|a single|a bad|a typical)"
    r"\s+(?:bad\s+|single\s+)?(?P<unit>week|month)\b"
)
"""A loss asked over one week or month ("how much could I lose in a bad month?"): its horizon."""


def read_risk_horizon(scan: Scanner) -> int | None:
    """The horizon of a VaR or CVaR in sessions ("10-day 99% VaR": 10; "CVaR over 2 weeks":
    10; "a 1-month horizon": 21; "how much could I lose in a bad month?": 21), up to a year;
    None when the message names none (one day)."""
    if (loss := _LOSS_SPAN.search(scan.free)) is not None:  # kept: it asks for a risk report
        return _SPAN_SESSIONS[loss["unit"]]
    for pattern in _RISK_HORIZON:
        match = pattern.search(scan.free)
        if match is None:
            continue
        count_group = next(i for i, g in enumerate(match.groups(), 1) if g and g[0].isalnum()
                           and (g[0].isdigit() or g in _COUNT_WORDS))  # fmt: skip
        count, unit = match.group(count_group), match.group(count_group + 1)
        number = int(count) if count.isdigit() else _COUNT_WORDS[count]
        key = unit.split()[0].split("-")[0].rstrip("s")
        sessions = number * _SPAN_SESSIONS.get(key, 1)
        if 1 <= sessions <= 252:  # the count, its unit and what joins them ("10-day")
            start, end = match.start(count_group), match.end(count_group + 1)
            scan.free = scan.free[:start] + " " * (end - start) + scan.free[end:]
            return sessions
    return None


_CONFIDENCE = [
    patterns.compile(
        PCT + r"\s*(?:confidence\s+)?(?:level\s+)?(?:one[\s-]day\s+|daily\s+)?" + _TAIL_METRIC
    ),
    patterns.compile(
        _TAIL_METRIC
        + r"(?:\s+(?:of|for|on)\s+(?:[\w$.%,/]+\s+){0,8}?)?\s*(?:at|@)\s*(?:the\s+)?(?:a\s+)?"
        + PCT
    ),
    patterns.compile(_TAIL_METRIC + r"\s+" + PCT),  # "cvar 97.5% 5d"
    patterns.compile(r"confidence(?:\s+level)?\s*(?:of|at|=|:)?\s*" + PCT),
    patterns.compile(PCT + r"\s*(?:confidence|level)\b"),
    patterns.compile(
        _TAIL_METRIC + r"\s*(?:at\s+|@\s*)?" + NUM + r"(?![\d.]|\s*(?:%|percent|pct))"
    ),
    patterns.compile(  # "1d 99 var", "99 cvar": a bare level before the measure
        r"(?<![\d.])(\d{2}(?:\.\d+)?)\s+(?:one[\s-]day\s+|1[\s-]?d(?:ay)?\s+|daily\s+)?"
        + _TAIL_METRIC
    ),
]


def read_confidence(scan: Scanner) -> float | None:
    for pattern in _CONFIDENCE:
        match = pattern.search(scan.free)
        if match:
            group = next(i for i in range(1, 3) if (match.group(i) or "")[:1].isdigit())
            value = fraction(match.group(group))
            if 0.5 <= value < 1.0:
                scan.consume(match, group)
                return value
    return None


_RISK_FREE = [
    patterns.compile(
        r"\b(?:risk[\s-]?free(?:\s+rate)?|rf|cash rate|safe rate)\s*(?:rate\s*)?(?:of|at|=|:|is|@)?"
        r"\s*(?:a\s+)?" + PCT
    ),
    patterns.compile(PCT + r"\s*(?:annual\s+)?(?:risk[\s-]?free|rf)\b"),
]


def read_risk_free(scan: Scanner) -> float | None:
    """The annual risk-free rate a Sharpe ratio is asked against ("with a 2% risk-free rate",
    "rf 3%"), as a fraction."""
    for pattern in _RISK_FREE:
        match = pattern.search(scan.free)
        if match:
            scan.consume(match)
            return fraction(match.group(1))
    return None


_VOL_TARGETING = r"\bvol(?:atility)?[\s-]*target(?:ing|ed)?\b[^.?!;]*?"
"""A volatility-targeting strategy named earlier in the sentence: a bare "12% target" after it
is its volatility target."""

_TARGET_VOL = [
    patterns.compile(
        r"(?:target(?:ing|ed)?[\s_-]*vol(?:atility)?|vol(?:atility)?[\s_-]*target)"
        r"\s*(?:of|at|to|=|:|around|about|near|level of)?\s*(?:of\s+)?(?:about\s+)?"
        + NUM
        + r"(?!\.?\d|\s*x\b|[\s-]*(?:months?|days?|weeks?|years?|sessions?)\b)"
        + r"\s*(%|percent\b|pct\b)?"
    ),
    patterns.compile(
        PCT
        + r"\s*(?:annual(?:ised|ized)?\s+)?(?:target[\s_-]*vol(?:atility)?|vol(?:atility)?[\s_-]*target)"
    ),
    patterns.compile(
        r"target(?:s|ing)?\s+(?:an?\s+)?(?:(?:around|about|roughly|approximately|near)\s+)?"
        + PCT
        + r"\s*(?:annual(?:ised|ized)?\s+)?vol"
    ),
    patterns.compile(
        r"target[\s_-]*vol(?:atility)?\s+(?:strategy|rule|overlay|approach)\s+(?:at|of|targeting)\s+"
        + PCT
    ),
    patterns.compile(  # "backtest KO and PEP at 12% volatility": a target
        r"\bat\s+(?:an?\s+)?"
        + PCT
        + r"\s+(?:annual(?:ised|ized)?\s+)?vol(?:atility)?\b"
        + r"(?!\s*(?:cap|limit|max|ceiling|target)\b)"
    ),
    patterns.compile(  # "a vol-targeting strategy ... with a 12% target"
        _VOL_TARGETING
        + r"\b(?:an?|the|its)\s+"
        + PCT
        + r"\s*target\b(?![\s-]*(?:returns?|drawdown|weights?)\b)"
    ),
    patterns.compile(_VOL_TARGETING + r"\btarget\s+(?:of|at)\s+" + PCT),  # "... a target of 12%"
    patterns.compile(  # "keep the vol at 10%", "hold its volatility at 15%": a target, not a cap
        r"\b(?:keep|keeping|hold|holding|pin|peg|set|setting)\s+(?:(?:the|its|a|my|our|portfolio|strategy)(?:'s)?\s+){0,2}"
        r"(?:annual(?:ised|ized)?\s+)?vol(?:atility)?\s+(?:at|to|around|near)\s+(?:about\s+)?"
        + PCT
        + r"(?!\s*(?:or\s+(?:less|lower|below|under)|max(?:imum)?|at\s+(?:the\s+)?most|tops|as\s+a|ceiling|cap|limit)\b)"
    ),
    patterns.compile(  # "how should I weight them to get 12% volatility?", "give me 18% vol"
        r"\b(?:to\s+(?:get|hit|reach|achieve)\s+|gives?\s+(?:me\s+|us\s+)?)(?:an?\s+)?(?:(?:around|about)\s+)?"
        + PCT
        + r"\s+(?:annual(?:ised|ized)?\s+)?vol(?:atility)?\b(?!\s*(?:cap|limit|max|ceiling)\b)"
    ),
]


_TARGET_VOL_RANGE = [
    patterns.compile(
        r"(?:target(?:ing|ed)?[\s_-]*vol(?:atility|atilities|s)?|vol(?:atility)?[\s_-]*targets?)"
        r"\s*(?:range\s*)?(?:between|from|of|in)?\s*" + PCT + r"\s*(?:and|to|-|–)\s*" + PCT
    ),
    patterns.compile(
        PCT + r"\s*(?:-|–|to)\s*" + PCT + r"\s*(?:annual(?:ised|ized)?\s+)?"
        r"(?:target[\s_-]*vol(?:atility|s)?|vol(?:atility)?[\s_-]*targets?)"
    ),
]


def read_target_vol_range(scan: Scanner) -> tuple[float, float] | None:
    """The range of volatility targets a search is asked over ("target vols between 8% and
    14%", "8-14% target vol"), as fractions, low first."""
    for pattern in _TARGET_VOL_RANGE:
        match = pattern.search(scan.free)
        if match:
            low, high = sorted((fraction(match.group(1)), fraction(match.group(2))))
            if 0.0 < low < high <= 1.0:
                scan.consume(match)
                return low, high
    return None


_APPROXIMATE = patterns.compile(r"\b(?:around|about|near|roughly|approximately|circa)\b|~")


def read_target_vol(scan: Scanner) -> tuple[float, bool] | None:
    """The one volatility target said ("a 12% vol target", "targets 10% vol"), as a fraction,
    and whether it was said as approximate ("target vol around 12%": a search looks around it,
    otherwise it keeps it)."""
    for n, pattern in enumerate(_TARGET_VOL):
        match = pattern.search(scan.free)
        if match:
            percent = n > 0 or bool(match.group(2))
            around = _APPROXIMATE.search(scan.free, max(0, match.start() - 16), match.end())
            scan.consume(match, 1)
            return fraction(match.group(1), percent), around is not None
    return None


_LIMIT_METRICS = {
    "max_drawdown": r"(?:max(?:imum)?\.?[\s-]*)?draw[\s-]?downs?|\bm(?:ax)?[\s.-]?dd\b|\bdd\b",
    "cvar": r"\bcvar\b|expected shortfall|conditional value[\s-]at[\s-]risk",
    "var": r"\bvar\b|value[\s-]at[\s-]risk",
    "volatility": r"(?<!target )(?<!target-)\bvol(?:atility)?\b",
}


_COMPARATOR = (
    r"(?:(?:of )?(?:under|below|less than|lower than|at most|no more than|no greater than)|not (?:above|over|"
    r"exceeding|more than)|within|up to|capped at|limited to|limit of|cap of|<=|≤|<|of|max(?:imum)?"
    r"(?: of)?|no worse than|not worse than|(?:not to|never|does ?n[o']t|do ?n[o']t|should ?n[o']t"
    r"|must ?n[o']t|won'?t|will not|cannot|can'?t) (?:exceed|go (?:above|over|beyond|past)|be "
    r"(?:above|over|worse than|more than))|(?:limit|cap|ceiling|max(?:imum)?) (?:of|at)|:|=)"
)


_KEEP = (
    r"(?:(?:should|must|to|has to|needs to|kept|is|are|stays?|remains?)\s+)?"
    r"(?:(?:be|stay|remain|kept|keep it|held)\s+)?"
)
_LIMIT_AFTER = r"(?:limit|cap|ceiling|tolerance|budget|constraint|max(?:imum)?)"
_AT_MOST_AFTER = (
    r"(?:max(?:imum)?|at\s+(?:the\s+)?most|tops|or\s+(?:less|lower|below|under|better)"
    r"|ceiling|cap|limit)\b"
)
"""A bound said after its number ("12% max", "20% at most", "3% or less")."""


def read_risk_limits(scan: Scanner) -> dict[str, float]:
    limits: dict[str, float] = {}
    for name, metric in _LIMIT_METRICS.items():
        forward = patterns.compile(rf"(?:{metric})\s*{_KEEP}{_COMPARATOR}?\s*-?\s*{PCT}")
        backward = patterns.compile(rf"{_COMPARATOR}\s+-?{PCT}\s+(?:of\s+)?(?:{metric})")
        named = patterns.compile(  # "a 20% max drawdown", "a 20% drawdown limit"
            rf"(?<![\w.])-?{PCT}\s+(?:(?:max(?:imum)?\s+(?:{metric}))|(?:{metric})\s+{_LIMIT_AFTER})"
        )
        bounded_after = patterns.compile(  # "volatility at 12% max", "drawdown of 20% tops"
            rf"(?:{metric})\s+(?:at|of|=|:)?\s*-?{PCT}\s*{_AT_MOST_AFTER}"
        )
        for pattern in (bounded_after, forward, backward, named):
            match = pattern.search(scan.free)
            if match is None:
                continue
            value = fraction(match.group(1))
            if name in ("cvar", "var") and value >= 0.5:
                continue  # "CVaR 95%" is a confidence level, not a limit
            limits[name] = value
            scan.consume(match)
            break
    sharpe = _MIN_SHARPE.search(scan.free)
    if sharpe:
        limits["min_sharpe"] = float(sharpe.group(1))
        scan.consume(sharpe)
    return limits


_CAPPED = tuple(
    (
        name,
        patterns.compile(
            rf"\b(?:cap|limit)\s+(?:the\s+|its\s+|my\s+|our\s+)?(?:{metric})\s+"
            rf"(?:at|to)\s+-?{PCT}"
        ),
    )
    for name, metric in _LIMIT_METRICS.items()
)


def capped_limits(low: str) -> dict[str, float]:
    """The limits a search's message or a change of a waiting search caps with the verb ("cap
    the drawdown at 20%", "limit CVaR to 3%"), as fractions, by `read_risk_limits`' names: read
    only where a search is drafted or waits (alone, "cap the drawdown at 20%" names no
    portfolio or search, so it is no slot of every message)."""
    found = {}
    for name, pattern in _CAPPED:
        match = pattern.search(low)
        if match is not None and not (name in ("cvar", "var") and fraction(match[1]) >= 0.5):
            found[name] = fraction(match[1])
    return found


_MIN_SHARPE = patterns.compile(
    r"sharpe(?: ratio)?\s*(?:of\s+)?(?:above|over|at least|greater than|>=|>|≥)\s*" + NUM
)
"""A floor on the Sharpe ratio ("sharpe above 1.2")."""


def read_percentages(scan: Scanner) -> tuple[float, ...]:
    """Every percentage of the text (including those read as limits or targets)."""
    values = tuple(fraction(m.group(1)) for m in PCT_RE.finditer(scan.low))
    for match in PCT_RE.finditer(scan.free):
        scan.consume(match)
    return values


_PLAIN_NUMBER = patterns.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)(?![\w.%])")


def read_numbers(scan: Scanner) -> tuple[float, ...]:
    """Plain numbers outside dates and percentages (budgets and others included)."""
    visible = scan.low
    for pattern in (DATE, PCT_RE):
        visible = pattern.sub(lambda m: " " * len(m.group(0)), visible)
    found = _PLAIN_NUMBER.finditer(visible)
    return tuple(float(m.group(1).replace(",", "")) for m in found)
