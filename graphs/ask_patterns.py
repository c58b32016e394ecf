"""The phrasings the ask accounting reads (`graphs.ask_items`): regular expressions over a
lower-case message with each ticker or company name masked as a run of ``¤``, each sector or
industry term as a run of ``§`` (`SUBJECTS`), and claimed spans (dates, numbers read) as ``~``.

Each numeric table is a list of (pattern, reading); `graphs.ask_items` tries them in order and
a number read once is never read again, so the earlier tables win: risk limits, levels,
thresholds, market moves and costs before weight limits, weight limits before weights."""

from __future__ import annotations

import re

from settings import patterns

PCT = r"(?<![\d.])(?P<p>\d+(?:\.\d+)?)%"
PCT1 = r"(?<![\d.])(?P<p1>\d+(?:\.\d+)?)%"
PCT2 = r"(?<![\d.])(?P<p2>\d+(?:\.\d+)?)%"
_JOIN = r"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&|or)\s+|\s*/\s*)"
_JOINS = (",", ", ", ",\n", " and ", " & ", " or ", ", and ", ", & ", "/", " / ")


def _not_after_join(mask: str) -> str:
    """Lookbehinds refusing to start a list of `mask` subjects inside a subject or a list: a list
    read from its first subject already ends where any of its tails would, so starting at each
    of its subjects too made reading a long list cost the square of its length."""
    return f"(?<!{mask})" + "".join(f"(?<!{mask}{re.escape(join)})" for join in _JOINS)


NOT_EVERY = r"(?!\s*(?:per\b|(?:in|for|on)\s+(?:any|each|every)\b|(?:each|every|any)\s+\w))"
"""After a limit on a subject: not a limit on every asset ("per name", "in each stock")."""
TICKERS = r"(?P<s>¤+(?:\s*(?:,|and|&|/)?\s*¤+)*)"

CAP = (
    r"(?:at most|no more than|not more than|no higher than|no greater than|not above|not over|"
    r"maximum of|maximum|max of|max|up to|under|below|less than|lower than|capped at|capped to|"
    r"cap at|cap of|a cap of|limited to|limit of|a limit of|limit to|ceiling of|ceiling|within|"
    r"at or below|to at most|to no more than|<=|≤|<)"
)
"""Words that make a number an upper limit."""
FLOOR = (
    r"(?:at least|no less than|not less than|no lower than|minimu[mn] of|minimu[mn]|min of|min|"
    r"a floor of|floor of|floor at|>=|≥)"
)
"""Words that make a number a lower limit."""
_LIMIT_NEXT = rf"(?=\s+(?:[a-z]+\s+){{0,3}}?(?:{CAP}|{FLOOR})\s)"
SUBJECTS = (
    rf"(?<!¤ )(?<!§ )(?P<s>{_not_after_join('¤')}¤++(?:{_JOIN}¤++)*"
    rf"|{_not_after_join('§')}§++(?:{_JOIN}§++)*"
    rf"|(?<=¤, )¤++(?:\s+(?:and|&)\s+¤++)*{_LIMIT_NEXT})"
)
"""One subject or a list of them joined by commas or "and" ("JPM and BAC", "aapl, msft and
ko"), not the end of a list joined by spaces alone (the universe: "AAPL MSFT XOM capped at 30%"
caps every asset). A limit said of a list that is every ticker the message names is a limit on
every asset (`graphs.ask_items`). A list is read from its first subject only (the message's
whitespace runs are single spaces: `graphs.ask_items.normalised`). A name said again after the
universe, with its own limit, is a subject of its own ("hrp on AAPL AMD BAC, AAPL at least 5%":
a comma, then AAPL and a limit's words), and so are names joined by "and" there ("..., AAPL and
AMD at least 5%")."""
SCOPE = (
    r"(?:(?:in|on|for|of|per|to)\s+)?(?:(?:any|each|every)\s+(?:one\s+)?|a\s+|one\s+|per\s+|all\s+"
    r"|the\s+)?(?:single\s+)?"
    r"(?:stock|name|asset|position|holding|ticker|weight|company|security|constituent|line)s?\b"
)
"""Words that make a limit hold for every asset ("in any stock", "per name")."""
HOLDING = r"(?:\s+(?:weights?|expos\w*|allocation|positions?|holdings?|names|stocks))?"
PROBABILITY = patterns.compile(
    r"\b(?:chances?|probabilit\w*|probabilty|prob|odds|likelihood|likely|risk of)\b"
)
"""A question about the chance of a loss: its percentages near loss words are thresholds."""

Reading = tuple[str, ...]
"""What a match says: the item kinds of its numbers (`p`, or `p1` then `p2`), each optionally
about the match's subjects."""

RANGES: list[tuple[re.Pattern[str], Reading]] = [
    (patterns.compile(rf"{SUBJECTS}{HOLDING}\s+(?:between|from|within)\s+{PCT1}\s*(?:and|to|-)\s*"
                rf"{PCT2}(?:\s+each)?"), ("subject_floor", "subject_cap")),
    (patterns.compile(rf"\b(?:each|every|all)(?:\s+(?:one|stock|name|asset|position|holding|weight|"
                rf"ticker))?s?\s+(?:weights?\s+)?(?:between|from|within)\s+{PCT1}\s*"
                rf"(?:and|to|-)\s*{PCT2}"), ("floor", "cap")),
    (patterns.compile(rf"\bbetween\s+{PCT1}\s+and\s+{PCT2}\s+{SCOPE}"), ("floor", "cap")),
    (patterns.compile(rf"(?<![¤§]\s){FLOOR}\s+{PCT1}\s+and\s+{CAP}\s+{PCT2}\s+{SCOPE}"),
     ("floor", "cap")),
]  # fmt: skip
"""A lower and an upper limit at once."""

RISK: list[tuple[re.Pattern[str], Reading]] = [
    # confidence levels (50% and up: checked by the reader)
    (patterns.compile(rf"{PCT}\s+(?:one[- ]day\s+|daily\s+|historical\s+|1-day\s+)?(?:c?var|es|"
                r"expected shortfall|value at risk|conditional value at risk|confidence|level|"
                r"tail)\b"), ("level",)),
    (patterns.compile(r"\b(?:c?var|es|expected shortfall|value at risk|shortfall|confidence(?: level)?)"
                rf"\b(?:\s+of\s+(?:it|that|this|them))?\s+(?:at|of|@)\s+(?:the\s+)?{PCT}(?!\s*[¤§])"),
     ("level",)),
    # a level said after the subject ("VaR of AAPL at 99%", "VaR of 60% AAPL 40% KO at 99%"):
    # 90% and up, so that "KO at 60%" stays a weight; only "at 99%" is read
    (patterns.compile(r"\b(?:c?var|es|expected shortfall|value at risk)\b[^.?!;]{0,80}?\s"
                r"(?P<c>(?:at|@)\s+(?:the\s+)?(?P<p>9\d(?:\.\d+)?)%)(?!\s*[¤§])"),
     ("level",)),
    (patterns.compile(rf"\bat\s+(?:the\s+|a\s+)?{PCT}\s+(?:level|confidence)"), ("level",)),
    (patterns.compile(r"(?<![\d.%])(?P<p>\d{2}(?:\.\d+)?)\s+(?:one[- ]day\s+|1[- ]?d(?:ay)?\s+|daily\s+)?"
                r"(?:c?var|es|expected shortfall|value at risk)\b"), ("level",)),
    (patterns.compile(r"\b(?:c?var|es|expected shortfall|value at risk)\s+(?:at\s+|@\s*)?"
                r"(?P<p>\d{2}(?:\.\d+)?)%?(?![\d.%]|\s*\)?\s*(?:limit|cap|constraint))"), ("level",)),
    # risk limits
    (patterns.compile(r"\b(?:max(?:imum)?\s+)?(?:draw[- ]?downs?|dd)\s+(?:limit\s+|cap\s+)?(?:of\s+)?"
                rf"(?:{CAP}\s+)?(?:of\s+)?{PCT}"), ("drawdown_limit",)),
    (patterns.compile(rf"{PCT}\s+(?:max(?:imum)?\s+)?(?:draw[- ]?down|dd)(?:\s+(?:limit|cap|"
                r"constraint))?\b"), ("drawdown_limit",)),
    (patterns.compile(r"\bcvar(?:\s*\(?95%?\)?)?\s+(?:limit\s+(?:of\s+)?|cap\s+(?:of\s+)?)?"
                rf"(?:{CAP}\s+)?{PCT}"), ("cvar_limit",)),
    (patterns.compile(r"\b(?:expected shortfall|es)\s+(?:limit\s+(?:of\s+)?)?"
                rf"{CAP}\s+{PCT}"), ("cvar_limit",)),
    (patterns.compile(rf"{PCT}\s+cvar\s+(?:limit|cap)\b"), ("cvar_limit",)),
    (patterns.compile(r"\bvar(?:\s*\(?95%?\)?)?\s+(?:limit\s+(?:of\s+)?|cap\s+(?:of\s+)?)?"
                rf"(?:{CAP}\s+)?{PCT}"), ("var_limit",)),
    (patterns.compile(rf"{PCT}\s+var\s+(?:limit|cap)\b"), ("var_limit",)),
]  # fmt: skip
"""Confidence levels and the risk limits of a strategy search."""

THRESHOLDS: list[tuple[re.Pattern[str], Reading]] = [
    (patterns.compile(r"\b(?:los(?:e|es|ing|s)|lossing|down|drop(?:s|ping)?|fall(?:s|ing)?|"
                r"declines?|draw[- ]?down|loss)\s+(?:of\s+|by\s+)?(?:more than\s+|over\s+|"
                rf"at least\s+|beyond\s+|in excess of\s+)?{PCT}"), ("threshold",)),
    (patterns.compile(rf"{PCT}\s+(?:or more\s+)?(?:loss|losses|drop|fall|decline|draw[- ]?down)\b"),
     ("threshold",)),
]  # fmt: skip
"""Loss thresholds, read only when the message asks about a chance (`PROBABILITY`)."""

MOVES_AND_TARGETS: list[tuple[re.Pattern[str], Reading]] = [
    (patterns.compile(r"\b(?:market|s&p(?:\s*500)?|spx|spy|index|stocks|equities)\s+(?:\w+\s+){0,2}?"
                r"(?:drops?|falls?|declines?|crash(?:es)?|sells? off|tanks?|is down|goes down|"
                rf"down|plunges?|slides?)\s+(?:by\s+)?{PCT}"), ("market_move",)),
    (patterns.compile(rf"{PCT}\s+(?:market\s+|s&p\s+|index\s+|equity\s+)?(?:drop|fall|decline|crash|"
                r"selloff|sell-off|correction|shock|plunge)\b"), ("market_move",)),
    (patterns.compile(rf"{PCT}\s+(?:in\s+)?(?:trading\s+|transaction\s+)?costs?\b"), ("cost_pct",)),
    (patterns.compile(rf"\b(?:trading\s+|transaction\s+)?costs?\s+(?:of\s+)?{PCT}"), ("cost_pct",)),
    (patterns.compile(r"\btarget(?:ing|ed)?[- ]?(?:vol(?:atilit(?:y|ies)|s)?)\s+(?:range\s+)?(?:between|from|"
                rf"of|in)?\s*{PCT1}\s*(?:and|to|-)\s*{PCT2}"), ("vol_target_low", "vol_target_high")),
    (patterns.compile(rf"{PCT1}\s*(?:-|to)\s*{PCT2}\s+(?:annual(?:ised|ized)?\s+)?(?:target[- ]vol"
                r"(?:atility|s)?|vol(?:atility)?[- ]targets?)"), ("vol_target_low", "vol_target_high")),
    (patterns.compile(r"\btarget(?:ing|ed)?[- ]?(?:vol(?:atility)?|risk)(?:\s+(?:level|setting))?\s+"
                rf"(?:of\s+|at\s+|around\s+|near\s+|=\s*|to\s+)?{PCT}"), ("vol_target",)),
    (patterns.compile(rf"{PCT}\s+(?:annual(?:ised|ized)?\s+)?(?:target[- ]vol(?:atility)?|"
                r"vol(?:atility)?[- ]target)"), ("vol_target",)),
    (patterns.compile(rf"\bvol(?:atility)?[- ]target(?:ing)?\s+(?:of\s+|at\s+)?{PCT}"),
     ("vol_target",)),
    (patterns.compile(r"\btarget[- ]vol(?:atility)?\s+(?:strategy|rule)\s+(?:at|of|with)\s+"
                rf"(?:a\s+)?{PCT}"), ("vol_target",)),
    (patterns.compile(r"\b(?:target(?:s|ing)|at)\s+(?:an?\s+)?(?:(?:around|about|roughly|approximately"
                rf"|near)\s+)?{PCT}\s+(?:annual(?:ised|ized)?\s+)?(?:vol|volatility)\b"
                r"(?!\s*(?:cap|limit|max|ceiling|target)\b)"), ("vol_target",)),  # "at 12% volatility"
    (patterns.compile(rf"\b(?:vol|volatility)\s+(?:of\s+)?{CAP}\s+{PCT}"), ("vol_limit",)),
    (patterns.compile(rf"\btarget(?:ing)?\s+(?:a\s+)?(?:return|returns)\s+(?:of\s+)?{PCT}"),
     ("return_target",)),
    (patterns.compile(rf"{PCT}\s+(?:target\s+return|return\s+target)"), ("return_target",)),
    (patterns.compile(r"\b(?:risk[- ]free(?:\s+rate)?|rf)\s+(?:rate\s+)?(?:of\s+|at\s+|=\s*|is\s+)?"
                rf"{PCT}"), ("risk_free",)),
    (patterns.compile(rf"{PCT}\s+risk[- ]free"), ("risk_free",)),
]  # fmt: skip
"""Market moves, costs, volatility and return targets, the risk-free rate."""

_CLAUSE_START = (
    r"(?:^|(?<=[,;:])|(?<=[,;:] )|(?<=\bwith )|(?<=\band )|(?<=\bbut )|(?<=\bkeep )"
    r"|(?<=\bkeeping ))"
)
_CLAUSE_END = (
    r"(?=(?:[\s~]*\b(?:in|the|over|for|during|from|since|of)\b)*[\s~]*(?:$|[,.;!?]|(?:and|with"
    r"|but|using)\b))"
)
"""Around a limit said alone as a clause: a limit on every weight (what follows it up to the
clause's end is a window read already, masked, and the words left of it: "in the")."""

WEIGHT_LIMITS: list[tuple[re.Pattern[str], Reading]] = [
    # on named assets or groups: said before them first ("no more than 20% in tech and banks
    # at most 10%": tech's limit is 20%, the banks' 10%)
    (patterns.compile(rf"{CAP}\s+{PCT}\s+(?:(?:max|maximum|cap|limit)\s+)?(?:(?:in|on|for|of|to|into)"
                rf"\s+)?(?:the\s+)?{SUBJECTS}"
                rf"(?!{HOLDING}\s+(?:is\s+|be\s+|at\s+|stays?\s+|kept\s+|capped\s+|limited\s+)?(?:{CAP}|{FLOOR})\s)"), ("subject_cap",)),
    (patterns.compile(rf"{FLOOR}\s+{PCT}\s+(?:(?:in|on|for|of|to|into)\s+)?(?:the\s+)?{SUBJECTS}"
                rf"(?!{HOLDING}\s+(?:is\s+|be\s+|at\s+|stays?\s+|kept\s+|capped\s+|limited\s+)?(?:{CAP}|{FLOOR})\s)"),
     ("subject_floor",)),
    (patterns.compile(r"\b(?:cap|caps|capped|capping|limit|limits|limiting|keep|keeping|hold|holding|"
                rf"restrict|constrain|put)\s+(?:the\s+)?{SUBJECTS}{HOLDING}\s+(?:at|to|under|"
                r"below|at or below|within|to at most|to no more than|at most|no more than|"
                rf"max(?:imum)?|<=|≤|<)\s+{PCT}(?:\s+each)?{NOT_EVERY}"), ("subject_cap",)),
    (patterns.compile(rf"{SUBJECTS}{HOLDING}\s+(?:is\s+|be\s+|to\s+be\s+|should\s+be\s+|stays?\s+|"
                rf"kept\s+|capped\s+|limited\s+)?{CAP}\s+{PCT}(?:\s+each)?{NOT_EVERY}"), ("subject_cap",)),
    (patterns.compile(rf"{PCT}\s+(?:max(?:imum)?|cap|limit|ceiling)\s+(?:in|on|for)\s+(?:the\s+)?"
                rf"{SUBJECTS}{NOT_EVERY}"), ("subject_cap",)),
    (patterns.compile(rf"{SUBJECTS}{HOLDING}\s+(?:is\s+|be\s+|at\s+|to\s+be\s+|of\s+)?{FLOOR}\s+{PCT}{NOT_EVERY}"),
     ("subject_floor",)),
    (patterns.compile(rf"{PCT}\s+(?:floor|minimum|min)\s+(?:in|on|for)\s+(?:the\s+)?{SUBJECTS}"),
     ("subject_floor",)),
    # on every asset
    (patterns.compile(rf"{CAP}\s+{PCT}\s+(?:(?:max|maximum|cap|limit)\s+)?{SCOPE}"), ("cap",)),
    (patterns.compile(rf"{PCT}\s+(?:max(?:imum)?|cap|limit|position limit|per-name limit|ceiling)\b"
                r"(?!\s+(?:per|in any(?: one| single)?|on any|in each|each|every|a)\s+(?:sector|industry)\b)"
                rf"(?:\s+{SCOPE})?"), ("cap",)),  # not "30% max per sector": every sector's
    (patterns.compile(r"\b(?:no|not any|not a)\s+(?:single\s+)?(?:stock|name|asset|position|holding|"
                r"ticker|weight|company|one)s?\s+(?:weighs?\s+|is\s+|at\s+)?(?:above|over|"
                r"bigger than|larger than|more than|greater than|exceeding|heavier than|"
                rf"higher than)\s+{PCT}"), ("cap",)),
    (patterns.compile(r"\bnothing\s+(?:over|above|bigger than|more than|larger than|heavier than)\s+"
                rf"{PCT}"), ("cap",)),
    (patterns.compile(r"\b(?:weights?|positions?|each(?:\s+(?:one|stock|name|position|asset|holding))?"
                r"|every\s+(?:stock|name|weight|position|asset)|all\s+(?:weights|positions|"
                r"stocks|names))\s+(?:capped\s+|limited\s+|kept\s+|held\s+)?(?:at|to|under|below|"
                rf"at most|no more than|<=|<)\s+{PCT}"), ("cap",)),
    (patterns.compile(rf"{CAP}\s+{PCT}\s+each\b"), ("cap",)),
    (patterns.compile(r"\b(?:max(?:imum)?[ _]weights?|weight cap|position cap|position size)\s+"
                rf"(?:of\s+|at\s+|=\s*)?{PCT}"), ("cap",)),
    (patterns.compile(r"\b(?:cap(?:ped)?|limit(?:ed)?)\s+(?:it\s+|them\s+|this\s+|that\s+|"
                rf"everything\s+|the portfolio\s+|positions\s+|weights\s+)?(?:at|to)\s+{PCT}"),
     ("cap",)),
    (patterns.compile(rf"\bcaps?\s+(?:of\s+)?{PCT}(?!\s*(?:in|on|for|of|to)\b)(?!\s*[¤§])"), ("cap",)),
    (patterns.compile(rf"{FLOOR}\s+{PCT}\s+{SCOPE}"), ("floor",)),
    (patterns.compile(rf"{FLOOR}\s+{PCT}\s+(?:(?:in|on|for)\s+)?(?:each|apiece)\b(?!\s+[¤§])"),
     ("floor",)),
    (patterns.compile(r"\b(?:no|not any|not a)\s+(?:single\s+)?(?:stock|name|asset|position|holding|"
                r"ticker|weight|company|one)s?\s+(?:weighs?\s+|is\s+|at\s+)?(?:below|under|"
                rf"less than|smaller than|lower than|beneath)\s+{PCT}"), ("floor",)),
    (patterns.compile(rf"{PCT}\s+(?:floor|minimum|min)\b(?:\s+{SCOPE})?"), ("floor",)),
    (patterns.compile(r"(?:each|every\s+\w+|all\s+\w+)\s+(?:at least|no less than|min(?:imum)?"
                rf"(?: of)?)\s+{PCT}"), ("floor",)),
    (patterns.compile(rf"\b(?:min(?:imum)?[ _]weights?|floor)\s+(?:of\s+|at\s+|=\s*)?{PCT}"),
     ("floor",)),
    # said alone as a clause of a build ("hrp on AAPL MSFT JPM XOM, max 25%")
    (patterns.compile(rf"{_CLAUSE_START}(?:a\s+)?(?:max(?:imum)?|cap(?:ped)?(?:\s+at)?|ceiling"
                rf"(?:\s+of)?|no more than|not more than|at most|up to)\s+(?:of\s+)?{PCT}"
                rf"{_CLAUSE_END}"), ("cap",)),
    (patterns.compile(rf"{_CLAUSE_START}(?:a\s+)?(?:min(?:imum)?|at least)\s+(?:of\s+)?{PCT}"
                rf"{_CLAUSE_END}"),
     ("floor",)),
]  # fmt: skip
"""Limits on weights: on named assets or groups, then on every asset."""

CHAINED_SHARE = patterns.compile(
    r"(?:\s+(?:sectors?|industry|industries|stocks|names|shares|companies|weights?|expos\w*"
    r"|allocation|positions?|holdings?))?"
    rf"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+|\s*;\s*){PCT}\s+(?:(?:in|on|for|of|to|into)\s+)?"
    rf"(?:the\s+)?(?P<s>¤++|§++){HOLDING}(?!\s+(?:is\s+|be\s+|at\s+|stays?\s+|kept\s+|capped\s+"
    rf"|limited\s+)?(?:{CAP}|{FLOOR})\s)"
)
"""A share of another subject joined after a limit said before its subjects, the comparator
left out ("at least 60% in KO and 40% in JNJ": JNJ's floor is 40%; "at most 20% in the energy
sector, 10% in AAPL"), not one with a limit of its own after it."""

_RATES = r"(?:(?:interest|policy|fed funds)\s+)?(?:rates?|yields?|the fed|treasur(?:y|ies))"
_RATE_VERB = (r"(?:up|down|higher|lower|ris(?:e|es|ing|en)|rose|f[ae]ll(?:s|ing|en)?|jump\w*|drop\w*"
              r"|move\w*|shock(?:ed)?|hike\w*|cut\w*|[id]ecrease\w*|climb\w*|spike\w*|rais\w*|soar\w*|surg\w*)")  # fmt: skip
RATE_MOVE = patterns.compile(
    rf"\b{_RATES}\s+(?:(?:go|going|goes|to go|that|went|were|are|have|had)\s+)?{_RATE_VERB}"
    r"\s+(?:by\s+)?(?P<n>\d+(?:\.\d+)?)\s?(?:(?:bps?|basis points?)\b|(?P<pct>%|percent\b|pct\b))"
    r"|(?<![\d.])(?P<n2>\d+(?:\.\d+)?)\s?(?:(?:bps?|basis points?)|(?P<pct2>%|percent|pct))"
    r"\s+(?:of\s+)?(?:(?:rate|rates|yield|fed)"
    r"\s+(?:hike|rise|shock|cut|move|increase|decrease)s?|hikes?)\b"
)
"""A move of interest rates ("rates up 200bps", "a 50bp rate hike", "rates rose 1%": `pct`), in
basis points or percent: no tool models rates, so the reply says so."""
COST_BPS = patterns.compile(r"(?<![\d.])(?P<n>\d+(?:\.\d+)?)\s?(?:bps?|basis points?)\b")
MONEY = patterns.compile(
    r"\$\s?(?P<n>\d[\d,]*(?:\.\d+)?)\s?(?P<u>k|mm|mn|m|bn|b|million|thousand|billion)?\b"
    r"|(?:\b(?:on|with|of|capital(?: of)?|book(?: of)?|invest(?:ing)?|put|deploy(?:ing)?|"
    r"allocate|allocating)\s+(?:a\s+)?)(?P<n2>\d[\d,]*(?:\.\d+)?)\s?"
    r"(?P<u2>k|mm|mn|m|bn|million|thousand|billion)\b"
    r"(?![\s-]*(?:\d+(?:\.\d+)?\s?%\s*)?(?:puts?|calls?|options?)\b)"  # "a 3m 95% call": months
    r"|(?<![\d,.])\b(?P<n3>\d[\d,]*(?:\.\d+)?)\s?(?P<u3>k|mm|mn|m|million)\s+(?:book|capital|portfolio|"
    r"account|of capital|notional)\b"
    r"|(?<![\w.$])(?P<n4>\d+(?:\.\d+)?)k\b"
)
"""Capital: "$2m", "on 1m", "$250,000", "a 5m book", "100k"."""
MONEY_UNITS = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9,
}  # fmt: skip

# ---- dates, windows, horizons, episodes ---------------------------------------------------
YEAR = r"(?:19|20)\d{2}"
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE = rf"(?:{YEAR}-\d{{2}}-\d{{2}}|{MONTH}\.?\s+{YEAR}|{YEAR}-(?:0[1-9]|1[0-2])(?!\d)|{YEAR})"
UNIT = (
    r"(?P<u>years?|yrs?|y|months?|mos?|mths?|m|quarters?|qtrs?|weeks?|wks?|trading days|days?|"
    r"sessions?)"
)
COUNT = r"(?P<n>\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen)"

WINDOWS: list[tuple[re.Pattern[str], str]] = [
    (patterns.compile(rf"\b(?:from|between|bewteen|betwen)\s+(?P<a>{DATE})\s*(?:-|to|until|till|through|thru|and)\s*"
                rf"(?P<b>{DATE})\b"), "range"),
    (patterns.compile(rf"\b(?P<a>{DATE})\s*(?:-|to|until|till|through|thru)\s*(?P<b>{DATE})\b"),
     "range"),
    (patterns.compile(r"(?<!from )(?<!from the )(?<!since )(?<!since the )\b(?:start|beginning)(?:\s+(?:date|year))?"
                rf"\s*(?:to|at|as|=|:|is)?\s*(?P<a>{DATE})\b"), "start"),
    (patterns.compile(rf"\bend(?:\s+(?:date|year))?\s*(?:to|at|as|=|:|is)\s*(?P<b>{DATE})\b"), "end"),
    (patterns.compile(rf"\b(?:at|in|around|during) the (?P<p>start|beginning|outset|end) of (?P<y>{YEAR})\b"), "part"),
    (patterns.compile(r"\b(?:since|from|after|starting(?:\s+(?:in|from))?|beginning(?:\s+of)?|as of|(?:at|in) the turn of"
                rf"|back\s+(?:to|till|until))\s+(?:the\s+)?(?:start of\s+|beginning of\s+)?(?P<a>{DATE})\b"),
     "start"),
    (patterns.compile(r"\b(?<!back )(?<!compared )(?:until|till|through|thru|up to|to|before|ending(?:\s+in)?|(?:by|as of)(?= the end))\s+(?:the\s+)?"
                rf"(?:end of\s+)?(?P<b>{DATE})\b"), "end"),
    (patterns.compile(r"(?<!middle )(?<!half )\b(?:in|during|over|for|throughout|through|of|across)\s+(?:the\s+(?:year\s+)?|"
                rf"calendar\s+(?:year\s+)?)?(?P<y>{YEAR})\b(?![\s-]*(?:trading\s+)?(?:days?|sessions?)\b)"), "year"),
    (patterns.compile(r"\b(?:ytd|year[- ]to[- ]date|this year)\b"), "ytd"),
    (patterns.compile(r"\b(?:lately|recently|of late|these days|nowadays)\b"), "lately"),
    (patterns.compile(r"\b(?:last|past|previous|trailing|prior|recent)\s+(?:(?P<n>\d+(?:\.\d+)?|an?|"
                r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen)\s*)?"
                r"(?P<u>years?|yrs?|months?|mos?|mths?|m|quarters?|qtrs?|weeks?|wks?|"
                r"trading days|days?|sessions?)\b"), "recent"),
    (patterns.compile(r"(?<!rolling )(?<![\w$.])(?P<n>\d+)\s?(?P<u>y|yrs?|mos?|mths?|m|w|wks?|d)\s+(?=(?:of\s+)?"
                r"(?:vol\w*|returns?|perf\w*|draw[- ]?downs?|dd|mdd|sharpe|sortino|beta|corr\w*|"
                r"stats?|statistics|c?var|risk)\b)"), "recent"),
    (patterns.compile(r"(?<![\w$.])(?P<n>\d+(?:\.\d+)?)\s*(?P<u>years?|yrs?|months?|weeks?|trading days|"
                r"days?|sessions?)\s+of\s+(?:daily\s+)?(?:data|history|returns|prices)\b"),
     "recent"),
]  # fmt: skip
"""Windows of history ("since 2019", "back to 2012", "2015-2020", "in 2020", "at the start of
2020", "the last 3 years", "ytd", "1y vol" not "rolling 1y", "252 days of data", "lately")."""
YEARS_COMPARED = patterns.compile(
    rf"(?<!between )(?<!from )(?:\b{YEAR}|~{{4}})(?:\s*(?:,|\bvs\.?|\bversus|\bagainst|"
    rf"\bcompared (?:to|with)|\band|\bor)\s+(?:in\s+)?{YEAR}\b)+"
)
"""Calendar years set side by side ("in 2022 vs 2021", "2008 and 2020"): each its own window
(on the masked text: the first may be a window read already, "~~~~~~~ vs 2021")."""

HORIZONS: list[re.Pattern[str]] = [
    patterns.compile(
        r"(?<![\w.])(?P<n>\d{1,3})[- ]?(?P<u>days?|d|weeks?|wks?)\s+(?:\d+(?:\.\d+)?%?\s+)?"
        r"(?:c?var|es|expected shortfall|value at risk)\b"
    ),
    patterns.compile(
        r"\b(?:c?var|es|expected shortfall|value at risk)\b[^.?!;]{0,60}?\b(?:over|for|across)"
        r"\s+(?:a\s+|the\s+next\s+)?(?P<n>\d{1,3})[- ]?(?P<u>days?|weeks?)\b"
    ),
    patterns.compile(
        r"\b(?:c?var|es|expected shortfall|value at risk)\s+(?:at\s+|@\s*)?(?:\d{2}(?:\.\d+)?%?\s+)?"
        r"(?P<n>\d{1,3})[- ]?(?P<u>days?|d|weeks?|wks?)\b"
    ),
    patterns.compile(rf"\b(?:next|coming|following)\s+(?:{COUNT}\s*)?{UNIT}\b"),
    patterns.compile(r"\b(?:in|over|within)\s+(?P<n>a|one)\s+(?P<u>year|quarter|month)\b"),
    patterns.compile(r"\b(?P<n>\d+)[- ](?P<u>years?|months?|days?|weeks?)\s+horizon\b"),
    patterns.compile(rf"\bhorizon\s+(?:of\s+)?{COUNT}\s+{UNIT}"),
    patterns.compile(rf"\b{COUNT}\s+{UNIT}\s+of\s+(?:simulated\s+)?paths\b"),
]
"""Horizons ahead ("over the next 3 months", "in a year", "2 years of paths")."""

EPISODES: list[tuple[re.Pattern[str], str]] = [
    (patterns.compile(r"\b(?:gfc|global financial crisis|great financial crisis|financial crisis|"
                r"lehman|2008(?:\s+(?:financial\s+)?(?:crisis|crash|selloff|sell-off))?)\b"),
     "gfc_2008"),
    (patterns.compile(r"\b(?:(?:the\s+)?2020\s+)?(?:covid(?:-19)?|pandemic)(?:\s+(?:crash|selloff|"
                r"sell-off|crisis|drawdown))?\b|\b2020\s+(?:crash|selloff|sell-off)\b"),
     "covid_2020"),
    (patterns.compile(r"\b(?:2022\s+)?rates?\s+shock\b|\b2022\s+(?:selloff|sell-off|bear market|"
                r"drawdown|rate hikes)\b"), "rates_2022"),
]  # fmt: skip
"""The named historical episodes a stress test replays."""
EPISODE_YEARS = {"2008": "gfc_2008", "2020": "covid_2020", "2022": "rates_2022"}
STRESS_CONTEXT = patterns.compile(
    r"\b(?:stress\w*|replay\w*|against(?!\s+(?:19|20)\d{2}\b)|against\s+(?=(?:2008|2020|2022)\b)"
    r"|crisis|crash|selloff|sell-off|shock|fared|gfc|covid|episodes?)\b"
)
"""A message about replaying history: its bare episode years are episodes, not windows ("against"
before another year sets two years side by side: "vol in 2008 against 2005"), read without
`COMPARED_AGAINST`."""
COMPARED_AGAINST = patterns.compile(
    r"\b(?:(?:did|does)\s+(?:\S+\s+){1,3}?(?:do|perform)|done|performed|performs)\s+"
    r"(?:against|versus|vs|relative\s+to)\b"
)
"""How one did set against another ("how did MSFT do against the S&P 500 in 2022?": its year is
the window, its "against" no stress)."""
EPISODE_YEAR = patterns.compile(
    r"(?:\bagainst|\breplay\w*|\band|,|\bthe|\bin)\s+(?P<y>2008|2020|2022)\b"
)

LEVERAGE = patterns.compile(
    r"(?<![\w.])(?P<x>\d+(?:\.\d+)?)\s*x\s+(?:max(?:imum)?\s+)?(?:leverage|levered|gross)\b"
    r"|\b(?:max(?:imum)?\s+)?leverage\s+(?:of\s+|at\s+|up to\s+)?(?P<y>\d+(?:\.\d+)?)(?![\d.%])"
)
"""A strategy's leverage ("2x leverage", "leverage 1.5")."""
_WHOLE = r"(?:\d{1,3}(?:,\d{3})+|\d{1,6})(?!\d|,\d)"
LOOKBACK = patterns.compile(
    rf"\b(?P<n>{_WHOLE})[- ]?(?P<u>days?|months?|weeks?)\s+(?:of\s+)?look[- ]?back\b"
    rf"|\blook[- ]?back\s+(?:of\s+)?(?P<n2>{_WHOLE})(?:[- ]?(?P<u2>days?|months?|weeks?)\b)?"
)
"""A strategy's lookback ("a 63-day lookback", "lookback 6 months", "a 1,250-day lookback")."""
_ROLLING_COUNT = r"\d{1,3}(?:\.\d+)?|one|two|three|four|six|nine|twelve"
_ROLLING_UNIT = r"days?|months?|mos?|weeks?|years?|yrs?|quarters?|sessions?|d|y|w|m"
ROLLING = patterns.compile(
    rf"\b(?P<n>{_ROLLING_COUNT})[- ]?(?P<u>{_ROLLING_UNIT})\s+rolling\b"
    rf"|\brolling\s+(?:(?P<n2>{_ROLLING_COUNT})(?:[- ]?(?P<u2>{_ROLLING_UNIT})\b)?"
    r"|(?P<u3>weekly|monthly|quarterly|yearly)\b)"
)
"""A rolling window of a statistic ("rolling 60-day correlation", "the 3-month rolling vol")."""
ROLLS = {"lookback": LOOKBACK, "rolling": ROLLING}
"""The windows counted in sessions a message may give: a strategy's and a statistic's."""

# ---- words --------------------------------------------------------------------------------
METHODS: list[tuple[re.Pattern[str], str]] = [
    (patterns.compile(r"\bhrp\b|\bhierarchical(?: risk parity)?\b"), "hrp"),
    (patterns.compile(r"\b(?:inverse|inv)[- ]?vol(?:atility)?(?:[- ]weight(?:ed|s)?)?\s+(?:portfolio|mix|"
                r"allocation|basket|book|weights?)\b|\b(?:inverse|inv)[- ]?vol(?:atility)? weighted\b"
                r"|\b1 ?/ ?vol(?:atility)?[- ]weight\w*|\bnaive risk[- ]parity\b|\b(?:weight|allocat)"
                r"\w*\b[^.?!]{0,60}?\b(?:by|(?:in )?proportion(?:al|ally)? to) (?:(?:the|their|its) )?"
                r"inverse(?: of)?(?: (?:the|their|its))? vol(?:atility)?\b"), "inverse_volatility"),
    (patterns.compile(r"(?<!hierarchical )\brisk[- ]parity\b|\bequal[- ]risk[- ]contributions?\b|"
                r"\berc\b|\brp\b"), "risk_parity"),
    (patterns.compile(r"\bmin\w{0,5}[- ]?(?:vol\w*|var(?:iance)?|risk)\b|(?<!had the )(?<!has the )(?<!have the )\blowest[- ]"
                r"(?:risk|vol\w*|variance)\b|\bgmv\b|\blow[- ]vol(?:atility)?\s+"
                r"(?:mix|portfolio|allocation|weights)\b"), "min_volatility"),
    (patterns.compile(r"\bmax\w{0,5}[- ]?sh\w{0,2}rpe?\b|\btangency\b|\bmvo\b|\bmarkowitz\b|"
                r"\bmean[- ]variance\b(?! (?:efficient )?frontier)"), "max_sharpe"),
    (patterns.compile(r"\bequal(?:ly)?[- ]weight(?:s|ed|ing)?\b|\b1/n\b|\bew\b"), "equal_weight"),
    (patterns.compile(r"\beffici?e?n?t\s+fronti?e?i?r\b|\bfrontier\b|\bfronteir\b"), "frontier"),
    (patterns.compile(r"\binverse[- ]vol(?:atility)?\b"), "inverse_vol"),
    (patterns.compile(r"\bsigmoid\b"), "sigmoid"),
    (patterns.compile(r"\bmerton\b"), "merton"),
    (patterns.compile(r"\bmax\w{0,5}[- ]?div(?:ersification|ersified)?\b(?! yield)|"
                r"\bmost[- ]diversified\b"), "max_diversification"),
    (patterns.compile(r"\bblack[- ]litterman\b|\bbl model\b"), "black_litterman"),
    (patterns.compile(r"\bmin\w{0,5}[- ]?c[- ]?var\b|\bmean[- ]c[- ]?var\b"), "min_cvar"),
]  # fmt: skip
"""Methods named in a message (portfolio methods, the frontier, strategy weight functions, and
methods not offered here, which the reply must say were not used)."""

FREQUENCY_WORDS = {
    "daily": "daily", "weekly": "weekly", "monthly": "monthly", "quarterly": "quarterly",
    "quartely": "quarterly", "annually": "annually", "annual": "annually", "yearly": "annually",
    "week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "annually",
    "day": "daily", "session": "daily",
}  # fmt: skip
FREQUENCIES: list[re.Pattern[str]] = [
    patterns.compile(
        r"\brebal\w*\s+(?:every\s+|each\s+)?(?P<f>daily|weekly|monthly|quarterly|quartely|"
        r"annually|annual|yearly|week|month|quarter|year|day|session)\b"
    ),
    patterns.compile(
        r"\b(?P<f>daily|weekly|monthly|quarterly|quartely|annually|annual|yearly)\s+"
        r"rebal\w*"
    ),
    patterns.compile(r"\brebal\w*\s+every\s+(?P<n>\d+)\s+(?:trading\s+)?(?:days|sessions)\b"),
    patterns.compile(r"\b(?P<never>buy[- ]and[- ]hold|no rebalancing|never rebal\w*)\b"),
    patterns.compile(r"\bevery\s+(?P<f>week|month|quarter|year|session)\b"),
    patterns.compile(r"\bonce\s+an?\s+(?P<f>week|month|quarter|year)\b"),
    patterns.compile(
        r"\b(?P<f>weekly|monthly|quarterly|quartely|annually|yearly)\b(?!\s+(?:returns?|"
        r"data|vol|volatility|var|cvar|loss|losses|stat\w*|performance|changes?))"
    ),
]
"""Rebalancing frequencies ("rebalanced monthly", "weekly rebal", "buy and hold")."""

SCENARIO_NAMES = (
    r"(?:bull|bear|high[- ]vol\w*|low[- ]vol\w*|base(?:[- ]case)?|crash|downturn"
    r"|sell[- ]?off|rally|volatile)"
)
SCENARIOS: list[re.Pattern[str]] = [
    patterns.compile(
        rf"\b(?P<s>{SCENARIO_NAMES})\s*(?:and|,|&|or)\s*(?P<t>{SCENARIO_NAMES})\s+"
        r"(?:markets|scenarios|cases|regimes)\b"
    ),
    patterns.compile(rf"\bin\s+(?:an?\s+|the\s+)?(?P<s>{SCENARIO_NAMES})\b"),
    patterns.compile(
        rf"\b(?P<s>{SCENARIO_NAMES})\s+(?:markets?|scenarios?|cases?|regimes?|"
        r"conditions)\b"
    ),
]
"""Market scenarios ("in bear", "a high vol regime", "bull and bear scenarios")."""

WHOLE_UNIVERSE = patterns.compile(
    r"\beverything\b|\b(?:all|every|whole|entire)\s+(?:the\s+|of the\s+)?(?:\d+\s+)?(?:stocks|names|tickers|"
    r"assets|universe|equities|stock|name)\b|\bwhole universe\b|\bentire universe\b"
)
"""The whole universe ("all stocks", "the whole universe")."""

EXCLUDED_BEFORE = patterns.compile(
    r"(?:\bex|\bexcluding|\bexclude|\bexcept(?: for)?|\bwithout|(?<!why )(?<!why is there )"
    r"(?:\bnot|\bno|\bnothing in)|\binstead of|\bin place of|\brather than|\b(?:substitut(?:e|ed|ing)|(?:swap|switch|rotate|put|bring)\s+in)\s+[¤§]+\s+for|"
    r"\bdrop(?:ping)?|\bremove|\bremoving|\btake out|\btaking out|\bminus|\bskip(?:ping)?|"
    r"\bleave out|\bleaving out|\bother than|(?<!should i )(?<!should we )(?<!time to )(?<!moment to )\bsell|\bswap(?:ping)?|\breplace|\breplacing|"
    r"\bexchange|\bditch|\bavoid(?:ing)?|(?:\ball|\bevery|\beverything|~+)(?:\s+(?:stocks?|names?|"
    r"tickers?))?\s+but)\s+(?:the\s+)?(?:[¤§]+\s*(?:,|and|&|or|/)?\s*)*$"
)
"""Words before subjects that leave them out, a swap's name too ("use JNJ instead of XOM"); a phrase
read before (masked) ends the list ("all but AAPL, tech at most 10%, AMD at most 5%": AMD is held).
"Why no XOM?" and "should I sell KO now?" leave none out."""
EXCLUDED_AFTER = patterns.compile(r"^\s+out\b(?!\s+of)")

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
_TENS = r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEENS = r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
SPELLED = patterns.compile(
    rf"\b(?P<w>{_TENS}(?:[- ]{_UNITS})?|{_TEENS}|{_UNITS})(?=\s*(?:%|percent\b|pct\b|per cent\b|"
    r"years?\b|months?\b|weeks?\b|days?\b|sessions?\b|quarters?\b|bps\b|basis points?\b))",
    re.IGNORECASE,
)
"""Numbers spelled out before a unit ("twenty-five percent", "three years")."""


FRACTION = patterns.compile(
    r"\b(?P<c>at most|no more than|not more than|up to|under|below|less than|at least"
    r"|no less than|max(?:imum)?(?: of)?|min(?:imum)?(?: of)?|capped at|cap(?:ped)? (?:it |them )?at"
    r"|limited to|within)\s+(?:(?P<n>a|one|two|three)\s+)?(?P<f>half|third|quarter|fifth|sixth"
    r"|eighth|tenth)s?\b(?!\s+(?:of\s+)?(?:the\s+|a\s+)?(?:year|month|week|day|session)s?\b)",
    re.IGNORECASE,
)
"""A share said as a fraction after a limit's words ("at most a fifth", "up to half")."""
_PARTS = {"half": 50, "third": 100 / 3, "quarter": 25, "fifth": 20, "sixth": 100 / 6,
          "eighth": 12.5, "tenth": 10}  # fmt: skip
BARE_LIMIT = patterns.compile(
    r"(?i)\b(?P<c>at most|no more than|not more than|up to|under|below|less than|at least|no less"
    r" than|max(?:imum)?(?: of)?|min(?:imum)?(?: of)?|capped at|cap(?:ped)? at|limited to|floor"
    r" of)\s+(?P<n>\d{1,2}(?:\.\d+)?|100)(?=\s+(?:(?:(?:in|on|for|of)\s+(?:any|each|every)\s+"
    r"(?:one\s+|single\s+)?|per\s+|a\s+)(?:name|stock|position|holding|asset|ticker|security"
    r"|company)\b|each\b|apiece\b))"
)
"""A number said without "%" after a limit's words, as a limit on every weight ("no more than
40 in any name", "max 25 per stock"): a percentage."""
THEN = patterns.compile(
    r"\b(more|less|fewer|greater|higher|lower|bigger|smaller|larger|worse|better)\s+then\b",
    re.IGNORECASE,
)
"""A comparison misspelt with "then" ("no more then 25%")."""


EACH_SHARE = patterns.compile(
    r"(?i)(?<![\w./])(?:1\s*/\s*(?P<d>[2-9]|10)%?|(?:a|one)\s+(?P<f>half|third|quarter|fifth"
    r"|sixth|eighth|tenth))\s+(?=(?:each|apiece)\b)"
)
"""An equal share said as a fraction before "each" ("1/3 each", "a quarter each")."""


def each_share_percent(match: re.Match[str]) -> str:
    """The percentage an `EACH_SHARE` match says ("1/3" -> "33.3333333333")."""
    share = 100 / int(match.group("d")) if match.group("d") else _PARTS[match.group("f").lower()]
    return f"{share:.12g}"


def fraction_percent(match: re.Match[str]) -> str:
    """The percentage a `FRACTION` match says ("a fifth" -> "20", "two thirds" -> "66.67")."""
    count = {"two": 2, "three": 3}.get((match.group("n") or "").lower(), 1)
    return f"{count * _PARTS[match.group('f').lower()]:.4g}"


def spelled_value(words: str) -> int:
    """The value of a spelled-out number ("twenty-five" -> 25)."""
    return sum(NUMBER_WORDS[w] for w in _NUMBER_WORD_JOIN.split(words.lower()) if w)


_NUMBER_WORD_JOIN = patterns.compile(r"[- ]")


APPROXIMATE = patterns.compile(r"\b(?:around|about|near|roughly|approximately|circa)\b|~")
"""A number said as approximate ("target vol around 12%"): a search may look around it."""


BETA_TO = patterns.compile(
    r"\bbetas?\b[^.?!;]{0,60}?\b(?:to|against|relative to|with respect to|w\.?r\.?t\.?)\s+"
    r"(?P<t>[a-z][a-z.]{0,5})\b"
)
"""A beta asked against a stock rather than the index ("beta of JPM to XOM": `t` XOM)."""


# What the ask accounting's readers match as they read (`graphs.ask_items`): spacing, percentages
# said in words, ranges, dates as said, the words before a percentage.
SPACES = patterns.compile(r"[^\S\n]+")
LINE_BREAK = patterns.compile(r"\s*\n\s*")
PERCENT_WORDS = patterns.compile(
    r"(?i)(?<![\d.])(\d+(?:\.\d+)?)\s*(?:percent\b|per cent\b|pct\b|%)"
)
RANGE_PERCENTS = patterns.compile(
    r"(?i)\b(between|from)\s+(\d+(?:\.\d+)?)\s+(and|to)\s+(\d+(?:\.\d+)?)%"
)
DASHED_RANGE = patterns.compile(r"(?<![\d.])(\d{1,2}(?:\.\d+)?)-(\d{1,2}(?:\.\d+)?)%")
EX_DASH = patterns.compile(r"(?i)\bex-(?=[a-z])")
CAPITALS = patterns.compile(r"[A-Z]{2,5}")
YEAR_PATTERN = patterns.compile(YEAR)
DECIMAL_PERCENT = patterns.compile(r"(?<![\d.])\d+\.\d+%")
DOWN = patterns.compile(r"\b(?:down|lower|fall\w*|drop\w*|cut\w*)\b")
PCT_PATTERN = patterns.compile(PCT)
WORDS_BEFORE = patterns.compile(r"(?:[\w&$.-]+\s+){0,3}$")
UNIVERSE_BEFORE = patterns.compile(
    r"(?:of|for|on|across|in|into|plus|and|add|with|to|ex|excluding|except|without|drop)\s+"
    r"(?:the\s+|all\s+(?:the\s+)?)?$"
)
MY_BEFORE = patterns.compile(r"\b(?:my|our)\s+$")
PORTFOLIO_AFTER = patterns.compile(r"\s+portfolio")
LONG_WORD = patterns.compile(r"[A-Za-z]{3,}")
ISO_DAY = patterns.compile(r"\d{4}-\d{2}-\d{2}")
ISO_YEAR = patterns.compile(r"\d{4}")
ISO_MONTH = patterns.compile(r"\d{4}-\d{2}")
