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

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agents.offline.intent.classify import (
    EQUAL_WEIGHT,
    PORTFOLIO_ID,
    REVISION,
    RISK_ASK,
    classify,
)
from agents.offline.intent.dates import read_dates, read_lookback
from agents.offline.intent.hedge import HedgeAsk, read_hedge
from agents.offline.intent.names import INTENTS, IntentName, Method
from agents.offline.intent.numbers import (
    read_budget,
    read_confidence,
    read_max_weight,
    read_numbers,
    read_percentages,
    read_risk_limits,
    read_target_vol,
)
from agents.offline.intent.scanner import PCT_RE, Scanner, fraction
from agents.offline.intent.typos import correct_typos
from agents.offline.intent.words import (
    ALL_TICKERS,
    PARAMETERS,
    WEIGHT_FUNCTIONS,
    read_all_methods,
    read_mentioned,
    read_method,
    read_scenarios,
    read_tickers,
    read_unknown_tickers,
)
from quant.regimes import RegimeName

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
      28 hex digits); `max_weight`: the largest weight one asset may hold, as a fraction ("at
      most 30% in any stock").
    - `hedge`: the option hedge asked for (kinds, strike, tenors, budget; None when the
      message does not speak of one, see `hedge.read_hedge`);
      `unplaced`: percentages that no reader gave a meaning (not a limit, target, confidence,
      weight, strike or budget), e.g. the 5% of "add protection at 5%".
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
    max_weight: float | None = None
    hedge: HedgeAsk | None = None
    unplaced: tuple[float, ...] = ()

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
    portfolio_ids = tuple(dict.fromkeys(PORTFOLIO_ID.findall(text)))
    text = correct_typos(PORTFOLIO_ID.sub(" ", text))
    scan = Scanner(text)
    methods = read_all_methods(scan.free)
    start, end = read_dates(scan)
    lookback = read_lookback(scan)
    hedge = read_hedge(scan)  # before limits and budgets: a strike is neither
    budget = read_budget(scan)
    confidence = read_confidence(scan)
    target_vol = read_target_vol(scan)
    max_weight = read_max_weight(scan)
    limits = read_risk_limits(scan)
    unplaced = tuple(fraction(m.group(1)) for m in PCT_RE.finditer(scan.free))
    percentages = read_percentages(scan)
    revision = bool(REVISION.search(scan.low))
    method = read_method(scan)
    numbers = read_numbers(scan)
    slots: dict[str, Any] = {
        "tickers": read_tickers(text, known_tickers),
        "all_tickers": bool(ALL_TICKERS.search(scan.low)),
        "method": method,
        "numbers": numbers,
        "percentages": percentages,
        "start": start,
        "end": end,
        "lookback_years": lookback,
        "scenarios": read_scenarios(scan.low),
        "weight_functions": read_mentioned(WEIGHT_FUNCTIONS, scan.low),
        "parameters": read_mentioned(PARAMETERS, scan.low),
        "target_vol": target_vol,
        "budget": budget,
        "confidence": confidence,
        "risk_limits": limits,
        "revision": revision,
        "hedge": hedge,
    }
    extras: dict[str, Any] = {
        "methods": methods,
        "unknown_tickers": read_unknown_tickers(text, known_tickers),
        "asks_risk": bool(RISK_ASK.search(scan.low)),
        "equal_weight": bool(EQUAL_WEIGHT.search(scan.low)),
        "portfolio_ids": portfolio_ids,
        "max_weight": max_weight,
        "unplaced": unplaced,
    }
    return Intent(intent=classify(scan, slots), text=text, **slots, **extras)
