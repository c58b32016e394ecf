"""Stocks a ranking picks, acted on in the same message ("build a portfolio of the top 5 stocks
by Sharpe in 2021", "backtest the 5 best performers of 2021 equally weighted since 2022",
"invest in the 3 biggest winners of 2020"): the ranking is computed first (`asset_statistics`
of every stock of the data over the ranking's own window: the year said beside the ranking,
else the default), then the message is read with the names it picked in place of the ranking's
words, so the build or backtest is of those names over the window said for it (none said: the
ranking's, the one window the message names), and the reply says which names were picked, by what, and, when the ranking's
window overlaps the one acted on, that the picks are seen with hindsight. A ranking acted on
with no count ("build a portfolio of the best stocks") is asked about: how many, by what."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.intent import parse_intent
from agents.offline.intent.measures import VOLATILE_SAID, measures_named
from agents.offline.intent.rankings import COUNT, ENDS_NAMED, RISKIER_SAID, Ends, ranked_ends
from agents.offline.policies import PolicyInput, ToolResult, reply, tool_call
from agents.offline.statistic_words import LOWER_IS_BETTER, RANKED_BY, told_apart
from services.formatting import listed
from settings import patterns

__all__ = ["NO_COUNT", "picked_in_place", "ranked_chat"]

_ACTED_ON = patterns.compile(
    r"\b(?:build|make|create|construct|invest(?:ing)?|back[\s-]?test|optimi[sz]e|buy|allocate"
    r"|put\s+(?:money|\$?[\d,.]+k?)\s+in(?:to)?)\b"
)
"""Verbs that act on the names a ranking picks ("build a portfolio of ...", "invest in ...")."""
_CLAUSE_ENDS = patterns.compile(
    r"\b(?:equally|equal|weighted|since|from|starting|rebalanc\w*|with|using|then|and|monthly"
    r"|quarterly|yearly|annually|weekly|daily)\b|[,;.?!]"
)
"""Where the ranking's words end and the action's go on ("the 5 best performers of 2021 |
equally weighted since 2022")."""
_THE_BEFORE = patterns.compile(rf"\b(?:the\s+)?(?:{COUNT}\s+)?$")
"""The words before a ranking's ends that are still its own ("the 3 | biggest winners")."""
NO_COUNT = (
    "Which stocks count as the best, and how many? Say how many and by what, for example "
    "'build a portfolio of the 5 stocks with the highest Sharpe ratio in 2021' or 'backtest the "
    "3 best performers of 2020 since 2021'. Nothing was computed."
)


@dataclass(frozen=True)
class Ranking:
    """The ranking a message acts on: its words (`span` of the message), the measure it ranks
    by (a key of `RANKED_BY`), the ends it keeps, and the window arguments it is over."""

    span: tuple[int, int]
    measure: str
    ends: Ends
    window: dict[str, Any]


def _ranking_acted_on(text: str, known: Sequence[str]) -> Ranking | None:
    """The ranking whose picks `text` acts on, or None (no action, or no ranking)."""
    low = text.lower()
    said = ENDS_NAMED.search(low)
    if said is None or not _ACTED_ON.search(low[: said.start()]):
        return None
    after = low[said.end() :]
    stop = _CLAUSE_ENDS.search(after)
    end = said.end() + (stop.start() if stop else len(after))
    the = _THE_BEFORE.search(low[: said.start()])
    begin = said.start() - (len(the.group(0)) if the else 0)
    end = begin + len(text[begin:end].rstrip())  # "... of 2021 | equally": the space is kept
    clause = text[begin:end]
    risky = VOLATILE_SAID.search(clause.lower()) or RISKIER_SAID.search(clause.lower())
    default = "volatility" if risky else "return"  # "the 4 least volatile", "the 3 calmest"
    measure = next((m for m in measures_named(clause.lower()) if m in RANKED_BY), default)
    parsed = parse_intent(clause, known)
    window: dict[str, Any] = {k: v for k, v in (("start", parsed.start), ("end", parsed.end)) if v}
    if parsed.last_sessions:
        window["last_sessions"] = parsed.last_sessions
    return Ranking((begin, end), measure, ranked_ends(clause.lower()), window)


def _counted(ends: Ends) -> bool:
    return any((ends.highest, ends.lowest, ends.best, ends.worst))


def _ranking_result(inp: PolicyInput) -> ToolResult | None:
    """This turn's `asset_statistics` result, the ranking's."""
    done = [r for r in inp.results_this_turn() if r.name == "asset_statistics"]
    return done[0] if done else None


def ranking_first(inp: PolicyInput, text: str, known: Sequence[str]) -> AIMessage | None:
    """The ranking's `asset_statistics` call when `text` acts on a ranking's picks and this
    turn has not ranked yet; `NO_COUNT` asked when it says no count; None otherwise."""
    ranking = _ranking_acted_on(text, known)
    if ranking is None or _ranking_result(inp) is not None:
        return None
    if not _counted(ranking.ends):
        return reply(NO_COUNT)
    args = {"universe": list(known), **ranking.window}
    return reply("Ranking the stocks first.", tool_call("asset_statistics", args))


def _picks(ranking: Ranking, data: dict[str, Any]) -> list[str]:
    """The names at the ends the ranking keeps, highest first then lowest first."""
    _, value, _ = RANKED_BY[ranking.measure]
    known = {n: v for n, s in (data.get("assets") or {}).items() if (v := value(s)) is not None}
    order = sorted(known, key=lambda n: -known[n])
    lower_better = ranking.measure in LOWER_IS_BETTER
    ends = ranking.ends
    highest = ends.highest or (ends.worst if lower_better else ends.best) or 0
    lowest = ends.lowest or (ends.best if lower_better else ends.worst) or 0
    return list(dict.fromkeys([*order[:highest], *order[::-1][:lowest]]))


def picked_in_place(inp: PolicyInput, text: str, known: Sequence[str]) -> str:
    """`text` with the ranking it acts on replaced by the names the ranking picked (this turn's
    result), or by every known name while the ranking is still to be computed (so that the
    message is routed as the action it asks for); `text` itself when it acts on none."""
    ranking = _ranking_acted_on(text, known)
    if ranking is None or not _counted(ranking.ends):
        return text
    done = _ranking_result(inp)
    data = done.data if done is not None and isinstance(done.data, dict) else None
    names = _picks(ranking, data) if data is not None else list(known)
    if not names:
        return text
    begin, end = ranking.span
    return f"{text[:begin]}{listed(names)}{_window_kept(ranking, text, known)}{text[end:]}"


def _window_kept(ranking: Ranking, text: str, known: Sequence[str]) -> str:
    """The ranking's window said again after the names it picked when the rest of `text` names
    no window of its own ("build a portfolio of the top 5 stocks by Sharpe in 2021": built over
    2021 too, the one window said); "" otherwise."""
    begin, end = ranking.span
    rest = parse_intent(f"{text[:begin]} {text[end:]}", known)
    window = ranking.window
    if rest.start or rest.end or rest.last_sessions or not window.get("start"):
        return ""
    return f" from {window['start']}" + (f" to {window['end']}" if window.get("end") else "")


def picks_said(inp: PolicyInput, text: str, known: Sequence[str]) -> str:
    """The sentence that says which names the ranking picked, by what, over which window, and
    whether the picks are seen with hindsight (the window acted on overlaps the ranking's);
    "" when the message acts on no ranking."""
    ranking = _ranking_acted_on(text, known)
    done = _ranking_result(inp) if ranking is not None else None
    if ranking is None or done is None or not isinstance(done.data, dict):
        return ""
    names = _picks(ranking, done.data)
    words, value, shown_as = RANKED_BY[ranking.measure]
    values = {n: v for n in names if (v := value(done.data["assets"][n])) is not None}
    shown = told_apart(values, shown_as)
    ranked = done.data.get("window") or {}
    said = (
        f"Picked by {words} from {ranked.get('start')} to {ranked.get('end')}: "
        + ", ".join(f"{n} ({shown[n]})" for n in names)
        + "."
    )
    acted = next(
        (r.data.get("window") or r.data.get("date_range") or {} for r in inp.results_this_turn()
         if r.call_id != done.call_id and isinstance(r.data, dict)),
        {},
    )  # fmt: skip
    if _overlap(ranked, acted):
        after = int(str(ranked["end"])[:4]) + 1
        test = (
            f"ask for a window after it, for example 'since {after}'"
            if str(done.data.get("data_end") or "")[:4] >= str(after)
            else "the market data ends with it, so no later window can test them"
        )
        said += (
            " The ranking's window overlaps the one used here, so this shows the picks with "
            f"hindsight, not a test of picking them ({test})."
        )
    return said


def _overlap(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two windows (`start`, `end` as ISO dates) share a day."""
    keys = ("start", "end")
    if not all(one.get(k) and other.get(k) for k in keys):
        return False
    return not (str(one["end"]) < str(other["start"]) or str(one["start"]) > str(other["end"]))


def ranked_chat(
    inp: PolicyInput, text: str, known: Sequence[str], answer: Callable[[], AIMessage]
) -> AIMessage:
    """A chat agent's message for the user's `text`: the ranking's call first when it acts on a
    ranking's picks (`ranking_first`); else `answer()`, its final reply led by `picks_said`."""
    if (first := ranking_first(inp, text, known)) is not None:
        return first
    message = answer()
    said = "" if message.tool_calls else picks_said(inp, text, known)
    if not said:
        return message
    return message.model_copy(update={"content": f"{said}\n\n{message.text}"})
