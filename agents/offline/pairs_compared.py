"""Which of the pairs the conversation measured is the more correlated ("correlation of AAPL and
MSFT", then "and KO vs PEP?", then "which pair is more correlated?"; or "which pair is the most
correlated?" after the correlations of three or more names): answered from the correlations
already given (nothing computed), each pair with its window, the windows' difference said when
they differ (before: the latest pair's correlation alone was given again)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.correlation_answers import matrix_pairs
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput, forced_call, reply
from agents.offline.statistic_words import told_apart
from settings import patterns

__all__ = ["pairs_compared_route"]

_WHICH_PAIR = patterns.compile(
    r"\bwhich\b(?=.*\b(?:correlat\w*|pairs?|moves?\s+(?:more\s+|less\s+)?together)\b)"
    r"(?=.*\b(?:(more|most|higher|highest|stronger|strongest|closer|closest|tighter|tightest)"
    r"|(less|least|lower|lowest|weaker|weakest|looser|loosest))\b)"
)
"""Which pair is the more or the less correlated asked: its first group the more, its second
the less."""

Pair = tuple[str, str]
"""Two names, in the order their correlation was given."""


def measured_pairs(inp: PolicyInput) -> list[tuple[Pair, float, dict[str, Any]]]:
    """The pairs whose correlation the conversation gave last, with each one's value and window
    (`start`, `end` of its returns): every pair of the latest correlations of three or more
    names; else the run of correlations of two names asked one after another ("and KO vs
    PEP?"), the latest of each pair; newest first."""
    measured: list[tuple[Pair, float, dict[str, Any]]] = []
    for name, _, data in earlier_results(inp):
        pairs = matrix_pairs(data) if name == "asset_statistics" else {}
        if not pairs:
            break
        window = data.get("window") or {}
        if len(pairs) > 1:
            return measured or [(pair, value, window) for pair, value in pairs.items()]
        ((pair, value),) = pairs.items()
        if all({*pair} != {*seen} for seen, _, _ in measured):
            measured.append((pair, value, window))
    return measured


def _answer(measured: list[tuple[Pair, float, dict[str, Any]]], more: bool) -> str:
    """Which of `measured` is the more (`more`) or the less correlated, in words."""
    named = {f"{a} and {b}": value for (a, b), value, _ in measured}
    shown = told_apart(named, lambda v: f"{v:.2f}")
    windows = {(w.get("start"), w.get("end")) for _, _, w in measured}
    order = sorted(named, key=lambda pair: -named[pair] if more else named[pair])
    if len(windows) == 1:
        ((start, end),) = windows
        listed = ", ".join(f"{pair} {shown[pair]}" for pair in order)
        said = f"Correlation of daily returns from {start} to {end}: {listed}."
    else:
        by_pair = {f"{a} and {b}": w for (a, b), _, w in measured}
        listed = "; ".join(
            f"{pair} {shown[pair]} ({by_pair[pair].get('start')} to {by_pair[pair].get('end')})"
            for pair in order
        )
        said = (
            f"Correlation of daily returns: {listed}. The windows differ, so the pairs are not "
            "set side by side over the same days; ask for them over one window ('the "
            "correlations of AAPL, MSFT, KO and PEP in 2022') to compare them like for like."
        )
    top = [pair for pair in order if shown[pair] == shown[order[0]]]
    side = "more" if more else "less"
    if len(top) == len(order):
        verdict = f"The pairs are equally correlated to the digits shown ({shown[order[0]]})."
    elif len(top) > 1:
        verdict = f"{'; '.join(top)} tie as the {'most' if more else 'least'} correlated pairs."
    else:
        word = side if len(order) == 2 else {"more": "most", "less": "least"}[side]
        verdict = f"{top[0]} are the {word} correlated pair."
    return f"{said} {verdict} Nothing new was computed."


def pairs_compared_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's answer to which measured pair is the more or the less correlated (with
    one pair measured, that it is the only one), through its own route when a route must be
    called; None when the message asks no such thing or the conversation measured no pair."""
    asked = _WHICH_PAIR.search(user_text(inp).lower())
    if asked is None:
        return None
    measured = measured_pairs(inp)
    named = {name for pair, _, _ in measured for name in pair}
    if not measured or set(intent.tickers) - named:
        return None  # no pair measured, or other stocks named: computed
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the pairs' correlations"})
    if len(measured) == 1:
        return reply(_one_pair(measured[0]))
    return reply(_answer(measured, more=asked.group(1) is not None))


def _one_pair(measured: tuple[Pair, float, dict[str, Any]]) -> str:
    """The reply to which pair is the more correlated when the conversation measured one."""
    (a, b), value, window = measured
    return (
        f"Only one pair's correlation was measured in this conversation: {a} and {b} "
        f"{value:.2f} (daily returns from {window.get('start')} to {window.get('end')}). Name "
        "another pair to set beside it ('and KO vs PEP?'), or several names for all their pairs "
        "('correlations of AAPL, MSFT, KO and PEP'). Nothing new was computed."
    )
