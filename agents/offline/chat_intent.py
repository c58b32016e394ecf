"""The user's latest chat message as the offline model reads it: its text (never the agent loop's
asks for a decision), its `Intent`, the tickers intent parsing recognises, the conversation's
subject (the universe its earlier turns worked on), and the universe and dates the tools take
from them."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agents.conversation_texts import (
    DECISION_PROMPT,
    RETRY_PROMPT,
    RUN_DONE,
)
from agents.offline.builds_compared import builds_restated
from agents.offline.compared_pick import (
    chosen_built,
    compared_pick,
    equal_beside,
    names_a_pick,
    pick_named,
)
from agents.offline.data_dates import session_window
from agents.offline.holdings_given import holdings_given
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.held import HELD_NOUN
from agents.offline.judged_names import judged_name, names_in_place, referred_names
from agents.offline.policies import PolicyInput, truncated
from agents.offline.ranked_picks import picked_in_place
from agents.offline.stock_hedges import stock_hedge_restated
from agents.offline.thread_cadence import cadence_again
from agents.offline.thread_ends import other_end_again
from agents.offline.thread_judged import held_in_report, judged_again
from agents.offline.thread_market import INDEX_ANSWERED, market_referred, says_it
from agents.offline.thread_stress import stress_asked_again
from agents.offline.thread_versus import versus_again
from agents.offline.why_too import without_why
from quant.sp500_files import sp500_tickers
from services.shorthand import expand_shorthand, restated
from settings import patterns


def known_tickers() -> tuple[str, ...]:
    """Tickers of the embedded dataset (what intent parsing recognises)."""
    return sp500_tickers()


_RUNNER_ASKS = (DECISION_PROMPT.split("{")[0], RETRY_PROMPT.split("{")[0])


def written_by_user(message: BaseMessage) -> bool:
    """Whether a message is one the user wrote (not the agent runner's request for a decision)."""
    return isinstance(message, HumanMessage) and not message.text.startswith(_RUNNER_ASKS)


def user_texts(inp: PolicyInput) -> list[str]:
    """The messages the user wrote (not the agent runner's requests for a decision), the
    latest first."""
    return [message.text for message in reversed(inp.messages) if written_by_user(message)]


def answers_before(inp: PolicyInput) -> Iterator[str]:
    """The assistant's last answer of each turn before the user's latest message, latest first
    ("" for a turn with none)."""
    users, answer = 0, ""
    for message in reversed(inp.messages):
        if written_by_user(message):
            if users:
                yield answer
            users, answer = users + 1, ""
        elif users and not answer and isinstance(message, AIMessage) and not message.tool_calls:
            answer = message.text


def previous_answer(inp: PolicyInput) -> str:
    """The assistant's last answer before the user's latest message ("" when none)."""
    return next(answers_before(inp), "")


def user_text(inp: PolicyInput) -> str:
    """The latest message the user wrote (not the agent runner's request for a decision); when
    it only says a number again ("make it 40%"), the message before it with that number
    (`services.shorthand.restated`); when it answers `which_portfolio`'s question with a saved portfolio's name ("Income", "the
    Income one"), the question it answers, of that portfolio (its id after "my portfolio", or
    at the end: "stress test it" is "stress test it pf_...")."""
    texts = user_texts(inp)
    chosen = _portfolio_chosen(inp, texts)
    asked = len(texts) > 1 and previous_answer(inp).startswith(WHICH_ASKED)  # "60% AAPL 40% KO"
    if chosen is None and asked and (given := holdings_given(texts[0], known_tickers())):
        said, replaced = _MY_PORTFOLIO.subn(given, texts[1], count=1)  # "the VaR of 60% AAPL ..."
        return said if replaced else f"{texts[1]} {given}"
    if chosen is None and (compared := builds_restated(texts[0], lambda: earlier_results(inp))):
        return compared  # "compare them" after two builds: the two, by id
    if chosen is None:
        said = ""
        for text in reversed(texts):  # the oldest first: "make it 35" after "make that 30"
            said = restated(text, said)
        return said
    said, replaced = _MY_PORTFOLIO.subn(rf"\g<0> {chosen[1]}", texts[1], count=1)
    return said if replaced else f"{texts[1]} {chosen[1]}"


def _portfolio_chosen(inp: PolicyInput, texts: list[str]) -> tuple[str, str] | None:
    """(name, id) of the saved portfolio the latest message names, when it is only that name
    and answers `which_portfolio`'s question; None otherwise."""
    if len(texts) < 2 or not previous_answer(inp).startswith(ASKED_WHICH):
        return None
    for saved in _saved_portfolios(inp.system_text()):
        if _naming(saved.name).fullmatch(texts[0]):
            return saved.name, saved.portfolio_id
    return None


def _naming(name: str) -> re.Pattern[str]:
    """A message that is only a saved portfolio's name: "Income", "my Income portfolio.",
    "the Income one"."""
    return re.compile(
        rf"\W*(?:(?:my|our|the)\s+)?{re.escape(name)}(?:\s+(?:{HELD_NOUN}|one))?\W*",
        re.IGNORECASE,
    )


_SAVED = patterns.compile(r"^- (?P<name>.+?): (?P<id>pf_[0-9a-f]{28})\b", re.MULTILINE)
"""A saved portfolio as the agents are told of it (`graphs.thread_bindings`)."""


def named_portfolios(text: str, system: str) -> str:
    """`text` with each saved portfolio it names ("my Staples portfolio", "the Growth book") as
    its id, from the owner's saved portfolios listed in the `system` messages."""
    for saved in _saved_portfolios(system):
        if saved.named.search(text):
            text = saved.said.sub(saved.portfolio_id, text)
    return text


class _SavedPortfolio(NamedTuple):
    """A saved portfolio the `system` messages list, with the patterns of its name (made by `re`
    itself: a name is the user's)."""

    name: str
    portfolio_id: str
    said: re.Pattern[str]
    """The name as said ("my Staples", "the Staples portfolio", "Staples")."""
    named: re.Pattern[str]
    """The name said as a portfolio's ("my Staples", "Staples portfolio"; "the staples" alone is
    the sector)."""


def _saved_portfolio(name: str, portfolio_id: str) -> _SavedPortfolio:
    said = re.compile(
        rf"\b(?:(?:my|our|the)\s+)?{re.escape(name)}(?:\s+(?:portfolio|book|basket|fund"
        r"|allocation|mix))?\b",
        re.IGNORECASE,
    )
    named = re.compile(
        rf"\b(?:my|our)\s+{re.escape(name)}\b|\b{re.escape(name)}\s+(?:portfolio|book"
        r"|basket|fund|allocation|mix)\b",
        re.IGNORECASE,
    )
    return _SavedPortfolio(name, portfolio_id, said, named)


_MY_PORTFOLIO = patterns.compile(
    rf"\b(?:my|our)\s+{HELD_NOUN}\b(?!\s+(?:of|with)\b)",
    re.IGNORECASE,
)
"""A portfolio said as the user's own without a name or its holdings ("my portfolio"; not "my
portfolio of AAPL and KO")."""


WHICH_ASKED = (
    "Which portfolio or stocks? Name them (for example 'AAPL and KO', or '60% AAPL 40% KO')"
)
"""How every question back for the portfolio asked about begins (`WHICH_PORTFOLIO`, a hedge's)."""
WHICH_PORTFOLIO = f"{WHICH_ASKED} or build a portfolio first. Nothing was computed."
"""The reply to a question about a portfolio the conversation has not said, the owner having
saved none."""

ASKED_WHICH = "Which portfolio: "
"""How `which_portfolio` begins when it names the saved portfolios (a reply that is one of the
names answers it: `user_text`)."""

NAMES_LISTED = 8
"""Saved portfolios named in the question back at most (the rest are counted)."""


def which_portfolio(inp: PolicyInput) -> str:
    """The question back when the user's portfolio is not said: with several saved, it names
    them ("Which portfolio: Core, Growth or Income? ..."), else `WHICH_PORTFOLIO`; asked again
    after a name was given (the question still has no subject), what could not be read."""
    texts = user_texts(inp)
    chosen = _portfolio_chosen(inp, texts)
    if chosen is not None:  # the question, of the portfolio named, still has no subject
        return (
            f"I could not tell what to measure of {chosen[0]} in '{truncated(texts[1], 120)}'. Ask for a "
            "statistic (return, volatility, drawdown, Sharpe ratio, beta) or a stress test, for "
            f"example 'how volatile has my {chosen[0]} portfolio been since 2020?'. Nothing was "
            "computed."
        )
    names = sorted({s.name for s in _saved_portfolios(inp.system_text())}, key=str.casefold)
    if len(names) < 2:
        return WHICH_PORTFOLIO
    listed = names[:NAMES_LISTED]
    more = len(names) - len(listed)
    said = ", ".join(listed[:-1]) + (
        f", {listed[-1]} or {more} more" if more else f" or {listed[-1]}"
    )
    return (
        f"{ASKED_WHICH}{said}? Say its name (for example 'my {listed[0]} portfolio'), or "
        "name stocks ('AAPL and KO', '60% AAPL 40% KO'). Nothing was computed."
    )


def says_my_portfolio(inp: PolicyInput) -> bool:
    """Whether the user's latest message speaks of their portfolio without naming it or its
    holdings ("how volatile has my portfolio been?")."""
    return bool(_MY_PORTFOLIO.search(user_text(inp)))


def only_saved_portfolio(inp: PolicyInput) -> str | None:
    """The id of the owner's saved portfolio when they have saved exactly one; None otherwise
    (none saved, or several: which one is for the user to say)."""
    saved = _saved_portfolios(inp.system_text())
    return saved[0].portfolio_id if len(saved) == 1 else None


MAX_NAMED_PORTFOLIOS = 5
"""Most portfolios named by id in one message that are measured each (a risk report, a
statistic, a stress test); the answer names the rest, not measured."""


def named_beyond(intent: Intent) -> str:
    """What the answer says of the portfolios named beyond `MAX_NAMED_PORTFOLIOS` ("" when
    none were)."""
    rest = intent.portfolio_ids[MAX_NAMED_PORTFOLIOS:]
    if not rest:
        return ""
    return (
        f" Only the first {MAX_NAMED_PORTFOLIOS} portfolios named were measured; not "
        f"{', '.join(rest)}: ask about them again."
    )


def portfolio_label(inp: PolicyInput, portfolio_id: str) -> str:
    """How an answer names a portfolio by id: a saved one by its name and id ("Income
    (pf_...)"), any other by its id."""
    for saved in _saved_portfolios(inp.system_text()):
        if saved.portfolio_id == portfolio_id:
            return f"{saved.name} ({portfolio_id})"
    return portfolio_id


@functools.lru_cache(maxsize=32)
def _saved_portfolios(system: str) -> tuple[_SavedPortfolio, ...]:
    """Each saved portfolio the `system` messages list, longest name first, with the patterns of
    its name: made once for the several readings of a decision (its policies each ask for the
    message's intent), not once per reading."""
    if "pf_" not in system:
        return ()
    listed = sorted(_SAVED.findall(system), key=lambda item: -len(item[0]))
    return tuple(_saved_portfolio(name, portfolio_id) for name, portfolio_id in listed)


def intent_of(inp: PolicyInput) -> Intent:
    """The intent of the user's latest message (a saved portfolio it names read as its id; when
    it names no stock and the conversation's subject is one, "than it" as that stock's ticker:
    "how volatile was AMD in 2022?" then "which names were calmer than it?" is "... than AMD?",
    while "KO in 2020: which were riskier than it?" is not of AMD)."""
    text, texts = user_text(inp), user_texts(inp)
    again = versus_again(text, texts) or other_end_again(text, texts) or cadence_again(text, texts)
    again = again or stock_hedge_restated(text)  # "is KO a good hedge for AAPL?": correlated?
    text = again or without_why(text) or text  # "... in 2022 and why?": the question first
    if shown_before(inp) is None:  # "build a portfolio of the top 5 stocks by Sharpe in 2021"
        text = picked_in_place(inp, text, known_tickers())
    else:  # "backtest the top 3 equally weighted" after a ranking shown: its names
        text = names_in_place(text, answers_before(inp))
    if names_a_pick(text):  # "backtest the winner" after a comparison: the one it put first
        text = pick_named(text, previous_answer(inp), earlier_results(inp))
        text = chosen_built(text, earlier_results(inp), known_tickers())  # "go with the winner"
    text = named_portfolios(text, inp.system_text())
    intent = parse_intent(text, known_tickers())
    if intent.tickers or intent.weights or intent.portfolio_ids:
        return intent
    if says_it(text) and (market := _market_referred(inp, text, intent)) is not None:
        return parse_intent(market, known_tickers())  # "what's its drawdown?" after the market's
    of_them = _WHICH_OF_THEM.search(text) and not _SOMETHING_ELSE.search(text)
    if of_them and len(stocks := held_in_report(inp) or stocks_of_the_thread(inp)) > 1:
        if (stressed := stress_asked_again(inp, text)) is not None:
            text = stressed  # "which would hold up better?" after the stress tests of each
        elif (judged := judged_again(inp, text, user_texts(inp))) is not None:
            text = judged  # "which one is better?" after their statistics side by side
        return parse_intent(_with_stocks(text, stocks), known_tickers())
    if not _THAN_IT.search(text) or (stock := subject_stock(inp)) is None:
        return intent
    return parse_intent(_THAN_IT.sub(f"than {stock[0]}", text), known_tickers())


def _market_referred(inp: PolicyInput, text: str, intent: Intent) -> str | None:
    """`thread_market.market_referred` of the message, the conversation's latest call with a
    subject and its last answer."""
    latest = next(
        ((name, args) for name, args, _ in earlier_results(inp)
         if name in (*SUBJECT_TOOLS, *ANALYSIS_TOOLS, "compare_portfolios")),
        None,
    )  # fmt: skip
    windowed = bool(intent.start or intent.end or intent.last_sessions)
    index_answered = previous_answer(inp).startswith(INDEX_ANSWERED)
    return market_referred(text, latest, windowed, index_answered)


_THEM = patterns.compile(
    r"\b(?:them|the two|these two|those two|both(?: of them)?)\b", re.IGNORECASE
)
_WHICH_OF_THEM = patterns.compile(
    r"^\W*(?:(?:so|and|ok|okay|then)\W+)?(?:which|who)(?:\s+one)?(?:\s+of\s+(?:them|these|those"
    r"|the\s+(?:two|three|four|five)))?(?:['\u2019]s\b|\s+"
    r"(?:is|was|has|had|did|does|would|will|looks?|held|fared|performed|lost|fell|came|won"
    r"|wins)\b)"
    r"|\b(?:compare|between|rank)\s+(?:them|the two"
    r"|these two|those two)\b|\bboth\b",
    re.IGNORECASE,
)
"""A question choosing between or comparing the stocks of the conversation, naming none ("which
is riskier?", "which one did better?", "compare them since 2010", "how volatile are both?")."""
_SOMETHING_ELSE = patterns.compile(
    r"\b(?:it|its|portfolios?|allocation|market|index|s&p|spx|spy|strateg(?:y|ies)|search|runs?"
    r"|sectors?|stocks|names|tickers|funds?|methods?|hrp|risk parity|min vol\w*|max sharpe"
    r"|scenarios?|measures?|metrics?)\b",
    re.IGNORECASE,
)
"""What else such a question may be about ("which is riskier, my portfolio or the market?",
"which stocks ...", "which scenario ..."): then it keeps its own reading."""


def stocks_of_the_thread(inp: PolicyInput) -> tuple[str, ...]:
    """The stocks the conversation's latest turns worked on: its subject when that is several,
    else the single stocks of its latest turns, one after another, up to the first turn on
    several or none ("what is AAPL's beta?" then "and MSFT?": AAPL and MSFT), oldest first."""
    subject = thread_subject(inp)
    if len(subject) != 1:
        return subject
    stocks: list[str] = []
    for names in _earlier_subjects(inp):
        if len(names) != 1:
            break
        if names[0] not in stocks:
            stocks.insert(0, names[0])
    return tuple(stocks[-MOST_STOCKS_RECALLED:])


MOST_STOCKS_RECALLED = 5
"""The most single stocks of the latest turns that "which is riskier?" chooses between."""


def _with_stocks(text: str, stocks: tuple[str, ...]) -> str:
    """`text` naming `stocks` where it refers to them ("compare AAPL and MSFT since 2010"), or
    asked of them ("which is riskier, AAPL or MSFT?")."""
    first, last = ", ".join(stocks[:-1]), stocks[-1]
    if _THEM.search(text):
        return _THEM.sub(f"{first} and {last}", text, count=1)
    return f"{text.rstrip(' ?.!')}, {first} or {last}?"


_THAN_IT = patterns.compile(
    r"\bthan\s+(?:it|(?:that|this)\s+(?:one|stock|name|company))"
    r"(?=\s*(?:[?!.,;:]|$|\b(?:in|over|during|from|since|between|last|this|so)\b))",
    re.IGNORECASE,
)
"""A stock of the conversation referred to after "than" ("which names were calmer than it?",
"... safer than that stock in 2021?"); not "than it did", "than that portfolio"."""


WINDOW_KEYS = ("start", "end", "last_sessions")
"""The arguments that set a tool call's window."""


def window_of(args: dict[str, Any]) -> dict[str, Any]:
    """The window arguments a tool call was given (`WINDOW_KEYS`, those set)."""
    return {key: args[key] for key in WINDOW_KEYS if args.get(key)}


SUBJECT_TOOLS = (
    "optimize_portfolio",
    "efficient_frontier",
    "market_statistics",
    "generate_market_scenarios",
    "backtest_strategy",
    "asset_statistics",
    "stress_test",
    "loss_probability",
    "backtest_weights",
    "compare_portfolios",
)
"""The tools whose universe becomes the conversation's subject."""


_FIGURE = patterns.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")
"""A figure with decimals ("0.81", "12.5%"): what a computed answer quotes."""


def computed_answer(text: str) -> bool:
    """Whether an answer of the assistant reports something computed: a turn's "Used: ..."
    (graphs.ask_statements), a finished strategy search or its explanation (figures with
    decimals)."""
    return "Used: " in text or bool(RUN_DONE.search(text) or _FIGURE.search(text))


def judged_before(inp: PolicyInput) -> tuple[str, ...] | None:
    """`agents.offline.judged_names.judged_name` of the message (its shorthand written out) and
    the last answer."""
    return judged_name(expand_shorthand(user_text(inp)), previous_answer(inp))


def shown_before(inp: PolicyInput) -> tuple[str, ...] | None:
    """`agents.offline.judged_names.referred_names` of the message (its shorthand written out,
    "bt em": "backtest them") and the answers before it."""
    return referred_names(expand_shorthand(user_text(inp)), answers_before(inp))


_WORD = patterns.compile(r"[A-Z][A-Z.]*")


def thread_subject(inp: PolicyInput) -> tuple[str, ...]:
    """The conversation's current universe: the name the last answer judged best or worst (the
    names, one per measure, when they differ) when the message refers back to it
    (`judged_before`); else that of its latest turn before
    this one which worked on named tickers (a portfolio built, statistics read, a backtest; the
    tickers of the weights it was given); else the stocks given in answer to the question back
    for the user's portfolio (`_answered`); () when none."""
    if (judged := judged_before(inp)) is not None:
        return judged
    if (shown := shown_before(inp)) is not None:
        return shown  # "backtest them" after "the top 3 stocks by Sharpe in 2021": those 3
    return next((names for names in _earlier_subjects(inp) if names), ()) or _answered(inp)


def _answered(inp: PolicyInput) -> tuple[str, ...]:
    """The stocks the user named in answer to the question back for their portfolio
    (`WHICH_ASKED`, then "60% AAPL 40% KO"), the latest such answer's; () when none."""
    named: tuple[str, ...] = ()
    asked, known = False, known_tickers()
    for message in inp.messages:
        if isinstance(message, AIMessage) and message.text and not message.tool_calls:
            asked = message.text.startswith(WHICH_ASKED)
        elif written_by_user(message) and asked and (given := holdings_given(message.text, known)):
            named = tuple(w for w in _WORD.findall(given.upper()) if w in known)
    return named


def _earlier_subjects(inp: PolicyInput) -> Iterator[tuple[str, ...]]:
    """The tickers each earlier call of `SUBJECT_TOOLS` worked on (its universe, else the
    tickers of its weights; () for neither), latest first."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    for call in reversed(inp.tool_calls_made()):
        if call["id"] not in earlier and call["name"] in SUBJECT_TOOLS:
            names = call["args"].get("universe") or list(call["args"].get("weights") or {})
            yield tuple(str(t).upper() for t in names)


def has_thread_subject(inp: PolicyInput) -> bool:
    """Whether an earlier turn of the conversation worked on a portfolio or on named stocks
    (a call of `SUBJECT_TOOLS` or a risk report)."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    return any(
        call["name"] in (*SUBJECT_TOOLS, "portfolio_risk_report") and call["id"] not in earlier
        for call in inp.tool_calls_made()
    )


REVISE = patterns.compile(
    r"\b(?:rebuild|redo|re-?run|recompute|re-?optimi[sz]e|again|now|instead)\b"
)
"""A message that asks to build the conversation's portfolio again, changed."""


def thread_method(inp: PolicyInput) -> str | None:
    """The method of the conversation's latest portfolio built before this turn."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    for call in reversed(inp.tool_calls_made()):
        if call["name"] == "optimize_portfolio" and call["id"] not in earlier:
            method = call["args"].get("method")
            return str(method) if method else None
    return None


def revises_portfolio(inp: PolicyInput, intent: Intent) -> bool:
    """Whether the message changes the conversation's latest portfolio ("drop KO and rebuild",
    "now cap at 30%", "add PG", "swap XOM for WMT"): it names no method or other ask, changes
    the universe or the limits, and the conversation has built a portfolio."""
    if thread_method(inp) is None or intent.methods:
        return False
    changes = intent.limits.changes_weights or bool(intent.adds and intent.tickers)
    return changes or bool(REVISE.search(intent.text.lower()) and intent.refers_back)


def rate_args(intent: Intent) -> dict[str, Any]:
    """The ``risk_free_rate`` argument the message states ("with a 2% risk-free rate"), for
    the tools whose Sharpe ratios take one; none when it states none."""
    return {} if intent.risk_free is None else {"risk_free_rate": intent.risk_free}


def window_args(
    intent: Intent, subject: tuple[str, ...] = (), *, sessions: bool = False
) -> dict[str, Any]:
    """The ``universe``, ``start`` and ``end`` tool arguments the intent names (none it leaves
    out); the universe is the conversation's `subject` when the message names none. A trailing
    window ("the last 12 months") is ``last_sessions`` for a tool that takes it (`sessions`),
    else the dates of those sessions (`session_window`)."""
    args: dict[str, Any] = {}
    tickers = intent.universe(known_tickers(), subject)
    if tickers:
        args["universe"] = tickers
    if intent.last_sessions and sessions:
        args["last_sessions"] = intent.last_sessions
    elif intent.last_sessions:
        args["start"] = session_window(intent.last_sessions, intent.end)[0]
    elif intent.start:
        args["start"] = intent.start
    if intent.end:
        args["end"] = intent.end
    return args


ANALYSIS_TOOLS = (
    "asset_statistics", "stress_test", "loss_probability", "backtest_weights",
    "portfolio_risk_report",
)  # fmt: skip
"""The analysis tools whose portfolio (id, weights or universe) a later question may mean."""


def earlier_results(inp: PolicyInput) -> list[tuple[str, dict[str, Any], Any]]:
    """(tool, arguments, parsed result) of the calls before this turn, newest first."""
    this_turn = {call["id"] for call in inp.calls_this_turn()}
    return [
        (r.name, r.args, r.data)
        for r in reversed(inp.tool_results())
        if r.call_id not in this_turn and not r.is_error
    ]


def last_subject(inp: PolicyInput) -> dict[str, Any] | None:
    """The name the last answer judged best or worst (the names, when it judged one per measure)
    when the message refers back to one name (`judged_before`); else the portfolio built last in the conversation, or the weights
    or universe an earlier analysis used, whichever came last; None when there is none."""
    if (judged := judged_before(inp)) is not None:
        return {"universe": list(judged)}
    if (shown := shown_before(inp)) is not None:
        return {"universe": list(shown)}
    earlier = earlier_results(inp)
    if (picked := compared_pick(user_text(inp), previous_answer(inp), earlier)) is not None:
        return {"portfolio_id": picked}  # "backtest it" after a comparison: the one put first
    for at, (name, args, data) in enumerate(earlier):
        if name == "optimize_portfolio" and isinstance(data, dict) and data.get("portfolio_id"):
            return {"portfolio_id": data["portfolio_id"]}
        if equal_beside(args, earlier[at + 1 :]):
            continue  # "how does it compare to equal weight?": the benchmark, not the subject
        if name == "compare_portfolios" and len(ids := args.get("portfolio_ids") or []) == 1:
            return {"portfolio_id": ids[0]}  # one portfolio set beside others: still the subject
        keys: tuple[str, ...] = ("universe",) if name in SUBJECT_TOOLS else ()
        keys = ("portfolio_id", "weights", "universe") if name in ANALYSIS_TOOLS else keys
        for key in keys:
            if args.get(key):
                return {key: args[key]}
    return None


def subject_stock(inp: PolicyInput) -> tuple[str, dict[str, Any]] | None:
    """The conversation's subject when it is one stock (a universe of one, or all of the
    weights on one name: "what was KO's drawdown in 2020?"), with the window of the call that
    made it the subject (`start`, `end`, `last_sessions` as given; a name judged best or worst:
    that of the call that judged it); None otherwise."""
    subject = last_subject(inp) or {}
    names = list(subject.get("universe") or subject.get("weights") or ())
    if len(names) != 1:
        return None
    judged = judged_before(inp) is not None
    for _, args, _ in earlier_results(inp):  # the call that made it the subject
        if judged or any(args.get(key) == value for key, value in subject.items()):
            return names[0], window_of(args)
    return names[0], {}


def last_build(inp: PolicyInput) -> dict[str, Any] | None:
    """The result of the conversation's latest `optimize_portfolio` call when it built a
    portfolio (its `portfolio_id`, weights, window); None when there is none or it failed."""
    for result in reversed(inp.tool_results()):
        if result.name == "optimize_portfolio" and isinstance(result.data, dict):
            return result.data if isinstance(result.data.get("portfolio_id"), str) else None
    return None
