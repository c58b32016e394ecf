""" "Why?" asked of an answer about stocks or sectors, not of a strategy search ("how did AAPL do
in 2022?", then "why?"; "which sector did best in 2022?", then "why did energy do so well?"):
what the figure is made of, from the results already given (nothing computed), and that prices
alone do not say why (before: "There is no finished run to explain yet"). A sector's return is
its stocks' held at equal weights; a stock's, its best and worst month and day and its beta to
the index, beside the index's return over the same days; a stock's volatility ("what was AAPL's
volatility in 2022?", then "why so high?"), the index's beside it and the share of its variance
that moved with the index."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import user_text, written_by_user
from agents.offline.intent.targets import sector_tickers
from agents.offline.policies import PolicyInput, ToolResult
from agents.offline.statistic_words import pct
from settings import patterns

__all__ = ["NOTHING_TO_EXPLAIN", "PRICES_ONLY", "why_answer"]

WHY_ASKED = patterns.compile(
    r"^\W*(?:(?:and|but|so|ok(?:ay)?|then|hmm+|wow|whoa)\W+)*(?:why|how come)\b"
)
"""A question why ("why?", "and why did energy do so well?", "how come?", "wow, why?")."""
_GROUPS = patterns.compile(r"The sectors' stocks: (?P<groups>.+?)\.(?:\s|$)")
"""The sectors a ranking of sectors listed, with their stocks ("Energy: CVX, RRC, XOM; ...")."""
PRICES_ONLY = (
    "The market data holds daily prices only, not earnings, rates, commodity prices or news, "
    "so it shows what moved and by how much, not why. Nothing new was computed: the figures are "
    "those given earlier in this conversation."
)
"""What a reply to "why?" says of its limits."""
NOTHING_TO_EXPLAIN = (
    "No strategy search has finished in this conversation, so there is no winner to explain, and "
    "the market data holds daily prices only, not earnings, rates or news, so it does not say "
    "why a stock moved. It does show what a figure is made of: ask for a stock's months or "
    "days ('AMD's monthly returns in 2022', 'the 5 worst days of AMD since 2020'), its beta to "
    "the index, or a sector's stocks ('which sector did best in 2022?', then 'why?'). Nothing "
    "was computed."
)
"""The reply to "why?" when there is neither a search to explain nor an answer to decompose."""
MOST_NAMES = 3
"""How many stocks a reply to "why?" decomposes (the first that the answer measured)."""


def _answered(inp: PolicyInput) -> tuple[list[ToolResult], str]:
    """The results of the tool calls of the latest earlier turn that made any (in order), and
    that turn's answer ("why did tech fall?" after "why did energy do so well?" is of the
    ranking before both)."""
    turns: list[tuple[set[str], str]] = [(set(), "")]
    for message in reversed(inp.messages):
        if written_by_user(message):
            turns.append((set(), ""))
        elif isinstance(message, AIMessage):
            ids, answer = turns[-1]
            ids.update(str(call["id"]) for call in message.tool_calls)
            turns[-1] = (ids, answer or (message.text if not message.tool_calls else ""))
    for ids, answer in turns[1:]:  # the latest message's own turn first: skipped
        if ids:
            return [r for r in inp.tool_results() if r.call_id in ids and not r.is_error], answer
    return [], ""


def _owner(name: str) -> str:
    """`name` as an owner ("AAPL's", "Financials'")."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _window(data: dict[str, Any]) -> str:
    window = data.get("window") or {}
    return f"from {window.get('start')} to {window.get('end')}"


def _sectors(answer: str, results: list[ToolResult], message: str) -> str | None:
    """Each sector's return as its stocks' (the sector the message names, else the best and
    the worst of the ranking), from the calls that measured each one; None when the answer
    ranked no sectors."""
    listed = _GROUPS.search(answer)
    if listed is None:
        return None
    measured = {  # each group's call, by its stocks
        frozenset(r.data["portfolio"].get("weights") or ()): r.data
        for r in results
        if isinstance(r.data, dict) and isinstance(r.data.get("portfolio"), dict)
    }
    groups: dict[str, dict[str, Any]] = {}
    for part in listed["groups"].split("; "):
        name, _, members = part.partition(": ")
        if (data := measured.get(frozenset(members.split(", ")))) is not None:
            groups[name] = data
    if not groups:
        return None
    low = message.lower()
    words = low.replace("?", " ").split()
    said = [
        name
        for name, data in groups.items()
        if name.lower() in low
        or any(
            set(sector_tickers([term])) == set(data["portfolio"]["weights"])
            for term in {*words, *(" ".join(pair) for pair in itertools.pairwise(words))}
        )
    ]
    ranked = sorted(groups, key=lambda n: -float(groups[n]["portfolio"]["cumulative_return"]))
    shown = said or ([ranked[0], ranked[-1]] if len(ranked) > 1 else ranked)
    lines = []
    for name in shown:
        data = groups[name]
        held = sorted(data["assets"].items(), key=lambda item: -float(item[1]["cumulative_return"]))
        stocks = ", ".join(f"{t} {pct(float(s['cumulative_return']))}" for t, s in held)
        lines.append(
            f"{_owner(name)} {pct(float(data['portfolio']['cumulative_return']))} {_window(data)} is "
            f"its stocks held at equal weights (rebalanced daily): {stocks}."
        )
    return " ".join(lines)


def _measured(results: list[ToolResult]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, its statistics, the result) of each stock the answer's `asset_statistics` calls
    measured, the first `MOST_NAMES` of each."""
    for result in results:
        data = result.data if isinstance(result.data, dict) else {}
        if result.name == "asset_statistics" and data.get("assets"):
            for name, stats in list(data["assets"].items())[:MOST_NAMES]:
                yield name, stats, data


def _stocks(results: list[ToolResult]) -> str | None:
    """Each stock's return the answer gave, with its best and worst month and day and its beta
    to the index beside the index's return; None when the answer measured no stock so."""
    lines = []
    for name, stats, data in _measured(results):
        index = data.get("index") or {}
        if "best_month" not in stats:
            continue
        line = (
            f"{_owner(name)} total return of {pct(float(stats['cumulative_return']))} "
            f"{_window(data)}: its best month {stats['best_month']['month']} "
            f"({pct(float(stats['best_month']['return']))}), its worst "
            f"{stats['worst_month']['month']} ({pct(float(stats['worst_month']['return']))}); "
            f"its best day {stats['best_day']['date']} "
            f"({pct(float(stats['best_day']['return']), 2)}), its worst "
            f"{stats['worst_day']['date']} ({pct(float(stats['worst_day']['return']), 2)})"
        )
        if stats.get("beta") is not None and index.get("cumulative_return") is not None:
            line += (
                f"; it moved with the S&P 500 index at a beta of {float(stats['beta']):.2f}, "
                f"and the index returned {pct(float(index['cumulative_return']))} over the "
                "same days"
            )
        lines.append(line + ".")
    return " ".join(lines) or None


def _volatilities(results: list[ToolResult]) -> str | None:
    """Each stock's volatility the answer gave, beside the index's over the same days, with the
    share of its variance that moved with the index (its correlation with the index, squared:
    a one-factor regression's R squared) and its largest daily moves; None when the answer
    measured no stock so."""
    lines = []
    for name, stats, data in _measured(results):
        index = data.get("index") or {}
        correlation, beta = stats.get("market_correlation"), stats.get("beta")
        if (
            correlation is None
            or beta is None
            or None in (index.get("volatility"), stats.get("best_day"))
        ):
            continue
        shared = float(correlation) ** 2
        lines.append(
            f"{_owner(name)} volatility of {pct(float(stats['volatility']))} a year "
            f"{_window(data)}: the S&P 500 index's was {pct(float(index['volatility']))} "
            f"over the same days, and {name} moved with it at a beta of {float(beta):.2f} "
            f"(correlation {float(correlation):.2f}), so about {shared:.0%} of its daily "
            f"variance came with the index's moves and {1 - shared:.0%} was its own; its "
            f"largest daily moves: {stats['best_day']['date']} "
            f"({pct(float(stats['best_day']['return']), 2)}) and {stats['worst_day']['date']} "
            f"({pct(float(stats['worst_day']['return']), 2)})."
        )
    return " ".join(lines) or None


_RISK_ANSWERED = patterns.compile(r"\bvolatility [\d.]+% a year\b")
"""An answer that gave stocks' volatility ("AAPL: volatility 35.7% a year.")."""


def why_answer(inp: PolicyInput) -> str | None:
    """The reply to "why?" after an answer about stocks or sectors (see the module docstring);
    None when the message asks no such thing or the answer before measured neither."""
    message = user_text(inp)
    if not WHY_ASKED.search(message.lower()):
        return None
    results, answer = _answered(inp)
    risk = _RISK_ANSWERED.search(answer) and "total return" not in answer
    said = _sectors(answer, results, message) or (_volatilities if risk else _stocks)(results)
    return None if said is None else f"{said} {PRICES_ONLY}"
