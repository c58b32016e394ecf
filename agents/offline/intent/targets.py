"""What a limit or an exclusion is about: a named asset (a ticker or a company's name) or a
sector or industry the classification knows ("tech", "financials", "banks"), and the limits on
them ("at least 40% JPM", "XOM capped at 10%", "keep financials under 15%", "cap LLY at 20%",
"JNJ between 10% and 25%", "JPM and BAC at most 15% each"), the exclusions ("without XOM",
"skip AMD", "avoid RRC", "nothing in XOM", "ex-energy") and the sectors named as what to work
on ("the energy names").

A limit's target is read from the words beside its comparator: the words after it ("at most
10% in XOM") from the first, the words before it ("keep financials under 15%") from the last.
Ticker lists that are the message's universe ("min vol on KO PG PEP capped at 25%") are not a
target: that cap is on every weight (`limits`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.offline.intent.regime_asked import NOT_WHETHER
from agents.offline.intent.scanner import NUM, PCT, Scanner, fraction
from agents.offline.intent.words import read_tickers
from quant.classification import matching
from settings import patterns

CAP = (
    r"(?:at most|no more than|not more than|no greater than|no higher than|up to|max(?:imum)?"
    r"(?: of)?|cap(?:ped)?(?: at| to)?|ceiling(?: of)?|limit(?:ed)?(?: to| at)?|(?<!no )(?<!not )"
    r"(?:below|under|less than|lower than)"
    r"|not (?:above|over|exceeding)|<=?|≤)"
)
FLOOR = (
    r"(?:at least|no less than|not less than|no lower than|not below|min(?:imum)?(?: of)?"
    r"|floor(?:ed)?(?: at| of)?|(?<!no )(?<!not )(?:above|over|more than|greater than|higher than)"
    r"|>=?|≥)"
)
WORD = r"\b(?!(?:and|or|but|with|while|per|each|any|every|in|on|at|to|for|of|a|an)\b)[a-z&$.\-]+"
TARGET = rf"((?:the\s+)?{WORD}(?:\s+{WORD}){{0,2}})"
BETWEEN = rf"(?:between|from)\s+{NUM}\s*(?:%|percent\b|per cent\b|pct\b)?\s*(?:and|to|-|–)\s*{PCT}"

Book = dict[str, tuple[float, float]]

_QUALIFIER = patterns.compile(
    r"\s+(?:sector|stocks|names|shares|companies|weights?|exposure|allocation|positions?"
    r"|holdings?)$"
)
"""Words after a target that say what of it is limited ("tech weight < 30%")."""
_LETTERS = patterns.compile(r"[a-z&\s\-]+")
_NOT_SPACE = patterns.compile(r"\S+")
_COMMA_JOIN = patterns.compile(r",\s?(and|&)\b")
_TOKEN = patterns.compile(r"\$?[a-z][a-z.\-]*|[,&;:]")
_ONE_OR_TWO_WORDS = patterns.compile(rf"{WORD}(?:\s+{WORD})?")

_RISK_BEFORE = patterns.compile(
    r"\b(?:c?var|value at risk|drawdowns?|vol(?:atility)?|sharpe|returns?|beta|loss(?:es)?)\b"
    r"(?:\s+(?:of|for|on))?\s*$"
)


def resolve(target: str, known: Sequence[str], backward: bool = False) -> tuple[str | None, str]:
    """What a limit's target words name: ("asset", ticker), ("sector", term) or (None, ""):
    the longest run of its first words (its last words when the target comes before the
    comparator, `backward`) that names one ("consumer staples stocks" -> the consumer staples
    sector; "keep walmart" -> WMT)."""
    kind, name, _ = resolve_run(target, known, backward)
    return kind, name


def resolve_run(
    target: str, known: Sequence[str], backward: bool = False
) -> tuple[str | None, str, int]:
    """`resolve`, with how many of the target's words (its last ones when `backward`, else its
    first ones) the name was read from (0 when none)."""
    words = target.strip().rstrip(".").removeprefix("the ").split()
    runs = [words[i:] for i in range(len(words))] if backward else []
    runs += [words[:size] for size in range(len(words), 0, -1)] if not backward else []
    for run in runs:
        head = _QUALIFIER.sub("", " ".join(run))
        head = head.removeprefix("the ")
        tickers = read_tickers(head.upper() if len(head) <= 5 else head, known)
        alone = len(run) == 1 or not any(read_tickers(word.upper(), known) for word in run)
        if len(tickers) == 1 and alone:  # "jpm energy" names no asset: JPM is one word of it
            return "asset", tickers[0], len(run)
        if _LETTERS.fullmatch(head) and matching(head):
            return "sector", head, len(run)
    return None, "", 0


def _run_start(match: re.Match[str], group: int, used: int) -> int:
    """Where the last `used` words of `match`'s `group` start in the text."""
    starts = [m.start() for m in _NOT_SPACE.finditer(match.group(group))]
    return match.start(group) + starts[max(0, len(starts) - used)]


def _universe_list(target: str, known: Sequence[str]) -> bool:
    """Whether target words are a list of two or more tickers (the message's universe)."""
    return len(read_tickers(target.upper(), known)) >= 2


def last_list_start(names: Sequence[str]) -> int:
    """Where the last list of `names` (in the order said) starts: a name said again starts a
    new list ("on KO, PG, WMT, KO at most 5%": KO alone; "AAPL, AMD, BAC, BBY, AAPL and AMD at
    least 5%": AAPL and AMD)."""
    start = 0
    for i, name in enumerate(names):
        if name in names[start:i]:
            start = i
    return start


def _listed_before(scan: Scanner, start: int, known: Sequence[str]) -> list[str]:
    """Tickers joined to a limit's target just before `start` ("JPM and BAC at most 15%
    each": JPM; "JPM, BAC and XOM ...": JPM and BAC), not those of a list that came before
    ("on JPM BAC XOM, KO and PG at most 10%": KO only) nor those of an exclusion ("all but KO
    and GE, BAC at most 5%": none)."""
    text = _COMMA_JOIN.sub(r" \1", scan.free[:start])  # ", and" joins as "and" does
    tokens = _TOKEN.findall(text)  # ";" and ":" end a list
    found: list[str] = []
    while len(tokens) >= 2 and tokens[-1] in ("and", "&", ","):
        ticker = read_tickers(tokens[-2].upper(), known)
        if not ticker or (len(tokens) >= 3 and read_tickers(tokens[-3].upper(), known)):
            break  # not a ticker, or one of a list of tickers said without joins (a universe)
        found.append(ticker[0])
        tokens = tokens[:-2]
    if tokens[-1:] and _EXCLUSION_WORD.fullmatch(tokens[-1]):
        return []
    return found


_EXCLUSION_WORD = patterns.compile(
    r"but|except|excluding|without|ex|minus|skip|avoid|drop|sans|than|from"
)
"""A word before a list of tickers that leaves them out ("all but KO and GE", "other than")."""


def ranges(scan: Scanner, known: Sequence[str], assets: Book, sectors: Book) -> None:
    """Read "<target> between X% and Y%" and "between X% and Y% in <target>" into the books."""
    backward = patterns.compile(
        rf"{TARGET}\s+(?:weight\s+|exposure\s+|allocation\s+)?(?:(?:is|at|should be|must be|"
        rf"kept|held|stays?)\s+)?{BETWEEN}"
    )
    forward = patterns.compile(rf"{BETWEEN}\s*(?:in|on|for|of|into)\s+{TARGET}")
    for pattern, target_group, back in ((backward, 1, True), (forward, 3, False)):
        for match in list(pattern.finditer(scan.free)):
            pcts = [g for i, g in enumerate(match.groups(), 1) if i != target_group]
            kind, name = resolve(match.group(target_group), known, back)
            low, high = fraction(pcts[0]), fraction(pcts[1])
            if kind is not None and low <= high:
                scan.consume(match)
                (assets if kind == "asset" else sectors)[name] = (low, high)


_JOINED = patterns.compile(
    r"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&|or)\s+|\s*/\s*)(\$?[a-z][a-z.\-]*)\b"
)
"""A ticker joined to the one before it ("and MSFT", ", KO", "/ PG")."""
_OWN_LIMIT = patterns.compile(
    rf"\s*(?:(?:weight|exposure|allocation|position|is|at|should be|must be|to|kept|stays?"
    rf"|held)\s+)*(?:{CAP}|{FLOOR}|between\b|from\b|\d)"
)
"""What follows a ticker with a limit of its own ("and MSFT at most 5%")."""


def _listed_after(scan: Scanner, end: int, known: Sequence[str]) -> list[str]:
    """Tickers joined to a limit's target just after `end` ("at most 10% in AAPL and MSFT":
    MSFT; "in AAPL, MSFT and KO": MSFT and KO), not one with a limit of its own ("and MSFT at
    most 5%"). They stay free, as the names joined before a target do (`_listed_before`)."""
    found: list[str] = []
    while match := _JOINED.match(scan.free, end):
        ticker = read_tickers(match.group(1).upper(), known)
        if len(ticker) != 1 or _OWN_LIMIT.match(scan.free, match.end()):
            break
        found.append(ticker[0])
        end = match.end()
    return found


_CHAINED = patterns.compile(
    rf"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+|\s*;\s*)(?!{CAP}|{FLOOR}){PCT}\s*"
    rf"(?:(?:in|on|for|to|of|into)\s+)?{TARGET}"
)
"""A share of another target joined to a limit said before it, its comparator left out ("at
least 60% in KO and 40% in JNJ": at least 40% in JNJ)."""


def _chained(
    scan: Scanner, end: int, known: Sequence[str]
) -> tuple[list[tuple[str, str, float]], int]:
    """The limits joined to one that ends at `end` with their comparator left out (kind, name
    and value of each, in order; they take its comparator), and where their words end."""
    found = []
    while match := _CHAINED.match(scan.free, end):
        kind, name, used = resolve_run(match.group(2), known)
        value = fraction(match.group(1))
        if kind is None or not 0.0 <= value <= 1.0:
            break
        words = [m.end() for m in _NOT_SPACE.finditer(match.group(2))]
        end = match.start(2) + words[used - 1 + match.group(2).startswith("the ")]
        found.append((kind, name, value))
    return found, end


def targeted(scan: Scanner, known: Sequence[str], assets: Book, sectors: Book) -> None:
    """Read the caps and floors on named assets and sectors into the books (see the module
    docstring), in order of appearance, each number once; a limit said after its comparator of
    a list of tickers holds for each ("at most 10% in AAPL and MSFT")."""
    found = []
    for bound, comparator in (("max", CAP), ("min", FLOOR)):
        forward = patterns.compile(
            rf"{comparator}\s*{PCT}\s*(?:(?:in|on|for|to|of|into)\s+)?{TARGET}"
        )
        backward = patterns.compile(
            rf"{TARGET}\s+(?:weight\s+|exposure\s+|allocation\s+|position\s+)?(?:is\s+|at\s+|"
            rf"should be\s+|must be\s+|to\s+|kept\s+|stays?\s+|held\s+)?{comparator}\s*{PCT}"
            r"(?:\s*(?:each|apiece))?"
        )
        verb = patterns.compile(
            rf"\b(?:cap|limit|restrict|hold)\s+{TARGET}\s+(?:at|to|under|below)\s+{PCT}"
            if bound == "max"
            else rf"\bfloor\s+{TARGET}\s+at\s+{PCT}"
        )
        noun = patterns.compile(  # "a 10% cap on health care", "a 5% floor in energy"
            rf"{PCT}\s*(?:{'cap|limit|ceiling|max(?:imum)?' if bound == 'max' else 'floor|min(?:imum)?'})"
            rf"\s+(?:on|for|in|of)\s+{TARGET}"
        )
        for pattern, back in ((forward, False), (noun, False), (backward, True), (verb, False)):
            pct, target = (1, 2) if pattern in (forward, noun) else (2, 1)
            for match in pattern.finditer(scan.free):
                if back and _RISK_BEFORE.search(scan.free[: match.start()][-30:]):
                    continue  # "the CVaR of AAPL below 5%" limits a risk measure, not a weight
                words = match.group(target)
                kind, name, used = resolve_run(words, known, back)
                if back and kind == "asset" and _universe_list(words, known):
                    continue
                value = fraction(match.group(pct))
                # a target read from the last words ("AAPL MSFT XOM energy <= 10%": energy) is
                # all the limit takes of the text: the words before it stay free
                start = _run_start(match, target, used) if back and kind else match.start()
                if kind is not None and 0.0 <= value <= 1.0:
                    limit = (kind, name, value)
                    found.append((start, match.end(), bound, limit, back, pattern is forward))
    found.sort(key=lambda item: item[0])
    end = -1
    for start, stop, bound, (kind, name, value), back, joins in found:
        if start < end:
            continue
        end = stop
        # "JPM and BAC at most 15% each": the names joined before a target said first; "at
        # most 10% in AAPL and MSFT": those after one said last
        joined: list[str] = []
        if kind == "asset" and back:
            said = [*reversed(_listed_before(scan, start, known)), name]
            joined = said[last_list_start(said) : -1]
        elif kind == "asset":
            joined = _listed_after(scan, stop, known)
            if name in joined:
                joined = []
        limits = [(kind, each, value) for each in [name, *joined]]
        if joins and not joined:
            chained, end = _chained(scan, stop, known)
            limits += chained
        scan.free = scan.free[:start] + " " * (end - start) + scan.free[end:]
        for kind_of, each, share in limits:
            book = assets if kind_of == "asset" else sectors
            low, high = book.get(each, (0.0, 1.0))
            book[each] = (low, share) if bound == "max" else (share, high)


_EXCLUDE = patterns.compile(
    r"(?:\b(?:without|excluding|exclude|except|drop|dropping|remove|removing|minus|no|not|skip"
    r"|skipping|avoid|avoiding|leave out|leaving out|take out|taking out|nothing in|none in"
    r"|ditch|ditching|cut(?![^.?!;]*\b(?:to|by|back|down|half|exposure)\b)"  # not "cut X to 10%"
    r"|zero in|no exposure to|but not|other than|apart from|sans"
    r"|if\s+(?:i|we|you)\s+(?:dropped|removed|excluded|ditched)"  # "if we dropped KO"
    rf"|{NOT_WHETHER}(?:sell|selling|get rid of|ditch|dump))\s+"  # "sell XOM"
    rf"|\bex(?:-\s*|\s+))((?:the\s+)?{WORD}(?:\s+{WORD})?"
    rf"(?:(?:\s*,\s*|\s+and\s+|\s+or\s+|\s+nor\s+){WORD})*)"
)


_ALL_BUT = patterns.compile(
    r"\b(?:all|every|everything|the whole universe)(?:\s+(?:the\s+)?(?:\d+\s+)?(?:stocks?|names?"
    r"|tickers?|holdings?|assets?))?\s+but\s+(?!not\b)"
    rf"((?:the\s+)?{WORD}(?:\s+{WORD})?(?:(?:\s*,\s*|\s+and\s+|\s+or\s+){WORD})*)"
)
"""An exclusion said as what the universe holds but ("all stocks but XOM and CVX")."""

_EXCLUDE_OUT = patterns.compile(
    r"\b(?:take|taking|leave|leaving|kick|kicking|throw|throwing|cut|cutting|pull|pulling)\s+"
    rf"((?:the\s+)?{WORD}(?:\s+{WORD})?(?:(?:\s*,\s*|\s+and\s+){WORD})*)\s+out\b"
)
"""An exclusion said around its names ("take the banks out", "leave XOM and CVX out")."""


def exclusions(scan: Scanner, known: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tickers and sector terms the message leaves out ("without XOM and CVX",
    "ex-energy", "skip AMD", "take the banks out")."""
    tickers: list[str] = []
    sectors: list[str] = []
    found = [
        *_EXCLUDE_OUT.finditer(scan.free),
        *_ALL_BUT.finditer(scan.free),
        *_EXCLUDE.finditer(scan.free),
    ]
    for match in found:
        end = None
        for part in _ONE_OR_TWO_WORDS.finditer(match.group(1)):
            if end is not None and scan.consumed_within(end, match.start(1) + part.start()):
                break  # a list ends where text read as something else ("except energy, keeping
            kind, name = resolve(part.group(0), known)  # max 12% in ko and wmt": not WMT)
            if kind == "asset" and name not in tickers:
                tickers.append(name)
            elif kind == "sector" and name not in sectors:
                sectors.append(name)
            elif kind is None:
                continue
            end = match.start(1) + part.end()
        if end is not None:
            scan.free = scan.free[: match.start()] + " " * (end - match.start()) + scan.free[end:]
    return tuple(tickers), tuple(sectors)


_GROUP_WORD = r"[a-z&\-]+"
_SIDE_BY_SIDE = r"vs\.?|versus|against|compared (?:to|with)|or"
"""Words that set one sector beside another ("tech vs staples", "banks compared with energy")."""
_JOINING = r"(?!(?:and|or|plus|vs|versus|against|compared)\b)"
_GROUP = rf"(?:{_JOINING}{_GROUP_WORD}\s+)?{_JOINING}{_GROUP_WORD}"
"""A sector or industry term of one or two words, neither a joining word ("tech", "health
care"; not "tech vs", not "and bank")."""
_MOVE_VERB = (
    r"performed|fell|rose|lost|gained|returned|dropped|declined"
    r"|perform|fall|rise|lose|gain|return|drop|decline"
)
"""What may follow the sectors a question ranks ("which of the banks lost the most", "did any
of the banks fall more than 20%?")."""
_WOULD = r"would|will|could|might"
"""What may follow them in a ranking asked of what would happen ("which banks would lose more
in 2008?"): only after "which", since "an overweight in energy would pay off?" ranks nothing."""
_HOLDINGS_NOUN = r"(?:names?|stocks?|sector|shares?|compan(?:y|ies)|equities|basket|space)"
"""What a sector term may be followed by ("the energy names", "bank stocks")."""
_SECTOR_SUBJECTS = (
    patterns.compile(rf"\b({_GROUP})\s+{_HOLDINGS_NOUN}\b"),
    patterns.compile(  # "how are the banks doing?", "how's tech been doing?"
        rf"\bhow(?:['\u2019](?:s|re|ve)| (?:are|is|did|have|has|were|does|do)) (?:the\s+)?({_GROUP})"
    ),
    patterns.compile(
        rf"\b(?:of|for|on|in|across|among|between)\s+(?:the\s+|my\s+|our\s+)?({_GROUP})\s*(?=$|[?,.;!+]"
        r"|\s(?:since|from|over|between|in|with|and|plus|during|for|at|to|under|without|excluding"
        rf"|no|capped|had|has|have|was|were|is|are|did|does|do|{_SIDE_BY_SIDE}|{_MOVE_VERB})\b)"
    ),
    patterns.compile(  # "compare tech with staples", "compare the banks to energy"
        rf"\bcompar\w*\s+(?:the\s+)?({_GROUP})(?=\s+(?:to|with|and|vs\.?|versus|against)\s)"
    ),
    patterns.compile(  # "which is riskier, tech or staples?", "tech vs staples: which ...?"
        rf"(?:^|[,:]\s*)(?:the\s+)?({_GROUP})(?=\s+(?:or|vs\.?|versus)\s)"
    ),
    patterns.compile(  # "is tech riskier than staples?", "are the banks safer than energy?"
        rf"\b(?:is|are|was|were)\s+(?:the\s+)?({_GROUP})\s+(?=(?:riskier|safer|more risky|less risky"
        r"|more dangerous|less dangerous|more defensive)\s+than\b)"
    ),
    patterns.compile(  # "... riskier than staples?"
        r"\b(?:riskier|safer|more risky|less risky|more dangerous|less dangerous|more defensive)"
        rf"\s+than\s+(?:the\s+)?({_GROUP})\s*(?=$|[?,.;!])"
    ),
    patterns.compile(  # a follow-up about other names: "what about the banks?", "and energy"
        rf"^\s*(?:and|what about|how about|also|same|now)\s+(?:(?:for|with|on)\s+)?(?:the\s+|my\s+"
        rf"|our\s+)?({_GROUP})\s*(?=$|[?,.;!+]|\s(?:since|from|over|between|in|with|and|plus"
        r"|during|for|instead|then|too)\b)"
    ),
    patterns.compile(
        rf"\b(?:rank|sort|order)\w*\s+(?:the\s+)?({_GROUP})(?=\s+by\b)"
    ),  # "rank the banks by"
    patterns.compile(  # "did tech beat the market?", "has energy outperformed the S&P?"
        rf"\b(?:did|does|do|has|have|had)\s+(?:the\s+)?({_GROUP})\s+(?=(?:beat|outperform"
        r"|underperform|lag|trail|keep\s+up)\w*\b)"
    ),
    patterns.compile(  # "a good time to buy tech?", "should I get into the banks now?"
        r"\b(?:buy|sell|get\s+(?:into|out\s+of)|invest\s+in|add|exit|trim|load\s+up\s+on)\s+"
        rf"(?:the\s+|some\s+|more\s+)?({_GROUP})(?=\s*(?:$|[?,.;!])|\s+(?:now|today|here|yet|right"
        r"\s+now|at\s+this\s+point)\b)"
    ),
    patterns.compile(  # "are the banks in a bear market?", "how volatile are the banks?"
        rf"\b(?:is|are|was|were|has|have)\s+(?:the\s+)?({_GROUP})(?=\s*(?:$|[?.!])|\s+(?:now\s+"
        r"|currently\s+|still\s+|already\s+)?(?:in|into|entering|entered)\s+(?:an?\s+)?(?:bull|bear))"
    ),
    patterns.compile(  # "which bank had the best Sharpe ratio?", "which banks fell the most"
        rf"\bwhich\s+({_GROUP})(?=\s+(?:had|has|have|was|were|is|are|did|does|do|{_MOVE_VERB}"
        rf"|{_WOULD})\b)"
    ),
    patterns.compile(rf"\bwhich\s+of\s+(?:the\s+)?({_GROUP})(?=\s+(?:{_WOULD})\b)"),
    patterns.compile(  # "how correlated are the banks with energy?"
        rf"\bcorrelat\w*\s+(?:are|is|were|was)\s+(?:the\s+)?({_GROUP})(?=\s+(?:with|to|and)\s)"
    ),
    patterns.compile(  # "... correlated with energy?", "... correlation of XOM to the banks"
        rf"\bcorrelat\w*\b.*?\b(?:with|to)\s+(?:the\s+)?({_GROUP})\s*(?=$|[?,.;!]"
        r"|\s(?:since|from|over|between|in|during)\b)"
    ),
)


_JOINED_GROUP = patterns.compile(
    rf"(?:\s*,\s*(?:(?:and|&|plus)\s+)?|\s+(?:and|&|plus|{_SIDE_BY_SIDE})\s+|\s*\+\s*)"
    rf"(?:the\s+)?((?!(?:and|or|plus|vs|versus)\b){_GROUP})"
)
"""A sector or industry joined to the one before it ("tech and health care", "banks, staples
and energy", "tech + health care", "tech vs staples")."""
_COMPARED_JOIN = patterns.compile(
    rf"\s+(?:to|with)\s+(?:the\s+)?((?!(?:and|or|plus|vs|versus)\b){_GROUP})"
)
"""A sector set beside the one before it in a comparison ("compare the energy names to the
banks", "compare tech with staples"): read only when the message compares."""
_COMPARES = patterns.compile(r"\bcompar\w*")
_AFTER_GROUP = patterns.compile(rf"\s+{_HOLDINGS_NOUN}\b")
_JOINED_BEFORE = patterns.compile(
    rf"(?:^|\s)(?:the\s+)?({_GROUP})(?:\s+{_HOLDINGS_NOUN})?(?:\s*,\s*(?:(?:and|&|plus)\s+)?"
    rf"|\s+(?:and|&|plus)\s+|\s*\+\s*)(?:the\s+)?$"
)
"""A sector or industry joined to the one after it ("tech and bank stocks": tech)."""


_NOT_GROUPS = ("the", "my", "our", "all", "any", "each", "system", "systems")
"""Words that name no sector where a sector may stand ("what's in the system?"), though a
sub-industry holds them ("Systems Software")."""


def _group_term(words: str) -> str | None:
    """The sector or industry term `words` name: all of them, their last or their first."""
    split = words.split()
    for head in (" ".join(split), split[-1], split[0]):
        if head not in _NOT_GROUPS and matching(head):
            return head
    return None


def read_sector_universe(scan: Scanner) -> tuple[str, ...]:
    """The sectors or industries a message names as what to work on ("the energy names",
    "healthcare stocks", "a frontier for the staples", "tech and health care"), in order; run
    after the limits and exclusions were consumed, so "no more than 30% in tech" is not a
    universe."""
    found: dict[str, None] = {}
    compares = _COMPARES.search(scan.free) is not None
    for pattern in _SECTOR_SUBJECTS:
        for match in pattern.finditer(scan.free):
            head = _group_term(match.group(1))
            if head is None:
                continue
            before: list[str] = []
            start = match.start(1)
            while (joined := _JOINED_BEFORE.search(scan.free[:start])) and (
                more := _group_term(joined.group(1))
            ):
                before.insert(0, more)
                scan.consume(joined, 1)
                start = joined.start(1)
            for term in (*before, head):
                found.setdefault(term, None)
            scan.consume(match, 1)
            end = match.end(1)
            if noun := _AFTER_GROUP.match(scan.free, end):  # "the tech stocks and the banks"
                end = noun.end()
            while (
                joined := _JOINED_GROUP.match(scan.free, end)
                or (_COMPARED_JOIN.match(scan.free, end) if compares else None)
            ) and (more := _group_term(joined.group(1))):
                found.setdefault(more, None)
                scan.consume(joined, 1)
                end = joined.end(1)
    return tuple(found)


def sector_tickers(terms: Sequence[str]) -> list[str]:
    """The classified tickers the sector terms name, in order ("tech" -> AAPL, AMD, MSFT)."""
    found: dict[str, None] = {}
    for term in terms:
        for item in matching(term):
            found.setdefault(item.ticker, None)
    return list(found)
