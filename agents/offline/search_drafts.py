"""The offline model's draft of a strategy search (`agents.chat.RequestDraft`) from the chat's
messages: universe, dates, scenarios to stress, volatility target, weight functions, the settings
the user states ("rebalanced monthly", "a 63-day lookback": kept, not searched), risk limits,
trials and option protection (`agents.offline.hedge_policies`).

A follow-up ("rebalance quarterly instead", "now with 2x leverage", "try it with 50 trials")
changes the conversation's latest search ask: the draft is that ask's, with what the follow-up
states on top (and each follow-up since). A change in a conversation with no earlier request,
naming nothing to work on, has nothing to change: the supervisor asks what it is for
(`nothing_to_revise`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import Any, get_args

from langchain_core.messages import AIMessage

from agents.approval_words import decision_said
from agents.decisions import FixedSetting, SearchedParameter
from agents.offline.chat_intent import (
    intent_of,
    known_tickers,
    thread_subject,
    user_texts,
    window_args,
)
from agents.offline.hedge_policies import hedge_draft
from agents.offline.intent import Intent, parse_intent
from agents.offline.intent.changes import FOLLOW_UP_OPENING, Change, read_change
from agents.offline.intent.numbers import capped_limits
from agents.offline.intent.strategy_terms import parameters_named, winner_metrics_named
from agents.offline.intent.typos import normalised
from agents.offline.intent.words import read_scenarios
from agents.offline.policies import PolicyInput, forced_call
from agents.offline.proposal_questions import (
    asks_change,
    aspects_asked,
    is_question,
    waiting_proposal,
)
from agents.offline.request_drafts import draft_of_request
from agents.offline.strategy_args import stated_config
from quant.regime_names import REGIME_NAMES
from quant.strategy import WEIGHT_FUNCTION_PARAMETERS
from settings import patterns

__all__ = [
    "asks_about_parameters",
    "asks_about_winner",
    "draft_search",
    "follows_up",
    "nothing_to_revise",
    "nothing_to_revise_reply",
    "repeats_search",
    "revises_search",
    "states_search_change",
]

_LIMITS = (("max_drawdown", "max_drawdown"), ("cvar_95", "cvar"), ("var_95", "var"))
"""RiskLimitsDraft field -> the intent's risk limit."""


SEARCH = "search_strategy"
"""The intent of a search ask."""

VOL_CAP_SPAN = 0.5
"""A volatility cap said for a search ("keep vol under 10%") searches the volatility targets
from this share of it up to it (5% to 10%), with the rules that scale to a target."""


def _target_vol_range(intent: Intent) -> list[float] | None:
    """The volatility targets the message asks a search over: a range, a target (kept, or
    searched around when said as approximate), or up to a volatility cap; None when none."""
    if intent.target_vol_range is not None:
        return list(intent.target_vol_range)
    if intent.target_vol is not None and intent.target_vol_around:  # "around 12%"
        return [max(0.01, round(intent.target_vol * 0.5, 4)), round(intent.target_vol * 1.5, 4)]
    if intent.target_vol is not None:  # a stated target is kept, not searched around
        return [intent.target_vol, intent.target_vol]
    if _capped(intent):  # "keep vol under 10%": targets up to it
        cap = intent.risk_limits["volatility"]
        return [round(cap * VOL_CAP_SPAN, 4), cap]
    return None


TARGETING_RULES = tuple(
    rule for rule, reads in WEIGHT_FUNCTION_PARAMETERS.items() if "target_vol" in reads
)
"""The weight rules that scale exposure to a volatility target."""


def _capped(intent: Intent) -> bool:
    """Whether the message caps a search's volatility ("keep vol under 10%") and states no
    target of its own."""
    cap = intent.risk_limits.get("volatility")
    stated = intent.target_vol_range is not None or intent.target_vol is not None
    return cap is not None and 0.0 < cap <= 1.0 and not stated


def _search_fields(intent: Intent, subject: tuple[str, ...]) -> dict[str, Any]:
    """The draft's fields one message states (the universe `subject` when it names none), its
    limits said either way ("drawdown under 20%", "cap drawdown at 20%": `capped_limits`)."""
    draft: dict[str, Any] = dict(window_args(intent, subject))
    stressed = list(intent.scenarios)
    if stressed:
        weight = scenario_emphasis(intent.text.lower())
        draft["scenario_weights"] = {n: (weight if n in stressed else 1.0) for n in REGIME_NAMES}
    if (targets := _target_vol_range(intent)) is not None:
        draft["target_vol_range"] = targets
    if intent.weight_functions:
        draft["weight_functions"] = list(intent.weight_functions)
    elif _capped(intent):  # the Merton rule reads no target: a cap would not bind it
        draft["weight_functions"] = list(TARGETING_RULES)
    stated = stated_config(intent)
    if fixed := {name: stated[name] for name in get_args(FixedSetting) if name in stated}:
        draft["fixed"] = fixed
    said = {**capped_limits(normalised(intent.text)), **intent.risk_limits}
    limits = {key: said[s] for key, s in _LIMITS if s in said}
    if limits:
        draft["risk_limits"] = {**limits, "scenarios": stressed or None}
    if intent.budget is not None:
        draft["max_trials"] = intent.budget
    if (hedge := hedge_draft(intent)) is not None:
        draft["protection"] = hedge  # the field of `ProtectionDraft` the models see
    focus = get_args(SearchedParameter)
    if asked := [p for p in intent.parameters if p in focus and p not in fixed]:
        draft["focus"] = asked
    return draft


def follows_up(intent: Intent) -> bool:
    """Whether a message changes an earlier ask rather than asking afresh: a revision
    ("instead"), stocks added to it ("add PG"), a reference back ("same with ..."), a change the follow-ups read
    (`intent.changes.read_change`), a follow-up's opening words or only stocks named, as the
    only ones ("with KO only": `names_only_stocks`)."""
    return (
        intent.revision
        or intent.adds
        or intent.refers_back
        or read_change(intent) is not None
        or bool(FOLLOW_UP_OPENING.search(intent.text.lower()))
        or (names_only_stocks(intent) and bool(_RESTRICTS.search(intent.text.lower())))
    )


_RESTRICTS = patterns.compile(r"\b(?:only|just|instead|rather)\b")
"""Words that make stocks named alone a change of the universe when read back ("with KO only";
"KO and PEP" alone may have asked their statistics), and a scenario weighting replace the one
before ("weight the high vol scenario double instead")."""


_UNIVERSE_WORDS = frozenset({
    "with", "only", "just", "use", "using", "instead", "and", "or", "please", "run", "it", "that",
    "this", "the", "search", "on", "of", "for", "what", "about", "how", "rather", "try", "stocks",
    "names", "tickers",
})  # fmt: skip
"""The words besides tickers of a message that only names a search's stocks ("with KO only",
"use KO and PEP instead", "what about just AAPL and KO?")."""
_WORD = patterns.compile(r"[a-z]+")


def names_only_stocks(intent: Intent) -> bool:
    """Whether a message only names stocks for a search ("with KO only", "just AAPL and KO",
    "what about just KO?", "run the search on KO only"): a change of its universe; a question
    about the stocks ("what's the Sharpe of KO?", "KO?") or more of them ("and JNJ") is not."""
    if not intent.tickers:
        return False
    words = _WORD.findall(intent.text.lower())
    if words[:1] in (["and"], ["plus"], ["also"]):  # "and JNJ": more, not only these
        return False
    if is_question(intent.text) and not asks_change(intent.text):  # "KO?": asks about it
        return False
    tickers = {ticker.lower() for ticker in intent.tickers}
    return all(word in _UNIVERSE_WORDS or word in tickers for word in words)


_OF_THE_WINNER = patterns.compile(
    r"\b(?:winner|winning|the (?:strategy|search|run|result|best configuration))\b"
)
"""Words naming a finished search's winner ("the winner's Sharpe", "the strategy's drawdown")."""
_ELSEWHERE = patterns.compile(
    r"\b(?:market|index|s&p|spx|portfolio|my|holdings?|bonds?|buy[\s-]and[\s-]hold|benchmarks?"
    r"|equal[\s-]?weight\w*|runner[\s-]?up|other|trials?|sectors?|stocks?|names)\b"
)
"""Words naming another subject than a search's winner."""
_SCENARIO = patterns.compile(r"\bscenarios?\b")
"""The word of a search's simulated markets ("in the bear scenario"), which a stock has not."""
_IT = patterns.compile(r"\b(?:it|its|it's)\b")
""""It": the conversation's latest subject."""
_DEFINITION = patterns.compile(
    r"\bwhat (?:does|do) .*\bmean\b|\bmeaning\b|\bdefin\w*|\bwhat(?:'s| is| are) an? "
)
"""A question what a word means ("what does the Sharpe ratio mean?"), not a figure."""


def _only_scenarios(change: Change) -> bool:
    """Whether a change names scenarios and nothing else ("and its exposure in the bear
    scenario?"): a search winner's results are kept per scenario."""
    changed = {
        f.name
        for f in fields(change)
        if f.name != "intent" and getattr(change, f.name) not in (None, (), False)
    }
    return changed == {"scenarios"}


def asks_about_winner(intent: Intent, latest: bool, latest_of_portfolios: bool) -> bool:
    """Whether a message only asks a measure of a finished search's winner ("what's the winner's
    Sharpe in the bear scenario?", "how much is it in cash?"): a measure of a strategy's results
    named, no stocks, sector or method, no other subject, no number, no definition asked, no
    fresh ask or change, and the winner named or meant by "it": the search being the
    conversation's latest subject (`latest`), or the question naming a scenario of it and the
    search being its latest portfolio (`latest_of_portfolios`: "how did it do in the bear
    scenario?" after a question about a stock, which has no scenarios)."""
    low = intent.text.lower()
    if not winner_metrics_named(low) or intent.tickers or intent.all_tickers or intent.methods:
        return False  # "vs min vol?" names a method, not the winner's volatility
    if intent.sectors or intent.equal_weight or intent.portfolio_ids:
        return False  # "how volatile is tech?"
    change = read_change(intent)
    if change is not None and not _only_scenarios(change):  # "in the bear scenario": its own
        return False
    if _ASKS.search(low) or _ELSEWHERE.search(low) or _DEFINITION.search(low):
        return False
    if any(c.isdigit() for c in low):  # a window, a level or a value: not the winner's results
        return False
    scenario = bool(_SCENARIO.search(low)) and bool(read_scenarios(low))
    meant = latest or (latest_of_portfolios and scenario)
    return bool(_OF_THE_WINNER.search(low)) or (meant and bool(_IT.search(low)))


def asks_about_parameters(intent: Intent) -> bool:
    """Whether a message only asks about strategy parameters it names ("what is the lookback?",
    "and the vol target?"), stating no value, change, stocks or fresh ask: a question about a
    search's winner, never a search ask of its own (though the intent reader takes the words
    for one)."""
    low = intent.text.lower()
    if not parameters_named(low) or intent.tickers or intent.all_tickers:
        return False
    stated = _ASKS.search(low) or any(c.isdigit() for c in low)  # a fresh ask, or a value
    return read_change(intent) is None and not stated


def _budget_only(intent: Intent) -> bool:
    """Whether a message states a trial budget and no stocks ("what if we use 50 trials?"): a
    change of the search asked just before it, if that is the conversation's latest ask."""
    return intent.budget is not None and not (intent.tickers or intent.all_tickers)


def _asks_before(inp: PolicyInput) -> Iterator[tuple[Intent, list[Intent]]]:
    """The conversation's earlier asks that are not follow-ups, the latest first, each with its
    follow-ups since (oldest first); questions about a search's parameters, a proposal's
    ("how many trials?": `proposal_questions.aspects_asked`) or a decision are neither."""
    since: list[Intent] = []
    for text in user_texts(inp)[1:]:
        earlier = parse_intent(text, known_tickers())
        if asks_about_parameters(earlier) or aspects_asked(text) or decision_said(text):
            continue
        if follows_up(earlier):
            since.insert(0, earlier)
        else:
            yield earlier, since
            since = []


def _search_asks(inp: PolicyInput) -> list[Intent]:
    """The asks the latest message's search is drafted from, oldest first: the message alone,
    or for a follow-up the conversation's latest search ask that is not one, then each
    follow-up of it since (another ask between them, and its own follow-ups, left out); [] for
    a follow-up with no such search ask."""
    latest = intent_of(inp)
    if not follows_up(latest):
        followed = next(_asks_before(inp), None) if _budget_only(latest) else None
        if followed is None or followed[0].intent != SEARCH:
            return [latest]
        return [followed[0], *followed[1], latest]  # "what if we use 50 trials?" after a search
    for ask, since in _asks_before(inp):
        if ask.intent == SEARCH:
            return [ask, *since, latest]
    return []


_ASK_VERBS = r"find|look for|suggest|recommend|optimi[sz]e|build|construct|backtest|show"
"""The verbs of a fresh ask besides "search" ("now find strategies rebalanced monthly")."""


def _waiting_search(inp: PolicyInput, latest: Intent) -> dict[str, Any] | None:
    """The search waiting for approval (`WAITING_PROPOSAL:`: its `request`, and the parameters
    its conversation asked about, `focus`) that the latest message, drafted as a search, changes
    ("with KO only", "make it 8 trials", "drop XOM"), or None: no search waits, or the message
    has a verb of a fresh ask ("find strategies for the banks" replaces it)."""
    held = waiting_proposal(inp)
    if held is None or held.get("kind", "search") != "search" or not held.get("request"):
        return None
    return None if _FRESH_SEARCH.search(latest.text.lower()) else held


_FRESH_SEARCH = patterns.compile(rf"\b(?:{_ASK_VERBS})\b|(?<!the )\bsearch\b")
"""A verb of a fresh ask; "the search" is the one waiting ("run the search on KO only")."""
_WEIGHTS_SCENARIOS = patterns.compile(
    r"\b(?:weight\w*|double|twice|triple|thrice|stress\w*|emphasi[sz]\w*|focus\w*|more on"
    r"|overweight\w*)\b"
)
"""Words that weight a search's scenarios ("weight the bear scenario double"); a scenario named
alone ("the bear case") may ask about it."""
_MULTIPLES = {"double": 2.0, "twice": 2.0, "triple": 3.0, "thrice": 3.0, "quadruple": 4.0}
_MULTIPLE_SAID = (
    r"(?:\b(double|twice|triple|thrice|quadruple)\b|(?<![\w.])(\d{1,2}(?:\.\d+)?)\s*(?:x|times)\b)"
)
_MULTIPLE = patterns.compile(  # beside the weighting or the scenario, in one clause
    r"(?:\bweight\w*|\bscenarios?|\bcase|\bregime)[^,;.]{0,12}?"
    + _MULTIPLE_SAID
    + r"|"
    + _MULTIPLE_SAID.replace("(double", "(?:double").replace("(\\d", "(?:\\d")
    + r"\s+(?:the\s+)?(?:weight|emphasis)\b"
)


def scenario_emphasis(low: str) -> float:
    """The weight of the scenarios a search stresses, against 1 for the others: the multiple
    said ("weight the bear scenario triple": 3; "3x the weight on bear": 3), 2 when none is
    ("weight the bear scenario more"); a multiple of leverage ("2x leverage") is not one."""
    match = _MULTIPLE.search(low)
    if match is None:
        return 2.0
    said = _MULTIPLES.get(match[1] or "") or float(match[2] or 0.0)
    if match[1] is None and match[2] is None:  # "3x the weight", "triple the weight"
        word = next(w for w in match[0].split() if w)
        said = _MULTIPLES.get(word) or float(word.rstrip("x") or 2.0)
    return said if 1.0 < said <= 10.0 else 2.0


_STATES_CHANGE = patterns.compile(
    r"\b(?:make|change|set|switch|use|using|try|with|without|instead|rather|since|from|until"
    r"|drop|remove|add|include|exclude|cap|limit|rebalanc\w*|weight\w*|double|only|just"
    r"|increase|decrease|reduce|raise|lower|bump)\b"
)
"""Words that state a change ("since 2016", "rebalance monthly", "with 2x leverage"); a
statement without one is about something else ("the 2020 crash was brutal")."""


def states_search_change(intent: Intent) -> bool:
    """Whether a message sent while a search waits for approval changes it: it names only stocks
    for it ("with KO only"), adds or drops names ("add JNJ", "drop XOM"), asks for a change of
    trials ("and with 10 trials?"), or states a part of a search (a window, a setting kept, a
    rule, a volatility target, a risk limit, protection, scenarios weighted) with words of a
    change and no stocks of its own; not a fresh ask ("find ..."), a question that asks no
    change in words ("what happened to the market in 2020?", "KO?"), a statement with no word of
    a change ("the 2020 crash was brutal") or a message about other names ("compare KO and
    PG")."""
    low = intent.text.lower()
    if _FRESH_SEARCH.search(low):
        return False
    if names_only_stocks(intent) or intent.adds or intent.limits.excluded:
        return True
    if intent.intent == SEARCH and asks_change(intent.text):  # "KO and XOM with 10 trials?"
        return True
    if is_question(intent.text) and not asks_change(intent.text, in_words=True):
        return False
    if not (is_question(intent.text) or _STATES_CHANGE.search(low)):
        return False
    if intent.tickers or intent.all_tickers or intent.sectors or intent.portfolio_ids:
        return False
    stated = set(_change_fields(intent, ())) - {"universe", "focus"}
    if "scenario_weights" in stated and not _WEIGHTS_SCENARIOS.search(low):
        stated.discard("scenario_weights")
    return bool(stated)


def _change_fields(intent: Intent, universe: tuple[str, ...]) -> dict[str, Any]:
    """The draft's fields a change of a waiting search states: a message's (`_search_fields`),
    with scenarios named only when weighted ("weight the bear scenario double"; "the 2020 crash"
    weights nothing)."""
    fields = _search_fields(intent, universe)
    if not _WEIGHTS_SCENARIOS.search(intent.text.lower()):
        fields.pop("scenario_weights", None)
    return fields


def _merged(draft: dict[str, Any], changed: dict[str, Any], instead: bool) -> dict[str, Any]:
    """`draft` with the fields a later message states (`changed`): settings kept, risk limits,
    scenario weights and protection added to what the draft has ("cap CVaR at 3%" keeps the
    drawdown limit, "weight the high vol scenario double too" the bear's weight; a hedge's
    settings the message leaves unset are kept), the rest replaced; a message saying "instead"
    ("weight the high vol scenario double instead") replaces the scenario weights too."""
    merged = {**draft, **changed}
    if "fixed" in changed or "fixed" in draft:
        merged["fixed"] = {**draft.get("fixed", {}), **changed.get("fixed", {})}
    if "risk_limits" in changed and "risk_limits" in draft:
        before, after = draft["risk_limits"], changed["risk_limits"]
        merged["risk_limits"] = {
            **before,
            **{k: v for k, v in after.items() if k != "scenarios"},
            "scenarios": after.get("scenarios") or before.get("scenarios"),
        }
    if "scenario_weights" in changed and draft.get("scenario_weights") and not instead:
        stressed = {n: w for n, w in changed["scenario_weights"].items() if w != 1.0}
        merged["scenario_weights"] = {**draft["scenario_weights"], **stressed}
    hedged = "protection" in changed and set(changed["protection"]["kinds"]) != {"none"}
    if hedged and "protection" in draft:  # "no protection" drops it all
        merged["protection"] = {**draft["protection"], **changed["protection"]}
    return merged


def _refill_from_profile(
    draft: dict[str, Any], base: dict[str, Any], from_profile: Sequence[str]
) -> None:
    """Leave out of `draft` (a change of the waiting search `base`) what the owner's profile
    filled in (`from_profile`: ``universe``, ``risk_limits.<metric>``) and the change left as it
    was: the profile fills it again, and says so."""
    if "universe" in from_profile and draft.get("universe") == base.get("universe"):
        draft.pop("universe", None)
    limits = dict(draft.get("risk_limits") or {})
    for field in from_profile:
        metric = field.removeprefix("risk_limits.")
        if metric != field and limits.get(metric) == (base.get("risk_limits") or {}).get(metric):
            limits.pop(metric, None)
    if limits.keys() - {"scenarios"}:
        draft["risk_limits"] = limits
    else:
        draft.pop("risk_limits", None)


_SAME = patterns.compile(r"\bsame\b")


def repeats_search(inp: PolicyInput) -> bool:
    """Whether the latest message asks for the conversation's search again, changed, without
    a search word of its own ("same but for the banks", "same thing for JPM and BAC"): it says
    "same", reads as no other strong ask, and the ask it follows (past the follow-ups between)
    is a search."""
    latest = intent_of(inp)
    if latest.intent not in ("market_overview", "unclear") or not _SAME.search(latest.text.lower()):
        return False
    followed = next(_asks_before(inp), None)
    return followed is not None and followed[0].intent == SEARCH


def revises_search(inp: PolicyInput) -> bool:
    """Whether the latest message changes the conversation's search without a word of a search
    of its own ("use 2015 as the start", "from 2015 instead", "what about since 2015?", "add
    JNJ"): it reads as no other ask (`unclear`) and states a change
    (`intent.changes.read_change`), or only adds stocks, and
    the ask it follows (past the follow-ups between) is a search."""
    latest = intent_of(inp)
    adds = latest.adds and latest.intent == "market_overview"  # "add JNJ": to the search's
    if not adds and (latest.intent != "unclear" or read_change(latest) is None):
        return False
    followed = next(_asks_before(inp), None)
    return followed is not None and followed[0].intent == SEARCH


def draft_search(inp: PolicyInput) -> AIMessage:
    """The `RequestDraft` of the latest message's search (see the module docstring)."""
    latest = intent_of(inp)
    if (waiting := _waiting_search(inp, latest)) is not None:  # its change: from it
        base = draft_of_request(waiting["request"], waiting.get("focus") or ())
        changed = _change_fields(latest, tuple(base.get("universe") or ()))
        draft = _merged(base, changed, bool(_RESTRICTS.search(latest.text.lower())))
        _refill_from_profile(draft, base, waiting.get("from_profile") or ())
    else:
        asks = _search_asks(inp) or [latest]
        draft = _search_fields(asks[0], thread_subject(inp))
        for revision in asks[1:]:  # each states only what it changes, of the universe so far
            changed = _search_fields(revision, tuple(draft.get("universe") or ()))
            draft = _merged(draft, changed, bool(_RESTRICTS.search(revision.text.lower())))
    stressed = [n for n, w in (draft.get("scenario_weights") or {}).items() if w > 1.0]
    focus = f", weighting the {' and '.join(stressed)} scenario(s) double" if stressed else ""
    hedged = " with option protection" if "protection" in draft else ""
    draft["summary"] = (
        f"A volatility-targeting strategy search{hedged} across market scenarios{focus}."
    )
    return forced_call(inp, draft)


_CONTINUES = patterns.compile(r"^\s*(?:and|now|also|plus|then|same)\b")
"""Opening words that continue an earlier message ("now with 2x leverage", "and since 2015?")."""

_ASKS = patterns.compile(rf"\b(?:{_ASK_VERBS}|search)\b")
"""A verb of a fresh ask ("now find strategies rebalanced monthly")."""


def nothing_to_revise(inp: PolicyInput) -> bool:
    """Whether the latest message changes an earlier request ("rebalance quarterly instead",
    "now with 2x leverage") in a conversation that has none, naming nothing to work on (no
    stocks, sector or portfolio)."""
    intent = intent_of(inp)
    named = intent.tickers or intent.all_tickers or intent.sectors or intent.portfolio_ids
    if named or len(user_texts(inp)) != 1:
        return False
    low = intent.text.lower()
    continues = bool(_CONTINUES.search(low)) and not _ASKS.search(low)
    return intent.revision or (continues and read_change(intent) is not None)


def nothing_to_revise_reply(inp: PolicyInput) -> str:
    """The question that answers a revision with nothing to revise."""
    said = user_texts(inp)[0].strip().rstrip(".!?")
    return (
        f'There is no earlier request in this conversation for "{said}" to change, so '
        "nothing was computed. Say what it is for, with the stocks: for example 'search "
        "strategies for AAPL, MSFT and KO, rebalanced quarterly' or 'an HRP portfolio of "
        "AAPL, MSFT and JNJ since 2018'."
    )
