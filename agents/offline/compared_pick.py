"""The portfolio an answer comparing portfolios put first, as the subject of the message after it
("compare a min vol and a max sharpe portfolio of ...", then "backtest the winner monthly",
"backtest it since 2020", "what's the better one's CVaR?"): the one best on the measure the
question asked ("which has the lower CVaR?": the lowest CVaR), else the one with the highest
Sharpe ratio, which the comparison names first (before: "the winner" said no search had
finished, "the better one" backtested a default strategy, and "it" was the portfolio built
last, whichever that was)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agents.offline.analysis_answers import portfolio_called
from agents.offline.intent import parse_intent
from agents.offline.method_names import method_name
from services.formatting import listed
from settings import patterns

__all__ = ["chosen_built", "compared_pick", "equal_beside", "names_a_pick", "pick_named"]

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


_CHOSEN = patterns.compile(
    r"^\W*(?:(?:ok|okay|fine|great|then|so|alright)\W+)*(?:let'?s\s+|i'?ll\s+|we'?ll\s+)?"
    r"(?:go\s+with|use|pick|choose|take|select|stick\s+with|keep|adopt)\s+(pf_[0-9a-f]{6,})\W*$",
    re.IGNORECASE,
)
"""A portfolio chosen by its id, nothing else asked ("go with pf_83f149", after `pick_named`
wrote "the winner" or "that one" as the id)."""
_BUILT_ALONE = frozenset({"universe", "method", "start", "end"})
"""The build arguments said again in words (a build with limits is not)."""


def chosen_built(message: str, earlier: list[tuple[str, Any, Any]], known: Sequence[str]) -> str:
    """`message` as the build of the portfolio it chooses ("go with the winner", "use that one"
    after a comparison, the pick's id in place): the `optimize_portfolio` request that made it,
    said again ("build a min-volatility portfolio of BAC, ... from 2018-01-02 to 2022-12-28"),
    so that the portfolio chosen is the thread's latest (the build is deterministic: the same
    id); `message` unchanged when it chooses none, or the build is not said again exactly."""
    chosen = _CHOSEN.match(message)
    if chosen is None:
        return message
    made = next(
        (args for name, args, data in earlier if name == "optimize_portfolio"
         and isinstance(data, dict) and data.get("portfolio_id") == chosen[1]),
        None,
    )  # fmt: skip
    if made is None or not set(made) <= _BUILT_ALONE or not made.get("universe"):
        return message
    window = "".join(
        f" {w} {made[k]}" for k, w in (("start", "from"), ("end", "to")) if made.get(k)
    )
    method = str(made.get("method") or "hrp")
    said = f"build a {method_name(method)} portfolio of {listed(list(made['universe']))}{window}"
    again = parse_intent(said, known)
    same = again.methods == (method,) and list(again.tickers) == list(made["universe"])
    return said if same and again.start == made.get("start") else message


def equal_beside(args: dict[str, Any], before: Sequence[tuple[str, dict[str, Any], Any]]) -> bool:
    """Whether a call's arguments (`args`) hold the equal weights of the portfolio the call
    before it measured, set beside it ("how does it compare to equal weight?"): the benchmark,
    not the conversation's subject. `before`: (tool, arguments, result) of the calls before it,
    newest first."""
    weights = args.get("weights") or {}
    measured = before[0][1].get("portfolio_id") if before else None
    built = [data for name, _, data in before if name == "optimize_portfolio"]
    names = next(
        (set(d.get("weights") or ()) for d in built
         if isinstance(d, dict) and d.get("portfolio_id") == measured),
        None,
    )  # fmt: skip
    return measured is not None and len(set(weights.values())) == 1 and set(weights) == names
