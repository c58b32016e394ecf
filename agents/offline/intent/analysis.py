"""The analysis questions a portfolio manager asks, read from a message: statistics over a window
("worst month of KO"), stress tests ("replay 2008 on my portfolio"), loss probabilities
("probability of losing more than 15% in bear?"), backtests of given weights ("backtest 60% AAPL
40% KO rebalanced monthly") and comparisons of portfolios ("compare HRP and min-vol for AAPL MSFT").

`read_analysis(intent, known)` returns an `AnalysisAsk` (the kind, the tool that answers it and
the slots the message states) or None. It reads the parsed `Intent` and the text itself, after
fixing misspellings of its own words ("corelation", "probabilty", "bactest", "montly").
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intent import Intent
from agents.offline.intent.amounts import added_shares, capital_named, horizon_sessions
from agents.offline.intent.analysis_ask import TOOLS, AnalysisAsk, AnalysisKind
from agents.offline.intent.bars import Bar, bar_said
from agents.offline.intent.beta_to import PAIRS_ASKED, beta_to, correlated_to
from agents.offline.intent.classify import BUILD_ASKED
from agents.offline.intent.coverage import covered_group, names_covered, sectors_asked
from agents.offline.intent.dates import HAD_HELD, rolling_sessions
from agents.offline.intent.episodes import EPISODE_PATTERNS as _EPISODES
from agents.offline.intent.held import HELD_NAMED, asks_made
from agents.offline.intent.index_alone import INDEX_NAMED, index_alone_measures
from agents.offline.intent.measures import (
    DRAWDOWN_ASKED,
    HAVE_DONE_ASKED,
    INDEX_SHOWN,
    MONEY_MADE_OR_LOST,
    OF_EACH_STOCK,
    PERFORMED_ASKED,
    TURNOVER_ASKED,
    VOLATILE_SAID,
    drawdown_added,
    measures_named,
    set_beside,
)
from agents.offline.intent.rankings import (
    COMPARED_SAID,
    EVERY_NAME,
    HEAD_TO_HEAD,
    LOSS_ASKED,
    MOVED,
    RISKIER_SAID,
    SAFER_WORDS,
    SIDE_BY_SIDE,
    SIDE_BY_SIDE_MEASURES,
    Ends,
    bar_asked,
    months_counted,
    ranked_ends,
    ranked_question,
    ranking_pivot,
)
from agents.offline.intent.scanner import PCT, fraction, word_start
from agents.offline.intent.strategy_terms import WINNER_WORDS
from agents.offline.intent.stress_reading import (
    BEAR_CASE,
    STRESS,
    bear_market_asked,
    downturn_as_bear,
    episodes_named,
    market_move_named,
    past_downturns_asked,
    sector_move_named,
    stocks_compared,
    without_past_downturns,
)
from agents.offline.intent.targets import sector_tickers
from agents.offline.intent.trading_terms import (
    cadence_named,
    cadences_asked,
    cadences_compared,
    cost_bps,
    how_often_asked,
    rate_rise_supposed,
)
from agents.offline.intent.typos import normalised
from agents.offline.intent.words import ANY_METHOD_PATTERN, OWNED_AFTER
from agents.offline.intent.years_compared import years_compared
from settings import patterns

__all__ = ["INDEX_NAMED", "AnalysisAsk", "AnalysisKind", "cadence_named", "judged_measure",
           "read_analysis"]  # fmt: skip

_BACKTEST_SAID = patterns.compile(r"\bback[\s-]?test\w*")
_MONEY_MADE_OR_LOST = patterns.compile(MONEY_MADE_OR_LOST)
_DRAWDOWNS_SAID = patterns.compile(r"\bdrawdowns?\b")
_BEAR_CASE_SAID = patterns.compile(r"\bbear[\s-]case\b")
_NOT_BACKTESTED = patterns.compile(
    r"\bc?var\b|value[\s-]at[\s-]risk|shortfall|\bbeta|correlat|stress|\brates?\b|yields?|\bfed\b"
)
"""Measures a backtest does not give, moves it does not model (rates in bps): with them, a
cadence or costs said of weights make no backtest."""

# ---- loss probabilities -----------------------------------------------------------------
_PROBABILITY = patterns.compile(
    r"\b(?:probabilit\w*|chances?|odds|likelihood|how likely|likely|risk of|prob)\b"
)
_SIMULATED = patterns.compile(r"\bmonte[\s-]?carlo\b|\bsimulat\w*")  # of a portfolio: its odds
_LOSS = patterns.compile(
    r"\blos(?:e|es|ing|s|t)\b|\bdown\b|\bdrop\w*|\bfall\w*|\bdrawdown\b|\bunder ?water\b"
    r"|(?<![\w.])-\s?\d+(?:\.\d+)?\s*(?:%|percent\b|pct\b)"
)
"""A loss named: its words, or a negative percentage ("odds of -20% in a year?")."""
_THRESHOLD = patterns.compile(
    r"(?:more than|over|above|beyond|at least|exceeding|greater than|worse than|>|bigger than|"
    r"in excess of)\s*(?:a\s+)?"
    + PCT
    + r"|"
    + PCT
    + r"\s*(?:or more|\+|loss|drop|drawdown|down|fall)"
    r"|\blos(?:e|es|ing)\s+(?:more than\s+|over\s+)?"
    + PCT
    + r"|\b(?:drops?|dropping|falls?|falling|declines?|declining|is down|goes down|sinks?)\s+"
    r"(?:by\s+)?(?:more than\s+|over\s+|at least\s+)?" + PCT + r"|(?<![\w.])-\s?" + PCT
)


# ---- statistics ---------------------------------------------------------------------------
_RETURN_WORDS = patterns.compile(
    r"\breturn(?:s|ed)?\b|\bcagr\b|\bperformance\b|\bgain\w*|" + MONEY_MADE_OR_LOST
)
"""A return named as such (not "how has it done")."""
_NOT_STATISTICS = patterns.compile(
    r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|\bregimes?\b|\btrend\w*|\boverview\b"
    r"|\bcalmar\b"
    r"|\bdescribe\b|\btarget\b(?!\s+(?:weights?|allocations?|mix))|\bexpected return|\bfrontier\b"
)
_EXPECTED_RETURN = patterns.compile(r"\bexpected return")
"""A return asked as expected: of stocks named, a forecast (not a statistic); of the portfolio
held, its return over its build's window (its build's figure); of weights given, over the window."""
_SUBJECT = patterns.compile(
    r"\b(?:it|its|(?:this|that)(?!\s+(?:year|month|week|quarter|time)\b)|my|our|the same|those"
    r"|these|they|them|their|portfolio|allocation|holdings?)\b"
)
_ALL_NAMES = patterns.compile(
    r"\b(?:every|each|all(?: of)?(?: the)?(?: \d+)?)\s+(?:stocks?|names|tickers|companies"
    r"|equities|shares)\b" + OWNED_AFTER
)
"""Every stock of the data asked about, none named ("the rolling volatility of every stock",
"the Sortino ratio of all the stocks")."""
_ALL_HELD = patterns.compile(
    r"\ball (?:of )?(?:the |our |my )?(?:stocks|names|holdings|positions)\b"
)
"""Each holding asked about ("all the stocks we own"), with the portfolio as the subject."""
_WEIGHT_STRATEGY = patterns.compile(
    r"target[\s_-]*vol|vol(?:atility)?[\s_-]*target|\bsigmoid\b|\bmerton\b|inverse[\s_-]*vol"
    r"|\bputs\b|\bput\b(?!\s+(?:\S+\s+){0,2}?in(?:to)?\b)|\bcollars?\b|\bhedg\w*|\boptions?\b"
    r"|\blookback\b|\bleverage\b|" + WINNER_WORDS
)  # a strategy's words ("put money in" is no put option), a search's winner's among them
_SUPPOSING = patterns.compile(r"\b(?:if|when|whenever|recessions?)\b")
"""An event supposed: a loss asked in it is no past return ("would banks lose if the fed hikes?")."""


def _moved(intent: Intent, low: str) -> bool:
    """Whether a ranking asks how the names moved: a move named ("which fell the most"), or a
    loss over a window named outside a supposed event ("which would lose more in 2008?")."""
    return bool(MOVED.search(low)) or (
        intent.start is not None
        and intent.episode is None
        and bool(LOSS_ASKED.search(low))
        and market_move_named(low) is None
        and not _SUPPOSING.search(low)
    )


_OTHER_INTENTS = (
    "search_strategy", "estimate", "deploy", "save_idea", "propose_ideas", "research", "explain",
)  # fmt: skip


_BUILD = patterns.compile(
    r"\b(?:build|construct|create|make|allocate|optimi[sz]e|rebuild|redo|rerun|weights for)\b"
)
_A_PORTFOLIO_OF = patterns.compile(r"\b(?:a|an)\s+(?:\w+\s+)?portfolio\s+(?:of|holding)\b")
"""Named stocks held together ("the volatility of a portfolio of AAPL and KO"): at equal weights."""
_JUDGED: dict[str, str] = {
    "max_drawdown": r"\bdraw[\s-]?downs?\b|\bmdd\b",
    "volatility": r"\bvol(?:atility)?\b|\bvolatile\b|\bless risky\b",
    "sharpe_ratio": r"\bsharpe\b|risk[\s-]adjusted",
    "cvar": r"\bc?var\b|expected shortfall|\btail\b",
    "annualised_return": r"\breturns?\b|\bperform\w*|\bmade more\b|\bearn\w*",
}
"""The measure a comparison is judged on ("which gives lower drawdown": max_drawdown)."""
_JUDGED_PATTERNS = {name: patterns.compile(text) for name, text in _JUDGED.items()}


def _base(kind: AnalysisKind, intent: Intent, **slots: object) -> AnalysisAsk:
    return AnalysisAsk(kind=kind, tool=TOOLS[kind], last_sessions=intent.last_sessions, **slots)  # type: ignore[arg-type]


def judged_measure(text: str) -> str | None:
    """The measure a comparison is asked on ("which gives lower drawdown" -> max_drawdown;
    "min vol" names a method, not a measure), else None."""
    low = ANY_METHOD_PATTERN.sub(" ", text.lower())
    return next((name for name, p in _JUDGED_PATTERNS.items() if p.search(low)), None)


def _comparison(intent: Intent, low: str, capital: float | None) -> AnalysisAsk | None:
    """Several methods compared, or one beside equal weights ("compare HRP and equal weight"),
    in one table over one window, judged on the measure asked."""
    methods = [m for m in intent.methods if m != "frontier"]
    if len(methods) + int(intent.equal_weight) < 2 or not (
        COMPARED_SAID.search(low) or intent.asks_risk
    ):
        return None
    return _base("compare", intent, capital=capital, judged_on=judged_measure(intent.text))


def _portfolios_compared(intent: Intent, low: str, capital: float | None) -> AnalysisAsk | None:
    """Portfolios named by id set side by side ("compare pf_... and pf_...", "which is riskier,
    my Core or my Income portfolio?" with those saved), judged on the measure asked."""
    if len(intent.portfolio_ids) < 2 or intent.methods or intent.weights:
        return None
    if not (COMPARED_SAID.search(low) or RISKIER_SAID.search(low) or HEAD_TO_HEAD.search(low)):
        return None  # "the CVaR of pf_... and pf_...": a risk report each
    return _base("compare", intent, capital=capital, judged_on=judged_measure(intent.text))


_SET_BESIDE = patterns.compile(r"\bthan\b|\bvs\.?\b|\bversus\b|\bcompared\b|\bagainst\b")
"""Words setting what is held beside other names ("than KO", "vs AAPL", "compared with PG")."""
_HELD = patterns.compile(r"\b(?:it|its|my|our|this|that|these|those|they|them)\b")
"""Words that point at what the conversation holds ("is it riskier than KO?")."""


def _beside_held(intent: Intent, low: str, capital: float | None) -> AnalysisAsk | None:
    """The conversation's portfolio set beside stocks on a measure ("is it riskier than KO and
    PG?", "does my portfolio have a better Sharpe ratio than AAPL?"), each stock held alone;
    judged on volatility when no measure is named, on the return when asked "did it beat KO?"."""
    outdone = HEAD_TO_HEAD.search(low)
    judged = judged_measure(intent.text) or ("annualised_return" if outdone else None)
    than = _SET_BESIDE.search(low) or outdone
    held = _HELD.search(low) and intent.tickers and not (intent.weights or intent.portfolio_ids)
    if not (held and than and (judged or RISKIER_SAID.search(low))) or intent.methods:
        return None
    if asks_made(low) or INDEX_NAMED.search(low) or intent.adds:
        return None
    after = low[than.end() :]  # the names compared with; none named before ("a portfolio of ...")
    against = tuple(t for t in intent.tickers if word_start(after, t.lower()) >= 0)
    if len(against) < len(intent.tickers):
        return None
    return _base("compare", intent, against=against, capital=capital, judged_on=judged)


_ADDING = patterns.compile(
    r"\b(?:add(?:ing|ed|s)?|including|throw(?:ing)? in)\b(.*?)\b(?:to|into|onto)\b"
)
"""Names added to weights given, before the weights ("adding KO to 50/50 AAPL MSFT")."""


_TO_HELD = patterns.compile(
    r"^\W*(?:(?:so|and)\s+)?(?:would|will|does|do|could|can|might|how\s+(?:would|does|will)"
    r"|what\s+(?:if|happens|would))\b.*\badd(?:ing|ed|s)?\b"
)
"""A question of names added to something held ("would adding KO lower its volatility?")."""
_HELD_REFERENCE = patterns.compile(r"\b(?:its|it|this|that)\b|" + HELD_NAMED.pattern)


def _addition(intent: Intent, low: str, capital: float | None) -> AnalysisAsk | None:
    """A what-if: names added to the weights given ("would adding KO to a 50/50 AAPL MSFT
    portfolio reduce its volatility?", "add 10% KO to ..."), compared with the weights as
    given; or added to the conversation's portfolio ("would adding 10% PG reduce its CVaR?",
    `to_held`)."""
    said = _ADDING.search(low)
    named_after_to = said and any(t.lower() in low[said.end() :] for t in intent.tickers)
    held = _TO_HELD.search(low) and _HELD_REFERENCE.search(low) and not named_after_to
    if held and intent.adds and intent.tickers and not intent.weights:
        return _base(
            "compare", intent, added=intent.tickers, capital=capital, to_held=True,
            judged_on=judged_measure(intent.text),
            added_shares=dict(added_shares(low, intent.tickers)),
        )  # fmt: skip
    if not (intent.adds and intent.weights and said):
        return None
    added = tuple(t for t in intent.tickers if word_start(said[1], t.lower()) >= 0)
    given = {t: w for t, w in intent.weights.items() if t not in added}
    if not (added and given):
        return None
    shares = {t: intent.weights[t] for t in added if t in intent.weights}  # "add 10% KO"
    return _base(
        "compare", intent, weights=given, added=added, capital=capital,
        judged_on=judged_measure(intent.text), added_shares=shares,
    )  # fmt: skip


def _backtest(intent: Intent, low: str, capital: float | None, held: bool) -> AnalysisAsk | None:
    """A backtest of weights: asked as one ("backtest 60% AAPL 40% KO"), how given weights (the
    thread's portfolio when `held`) would have done, or their turnover, with a cadence or costs
    ("60/40 AAPL KO rebalanced quarterly", "what's the turnover if I rebalance monthly?"; given
    weights need no cadence), a build said with a cadence or costs, what a capital would have made
    in them ("how much would I have made with $100k?"; episodes: stress), how a method's portfolio
    would have done ("an HRP portfolio of the energy stocks in 2020": built, then backtested), how
    stocks named would have done held ("if I had bought AMD in 2019?": one whole, several
    equally), or how often to rebalance ("how often should I rebalance it?": at each cadence)."""
    cadence, costs = cadence_named(low), cost_bps(low)
    built_held = BUILD_ASKED.search(low) and (cadence or costs)  # a build has no cadence: its test
    asked = (_BACKTEST_SAID.search(low) or built_held) and not _WEIGHT_STRATEGY.search(low)
    subject = intent.weights or intent.portfolio_ids or intent.tickers or _SUBJECT.search(low)
    held_as_said = intent.intent == "backtest" and not _WEIGHT_STRATEGY.search(low)
    weighted = intent.weights or (held and (_SUBJECT.search(low) or TURNOVER_ASKED.search(low)))
    how = PERFORMED_ASKED.search(low) or held_as_said or TURNOVER_ASKED.search(low)
    replayed = intent.episode is not None or episodes_named(low, False)  # named, not a year
    past = weighted and HAVE_DONE_ASKED.search(low) and not _WEIGHT_STRATEGY.search(low)
    scheduled = bool(cadence or costs) and not _NOT_BACKTESTED.search(low)  # "KO and PEP's Sharpe
    held_so = weighted or (scheduled and _held_equal(intent, low))  # rebalanced monthly?"
    performed = held_so and (scheduled or (how and (cadence or costs or (past and not replayed))))
    made = capital and not replayed and _MONEY_MADE_OR_LOST.search(low) and (subject or held)
    built = [m for m in intent.methods if m not in ("frontier", "equal_weight")]
    supposed = HAVE_DONE_ASKED.search(low) or HAD_HELD.search(low)  # "if I had bought ...?"
    named = intent.tickers and not intent.methods and intent.intent != "search_strategy"
    done = supposed and not (replayed or _WEIGHT_STRATEGY.search(low)) and (built or named)
    often = bool(cadences_asked(low)) and not _WEIGHT_STRATEGY.search(low)  # or which cadence
    if (asked and (cadence or subject)) or performed or made or done or often:
        years = ("by_year",) if "by_year" in measures_named(low) else ()  # "... each year"
        return _base(
            "backtest_weights", intent, weights=intent.weights, rebalance=cadence, cost_bps=costs,
            capital=capital, measures=years, how_often=often and how_often_asked(low),
            rebalances=cadences_compared(low) or cadences_asked(low),
        )  # fmt: skip
    return None


def _held_equal(intent: Intent, low: str) -> bool:
    """Whether the stocks named are held together at equal weights: said so, or said as "a
    portfolio of" them in a question that ranks nothing."""
    portfolio_of = bool(_A_PORTFOLIO_OF.search(low)) and not ranked_question(low)
    return intent.equal_weight or "equal_weight" in intent.methods or portfolio_of


def _of_held(intent: Intent, low: str) -> bool:
    """Whether a question naming no stock, sector or index is of the conversation's portfolio
    ("what's its expected return?", "the expected return?")."""
    if intent.tickers:
        return False
    bare = not (intent.sectors or INDEX_NAMED.search(low))
    return bool(_SUBJECT.search(low) or (bare and _EXPECTED_RETURN.search(low)))


_OF_ITS_NAMES = patterns.compile(
    r"\b(?:any|which|each|every|all|how many|none|they|them|those|these|their|both|either)\b"
    r"|\b(?:holdings|stocks|names|positions|shares)\b"
)
"""Words that ask of several names ("did any of my holdings fall more than 10%?", "did they gain
more than 40%?"), not of the portfolio itself."""


def _held_bar(intent: Intent, low: str, weights: dict[str, float]) -> Bar | None:
    """The bar a question sets the portfolio held against ("did my portfolio fall more than 10%
    in 2022?", "was it down?"), or None: a question that names stocks, weights, or the names it
    holds ("did any of my holdings ...?": each of them)."""
    if intent.tickers or intent.sectors or weights or not _SUBJECT.search(low):
        return None
    return None if _OF_ITS_NAMES.search(low) else bar_asked(low)


def _statistics(
    intent: Intent, low: str, subject_in_thread: bool, known: Sequence[str] = ()
) -> AnalysisAsk | None:
    """Statistics of assets or a portfolio over a window (not a build, a risk report or a market
    overview); the conversation's subject is the question's when it names none
    (`subject_in_thread`: "beta against the index?"); every sector of the `known` tickers when
    sectors are ranked and none is named."""
    made = _MONEY_MADE_OR_LOST.search(low)  # "how much did AAPL make": no build
    builds = intent.intent == "optimize_portfolio" and _BUILD.search(low) and not made
    if intent.weights or (subject_in_thread and _of_held(intent, low)):  # "its expected return?",
        low = _EXPECTED_RETURN.sub("return", low)  # of weights given: their return over a window
    if _NOT_STATISTICS.search(low) or builds:
        return None
    weights, pool = intent.weights, intent.tickers or (tuple(known) if intent.all_tickers else ())
    if not weights and _held_equal(intent, low) and len(pool) > 1:  # "... of all 20 stocks" too
        weights = {t: 1.0 / len(pool) for t in pool}  # held at equal weights
    measures = measures_named(low)
    rolling = rolling_sessions(low)
    if rolling and not measures:  # "rolling 60-day for XOM and CVX"
        measures += ("correlation",) if len(intent.tickers) > 1 else ("volatility",)
    ranked = ranked_question(low) and not weights
    held_bar = _held_bar(intent, low, weights)
    ranked = ranked and held_bar is None  # "did it gain more than 40%?": the portfolio, not each
    if ranked and not measures and _moved(intent, low):  # "which fell the most in 2022?"
        measures = ("return",)
    sectors = sectors_asked(intent, low, known) if ranked else ()  # "which sector did best?"
    index_named = bool(INDEX_NAMED.search(low))
    measures = drawdown_added(measures, low, ranked or index_named)  # "KO's beta and drawdown"
    held = bool(_SUBJECT.search(low))  # "is it riskier than the market?": the portfolio
    beside_index = index_named and bool(intent.tickers or held or ranked)
    pivot = None if index_named else ranking_pivot(intent.tickers, low, set_beside(measures, low))
    ranked = ranked or (bool(pivot) and not weights)  # "were AAPL and MSFT more volatile than KO?"
    head_to_head = HEAD_TO_HEAD.search(low) and (pivot or beside_index)
    if head_to_head and not measures:  # "did AAPL beat KO in 2022?", "did MSFT lag the S&P?"
        measures = ("return",)
        ranked = not weights
    names = len(intent.sectors) > 1 or len(intent.tickers) > 1 or beside_index or bool(pivot)
    risk_word = RISKIER_SAID.search(low)
    names = names or (ranked and bool(EVERY_NAME.search(low)))  # "which name was the calmest?"
    riskier = risk_word and names and (beside_index or not held) and not asks_made(low)
    if riskier and not measures:  # "which is riskier, tech or staples?", "is AAPL safer than KO?"
        measures = ("volatility", "drawdown_dates")
        ranked = not weights  # in order of each
    compared = riskier or head_to_head or COMPARED_SAID.search(low) or " than " in low
    not_ranked = {"correlation", "beta", *INDEX_SHOWN}  # the index's own line, or none
    beside_index = beside_index and bool(compared) and not not_ranked & set(measures)
    ranked = (ranked or beside_index) and held_bar is None  # the index ranked beside the names
    named_volatile = "volatility" not in measures and VOLATILE_SAID.search(low)
    if named_volatile and (weights or intent.sectors or ranked):  # not the market's
        measures += ("volatility",)
    measures = _measures_implied(intent, low, weights, measures)
    all_names = _ALL_NAMES.search(low)  # "of every stock": each stock's, none named
    each = _EACH_NAME.search(low) or _ALL_HELD.search(low)
    held_each = each and (subject_in_thread or _SUBJECT.search(low))
    of_names = intent.tickers or all_names or held_each  # "of each stock in it": its holdings
    each_stock = bool(of_names and not weights and set(measures) & OF_EACH_STOCK)
    risk_only = intent.intent == "risk_report" and "drawdown_dates" not in measures
    if risk_only and not (ranked or each_stock):
        return None  # a portfolio's risk: the risk report's (a ranking is statistics)
    read_of_market = intent.sectors and measures == ("return",) and not _RETURN_WORDS.search(low)
    performed = intent.intent == "backtest" and not _STRATEGY_WORDS.search(low)
    if read_of_market and not weights and not ranked and not performed:
        return None  # "how has tech done": a read of the sector's market, not statistics
    subject = intent.tickers or weights or intent.portfolio_ids or _SUBJECT.search(low)
    every = (ranked and (EVERY_NAME.search(low) or len(sectors) > 1)) or all_names
    if measures and (subject or subject_in_thread or every):
        measures, against = _measured_against(intent, low, measures, ranked and not weights)
        return _base(
            "statistics", intent, weights=weights, measures=measures, beta_to=against,
            years=years_compared(low), groups=sectors or groups_compared(intent, low, measures)
            or (() if ranked or weights or pivot else sector_alone(intent, low, measures)),
            ranked=ranked, ends=ranked_ends(low) if ranked else Ends(bar=held_bar),
            to_market=index_named and ("correlation" in measures or beside_index),
            rolling=rolling, against=(pivot,) if pivot and ranked else (),
            safer_first=bool(riskier and risk_word and risk_word.group(0) in SAFER_WORDS),
            beat_index=bool(head_to_head and index_named and "return" in measures),
            months=months_counted(low),
        )  # fmt: skip
    return None


def _measured_against(
    intent: Intent, low: str, measures: tuple[str, ...], ranked: bool
) -> tuple[tuple[str, ...], str | None]:
    """The `measures` asked and the stock a beta or tracking error is measured against ("beta
    of JPM to XOM": XOM; None: the index); in a ranking (`ranked`) by each name's correlation
    with a stock or the index named ("which stocks have the lowest correlation to AAPL?", "rank
    the stocks by correlation to the market"), the correlation is each name's with that series
    (`market_correlation`), not a matrix's, unless asked among the names ("which are most
    correlated with each other?")."""
    against = beta_to(intent, low) if {"beta", "tracking_error"} & set(measures) else None
    if not ranked or "correlation" not in measures or PAIRS_ASKED.search(low):
        return measures, against
    correlated = correlated_to(intent, low)
    if correlated is None and not INDEX_NAMED.search(low):
        return measures, against
    named = tuple("market_correlation" if m == "correlation" else m for m in measures)
    return named, correlated or against


def _measures_implied(
    intent: Intent, low: str, weights: dict[str, float], measures: tuple[str, ...]
) -> tuple[str, ...]:
    """`measures` with the drawdowns' dates when a risk question asks of groups' drawdowns
    ("drawdowns of tech vs staples") or of each stock's; with none named, stocks set side by
    side ("compare AAPL and MSFT since 2019") on `SIDE_BY_SIDE_MEASURES` and their correlation
    (sectors set side by side on those measures alone, each measured at equal weights);
    with none named, the measure of a bar set ("which stocks were down more than 20%?")."""
    if not measures and (bar := bar_said(low)) is not None:
        return (bar.measure,)
    risk = intent.intent == "risk_report"
    if not (measures or risk or weights) and len(intent.tickers) > 1 and SIDE_BY_SIDE.search(low):
        sectors = len(intent.sectors) > 1  # "compare tech with staples": each at equal weights
        return SIDE_BY_SIDE_MEASURES if sectors else (*SIDE_BY_SIDE_MEASURES, "correlation")
    of_groups = risk and _DRAWDOWNS_SAID.search(low) and groups_compared(intent, low, measures)
    if (of_groups or (risk and _drawdown_of_each(intent, low, weights))) and (
        "drawdown_dates" not in measures
    ):
        return (*measures, "drawdown_dates")
    return measures


_STRATEGY_WORDS = patterns.compile(r"\bback[\s-]?test\w*|\bstrateg(?:y|ies)\b|\brules?\b")
"""Words of a strategy's backtest: "how did the banks do in 2022" without them is the banks'
statistics (their return, beside the index's)."""
_EACH_NAME = patterns.compile(
    r"\b(?:each|every|individual(?:ly)?|respective|separately|one by one)\b|\bper (?:stock|name)\b"
)
_PORTFOLIO_RISK = patterns.compile(
    r"\bc?var\b|value[\s-]at[\s-]risk|expected shortfall|\bportfolio\b|\bbook\b|\bmix\b"
    r"|\bbasket\b|\brisk report\b|\btogether\b|\bcombined\b|\bequal[\s-]*weight"
)


def _drawdown_of_each(intent: Intent, low: str, weights: dict[str, float]) -> bool:
    """Whether a drawdown is asked of each name ("the max drawdown of each energy stock", "of
    AAPL and MSFT individually", "compare AAPL and MSFT on drawdown"), not of a portfolio
    holding them (weights, a portfolio, a VaR, "equal weight", "together"); names only listed
    ("the max drawdown of JNJ, PG and PEP") are the equal-weight portfolio's (the risk report)."""
    if not DRAWDOWN_ASKED.search(low) or weights or intent.portfolio_ids:
        return False
    each = _EACH_NAME.search(low) or (len(intent.tickers) > 1 and COMPARED_SAID.search(low))
    return not _PORTFOLIO_RISK.search(low) and bool(each)


_SECTOR_MEASURES = frozenset({"return", "volatility", "sharpe_ratio", "drawdown_dates"})
"""What a sector asked of alone is measured on at equal weights, beside each of its stocks."""


def sector_alone(
    intent: Intent, low: str, measures: tuple[str, ...]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The one sector a question asks of ("how did tech do in 2022?", "how volatile were the
    banks in 2020?"), with its known tickers, to be measured at equal weights beside its
    stocks; () when it names other stocks, weights, several years, each stock ("of each energy
    stock"), or a measure of another kind (a correlation, a beta)."""
    if len(intent.sectors) != 1 or intent.weights or len(years_compared(low)) > 1:
        return ()
    if _EACH_NAME.search(low) or _ALL_NAMES.search(low):  # "the drawdown of each energy stock"
        return ()
    members = tuple(t for t in sector_tickers(list(intent.sectors)) if t in intent.tickers)
    if not members or set(intent.tickers) - set(members):
        return ()
    return ((intent.sectors[0], members),) if set(measures) <= _SECTOR_MEASURES else ()


def groups_compared(
    intent: Intent, low: str, measures: tuple[str, ...]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The sectors or industries set side by side ("vol of tech vs staples", "return of energy
    compared with the banks"), each with its known tickers, in the order said; () for one
    group, groups only listed ("vol of tech and staples": each stock), or weights given; a
    correlation asked of two ("how correlated are tech stocks with energy?"): across them."""
    if len(intent.sectors) < 2 or intent.weights:
        return ()
    groups = [
        (s, tuple(t for t in sector_tickers([s]) if t in intent.tickers)) for s in intent.sectors
    ]
    found = tuple((name, members) for name, members in groups if members)
    if "correlation" in measures:  # "how correlated are tech stocks with energy?": across two
        return found if len(found) == 2 else ()
    return found if COMPARED_SAID.search(low) or RISKIER_SAID.search(low) else ()


def read_analysis(
    intent: Intent, known: Sequence[str], subject_in_thread: bool = False
) -> AnalysisAsk | None:
    """The analysis question of the parsed message (see the module docstring), or None;
    `subject_in_thread`: the conversation has a subject (a portfolio, weights or stocks) that a
    question naming none is about."""
    low = downturn_as_bear(normalised(intent.text))  # "what to hold if a recession comes?"
    named = bool(measures_named(low)) or bar_asked(low) is not None  # "list stocks with a ..."
    if not named and (covered := covered_group(intent, low)) is not None:
        return _base("coverage", intent, groups=covered)
    if not named and (names := names_covered(intent, low)):
        return _base("coverage", intent, names=names)
    other = intent.intent in _OTHER_INTENTS
    if (other and not (intent.weights and intent.intent == "search_strategy")) or intent.hedge:
        return None  # a search of given weights is not one: "what would 30% XOM 70% KO have ..."
    if intent.intent == "backtest" and intent.target_vol is not None:
        return None  # a strategy's backtest, however its target is said ("keeping the vol at 12%")
    capital = capital_named(low)
    asked = _comparison(intent, low, capital) or _portfolios_compared(intent, low, capital)
    asked = asked or _addition(intent, low, capital)
    asked = asked or _beside_held(intent, low, capital)
    if (asked := asked or _backtest(intent, low, capital, subject_in_thread)) is not None:
        return asked
    held = intent.weights or intent.portfolio_ids or _SUBJECT.search(low)  # "simulate my portfolio"
    if (_PROBABILITY.search(low) and _LOSS.search(low)) or (_SIMULATED.search(low) and held):
        threshold = _THRESHOLD.search(low)
        value = next((g for g in threshold.groups() if g), None) if threshold else None
        return _base(
            "loss_probability", intent, weights=intent.weights, capital=capital,
            threshold=None if value is None else fraction(value), horizon=horizon_sessions(low),
            bear_case=bool(BEAR_CASE.search(low)), scenarios=intent.scenarios,
        )  # fmt: skip
    if intent.episode is not None:  # "the VaR during covid": the episode is the window
        low = _EPISODES[intent.episode].sub(" ", low)
    stress = bool(STRESS.search(low)) or bear_market_asked(low)  # "how would KO do in a bear"
    move, episodes = market_move_named(low), episodes_named(low, stress)
    sector = sector_move_named(low)  # "if tech falls 30%": the sector's move, not the market's
    if (rate_rise := rate_rise_supposed(low)) is not None and move is None:
        episodes = episodes or ("rates_2022",)  # no rate model: the nearest history, said so
    past = past_downturns_asked(low)  # "how did KO do in bear markets?": the episodes
    bear = bool(BEAR_CASE.search(without_past_downturns(low) if past else low))
    bear_case = bool(_BEAR_CASE_SAID.search(low))
    shocked = move is not None or sector is not None or episodes or bear_case
    if shocked or (stress and (bear or "stress" in low)):
        return _base(
            "stress", intent, weights=intent.weights, capital=capital, market_move=move,
            episodes=episodes, bear_case=bear, horizon=horizon_sessions(low),
            ranked=stocks_compared(intent, low), rate_rise=rate_rise, sector_move=sector,
        )  # fmt: skip
    methods = [m for m in intent.methods if m != "frontier"]
    held_equal = methods == ["equal_weight"] and not _BUILD.search(low)  # "holding equal weights"
    targeted = intent.intent == "optimize_portfolio" and intent.target_vol is not None
    if (methods and not held_equal) or (BUILD_ASKED.search(low) and not intent.weights) or targeted:
        return None  # a portfolio to build: the optimizer's (stressed or its odds of loss first)
    if alone := index_alone_measures(intent, low, bool(INDEX_NAMED.search(low)), subject_in_thread):
        return _base(  # "the S&P's best month"
            "statistics", intent, measures=alone, index_alone=True, months=months_counted(low)
        )
    return _statistics(intent, low, subject_in_thread, known)
