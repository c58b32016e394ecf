"""The ask accounting applied to a chat turn, whatever the model: beside the citation check
(`graphs.assistant.ground_citations`), every answer the assistant gives is checked against
the message it answers and the tool calls it made (`checked_answer`); a drafted strategy search
or a proposed deployment is checked against the request it would run (`proposal_notes`).

The answer gets, after its own words: what the turn used when it computed something
(`graphs.ask_statements.used_sentence`: universe, window, weights, method, limits, frequency),
the limits kept, each checked against the weights it returned, and those not kept
(`graphs.limit_claims`, replacing the answer's own "Limits kept: ..." claim), and the items of
the message no tool took, each named with why (`graphs.ask_accounting`).

A follow-up that leans on the thread ("now cap it at 25%", "what's its drawdown?") carries the
earlier request's items (tickers, weights, groups, window, limits, method, frequency) that the
message does not replace (`thread_items`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from graphs.ask_accounting import Turn, Unaccounted, unaccounted
from graphs.ask_inputs import ToolUse, inputs_of, portfolio_book, tool_uses
from graphs.ask_items import AskItem, ask_items
from graphs.ask_notes import not_used_sentence
from graphs.ask_statements import used_sentence
from graphs.ask_vocabulary import Vocabulary
from graphs.limit_claims import LIMITS_CLAIM, limit_sentences
from services.portfolio_targets import TARGET_ARGUMENTS
from services.shorthand import restated
from settings import patterns

ALSO_TOO = r"too(?=\s*(?:[?.!,;:)]|$)|\s+(?:and|please|then|as well|with)\b)"
""""Too" meaning also ("KO too?", "add PG too, please"), not an excess ("is KO too risky?")."""
FOLLOW_UP = patterns.compile(
    r"\b(?:it|its|it's|that|this|those|these|them|they|their|same|instead|again|rerun|re-run"
    r"|rebuild|redo|also|swap|replace|drop|add|remove|exchange|throw|put in|take out|the portfolio"
    r"|" + ALSO_TOO + r")\b|^\s*(?:and|what about|how about|then)\b|(?:^|[,;:.!?]|\band)\s*now\b",
    re.IGNORECASE,
)
"""A message that leans on the thread's earlier request ("now" opening a clause, as in "now drop
KO", not "is the market risky now?")."""
_INDEX_BEFORE = patterns.compile(
    r"\b(?:s\s*&\s*p(?:\s*500)?|spx|spy|the (?:stock |overall |broad |whole )?market|the index)\b",
    re.IGNORECASE,
)
"""The index named, which an "it" after it in the same message refers to ("what was the S&P's
max drawdown in 2020 and when did it recover?"), not the thread's request."""


def _leans_back(message: str, said: re.Match[str]) -> bool:
    """Whether a `FOLLOW_UP` word of `message` leans on the thread's earlier request: any but an
    "it" after the index is named."""
    its = said.group(0).lower() in ("it", "its", "it's")
    return not (its and _INDEX_BEFORE.search(message, 0, said.start()))


ADDING = patterns.compile(
    r"\b(?:add|adding|plus|throw|include|put in|into the mix|as well|also|" + ALSO_TOO + r")\b",
    re.IGNORECASE,
)
MEANING = patterns.compile(
    r"^\W*(?:(?:so|ok|okay|hey|hi|and|quick question)\W+)?(?:(?:can|could|would) you "
    r"(?:please )?)?(?:what|whats|explain|define|describe|tell me about|meaning|(?:the )?"
    r"(?:definition|meaning|difference)|how (?:is|are|does|do)|why (?:does|do|is|are))\b"
    r"|\b(?:mean|means|meaning|stand for|stands for)\s*\??\s*$|\b(?:vs\.?|versus)\s"
    r"|^\s*i (?:don'?t|do not) (?:understand|get it|follow)|\bin (?:plain english|simple terms)\b",
    re.IGNORECASE,
)
"""A question about what words are ("what is risk parity?", "explain HRP", "how is the Sortino
ratio calculated?", "what does that mean?"): when the turn only read the documentation, the
methods it names are what it asks about, not methods asked for, and it carries nothing of the
thread's earlier request."""
ACTS = patterns.compile(
    r"\b(?:build|make|create|construct|use|using|rebuild|run|backtest|optimi[sz]e|switch|apply"
    r"|deploy)\b|\bdifferences? in (?:the |their )?(?:vol\w*|returns?|sharpe|sortino|risk"
    r"|draw[\s-]?downs?|performance)\b",
    re.IGNORECASE,
)
"""A message that also asks for something done ("what is risk parity? then build one")."""
DOCUMENTATION_TOOLS = frozenset({"search_guide"})
"""Tools that read Stratigos's documentation and compute nothing."""
NAME_KINDS = frozenset({"ticker", "group", "universe_all"})
"""Items naming what a request holds (stocks, a group, every stock)."""
CARRIED_KINDS = frozenset(
    {
        "asset_cap", "asset_floor", "cap", "cvar_limit", "drawdown_limit", "end", "floor",
        "frequency", "group", "group_cap", "group_floor", "method", "recent", "start", "ticker",
        "universe_all", "var_limit", "vol_limit", "vol_target", "weight"
    }
)  # fmt: skip
"""What a follow-up inherits from the earlier request."""
_SAME_SLOT = {"start": "window", "end": "window", "recent": "window"}


def _slot(item: AskItem) -> tuple[str, str | None]:
    """What an item fills: a later item of the same slot replaces it."""
    if item.kind in ("asset_cap", "asset_floor", "group_cap", "group_floor"):
        return item.kind, item.subject
    return _SAME_SLOT.get(item.kind, item.kind), None


def carry(
    earlier: Sequence[AskItem], message: str, items: Sequence[AskItem], vocab: Vocabulary
) -> list[AskItem]:
    """The items of the `earlier` request a follow-up `message` (with `items`) keeps."""
    if not earlier or not any(_leans_back(message, said) for said in FOLLOW_UP.finditer(message)):
        return []
    names = [i for i in items if i.kind in NAME_KINDS and not i.excluded]
    dropped = {str(i.value) for i in items if i.excluded}
    dropped |= {t for i in items if i.kind == "group" and i.excluded for t in vocab.members(str(i.value))}  # fmt: skip
    keep_names = not names or ADDING.search(message) is not None
    slots = {_slot(i) for i in items}
    kept = []
    for item in earlier:
        if item.kind not in CARRIED_KINDS or item.subject in dropped:
            continue
        if item.kind in NAME_KINDS:
            if item.value in dropped:
                continue
            if keep_names and not (item.excluded and item.value in {i.value for i in names}):
                kept.append(item)
        elif item.kind == "weight":
            if not names and not any(i.kind == "weight" for i in items):
                kept.append(item)
        elif _slot(item) not in slots:
            kept.append(item)
    return kept


def thread_items(
    messages: Sequence[BaseMessage], vocab: Vocabulary
) -> tuple[list[AskItem], list[AskItem]]:
    """The items of the latest user message of `messages`, and those it carries from the
    thread's earlier requests (see `carry`)."""
    requests: list[list[AskItem]] = []  # each message's items with those it carried
    items: list[AskItem] = []
    carried: list[AskItem] = []
    replies: list[str] = []
    earlier = ""
    for message in messages:
        if isinstance(message, AIMessage) and message.text:
            replies.append(message.text)
        elif isinstance(message, HumanMessage):
            text = earlier = restated(message.text, earlier)  # "make that 30"
            items = ask_items(text, vocab, cited=" ".join(replies[-3:]))
            carried = carry(_changed(requests, text, items), text, items, vocab)
            requests.append([i for i in [*items, *carried] if not _set_beside(i, text)])
    return items, carried


def _changed(
    requests: list[list[AskItem]], message: str, items: Sequence[AskItem]
) -> list[AskItem]:
    """The earlier request a message with `items` leans on: the latest, but for a change of
    names ("drop KO", "add PG") the newest that holds names, as the chat changes it (a
    strategy's estimate or a scenario holds none: "drop KO" after one changes the build
    before it)."""
    latest = requests[-1] if requests else []
    names = [i for i in items if i.kind in NAME_KINDS]
    changes_names = any(i.excluded for i in names) or bool(names and ADDING.search(message))
    if not changes_names or any(i.kind in NAME_KINDS for i in latest):
        return latest
    holding = (r for r in reversed(requests) if any(i.kind in NAME_KINDS for i in r))
    return next(holding, latest)


_BESIDE = patterns.compile(
    r"\b(?:riskier|safer|risky|volatile|better|worse|higher|lower|bigger|smaller)\s+"
    r"(?:\w+\s+){0,3}?than\b[^.?!;]*",
    re.IGNORECASE,
)
"""The stocks a comparison sets the subject beside ("is it riskier than KO and PG?")."""


_BENCHMARK_BEFORE = patterns.compile(
    r"\b(?:compar\w*(?:\s+\w+){0,2}?\s+(?:to|with|against)|vs\.?|versus|against|than|beside"
    r"|relative\s+to)\s+(?:an?\s+|the\s+|plain\s+)*$",
    re.IGNORECASE,
)
"""Words before equal weight that make it the benchmark a portfolio is set beside ("how does it
compare to equal weight?"), not the portfolio asked about."""


def _set_beside(item: AskItem, text: str) -> bool:
    """Whether `item` is a stock, or equal weight, the message only sets its subject beside: a
    later follow-up ("what's its volatility?", "backtest it") does not carry it as the
    conversation's."""
    if item.kind == "method" and item.value == "equal_weight":
        at = text.lower().find(item.text.lower())
        return at >= 0 and _BENCHMARK_BEFORE.search(text[:at]) is not None
    if item.kind != "ticker":
        return False
    said = re.escape(item.text)
    return any(re.search(rf"\b{said}\b", m.group(0), re.I) for m in _BESIDE.finditer(text))


def _retargeted(items: Sequence[AskItem], uses: Sequence[ToolUse]) -> bool:
    """Whether a build of the turn targets a percentage the message states: the build's method
    and target replace the method or target the thread asked before."""
    stated = [float(i.value) for i in items if i.kind in ("percentage", "vol_target")]
    for use in uses:
        key = (
            TARGET_ARGUMENTS.get(str(use.args.get("method")))
            if use.name == "optimize_portfolio"
            else None
        )
        target = use.args.get(key) if key else None
        if isinstance(target, int | float) and any(abs(v - target) < 1e-9 for v in stated):
            return True
    return False


@dataclass(frozen=True)
class Accounting:
    """The accounting of one turn: what was not used, and the sentences to add."""

    missing: list[Unaccounted]
    sentences: list[str]


def account(
    history: Sequence[BaseMessage],
    uses: Sequence[ToolUse],
    reply: str,
    vocab: Vocabulary,
    earlier: Sequence[ToolUse] = (),
) -> Accounting:
    """The accounting of a turn: `history` ends with the user's message, `uses` are the turn's
    tool calls (and drafts), `reply` its answer, `earlier` the thread's tool calls before it
    (for the portfolios it refers to by id)."""
    items, carried = thread_items(history, vocab)
    if uses and all(use.name in DOCUMENTATION_TOOLS for use in uses):
        asked = next((m.text for m in reversed(history) if isinstance(m, HumanMessage)), "")
        if MEANING.search(asked) and not ACTS.search(asked):  # the words asked about
            items, carried = [item for item in items if item.kind != "method"], []
    book = portfolio_book([*earlier, *uses])
    universe = sorted(vocab.tickers)
    inputs = [inputs_of(use, book, universe) for use in uses]
    turn = Turn(uses, inputs, reply, vocab)
    if _retargeted(items, uses):  # "what about a 20% return?" after an HRP or a 15% vol build
        carried = [item for item in carried if item.kind not in ("method", "vol_target")]
    missing = unaccounted(items, turn, carried=carried)
    limits = limit_sentences(uses, [*items, *carried])
    used = used_sentence(uses, inputs, with_limits=not limits)
    note = not_used_sentence(missing)
    return Accounting(missing, [s for s in (used, *limits, note) if s])


def checked_answer(
    history: Sequence[BaseMessage], new: list[BaseMessage], vocab: Vocabulary
) -> list[BaseMessage]:
    """`new` (the turn's tool calls, results and final answer) with the answer's own "Limits
    kept" claim replaced by the checked one and the accounting's sentences added (`account`)."""
    final = new[-1] if new else None
    if not isinstance(final, AIMessage) or final.tool_calls:
        return new
    earlier = tool_uses(history)
    result = account(history, tool_uses(new), final.text, vocab, earlier)
    claimed = LIMITS_CLAIM.search(final.text) is not None
    if not result.sentences and not claimed:
        return new
    text = LIMITS_CLAIM.sub("", final.text).rstrip()
    text = "\n\n".join(part for part in (text, " ".join(result.sentences)) if part)
    return [*new[:-1], AIMessage(text, id=final.id)]


def proposal_notes(
    history: Sequence[BaseMessage], name: str, request: dict[str, Any], vocab: Vocabulary
) -> list[str]:
    """What the approval of a drafted search (`name` `graphs.ask_inputs.SEARCH`) or deployment
    (`DEPLOYMENT`) adds to its summary: the message's items the request does not carry."""
    earlier = tool_uses(history)
    use = ToolUse(name, request)
    result = account(history, [use], "", vocab, earlier)
    note = not_used_sentence(result.missing)
    return [note.removesuffix(".")] if note else []


__all__ = [
    "Accounting", "account", "carry", "checked_answer", "proposal_notes",
    "thread_items",
]  # fmt: skip
