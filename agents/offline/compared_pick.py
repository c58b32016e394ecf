"""The portfolio an answer comparing portfolios put first, as the subject of the message after it
("compare a min vol and a max sharpe portfolio of ...", then "backtest the winner monthly",
"backtest it since 2020", "what's the better one's CVaR?"): the one best on the measure the
question asked ("which has the lower CVaR?": the lowest CVaR), else the one with the highest
Sharpe ratio, which the comparison names first (before: "the winner" said no search had
finished, "the better one" backtested a default strategy, and "it" was the portfolio built
last, whichever that was)."""

from __future__ import annotations

from typing import Any

from agents.offline.analysis_answers import portfolio_called
from settings import patterns

__all__ = ["compared_pick", "names_a_pick", "pick_named"]

_PICK_SAID = patterns.compile(
    r"\bthe\s+(?:winner|winning\s+(?:one|portfolio)|(?:better|best|leading|top)\s+(?:one"
    r"|portfolio)|one\s+you\s+(?:picked|chose|recommend(?:ed)?|prefer(?:red)?)|leader)\b"
    r"|\bthat\s+one\b"
)
"""Words naming the portfolio a comparison put first ("the winner", "the better one")."""
_ONE_REFERRED = patterns.compile(r"\b(?:it|its|it's)\b")
"""Words referring back to one portfolio ("backtest it", "what's its CVaR?")."""
_ASKED_ABOUT = patterns.compile(r"\bOn the [^,]+ you asked about, (?P<who>.+?) has the \w+ \(")
"""The verdict of a comparison on the measure asked ("On the 95% CVaR you asked about, the
min-volatility portfolio has the lowest (...)")."""


def compared_pick(message: str, answer: str, earlier: list[tuple[str, Any, Any]]) -> str | None:
    """The id of the portfolio the `answer` to a `compare_portfolios` call (the latest of the
    `earlier` results: tool, arguments, result; newest first) put first, when `message`
    names it ("the winner", "the better one") or refers back to one ("backtest it"); None
    otherwise (or when that portfolio has no id: weights given, a stock alone)."""
    low = message.lower()
    if not earlier or earlier[0][0] != "compare_portfolios" or not isinstance(earlier[0][2], dict):
        return None
    if not (_PICK_SAID.search(low) or _ONE_REFERRED.search(low)):
        return None
    data: dict[str, Any] = earlier[0][2]
    ids = {row["portfolio"]: row.get("portfolio_id") for row in data.get("rows") or ()}
    chosen = (data.get("best") or {}).get("highest_sharpe_ratio")
    verdict = _ASKED_ABOUT.search(answer)
    if verdict is not None:
        said = verdict["who"]
        chosen = next((name for name in ids if portfolio_called(name) == said), chosen)
    picked = ids.get(chosen) if chosen is not None else None
    return picked if isinstance(picked, str) else None


def names_a_pick(message: str) -> bool:
    """Whether `message` names a portfolio a comparison put first ("the winner", "the better
    one"): only then is the thread read for it (`pick_named`)."""
    return _PICK_SAID.search(message.lower()) is not None


def pick_named(message: str, answer: str, earlier: list[tuple[str, Any, Any]]) -> str:
    """`message` with the words naming the portfolio a comparison put first replaced by its id
    ("backtest the winner monthly": "backtest pf_4a3494 monthly"), so that it is read as a
    question of that portfolio; `message` unchanged otherwise."""
    said = _PICK_SAID.search(message.lower())
    if said is None:
        return message
    picked = compared_pick(message, answer, earlier)
    if picked is None:
        return message
    return f"{message[: said.start()]}{picked}{message[said.end() :]}"
