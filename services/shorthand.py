"""The shorthand portfolio managers write, written out, for the readers of a message (the
offline model's and the ask accounting's, each otherwise on its own): "bt" a backtest, "tc"
trading costs, "w/o" without, "qtrly rebal" quarterly rebalancing, "6 wks" six weeks, "last 2y"
the last 2 years, "es" expected shortfall, "strats" strategies, "acct" an account, "techs" tech
stocks, "eq wt" equal weight; and the notation around numbers ("since '19", "no name >15%",
"cap 40", "25 each", "ex financials", "the 2020 bear market": `expand_shorthand`). Only lower-case words are read (in
capitals they may be tickers) and a word is read whole ("bts" is not "bt"). A number said again for the one a message gave ("make that 30" after
"max 25% each") is that message with the new number (`restated`)."""

from __future__ import annotations

import re

from settings import patterns

__all__ = ["SHORTHAND", "expand_shorthand", "restated"]

SHORTHAND = {
    "bt": "backtest", "tc": "trading costs", "tcs": "trading costs",
    "w/o": "without", "w/": "with",
    "qtrly": "quarterly", "qtly": "quarterly", "mthly": "monthly", "mnthly": "monthly",
    "wkly": "weekly", "annly": "annually", "rebal": "rebalancing", "rebals": "rebalancing",
    "wk": "week", "wks": "weeks", "mos": "months", "mth": "month",
    "mths": "months", "yr": "year", "yrs": "years", "qtr": "quarter", "qtrs": "quarters",
    "es": "expected shortfall", "strat": "strategy", "strats": "strategies",
    "acct": "account", "accts": "accounts", "techs": "tech stocks",
    "wt": "weight", "wts": "weights", "eq wt": "equal weight", "eq wts": "equal weights",
    "eq-wt": "equal-weight", "eqwt": "equal weight", "eq weight": "equal weight",
    "eq-weight": "equal-weight", "eq weighted": "equal weighted",
}  # fmt: skip
"""Each shorthand and what it stands for."""

_WORD = patterns.compile(
    r"(?<![\w/])(" + "|".join(sorted(map(re.escape, SHORTHAND), key=len, reverse=True)) + r")"
    r"(?![\w/])"
)
_YEARS = patterns.compile(r"\b(last|past|trailing|prior|previous)\s+(\d{1,2})\s?y\b")
"""A trailing window in years said with "y" after "last" ("last 2y"); "1y vol" alone is read
by the readers as it is."""


_LOOKBACK = patterns.compile(
    r"\b(\d{1,2})\s?(y|yrs?|years?|m|mos|months?)\s+(?:look-?back|window|history|of (?:data|history))\b"
)
"""A trailing window said as a lookback ("2y lookback", "18m window")."""
_STRATEGY = patterns.compile(
    r"(?i)\b(?:target[\s_-]*vol|vol(?:atility)?[\s_-]*target|sigmoid|merton|inverse[\s_-]*vol"
    r"|strateg\w*|leverage)"
)
"""Words of a strategy's settings: beside them "6 months lookback" is the strategy's lookback."""
_SHORT_YEAR = patterns.compile(
    r"\b(since|from|in|after|before|until|till|through|to)\s+['\u2018\u2019](\d{2})\b"
    r"|\b(since|in)\s+(\d{2})"
    r"(?=\s*(?:$|[?!,;:)]|\.(?!\d)|(?:onwards?|lol|pls|please|thanks|thx|vs\.?|versus"
    r"|compared)\b))"
)
"""A year said by its last two digits after a window's word: "since '19", "from ‘08", or
"since" or "in" and two digits that end the phrase ("since 08", "JPM's max dd in 20?", "since
09 onwards", "since 08 lol"; not "in 10 days", "from 10 to 20%", "in 29.7% MSFT")."""
_WHAT_DID = patterns.compile(r"\b(?i:what) (did|has|have)\b(?=[^?.!;]{0,80}?\bdo(?:ne)?\b)")
"""How something did asked with "what" ("what did tech do in March 2020?", "what has KO done
since 2015?"), read as "how did ... do"."""
_HOW_D = patterns.compile(r"\b(?i:how)['\u2019]d\b")
""""how'd" as "how did"."""
_HELD_UP = patterns.compile(r"\b((?i:how) (?:did|has|have)\b[^?.!;]{0,80}?)\b(?:hold|held) up\b")
"""How something held up asked of the past ("how did energy hold up in 2020?"): how it did (a
future "how would it hold up in a crash" stays a stress test)."""
_CENTURY_PIVOT = 50
"""Two digits up to this are a year of the 2000s ("'08": 2008), above it of the 1900s ("'95":
1995)."""
_SIGNS = patterns.compile(r"(?<![<>=-])\s*(>=|<=|>|<|≤|≥|=<|=>)\s*(?=\d)")
_SIGN_WORDS = {">": " above ", "<": " below ", ">=": " at least ", "<=": " at most ",
               "≥": " at least ", "≤": " at most ", "=>": " at least ", "=<": " at most "}  # fmt: skip
"""Comparison signs before a number ("no name >15%"), in words."""
_BARE_LIMIT = patterns.compile(
    r"\b(cap(?:ped)?(?:\s+(?:at|of|it at|them at))?|at most|at least|max(?:imum)?|floor(?:\s+of)?)"
    r"\s+(\d{1,2}(?:\.\d+)?)(?![\d.%]|\s*(?:%|percent|pct|bps?|basis|k\b|m\b|mm\b|years?|yrs?"
    r"|y\b|days?|sessions?|weeks?|months?|stocks|names|assets|holdings|positions|trials|paths))"
)
"""A weight limit said without its percent sign ("cap 40 too", "at least 5")."""
_BARE_EACH = patterns.compile(r"(?<![\d.%])\b(\d{1,2}(?:\.\d+)?)\s+each\b(?!\s+(?:day|week|month))")
"""Weights said as "25 each" of a list of names."""
_NEGATED = patterns.compile(
    r"\b(?:can'?t|cannot|can not|shouldn'?t|should not|mustn'?t|must not|won'?t|will not|"
    r"don'?t|do not|doesn'?t|does not|never)\s+(?:[a-z]+\s+){0,2}?"
    r"(?:(?P<up>more than|over|above|exceed(?:ing|s)?|go above|go over|be above|be over)|"
    r"(?P<down>less than|fewer than|under|below|go below|go under|fall below|drop below|"
    r"be below|be under))\s+(?=\d)"
)
"""A bound said by negating its opposite ("can't hold more than 20%": at most 20%; "shouldn't
go below 5%": at least 5%)."""
_YEAR_S_BEAR_MARKET = patterns.compile(
    r"\b(?:(?:a|an|the)\s+)?(?:(?P<y1>2008|2020|2022)\s+bear(?:ish)?\s+market"
    r"|bear(?:ish)?\s+market\s+(?:of|in|during)\s+(?P<y2>2008|2020|2022))\b"
)
"""The bear market of a year whose historical episode it is ("a bear market in 2008", "the 2020
bear market"): that episode, as the readers know it."""
_EPISODE_SAID = {
    "2008": "the 2008 financial crisis", "2020": "the covid crash", "2022": "the 2022 rate shock",
}  # fmt: skip
_STATE_ASKED = patterns.compile(
    r"\b(?:are|were|is|was)\s+(?:we|the\s+markets?|markets|stocks|equities|it)\s+"
    r"(?:(?:really|already|officially|still)\s+)?(?:in|into)\s+$"
)
"""Whether the market was in a bear market, asked ("were we in a bear market in 2008?"): the
market read's verdict, not the episode."""
_NAMED_STATE_ASKED = patterns.compile(
    r"\b(?:are|were|is|was)\s+(?:the\s+[a-z]+(?:\s+[a-z]+)?|[a-z][\w.&'-]*"
    r"(?:(?:\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+)[a-z][\w.&'-]*){0,9})"
    r"(?:\s+(?:stocks?|shares|names|sector))?\s+(?:(?:really|already|officially|still)\s+)?in\s+$",
    re.IGNORECASE,
)
"""Whether stocks or a group were in "a bear market" that year, asked ("so were the banks in a
bear market in 2020?", "was KO in a bear market in 2008?"): each one's verdict by the rule, not
the episode. The subject is one word per stock or "the" and a group, as the regime readers take
it, so that "what was KO's return in a bear market in 2008?" stays the episode's question."""


def _episode_of(bear_market: re.Match[str], text: str) -> str:
    """The episode a year's bear market is, unless whether the market (or stocks named) was
    in one is asked."""
    before = text[max(0, bear_market.start() - 60) : bear_market.start()]
    if _STATE_ASKED.search(before[-40:]) or (
        bear_market[0].startswith(("a ", "an ")) and _NAMED_STATE_ASKED.search(before)
    ):
        return bear_market[0]
    return _EPISODE_SAID[bear_market["y1"] or bear_market["y2"]]


_PUT_IN = patterns.compile(
    r"\b((?:what|how)\s+(?:if|about\s+if)\s+(?:i|we)\s+|suppose\s+(?:i|we)\s+)(?:put|move|moved"
    r"|shift|shifted|allocate|switch|switched|invest|invested)\s+(\d{1,2}(?:\.\d+)?\s*%)\s+"
    r"(?:of\s+(?:it|the\s+portfolio|my\s+portfolio)\s+)?(?:in|into|to)\s+(?=[\w.&-]+\W*$)",
    re.IGNORECASE,
)
"""A share of the portfolio put in one name, asked as a what-if ("what if I put 20% in XOM?",
"what if we move 10% into KO"): the same as adding it ("what if I add 20% XOM?")."""
_EX = patterns.compile(r"\bex\s+(?!ante\b|post\b|div\w*\b)(?=[a-z])")
"""A group or name left out with "ex" ("ex financials")."""
_OPENING_WORDS = (
    "yo", "hey", "hi", "hiya", "hello", "ok", "okay", "alright", "right", "so", "well", "um",
    "umm", "uh", "hmm", "oh", "ah", "cool", "great", "nice", "thanks", "thank you", "thx", "ty",
    "sure", "quick question", "question",
)  # fmt: skip
_OPENER = patterns.compile(
    r"^\W*(?:(?:"
    + "|".join(f"[{w[0]}{w[0].upper()}]{re.escape(w[1:])}" for w in _OPENING_WORDS)
    + r")\b[\s,.!:;-]*)+(?=(?i:what|what's|whats|how|which|who|when|where|why|is|are|was|were"
    r"|did|does|do|has|have|had|can|could|would|should|will)\b)"
)
"""A greeting or filler before a question ("yo how'd the market do", "ok so how did KO do?",
"Hey, what's the beta of AAPL?"), said in lower case or with a capital first letter only (in
capitals "SO" or "HI" may be a ticker): the question is read as if asked alone."""
_THEM = patterns.compile(
    r"(?<![\w/])'?em\b(?!\s+(?:equit|stock|market|debt|bond|fx|etf|currenc|countr|fund|index"
    r"|sovereign|local|corp|credit|names|assets|exposure))"
)
""""em" or "'em" for "them" ("bt em eq wt"), not emerging markets ("em equities")."""


_MY_STOCKS = patterns.compile(
    r"\b(my|our)\s+(?:stocks|names|positions|shares|equities|picks)\b(?!\s+(?:of|with)\b)"
)
""""My stocks" or "our positions" for the portfolio held ("are any of my stocks down this
year?"), as "my holdings" says it."""


def expand_shorthand(text: str) -> str:
    """`text` with each lower-case shorthand of `SHORTHAND` written out, "last 2y" and "2y
    lookback" as "the last 2 years", "since '19" as "since 2019", a bound said by negating its
    opposite as the bound ("can't hold more than 20%": at most 20%), "what did tech do", "how'd
    tech do" and "how did tech hold up" as "how did tech do", comparison signs before a
    number in words ("no name >15%": above; "≤ 10%": at most), a weight limit or "each" said without its percent sign with it ("cap 40",
    "25 each"), "ex financials" as "excluding financials", "what if I put 20% in XOM" as "what
    if I add 20% XOM", "em" as "them", "my stocks" as "my holdings", a greeting or filler before a question left out ("yo
    how'd the market do": `_OPENER`), and the bear market of 2008, 2020 or
    2022 as that year's historical episode ("a bear market in 2008": the 2008 financial
    crisis)."""
    text = _YEARS.sub(lambda m: f"{m.group(1)} {m.group(2)} years", text)
    if not _STRATEGY.search(text):  # a strategy's lookback is one of its settings
        text = _LOOKBACK.sub(
            lambda m: f"over the last {m.group(1)} {'years' if m.group(2)[0] == 'y' else 'months'}",
            text,
        )
    text = _SHORT_YEAR.sub(_full_year, text)
    text = _WHAT_DID.sub(lambda m: f"how {m.group(1)}", _HOW_D.sub("how did", text))
    text = _HELD_UP.sub(lambda m: m.group(1) + ("do" if " did" in m.group(1) else "done"), text)
    text = _NEGATED.sub(lambda m: "at most " if m.group("up") else "at least ", text)
    text = _SIGNS.sub(lambda m: _SIGN_WORDS[m.group(1)], text)
    text = _BARE_LIMIT.sub(lambda m: f"{m.group(1)} {m.group(2)}%", text)
    text = _BARE_EACH.sub(lambda m: f"{m.group(1)}% each", text)
    text = _EX.sub("excluding ", text)
    text = _PUT_IN.sub(lambda m: f"{m.group(1)}add {m.group(2)} ", text)
    text = _THEM.sub("them", _OPENER.sub("", text))
    text = _MY_STOCKS.sub(lambda m: f"{m.group(1)} holdings", text)
    text = _YEAR_S_BEAR_MARKET.sub(lambda m: _episode_of(m, text), text)
    return _WORD.sub(lambda m: SHORTHAND[m.group(1)], text)


def _full_year(said: re.Match[str]) -> str:
    """A `_SHORT_YEAR` match with its year written in full ("since '95" -> "since 1995")."""
    word, digits = said.group(1) or said.group(3), said.group(2) or said.group(4)
    return f"{word} {('20' if int(digits) <= _CENTURY_PIVOT else '19')}{digits}"


_MAKE_THAT = patterns.compile(
    r"^\W*(?:(?:actually|no|sorry|ok|okay|hmm|wait|oh)\W+)*(?:make|change)\s+(?:that|it)\s+"
    r"(?:to\s+|into\s+)?(\d+(?:\.\d+)?)\s*(?:%|percent\b|pct\b)?\W*$",
    re.IGNORECASE,
)
_NUMBER = patterns.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_YEAR = patterns.compile(r"(?:19|20)\d\d")


def restated(latest: str, earlier: str) -> str:
    """`latest`, or, when it only says a number again ("make that 30", "actually, make it
    30%"), the message before it (`earlier`) with its one number as that ("max 25% each" ->
    "max 30% each"), or its one number of the kind said when it holds years beside ("12% vol
    since 2019" -> "15% vol since 2019"; "2015 to 2020 at 10%" -> "2018 to 2020 at 10%" is
    not one: two years); `latest` when `earlier` gives no number or several of that kind."""
    said = _MAKE_THAT.match(latest)
    if said is None:
        return latest
    numbers = list(_NUMBER.finditer(earlier))
    if len(numbers) > 1:  # of the kind said: a year for a year, else a number that is none
        year = _YEAR.fullmatch(said.group(1)) is not None
        numbers = [n for n in numbers if (_YEAR.fullmatch(n.group(0)) is not None) == year]
    if len(numbers) != 1:
        return latest
    return earlier[: numbers[0].start()] + said.group(1) + earlier[numbers[0].end() :]
