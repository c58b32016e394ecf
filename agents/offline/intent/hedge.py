"""An option hedge in a message: its kinds, the put's strike, tenors, the roll, the hedge
ratio and the annual budget ("add a 90% put overlay with a 2% annual budget", "compare collars
and put spreads", "how much should I spend on protection?"), and how the options are priced when
it is said in the implied-volatility model's own terms ("a variance risk premium of 0.02", "2
variance points", "a skew of 2", "a flat skew", "a 42-day realised window"). "Implied vol 5
points over realised" is not one of them (the model adds variance, so how many vol points it
adds depends on the realised vol): it is read as `vol_points`, for the policy to ask about.

`read_hedge(scan)` returns a `HedgeAsk` when the message speaks of a hedge at all
(None otherwise) and blanks out what it read, so the other readers do not take a strike or a
budget for a limit or a volatility target.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.offline.intent.scanner import NUM, PCT, Scanner, fraction
from settings import patterns

TRADING_DAYS = {"day": 1, "week": 5, "month": 21, "year": 252}
"""Trading days per unit of a tenor ("3-month" -> 63 days)."""

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "nine": 9, "twelve": 12, "a": 1,
}  # fmt: skip

_HEDGE_HELD = (
    r"\b(?:the|our|my|its|that|this)\s+(?:protective\s+)?(?:puts?|hedge|hedging|collars?"
    r"|put[\s-]spreads?|overlay|protection|insurance|options?)\b"
)
HEDGE_OUTCOME_ASKED = patterns.compile(
    _HEDGE_HELD + r"[^?.!;]{0,40}?\b(?:cost|costs|costed|costing|premiums?|pay|paid|spend|spent"
    r"|carry|perform\w*|work(?:ed)?|help(?:ed)?|hold\s+up|held\s+up|fare[sd]?)\b"
    r"|\b(?:cost|costs|premiums?|carry)\s+(?:of|on|for)\s+"
    + _HEDGE_HELD.removeprefix(r"\b")
    + r"|\bhow\s+(?:did|has|would)\s+"
    + _HEDGE_HELD.removeprefix(r"\b")
    + r"\s+(?:have\s+)?(?:do|done|go|gone)\b"
)
"""The cost or the outcome of a hedge the conversation holds asked ("how much would the hedge
have cost in 2022?", "what did the put cost us in 2020?", "the premium of our collar last
year", "how did the collar do?", "did the hedge help?"): the hedged strategy's backtest over the
window said, or the one it had, not a search for one nor one option's price (a put said with
"a": "what would a 90% put on AAPL have cost?")."""

_KINDS = (
    ("put_spread", patterns.compile(r"\bput[\s-]*spreads?\b")),
    ("collar", patterns.compile(r"\bcollars?\b|\bzero[\s-]cost collars?\b")),
    (
        "put",
        patterns.compile(
            r"\bprotective puts?\b|\bputs\b|\bput\s+(?:overlay|option|protection|hedge)s?\b"
            r"|\b(?:otm|out[\s-]of[\s-]the[\s-]money)\s+puts?\b"
            r"|%\s*(?:strike\s+)?puts?\b|\b(?:buy|buying|add|adding|with|long|a|an)\s+(?:[\w-]+\s+)?"
            r"put\b(?!\s+(?:it|that|this|them|the|my|our|money|in|into|on)\b)"
        ),
    ),
)

_HEDGE_WORDS = patterns.compile(
    r"\bprotect\w*|\bhedg(?:e|es|ed|ing)\b(?!\s+funds?)|\binsur\w*|\boverlays?\b"
    r"|\bdownside cover\b|\btail[\s-]*(?:risk[\s-]*)?hedg\w*|\b(?:strike|tenor)s?\b"
    r"|\brolls?\b|\brolled\b"
)

_UNIT = r"(day|week|month|year)s?"
_COUNT = r"((?<!\d)\d+|one|two|three|four|six|nine|twelve|a)"

_STRIKE = [
    patterns.compile(r"strikes?\s*(?:between|from|of|at|=|:)?\s*" + NUM + r"\s*%?\s*(?:to|and|-|–)\s*" + PCT),
    patterns.compile(PCT + r"\s*(?:to|-|–)\s*" + PCT + r"\s*strikes?"),
    patterns.compile(PCT + r"\s*(?:strike\s+|moneyness\s+)?(?:protective\s+)?(?:puts?\b|put[\s-]*spreads?\b"
               r"|collars?\b)"),
    patterns.compile(r"strikes?\s*(?:of|at|=|:)?\s*" + PCT),
    patterns.compile(PCT + r"\s*strikes?\b"),
    patterns.compile(r"(?:puts?|put[\s-]*spreads?)\s+(?:struck\s+)?at\s+" + PCT),
]  # fmt: skip

_BUDGET = [
    patterns.compile(
        PCT + r"\s*(?:(?:a|per) year\s+|annual(?:ly)?\s+|yearly\s+)?(?:premium\s+|protection\s+"
        r"|hedg\w*\s+|option\s+)?(?:budget|cap)\b"
    ),
    patterns.compile(r"budget\s*(?:cap\s*)?(?:of|at|=|:|to|is)?\s*(?:up to\s+|at most\s+)?" + PCT),
    patterns.compile(
        r"(?:spend|spending|pay|paying|costs?|costing)\s+(?:at most\s+|up to\s+|no more than\s+"
        r"|less than\s+|under\s+|about\s+)?" + PCT
    ),
]

_PERCENT_BUDGET = patterns.compile(
    PCT + r"\s*(?:(?:a|per) year\s+|annual(?:ly)?\s+|yearly\s+)?(?:premium\s+|protection\s+"
    r"|hedg\w*\s+|option\s+)?budget\b"
)
"""A budget said as a percentage ("a 2% budget"): the options' premiums a year, a hedge spoken
of without its name; not a cap ("a 10% cap on tech" is a weight limit) nor a risk budget."""

_ASKS_BUDGET = patterns.compile(
    r"how much (?:should|to|can|could|would|do|must) (?:i |we )?(?:spend|pay|budget|allocate|put)"
    r"|how much (?:protection|to spend)|what (?:budget|premium)|\bhow much\b.*\b(?:protect|hedg)"
)

_ASKS_FORM = patterns.compile(
    r"\b(?:in )?what (?:form|kind|type|shape|structure)\b|\bwhich (?:form|kind|type|overlay|"
    r"structure|protection)\b|\bhow (?:should|to|would|do) (?:i |we )?(?:protect|hedge)"
)

_TENOR = [
    patterns.compile(
        r"(?:tenors?|expir\w*|maturit\w*)\s*(?:of|=|:|at)?\s*((?:\d+\s*(?:,|and|or)?\s*)+)" + _UNIT
    ),
    patterns.compile(
        # a strike may stand between ("a 3-month 90% put"; its number is read as the strike first)
        _COUNT + r"[\s-]*" + _UNIT + r"[\s-]+(?:(?:\d+(?:\.\d+)?)?\s*%\s*(?:strike\s+)?)?"
        r"(?:protective\s+)?(?:puts?|put[\s-]spreads?|collars?"
        r"|options?|tenors?|expir\w*|maturit\w*|overlays?|protection|hedges?)\b"
    ),
]

_ROLL_DELTA = patterns.compile(
    r"\bdelta[\s-]*band\b|\broll\w*\s+(?:\w+\s+)?(?:at|on|by)\s+(?:a\s+)?delta\b"
)
_DELTA_BAND = [
    patterns.compile(
        r"\bdelta[\s-]*band\s*(?:of|=|:|at)?\s*(?:±|\+-|\+/-)?\s*" + NUM + r"(?![\d.]*\s*%)"
    ),
    patterns.compile(NUM + r"(?![\d.]|\s*%)[\s-]*delta[\s-]*band\b"),  # what follows is no digit
]
_ROLL_BAND = patterns.compile(r"\broll\w*\s+(?:\w+\s+)?(?:early|band|when|before|if)\b|\bband\b")
_ROLL_EXPIRY = patterns.compile(r"\broll\w*\s+(?:only\s+)?(?:at|on)\s+expir\w*|\bhold to expir\w*")

_CALL_STRIKE = [
    patterns.compile(PCT + r"[\s-]*(?:strike\s+)?(?:sold\s+|short\s+)?calls?\b"),
    patterns.compile(r"\bcalls?\s+(?:struck\s+|strike\s+)?(?:at|of|=|:)\s*" + PCT),
]
"""The strike of a collar's sold call ("a collar with a 110% call", "call at 115%")."""

_HEDGE_RATIO = [
    patterns.compile(r"hedge[\s_-]*ratio\s*(?:of|=|:|at)?\s*" + NUM + r"\s*(%)?"),
    patterns.compile(r"\b(?:cover(?:ing)?|hedg(?:e|ing))\s+" + PCT + r"\s+of\b"),
]


_VRP = [
    patterns.compile(r"variance[\s-]*risk[\s-]*premium\s*(?:of|=|:|at|is)?\s*" + NUM + r"(?![\d.]*\s*%)"
               r"(\s*variance\s*points?)?"),
    patterns.compile(NUM + r"\s*variance\s*points?"),
]  # fmt: skip
_SKEW = patterns.compile(r"\bskew\s*(?:of|=|:|at|is)?\s*" + NUM + r"(?![\d.]*\s*%)")
_FLAT_SKEW = patterns.compile(r"\b(?:flat|no|zero)\s+(?:vol(?:atility)?\s+)?(?:skew|smile)\b")
_WINDOW = [
    patterns.compile(r"(?<!\d)(\d+)[\s-]*(?:trading[\s-]*)?days?[\s-]+reali[sz]ed(?:[\s-]*vol\w*)?[\s-]*"
               r"window"),
    patterns.compile(r"reali[sz]ed[\s-]*(?:vol\w*\s*)?window\s*(?:of|=|:|is)?\s*(\d+)\s*"
               r"(?:trading\s*)?days?"),
    patterns.compile(r"reali[sz]ed\s+vol\w*\s+(?:over|on|from)\s+(?:the\s+)?(?:last\s+)?(\d+)\s*"
               r"(?:trading\s*)?days?"),
]  # fmt: skip
_VOL_POINTS = patterns.compile(
    r"implied\s+vol\w*\s+(?:of\s+|at\s+|is\s+)?" + NUM + r"\s*(?:vol\s*)?(?:points?|pts?|%)"
    r"\s+(?:over|above|higher than|on top of)\s+realis"
)


@dataclass(frozen=True)
class HedgeAsk:
    """What a message asks of an option hedge (empty: not said).

    `kinds`: hedge kinds named, in order ("put", "put_spread", "collar"); `strikes`: the
    bought put's strike(s) as moneyness (one, or the two ends of a range); `call_strike`: a
    collar's sold call's strike as moneyness ("a 110% call"); `budget`: the annual
    premium cap as a fraction of wealth; `asks_budget`: the user asks how much to spend;
    `asks_form`: the user asks which form the hedge should take; `tenors`: trading days
    to expiry; `roll`: "expiry", "band" or "delta"; `roll_delta_band`: the delta band's
    half-width ("a 0.05 delta band"); `hedge_ratio`: options per unit of the sleeve;
    `vol_model`: the implied-volatility model's parameters said (`variance_risk_premium` in
    annual variance, `skew`, `realised_window` in trading days); `vol_points`: "implied vol N
    points over realised" (a fraction), which the model cannot take as it is.
    """

    kinds: tuple[str, ...] = ()
    strikes: tuple[float, ...] = ()
    call_strike: float | None = None
    budget: float | None = None
    asks_budget: bool = False
    asks_form: bool = False
    tenors: tuple[int, ...] = ()
    roll: str | None = None
    roll_delta_band: float | None = None
    hedge_ratio: float | None = None
    vol_model: tuple[tuple[str, float], ...] = ()
    vol_points: float | None = None

    def config_fields(self) -> dict[str, float | str]:
        """The strategy configuration's overlay fields said (`quant.strategy.StrategyConfig`):
        the first kind named (not "none"), the first strike and tenor, the collar's call, the
        roll, the delta band, the hedge ratio and the budget; a kind not named is left out."""
        kinds = [kind for kind in self.kinds if kind != "none"]
        said: dict[str, float | str | None] = {
            "overlay": kinds[0] if kinds else None,
            "overlay_strike": self.strikes[0] if self.strikes else None,
            "overlay_call_strike": self.call_strike if kinds[:1] == ["collar"] else None,
            "overlay_tenor_days": self.tenors[0] if self.tenors else None,
            "overlay_roll": self.roll,
            "overlay_roll_delta_band": self.roll_delta_band,
            "overlay_hedge_ratio": self.hedge_ratio,
            "overlay_budget": self.budget,
        }
        return {field: value for field, value in said.items() if value is not None}

    @property
    def has_goal(self) -> bool:
        """Whether anything but the wish for a hedge itself was said."""
        return bool(
            self.kinds or self.strikes or self.budget is not None or self.asks_budget
            or self.asks_form or self.tenors or self.hedge_ratio is not None
        )  # fmt: skip


_DIGITS = patterns.compile(r"\d+")


def _kinds(scan: Scanner) -> tuple[str, ...]:
    hits: dict[str, int] = {}
    text = scan.low
    for kind, pattern in _KINDS:
        if match := pattern.search(text):
            hits[kind] = match.start()
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)  # "put spread" is no "put"
    return tuple(sorted(hits, key=lambda kind: hits[kind]))


_OUT_OF_THE_MONEY = patterns.compile(
    PCT
    + r"\s*(?:otm|out[\s-]of[\s-]the[\s-]money)\s+(?:protective\s+)?(?:puts?|put[\s-]*spreads?)\b"
)
"""A put's strike said by how far out of the money it is ("a 10% OTM put": a 90% strike)."""


def _strikes(scan: Scanner) -> tuple[float, ...]:
    if (otm := _OUT_OF_THE_MONEY.search(scan.free)) and 0.0 <= fraction(otm.group(1)) < 0.5:
        scan.consume(otm)
        return (round(1.0 - fraction(otm.group(1)), 10),)
    for pattern in _STRIKE:
        match = pattern.search(scan.free)
        if match:
            values = tuple(fraction(g) for g in match.groups() if g is not None)
            if all(0.5 < v <= 1.2 for v in values):
                for n in range(1, len(values) + 1):
                    scan.consume(match, n)
                return tuple(sorted(values))
    return ()


def _budget(scan: Scanner) -> float | None:
    for pattern in _BUDGET:
        match = pattern.search(scan.free)
        if match:
            scan.consume(match)
            return fraction(match.group(1))
    return None


def _tenors(scan: Scanner) -> tuple[int, ...]:
    for n, pattern in enumerate(_TENOR):
        match = pattern.search(scan.free)
        if not match:
            continue
        unit = TRADING_DAYS[match.group(2)]
        if n == 0:
            counts = [int(c) for c in _DIGITS.findall(match.group(1))]
        else:
            word = match.group(1)
            counts = [int(word) if word.isdigit() else _NUMBER_WORDS[word]]
        scan.consume(match)
        return tuple(sorted({count * unit for count in counts}))
    return ()


def _call_strike(scan: Scanner) -> float | None:
    for pattern in _CALL_STRIKE:
        match = pattern.search(scan.free)
        if match and 1.0 < (value := fraction(match.group(1))) <= 2.0:
            scan.consume(match, 1)
            return value
    return None


def _hedge_ratio(scan: Scanner) -> float | None:
    for n, pattern in enumerate(_HEDGE_RATIO):
        match = pattern.search(scan.free)
        if match:
            percent = n == 1 or bool(match.group(2))
            scan.consume(match)
            return fraction(match.group(1), percent)
    return None


def _vol_model(scan: Scanner) -> tuple[tuple[str, float], ...]:
    """(field, value) pairs of the vol model the message sets, in the model's units."""
    said: dict[str, float] = {}
    for n, pattern in enumerate(_VRP):
        if match := pattern.search(scan.free):
            points = n == 1 or bool(match.group(2))
            said["variance_risk_premium"] = float(match.group(1)) * (0.01 if points else 1.0)
            scan.consume(match)
            break
    if match := _FLAT_SKEW.search(scan.free):
        said["skew"] = 0.0
        scan.consume(match)
    elif match := _SKEW.search(scan.free):
        said["skew"] = float(match.group(1))
        scan.consume(match)
    for pattern in _WINDOW:
        if match := pattern.search(scan.free):
            said["realised_window"] = int(match.group(1))
            scan.consume(match)
            break
    return tuple(said.items())


def _vol_points(scan: Scanner) -> float | None:
    if match := _VOL_POINTS.search(scan.free):
        scan.consume(match)
        return float(match.group(1)) / 100.0
    return None


def _delta_band(scan: Scanner) -> float | None:
    for pattern in _DELTA_BAND:
        if match := pattern.search(scan.free):
            scan.consume(match, 1)
            return float(match.group(1))
    return None


def read_hedge(scan: Scanner) -> HedgeAsk | None:
    """The hedge the message asks for, or None when it asks for none."""
    kinds = _kinds(scan)
    calls = any(pattern.search(scan.low) for pattern in _CALL_STRIKE)  # "a call at 120%"
    budget = _PERCENT_BUDGET.search(scan.low)  # "and with a 2% budget?": the premiums'
    if not kinds and not calls and not budget and not _HEDGE_WORDS.search(scan.low):
        return None
    roll = "band" if _ROLL_BAND.search(scan.low) else None
    if _ROLL_DELTA.search(scan.low):
        roll = "delta"
    if roll is None and _ROLL_EXPIRY.search(scan.low):
        roll = "expiry"
    delta_band = _delta_band(scan)
    vol_model, vol_points = _vol_model(scan), _vol_points(scan)
    call_strike = _call_strike(scan)  # before the put's: "a 110% call" is no put's strike
    if call_strike is not None and kinds in ((), ("put",)):
        kinds = ("collar",)  # "a 90% put and a 110% call": a call sold against the put
    return HedgeAsk(
        kinds=kinds,
        vol_model=vol_model,
        vol_points=vol_points,
        strikes=_strikes(scan),
        call_strike=call_strike,
        budget=_budget(scan),
        asks_budget=bool(_ASKS_BUDGET.search(scan.low)),
        asks_form=bool(_ASKS_FORM.search(scan.low)),
        tenors=_tenors(scan),
        roll=roll,
        roll_delta_band=delta_band,
        hedge_ratio=_hedge_ratio(scan),
    )
