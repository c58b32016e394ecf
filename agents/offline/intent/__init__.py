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

Modules: `typos` (misspellings of the domain's words), `scanner` (the text being read),
`dates`, `numbers` (numbers with a meaning: budgets, confidence, targets, limits), `words`
(methods, scenarios, parameters, tickers and company names) and `classify` (the intent).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from agents.offline.intent.asks import INDEX_MOVE, INDEX_NAMES
from agents.offline.intent.classify import (
    EQUAL_WEIGHT,
    PORTFOLIO_ID,
    REVISION,
    RISK_ASK,
    classify,
)
from agents.offline.intent.dates import read_window, said_year_start
from agents.offline.intent.edits import read_swaps
from agents.offline.intent.episodes import read_episode_window
from agents.offline.intent.hedge import HedgeAsk, read_hedge
from agents.offline.intent.held import HELD_NOUN
from agents.offline.intent.limits import LimitAsk, read_limits
from agents.offline.intent.names import INTENTS, IntentName, Method
from agents.offline.intent.numbers import (
    read_budget,
    read_confidence,
    read_numbers,
    read_percentages,
    read_risk_free,
    read_risk_horizon,
    read_risk_limits,
    read_target_vol,
    read_target_vol_range,
)
from agents.offline.intent.scanner import PCT_RE, Scanner, fraction
from agents.offline.intent.spelled import spelled_percentages
from agents.offline.intent.targets import read_sector_universe, sector_tickers
from agents.offline.intent.typos import correct_typos
from agents.offline.intent.weights import read_weights
from agents.offline.intent.words import (
    ALL_TICKERS,
    ANY_METHOD_PATTERN,
    PARAMETERS,
    WEIGHT_FUNCTIONS,
    read_all_methods,
    read_mentioned,
    read_method,
    read_scenarios,
    read_tickers,
    read_unknown_tickers,
)
from quant.regime_names import RegimeName
from settings import patterns

REFERS_BACK = patterns.compile(
    r"\b(?:they|them|those|these|it|its|their|same|that portfolio|this portfolio|the portfolio|"
    r"the stocks|those stocks|these stocks|the names)\b"
)
"""A message that speaks of what the conversation already worked on ("how volatile are
they?", "the same four")."""

ADDS = patterns.compile(
    r"\b(?:add|adding|include|including|plus|throw|toss|bring in|also with|as well|into the mix)\b"
    r"(?!\s+(?:a|an|the)\s+(?:\d+(?:\.\d+)?\s*%\s*)?(?:cap|limit|floor|constraint|ceiling|max"
    r"|min)\w*)"
)
"""A message that adds its tickers to the conversation's universe."""

__all__ = [
    "INTENTS",
    "HedgeAsk",
    "Intent",
    "IntentName",
    "Method",
    "correct_typos",
    "parse_intent",
]


@dataclass(frozen=True)
class Intent:
    """A parsed chat message. Empty slots mean "not mentioned".

    - `tickers`: known symbols in order of mention, else the stocks of the sectors the message
      names as its subject ("the energy names", "healthcare stocks"); `all_tickers` when the
      user asks for the whole universe ("all stocks", "the entire universe").
    - `numbers`: plain numbers outside dates and percentages; `percentages`: every percentage,
      as a fraction ("10%", "10 percent" -> 0.10).
    - `start` / `end`: ISO dates ("since 2018" -> start 2018-01-01; "2015-2019" -> 2015-01-01 to
      2019-12-31); `last_sessions` for a trailing window ("the last 12 months" -> 252 sessions,
      `dates.read_window`).
    - `weights`: the weights of a portfolio the message gives, by ticker ("40% KO, 30% PG and
      30% PEP", "50/50 AAPL AMD", `weights.read_weights`).
    - `scenarios`, `weight_functions`, `parameters` (StrategyConfig fields mentioned, e.g.
      ``target_vol``), `target_vol` (fraction), `budget` (trials), `confidence` ("95% CVaR" ->
      0.95), `risk_limits` (``max_drawdown``, ``cvar``, ``var``, ``volatility`` as fractions,
      ``min_sharpe``), `revision` (the user changes an earlier request: "instead", "switch to").
    - `methods`: every portfolio method named, in order ("compare HRP and risk parity");
      `unknown_tickers`: upper-case ticker-like words not in the data; `asks_risk`: the message
      also asks for a risk measure (VaR, CVaR, drawdown, volatility of a portfolio);
      `equal_weight`: it mentions the equal-weight portfolio; `portfolio_ids`: portfolio ids
      named, in order (a conversation's ``pf_`` + 6 hex digits, or a saved portfolio's ``pf_`` +
      28 hex digits); `max_weight`: the largest weight one asset may hold, as a fraction ("at
      most 30% in any stock", `limits.read_limits`).
    - `limits`: the weight limits, exclusions and asks a portfolio build cannot keep
      (`limits.LimitAsk`): a floor on every weight, limits on named assets and sectors, tickers
      and sectors left out, leverage, shorts and benchmarks. A ticker named only in an exclusion
      ("without KO") is not in `tickers`, nor one named only in a limit ("at most 10% in XOM")
      unless the message lists other tickers (then it is one of them). One limit said of a whole
      list ("hrp of AAPL, MSFT and KO capped at 40%") is a limit on every weight.
    - `adds`: the message adds its tickers to the conversation's universe ("add PG", "include
      Pepsi", "plus KO", "throw AAPL into the mix"); a swap ("swap XOM for WMT", `edits`) adds
      the ticker put in and leaves out the one taken out.
    - `refers_back`: the message speaks of what the conversation already worked on ("they",
      "those", "the same four", "that portfolio").
    - `hedge`: the option hedge asked for (kinds, strike, tenors, budget; None when the
      message does not speak of one, see `hedge.read_hedge`);
      `unplaced`: percentages that no reader gave a meaning (not a limit, target, confidence,
      weight, strike or budget), e.g. the 5% of "add protection at 5%";
      `sectors`: the sector or industry terms `tickers` came from, when the message names a
      group as its subject and no ticker ("how has tech done"); `risk_free`: the annual
      risk-free rate a Sharpe ratio is asked against ("with a 2% risk-free rate");
      `target_vol_range`: the volatility targets a search is asked over ("target vols between
      8% and 14%"); `target_vol_around`: `target_vol` was said as approximate ("target vol
      around 12%"), so a search looks around it rather than keeping it; `horizon_days`: the
      horizon of a VaR or CVaR in sessions ("10-day 99% VaR": 10, `numbers.read_risk_horizon`); `episode`: a historical episode said as the
      window ("the VaR during the covid crash": `start` and `end` are its dates,
      `episodes.read_episode_window`).
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
    last_sessions: int | None = None
    weights: dict[str, float] = field(default_factory=dict)
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
    max_weight: float | None = None
    limits: LimitAsk = field(default_factory=LimitAsk)
    adds: bool = False
    refers_back: bool = False
    hedge: HedgeAsk | None = None
    unplaced: tuple[float, ...] = ()
    sectors: tuple[str, ...] = ()
    risk_free: float | None = None
    target_vol_range: tuple[float, float] | None = None
    target_vol_around: bool = False
    horizon_days: int | None = None
    episode: str | None = None

    def universe(self, known_tickers: Sequence[str], subject: Sequence[str] = ()) -> list[str]:
        """The tickers asked for, less what the message leaves out: all known ones for
        `all_tickers`; those mentioned (added to the conversation's `subject`, its current
        universe, when the message adds them: "add PG"); else the `subject` ("drop KO and
        rebuild", "the same four"); else all known ones when the message only leaves some out
        ("hrp without XOM"); else none."""
        ask = self.limits
        if self.all_tickers:
            base = list(known_tickers)
        elif self.tickers:
            base = [*subject, *self.tickers] if self.adds and subject else list(self.tickers)
        elif subject:
            base = list(subject)
        elif ask.excluded or ask.excluded_sectors:
            base = list(known_tickers)
        else:
            base = []
        dropped = set(ask.excluded) | set(sector_tickers(ask.excluded_sectors))
        return [t for t in dict.fromkeys(base) if t not in dropped]

    def slots(self) -> dict[str, Any]:
        """The non-empty slots as a dict (for prompts, logs and tests)."""
        said = {
            key: value
            for key, value in asdict(self).items()
            if key not in ("intent", "text", "limits") and value not in (None, (), {}, False)
        }
        limits = {k: v for k, v in asdict(self.limits).items() if v not in (None, (), {})}
        return {**said, **({"limits": limits} if limits else {})}


def parse_intent(text: str, known_tickers: Sequence[str]) -> Intent:
    """Parse `text` into an `Intent`; tickers are recognised only among `known_tickers`. The
    same text is read once per process (a turn reads its message in several policies); treat
    the intent as read-only."""
    return _parsed(text, tuple(known_tickers), said_year_start(text))


_ES = patterns.compile(r"\bES\b")
""""ES" written alone: expected shortfall."""


@lru_cache(maxsize=2048)
def _parsed(text: str, known_tickers: tuple[str, ...], year_start: str | None) -> Intent:
    del year_start  # part of the cache key only: "ytd" starts in the data's last year
    portfolio_ids = tuple(dict.fromkeys(PORTFOLIO_ID.findall(text)))
    text = spelled_percentages(correct_typos(PORTFOLIO_ID.sub(_held_words, text)))
    if "ES" not in known_tickers:  # "99% ES": expected shortfall, unless a ticker of the data
        text = _ES.sub("expected shortfall", text)
    scan = Scanner(text)
    methods = read_all_methods(scan.free)
    method = read_method(scan)  # before the sectors: "erc healthcare stocks" names a method
    horizon_days = read_risk_horizon(scan)  # before the window: "10d var" is no window
    episode = read_episode_window(scan)  # before the dates: "during the 2020 crash"
    window = read_window(scan)
    confidence = read_confidence(scan)
    risk_free = read_risk_free(scan)
    weights = read_weights(scan, known_tickers, builds=bool(methods))
    hedge = read_hedge(scan)  # before limits and budgets: a strike is neither
    budget = read_budget(scan)
    target_vol_range = read_target_vol_range(scan)
    target_vol, target_vol_around = read_target_vol(scan) or (None, False)
    limits = read_risk_limits(scan)
    tickers, weight_limits, added = _universe_and_limits(scan, text, known_tickers)
    all_tickers = bool(ALL_TICKERS.search(scan.free))
    sectors: tuple[str, ...] = ()
    if not tickers and not all_tickers:
        sectors = read_sector_universe(scan)
        tickers = tuple(t for t in sector_tickers(sectors) if t in known_tickers)
    unplaced = tuple(fraction(m.group(1)) for m in PCT_RE.finditer(scan.free))
    slots: dict[str, Any] = {
        "tickers": tickers,
        "all_tickers": all_tickers,
        "percentages": read_percentages(scan),
        "start": episode[1] if episode else window.start,
        "end": episode[2] if episode else window.end,
        "last_sessions": window.last_sessions,
        "weights": weights,
        "scenarios": read_scenarios(scan.low),
        "weight_functions": read_mentioned(WEIGHT_FUNCTIONS, scan.low),
        "parameters": _parameters(scan.low, weight_limits),
        "target_vol": target_vol,
        "budget": budget,
        "confidence": confidence,
        "risk_limits": limits,
        "revision": bool(REVISION.search(scan.low)),
        "hedge": hedge,
        "method": method,
        "numbers": read_numbers(scan),
    }
    extras: dict[str, Any] = {
        "methods": methods,
        "unknown_tickers": _unknown_tickers(scan, known_tickers, weight_limits),
        "asks_risk": bool(RISK_ASK.search(ANY_METHOD_PATTERN.sub(" ", scan.low))),  # not "min var"
        "equal_weight": bool(EQUAL_WEIGHT.search(scan.low)),
        "portfolio_ids": portfolio_ids,
        "max_weight": weight_limits.max_weight,
        "limits": weight_limits,
        "adds": bool(added or ADDS.search(scan.low)),
        "refers_back": bool(REFERS_BACK.search(scan.low)),
        "unplaced": unplaced,
        "sectors": sectors if tickers else (),
        "risk_free": risk_free,
        "target_vol_range": target_vol_range,
        "target_vol_around": target_vol_around,
        "horizon_days": horizon_days,
        "episode": episode[0] if episode else None,
    }
    intent = classify(scan, {**slots, "limits": weight_limits, "episode": extras["episode"]})
    return Intent(intent=intent, text=text, **slots, **extras)


_SAID_HELD = patterns.compile(rf"\b{HELD_NOUN}\s*$", re.IGNORECASE)
"""A portfolio said just before: "my portfolio" in "my portfolio pf_..."."""


def _held_words(match: re.Match[str]) -> str:
    """A portfolio id as words the classifier reads as a portfolio ("how volatile has pf_...
    been?" is "how volatile has the portfolio been?"); nothing after one said ("my portfolio
    pf_...")."""
    return " " if _SAID_HELD.search(match.string, 0, match.start()) else " my portfolio "


def _universe_and_limits(
    scan: Scanner, text: str, known: Sequence[str]
) -> tuple[tuple[str, ...], LimitAsk, tuple[str, ...]]:
    """The tickers the message works on (those a swap puts in; none named only in an exclusion
    or a swap; one named only in a limit when the message lists others: "min vol of AAPL MSFT,
    XOM at most 10%" works on the three), its limits (a swap's ticker taken out is left out)
    and the tickers a swap puts in."""
    before = scan.free
    removed, added = read_swaps(scan, known)
    limits = read_limits(scan, known)
    if removed:
        left_out = tuple(dict.fromkeys([*limits.excluded, *removed]))
        limits = replace(limits, excluded=tuple(t for t in left_out if t not in added))
    outside = read_tickers(scan.cased_outside(before), known)
    tickers = [t for t in read_tickers(text, known) if t in outside]
    if set(tickers) <= set(limits.asset_limits) and not added and _group_said(scan, before):
        return (), limits, added  # "the health care stocks, at most 10% in JNJ and PFE"
    every = _limit_on_every(limits)
    if every is not None and tickers and not added and set(tickers) <= set(limits.asset_limits):
        tickers = [t for t in read_tickers(text, known) if t in limits.asset_limits]
        limits = replace(limits, asset_limits={}, min_weight=every[0] or None, max_weight=every[1])
    elif tickers:  # a limit on a stock beside a list of stocks puts it in the list
        limited = [t for t in read_tickers(text, known) if t in limits.asset_limits]
        tickers = [t for t in read_tickers(text, known) if t in {*tickers, *limited}]
    return tuple(dict.fromkeys([*tickers, *added])), limits, added


_EVERYTHING = patterns.compile(r"\beverything\b")


def _group_said(scan: Scanner, before: str) -> bool:
    """Whether the message names every stock ("all stocks but AAPL", "everything except energy",
    in `before`: the text before its limits and exclusions were read) or sectors or industries
    to work on (`read_sector_universe`, read from a copy: the scan is left as it is)."""
    everything = ALL_TICKERS.search(before) or _EVERYTHING.search(before)
    return bool(everything or read_sector_universe(copy(scan)))


def _limit_on_every(limits: LimitAsk) -> tuple[float, float] | None:
    """The (floor, cap) of one limit said of two or more tickers alike ("hrp of AAPL, MSFT and KO
    capped at 40%"): when they are all the message names, the list is the universe and the
    limit is on every weight; None otherwise."""
    bounds = set(limits.asset_limits.values())
    if len(limits.asset_limits) < 2 or len(bounds) != 1:
        return None
    if limits.max_weight is not None or limits.min_weight is not None:
        return None
    return next(iter(bounds))


def _parameters(low: str, limits: LimitAsk) -> tuple[str, ...]:
    """The strategy parameters named, less leverage when it is refused ("no leverage")."""
    named = read_mentioned(PARAMETERS, low)
    return tuple(p for p in named if not (p == "max_leverage" and "no leverage" in limits.kept))


def _unknown_tickers(scan: Scanner, known: Sequence[str], limits: LimitAsk) -> tuple[str, ...]:
    """Upper-case ticker-like words not in the data, less an index named as the benchmark or
    the market ("benchmark SPY", "if SPX falls 20%")."""
    unknown = read_unknown_tickers(scan.cased, known)
    market = INDEX_MOVE.search(scan.low) or any("tracking" in u for u in limits.unsupported)
    return tuple(t for t in unknown if not (market and t in INDEX_NAMES))
