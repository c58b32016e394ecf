"""An amount of money on the best or worst day just given ("what's the worst day for the S&P
since 2020?", then "how much would I have lost on $1m that day?"): the amount times that day's
return, of each subject whose day the last answer said (it backtested the whole data's stocks
over the window instead)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import previous_answer, user_text
from agents.offline.formats import amount_text
from agents.offline.intent.amounts import capital_named
from agents.offline.policies import PolicyInput, ToolResult, forced_call, reply
from agents.offline.statistic_words import pct
from settings import patterns

__all__ = ["day_amount_route"]

_THAT_DAY = patterns.compile(r"\b(?:that|this|the\s+same)\s+(?:day|session)\b|\bon\s+the\s+day\b")
"""The day just given, referred back to."""
_LOST = patterns.compile(r"\b(?:los[et]|losing|cost|down|dropped|fallen|fell|drop)\b")
_MADE = patterns.compile(r"\b(?:made|make|gain(?:ed)?|earn(?:ed)?|up|rose|risen)\b")
_DAY_SAID = patterns.compile(r"\b(worst|best) day (\d{4}-\d\d-\d\d) \(")
"""A best or worst day as an answer says it ("worst day 2020-03-16 (-11.98%)")."""
INDEX_NAME = "the S&P 500 index"


def _last_statistics(inp: PolicyInput) -> ToolResult | None:
    """The conversation's last `asset_statistics` result before this message, if it succeeded."""
    this_turn = {call["id"] for call in inp.calls_this_turn()}
    earlier = [
        r for r in inp.tool_results()
        if r.name == "asset_statistics" and r.call_id not in this_turn
    ]  # fmt: skip
    last = earlier[-1] if earlier else None
    return last if last is not None and not last.is_error and isinstance(last.data, dict) else None


def _days_given(
    data: dict[str, Any], answer: str, end: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """Each subject of a statistics result (`data`) whose best or worst day the `answer` said,
    with that day (`date`, `return`): a day said is the subject's named last before it ("AAPL:
    worst day ...", "the portfolio (...) had worst day ...", "The S&P 500 index ...: worst day
    ..."); the `end` asked ("lost": worst) when the answer said both ends, else the one it said."""
    entries = {f"{name}: ": (name, stats) for name, stats in (data.get("assets") or {}).items()}
    if data.get("portfolio"):
        entries["the portfolio ("] = ("the portfolio", data["portfolio"])
    if data.get("index"):
        entries["The S&P 500 index"] = (INDEX_NAME, data["index"])
    said = []
    for day_said in _DAY_SAID.finditer(answer):
        before = answer[: day_said.start()]
        label = max(entries, key=before.rfind, default=None)
        if label is not None and label in before:
            said.append((day_said[1], day_said[2], *entries[label]))
    ends = {e for e, *_ in said}
    chosen = end if end in ends else next(iter(ends)) if len(ends) == 1 else "worst"
    days = []
    for side, date, name, stats in said:
        day = stats.get(f"{side}_day") if isinstance(stats, dict) else None
        if side == chosen and isinstance(day, dict) and day.get("date") == date:
            days.append((name, day))
    return days


def _line(name: str, day: dict[str, Any], amount: float) -> str:
    """One subject's amount on its day."""
    change = amount * float(day["return"])
    verb = "lost" if change < 0 else "made"
    held = f"{amount_text(amount)} held in {name}"
    return (
        f"on {day['date']}, {held} would have {verb} {amount_text(abs(change))} "
        f"({pct(day['return'], 2)} that day, from the close of the session before)"
    )


def day_amount_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's answer to what an amount would have lost or made on the best or worst
    day the last answer gave, through its own route when a route must be called; None when the
    message asks no such thing or the last answer gave no such day."""
    low = user_text(inp).lower()
    amount = capital_named(low) if _THAT_DAY.search(low) else None
    if amount is None or (result := _last_statistics(inp)) is None:
        return None
    end = "worst" if _LOST.search(low) else "best" if _MADE.search(low) else None
    days = _days_given(result.data, previous_answer(inp), end)
    if not days:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the day just given"})
    lines = [_line(name, day, amount) for name, day in days]
    said = "; ".join(lines)
    return reply(
        f"{said[:1].upper()}{said[1:]}. The amount times the day's return; nothing new was "
        "computed: the day and its return are the ones just given."
    )
