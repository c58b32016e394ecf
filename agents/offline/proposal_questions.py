"""The offline supervisor's answers to questions about a proposal that waits for approval.

While a drafted search or deployment waits, a message that is not a decision is answered and the
proposal is put to the user again (`graphs.assistant.ASKED`); the chat hands the supervisor the
proposal in a `WAITING_PROPOSAL:` system message. A question about the proposal itself ("how
long will that take?", "how many trials?", "what will it cost?", "which scenarios?", "which
stocks?", "over which years?", "what's the expected return?"; of a deployment: "how much
capital?", "when will it trade?") is answered from it: what the request says, and for time and
cost the limits it runs under (nothing estimates them before it runs). Stocks named alone while
a search of others waits ("what about JNJ?", "and JNJ?") are asked about: added to it, searched
instead, or read (`names_beside_search`)."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, SystemMessage

from agents.conversation_texts import PROPOSAL_MARKER
from agents.offline.chat_intent import written_by_user
from agents.offline.policies import PolicyInput
from services.formatting import count, listed, metric_label, scenario, space_words
from settings import patterns

ASPECTS = {
    "time": patterns.compile(
        r"\bhow long\b|\bhow (?:fast|quick(?:ly)?)\b|\bhow much time\b|\brun ?time\b"
        r"|\b(?:minutes?|seconds?|hours?)\b.*\b(?:take|finish|run|limit)|\bhow many (?:minutes|hours"
        r"|seconds)\b|\bwithin an? (?:hour|minute)\b|\btakes? (?:\w+ ){0,3}(?:minutes?|seconds?"
        r"|hours?)\b|\b(?:minutes?|seconds?) or hours?\b"
        r"|\btakes? (?:long|a while|ages)\b|\bwhen will (?:it|that|this|the \w+) (?:be )?"
        r"(?:done|ready|finish|end)"
    ),
    "cost": patterns.compile(
        r"\bcosts?\b|\bprice\b|\bexpensive\b|\bcharged?\b|\bbill(?:ed)?\b"
        r"|\bhow much (?:will|would|does|is) (?:it|that|this)(?: \w+)? (?:be|run me|cost)\b"
    ),
    "size": patterns.compile(
        r"\bhow many (?:trials|paths|scenarios|simulations|runs|configurations)\b"
        r"|\b(?:trials|paths|simulations)\b|\bhow big\b|\bsize\b"
    ),
    "scenarios": patterns.compile(
        r"\b(?:which|what|why|these|those|the|its) (?:market |five )?scenarios\b"
    ),
    "space": patterns.compile(
        r"\bweight(?:ing)? (?:functions?|rules?)\b|\b(?:target[\s-]?vol\w*|vol(?:atility)? targets?"
        r"|lookbacks?|leverage|rebalanc\w*|search space|parameters|settings|ranges?)\b"
    ),
    "schedule": patterns.compile(
        r"\bhow often\b|\bschedule\b|\bwhen (?:will|does|would) (?:it|that|this) "
        r"(?:trade|rebalance|start|run)\b|\bhow much (?:capital|money|cash)\b|\bcapital\b"
    ),
    "window": patterns.compile(
        r"\b(?:which|what)(?:'s| is)? (?:the )?(?:years|dates|date range|period|window|history"
        r"|data)\b|\bover which\b"
        r"|\bhow far back\b"
    ),
    "universe": patterns.compile(
        r"\b(?:which|what) (?:stocks|assets|names|tickers|holdings|universe)\b"
    ),
    "result": patterns.compile(
        r"\b(?:expected|likely|estimated|projected)\s+(?:returns?|sharpe|volatility|drawdown"
        r"|performance|results?)\b|\bwhat (?:will|would|might) (?:it|that|this|the (?:search|winner"
        r"|strategy)) (?:return|make|earn|yield|find|give)\b|\bhow (?:well|good) (?:will|would"
        r"|might) (?:it|that|this|the \w+) (?:do|be|perform)\b|\bwhat(?:'s| is| will be) the "
        r"(?:result|outcome)\b(?!')"
    ),
    "what": patterns.compile(
        r"\bwhat (?:will|would|does|is) (?:it|that|this)(?: search| run| deployment)? "
        r"(?:do|doing|search(?:ing)?|run|test|look for)\b"
        r"|\bwhat (?:is|was|'s) (?:being )?proposed\b|\bwhat exactly\b"
    ),
}
"""What a question about the waiting proposal asks, by the words that say it."""

_WHY = patterns.compile(r"^\W*(?:but |and |so )?(?:why(?! not\b)|how come)\b")
"""A reason asked ("why 6 trials?"): a number it names is the one asked about, not a change
("why not 100 trials?" suggests one)."""

_QUESTION = patterns.compile(
    r"\?\s*$|^\s*(?:how|what|whats|which|when|will|would|does|do|is|are|can|could)\b"
)
"""A question (a change such as "make it 100 trials" is not one: it drafts the search again)."""

_CHANGE_WORDS = (
    r"^\s*(?:and |so )?(?:how|what) (?:about|if)\b|\b(?:make|change|cap|set|increase"
    r"|decrease|reduce|lower|raise|add|drop|remove|switch|instead|exclude|without)\b"
)
_CHANGE = patterns.compile(rf"[\d$%]|{_CHANGE_WORDS}")
"""A change asked as a question ("how about 100 trials?", "can you drop XOM?"): it drafts the
search again, like any change."""
_CHANGE_SAID = patterns.compile(_CHANGE_WORDS)
"""A change asked in words, not only a number said ("what was the drawdown since 2008?")."""

_OTHER_COSTS = patterns.compile(r"\b(?:transaction|trading|hedg\w*|premium|options?|commission)")
"""Costs the search simulates (trading, a hedge's premium), not what running it costs."""

_MEANING = patterns.compile(r"\bmeans?\b|\bdefin|\bwhat is an?\b")
"""A question about what a word means (the glossary's), not about the proposal."""


def waiting_proposal(inp: PolicyInput) -> dict[str, Any] | None:
    """The proposal the chat handed over in a `WAITING_PROPOSAL:` system message, or None."""
    for message in inp.messages:
        if isinstance(message, SystemMessage) and message.text.startswith(PROPOSAL_MARKER):
            held = json.loads(message.text[len(PROPOSAL_MARKER) :])
            return held if isinstance(held, dict) else None
    return None


_WHAT_IT_MEANS = patterns.compile(
    r"^\W*(?:(?:thanks|thank\s+you|thx|ok(?:ay)?|great|got\s+it|cool|sure|hmm+|so|and|but|sorry)"
    r"\W+)*(?:what\s+does\s+(?:that|this|it|all\s+that)\s+mean|what\s+do\s+you\s+mean"
    r"|meaning|what(?:'s|\s+is)\s+(?:that|this)|(?:can|could)\s+you\s+explain\s+(?:that|this|it)"
    r"|explain\s+(?:that|this|it)|in\s+plain\s+(?:english|words))(?:\s+(?:to\s+me|please|exactly))*"
    r"\W*$"
)
"""What the proposal just shown means, asked of it alone ("thanks, what does that mean?", "can
you explain that?"): what it would do."""


def aspects_asked(text: str, card_shown: bool = True) -> list[str]:
    """The aspects of the waiting proposal question `text` asks about (`ASPECTS`, in their
    order; "what does that mean?" asks what it would do when the proposal was the last thing
    shown, `card_shown`); none for a message that is not a question, asks for a change or what
    a word means."""
    low = text.lower()
    if card_shown and _WHAT_IT_MEANS.search(low):
        return ["what"]
    if not _QUESTION.search(low) or _MEANING.search(low):
        return []
    asked = [aspect for aspect, pattern in ASPECTS.items() if pattern.search(low)]
    asked = [a for a in asked if not (a == "cost" and _OTHER_COSTS.search(low))]
    if {"time", "cost"} & set(asked) or (asked and _WHY.search(low)):
        return asked  # "how long would 100 trials take?", "why 6 trials?": asked
    return [] if _CHANGE.search(low) else asked


def card_last_shown(inp: PolicyInput) -> bool:
    """Whether the turn before the user's latest message ended on the proposal (no answer in
    words since the message before it: the approval was asked), not on an answer given while
    it waits."""
    seen_user = False
    for message in reversed(inp.messages):
        if written_by_user(message):
            if seen_user:
                return True
            seen_user = True
        elif seen_user and isinstance(message, AIMessage) and message.text:
            return False
    return False


_NAMES_ALONE = patterns.compile(r"^\W*(?:(?:ok(?:ay)?|so)\W+)?(?:(?:what|how)\s+about|and)\b")
"""The opening of a message naming stocks alone ("what about JNJ?", "and JNJ?", "how about
JNJ and PG")."""
_ALONE_WORDS = frozenset({"what", "about", "how", "and", "or", "the", "please", "ok", "okay", "so"})
_WORDS = patterns.compile(r"[a-z]+")


def names_beside_search(held: dict[str, Any], text: str, tickers: tuple[str, ...]) -> str | None:
    """While a search waits (`held`), a message naming stocks none of it holds and nothing else
    (`text`, its `tickers`: "what about JNJ?", "and JNJ and PG?"): the question whether to add
    them, search them instead or read them, the search kept waiting; None otherwise ("what about
    just JNJ?", "add JNJ", a deployment waiting)."""
    request = held.get("request") or {}
    universe = [str(name) for name in request.get("universe") or []]
    low = text.lower()
    if held.get("kind") == "deployment" or not universe or not tickers:
        return None
    lowered = {ticker.lower() for ticker in tickers}
    alone = all(word in _ALONE_WORDS or word in lowered for word in _WORDS.findall(low))
    if not (_NAMES_ALONE.search(low) and alone) or set(tickers) & set(universe):
        return None
    new, first, named = listed(list(tickers)), tickers[0], " and ".join(tickers)
    window = f" ({request['start']} to {request['end']})" if request.get("start") else ""
    since = f" since {str(request['start'])[:4]}" if request.get("start") else ""
    them, their = ("it", "its") if len(tickers) == 1 else ("them", "their")
    return (
        f"The search on {listed(universe)}{window} is still waiting for your approval, unchanged. "
        f"What would you like for {new}: {them} added to the search ('add {named}'), a search "
        f"on {them} instead ('{named} only'), or {their} own numbers ('how has "
        f"{first} done{since}?')?"
    )


def is_question(text: str) -> bool:
    """Whether `text` is put as a question (a question mark at its end, or a question word
    first)."""
    return bool(_QUESTION.search(text.lower()))


def asks_change(text: str, in_words: bool = False) -> bool:
    """Whether `text` states a change ("how about 100 trials?", "can you drop XOM?"), not what a
    word means; `in_words`: asked in words ("can you start it in 2016?"), a number alone not
    being one ("what happened to the market in 2020?")."""
    low = text.lower()
    changes = (_CHANGE_SAID if in_words else _CHANGE).search(low)
    return bool(changes) and not _MEANING.search(low)


def proposal_answer(
    held: dict[str, Any], aspects: list[str], trials_said: int | None = None, why: bool = False
) -> str:
    """The answer to a question about the waiting proposal `held` asking `aspects`
    (`trials_said`: a number of trials the question names, "how long would 100 trials take?";
    `why`: the question asks the reason for them, `asks_why`)."""
    summary = str(held.get("summary") or "").rstrip(".")
    request = held.get("request") or {}
    if held.get("kind") == "deployment":
        if aspects != ["decision"] and (start := summary.find("Deploy ")) > 0:
            summary = summary[start:]  # what it deploys, with what and when: the facts asked
        return (
            f"The deployment waiting for your approval has not been created: {summary}. "
            "Nothing is deployed or traded until you approve it; approve it, edit it (its "
            "capital and schedule) or reject it."
        )
    facts = [text for aspect in aspects if (text := _search_fact(request, aspect))]
    facts += [_REASONS[aspect] for aspect in aspects if why and aspect in _REASONS]
    # the approval shown with the answer gives the whole search: the facts asked suffice
    said = [
        "The search waiting for your approval has not run" + ("." if facts else f": {summary}.")
    ]
    said += facts
    drafted = int((request.get("budget") or {}).get("max_trials", 0))
    if trials_said is not None and trials_said != drafted and not why:
        said.append(
            f"It is drafted with {count(drafted)} trials, not {count(trials_said)}: say 'use "
            f"{trials_said} trials' to change it."
        )
    said.append("Approve it, change it (e.g. 'use 100 trials', 'since 2015') or reject it.")
    return " ".join(said)


def asks_why(text: str) -> bool:
    """Whether `text` asks the reason for something ("why 6 trials?", "how come these
    scenarios?")."""
    return bool(_WHY.search(text.lower()))


_REASONS = {
    "size": (
        "Each trial evaluates one strategy configuration on every path: more trials search the "
        "space more thoroughly and take longer, and the search stops before its budget when its "
        "stopping rule finds nothing better."
    ),
    "scenarios": (
        "A strategy is judged across market regimes so that the winner is not tuned to one "
        "market: its score is the weighted mean over the scenarios. Name the ones you want "
        "('only bull and bear') or weight one ('weight the bear scenario 2x') to change them."
    ),
    "space": (
        "These are the settings a volatility-targeting strategy has; the search tries "
        "configurations inside these ranges and keeps the best. Narrow or fix one ('target vol "
        "between 8% and 12%', 'use inverse vol') to change them."
    ),
}
"""Why a waiting search has the aspect asked, for a question that asks the reason."""


def _search_fact(request: dict[str, Any], aspect: str) -> str:
    """What drafted search request `request` says about `aspect` ("" when the summary is all)."""
    budget = request.get("budget") or {}
    trials = int(budget.get("max_trials", 0))
    scenarios = list(request.get("scenarios") or [])
    if aspect == "time":
        minutes = float(budget.get("max_wall_seconds", 0)) / 60
        return (
            f"How long it takes is known only once it runs: at most {count(trials)} trials and "
            f"{minutes:g} minutes of wall time; it stops sooner when it has spent its "
            f"{count(int(budget.get('max_llm_tokens', 0)))} model tokens or its stopping rule "
            "ends it (the result says why it stopped)."
        )
    if aspect == "cost":
        return (
            "No price is computed before it runs; it is bounded by its "
            f"{count(trials)} trials, {float(budget.get('max_wall_seconds', 0)) / 60:g} "
            f"minutes of wall time and {count(int(budget.get('max_llm_tokens', 0)))} model "
            "tokens."
        )
    if aspect == "size":
        paths = int(request.get("n_paths", 0))
        return (
            f"Each of its {count(trials)} trials simulates {count(paths)} paths of "
            f"{count(int(request.get('horizon', 0)))} trading days in each of its "
            f"{len(scenarios)} scenarios ({listed([scenario(s) for s in scenarios])}): "
            f"{count(paths * len(scenarios))} paths a trial."
        )
    if aspect == "scenarios":
        weights = request.get("scenario_weights") or {}
        weighted = f", weighted {', '.join(f'{scenario(k)} {v:g}' for k, v in weights.items())}"
        return (
            f"It simulates the {listed([scenario(s) for s in scenarios])} scenarios"
            + (weighted if weights else "")
            + f", each drawn from the daily returns of {request.get('start')} to "
            f"{request.get('end')}."
        )
    if aspect == "window":
        return (
            f"Its scenarios are drawn from the daily returns of {request.get('start')} to "
            f"{request.get('end')}."
        )
    if aspect == "space":
        return f"It {space_words(request.get('search_space') or {})}."
    if aspect == "what":
        return _what_it_does(request, trials, scenarios)
    if aspect == "result":
        return (
            "It has no result yet: the winner's return, volatility, Sharpe ratio and drawdown in "
            "each scenario are known only once it runs."
        )
    if aspect == "universe":
        universe = request.get("universe")
        held = ", ".join(universe) if universe else "the data's default universe"
        return f"Its risky sleeve is the equal-weight portfolio of {held}."
    return ""


def _what_it_does(request: dict[str, Any], trials: int, scenarios: list[str]) -> str:
    """What the drafted search would do, in plain words: the strategy and stocks it tunes, the
    settings it tries, the paths it simulates, how it scores and what follows."""
    universe = listed(list(request.get("universe") or [])) or "the data's default universe"
    goal = " and ".join(
        f"{metric_label(name)}" + ("" if weight == 1 else f" (weight {weight:g})")
        for name, weight in (request.get("objective") or {"sharpe": 1.0}).items()
    )
    limits = [k for k, v in (request.get("risk_limits") or {}).items() if v and k != "scenarios"]
    return (
        f"It would try up to {count(trials)} settings of a volatility-targeting strategy that "
        f"holds {universe} (it {space_words(request.get('search_space') or {})}). Each setting "
        f"is simulated on {count(int(request.get('n_paths', 0)))} paths of "
        f"{count(int(request.get('horizon', 0)))} trading days in each of "
        f"{listed([scenario(s) for s in scenarios])} market scenarios, drawn from the daily "
        f"returns of {request.get('start')} to {request.get('end')}, and scored by its "
        f"{goal} across them; the best is "
        + ("checked against your risk limits, " if limits else "")
        + "explained, and can then be deployed to a paper account."
    )
